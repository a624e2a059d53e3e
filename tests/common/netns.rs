//! A private network namespace for firewall tests: `unshare -rn` (a user namespace, so no host
//! root is needed) holding a sleeping process; commands enter it with `nsenter`. Its nftables
//! ruleset, addresses and sockets are its own and vanish with it.

use std::process::{Child, Command, Output, Stdio};

/// A network namespace; its holder is killed when dropped.
pub struct Namespace {
    holder: Child,
    pub state: tempfile::TempDir,
}

impl Namespace {
    pub fn new() -> Namespace {
        let holder = Command::new("unshare")
            .args([
                "-rn",
                "sh",
                "-c",
                "ip link set lo up && echo up && exec sleep 3600",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("unshare: {e}"));
        let mut namespace = Namespace {
            holder,
            state: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        // Wait for `up`: the loopback interface is up and the namespace ready.
        let mut line = String::new();
        if let Some(stdout) = namespace.holder.stdout.take() {
            use std::io::BufRead;
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        }
        assert_eq!(line.trim(), "up", "unshare -rn did not make a namespace");
        namespace
    }

    /// The `nsenter` command line that runs a program inside the namespace.
    pub fn launcher(&self) -> Vec<String> {
        let pid = self.holder.id().to_string();
        [
            "nsenter",
            "-t",
            &pid,
            "-U",
            "-n",
            "--preserve-credentials",
            "--",
        ]
        .map(str::to_string)
        .to_vec()
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let launcher = self.launcher();
        let mut command = Command::new(&launcher[0]);
        command.args(&launcher[1..]).arg(program);
        command
    }

    /// Runs a program inside; panics when it cannot start.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    }

    /// Runs a program that must succeed; its stdout.
    pub fn ok(&self, program: &str, args: &[&str]) -> String {
        let output = self.run(program, args);
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// bantop inside, with a private state dir and no fail2ban.
    pub fn bantop(&self, args: &[&str]) -> Output {
        let missing = self.state.path().join("no-fail2ban.sock");
        self.command(env!("CARGO_BIN_EXE_bantop"))
            .arg("--state-dir")
            .arg(self.state.path())
            .arg("--socket")
            .arg(&missing)
            .arg("--fail2ban-dir")
            .arg(self.state.path().join("no-fail2ban"))
            .args(args)
            .env_remove("SSH_CONNECTION")
            .env_remove("SSH_CLIENT")
            .output()
            .unwrap_or_else(|e| panic!("bantop: {e}"))
    }

    /// `nft -j list ruleset` inside, parsed.
    pub fn ruleset(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok("nft", &["-j", "list", "ruleset"]))
            .unwrap_or_else(|e| panic!("nft -j: {e}"))
    }

    /// The elements of a set, as nft's JSON gives them.
    pub fn elements(&self, family: &str, table: &str, set: &str) -> Vec<serde_json::Value> {
        let ruleset = self.ruleset();
        ruleset["nftables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("set"))
            .filter(|s| s["family"] == family && s["table"] == table && s["name"] == set)
            .flat_map(|s| s["elem"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}
