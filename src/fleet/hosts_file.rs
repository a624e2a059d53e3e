//! The hosts file of a fleet: TOML, one `[[host]]` table per PBX, reached through the
//! operator's own OpenSSH. Read strictly: an unknown key, a missing `ssh`, a duplicate name or
//! a destination that `ssh` would take for an option is an error naming the file and line.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Hosts a file may hold (the TUI's plan for more is in the README).
pub const MAX_HOSTS: usize = 500;
/// The longest host name (it is shown in a column and prefixes jail names).
pub const MAX_NAME: usize = 32;
/// The largest hosts file read.
const MAX_FILE: u64 = 1 << 20;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostsFile {
    #[serde(default)]
    host: Vec<Spanned<HostEntry>>,
}

/// One `[[host]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostEntry {
    name: Spanned<String>,
    ssh: Spanned<String>,
    port: Option<u16>,
    #[serde(default)]
    options: Vec<String>,
    command: Option<Spanned<Vec<String>>>,
}

/// A host of the fleet, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The name shown and used to pick it (`pbx1`).
    pub name: String,
    /// The destination as `ssh` takes it: `user@host`, an alias of `~/.ssh/config`.
    pub ssh: String,
    /// The SSH port, when not the default or the alias's.
    pub port: Option<u16>,
    /// Extra `ssh` arguments, before the destination.
    pub options: Vec<String>,
    /// The remote bantop and its global flags (`["sudo", "bantop"]`).
    pub command: Vec<String>,
}

/// Why a hosts file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HostsError {
    /// It could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// What is wrong, and where.
    #[error("{origin}:{line}: {message}")]
    Invalid {
        /// The file.
        origin: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads and checks the hosts file at `path`.
pub fn read_hosts(path: &Path) -> Result<Vec<Host>, HostsError> {
    let text = crate::state_file::read_named(path, MAX_FILE).map_err(|e| HostsError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_hosts(&text, &path.display().to_string())
}

/// Parses a hosts file's `text`; errors name `origin` and the line.
pub fn parse_hosts(text: &str, origin: &str) -> Result<Vec<Host>, HostsError> {
    let invalid = |offset: usize, message: String| HostsError::Invalid {
        origin: origin.to_string(),
        line: line_of(text, offset),
        message,
    };
    let file: HostsFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        invalid(offset, e.message().trim().to_string())
    })?;
    if file.host.is_empty() {
        return Err(invalid(0, "no [[host]] in the file".to_string()));
    }
    if file.host.len() > MAX_HOSTS {
        return Err(invalid(
            file.host[MAX_HOSTS].span().start,
            format!("more than {MAX_HOSTS} hosts"),
        ));
    }
    let mut hosts: Vec<Host> = Vec::with_capacity(file.host.len());
    for entry in file.host {
        let entry = entry.into_inner();
        let (name_at, name) = (entry.name.span().start, entry.name.into_inner());
        check_name(&name).map_err(|message| invalid(name_at, message))?;
        if hosts.iter().any(|h| h.name == name) {
            return Err(invalid(name_at, format!("host {name:?} is named twice")));
        }
        let (ssh_at, ssh) = (entry.ssh.span().start, entry.ssh.into_inner());
        if ssh.is_empty() || ssh.starts_with('-') || ssh.chars().any(char::is_whitespace) {
            return Err(invalid(
                ssh_at,
                format!(
                    "ssh = {ssh:?}: a destination (user@host or an alias), without spaces, not starting with '-'"
                ),
            ));
        }
        let command = match entry.command {
            None => vec!["bantop".to_string()],
            Some(command) => {
                let at = command.span().start;
                let command = command.into_inner();
                if command.first().is_none_or(|program| program.is_empty()) {
                    return Err(invalid(
                        at,
                        "command: the remote bantop, e.g. [\"sudo\", \"bantop\"]".to_string(),
                    ));
                }
                command
            }
        };
        hosts.push(Host {
            name,
            ssh,
            port: entry.port.filter(|p| *p != 0),
            options: entry.options,
            command,
        });
    }
    Ok(hosts)
}

/// A name that fits a column and a jail prefix (`pbx1/sshd`).
fn check_name(name: &str) -> Result<(), String> {
    let fits = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "name = {name:?}: 1 to {MAX_NAME} letters, digits, '-', '_' or '.'"
        ))
    }
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse_hosts(text, "hosts.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_host_takes_its_defaults() {
        let hosts = parse_hosts(
            "[[host]]\nname = \"pbx1\"\nssh = \"root@10.0.0.1\"\n\n[[host]]\nname = \"pbx2\"\nssh = \"pbx2-alias\"\nport = 2222\noptions = [\"-J\", \"bastion\"]\ncommand = [\"sudo\", \"bantop\"]\n",
            "hosts.toml",
        )
        .unwrap_or_default();
        assert_eq!(hosts.len(), 2);
        assert_eq!(hosts[0].command, vec!["bantop"]);
        assert_eq!(hosts[0].port, None);
        assert_eq!(hosts[1].port, Some(2222));
        assert_eq!(hosts[1].options, vec!["-J", "bastion"]);
        assert_eq!(hosts[1].command, vec!["sudo", "bantop"]);
    }

    #[test]
    fn errors_name_the_line() {
        let unknown = error("[[host]]\nname = \"a\"\nssh = \"a\"\nprot = 22\n");
        assert!(unknown.starts_with("hosts.toml:4:"), "{unknown}");
        assert!(unknown.contains("prot"), "{unknown}");
        let missing = error("[[host]]\nname = \"a\"\n\n[[host]]\nname = \"b\"\nssh = \"b\"\n");
        assert!(missing.contains("ssh"), "{missing}");
        assert!(missing.starts_with("hosts.toml:1:"), "{missing}");
        let twice =
            error("[[host]]\nname = \"a\"\nssh = \"a\"\n[[host]]\nname = \"a\"\nssh = \"b\"\n");
        assert_eq!(twice, "hosts.toml:5: host \"a\" is named twice");
        let option = error("[[host]]\nname = \"a\"\nssh = \"-oProxyCommand=x\"\n");
        assert!(option.starts_with("hosts.toml:3:"), "{option}");
        let slash = error("[[host]]\nname = \"a/b\"\nssh = \"a\"\n");
        assert!(slash.starts_with("hosts.toml:2:"), "{slash}");
        assert!(error("").contains("no [[host]]"));
        let command = error("[[host]]\nname = \"a\"\nssh = \"a\"\ncommand = []\n");
        assert!(command.starts_with("hosts.toml:4:"), "{command}");
    }
}
