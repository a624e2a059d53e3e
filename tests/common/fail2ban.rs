//! A private fail2ban-server for tests: its own configuration directory (a copy of Debian's
//! /etc/fail2ban with the demo's Wazo filters), socket, pid file and database, and two jails
//! with the `dummy` action, so nothing touches the firewall.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A private fail2ban server; stopped when dropped.
pub struct PrivateServer {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateServer {
    pub fn start() -> PrivateServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let conf = dir.path().join("conf");
        copy_dir(Path::new("/etc/fail2ban"), &conf);
        let demo_filters = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban/filter.d");
        for filter in ["asterisk-wazo.conf", "wazo-provd.conf"] {
            std::fs::copy(
                demo_filters.join(filter),
                conf.join("filter.d").join(filter),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let run = dir.path();
        for log in ["asterisk.log", "provd.log"] {
            std::fs::write(run.join(log), "").unwrap_or_else(|e| panic!("{e}"));
        }
        let local = format!(
            "[Definition]\nloglevel = INFO\nlogtarget = {0}/fail2ban.log\nsocket = {0}/fail2ban.sock\npidfile = {0}/fail2ban.pid\ndbfile = {0}/fail2ban.sqlite3\n",
            run.display()
        );
        std::fs::write(conf.join("fail2ban.local"), local).unwrap_or_else(|e| panic!("{e}"));
        let jails = format!(
            "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1\nbanaction = dummy\nbackend = polling\n\n[sshd]\nenabled = false\n\n\
             [asterisk-wazo]\nenabled = true\nfilter = asterisk-wazo\naction = dummy\nlogpath = {0}/asterisk.log\nmaxretry = 15\nbantime = 3600\n\n\
             [wazo-provd]\nenabled = true\nfilter = wazo-provd\naction = dummy\nlogpath = {0}/provd.log\nmaxretry = 10\nfindtime = 60\nbantime = 600\n",
            run.display()
        );
        std::fs::write(conf.join("jail.local"), jails).unwrap_or_else(|e| panic!("{e}"));
        let mut server = PrivateServer { dir, child: None };
        server.launch();
        server
    }

    pub fn launch(&mut self) {
        let out = std::fs::File::create(self.dir.path().join("server.out"))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = out.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("fail2ban-server")
            .arg("-c")
            .arg(self.conf())
            .args(["-f", "-x"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("fail2ban-server cannot start (the test command installs fail2ban): {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.client(&["ping"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "fail2ban-server did not answer: {}",
                std::fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    /// Appends a failed AMI login of `ip` as `user`, dated now, to the server's Asterisk log.
    pub fn fail_ami_login(&self, ip: &str, user: &str) {
        let now = chrono::Local::now();
        let stamp = format!(
            "{}.{:04}",
            now.format("%Y-%m-%d %H:%M:%S"),
            now.timestamp_subsec_micros() / 100
        );
        let line =
            format!("[{stamp}] NOTICE[2418] manager.c: {ip} failed to authenticate as '{user}'\n");
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("asterisk.log"))
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("conf")
    }

    /// bantop's state directory for this server's tests (its audit log).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The audit log's entries.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.state_dir().join("audit.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("fail2ban.sock")
    }

    /// fail2ban's own client, the witness.
    pub fn client(&self, args: &[&str]) -> Output {
        Command::new("fail2ban-client")
            .arg("-c")
            .arg(self.conf())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn client_text(&self, args: &[&str]) -> String {
        let output = self.client(args);
        assert!(
            output.status.success(),
            "fail2ban-client {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn bantop(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--fail2ban-dir")
            .arg(self.conf())
            .arg("--state-dir")
            .arg(self.state_dir())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Every file under `dir` with its contents, to prove that nothing changed.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            files.extend(tree(&entry.path()));
        } else {
            files.push((
                entry.path(),
                std::fs::read(entry.path()).unwrap_or_default(),
            ));
        }
    }
    files.sort();
    files
}
