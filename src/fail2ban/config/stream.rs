//! The commands fail2ban's client sends its server for one jail (`set JAIL key value`,
//! `set JAIL addfailregex ...`), in the order fail2ban builds them (`_fillStream` puts `usedns`,
//! `maxlines` and `prefregex` first), folded as the server applies them: a later `set` wins,
//! every `add` is kept.

use super::merged::{ConfigError, Origin};
use super::python_values::{python_int, time_value};
use super::resolved_jail::{ResolvedJail, Unset};

/// A value as fail2ban's client sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamValue {
    /// A string.
    Text(String),
    /// A number (`None`: not a number, sent as `None`).
    Int(Option<i64>),
    /// A flag.
    Bool(bool),
}

/// One command: `set` (replaces) or `add` (appends).
#[derive(Debug, Clone)]
struct Command {
    key: String,
    value: StreamValue,
    add: bool,
    origin: Option<Origin>,
}

/// The commands of one jail.
#[derive(Debug, Default)]
pub(crate) struct JailStream {
    commands: Vec<Command>,
    /// Where `_fillStream` inserts its next `maxlines`/`prefregex`.
    first_free: usize,
}

impl JailStream {
    /// Starts another `_fillStream` pass (its front insertions start at 0 again).
    pub(crate) fn begin_fill(&mut self) {
        self.first_free = 0;
    }

    /// One option through fail2ban's `_fillStream`.
    pub(crate) fn fill(
        &mut self,
        key: &str,
        value: StreamValue,
        origin: Option<Origin>,
    ) -> Result<(), ConfigError> {
        if value == StreamValue::Int(None) {
            return Ok(());
        }
        let text = match &value {
            StreamValue::Text(text) => text.clone(),
            StreamValue::Int(Some(number)) => number.to_string(),
            StreamValue::Int(None) => String::new(),
            StreamValue::Bool(flag) => flag.to_string(),
        };
        match key {
            "failregex" | "ignoreregex" => {
                for line in text.split('\n').filter(|l| !l.is_empty()) {
                    self.add(key, vec![line.to_string()], origin.clone());
                }
            }
            "usedns" | "maxlines" | "prefregex" => {
                let at = if key == "usedns" { 0 } else { self.first_free };
                self.commands.insert(
                    at.min(self.commands.len()),
                    Command {
                        key: key.to_string(),
                        value,
                        add: false,
                        origin,
                    },
                );
                self.first_free += 1;
            }
            "journalmatch" => {
                for line in text.split('\n').filter(|l| !l.is_empty()) {
                    let words =
                        shell_words(line).map_err(|message| ConfigError::Interpolation {
                            section: "Definition".to_string(),
                            key: "journalmatch".to_string(),
                            message,
                        })?;
                    self.add(key, vec![words.join(" ")], origin.clone());
                }
            }
            // fail2ban tests `opt in ('datepattern')`: a substring test on one string.
            _ if "datepattern".contains(key) => self.set(key, value, origin),
            _ => {}
        }
        Ok(())
    }

    /// A filter's combined options through `_fillStream` (`maxlines` as a number).
    pub(crate) fn fill_filter(
        &mut self,
        combined: indexmap::IndexMap<String, (String, Origin)>,
    ) -> Result<(), ConfigError> {
        for (key, (value, origin)) in combined {
            let value = match key.as_str() {
                "maxlines" => StreamValue::Int(python_int(&value)),
                _ => StreamValue::Text(value),
            };
            self.fill(&key, value, Some(origin))?;
        }
        Ok(())
    }

    /// `set JAIL key value`.
    pub(crate) fn set(&mut self, key: &str, value: StreamValue, origin: Option<Origin>) {
        self.commands.push(Command {
            key: key.to_string(),
            value,
            add: false,
            origin,
        });
    }

    /// `set JAIL addKEY words...`.
    pub(crate) fn add(&mut self, key: &str, words: Vec<String>, origin: Option<Origin>) {
        for word in words {
            self.commands.push(Command {
                key: key.to_string(),
                value: StreamValue::Text(word),
                add: true,
                origin: origin.clone(),
            });
        }
    }

    /// Applies the commands in order, as fail2ban's server does, recording each key's origin.
    pub(crate) fn fold_into(self, jail: &mut ResolvedJail, warnings: &mut Vec<String>) {
        for command in self.commands {
            let key = command.key.as_str();
            if let Some(origin) = &command.origin {
                jail.origin.insert(key.to_string(), origin.to_string());
            }
            let text = match &command.value {
                StreamValue::Text(text) => Some(text.clone()),
                StreamValue::Int(number) => number.map(|n| n.to_string()),
                StreamValue::Bool(flag) => Some(flag.to_string()),
            };
            let number = match &command.value {
                StreamValue::Int(number) => *number,
                StreamValue::Text(text) => python_int(text),
                StreamValue::Bool(flag) => Some(i64::from(*flag)),
            };
            let flag = command.value == StreamValue::Bool(true);
            let text = text.unwrap_or_default();
            match (key, command.add) {
                ("failregex", true) => jail.failregex.push(text),
                ("ignoreregex", true) => jail.ignoreregex.push(text),
                ("journalmatch", true) => jail.journalmatch.push(text),
                ("ignoreip", true) => jail.ignoreip.push(text),
                ("usedns", false) => jail.usedns = Some(text),
                ("prefregex", false) => jail.prefregex = Some(text),
                ("datepattern", false) => jail.datepattern = Some(text),
                ("maxlines", false) => jail.maxlines = Unset::Sent(number),
                ("maxretry", false) => jail.maxretry = number,
                ("maxmatches", false) => jail.maxmatches = Unset::Sent(number),
                ("findtime", false) => jail.findtime = time_value(&text),
                ("bantime", false) => jail.bantime = time_value(&text),
                ("bantime.increment", false) => jail.bantime_increment = Some(flag),
                ("bantime.factor", false) => jail.bantime_factor = Some(text),
                ("bantime.formula", false) => jail.bantime_formula = Some(text),
                ("bantime.multipliers", false) => jail.bantime_multipliers = Some(text),
                ("bantime.maxtime", false) => jail.bantime_maxtime = Some(time_value(&text)),
                ("bantime.rndtime", false) => jail.bantime_rndtime = Some(time_value(&text)),
                ("bantime.overalljails", false) => jail.bantime_overalljails = Some(flag),
                ("ignoreself", false) => jail.ignoreself = flag,
                ("ignorecommand", false) => jail.ignorecommand = Some(text),
                ("logencoding", false) => jail.logencoding = Some(text),
                _ => {}
            }
        }
        for (key, value) in [("findtime", &jail.findtime), ("bantime", &jail.bantime)] {
            if let super::resolved_jail::TimeValue::Unreadable(text) = value {
                warnings.push(format!(
                    "[{}] {key} = {text:?}: not a time fail2ban's server can read",
                    jail.name
                ));
            }
        }
    }
}

/// Python's `shlex.split` (POSIX mode, no comments): words split on white space, quotes
/// removed, a backslash escaping the next character (in double quotes only `\`, `"`, `$`, `` ` ``).
pub(crate) fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\\' => {
                let escaped = chars.next().ok_or("No escaped character")?;
                word.get_or_insert_default().push(escaped);
            }
            '\'' => {
                let current = word.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(other) => current.push(other),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some(&next) if matches!(next, '\\' | '"' | '$' | '`') => {
                                current.push(next);
                                chars.next();
                            }
                            _ => current.push('\\'),
                        },
                        Some(other) => current.push(other),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            other => word.get_or_insert_default().push(other),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_as_shlex_splits_them() {
        assert_eq!(
            shell_words(r#"_SYSTEMD_UNIT=sshd.service + _COMM="ss hd" a\ b"#),
            Ok(vec![
                "_SYSTEMD_UNIT=sshd.service".to_string(),
                "+".to_string(),
                "_COMM=ss hd".to_string(),
                "a b".to_string()
            ])
        );
        assert!(shell_words("a 'b").is_err());
    }

    #[test]
    fn the_filter_wins_maxlines_and_the_jail_wins_datepattern() {
        let mut stream = JailStream::default();
        let text = |s: &str| StreamValue::Text(s.to_string());
        stream
            .fill("maxlines", StreamValue::Int(Some(2)), None)
            .ok();
        stream.fill("datepattern", text("filter"), None).ok();
        stream.fill("failregex", text("a\nb"), None).ok();
        stream.begin_fill();
        stream
            .fill("maxlines", StreamValue::Int(Some(5)), None)
            .ok();
        stream.fill("datepattern", text("jail"), None).ok();
        stream.fill("failregex", text("c"), None).ok();
        let mut jail = ResolvedJail::default();
        stream.fold_into(&mut jail, &mut Vec::new());
        assert_eq!(jail.maxlines, Unset::Sent(Some(2)));
        assert_eq!(jail.datepattern.as_deref(), Some("jail"));
        assert_eq!(jail.failregex, vec!["a", "b", "c"]);
    }
}
