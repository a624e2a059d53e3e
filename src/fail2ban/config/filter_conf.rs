//! A filter's resolved options, ready to compile: from a jail as fail2ban's client sends it, or
//! read on its own as `fail2ban-regex` reads `filter.d/NAME[options]` (fail2ban's
//! `FilterReader`: its files and includes, `[Init]`, the options after the name, `%(...)s` and
//! `<tag>` substitution).

use super::definition::{DefinitionReader, config_files};
use super::jail_reader::FILTER_OPTIONS;
use super::merged::{Config, ConfigError, Origin, Section};
use super::options;
use super::resolved_jail::ResolvedJail;
use super::stream::JailStream;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// `usedns` as sent (fail2ban's default `warn` when unset).
    pub usedns: Option<String>,
}

impl FilterConf {
    /// The filter options fail2ban sends for `jail`; `path` is its filter file.
    pub fn of_jail(jail: &ResolvedJail, path: PathBuf) -> Self {
        FilterConf {
            path,
            prefregex: jail.prefregex.clone().filter(|p| !p.trim().is_empty()),
            failregex: jail.failregex.clone(),
            ignoreregex: jail.ignoreregex.clone(),
            datepattern: jail.datepattern.clone().filter(|d| !d.trim().is_empty()),
            maxlines: jail
                .maxlines
                .sent()
                .copied()
                .flatten()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(1),
            journalmatch: jail.journalmatch.clone(),
            usedns: jail.usedns.clone(),
        }
    }

    /// Reads filter `spec` (`name[opt=value, ...]`, or a path to a `.conf`) from `filter_dir`
    /// as `fail2ban-regex` does, with `vars` as the jail's options.
    pub fn load(spec: &str, filter_dir: &Path, vars: &Section) -> Result<Self, ConfigError> {
        let parsed = options::parse(spec).map_err(|message| ConfigError::Interpolation {
            section: "filter".to_string(),
            key: spec.to_string(),
            message,
        })?;
        let not_found = |path: PathBuf| ConfigError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such filter file"),
        };
        let (path, files) = if parsed.name.ends_with(".conf") || parsed.name.contains('/') {
            let path = PathBuf::from(&parsed.name);
            (path.clone(), vec![path])
        } else {
            let base = filter_dir.parent().unwrap_or(Path::new("."));
            let files = config_files(base, &format!("filter.d/{}", parsed.name));
            (filter_dir.join(format!("{}.conf", parsed.name)), files)
        };
        if files.is_empty() || !files.iter().any(|f| f.is_file()) {
            return Err(not_found(path));
        }
        let config = Config::load(&files)?;
        let written = Origin {
            file: Arc::from(Path::new(spec)),
            line: 0,
        };
        // Errors in the file name it: fail2ban-regex names the filter too.
        let in_file = |error: ConfigError| match error {
            ConfigError::Interpolation { .. } => ConfigError::InFile {
                path: path.clone(),
                message: error.to_string(),
            },
            other => other,
        };
        let logtype = vars.get("logtype").map_or("file", String::as_str);
        let mut reader =
            DefinitionReader::for_filter(Arc::new(config), parsed.options, &written, logtype);
        let present: HashSet<String> = vars.keys().cloned().collect();
        reader
            .read_options(vars, &present, &FILTER_OPTIONS, false)
            .map_err(in_file)?;
        let mut stream = JailStream::default();
        stream
            .fill_filter(reader.combined(&[]).map_err(in_file)?)
            .map_err(in_file)?;
        let mut jail = ResolvedJail::default();
        stream.fold_into(&mut jail, &mut Vec::new());
        Ok(FilterConf::of_jail(&jail, path))
    }
}
