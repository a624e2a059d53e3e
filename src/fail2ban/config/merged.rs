//! A fail2ban configuration as fail2ban's `SafeConfigParserWithIncludes` merges it: each file
//! preceded by its `[INCLUDES] before` and followed by its `.local` and `after` files, later
//! files overriding earlier ones key by key (the overridden values stay reachable as
//! `%(known/key)s`), and configparser's `%(name)s` interpolation with fail2ban's additions
//! (`%(section/name)s`, `%(known/name)s`, `%(default/name)s`, `%(__name__)s`). Every value
//! keeps the file and line it was written on, and the places it overrode.

use super::ini::{self, IniError};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Keys of one section, or variables passed to a look-up, in insertion order.
pub type Section = IndexMap<String, String>;

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: Arc<Path>,
    /// The 1-based line of `key = ...`; 0 when the value was set by the reader, not a file.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
struct Value {
    text: String,
    origin: Origin,
}

/// Reading or resolving configuration failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid ini.
    #[error(transparent)]
    Syntax(#[from] IniError),
    /// Something wrong in a given file.
    #[error("{}: {message}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `%(...)s` could not be resolved.
    #[error("[{section}] {key}: {message}")]
    Interpolation {
        /// The section being read.
        section: String,
        /// The key being read.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// All files merged, ready for look-ups.
#[derive(Debug, Clone, Default)]
pub struct Config {
    defaults: IndexMap<String, Value>,
    sections: IndexMap<String, IndexMap<String, Value>>,
    /// For `(section, key)`: the places an earlier value was written, oldest first.
    overridden: HashMap<(String, String), Vec<Origin>>,
    /// Files that could not be read or decoded and were skipped, as fail2ban skips them.
    pub(crate) skipped_files: Vec<String>,
}

/// configparser's limit on nested `%(...)s`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// What a look-up found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup {
    /// The interpolated value.
    Found(String),
    /// The section has no such key (configparser's `NoOptionError`).
    NoOption,
    /// There is no such section (`NoSectionError`).
    NoSection,
}

impl Lookup {
    /// The value, if found.
    pub(crate) fn found(self) -> Option<String> {
        match self {
            Lookup::Found(value) => Some(value),
            _ => None,
        }
    }
}

impl Config {
    /// Reads `files` in order (each with its includes and `.local`), skipping missing ones.
    pub(crate) fn load(files: &[PathBuf]) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        config.read(files)?;
        Ok(config)
    }

    /// Reads more files into this configuration, as configparser's `read` does: files that
    /// cannot be read or decoded are skipped (and listed in `skipped_files`), a syntax error
    /// stops everything.
    pub(crate) fn read(&mut self, files: &[PathBuf]) -> Result<bool, ConfigError> {
        let mut expanded = Vec::new();
        for file in with_local(files) {
            expand_includes(&file, &[], &mut expanded, &mut self.skipped_files)?;
        }
        let mut any = false;
        for (path, file) in expanded {
            self.merge(&path, file);
            any = true;
        }
        Ok(any)
    }

    /// Section names (not `KNOWN/...`) in the order they first appeared.
    pub(crate) fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections
            .keys()
            .map(String::as_str)
            .filter(|name| !name.starts_with("KNOWN/"))
    }

    /// Whether a section exists.
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// Keys set in the section itself (without the defaults), in file order.
    pub(crate) fn keys(&self, section: &str) -> Vec<&str> {
        self.sections
            .get(section)
            .map(|keys| keys.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Keys of the section and of `[DEFAULT]`, each once.
    pub(crate) fn keys_with_defaults(&self, section: &str) -> Vec<&str> {
        let mut keys = self.keys(section);
        for key in self.defaults.keys() {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
        keys
    }

    /// Whether the section itself (not `[DEFAULT]`) sets `key`.
    pub(crate) fn has_own_key(&self, section: &str, key: &str) -> bool {
        self.sections
            .get(section)
            .is_some_and(|keys| keys.contains_key(key))
    }

    /// Adds values to `[DEFAULT]` (fail2ban's `merge_defaults`).
    pub(crate) fn merge_defaults(&mut self, values: &[(&str, &str)], origin: &Origin) {
        for (key, text) in values {
            self.defaults.insert(
                (*key).to_string(),
                Value {
                    text: (*text).to_string(),
                    origin: origin.clone(),
                },
            );
        }
    }

    /// Adds `values` to `section`, each key prefixed with `prefix` (fail2ban's `merge_section`,
    /// which puts a filter's resolved options into its jail as `known/...`).
    pub(crate) fn merge_section(
        &mut self,
        section: &str,
        values: &IndexMap<String, (String, Origin)>,
        prefix: &str,
    ) {
        let keys = self.sections.entry(section.to_string()).or_default();
        for (key, (text, origin)) in values {
            if key.starts_with(prefix) || key == "__name__" {
                continue;
            }
            keys.insert(
                format!("{prefix}{key}"),
                Value {
                    text: text.clone(),
                    origin: origin.clone(),
                },
            );
        }
    }

    /// The raw value: `vars`, then the section, then `[DEFAULT]`.
    pub(crate) fn raw<'a>(
        &'a self,
        section: &str,
        key: &str,
        vars: &'a Section,
    ) -> Option<&'a str> {
        vars.get(key)
            .map(String::as_str)
            .or_else(|| self.stored(section, key).map(|v| v.text.as_str()))
    }

    fn stored(&self, section: &str, key: &str) -> Option<&Value> {
        self.sections
            .get(section)
            .and_then(|keys| keys.get(key))
            .or_else(|| self.defaults.get(key))
    }

    /// Where `key` of `section` was written (the section, else `[DEFAULT]`), and the places
    /// it overrode, oldest first.
    pub(crate) fn origin(&self, section: &str, key: &str) -> Option<(Origin, Vec<Origin>)> {
        let in_section = self.sections.get(section).and_then(|keys| keys.get(key));
        let (value, owner) = match in_section {
            Some(value) => (value, section),
            None => (self.defaults.get(key)?, "DEFAULT"),
        };
        let overrode = self
            .overridden
            .get(&(owner.to_string(), key.to_string()))
            .cloned()
            .unwrap_or_default();
        Some((value.origin.clone(), overrode))
    }

    /// The interpolated value of `key` in `section`, or `None` when it is not set (or the
    /// section does not exist).
    pub(crate) fn get(
        &self,
        section: &str,
        key: &str,
        vars: &Section,
    ) -> Result<Option<String>, ConfigError> {
        self.lookup(section, key, vars).map(Lookup::found)
    }

    /// configparser's `get`: the value of `key` in `section` with `vars` first, interpolated.
    pub(crate) fn lookup(
        &self,
        section: &str,
        key: &str,
        vars: &Section,
    ) -> Result<Lookup, ConfigError> {
        if section != "DEFAULT" && !self.sections.contains_key(section) {
            return Ok(Lookup::NoSection);
        }
        let key = key.to_lowercase();
        let Some(raw) = self.raw(section, &key, vars) else {
            return Ok(Lookup::NoOption);
        };
        let mut out = String::with_capacity(raw.len());
        self.interpolate(section, &key, raw, raw, vars, 1, &mut out)?;
        Ok(Lookup::Found(out))
    }

    /// fail2ban's `get_ex`: `section/name`, `known/name` and `default/name` name other sections
    /// (each read in its own context), else a plain `get` with `vars`.
    pub(crate) fn get_ex(
        &self,
        section: &str,
        key: &str,
        vars: &Section,
    ) -> Result<Lookup, ConfigError> {
        if let Some((qualifier, name)) = section_option(key) {
            let lower = qualifier.to_lowercase();
            let places: Vec<String> = match lower.as_str() {
                "known" => vec![format!("KNOWN/{section}"), section.to_string()],
                "default" => vec!["DEFAULT".to_string()],
                _ => vec![qualifier.to_string()],
            };
            for place in places {
                if let Lookup::Found(value) = self.lookup(&place, name, &Section::new())? {
                    return Ok(Lookup::Found(value));
                }
            }
        }
        self.lookup(section, key, vars)
    }

    /// A name referenced as `%(name)s` while interpolating `rest` in `section`, as fail2ban's
    /// parser maps it (`__name__` is handled by the caller): `vars`, the section and
    /// `[DEFAULT]` first; else a `qualifier/option` reference written in lower case.
    fn referenced<'a>(
        &'a self,
        section: &str,
        name: &str,
        written: &str,
        vars: &'a Section,
    ) -> Option<&'a str> {
        if let Some(raw) = self.raw(section, name, vars) {
            return Some(raw);
        }
        // The parser stores the reference under its written spelling and looks it up in lower
        // case: `%(KNOWN/x)s` is never found.
        if written != name {
            return None;
        }
        let (qualifier, option) = section_option_subst(name)?;
        let from_default = || self.defaults.get(option).map(|v| v.text.as_str());
        match qualifier.to_lowercase().as_str() {
            "default" => from_default(),
            "known" => self
                .sections
                .get(&format!("KNOWN/{section}"))
                .and_then(|keys| keys.get(option))
                .map(|v| v.text.as_str())
                .or_else(from_default),
            _ => {
                let keys = self.sections.get(qualifier)?;
                keys.get(option)
                    .map(|v| v.text.as_str())
                    .or_else(from_default)
            }
        }
    }

    /// configparser's `BasicInterpolation._interpolate_some`: every `%(...)s` of `rest` is
    /// looked up and interpolated in turn, in the same section, at most ten levels deep.
    #[allow(clippy::too_many_arguments)]
    fn interpolate(
        &self,
        section: &str,
        key: &str,
        raw: &str,
        rest: &str,
        vars: &Section,
        depth: usize,
        out: &mut String,
    ) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::Interpolation {
            section: section.to_string(),
            key: key.to_string(),
            message,
        };
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(error(format!(
                "more than {MAX_INTERPOLATION_DEPTH} nested %(...)s (a reference loop?) in {raw:?}"
            )));
        }
        let mut rest = rest;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            match rest[1..].chars().next() {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some('(') => {
                    let close = rest[2..].find(')').map(|i| i + 2);
                    let Some(close) = close.filter(|&c| c > 2 && rest[c + 1..].starts_with('s'))
                    else {
                        return Err(error(format!(
                            "bad interpolation variable reference {rest:?}"
                        )));
                    };
                    let written = &rest[2..close];
                    let name = written.to_lowercase();
                    rest = &rest[close + 2..];
                    let value = if name == "__name__" {
                        Some(section)
                    } else {
                        self.referenced(section, &name, written, vars)
                    };
                    let Some(value) = value else {
                        return Err(error(format!(
                            "%({name})s is not defined (raw value {raw:?})"
                        )));
                    };
                    if value.contains('%') {
                        self.interpolate(section, key, raw, value, vars, depth + 1, out)?;
                    } else {
                        out.push_str(value);
                    }
                }
                _ => {
                    return Err(error(format!(
                        "'%' must be followed by '%' or '(', found {rest:?}"
                    )));
                }
            }
        }
        out.push_str(rest);
        Ok(())
    }

    /// Adds one file's sections as fail2ban's reader does: `[DEFAULT]` keys replace earlier
    /// ones, `[name?cond]` keys become `key?cond` of `[name]`, and a key that replaces an
    /// earlier one keeps that one as `known/key`.
    fn merge(&mut self, path: &Path, file: ini::IniFile) {
        let path: Arc<Path> = Arc::from(path);
        let value = |entry: &ini::Entry| Value {
            text: entry.value.clone(),
            origin: Origin {
                file: path.clone(),
                line: entry.line,
            },
        };
        for entry in &file.defaults {
            if let Some(old) = self.defaults.insert(entry.key.clone(), value(entry)) {
                self.remember("DEFAULT", &entry.key, old.origin);
            }
        }
        for (name, entries) in &file.sections {
            let (name, condition) = match conditional(name) {
                Some((base, condition)) => (base, condition),
                None => (name.as_str(), ""),
            };
            let keyed: Vec<(String, Value)> = entries
                .iter()
                .map(|e| (format!("{}{condition}", e.key), value(e)))
                .collect();
            if let Some(existing) = self.sections.get(name) {
                let known: Vec<(String, Value)> = keyed
                    .iter()
                    .filter_map(|(key, _)| existing.get(key).map(|old| (key.clone(), old.clone())))
                    .collect();
                self.sections
                    .entry(format!("KNOWN/{name}"))
                    .or_default()
                    .extend(known);
            }
            let section = self.sections.entry(name.to_string()).or_default();
            let mut replaced = Vec::new();
            for (key, value) in keyed {
                if let Some(old) = section.insert(key.clone(), value) {
                    replaced.push((key, old.origin));
                }
            }
            for (key, origin) in replaced {
                self.remember(name, &key, origin);
            }
        }
    }

    fn remember(&mut self, section: &str, key: &str, origin: Origin) {
        self.overridden
            .entry((section.to_string(), key.to_string()))
            .or_default()
            .push(origin);
    }
}

/// fail2ban's `CONDITIONAL_RE` (`^(\w+)(\?.+)$`): `name?cond` -> (`name`, `?cond`).
pub(crate) fn conditional(name: &str) -> Option<(&str, &str)> {
    let at = name.find('?')?;
    let base = &name[..at];
    let word = !base.is_empty() && base.chars().all(|c| c.is_alphanumeric() || c == '_');
    (word && name.len() > at + 1).then(|| (base, &name[at..]))
}

/// fail2ban's `SECTION_OPTNAME_CRE` (`^([\w\-]+)/([^\s>]+)$`).
fn section_option(key: &str) -> Option<(&str, &str)> {
    let (qualifier, name) = key.split_once('/')?;
    let qualifier_ok = !qualifier.is_empty()
        && qualifier
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    let name_ok = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '>');
    (qualifier_ok && name_ok).then_some((qualifier, name))
}

/// fail2ban's `SECTION_OPTSUBST_CRE` inside `%(...)s`: `[\w\-]+/[^)]+`.
fn section_option_subst(name: &str) -> Option<(&str, &str)> {
    let (qualifier, option) = name.split_once('/')?;
    let qualifier_ok = !qualifier.is_empty()
        && qualifier
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (qualifier_ok && !option.is_empty()).then_some((qualifier, option))
}

/// Each file followed by its `.local` sibling when that exists and is not listed already.
fn with_local(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in files {
        out.push(file.clone());
        let local = file.with_extension("local");
        if !files.contains(&local) && local.is_file() {
            out.push(local);
        }
    }
    out
}

/// Appends `path` with its includes (before first, after last) to `out`; a file already on
/// the include path is not followed again (fail2ban's simple loop guard).
fn expand_includes(
    path: &Path,
    seen: &[PathBuf],
    out: &mut Vec<(PathBuf, ini::IniFile)>,
    skipped: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let text = match read_text(path) {
        Ok(text) => text,
        Err(error) => {
            if path.exists() {
                skipped.push(error.to_string());
            }
            return Ok(());
        }
    };
    let file = ini::parse(&text, path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let listed = |which: &str| -> Vec<PathBuf> {
        file.sections
            .iter()
            .filter(|(name, _)| name == "INCLUDES")
            .flat_map(|(_, keys)| keys.iter().filter(|e| e.key == which))
            .flat_map(|entry| {
                entry
                    .value
                    .split('\n')
                    .map(|l| dir.join(l))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (before, after) = (listed("before"), listed("after"));
    let mut inner_seen = seen.to_vec();
    inner_seen.push(path.to_path_buf());
    for include in with_local(&before) {
        if !seen.contains(&include) {
            expand_includes(&include, &inner_seen, out, skipped)?;
        }
    }
    out.push((path.to_path_buf(), file));
    for include in with_local(&after) {
        if !seen.contains(&include) {
            expand_includes(&include, &inner_seen, out, skipped)?;
        }
    }
    Ok(())
}

/// The largest configuration file read (fail2ban's own are a few kilobytes).
const LARGEST_FILE: u64 = 64 << 20;

/// A file as text: unreadable, not UTF-8, larger than [`LARGEST_FILE`] or not a regular file
/// (a FIFO would hang the reader) is an error naming it.
fn read_text(path: &Path) -> Result<String, ConfigError> {
    crate::state_file::read_named(path, LARGEST_FILE).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).ok();
        }
        std::fs::write(&path, text).ok();
        path
    }

    fn get(config: &Config, section: &str, key: &str) -> Option<String> {
        config.get(section, key, &Section::new()).ok().flatten()
    }

    #[test]
    fn local_overrides_and_known_keeps_the_previous_value() {
        let dir = tempfile::tempdir().ok();
        let dir = dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/nonexistent"));
        let conf = write(
            dir,
            "jail.conf",
            "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1\n[sshd]\nmaxretry = 5\nport = ssh\n",
        );
        let dropin = write(
            dir,
            "jail.d/wazo.conf",
            "[sshd]\nmaxretry = 3\nignoreip = %(known/ignoreip)s 192.0.2.10\n",
        );
        write(dir, "jail.local", "[sshd]\nport = 2222\n");
        let config = Config::load(&[conf, dir.join("jail.local"), dropin]);
        let config = config.ok().unwrap_or_default();
        assert_eq!(get(&config, "sshd", "maxretry").as_deref(), Some("3"));
        assert_eq!(get(&config, "sshd", "port").as_deref(), Some("2222"));
        assert_eq!(
            get(&config, "sshd", "ignoreip").as_deref(),
            Some("127.0.0.1/8 ::1 192.0.2.10")
        );
        let origin = config.origin("sshd", "maxretry");
        let text = origin.map(|(o, before)| (o.to_string(), before.len()));
        assert!(text.is_some_and(|(o, n)| o.ends_with("jail.d/wazo.conf:2") && n == 1));
    }

    #[test]
    fn includes_come_before_and_interpolation_reaches_other_sections() {
        let dir = tempfile::tempdir().ok();
        let dir = dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/nonexistent"));
        write(
            dir,
            "common.conf",
            "[DEFAULT]\n_daemon = \\S*\nprefix = ^%(_daemon)s:\n[lt_file]\ndatepattern = {^LN-BEG}\n",
        );
        let filter = write(
            dir,
            "f.conf",
            "[INCLUDES]\nbefore = common.conf\n[DEFAULT]\n_daemon = sshd\n[Definition]\nfailregex = %(prefix)s x <HOST>\ndp = %(lt_file/datepattern)s\nbad = %(nope)s\nname = %(__name__)s\n",
        );
        let config = Config::load(&[filter]).ok().unwrap_or_default();
        assert_eq!(
            get(&config, "Definition", "failregex").as_deref(),
            Some("^sshd: x <HOST>")
        );
        assert_eq!(
            get(&config, "Definition", "dp").as_deref(),
            Some("{^LN-BEG}")
        );
        assert_eq!(
            get(&config, "Definition", "name").as_deref(),
            Some("Definition")
        );
        let error = config
            .get("Definition", "bad", &Section::new())
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("[Definition] bad: %(nope)s is not defined")));
    }

    #[test]
    fn a_self_reference_through_known_is_a_depth_error_not_a_hang() {
        let dir = tempfile::tempdir().ok();
        let dir = dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or(Path::new("/nonexistent"));
        let a = write(dir, "a.conf", "[j]\nx = 1\n");
        let b = write(dir, "b.conf", "[j]\nx = %(known/x)s 2\n");
        let c = write(dir, "c.conf", "[j]\nx = %(known/x)s 3\n");
        let config = Config::load(&[a.clone(), b.clone()])
            .ok()
            .unwrap_or_default();
        assert_eq!(get(&config, "j", "x").as_deref(), Some("1 2"));
        let config = Config::load(&[a, b, c]).ok().unwrap_or_default();
        assert!(config.get("j", "x", &Section::new()).is_err());
    }
}
