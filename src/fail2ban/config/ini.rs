//! Parser for one fail2ban ini file, with the rules of Python's `configparser` as fail2ban sets
//! it up: `=` or `:` delimiters, lower-cased keys, `#`/`;` comment lines, inline `;` comments
//! after white space, values continued on more-indented lines (blank lines kept inside them).

use std::path::{Path, PathBuf};

/// One parsed file: the `[DEFAULT]` keys and the other sections, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct IniFile {
    /// Keys of `[DEFAULT]`.
    pub(super) defaults: Vec<(String, String)>,
    /// Other sections with their keys, in file order.
    pub(super) sections: Vec<(String, Vec<(String, String)>)>,
}

/// A syntax error with the file and line it was found on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct IniError {
    /// The file.
    pub(super) path: PathBuf,
    /// 1-based line number.
    pub(super) line: usize,
    /// What is wrong.
    pub(super) message: String,
}

/// A section while it is being read: its keys with their value lines.
type RawSection = Vec<(String, Vec<String>)>;

/// Parses `text` read from `path` (the path is only used in error messages).
pub(super) fn parse(text: &str, path: &Path) -> Result<IniFile, IniError> {
    let error = |line: usize, message: String| IniError {
        path: path.to_path_buf(),
        line,
        message,
    };
    // Index 0 is DEFAULT; the others follow file order.
    let mut sections: Vec<(String, RawSection)> = vec![("DEFAULT".to_string(), Vec::new())];
    let mut current: Option<usize> = None;
    // The value being read: its section, its key, the indentation of its first line.
    let mut open: Option<(usize, usize, usize)> = None;

    for (index, raw) in text.lines().enumerate() {
        let lineno = index + 1;
        let trimmed_start = raw.trim_start();
        let is_comment = trimmed_start.starts_with('#') || trimmed_start.starts_with(';');
        let value = if is_comment {
            ""
        } else {
            strip_inline_comment(raw).trim()
        };
        if value.is_empty() {
            // configparser keeps blank lines inside a value and drops comment lines.
            if let (false, Some((section, key, _))) = (is_comment, open) {
                sections[section].1[key].1.push(String::new());
            }
            continue;
        }
        let indent = raw.len() - trimmed_start.len();
        if let Some((section, key, first_indent)) = open
            && indent > first_indent
        {
            sections[section].1[key].1.push(value.to_string());
            continue;
        }
        if let Some(header) = section_header(value) {
            let position = sections.iter().position(|(name, _)| name == header);
            current = match position {
                Some(0) => Some(0),
                Some(_) => return Err(error(lineno, format!("section [{header}] appears twice"))),
                None => {
                    sections.push((header.to_string(), Vec::new()));
                    Some(sections.len() - 1)
                }
            };
            open = None;
            continue;
        }
        let Some(section) = current else {
            return Err(error(
                lineno,
                format!("a key before any [section]: {value:?}"),
            ));
        };
        let Some((key, first)) = split_option(value) else {
            return Err(error(
                lineno,
                format!("expected `key = value`, found {value:?}"),
            ));
        };
        let key = key.to_lowercase();
        let keys = &mut sections[section].1;
        if keys.iter().any(|(existing, _)| *existing == key) {
            return Err(error(
                lineno,
                format!("key {key:?} appears twice in this section"),
            ));
        }
        keys.push((key, vec![first.to_string()]));
        open = Some((section, keys.len() - 1, indent));
    }
    let mut finished = sections.into_iter().map(|(name, keys)| {
        let keys = keys
            .into_iter()
            .map(|(key, lines)| (key, lines.join("\n").trim_end().to_string()));
        (name, keys.collect::<Vec<_>>())
    });
    let defaults = finished.next().map(|(_, keys)| keys).unwrap_or_default();
    Ok(IniFile {
        defaults,
        sections: finished.collect(),
    })
}

/// `[name]` -> `name` (the name runs to the last `]`, as configparser reads it).
fn section_header(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('[')?;
    let end = inner.rfind(']')?;
    let name = &inner[..end];
    (!name.is_empty()).then_some(name)
}

/// Splits at the first `=` or `:`, trimming both sides.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    let key = value[..at].trim_end();
    (!key.is_empty()).then(|| (key, value[at + 1..].trim_start()))
}

/// Cuts an inline `;` comment, which counts only after white space.
fn strip_inline_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b';' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> IniFile {
        match parse(text, Path::new("test.conf")) {
            Ok(file) => file,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn reads_sections_continuations_and_comments() {
        let file = parse_ok(
            "[DEFAULT]\nbantime = 10m\n\n[Definition]\n# comment\nfailregex = ^a <HOST>$\n            ^b: <HOST>\n\n            ^c\nignoreregex =\nKey: v ; inline\n",
        );
        assert_eq!(
            file.defaults,
            vec![("bantime".to_string(), "10m".to_string())]
        );
        let (name, keys) = &file.sections[0];
        assert_eq!(name, "Definition");
        assert_eq!(
            keys[0],
            (
                "failregex".to_string(),
                "^a <HOST>$\n^b: <HOST>\n\n^c".to_string()
            )
        );
        assert_eq!(keys[1], ("ignoreregex".to_string(), String::new()));
        assert_eq!(keys[2], ("key".to_string(), "v".to_string()));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let error = parse(
            "[a]\nok = 1\nthis line has no delimiter\n",
            Path::new("filter.d/x.conf"),
        );
        assert_eq!(
            error.map_err(|e| e.to_string()),
            Err(
                "filter.d/x.conf:3: expected `key = value`, found \"this line has no delimiter\""
                    .to_string()
            )
        );
        assert!(parse("key = 1\n", Path::new("x")).is_err());
        assert!(parse("[a]\nk = 1\nk = 2\n", Path::new("x")).is_err());
    }
}
