//! The Asterisk config format: `[name]`, templates `[name](!)`, inheritance `[name](a,b)`,
//! additions `[name](+)`, `key = value` and `key => value`, `;` comments and `;-- --;` blocks,
//! `#include` / `#tryinclude` relative to the config directory. Section names may repeat
//! (pjsip.conf gives an endpoint, its aor and its auth one name), so sections are a list.

use std::path::{Path, PathBuf};

/// Where a value was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as written (Asterisk keys are case-insensitive; compare with `eq_ignore_ascii_case`).
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// Where it was written.
    pub origin: Origin,
}

/// A section with its own entries (templates not applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its name.
    pub name: String,
    /// `(!)`: a template, not an object.
    pub is_template: bool,
    /// Templates it inherits from, in order.
    pub templates: Vec<String>,
    /// Its own entries, in file order.
    pub entries: Vec<Entry>,
}

/// A config file with everything it includes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AsteriskConf {
    /// Sections in file order.
    pub sections: Vec<Section>,
    /// The section new entries go to.
    open: Option<usize>,
}

/// Reading failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not valid.
    #[error("{origin}: {message}")]
    Syntax {
        /// Where.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
}

/// How deep `#include` may nest.
const MAX_INCLUDE_DEPTH: usize = 10;

impl AsteriskConf {
    /// Reads `path`; relative includes resolve in `config_dir`.
    pub fn load(path: &Path, config_dir: &Path) -> Result<Self, ConfError> {
        let mut conf = AsteriskConf::default();
        conf.read(path, config_dir, 0)?;
        Ok(conf)
    }

    fn read(&mut self, path: &Path, config_dir: &Path, depth: usize) -> Result<(), ConfError> {
        let bytes = std::fs::read(path).map_err(|source| ConfError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let mut in_block_comment = false;
        for (index, raw) in text.lines().enumerate() {
            let origin = Origin {
                path: path.to_path_buf(),
                line: index + 1,
            };
            let line = strip_comments(raw, &mut in_block_comment);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(directive) = line.strip_prefix('#') {
                let (word, argument) = directive
                    .split_once(char::is_whitespace)
                    .unwrap_or((directive, ""));
                let target = argument
                    .trim()
                    .trim_matches(|c| c == '"' || c == '<' || c == '>');
                let target = if Path::new(target).is_absolute() {
                    PathBuf::from(target)
                } else {
                    config_dir.join(target)
                };
                match word {
                    "include" | "tryinclude" if depth >= MAX_INCLUDE_DEPTH => {
                        return Err(ConfError::Syntax {
                            origin,
                            message: format!("#include nested more than {MAX_INCLUDE_DEPTH} deep"),
                        });
                    }
                    "include" => self.read(&target, config_dir, depth + 1)?,
                    "tryinclude" if target.is_file() => {
                        self.read(&target, config_dir, depth + 1)?
                    }
                    "tryinclude" => {}
                    // #exec runs programs: bantop never does.
                    other => {
                        return Err(ConfError::Syntax {
                            origin,
                            message: format!("unsupported directive #{other}"),
                        });
                    }
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let (name, options) = rest.split_once(']').ok_or_else(|| ConfError::Syntax {
                    origin: origin.clone(),
                    message: "missing ']'".to_string(),
                })?;
                let options = options.trim();
                let options = options
                    .strip_prefix('(')
                    .and_then(|o| o.strip_suffix(')'))
                    .unwrap_or("");
                let mut section = Section {
                    name: name.trim().to_string(),
                    is_template: false,
                    templates: Vec::new(),
                    entries: Vec::new(),
                };
                let mut append = false;
                for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                    match option {
                        "!" => section.is_template = true,
                        "+" => append = true,
                        template => section.templates.push(template.to_string()),
                    }
                }
                self.open = match self.sections.iter().rposition(|s| s.name == section.name) {
                    // `(+)` adds to the last section of that name.
                    Some(last) if append => Some(last),
                    _ => {
                        self.sections.push(section);
                        Some(self.sections.len() - 1)
                    }
                };
                continue;
            }
            let Some(current) = self.open.and_then(|i| self.sections.get_mut(i)) else {
                return Err(ConfError::Syntax {
                    origin,
                    message: format!("a setting before any [section]: {line:?}"),
                });
            };
            let Some(at) = line.find('=') else {
                return Err(ConfError::Syntax {
                    origin,
                    message: format!("expected `key = value`, found {line:?}"),
                });
            };
            let key = line[..at].trim().to_string();
            let value = line[at + 1..].trim_start_matches('>').trim().to_string();
            current.entries.push(Entry { key, value, origin });
        }
        Ok(())
    }

    /// The entries of `section` with its templates applied (template entries first, recursively).
    pub fn resolved_entries(&self, index: usize) -> Vec<Entry> {
        let mut entries = Vec::new();
        self.collect_entries(index, &mut entries, 0);
        entries
    }

    fn collect_entries(&self, index: usize, out: &mut Vec<Entry>, depth: usize) {
        let Some(section) = self.sections.get(index) else {
            return;
        };
        if depth < MAX_INCLUDE_DEPTH {
            for template in &section.templates {
                // A template is the last section of that name defined before this one.
                if let Some(found) = self.sections[..index]
                    .iter()
                    .rposition(|s| &s.name == template)
                {
                    self.collect_entries(found, out, depth + 1);
                }
            }
        }
        out.extend(section.entries.iter().cloned());
    }
}

/// The line without `;` comments (`\;` is a literal `;`) and `;-- ... --;` blocks.
fn strip_comments(line: &str, in_block: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *in_block {
            match rest.find("--;") {
                Some(end) => {
                    *in_block = false;
                    rest = &rest[end + 3..];
                }
                None => return out,
            }
        }
        let mut escaped = false;
        let mut cut = None;
        for (i, c) in rest.char_indices() {
            if c == ';' && !escaped {
                cut = Some(i);
                break;
            }
            escaped = c == '\\';
        }
        match cut {
            None => {
                out.push_str(&rest.replace("\\;", ";"));
                return out;
            }
            Some(at) => {
                out.push_str(&rest[..at].replace("\\;", ";"));
                if rest[at..].starts_with(";--") {
                    *in_block = true;
                    rest = &rest[at + 3..];
                } else {
                    return out;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_includes_and_comments() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("extra.conf"),
            "[1002](office)\ntype = endpoint\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let main = dir.path().join("pjsip.conf");
        let text = "; comment\n[office](!)\npermit = 10.0.0.0/8 ; trailing\n;-- block\npermit = 1.1.1.1\n--;\n[1001](office)\ntype => endpoint\ndeny = 0.0.0.0/0\n#include extra.conf\n";
        std::fs::write(&main, text).unwrap_or_else(|e| panic!("{e}"));
        let conf = AsteriskConf::load(&main, dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = conf.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["office", "1001", "1002"]);
        let entries = conf.resolved_entries(1);
        let pairs: Vec<(&str, &str, usize)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.origin.line))
            .collect();
        assert_eq!(
            pairs,
            [
                ("permit", "10.0.0.0/8", 3),
                ("type", "endpoint", 8),
                ("deny", "0.0.0.0/0", 9)
            ]
        );
        assert_eq!(conf.resolved_entries(2).len(), 2);
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("acl.conf");
        std::fs::write(&path, "[a]\npermit = 1.2.3.4\nnonsense\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = AsteriskConf::load(&path, dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            error,
            format!(
                "{}:3: expected `key = value`, found \"nonsense\"",
                path.display()
            )
        );
        std::fs::write(&path, "[a]\n#exec /bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(AsteriskConf::load(&path, dir.path()).is_err());
    }
}
