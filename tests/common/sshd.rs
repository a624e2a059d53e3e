//! Real OpenSSH servers on loopback for the fleet's tests: each with its own host key, port and
//! configuration, letting in one client key the test made; a hosts file and `ssh` options that
//! trust exactly those host keys and ignore the user's own `~/.ssh`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The client side: a key, the known hosts, and a private directory for control sockets.
pub struct SshClient {
    pub dir: tempfile::TempDir,
}

impl SshClient {
    pub fn new() -> SshClient {
        let dir = tempfile::Builder::new()
            .prefix("f")
            .tempdir_in("/tmp")
            .unwrap_or_else(|e| panic!("{e}"));
        keygen(&dir.path().join("client"));
        std::fs::write(dir.path().join("known_hosts"), "").unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir.path().join("run")).unwrap_or_else(|e| panic!("{e}"));
        SshClient { dir }
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// Where the control sockets go (`XDG_RUNTIME_DIR` for bantop).
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The `options` of a hosts file entry: this key, these known hosts, no user config.
    pub fn options(&self) -> Vec<String> {
        vec![
            "-F".into(),
            "/dev/null".into(),
            "-i".into(),
            self.key().display().to_string(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            format!(
                "UserKnownHostsFile={}",
                self.dir.path().join("known_hosts").display()
            ),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            "-o".into(),
            "LogLevel=ERROR".into(),
        ]
    }

    /// A hosts file for `hosts`: (name, server, remote bantop arguments).
    pub fn hosts_file(&self, hosts: &[(&str, &SshServer, Vec<String>)]) -> PathBuf {
        let mut text = String::new();
        for (name, server, command) in hosts {
            text.push_str(&format!(
                "[[host]]\nname = {name:?}\nssh = \"root@127.0.0.1\"\nport = {}\noptions = {:?}\ncommand = {:?}\n\n",
                server.port,
                self.options(),
                command
            ));
        }
        let path = self.dir.path().join("hosts.toml");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// Trusts `server`'s host key.
    pub fn trust(&self, server: &SshServer) {
        let key = std::fs::read_to_string(server.dir.path().join("host.pub"))
            .unwrap_or_else(|e| panic!("{e}"));
        let line = format!("[127.0.0.1]:{} {}", server.port, key.trim());
        let path = self.dir.path().join("known_hosts");
        let mut known = std::fs::read_to_string(&path).unwrap_or_default();
        known.push_str(&line);
        known.push('\n');
        std::fs::write(path, known).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// An sshd on 127.0.0.1, killed with its sessions when dropped.
pub struct SshServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl SshServer {
    /// Starts an sshd letting `client`'s key in as root, and makes `client` trust it.
    pub fn start(client: &SshClient) -> SshServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        keygen(&dir.path().join("host"));
        std::fs::copy(
            client.dir.path().join("client.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        // SHLVL: bash, started by sshd for a command, reads ~/.bashrc only at the first shell
        // level; root's may hold slow things (pyenv's rehash takes a lock that a session killed
        // by a test leaves behind, and every later session waits for it a minute).
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {0}/host\nAuthorizedKeysFile {0}/authorized_keys\n\
             PidFile {0}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n\
             MaxSessions 50\nMaxStartups 100\nSetEnv SHLVL=5\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("sshd_config"), config).unwrap_or_else(|e| panic!("{e}"));
        // Privilege separation wants it (the tests run as root).
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut server = SshServer {
            dir,
            port,
            child: None,
        };
        server.launch();
        client.trust(&server);
        server
    }

    /// Starts (or starts again) the server on its port.
    pub fn launch(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("sshd.log"))
            .unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("sshd cannot start (the test command installs openssh-server): {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server and every session it holds (the connections drop).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("ssh-keygen: {e}"));
    assert!(status.success());
}

/// SIGKILLs `pid` and all its descendants (sshd's sessions leave its process group).
pub fn kill_tree(pid: u32) {
    let mut family = vec![pid];
    let mut index = 0;
    while index < family.len() {
        let parent = family[index];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) && !family.contains(&child) {
                family.push(child);
            }
        }
        index += 1;
    }
    for pid in family {
        let _ = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}
