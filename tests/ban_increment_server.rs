//! `ban_seconds` against a real fail2ban-server (Debian's package) with `bantime.increment`.
//!
//! Each test starts its own server: a copy of /etc/fail2ban, its own socket, pid file and
//! database, and jails with the `dummy` action (no firewall). Bans are made with
//! `fail2ban-client set JAIL banip`, which goes through the same observer as the filter's bans;
//! `get JAIL banip --with-time` is the witness of the ban time fail2ban chose.
//!
//! `unbanip` deletes the address from fail2ban's database, and with it the ban count, so bans
//! "in a row" must end by themselves: the first test uses a one-second `bantime`. The second
//! uses realistic settings and gets counts 0 to 5 at once from `bantime.overalljails`, which
//! sums the bans of an address over every jail.

use bantop::model::ban_increment::{BanIncrement, BanTimeOutcome, ban_seconds};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The interpreter fail2ban runs on, for reading its database (sqlite3 module).
const FAIL2BAN_PYTHON: &str = "/usr/bin/python3";

/// One jail under test: its name, its `bantime.*` lines, and the same settings for bantop.
struct Jail {
    name: &'static str,
    lines: String,
    increment: BanIncrement,
}

/// A private fail2ban server; stopped when dropped.
struct Server {
    dir: tempfile::TempDir,
    child: Child,
}

impl Server {
    /// A server with `jails`: `(name, bantime, extra lines)`.
    fn start(jails: &[(&str, i64, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let run = dir.path();
        let conf = run.join("conf");
        let copied = Command::new("cp")
            .args(["-r", "/etc/fail2ban"])
            .arg(&conf)
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(copied.success(), "cannot copy /etc/fail2ban");
        write(
            &conf.join("filter.d/bantop-test.conf"),
            "[Definition]\nfailregex = ^bantop-test failure from <HOST>$\n",
        );
        write(&run.join("empty.log"), "");
        write(
            &conf.join("fail2ban.local"),
            &format!(
                "[Definition]\nloglevel = INFO\nlogtarget = {0}/fail2ban.log\nsocket = {0}/fail2ban.sock\npidfile = {0}/fail2ban.pid\ndbfile = {0}/fail2ban.sqlite3\n",
                run.display()
            ),
        );
        let mut local = format!(
            "[DEFAULT]\nbanaction = dummy\naction = dummy\nbackend = polling\nfilter = bantop-test\nlogpath = {}/empty.log\n\n[sshd]\nenabled = false\n",
            run.display()
        );
        for (name, bantime, lines) in jails {
            local.push_str(&format!(
                "\n[{name}]\nenabled = true\nbantime = {bantime}\n{lines}\n"
            ));
        }
        write(&conf.join("jail.local"), &local);
        let log = std::fs::File::create(run.join("server.out")).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("fail2ban-server")
            .arg("-c")
            .arg(&conf)
            .args(["-f", "-x"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("fail2ban-server cannot start: {e}"));
        let server = Server { dir, child };
        let answered = wait_until(Duration::from_secs(30), || {
            server.client(&["ping"]).status.success()
        });
        assert!(answered, "fail2ban-server did not answer: {}", server.log());
        server
    }

    fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("server.out"), read("fail2ban.log"))
    }

    fn client(&self, args: &[&str]) -> Output {
        Command::new("fail2ban-client")
            .arg("-c")
            .arg(self.dir.path().join("conf"))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn client_text(&self, args: &[&str]) -> String {
        let output = self.client(args);
        assert!(
            output.status.success(),
            "fail2ban-client {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn ban(&self, jail: &str, ips: &[String]) {
        let mut args = vec!["set", jail, "banip"];
        args.extend(ips.iter().map(String::as_str));
        self.client_text(&args);
    }

    /// `bancount` of every address of `jail` in fail2ban's database, written by the observer
    /// once it has settled the ban time.
    fn ban_counts(&self, jail: &str) -> Vec<(String, u32)> {
        let query = "import sqlite3, sys\n\
                     db = sqlite3.connect(sys.argv[1])\n\
                     for ip, count in db.execute('SELECT ip, bancount FROM bips WHERE jail = ?', (sys.argv[2],)):\n    print(ip, count)\n";
        let output = Command::new(FAIL2BAN_PYTHON)
            .args(["-c", query])
            .arg(self.database())
            .arg(jail)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| {
                let (ip, count) = line.split_once(' ')?;
                Some((ip.to_string(), count.parse().ok()?))
            })
            .collect()
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("fail2ban.sqlite3")
    }

    /// Waits until the database counts `count` bans of `ip` in `jail`.
    fn wait_for_count(&self, jail: &str, ip: &str, count: u32) {
        let written = wait_until(Duration::from_secs(10), || {
            self.ban_counts(jail)
                .iter()
                .any(|(row_ip, row_count)| row_ip == ip && *row_count == count)
        });
        assert!(
            written,
            "{jail}: {ip} never counted {count} ban(s): {:?}\n{}",
            self.ban_counts(jail),
            self.log()
        );
    }

    /// The ban time fail2ban shows for `ip` in `jail` (`get JAIL banip --with-time`), if banned.
    fn shown_ban_seconds(&self, jail: &str, ip: &str) -> Option<i64> {
        let text = self.client_text(&["get", jail, "banip", "--with-time"]);
        text.lines().find_map(|line| {
            let (address, rest) = line.trim().split_once(char::is_whitespace)?;
            let (_, after_plus) = rest.split_once(" + ")?;
            let (seconds, _) = after_plus.split_once(" = ")?;
            (address == ip).then(|| seconds.trim().parse().ok())?
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// What fail2ban's `--with-time` shows (`%d`) for bantop's answer, and the random part's bound.
fn expected_shown(bantime: i64, increment: &BanIncrement, count: u32) -> (i64, i64) {
    match ban_seconds(bantime, increment, count) {
        BanTimeOutcome::Seconds {
            seconds,
            random_below,
        } => (seconds.trunc() as i64, random_below.unwrap_or(0)),
        other => panic!("count {count}: {other:?}"),
    }
}

fn assert_shown(server: &Server, jail: &Jail, bantime: i64, ip: &str, count: u32) {
    let shown = server.shown_ban_seconds(jail.name, ip);
    let (seconds, random_below) = expected_shown(bantime, &jail.increment, count);
    let within = shown.is_some_and(|shown| {
        shown == seconds || (shown > seconds && shown < seconds + random_below)
    });
    assert!(
        within,
        "{}: {ip} with ban count {count}: fail2ban shows {shown:?} s, ban_seconds says {seconds} s (+ below {random_below})",
        jail.name
    );
}

#[test]
fn five_bans_in_a_row_last_as_ban_seconds_says_and_unbanip_resets_the_count() {
    const BANTIME: i64 = 1;
    const IP: &str = "203.0.113.7";
    let jails = [
        Jail {
            name: "doubling",
            lines: "bantime.increment = true".to_string(),
            increment: BanIncrement::default(),
        },
        Jail {
            name: "factor-maxtime",
            lines: "bantime.increment = true\nbantime.factor = 2\nbantime.maxtime = 6s".to_string(),
            increment: BanIncrement {
                factor: 2.0,
                maxtime: Some(6),
                ..BanIncrement::default()
            },
        },
        Jail {
            name: "multipliers",
            lines: "bantime.increment = true\nbantime.multipliers = 1 3 2".to_string(),
            increment: BanIncrement {
                multipliers: vec![1, 3, 2],
                ..BanIncrement::default()
            },
        },
    ];
    let specs: Vec<_> = jails
        .iter()
        .map(|j| (j.name, BANTIME, j.lines.as_str()))
        .collect();
    let server = Server::start(&specs);
    let ip = [IP.to_string()];
    std::thread::scope(|scope| {
        for jail in &jails {
            let (server, ip) = (&server, &ip);
            scope.spawn(move || {
                for earlier_bans in 0..5u32 {
                    server.ban(jail.name, ip);
                    server.wait_for_count(jail.name, IP, earlier_bans + 1);
                    assert_shown(server, jail, BANTIME, IP, earlier_bans);
                    if earlier_bans < 4 {
                        let (seconds, _) = expected_shown(BANTIME, &jail.increment, earlier_bans);
                        let limit = Duration::from_secs(seconds.unsigned_abs() + 5);
                        let ended =
                            wait_until(limit, || server.shown_ban_seconds(jail.name, IP).is_none());
                        assert!(ended, "{}: ban {earlier_bans} never ended", jail.name);
                    }
                }
                server.client_text(&["set", jail.name, "unbanip", IP]);
                server.ban(jail.name, ip);
                server.wait_for_count(jail.name, IP, 1);
                assert_shown(server, jail, BANTIME, IP, 0);
            });
        }
    });
}

#[test]
fn ban_seconds_matches_fail2ban_for_counts_0_to_5_summed_over_jails() {
    const BANTIME: i64 = 600;
    const EARLIER_JAILS: [&str; 5] = [
        "earlier-1",
        "earlier-2",
        "earlier-3",
        "earlier-4",
        "earlier-5",
    ];
    let overall =
        |extra: &str| format!("bantime.increment = true\nbantime.overalljails = true\n{extra}");
    let overall_increment = BanIncrement {
        overalljails: true,
        ..BanIncrement::default()
    };
    let jails = [
        Jail {
            name: "default-formula",
            lines: overall(""),
            increment: overall_increment.clone(),
        },
        Jail {
            name: "factor",
            lines: overall("bantime.factor = 2"),
            increment: BanIncrement {
                factor: 2.0,
                ..overall_increment.clone()
            },
        },
        Jail {
            name: "multipliers",
            lines: overall("bantime.multipliers = 1 5 30 60"),
            increment: BanIncrement {
                multipliers: vec![1, 5, 30, 60],
                ..overall_increment.clone()
            },
        },
        Jail {
            name: "multipliers-factor-maxtime",
            lines: overall(
                "bantime.multipliers = 1 5 30 60\nbantime.factor = 2\nbantime.maxtime = 1h",
            ),
            increment: BanIncrement {
                factor: 2.0,
                multipliers: vec![1, 5, 30, 60],
                maxtime: Some(3600),
                ..overall_increment.clone()
            },
        },
        Jail {
            name: "factor-maxtime",
            lines: overall("bantime.factor = 2\nbantime.maxtime = 1h"),
            increment: BanIncrement {
                factor: 2.0,
                maxtime: Some(3600),
                ..overall_increment.clone()
            },
        },
        Jail {
            name: "rndtime",
            lines: overall("bantime.rndtime = 5m"),
            increment: BanIncrement {
                rndtime: Some(300),
                ..overall_increment.clone()
            },
        },
        Jail {
            // Without overalljails the other jails' bans do not count.
            name: "own-bans-only",
            lines: "bantime.increment = true".to_string(),
            increment: BanIncrement::default(),
        },
    ];
    let mut specs: Vec<_> = EARLIER_JAILS
        .iter()
        .map(|name| (*name, BANTIME, ""))
        .collect();
    specs.extend(jails.iter().map(|j| (j.name, BANTIME, j.lines.as_str())));
    let server = Server::start(&specs);
    // Address 198.51.100.(10 * jail + count) is banned `count` times before, one per jail.
    let address = |jail: usize, count: usize| format!("198.51.100.{}", 10 * jail + count);
    for (index, earlier) in EARLIER_JAILS.iter().enumerate() {
        let already_banned = index + 1;
        let ips: Vec<String> = (0..jails.len())
            .flat_map(|jail| (already_banned..=5).map(move |count| address(jail, count)))
            .collect();
        server.ban(earlier, &ips);
        for ip in &ips {
            server.wait_for_count(earlier, ip, 1);
        }
    }
    // fail2ban stores the time of a ban rounded to the second, and takes a new ban no later
    // than the stored one for a restored one, which it does not write to its database.
    std::thread::sleep(Duration::from_millis(1500));
    for (index, jail) in jails.iter().enumerate() {
        let ips: Vec<String> = (0..=5).map(|count| address(index, count)).collect();
        server.ban(jail.name, &ips);
        for (earlier_bans, ip) in (0u32..).zip(&ips) {
            let count = if jail.increment.overalljails {
                earlier_bans
            } else {
                0
            };
            // The observer stores the count it found plus this ban.
            server.wait_for_count(jail.name, ip, count + 1);
            assert_shown(&server, jail, BANTIME, ip, count);
        }
    }
}
