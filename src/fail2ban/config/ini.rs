//! Parser for one fail2ban ini file, with the rules of Python's `configparser` as fail2ban sets
//! it up: `=` or `:` delimiters, lower-cased keys, `#`/`;` comment lines, inline `;` comments
//! at the start or after white space, values continued on more-indented lines (blank lines kept
//! inside them), a section or key twice in one file refused (`strict`), and each key's line kept
//! so that a value can say where it came from.

use std::path::{Path, PathBuf};

/// One key as written: its lower-cased name, its value (continuation lines joined with `\n`)
/// and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The key, lower-cased as configparser's `optionxform` does.
    pub(super) key: String,
    /// The value, stripped, continuation lines joined.
    pub(super) value: String,
    /// The line of `key = ...`.
    pub(super) line: usize,
}

/// One parsed file: the `[DEFAULT]` keys and the other sections, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct IniFile {
    /// Keys of `[DEFAULT]`.
    pub(super) defaults: Vec<Entry>,
    /// Other sections with their keys, in file order.
    pub(super) sections: Vec<(String, Vec<Entry>)>,
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

/// Python's `str.isspace` for one character (Rust's white space plus the separators
/// U+001C..U+001F).
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A section being read: its name and its entries with their value lines.
type ReadingSection = (String, Vec<(Entry, Vec<String>)>);

/// The key whose value lines are being read: its section (0 is DEFAULT) and entry.
struct Open {
    section: usize,
    entry: usize,
}

/// Parses `text` read from `path` (the path is only used in error messages).
pub(super) fn parse(text: &str, path: &Path) -> Result<IniFile, IniError> {
    let error = |line: usize, message: String| IniError {
        path: path.to_path_buf(),
        line,
        message,
    };
    // Index 0 is DEFAULT; the others follow file order. Each entry keeps its value lines.
    let mut sections: Vec<ReadingSection> = vec![("DEFAULT".to_string(), Vec::new())];
    let mut current: Option<usize> = None;
    let mut open: Option<Open> = None;
    let mut indent_level = usize::MAX;
    let mut first_bad_line: Option<(usize, String)> = None;

    // Python reads text files with universal newlines: `\r\n` and a lone `\r` end lines too.
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };
    for (index, line) in text.split('\n').enumerate() {
        let lineno = index + 1;
        let trimmed = line.trim_matches(is_py_space);
        let comment_start = if trimmed.starts_with('#') || trimmed.starts_with(';') {
            Some(0)
        } else {
            inline_comment(line)
        };
        let value = line[..comment_start.unwrap_or(line.len())].trim_matches(is_py_space);
        if value.is_empty() {
            // configparser keeps blank lines inside a value, not lines with a comment.
            if let (None, Some(key)) = (comment_start, &open) {
                sections[key.section].1[key.entry].1.push(String::new());
            }
            continue;
        }
        let indent = line.len() - line.trim_start_matches(is_py_space).len();
        if let Some(key) = &open
            && current.is_some()
            && indent > indent_level
        {
            sections[key.section].1[key.entry].1.push(value.to_string());
            continue;
        }
        indent_level = indent;
        if let Some(header) = section_header(value) {
            let position = sections.iter().position(|(name, _)| name == header);
            current = match position {
                Some(0) => Some(0),
                Some(_) => {
                    return Err(error(
                        lineno,
                        format!("section [{header}] appears twice in this file"),
                    ));
                }
                None => {
                    sections.push((header.to_string(), Vec::new()));
                    Some(sections.len() - 1)
                }
            };
            open = None;
            continue;
        }
        let Some(section) = current else {
            let hint = if value.starts_with('\u{feff}') {
                " (a byte-order mark: fail2ban's parser does not accept one either)"
            } else {
                ""
            };
            return Err(error(
                lineno,
                format!("file contains no section headers before {value:?}{hint}"),
            ));
        };
        let Some((key, first)) = split_option(value) else {
            // configparser reads on and reports every bad line at the end of the file.
            first_bad_line.get_or_insert((lineno, value.to_string()));
            continue;
        };
        let key = key.to_lowercase();
        if key.is_empty() {
            first_bad_line.get_or_insert((lineno, value.to_string()));
        }
        let keys = &mut sections[section].1;
        if keys.iter().any(|(entry, _)| entry.key == key) {
            return Err(error(
                lineno,
                format!("key {key:?} appears twice in [{}]", sections[section].0),
            ));
        }
        keys.push((
            Entry {
                key,
                value: String::new(),
                line: lineno,
            },
            vec![first.to_string()],
        ));
        open = Some(Open {
            section,
            entry: keys.len() - 1,
        });
    }
    if let Some((line, text)) = first_bad_line {
        return Err(error(
            line,
            format!("expected `key = value`, found {text:?}"),
        ));
    }
    let mut finished = sections.into_iter().map(|(name, keys)| {
        let keys = keys.into_iter().map(|(mut entry, lines)| {
            entry.value = lines.join("\n").trim_end_matches(is_py_space).to_string();
            entry
        });
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

/// Splits at the first `=` or `:`, trimming both sides (configparser's `OPTCRE`).
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    let key = value[..at].trim_end_matches(is_py_space);
    Some((key, value[at + 1..].trim_start_matches(is_py_space)))
}

/// Where an inline `;` comment starts: at the start of the line or after white space.
fn inline_comment(line: &str) -> Option<usize> {
    let mut previous: Option<char> = None;
    for (i, c) in line.char_indices() {
        if c == ';' && previous.is_none_or(is_py_space) {
            return Some(i);
        }
        previous = Some(c);
    }
    None
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

    fn pairs(entries: &[Entry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect()
    }

    #[test]
    fn reads_sections_continuations_and_comments() {
        let file = parse_ok(
            "[DEFAULT]\nbantime = 10m\n\n[Definition]\n# comment\nfailregex = ^a <HOST>$\n            ^b: <HOST>\n\n            ^c\nignoreregex =\nKey: v ; inline\n",
        );
        assert_eq!(pairs(&file.defaults), vec![("bantime", "10m")]);
        let (name, keys) = &file.sections[0];
        assert_eq!(name, "Definition");
        assert_eq!(
            pairs(keys),
            vec![
                ("failregex", "^a <HOST>$\n^b: <HOST>\n\n^c"),
                ("ignoreregex", ""),
                ("key", "v")
            ]
        );
        assert_eq!(keys[0].line, 6);
        assert_eq!(keys[2].line, 11);
    }

    #[test]
    fn crlf_and_lone_cr_end_lines_and_a_hash_after_a_value_is_kept() {
        let file = parse_ok("[a]\r\nx = 1 # not a comment\r\ny = 2\rz = 3;kept ;cut\n");
        assert_eq!(
            pairs(&file.sections[0].1),
            vec![("x", "1 # not a comment"), ("y", "2"), ("z", "3;kept")]
        );
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
        assert!(parse("[a]\nk = 1\nK = 2\n", Path::new("x")).is_err());
        assert!(parse("[a]\n[a]\n", Path::new("x")).is_err());
        assert!(
            parse("\u{feff}[a]\n", Path::new("x")).is_err_and(|e| e.message.contains("byte-order"))
        );
        // DEFAULT may appear twice; its keys may not.
        assert!(parse("[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n", Path::new("x")).is_ok());
    }
}
