//! bantop's whitelist drop-in for `jail.d/`: one section per jail whose `ignoreip` keeps what
//! the jail already ignored (`%(known/ignoreip)s`) and adds the operator's entries, each under
//! a comment saying who added it, when and why. Edits touch only those entry lines: comments,
//! other keys and other sections written by hand stay as they are. The result is checked to
//! read as fail2ban configuration and written atomically.

use super::ini;
use crate::model::WhitelistEntry;
use ipnet::IpNet;
use std::path::Path;

/// First line of a drop-in bantop creates.
const HEADER: &str =
    "# Written by bantop: addresses the operator whitelisted. Hand edits are kept.\n";
/// Indentation of continuation lines.
const INDENT: &str = "           ";

/// How an entry is written in `ignoreip` and sent to fail2ban: a single host without `/32`
/// or `/128`, a network in CIDR.
pub fn entry_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// The drop-in text holding `entries`, as bantop writes it from scratch.
pub fn render(entries: &[WhitelistEntry]) -> String {
    entries.iter().fold(String::new(), |text, e| {
        add_entry(&text, &e.jail, &e.entry, &e.comment)
    })
}

/// The line range `[start, end)` of section `jail` (header included).
fn section_range(lines: &[&str], jail: &str) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .position(|line| line.trim() == format!("[{jail}]"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|line| {
            line.trim_start().starts_with('[') && !line.starts_with(char::is_whitespace)
        })
        .map_or(lines.len(), |i| start + 1 + i);
    Some((start, end))
}

/// The `ignoreip` key line of a section and the end of its value block (last value line + 1).
fn ignoreip_block(lines: &[&str], (start, end): (usize, usize)) -> Option<(usize, usize)> {
    let key = (start + 1..end).find(|&i| {
        let line = lines[i];
        !line.starts_with(char::is_whitespace)
            && line
                .split(['=', ':'])
                .next()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("ignoreip"))
    })?;
    let mut last = key;
    for (i, line) in lines.iter().enumerate().take(end).skip(key + 1) {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            break;
        }
        last = i;
    }
    Some((key, last + 1))
}

/// Whitelist tokens in a block (the key line's value and the continuation lines, no comments).
fn tokens(lines: &[&str], (key, end): (usize, usize)) -> Vec<String> {
    let first = lines[key].split_once(['=', ':']).map_or("", |(_, v)| v);
    std::iter::once(first)
        .chain(lines[key + 1..end].iter().copied())
        .filter(|line| !line.trim_start().starts_with(['#', ';']))
        .flat_map(|line| {
            line.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `text` with `entry` whitelisted in `jail` under `comment`; unchanged when already there.
pub fn add_entry(text: &str, jail: &str, entry: &str, comment: &str) -> String {
    let comment: String = comment.chars().filter(|c| !c.is_control()).collect();
    let new_lines = [format!("{INDENT}# {comment}"), format!("{INDENT}{entry}")];
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match section_range(&lines, jail) {
        Some(range) => match ignoreip_block(&lines, range) {
            Some(block) if tokens(&lines, block).iter().any(|t| t == entry) => {
                return text.to_string();
            }
            Some((_, end)) => {
                out.splice(end..end, new_lines);
            }
            None => {
                let at = range.0 + 1;
                out.splice(
                    at..at,
                    std::iter::once("ignoreip = %(known/ignoreip)s".to_string()).chain(new_lines),
                );
            }
        },
        None => {
            if out.is_empty() {
                out.push(HEADER.trim_end().to_string());
            }
            out.push(String::new());
            out.push(format!("[{jail}]"));
            out.push("ignoreip = %(known/ignoreip)s".to_string());
            out.extend(new_lines);
        }
    }
    out.join("\n") + "\n"
}

/// `text` without `entry` in `jail` (and the comment line just above it); `None` when absent.
pub fn remove_entry(text: &str, jail: &str, entry: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (key, end) = ignoreip_block(&lines, section_range(&lines, jail)?)?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for i in (key + 1..end).rev() {
        let line = lines[i];
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        if line.trim_start().starts_with('#') || !words.contains(&entry) {
            continue;
        }
        if words.len() == 1 {
            out.remove(i);
            if i > key + 1 && lines[i - 1].trim_start().starts_with('#') {
                out.remove(i - 1);
            }
        } else {
            // Several entries on one hand-written line: take out only this one.
            let kept: Vec<&str> = words.into_iter().filter(|w| *w != entry).collect();
            out[i] = format!("{INDENT}{}", kept.join(" "));
        }
        return Some(out.join("\n") + "\n");
    }
    None
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename,
/// fsync of the directory. The text must read as fail2ban configuration, or nothing is written.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    ini::parse(text, path).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bantop would write an unreadable file: {e}"),
        )
    })?;
    crate::state_file::write_atomically(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries of the drop-in, per jail, as (jail, entry).
    fn entries(text: &str) -> Vec<(String, String)> {
        let lines: Vec<&str> = text.lines().collect();
        let jails: Vec<String> = lines
            .iter()
            .filter_map(|l| l.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')))
            .map(str::to_string)
            .collect();
        jails
            .into_iter()
            .flat_map(|jail| {
                let block =
                    section_range(&lines, &jail).and_then(|range| ignoreip_block(&lines, range));
                let found = block.map(|block| tokens(&lines, block)).unwrap_or_default();
                found
                    .into_iter()
                    .filter(|t| !t.contains("%("))
                    .map(move |t| (jail.clone(), t))
            })
            .collect()
    }

    #[test]
    fn one_section_per_jail_keeping_known_entries() {
        let entries = [
            WhitelistEntry {
                jail: "sshd".into(),
                entry: "192.0.2.10".into(),
                comment: "operator, 2026-01-19".into(),
            },
            WhitelistEntry {
                jail: "sshd".into(),
                entry: "198.51.100.0/24".into(),
                comment: "office\nnet".into(),
            },
            WhitelistEntry {
                jail: "sshd".into(),
                entry: "192.0.2.10".into(),
                comment: "again".into(),
            },
        ];
        let text = render(&entries);
        assert!(text.contains("[sshd]\nignoreip = %(known/ignoreip)s\n           # operator, 2026-01-19\n           192.0.2.10\n"), "{text}");
        assert!(
            text.contains("# officenet\n"),
            "control characters cannot break the file: {text}"
        );
        assert_eq!(text.matches("[sshd]").count(), 1);
        assert_eq!(text.matches("192.0.2.10").count(), 1, "deduplicated");
        assert!(ini::parse(&text, Path::new("x")).is_ok());
    }

    #[test]
    fn hand_edits_survive_adding_and_removing() {
        let hand = "# my notes\n[asterisk-wazo]\n# why this jail\nenabled = true\nignoreip = %(known/ignoreip)s 10.0.0.1\n           10.0.0.2 10.0.0.3\nmaxretry = 20\n\n[other]\nfoo = bar\n";
        let added = add_entry(hand, "asterisk-wazo", "192.0.2.10", "operator");
        assert!(
            added.starts_with("# my notes\n[asterisk-wazo]\n# why this jail\nenabled = true\n")
        );
        assert!(added.contains("10.0.0.2 10.0.0.3\n           # operator\n           192.0.2.10\nmaxretry = 20\n\n[other]\nfoo = bar\n"), "{added}");
        let removed = remove_entry(&added, "asterisk-wazo", "192.0.2.10").unwrap_or_default();
        assert_eq!(removed, hand);
        let partly = remove_entry(hand, "asterisk-wazo", "10.0.0.2").unwrap_or_default();
        assert!(partly.contains("           10.0.0.3\nmaxretry"), "{partly}");
        assert_eq!(remove_entry(hand, "asterisk-wazo", "203.0.113.1"), None);
        assert_eq!(
            entries(&added),
            [
                ("asterisk-wazo", "10.0.0.1"),
                ("asterisk-wazo", "10.0.0.2"),
                ("asterisk-wazo", "10.0.0.3"),
                ("asterisk-wazo", "192.0.2.10")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn a_section_without_ignoreip_gets_one() {
        let text = add_entry("[sshd]\nmaxretry = 3\n", "sshd", "192.0.2.10", "x");
        assert_eq!(
            text,
            "[sshd]\nignoreip = %(known/ignoreip)s\n           # x\n           192.0.2.10\nmaxretry = 3\n"
        );
    }

    #[test]
    fn writes_atomically_and_refuses_unreadable_text() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("bantop-whitelist.local");
        write_atomically(&path, "[sshd]\nignoreip = 1.2.3.4\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "[sshd]\nignoreip = 1.2.3.4\n"
        );
        assert!(write_atomically(&path, "no section here\n").is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "[sshd]\nignoreip = 1.2.3.4\n",
            "the old file is untouched"
        );
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            1,
            "no temporary file left"
        );
        let missing_dir = dir.path().join("nope/x.local");
        assert!(write_atomically(&missing_dir, "[a]\nb = c\n").is_err());
    }
}
