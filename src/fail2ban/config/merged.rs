//! A fail2ban configuration as fail2ban merges it: each file preceded by its `[INCLUDES]
//! before` and followed by its `.local` and `after` files, later files overriding earlier ones
//! key by key (the overridden values stay reachable as `%(known/key)s`), and `%(name)s`
//! interpolation with `%(section/name)s`, `%(known/name)s` and `%(default/name)s`.

use super::ini::{self, IniError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Keys of one section.
pub type Section = HashMap<String, String>;

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
    defaults: Section,
    sections: HashMap<String, Section>,
    order: Vec<String>,
}

/// configparser's limit on nested `%(...)s`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

impl Config {
    /// Reads `files` in order (each with its includes and `.local`), skipping missing ones.
    pub(crate) fn load(files: &[PathBuf]) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        let mut expanded = Vec::new();
        for file in with_local(files) {
            expand_includes(&file, &mut Vec::new(), &mut expanded)?;
        }
        for path in expanded {
            let text = read_text(&path)?;
            config.merge(ini::parse(&text, &path)?);
        }
        Ok(config)
    }

    /// Section names (not `DEFAULT`, not `KNOWN/...`) in the order they first appeared.
    pub(super) fn sections(&self) -> impl Iterator<Item = &str> {
        self.order
            .iter()
            .map(String::as_str)
            .filter(|name| !name.starts_with("KNOWN/"))
    }

    /// Whether a section exists.
    pub(super) fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// Keys set in the section itself (without the defaults).
    pub(super) fn keys(&self, section: &str) -> Vec<&str> {
        self.sections
            .get(section)
            .map(|keys| keys.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The raw value: `vars`, then the section, then `[DEFAULT]`.
    pub(super) fn raw<'a>(
        &'a self,
        section: &str,
        key: &str,
        vars: &'a Section,
    ) -> Option<&'a str> {
        vars.get(key)
            .or_else(|| self.sections.get(section).and_then(|keys| keys.get(key)))
            .or_else(|| self.defaults.get(key))
            .map(String::as_str)
    }

    /// The interpolated value of `key` in `section`, or `None` when it is not set.
    /// `key` may be `section/name`, `known/name` or `default/name`, as in fail2ban's `get_ex`.
    pub(crate) fn get(
        &self,
        section: &str,
        key: &str,
        vars: &Section,
    ) -> Result<Option<String>, ConfigError> {
        let key = key.to_lowercase();
        let Some(raw) = self.lookup(section, &key, vars) else {
            return Ok(None);
        };
        self.interpolate(self.context(section, &key), &key, raw, vars, 0)
            .map(Some)
    }

    /// The section a value found under `key` is interpolated in: the named one for
    /// `%(section/option)s` (as fail2ban's parser does), else the current one.
    fn context<'a>(&'a self, section: &'a str, key: &str) -> &'a str {
        match key.split_once('/') {
            Some((qualifier, _)) if qualifier != "default" && qualifier != "known" => self
                .sections
                .keys()
                .find(|name| name.eq_ignore_ascii_case(qualifier))
                .map_or(section, String::as_str),
            _ => section,
        }
    }

    /// Resolves a possibly qualified name the way fail2ban maps `%(sec/opt)s`.
    fn lookup<'a>(&'a self, section: &str, key: &str, vars: &'a Section) -> Option<&'a str> {
        if let Some(raw) = vars.get(key) {
            return Some(raw);
        }
        if let Some((qualifier, name)) = key.split_once('/') {
            let from_section = match qualifier {
                "default" => None,
                "known" => self
                    .sections
                    .get(&format!("KNOWN/{section}"))
                    .and_then(|keys| keys.get(name)),
                other => self.section_ci(other).and_then(|keys| keys.get(name)),
            };
            if let Some(raw) = from_section {
                return Some(raw);
            }
            if qualifier == "default" || qualifier == "known" {
                return self.defaults.get(name).map(String::as_str);
            }
        }
        if key == "__name__" {
            return self
                .order
                .iter()
                .find(|name| *name == section)
                .map(String::as_str);
        }
        self.sections
            .get(section)
            .and_then(|keys| keys.get(key))
            .or_else(|| self.defaults.get(key))
            .map(String::as_str)
    }

    /// A section by name, ignoring case (names in `%(...)s` are lower-cased by configparser).
    fn section_ci(&self, name: &str) -> Option<&Section> {
        self.sections.get(name).or_else(|| {
            self.sections
                .iter()
                .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
                .map(|(_, keys)| keys)
        })
    }

    fn interpolate(
        &self,
        section: &str,
        key: &str,
        raw: &str,
        vars: &Section,
        depth: usize,
    ) -> Result<String, ConfigError> {
        let error = |message: String| ConfigError::Interpolation {
            section: section.to_string(),
            key: key.to_string(),
            message,
        };
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(error(format!(
                "more than {MAX_INTERPOLATION_DEPTH} nested %(...)s (a reference loop?)"
            )));
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(after) = rest.strip_prefix('%') {
                out.push('%');
                rest = after;
            } else if let Some(inner) = rest.strip_prefix('(') {
                let Some(end) = inner.find(")s") else {
                    return Err(error(format!("unterminated %(...)s in {raw:?}")));
                };
                let name = inner[..end].to_lowercase();
                let Some(value) = self.lookup(section, &name, vars) else {
                    return Err(error(format!("%({name})s is not defined")));
                };
                let context = self.context(section, &name);
                out.push_str(&self.interpolate(context, &name, value, vars, depth + 1)?);
                rest = &inner[end + 2..];
            } else {
                return Err(error(format!(
                    "'%' must be followed by '%' or '(' in {raw:?}"
                )));
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn merge(&mut self, file: ini::IniFile) {
        self.defaults.extend(file.defaults);
        for (name, keys) in file.sections {
            match self.sections.get_mut(&name) {
                Some(existing) => {
                    let known: Vec<(String, String)> = keys
                        .iter()
                        .filter_map(|(key, _)| {
                            existing.get(key).map(|old| (key.clone(), old.clone()))
                        })
                        .collect();
                    existing.extend(keys);
                    let known_name = format!("KNOWN/{name}");
                    if !self.sections.contains_key(&known_name) {
                        self.order.push(known_name.clone());
                    }
                    self.sections.entry(known_name).or_default().extend(known);
                }
                None => {
                    self.order.push(name.clone());
                    self.sections.insert(name, keys.into_iter().collect());
                }
            }
        }
    }
}

/// Each file followed by its `.local` sibling when that exists and is not listed already.
fn with_local(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in files {
        out.push(file.clone());
        let local = file.with_extension("local");
        if local != *file && !files.contains(&local) && local.is_file() {
            out.push(local);
        }
    }
    out
}

/// Appends `path` with its includes (before first, after last) to `out`, skipping loops.
fn expand_includes(
    path: &Path,
    seen: &mut Vec<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<(), ConfigError> {
    if seen.contains(&path.to_path_buf()) || !path.is_file() {
        return Ok(());
    }
    let text = read_text(path)?;
    let file = ini::parse(&text, path)?;
    let includes = file
        .sections
        .iter()
        .find(|(name, _)| name == "INCLUDES")
        .map(|(_, keys)| keys.clone())
        .unwrap_or_default();
    let dir = path.parent().unwrap_or(Path::new("."));
    let listed = |which: &str| -> Vec<PathBuf> {
        includes
            .iter()
            .filter(|(key, _)| key == which)
            .flat_map(|(_, value)| {
                value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| dir.join(l))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    seen.push(path.to_path_buf());
    for before in with_local(&listed("before")) {
        expand_includes(&before, seen, out)?;
    }
    out.push(path.to_path_buf());
    for after in with_local(&listed("after")) {
        expand_includes(&after, seen, out)?;
    }
    seen.pop();
    Ok(())
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
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
            "[INCLUDES]\nbefore = common.conf\n[DEFAULT]\n_daemon = sshd\n[Definition]\nfailregex = %(prefix)s x <HOST>\ndp = %(lt_file/datepattern)s\nbad = %(nope)s\n",
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
        let error = config
            .get("Definition", "bad", &Section::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("[Definition] bad: %(nope)s is not defined")
        );
    }
}
