//! Reading a filter from `filter.d/` the way fail2ban's `FilterReader` does: the file with its
//! includes and `.local`, the jail's options and `filter = name[...]` options as variables,
//! `[Init]` options, `%(...)s` interpolation and then `<tag>` substitution.

use super::merged::{Config, ConfigError, Section};
use super::{options, tags};
use std::path::{Path, PathBuf};

/// A filter's resolved option values, before regex compilation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterConf {
    /// The file the filter came from.
    pub path: PathBuf,
    /// `prefregex`, if any.
    pub(crate) prefregex: Option<String>,
    /// `failregex` lines.
    pub failregex: Vec<String>,
    /// `ignoreregex` lines.
    pub(crate) ignoreregex: Vec<String>,
    /// `datepattern`, if any.
    pub datepattern: Option<String>,
    /// `maxlines` (1 when unset).
    pub(crate) maxlines: usize,
    /// `journalmatch` lines.
    pub(crate) journalmatch: Vec<String>,
}

/// The definition options fail2ban's filter reader reads.
const DEFINITION_OPTIONS: [&str; 6] = [
    "prefregex",
    "failregex",
    "ignoreregex",
    "datepattern",
    "maxlines",
    "journalmatch",
];

impl FilterConf {
    /// Reads filter `spec` (`name[opt=value, ...]` or a path to a `.conf`) from `filter_dir`,
    /// with `jail_vars` (the jail's own options) as variables, as fail2ban does.
    pub fn load(spec: &str, filter_dir: &Path, jail_vars: &Section) -> Result<Self, ConfigError> {
        let parsed = options::parse(spec).map_err(|message| ConfigError::Interpolation {
            section: "filter".to_string(),
            key: spec.to_string(),
            message,
        })?;
        let path = if parsed.name.ends_with(".conf") || parsed.name.contains('/') {
            PathBuf::from(&parsed.name)
        } else {
            filter_dir.join(format!("{}.conf", parsed.name))
        };
        if !path.is_file() {
            return Err(ConfigError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such filter file"),
            });
        }
        let config = Config::load(std::slice::from_ref(&path))?;
        // Interpolation errors do not know their file: this filter is it.
        let in_file = |error: ConfigError| match error {
            ConfigError::Interpolation { .. } => ConfigError::InFile {
                path: path.clone(),
                message: error.to_string(),
            },
            other => other,
        };
        let mut init: Section = parsed.options;
        let mut vars: Section = jail_vars.clone();
        vars.extend(init.clone());
        let mut combined = Section::new();
        for option in DEFINITION_OPTIONS {
            if let Some(value) = config.get("Definition", option, &vars).map_err(in_file)? {
                combined.insert(option.to_string(), value);
            }
        }
        if config.has_section("Init") {
            for key in config.keys("Init") {
                if let Some(value) = config.get("Init", key, &Section::new()).map_err(in_file)? {
                    init.entry(format!("known/{key}"))
                        .or_insert_with(|| value.clone());
                    init.entry(key.to_string()).or_insert(value);
                }
            }
        }
        combined.extend(init);
        let mut resolved = Section::new();
        for option in DEFINITION_OPTIONS {
            let Some(value) = combined.get(option) else {
                continue;
            };
            let mut lookup = |tag: &str| -> Option<String> {
                if tag != option
                    && let Some(value) = combined.get(tag)
                {
                    return Some(value.clone());
                }
                config.get("Definition", tag, &vars).ok().flatten()
            };
            let value = tags::substitute(value, &mut lookup).map_err(|message| {
                ConfigError::Interpolation {
                    section: "Definition".to_string(),
                    key: option.to_string(),
                    message,
                }
            })?;
            resolved.insert(option.to_string(), value);
        }
        let lines = |key: &str| -> Vec<String> {
            resolved
                .get(key)
                .map(|v| {
                    v.lines()
                        .map(str::to_string)
                        .filter(|l| !l.trim().is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let maxlines = match resolved.get("maxlines").map(|v| v.trim()) {
            None | Some("") => 1,
            Some(text) => text.parse().map_err(|_| ConfigError::Interpolation {
                section: "Definition".to_string(),
                key: "maxlines".to_string(),
                message: format!("{text:?} is not a whole number"),
            })?,
        };
        Ok(FilterConf {
            prefregex: resolved
                .get("prefregex")
                .filter(|v| !v.trim().is_empty())
                .cloned(),
            failregex: lines("failregex"),
            ignoreregex: lines("ignoreregex"),
            datepattern: resolved
                .get("datepattern")
                .filter(|v| !v.trim().is_empty())
                .cloned(),
            maxlines,
            journalmatch: lines("journalmatch"),
            path,
        })
    }
}
