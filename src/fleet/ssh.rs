//! The `ssh` command line for a remote bantop: the operator's own OpenSSH (keys,
//! `~/.ssh/config`, ProxyJump, known_hosts), never asking anything (`BatchMode`), one
//! multiplexed connection per host (`ControlMaster`), dead connections noticed
//! (`ServerAliveInterval`). The remote shell joins the words: each is quoted for it.

use super::hosts_file::Host;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Seconds between two keep-alive probes; three unanswered ones end the connection.
pub const ALIVE_INTERVAL: u32 = 5;
/// Seconds the master connection stays after its last use.
const PERSIST: u32 = 60;
/// Seconds to wait for a TCP connection to the host.
const CONNECT_TIMEOUT: u32 = 10;

/// The program run; `BANTOP_SSH` replaces it (a wrapper that logs, a test's own).
pub fn ssh_program() -> OsString {
    std::env::var_os("BANTOP_SSH").unwrap_or_else(|| OsString::from("ssh"))
}

/// The directory of the control sockets: `$XDG_RUNTIME_DIR/bantop-ssh`, else
/// `/tmp/bantop-ssh-UID`; made private (0700) and refused when it is someone else's.
pub fn control_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let uid = current_uid();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => Path::new(&runtime).join("bantop-ssh"),
        None => PathBuf::from(format!("/tmp/bantop-ssh-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != uid {
        return Err(format!(
            "{}: not a directory of this user: the SSH control sockets are not put there",
            dir.display()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// This process's user id, read from `/proc/self` (no libc call needed).
fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

/// The arguments of `ssh` (after the program) that run `bantop ARGS` on `host`, its control
/// socket in `control_dir`.
pub fn ssh_args(host: &Host, control_dir: &Path, args: &[String]) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    let mut option = |text: String| {
        out.push("-o".into());
        out.push(text.into());
    };
    option("BatchMode=yes".to_string());
    option(format!("ServerAliveInterval={ALIVE_INTERVAL}"));
    option("ServerAliveCountMax=3".to_string());
    option(format!("ConnectTimeout={CONNECT_TIMEOUT}"));
    option("ControlMaster=auto".to_string());
    option(format!("ControlPersist={PERSIST}"));
    let mut socket = control_dir.as_os_str().to_owned();
    socket.push("/%C");
    out.push("-o".into());
    let mut path = OsString::from("ControlPath=");
    path.push(socket);
    out.push(path);
    if let Some(port) = host.port {
        out.push("-p".into());
        out.push(port.to_string().into());
    }
    out.extend(host.options.iter().map(OsString::from));
    out.push("--".into());
    out.push(host.ssh.clone().into());
    out.push(remote_command(&host.command, args).into());
    out
}

/// The remote command line as the operator reads it in a plan: `bantop unban 192.0.2.7 --json`.
pub fn remote_command(command: &[String], args: &[String]) -> String {
    command
        .iter()
        .chain(args)
        .map(|word| shell_quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as one word for a POSIX shell: left bare when it is made of safe characters, else
/// in single quotes (a quote inside written `'\''`).
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_reach_the_remote_shell_as_written() {
        assert_eq!(shell_quote("192.0.2.7"), "192.0.2.7");
        assert_eq!(shell_quote("--jail"), "--jail");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("x;rm -rf /"), "'x;rm -rf /'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote(""), "''");
        // What the shell makes of it, checked by a shell.
        for word in [
            "a b", "it's", "$(id)", "`id`", "\\", "\n", "*", "'", "\"'\"",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(word)))
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&out), word);
        }
    }

    #[test]
    fn the_destination_comes_after_every_option() {
        let host = Host {
            name: "pbx1".into(),
            ssh: "root@10.0.0.1".into(),
            port: Some(2222),
            options: vec!["-J".into(), "bastion".into()],
            command: vec!["sudo".into(), "bantop".into()],
        };
        let args = ssh_args(
            &host,
            Path::new("/run/x"),
            &["status".into(), "--json".into()],
        );
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let dash = args.iter().position(|a| a == "--").unwrap_or(0);
        assert_eq!(args[dash + 1], "root@10.0.0.1");
        assert_eq!(args[dash + 2], "sudo bantop status --json");
        assert!(args.contains(&"ControlPath=/run/x/%C".to_string()));
        assert!(args.contains(&"BatchMode=yes".to_string()));
        assert!(args[..dash].contains(&"bastion".to_string()));
    }
}
