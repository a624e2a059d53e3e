//! The fleet over real SSH: three hosts, each a real `sshd` on its own loopback port (own host
//! key, the test's client key) with its own private fail2ban-server and logs; `bantop fleet`
//! and the TUI with `--hosts` reach them through the system's `ssh`.

mod common;

use common::fail2ban::PrivateServer;
use common::sshd::{SshClient, SshServer};
use common::tmux::Tmux;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A host of the test fleet: its sshd and its fail2ban.
struct TestHost {
    name: &'static str,
    ssh: SshServer,
    fail2ban: PrivateServer,
}

impl TestHost {
    /// The remote bantop's command line on this host.
    fn command(&self) -> Vec<String> {
        vec![
            env!("CARGO_BIN_EXE_bantop").to_string(),
            "--fail2ban-dir".into(),
            self.fail2ban.conf().display().to_string(),
            "--state-dir".into(),
            self.fail2ban.state_dir().display().to_string(),
        ]
    }

    fn banned(&self, jail: &str) -> String {
        self.fail2ban.client_text(&["get", jail, "banip"])
    }

    /// Appends a failed AMI login of `ip`, dated now, to the host's Asterisk log.
    fn fail(&self, ip: &str, user: &str) {
        self.fail2ban.fail_ami_login(ip, user);
    }
}

struct Fleet {
    client: SshClient,
    hosts: Vec<TestHost>,
    file: PathBuf,
    state: tempfile::TempDir,
}

impl Fleet {
    fn start(names: &[&'static str]) -> Fleet {
        let client = SshClient::new();
        let hosts: Vec<TestHost> = names
            .iter()
            .map(|name| TestHost {
                name,
                ssh: SshServer::start(&client),
                fail2ban: PrivateServer::start(),
            })
            .collect();
        let entries: Vec<_> = hosts
            .iter()
            .map(|h| (h.name, &h.ssh, h.command()))
            .collect();
        let file = client.hosts_file(&entries);
        Fleet {
            client,
            hosts,
            file,
            state: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn bantop(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bantop"));
        command
            .env("XDG_RUNTIME_DIR", self.client.runtime_dir())
            .env("HOME", self.client.dir.path())
            .arg("--hosts")
            .arg(&self.file)
            .arg("--state-dir")
            .arg(self.state.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.bantop()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let output = self.run(args);
        let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap_or(-1), value)
    }

    fn local_audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.state.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect()
    }
}

#[test]
fn fleet_status_reports_every_host_and_names_the_one_not_reached() {
    let mut fleet = Fleet::start(&["pbx1", "pbx2", "pbx3"]);
    fleet.hosts[0]
        .fail2ban
        .client_text(&["set", "asterisk-wazo", "banip", "203.0.113.5"]);
    let (code, status) = fleet.json(&["fleet", "status", "--json"]);
    assert_eq!(code, 0, "{status}");
    let hosts = status["hosts"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = hosts.iter().filter_map(|h| h["host"].as_str()).collect();
    assert_eq!(names, ["pbx1", "pbx2", "pbx3"]);
    assert!(hosts.iter().all(|h| h["ok"] == true), "{status}");
    let jails: Vec<&str> = hosts[0]["jails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["name"].as_str())
        .collect();
    assert!(
        jails.contains(&"asterisk-wazo") && jails.contains(&"wazo-provd"),
        "{jails:?}"
    );
    assert_eq!(
        hosts[0]["jails"][0]["bans"][0]["ip"], "203.0.113.5",
        "{status}"
    );
    assert_eq!(hosts[1]["jails"][0]["bans"], serde_json::json!([]));

    // One host down: its entry says why, the others answer, the exit status says so.
    fleet.hosts[2].ssh.kill();
    let started = Instant::now();
    let (code, status) = fleet.json(&["fleet", "status", "--json"]);
    assert_eq!(code, 1, "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a dead host stalled the others"
    );
    assert_eq!(status["ok"], false);
    assert_eq!(status["hosts"][0]["ok"], true);
    assert_eq!(status["hosts"][2]["ok"], false);
    let error = status["hosts"][2]["error"].as_str().unwrap_or_default();
    assert!(error.contains("unreachable"), "{error}");
}

#[test]
fn fleet_unban_lifts_the_ban_on_the_named_host_only_then_on_every_host() {
    let fleet = Fleet::start(&["pbx1", "pbx2", "pbx3"]);
    for host in &fleet.hosts {
        host.fail2ban
            .client_text(&["set", "asterisk-wazo", "banip", "198.51.100.7"]);
    }
    let (code, report) = fleet.json(&[
        "fleet",
        "unban",
        "198.51.100.7",
        "--jail",
        "asterisk-wazo",
        "--host",
        "pbx2",
        "--json",
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["hosts"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(report["hosts"][0]["host"], "pbx2");
    assert!(
        fleet.hosts[0]
            .banned("asterisk-wazo")
            .contains("198.51.100.7")
    );
    assert!(
        !fleet.hosts[1]
            .banned("asterisk-wazo")
            .contains("198.51.100.7")
    );
    assert!(
        fleet.hosts[2]
            .banned("asterisk-wazo")
            .contains("198.51.100.7")
    );
    // The host's own audit log has it, and so has the local one, naming the host.
    let remote = fleet.hosts[1].fail2ban.audit();
    assert_eq!(remote[0]["action"], "unban", "{remote:?}");
    assert_eq!(remote[0]["target"], "198.51.100.7");
    let local = fleet.local_audit();
    assert_eq!(local[0]["action"], "unban on pbx2", "{local:?}");
    assert!(fleet.hosts[0].fail2ban.audit().is_empty());

    // Every host: everywhere on each.
    let output = fleet.run(&["fleet", "unban", "198.51.100.7"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for host in &fleet.hosts {
        assert!(
            !host.banned("asterisk-wazo").contains("198.51.100.7"),
            "{}",
            host.name
        );
        assert!(text.contains(&format!("ok   {}:", host.name)), "{text}");
    }
}

#[test]
fn fleet_whitelist_writes_each_hosts_drop_in_and_a_refusal_is_per_host() {
    let fleet = Fleet::start(&["pbx1", "pbx2"]);
    let (code, report) = fleet.json(&[
        "fleet",
        "whitelist",
        "192.0.2.0/24",
        "--reason",
        "office",
        "--json",
    ]);
    assert_eq!(code, 0, "{report}");
    for host in &fleet.hosts {
        let dropin =
            std::fs::read_to_string(host.fail2ban.conf().join("jail.d/bantop-whitelist.local"))
                .unwrap_or_default();
        assert!(dropin.contains("192.0.2.0/24"), "{}: {dropin}", host.name);
        assert!(
            host.fail2ban
                .client_text(&["get", "asterisk-wazo", "ignoreip"])
                .contains("192.0.2.0/24")
        );
    }
    // A ban of a whitelisted address: each host's bantop refuses it, the exit status says so.
    let (code, report) = fleet.json(&[
        "fleet",
        "ban",
        "192.0.2.9",
        "--jail",
        "asterisk-wazo",
        "--json",
    ]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["hosts"][0]["ok"], false, "{report}");
    assert!(!fleet.hosts[0].banned("asterisk-wazo").contains("192.0.2.9"));
}

#[test]
fn a_bad_hosts_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (text, line, words) in [
        (
            "[[host]]\nname = \"a\"\nssh = \"a\"\nprot = 22\n",
            4,
            "prot",
        ),
        ("[[host]]\nname = \"a\"\n", 1, "ssh"),
        (
            "[[host]]\nname = \"a\"\nssh = \"x\"\n\n[[host]]\nname = \"a\"\nssh = \"y\"\n",
            6,
            "named twice",
        ),
    ] {
        let file = dir.path().join("hosts.toml");
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let output = Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--hosts")
            .arg(&file)
            .args(["fleet", "status"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            error.contains(&format!("{}:{line}:", file.display())) && error.contains(words),
            "{text:?}: {error}"
        );
    }
}

/// Reads JSON lines of a child until `done` says so, or panics after `limit`.
fn read_until(
    lines: &std::sync::mpsc::Receiver<serde_json::Value>,
    seen: &mut Vec<serde_json::Value>,
    what: &str,
    limit: Duration,
    done: impl Fn(&[serde_json::Value]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(value) => seen.push(value),
            Err(_) => panic!("{what}: not within {limit:?}; seen: {seen:#?}"),
        }
    }
}

fn failures_of<'a>(
    seen: &'a [serde_json::Value],
    host: &str,
    ip: &str,
) -> Vec<&'a serde_json::Value> {
    seen.iter()
        .filter(|v| v["type"] == "failure" && v["host"] == host && v["ip"] == ip)
        .collect()
}

#[test]
fn fleet_events_merge_every_host_and_a_lost_host_comes_back_with_no_event_twice() {
    let mut fleet = Fleet::start(&["pbx1", "pbx2", "pbx3"]);
    let mut child = fleet
        .bantop()
        .args(["fleet", "events", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
                && tx.send(value).is_err()
            {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let connected = |seen: &[serde_json::Value], n: usize| {
        seen.iter()
            .filter(|v| v["type"] == "host" && v["state"] == "connected")
            .count()
            >= n
    };
    read_until(
        &lines,
        &mut seen,
        "three hosts connected",
        Duration::from_secs(30),
        |s| connected(s, 3),
    );
    for host in &fleet.hosts {
        host.fail("192.0.2.20", host.name);
    }
    read_until(
        &lines,
        &mut seen,
        "a failure from each host",
        Duration::from_secs(20),
        |s| {
            ["pbx1", "pbx2", "pbx3"]
                .iter()
                .all(|h| failures_of(s, h, "192.0.2.20").len() == 1)
        },
    );
    assert_eq!(
        failures_of(&seen, "pbx1", "192.0.2.20")[0]["jail"],
        "asterisk-wazo"
    );

    // pbx2's sshd is killed with its sessions: it is lost, the others go on.
    fleet.hosts[1].ssh.kill();
    read_until(
        &lines,
        &mut seen,
        "pbx2 lost",
        Duration::from_secs(30),
        |s| {
            s.iter()
                .any(|v| v["type"] == "host" && v["host"] == "pbx2" && v["state"] == "lost")
        },
    );
    fleet.hosts[0].fail("192.0.2.21", "pbx1");
    fleet.hosts[1].fail("192.0.2.22", "while-down");
    read_until(
        &lines,
        &mut seen,
        "pbx1 still streams",
        Duration::from_secs(20),
        |s| failures_of(s, "pbx1", "192.0.2.21").len() == 1,
    );
    // Back: the failure written while it was down arrives, and none of the earlier ones twice.
    fleet.hosts[1].ssh.launch();
    read_until(
        &lines,
        &mut seen,
        "pbx2 back",
        Duration::from_secs(120),
        |s| failures_of(s, "pbx2", "192.0.2.22").len() == 1,
    );
    fleet.hosts[1].fail("192.0.2.23", "after");
    read_until(
        &lines,
        &mut seen,
        "pbx2 streams again",
        Duration::from_secs(20),
        |s| failures_of(s, "pbx2", "192.0.2.23").len() == 1,
    );
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    let mut keys: Vec<(String, String)> = seen
        .iter()
        .filter(|v| v["type"] == "failure")
        .map(|v| (v["host"].to_string(), v["line"].to_string()))
        .collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), all, "an event came twice: {seen:#?}");
}

#[test]
fn the_tui_shows_every_host_and_unbans_on_the_row_s_host_only() {
    let mut fleet = Fleet::start(&["pbx1", "pbx2", "pbx3"]);
    for host in &fleet.hosts {
        host.fail2ban
            .client_text(&["set", "asterisk-wazo", "banip", "203.0.113.9"]);
        host.fail("192.0.2.30", host.name);
    }
    let file = fleet.file.display().to_string();
    let state = fleet.state.path().display().to_string();
    let runtime = fleet.client.runtime_dir().display().to_string();
    let home = fleet.client.dir.path().display().to_string();
    let tmux = Tmux::start_with_env(
        "fleet",
        140,
        45,
        &[
            ("XDG_RUNTIME_DIR", runtime.as_str()),
            ("HOME", home.as_str()),
        ],
        &["--hosts", &file, "--state-dir", &state],
    );
    tmux.wait_for(
        "every host's failure and ban",
        Duration::from_secs(40),
        |s| {
            ["pbx1", "pbx2", "pbx3"].iter().all(|h| {
                s.lines().any(|l| l.contains(h) && l.contains("192.0.2.30"))
                    && s.lines()
                        .any(|l| l.contains(h) && l.contains("203.0.113.9") && l.contains("BAN"))
            })
        },
    );
    tmux.wait_for("the host lines", Duration::from_secs(5), |s| {
        s.lines().filter(|l| l.contains("connected")).count() >= 3
    });
    // pbx2's rows only, then the newest (its ban or failure), and unban there.
    tmux.keys(&["H", "H"]);
    tmux.wait_for("the filter on pbx2", Duration::from_secs(5), |s| {
        s.contains("filter: pbx2/")
    });
    select_ban_row(&tmux, "pbx2");
    tmux.keys(&["u"]);
    tmux.wait_for(
        "the plan names pbx2's remote command",
        Duration::from_secs(5),
        |s| {
            s.contains("on pbx2 (ssh root@127.0.0.1)")
                && unwrapped(s).contains("unban 203.0.113.9 --jail asterisk-wazo --json")
        },
    );
    tmux.keys(&["y"]);
    tmux.wait_for("the result", Duration::from_secs(20), |s| {
        s.contains("pbx2: unbanned")
    });
    assert!(
        fleet.hosts[0]
            .banned("asterisk-wazo")
            .contains("203.0.113.9")
    );
    assert!(
        !fleet.hosts[1]
            .banned("asterisk-wazo")
            .contains("203.0.113.9")
    );
    assert!(
        fleet.hosts[2]
            .banned("asterisk-wazo")
            .contains("203.0.113.9")
    );

    // On every host: `a` in the confirm popup, for an address banned on pbx1 and pbx3.
    tmux.keys(&["H"]);
    tmux.wait_for("the filter on pbx3", Duration::from_secs(5), |s| {
        s.contains("filter: pbx3/")
    });
    select_ban_row(&tmux, "pbx3");
    tmux.keys(&["u"]);
    tmux.wait_for("the unban on pbx3", Duration::from_secs(5), |s| {
        s.contains("on pbx3 (ssh")
    });
    tmux.keys(&["a"]);
    tmux.wait_for("the plan on every host", Duration::from_secs(5), |s| {
        s.contains("every host (3)") && s.contains("on pbx1 (ssh") && s.contains("on pbx2 (ssh")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("every host's result", Duration::from_secs(20), |s| {
        s.contains("3 of 3 hosts ok: pbx1 ok, pbx2 ok, pbx3 ok")
    });
    for host in &fleet.hosts {
        assert!(
            !host.banned("asterisk-wazo").contains("203.0.113.9"),
            "{}",
            host.name
        );
    }
    // pbx2 lost: its line says so, pbx3's failures still come; back: connected again.
    fleet.hosts[1].ssh.kill();
    tmux.keys(&["H"]);
    tmux.wait_for("pbx2 lost", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.starts_with(" pbx2") && l.contains("LOST"))
    });
    fleet.hosts[2].fail("192.0.2.31", "still");
    tmux.wait_for("pbx3 still streams", Duration::from_secs(20), |s| {
        s.contains("192.0.2.31")
    });
    fleet.hosts[1].ssh.launch();
    tmux.wait_for("pbx2 back", Duration::from_secs(120), |s| {
        s.lines()
            .any(|l| l.starts_with(" pbx2") && l.contains("connected"))
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

/// Moves the selection up to `host`'s BAN row when the newest row is its failure (the order of
/// a host's first failure and first ban reading depends on which answer comes first).
fn select_ban_row(tmux: &Tmux, host: &str) {
    let screen = tmux.screen();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(&format!(" {host} ")))
        .collect();
    if rows.last().is_some_and(|l| !l.contains(" BAN ")) {
        tmux.keys(&["Up"]);
    }
}

/// A remote "bantop" that answers like a hostile host: escape sequences and bidi controls in
/// its lines, a 1 MB line, a jail named like a path, a ban with an impossible time, another
/// version than this one.
const HOSTILE: &str = r#"#!/bin/sh
case "$1" in
--version) echo "bantop 9.9.9 (git hostile)" ;;
jails) echo '{"jails":[{"name":"asterisk","maxretry":5,"findtime":600,"bantime":600,"ignoreip":["127.0.0.1/8"]}]}' ;;
status) printf '%s\n' '{"answered":true,"error":null,"jails":[{"name":"asterisk","bans":[{"ip":"192.0.2.66","since":1e300},{"ip":"192.0.2.67","since":1768842130.0,"until":null,"matches":["x"]},{"ip":"::ffff:192.0.2.68","since":1768842130.0}],"ignoreip":[]}]}' ;;
events)
  now=$(date +%s)
  printf '{"type":"failure","jail":"asterisk","ip":"198.51.100.1","time":%s,"line":"clear \\u001b[2J\\u001b]0;owned\\u0007 and \\u202eevil","user":"\\u001b[31mroot"}\n' "$now"
  printf '{"type":"failure","jail":"../../etc","ip":"198.51.100.2","time":%s,"line":"path"}\n' "$now"
  printf '{"type":"failure","jail":"asterisk","ip":"198.51.100.3","time":1e300,"line":"time"}\n'
  head -c 1048576 /dev/zero | tr '\0' 'A'; echo
  echo 'not json at all'
  printf '{"type":"failure","jail":"asterisk","ip":"198.51.100.4","time":%s,"line":"the last, fine"}\n' "$now"
  exec sleep 600 ;;
*) exit 2 ;;
esac
"#;

#[test]
fn a_hostile_or_missing_remote_bantop_is_read_as_such() {
    let client = SshClient::new();
    let hostile_ssh = SshServer::start(&client);
    let missing_ssh = SshServer::start(&client);
    let script = client.dir.path().join("hostile-bantop");
    std::fs::write(&script, HOSTILE).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let file = client.hosts_file(&[
        ("evil", &hostile_ssh, vec![script.display().to_string()]),
        (
            "bare",
            &missing_ssh,
            vec!["/nonexistent/bantop".to_string()],
        ),
    ]);
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bantop = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bantop"));
        command
            .env("XDG_RUNTIME_DIR", client.runtime_dir())
            .arg("--hosts")
            .arg(&file)
            .arg("--state-dir")
            .arg(state.path())
            .args(args);
        command
    };
    let output = bantop(&["fleet", "status", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let status: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1), "{status}");
    assert_eq!(status["hosts"][0]["version"], "9.9.9");
    let bans: Vec<&str> = status["hosts"][0]["jails"][0]["bans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["ip"].as_str())
        .collect();
    assert_eq!(bans, ["192.0.2.67", "192.0.2.68"], "{status}");
    let bare = status["hosts"][1]["error"].as_str().unwrap_or_default();
    assert!(bare.contains("bantop missing"), "{bare}");

    let mut child = bantop(&["fleet", "events", "--json", "--host", "evil"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<serde_json::Value>(&line).unwrap_or_default());
        }
    });
    let mut seen = Vec::new();
    read_until(
        &lines,
        &mut seen,
        "the last good failure",
        Duration::from_secs(30),
        |s| !failures_of(s, "evil", "198.51.100.4").is_empty(),
    );
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    let mut errors = String::new();
    let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut errors);
    let ips: Vec<&str> = seen
        .iter()
        .filter(|v| v["type"] == "failure")
        .filter_map(|v| v["ip"].as_str())
        .collect();
    assert_eq!(ips, ["198.51.100.1", "198.51.100.4"], "{seen:#?}");
    let first = failures_of(&seen, "evil", "198.51.100.1")[0];
    let text = format!("{}{}", first["line"], first["user"]);
    assert!(
        !text.contains("\\u001b") && !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("clear") && text.contains("root"), "{text}");
    let connected = seen
        .iter()
        .find(|v| v["type"] == "host" && v["state"] == "connected")
        .cloned()
        .unwrap_or_default();
    assert_eq!(connected["version_mismatch"], true, "{connected}");
    assert!(errors.contains("lines refused"), "{errors}");
}

/// The screen's text as one line: borders out, runs of spaces as one, so that a command the
/// popup wrapped (its length depends on where the build is) reads whole.
fn unwrapped(screen: &str) -> String {
    screen
        .replace(['│', '┌', '┐', '└', '┘', '─'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
