//! The demo's `scenario.toml`: which recording feeds which jail, the operator's address and the
//! time zone of the recordings.

use crate::fail2ban::date::Zone;
use crate::model::port::Proto;
use chrono::FixedOffset;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    operator: String,
    timezone: String,
    fail2ban: String,
    ports: String,
    asterisk: String,
    source: Vec<SourceFile>,
}

/// `ports.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PortsFile {
    socket: Vec<RecordedSocket>,
}

/// A listening socket of the demo server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedSocket {
    /// `tcp` or `udp`.
    pub proto: Proto,
    /// Local address.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// Owning process.
    pub pid: u32,
    /// Its name.
    pub process: String,
    /// Its user.
    pub user: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    jail: String,
    file: String,
    format: String,
}

/// How a recording is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingFormat {
    /// A plain log file; times come from the lines.
    File,
    /// `journalctl -o json` lines.
    JournalJson,
}

/// One recording and the jail it feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The jail.
    pub jail: String,
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: RecordingFormat,
    /// The jail filter's `journalmatch`: journal entries that fail it are not the jail's.
    pub journalmatch: Vec<String>,
}

/// A resolved scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The operator's own address in the recordings.
    pub operator: IpAddr,
    /// Zone of the recorded timestamps.
    pub zone: Zone,
    /// The demo server's fail2ban directory.
    pub fail2ban_dir: PathBuf,
    /// The recordings.
    pub recordings: Vec<Recording>,
    /// The demo server's listening sockets.
    pub sockets: Vec<RecordedSocket>,
    /// The demo server's Asterisk configuration directory.
    pub asterisk_dir: PathBuf,
}

/// Reading the scenario failed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl Scenario {
    /// Reads `dir/scenario.toml`.
    pub fn load(dir: &Path) -> Result<Self, ScenarioError> {
        let path = dir.join("scenario.toml");
        let error = |message: String| ScenarioError {
            path: path.clone(),
            message,
        };
        let text =
            std::fs::read_to_string(&path).map_err(|e| error(format!("cannot read: {e}")))?;
        let file: ScenarioFile = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
        let operator = file
            .operator
            .parse()
            .map_err(|_| error(format!("operator {:?} is not an address", file.operator)))?;
        let zone = parse_zone(&file.timezone).ok_or_else(|| {
            error(format!(
                "timezone {:?}: expected UTC or an offset like +01:00",
                file.timezone
            ))
        })?;
        let recordings = file
            .source
            .into_iter()
            .map(|source| {
                let format = match source.format.as_str() {
                    "file" => RecordingFormat::File,
                    "journal-json" => RecordingFormat::JournalJson,
                    other => {
                        return Err(error(format!(
                            "source {}: unknown format {other:?} (file, journal-json)",
                            source.jail
                        )));
                    }
                };
                Ok(Recording {
                    jail: source.jail,
                    path: dir.join(source.file),
                    format,
                    journalmatch: Vec::new(),
                })
            })
            .collect::<Result<_, _>>()?;
        let ports_path = dir.join(&file.ports);
        let ports_error = |message: String| ScenarioError {
            path: ports_path.clone(),
            message,
        };
        let ports_text = std::fs::read_to_string(&ports_path)
            .map_err(|e| ports_error(format!("cannot read: {e}")))?;
        let sockets = toml::from_str::<PortsFile>(&ports_text)
            .map_err(|e| ports_error(e.to_string()))?
            .socket;
        Ok(Scenario {
            operator,
            zone,
            fail2ban_dir: dir.join(file.fail2ban),
            recordings,
            sockets,
            asterisk_dir: dir.join(file.asterisk),
        })
    }
}

fn parse_zone(text: &str) -> Option<Zone> {
    if text.eq_ignore_ascii_case("utc") {
        return Some(Zone::utc());
    }
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (hours, minutes) = text[1..].split_once(':')?;
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * seconds).map(Zone::Fixed)
}
