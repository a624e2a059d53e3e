//! bantop's own configuration file: `/etc/bantop/config.toml`, then
//! `~/.config/bantop/config.toml`, each key overriding the one before; command-line flags
//! override both. [`Settings::resolve`] makes of the flags and the files the one value every
//! command reads (raw flags and files -> resolved settings).

use crate::cli::Cli;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where fail2ban and bantop keep their things, and how the TUI looks: resolved once from the
/// flags, the settings files and the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: PathBuf,
    /// fail2ban's socket.
    pub socket: PathBuf,
    /// bantop's state directory (audit log, saved manual bans).
    pub state_dir: PathBuf,
    /// Theme name or file, if one was asked for.
    pub theme: Option<String>,
    /// A keymap file, if one was given.
    pub keymap: Option<PathBuf>,
    /// Time between two readings of fail2ban's ban tables.
    pub refresh: Duration,
    /// GeoIP files, asked in this order (empty: no country or AS is shown).
    pub geoip: Vec<PathBuf>,
    /// Whether dossiers ask the reverse DNS for an address's name.
    pub reverse_dns: bool,
    /// Seconds a restriction applied from the TUI waits for its confirmation.
    pub restrict_rollback: u64,
    /// The hosts file of a fleet (`--hosts`, else `hosts` in a settings file).
    pub hosts: Option<PathBuf>,
    /// Whether `--hosts` was given: `bantop` alone then opens the fleet's TUI.
    pub hosts_flag: bool,
}

impl Settings {
    /// The flags over the files over the defaults (`socket` from fail2ban.conf when neither
    /// says; the GeoIP files of tor-geoipdb that exist when neither names any).
    pub fn resolve(cli: &Cli, file: SettingsFile) -> Settings {
        let fail2ban_dir = cli
            .fail2ban_dir
            .clone()
            .or(file.fail2ban_dir)
            .unwrap_or_else(|| PathBuf::from("/etc/fail2ban"));
        let socket = crate::fail2ban::server::socket_path(
            cli.socket.as_deref().or(file.socket.as_deref()),
            &fail2ban_dir,
        );
        Settings {
            socket,
            state_dir: cli
                .state_dir
                .clone()
                .or(file.state_dir)
                .unwrap_or_else(|| PathBuf::from(crate::engine::audit::DEFAULT_STATE_DIR)),
            theme: cli.theme.clone().or(file.theme),
            keymap: cli.keymap.clone().or(file.keymap),
            refresh: Duration::from_secs(file.refresh_seconds.unwrap_or(5)),
            reverse_dns: file.reverse_dns.unwrap_or(false),
            restrict_rollback: file
                .restrict_rollback_seconds
                .unwrap_or(crate::model::restriction::DEFAULT_ROLLBACK)
                .clamp(5, 3600),
            geoip: if cli.geoip.is_empty() {
                file.geoip.unwrap_or_else(crate::geoip::default_files)
            } else {
                cli.geoip.clone()
            },
            hosts: cli.hosts.clone().or(file.hosts),
            hosts_flag: cli.hosts.is_some(),
            fail2ban_dir,
        }
    }
}

/// One configuration file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: Option<PathBuf>,
    /// fail2ban's socket.
    pub socket: Option<PathBuf>,
    /// bantop's state directory (the audit log).
    pub state_dir: Option<PathBuf>,
    /// Theme name or file.
    pub theme: Option<String>,
    /// A keymap file overriding the default keys.
    pub keymap: Option<PathBuf>,
    /// Seconds between two readings of fail2ban's ban tables.
    pub refresh_seconds: Option<u64>,
    /// GeoIP files, in order (`[]`: none, not even the default ones).
    pub geoip: Option<Vec<PathBuf>>,
    /// Whether dossiers ask the reverse DNS for an address's name (default: no).
    pub reverse_dns: Option<bool>,
    /// Seconds a restriction applied from the TUI waits for its confirmation before it is
    /// rolled back (default 60, from 5 to 3600).
    pub restrict_rollback_seconds: Option<u64>,
    /// The hosts file of a fleet, for `bantop fleet`.
    pub hosts: Option<PathBuf>,
}

impl SettingsFile {
    /// `later`'s keys over this file's.
    fn overridden_by(self, later: SettingsFile) -> SettingsFile {
        SettingsFile {
            fail2ban_dir: later.fail2ban_dir.or(self.fail2ban_dir),
            socket: later.socket.or(self.socket),
            state_dir: later.state_dir.or(self.state_dir),
            theme: later.theme.or(self.theme),
            keymap: later.keymap.or(self.keymap),
            refresh_seconds: later.refresh_seconds.or(self.refresh_seconds),
            geoip: later.geoip.or(self.geoip),
            reverse_dns: later.reverse_dns.or(self.reverse_dns),
            restrict_rollback_seconds: later
                .restrict_rollback_seconds
                .or(self.restrict_rollback_seconds),
            hosts: later.hosts.or(self.hosts),
        }
    }
}

/// The files bantop reads, in order: the system's, then the user's (`$HOME`).
pub fn settings_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("/etc/bantop/config.toml")];
    if let Some(home) = std::env::var_os("HOME") {
        files.push(Path::new(&home).join(".config/bantop/config.toml"));
    }
    files
}

/// Reads and merges `files`: missing ones are skipped, unreadable ones skipped with a warning
/// (returned), and a malformed one is an error naming the file and line.
pub fn load(files: &[PathBuf]) -> Result<(SettingsFile, Vec<String>), String> {
    let mut merged = SettingsFile::default();
    let mut warnings = Vec::new();
    for path in files {
        let text = match crate::state_file::read_named(path, 1 << 20) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                warnings.push(format!("{} not read: {error}", path.display()));
                continue;
            }
        };
        let file: SettingsFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        merged = merged.overridden_by(file);
    }
    Ok((merged, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn geoip_files_come_from_the_flags_else_the_settings_else_tor_geoipdb() {
        let file =
            |text: &str| toml::from_str::<SettingsFile>(text).unwrap_or_else(|e| panic!("{e}"));
        let paths = |paths: &[&str]| paths.iter().map(PathBuf::from).collect::<Vec<_>>();
        let none = Cli::parse_from(["bantop", "status"]);
        let resolved = |cli: &Cli, text: &str| Settings::resolve(cli, file(text)).geoip;
        for flags in [
            ["bantop", "--geoip", "/a.mmdb", "--geoip", "/b", "status"],
            ["bantop", "status", "--geoip", "/a.mmdb", "--geoip", "/b"],
        ] {
            let flags = Cli::parse_from(flags);
            assert_eq!(
                resolved(&flags, "geoip = [\"/c\"]"),
                paths(&["/a.mmdb", "/b"])
            );
        }
        assert_eq!(resolved(&none, "geoip = [\"/c\"]"), paths(&["/c"]));
        assert_eq!(resolved(&none, "geoip = []"), paths(&[]));
        assert_eq!(resolved(&none, ""), crate::geoip::default_files());
    }

    #[test]
    fn later_files_win_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let system = dir.path().join("system.toml");
        let user = dir.path().join("user.toml");
        std::fs::write(&system, "theme = \"light\"\nsocket = \"/run/a.sock\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&user, "theme = \"console\"\n").unwrap_or_else(|e| panic!("{e}"));
        let (settings, warnings) = load(&[
            system.clone(),
            user.clone(),
            dir.path().join("missing.toml"),
        ])
        .unwrap_or_default();
        assert!(warnings.is_empty());
        assert_eq!(settings.theme.as_deref(), Some("console"));
        assert_eq!(settings.socket, Some(PathBuf::from("/run/a.sock")));
        std::fs::write(&user, "theme = \"console\"\ncolour = \"red\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = load(std::slice::from_ref(&user)).err().unwrap_or_default();
        assert!(
            error.starts_with(&user.display().to_string())
                && error.contains("line 2")
                && error.contains("colour"),
            "{error}"
        );
    }
}
