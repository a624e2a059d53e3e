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

/// A second namespace, nested in a [`Namespace`], joined to it by a veth pair: the outside
/// world. The inner namespace is 10.9.0.1 on `va`; the outside holds the client addresses
/// 192.0.2.5 and 198.51.100.7 (and 2001:db8:5::5), routed through `vb`, so its packets arrive
/// on a real interface, not on loopback.
pub struct Outside {
    holder: Child,
    pid: String,
}

/// The server's address as the outside reaches it.
pub const SERVER: &str = "10.9.0.1";

impl Namespace {
    /// The outside namespace and the veth pair to it.
    pub fn outside(&self) -> Outside {
        let mut holder = self
            .command("unshare")
            .args(["-n", "sh", "-c", "echo ready && exec sleep 3600"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("unshare -n: {e}"));
        // Wait until it has its own namespace, or the veth's end would stay here.
        let mut line = String::new();
        if let Some(stdout) = holder.stdout.take() {
            use std::io::BufRead;
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        }
        assert_eq!(line.trim(), "ready", "unshare -n did not start");
        let pid = holder.id().to_string();
        let netns = format!("/proc/{pid}/ns/net");
        self.ok(
            "ip",
            &[
                "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", &netns,
            ],
        );
        for args in [
            &["addr", "add", "10.9.0.1/24", "dev", "va"][..],
            &["link", "set", "va", "up"],
            &["route", "add", "192.0.2.0/24", "dev", "va"],
            &["route", "add", "198.51.100.0/24", "dev", "va"],
        ] {
            self.ok("ip", args);
        }
        let outside = Outside { holder, pid };
        for args in [
            &["link", "set", "lo", "up"][..],
            &["addr", "add", "192.0.2.5/32", "dev", "vb"],
            &["addr", "add", "198.51.100.7/32", "dev", "vb"],
            &["link", "set", "vb", "up"],
            &["route", "add", "10.9.0.0/24", "dev", "vb"],
        ] {
            let output = self.run_in(&outside, "ip", args);
            assert!(output.status.success(), "ip {args:?}: {output:?}");
        }
        outside
    }

    /// Runs a program in the outside namespace.
    pub fn run_in(&self, outside: &Outside, program: &str, args: &[&str]) -> Output {
        self.command("nsenter")
            .args(["-t", &outside.pid, "-n", program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("nsenter: {e}"))
    }

    /// Connects from `source` in the outside to the server's TCP `port`: "connected",
    /// "refused" (nothing listens, or rejected) or "timeout" (dropped).
    pub fn connect(&self, outside: &Outside, source: &str, port: u16) -> String {
        let script = format!(
            "import socket\n\
             c = socket.socket(); c.settimeout(1.0); c.bind(('{source}', 0))\n\
             try:\n    c.connect(('{SERVER}', {port})); print('connected')\n\
             except ConnectionRefusedError: print('refused')\n\
             except OSError: print('timeout')\n"
        );
        let output = self.run_in(outside, "python3", &["-c", &script]);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// A TCP listener on 0.0.0.0:`port` inside, until the returned guard is dropped.
    pub fn listen(&self, port: u16) -> Listener {
        let script = format!(
            "import socket, time\n\
             s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind(('0.0.0.0', {port})); s.listen(64); print('listening', flush=True)\n\
             while True:\n    c, _ = s.accept(); c.close()\n"
        );
        let mut child = self
            .command("python3")
            .args(["-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3: {e}"));
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            use std::io::BufRead;
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        }
        assert_eq!(line.trim(), "listening");
        Listener(child)
    }
}

/// A listener process, killed when dropped.
pub struct Listener(Child);

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}
