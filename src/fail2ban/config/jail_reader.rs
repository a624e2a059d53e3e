//! fail2ban's `JailsReader` / `JailReader` (client side), step for step: `jail.conf`,
//! `jail.d/*.conf`, `jail.local`, `jail.d/*.local` merged; for each enabled jail its filter read
//! with the jail's first options and merged back as `known/...`, then every jail option read and
//! converted (a wrong number warned about and sent as `None`), the filter read again with them,
//! each action found, and the command stream fail2ban sends to its server folded into one
//! [`ResolvedJail`]. A jail whose filter or action cannot be read is skipped with fail2ban's
//! reason; an interpolation error or a syntax error stops the whole configuration, as it stops
//! fail2ban's client.

use super::definition::{DefinitionReader, config_files};
use super::merged::{Config, ConfigError, Lookup, Origin, Section};
use super::options;
use super::python_values::python_int;
use super::resolved_jail::{JailsReport, ResolvedJail, SkippedJail, TimeValue};
use super::stream::{JailStream, StreamValue};
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// The fail2ban release whose reading this follows (`%(fail2ban_version)s`).
const FAIL2BAN_VERSION: &str = "1.0.2";

/// How fail2ban converts a jail option.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Text,
}

/// fail2ban's `JailReader._configOpts` (with the filter's), in its order, and the defaults it
/// uses when an option is missing.
const JAIL_OPTIONS: [(&str, Kind, Option<&str>); 29] = [
    ("enabled", Kind::Bool, Some("False")),
    ("backend", Kind::Text, Some("auto")),
    ("maxretry", Kind::Int, None),
    ("maxmatches", Kind::Int, None),
    ("findtime", Kind::Text, None),
    ("bantime", Kind::Text, None),
    ("bantime.increment", Kind::Bool, None),
    ("bantime.factor", Kind::Text, None),
    ("bantime.formula", Kind::Text, None),
    ("bantime.multipliers", Kind::Text, None),
    ("bantime.maxtime", Kind::Text, None),
    ("bantime.rndtime", Kind::Text, None),
    ("bantime.overalljails", Kind::Bool, None),
    ("ignorecommand", Kind::Text, None),
    ("ignoreself", Kind::Bool, None),
    ("ignoreip", Kind::Text, None),
    ("ignorecache", Kind::Text, None),
    ("filter", Kind::Text, Some("")),
    ("logtimezone", Kind::Text, None),
    ("logencoding", Kind::Text, None),
    ("logpath", Kind::Text, None),
    ("action", Kind::Text, Some("")),
    ("usedns", Kind::Text, None),
    ("prefregex", Kind::Text, None),
    ("ignoreregex", Kind::Text, None),
    ("failregex", Kind::Text, None),
    ("maxlines", Kind::Int, None),
    ("datepattern", Kind::Text, None),
    ("journalmatch", Kind::Text, None),
];

/// fail2ban's `FilterReader._configOpts`.
pub(crate) const FILTER_OPTIONS: [&str; 7] = [
    "usedns",
    "prefregex",
    "ignoreregex",
    "failregex",
    "maxlines",
    "datepattern",
    "journalmatch",
];

/// fail2ban's `ActionReader._configOpts`.
const ACTION_OPTIONS: [&str; 13] = [
    "actionstart",
    "actionstart_on_demand",
    "actionstop",
    "actionflush",
    "actionreload",
    "actioncheck",
    "actionrepair",
    "actionrepair_on_unban",
    "actionban",
    "actionprolong",
    "actionreban",
    "actionunban",
    "norestored",
];

/// Jail options the main loop of fail2ban's `convert` does not send (`_ignoreOpts`).
const NOT_SENT: [&str; 3] = ["action", "filter", "enabled"];

/// A jail option after fail2ban's conversion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OptionValue {
    /// A string.
    Text(String),
    /// An `int` option: `None` when the text was not a number.
    Int(Option<i64>),
    /// A `bool` option.
    Bool(bool),
}

impl OptionValue {
    /// The value as Python's `str()` gives it to configparser as a variable.
    fn as_variable(&self) -> Option<String> {
        match self {
            OptionValue::Text(text) => Some(text.clone()),
            OptionValue::Int(number) => number.map(|n| n.to_string()),
            OptionValue::Bool(true) => Some("True".to_string()),
            OptionValue::Bool(false) => Some("False".to_string()),
        }
    }
}

/// fail2ban's `_as_bool`.
pub(crate) fn as_bool(text: &str) -> bool {
    matches!(text.to_lowercase().as_str(), "1" | "on" | "true" | "yes")
}

/// The merged configurations of filters and actions, read once per name.
struct DefinitionFiles<'a> {
    dir: &'a Path,
    read: HashMap<String, Option<Arc<Config>>>,
}

impl DefinitionFiles<'_> {
    /// `filter.d/NAME` or `action.d/NAME` merged, or `None` when no file exists.
    fn config(&mut self, kind: &str, name: &str) -> Result<Option<Arc<Config>>, ConfigError> {
        let key = format!("{kind}/{name}");
        if let Some(known) = self.read.get(&key) {
            return Ok(known.clone());
        }
        let files = config_files(self.dir, &key);
        let config = if files.is_empty() {
            None
        } else {
            let mut config = Config::default();
            config.read(&files)?.then(|| Arc::new(config))
        };
        self.read.insert(key, config.clone());
        Ok(config)
    }
}

/// What became of one section.
enum Outcome {
    Disabled,
    Skipped(String),
    Started(Box<ResolvedJail>),
}

/// Reads every jail of the configuration in `dir` as fail2ban's client does.
pub fn read_report(dir: &Path) -> Result<JailsReport, ConfigError> {
    let files = config_files(dir, "jail");
    if files.is_empty() {
        return Err(ConfigError::Io {
            path: dir.join("jail.conf"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no jail.conf, jail.local or jail.d/ here",
            ),
        });
    }
    let mut config = Config::default();
    config.read(&files)?;
    let mut report = JailsReport {
        warnings: config
            .skipped_files
            .iter()
            .map(|why| format!("skipped, as fail2ban skips it: {why}"))
            .collect(),
        ..JailsReport::default()
    };
    let reader_origin = Origin {
        file: Arc::from(Path::new("fail2ban")),
        line: 0,
    };
    let confpath = dir.display().to_string();
    let confpath = confpath.trim_end_matches('/');
    config.merge_defaults(
        &[
            ("fail2ban_version", FAIL2BAN_VERSION),
            ("fail2ban_confpath", confpath),
        ],
        &reader_origin,
    );
    let mut definitions = DefinitionFiles {
        dir,
        read: HashMap::new(),
    };
    let names: Vec<String> = config
        .sections()
        .filter(|name| *name != "INCLUDES")
        .map(str::to_string)
        .collect();
    for name in names {
        let mut warnings = Vec::new();
        match read_jail(&mut config, &name, &mut definitions, &mut warnings)? {
            Outcome::Disabled => report.disabled.push(name),
            Outcome::Skipped(reason) => report.skipped.push(SkippedJail { name, reason }),
            Outcome::Started(jail) => report.jails.push(*jail),
        }
        report.warnings.extend(warnings);
    }
    Ok(report)
}

/// One section as fail2ban's `JailReader.getOptions` and `convert` read it.
fn read_jail(
    config: &mut Config,
    name: &str,
    definitions: &mut DefinitionFiles,
    warnings: &mut Vec<String>,
) -> Result<Outcome, ConfigError> {
    let no_vars = Section::new();
    let text = |config: &Config, key: &str, default: &str| -> Result<String, ConfigError> {
        Ok(match config.lookup(name, key, &no_vars)? {
            Lookup::Found(value) => value,
            _ => default.to_string(),
        })
    };
    let enabled = as_bool(&text(config, "enabled", "False")?);
    if !enabled {
        return Ok(Outcome::Disabled);
    }
    let backend = text(config, "backend", "auto")?;
    let filter_text = text(config, "filter", "")?;
    let origin_of = |config: &Config, key: &str| config.origin(name, key).map(|(o, _)| o);
    let fallback_origin = Origin {
        file: Arc::from(Path::new("jail")),
        line: 0,
    };

    let mut filter = None;
    if filter_text.is_empty() {
        warnings.push(format!("No filter set for jail {name}"));
    } else {
        let parsed = match options::parse(&filter_text) {
            Ok(parsed) => parsed,
            Err(why) => {
                return Ok(Outcome::Skipped(format!(
                    "Invalid filter definition {filter_text:?}: {why}"
                )));
            }
        };
        let Some(filter_config) = definitions.config("filter.d", &parsed.name)? else {
            return Ok(Outcome::Skipped(format!(
                "Unable to read the filter '{}'",
                parsed.name
            )));
        };
        let written = origin_of(config, "filter").unwrap_or_else(|| fallback_origin.clone());
        let logtype = if backend.starts_with("systemd") {
            "journal"
        } else {
            "file"
        };
        let mut reader =
            DefinitionReader::for_filter(filter_config, parsed.options, &written, logtype);
        let first: Section = [
            ("enabled".to_string(), "True".to_string()),
            ("backend".to_string(), backend.clone()),
            ("filter".to_string(), filter_text.clone()),
        ]
        .into_iter()
        .collect();
        let present: HashSet<String> = first.keys().cloned().collect();
        reader.read_options(&first, &present, &FILTER_OPTIONS, true)?;
        let mut combined = reader.combined(&[])?;
        convert_maxlines(&mut combined, warnings);
        config.merge_section(name, &combined, "known/");
        filter = Some(reader);
    }

    // Every jail option, converted as fail2ban converts it.
    let mut opts: IndexMap<&str, OptionValue> = IndexMap::new();
    for (key, kind, default) in JAIL_OPTIONS {
        let value = match config.lookup(name, key, &no_vars)? {
            Lookup::Found(value) => value,
            _ => match default {
                Some(default) => default.to_string(),
                None => continue,
            },
        };
        let converted = match kind {
            Kind::Bool => OptionValue::Bool(as_bool(&value)),
            Kind::Text => OptionValue::Text(value),
            Kind::Int => {
                let number = python_int(&value);
                if number.is_none() {
                    warnings.push(format!(
                        "[{name}] {key} = {value:?}: not a whole number; fail2ban sends None, \
                         and its server stops at it (this jail keeps its defaults, the jails \
                         after it are not started)"
                    ));
                }
                OptionValue::Int(number)
            }
        };
        opts.insert(key, converted);
    }
    let vars: Section = opts
        .iter()
        .filter_map(|(k, v)| v.as_variable().map(|v| (k.to_string(), v)))
        .collect();
    let present: HashSet<String> = opts.keys().map(|k| k.to_string()).collect();
    if let Some(reader) = &mut filter {
        reader.read_options(&vars, &present, &FILTER_OPTIONS, false)?;
    }

    let action_text = match opts.get("action") {
        Some(OptionValue::Text(text)) => text.clone(),
        _ => String::new(),
    };
    let mut actions = Vec::new();
    for action in options::split_with_options(&action_text) {
        let action = action.trim();
        if action.is_empty() {
            continue;
        }
        let parsed = match options::parse(action) {
            Ok(parsed) => parsed,
            Err(why) => {
                return Ok(Outcome::Skipped(format!(
                    "Invalid action definition {action:?}: {why}"
                )));
            }
        };
        let mut init = parsed.options;
        if parsed.name.ends_with(".py") {
            let stem = parsed.name.trim_end_matches(".py").to_string();
            actions.push(init.shift_remove("actname").unwrap_or(stem));
            continue;
        }
        let instance = init
            .entry("name".to_string())
            .or_insert_with(|| name.to_string())
            .clone();
        let actname = init
            .entry("actname".to_string())
            .or_insert_with(|| {
                let mut actname = parsed.name.clone();
                if instance != name {
                    match instance.strip_prefix(name) {
                        Some(rest) => actname.push_str(rest),
                        None => actname.push_str(&format!("-{instance}")),
                    }
                }
                actname
            })
            .clone();
        let Some(action_config) = definitions.config("action.d", &parsed.name)? else {
            return Ok(Outcome::Skipped(format!(
                "Unable to read action '{}'",
                parsed.name
            )));
        };
        let written = origin_of(config, "action").unwrap_or_else(|| fallback_origin.clone());
        let init = init
            .into_iter()
            .map(|(k, v)| (k, (v, written.clone())))
            .collect();
        let mut reader = DefinitionReader::new(action_config, init);
        reader.read_options(&vars, &present, &ACTION_OPTIONS, false)?;
        actions.push(actname);
    }
    if actions.is_empty() {
        warnings.push(format!("No actions were defined for {name}"));
    }

    // fail2ban's `convert`: the filter's commands, the jail's own filter options, the rest.
    let mut stream = JailStream::default();
    if let Some(reader) = &mut filter {
        let mut combined = reader.combined(&[])?;
        convert_maxlines(&mut combined, warnings);
        stream.fill_filter(combined)?;
    }
    stream.begin_fill();
    for key in FILTER_OPTIONS {
        let Some(value) = opts.get(key) else { continue };
        let value = match value {
            OptionValue::Int(number) => StreamValue::Int(*number),
            OptionValue::Text(text) => StreamValue::Text(text.clone()),
            OptionValue::Bool(flag) => StreamValue::Bool(*flag),
        };
        stream.fill(key, value, origin_of(config, key))?;
    }
    let mut jail = ResolvedJail {
        name: name.to_string(),
        enabled: true,
        backend: backend.clone(),
        filter: filter_text,
        actions,
        action_text,
        port: text(config, "port", "")?,
        maxretry: Some(3),
        findtime: TimeValue::Seconds(600),
        bantime: TimeValue::Seconds(600),
        ignoreself: true,
        ..ResolvedJail::default()
    };
    for (key, value) in &opts {
        if NOT_SENT.contains(key) || FILTER_OPTIONS.contains(key) {
            continue;
        }
        let origin = origin_of(config, key);
        match (*key, value) {
            ("logpath", OptionValue::Text(text)) => {
                read_logpath(&mut jail, text, warnings);
                record_origin(&mut jail, config, name, key);
            }
            ("backend", _) => record_origin(&mut jail, config, name, key),
            ("ignoreip", OptionValue::Text(text)) => {
                stream.add("ignoreip", split_words(text), origin);
            }
            (key, value) => stream.set(key, stream_value(value), origin),
        }
    }
    stream.fold_into(&mut jail, warnings);
    for key in ["filter", "action", "enabled"] {
        record_origin(&mut jail, config, name, key);
    }
    apply_defaults(&mut jail);
    Ok(Outcome::Started(Box::new(jail)))
}

fn stream_value(value: &OptionValue) -> StreamValue {
    match value {
        OptionValue::Text(text) => StreamValue::Text(text.clone()),
        OptionValue::Int(number) => StreamValue::Int(*number),
        OptionValue::Bool(flag) => StreamValue::Bool(*flag),
    }
}

/// fail2ban's `convertOptions` for a filter: `maxlines` must be a whole number.
fn convert_maxlines(combined: &mut IndexMap<String, (String, Origin)>, warnings: &mut Vec<String>) {
    if let Some((value, origin)) = combined.get("maxlines")
        && python_int(value).is_none()
    {
        warnings.push(format!(
            "{origin}: maxlines = {value:?} is not a whole number; fail2ban ignores it"
        ));
    }
}

/// The origin (and overridden places) of `key` into the jail's maps.
fn record_origin(jail: &mut ResolvedJail, config: &Config, name: &str, key: &str) {
    if let Some((origin, overrode)) = config.origin(name, key) {
        jail.origin.insert(key.to_string(), origin.to_string());
        if !overrode.is_empty() {
            jail.overrode.insert(
                key.to_string(),
                overrode.iter().map(ToString::to_string).collect(),
            );
        }
    }
}

/// fail2ban's server defaults for what its client did not send.
fn apply_defaults(jail: &mut ResolvedJail) {
    let default = "fail2ban default".to_string();
    for key in ["maxretry", "findtime", "bantime", "ignoreself"] {
        jail.origin
            .entry(key.to_string())
            .or_insert(default.clone());
    }
}

/// `logpath` lines: a trailing ` head`/` tail` word cut off, each pattern globbed.
fn read_logpath(jail: &mut ResolvedJail, text: &str, warnings: &mut Vec<String>) {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    for line in text.split('\n') {
        let pattern = line.rsplit_once(' ').map_or(line, |(path, _)| path);
        jail.logpath.push(pattern.to_string());
        if jail.backend.starts_with("systemd") {
            continue;
        }
        for path in glob::glob_with(pattern, options)
            .into_iter()
            .flatten()
            .flatten()
        {
            if path.exists() {
                jail.logfiles.push(path.display().to_string());
            } else {
                warnings.push(format!(
                    "File {} is a dangling link, thus cannot be monitored",
                    path.display()
                ));
            }
        }
    }
    if jail.logfiles.is_empty() && !jail.backend.starts_with("systemd") {
        warnings.push(format!(
            "Have not found any log file for {} jail (`fail2ban-client start` refuses the \
             whole configuration then)",
            jail.name
        ));
    }
}

/// fail2ban's `splitwords`: on spaces, commas and new lines, empty words dropped.
pub(crate) fn split_words(text: &str) -> Vec<String> {
    text.split([' ', ',', '\n'])
        .map(|w| w.trim_matches(super::ini::is_py_space))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}
