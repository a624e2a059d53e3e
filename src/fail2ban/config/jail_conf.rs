//! The jails of a fail2ban configuration directory: `jail.conf`, `jail.d/*.conf`, `jail.local`,
//! `jail.d/*.local` (each with its includes), resolved into [`JailSettings`].

use super::duration::parse_seconds;
use super::merged::{Config, ConfigError, Section};
use crate::model::JailSettings;
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A jail's configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JailConfError {
    /// Reading the files failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A value is not what fail2ban accepts.
    #[error("[{jail}] {key} = {value:?}: {message}")]
    Value {
        /// The jail.
        jail: String,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong.
        message: String,
    },
}

/// A jail with the variables its filter is read with.
#[derive(Debug, Clone)]
pub struct JailConf {
    /// The resolved settings.
    pub settings: JailSettings,
    /// The jail's own options, passed to its filter as fail2ban does (`mode`, `logtype`, ...).
    pub filter_vars: Section,
}

/// The configuration files of `dir` in fail2ban's reading order.
pub(super) fn jail_files(dir: &Path) -> Vec<PathBuf> {
    let sorted = |pattern: &str| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("jail.d"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == pattern))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    };
    let mut files = vec![dir.join("jail.conf")];
    files.extend(sorted("conf"));
    files.push(dir.join("jail.local"));
    files.extend(sorted("local"));
    files.into_iter().filter(|f| f.is_file()).collect()
}

/// Reads the enabled jails of the configuration in `dir`, in file order.
pub fn read_jails(dir: &Path) -> Result<Vec<JailConf>, JailConfError> {
    let files = jail_files(dir);
    if files.is_empty() {
        let path = dir.join("jail.conf");
        return Err(ConfigError::Io {
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no jail.conf or jail.d/ here",
            ),
        }
        .into());
    }
    let config = Config::load(&files)?;
    let names: Vec<String> = config
        .sections()
        .filter(|name| *name != "INCLUDES" && !name.contains('/'))
        .map(str::to_string)
        .collect();
    let mut jails = Vec::new();
    for name in names {
        let value = |key: &str| config.get(&name, key, &Section::new());
        let enabled = value("enabled")?.unwrap_or_default();
        if !is_true(&enabled) {
            continue;
        }
        jails.push(resolve(&config, &name)?);
    }
    Ok(jails)
}

fn is_true(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "1" | "on"
    )
}

fn resolve(config: &Config, name: &str) -> Result<JailConf, JailConfError> {
    let get = |key: &str| -> Result<String, JailConfError> {
        Ok(config.get(name, key, &Section::new())?.unwrap_or_default())
    };
    let seconds = |key: &str| -> Result<i64, JailConfError> {
        let value = get(key)?;
        parse_seconds(&value).map_err(|message| JailConfError::Value {
            jail: name.to_string(),
            key: key.to_string(),
            value,
            message,
        })
    };
    let maxretry_text = get("maxretry")?;
    let maxretry = maxretry_text
        .trim()
        .parse()
        .map_err(|_| JailConfError::Value {
            jail: name.to_string(),
            key: "maxretry".to_string(),
            value: maxretry_text.clone(),
            message: "not a whole number".to_string(),
        })?;
    let backend = get("backend")?;
    let mut filter_vars = Section::new();
    for key in config.keys(name) {
        if let Ok(Some(value)) = config.get(name, key, &Section::new()) {
            filter_vars.insert(key.to_string(), value);
        }
    }
    let logtype = if backend.trim().starts_with("systemd") {
        "journal"
    } else {
        "file"
    };
    filter_vars
        .entry("logtype".to_string())
        .or_insert_with(|| logtype.to_string());
    let ignoreip_text = get("ignoreip")?;
    let settings = JailSettings {
        name: name.to_string(),
        filter: get("filter")?,
        maxretry,
        findtime: seconds("findtime")?,
        bantime: seconds("bantime")?,
        ignoreip: parse_ignoreip(&ignoreip_text).map_err(|message| JailConfError::Value {
            jail: name.to_string(),
            key: "ignoreip".to_string(),
            value: ignoreip_text.clone(),
            message,
        })?,
        logpath: get("logpath")?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        backend,
        // The action is only displayed: an unresolvable one is shown as written.
        action: config
            .get(name, "action", &Section::new())
            .ok()
            .flatten()
            .or_else(|| {
                config
                    .raw(name, "action", &Section::new())
                    .map(str::to_string)
            })
            .unwrap_or_default(),
        port: get("port")?,
        // fail2ban's defaults when unset: ignore the server itself, fixed ban times.
        ignoreself: config
            .get(name, "ignoreself", &Section::new())?
            .is_none_or(|v| is_true(&v)),
        bantime_increment: config
            .get(name, "bantime.increment", &Section::new())?
            .is_some_and(|v| is_true(&v)),
    };
    Ok(JailConf {
        settings,
        filter_vars,
    })
}

/// Addresses and networks separated by spaces or commas; host names are not supported yet.
pub fn parse_ignoreip(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| format!("{entry:?} is not an address or network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignoreip_takes_addresses_and_networks() {
        let nets = parse_ignoreip("127.0.0.1/8 ::1, 192.0.2.10");
        assert_eq!(
            nets.map(|n| n.iter().map(ToString::to_string).collect::<Vec<_>>()),
            Ok(vec![
                "127.0.0.0/8".to_string(),
                "::1/128".to_string(),
                "192.0.2.10/32".to_string()
            ])
        );
        assert!(parse_ignoreip("10.0.0.1; rm -rf /").is_err());
    }
}
