//! Every filter of Debian's fail2ban `filter.d` on fail2ban's own annotated sample logs, with
//! the semantics of fail2ban's `samplestestcase.py`: `# failJSON:` says whether the next line
//! matches and with which host, time (local, TZ `CET-01CEST-02,M3.5.0,M10.5.0`, now =
//! 1124013600) and captures; `filterOptions` runs the lines after it with each option set,
//! `fileOptions` adds options to those, `addFILE` goes on with another log, `constraint` and
//! `test.condition` skip lines; journal-type lines carry no date (they get now). A line without
//! an annotation must not match. `bantop regex --json` is run on the lines of each option set,
//! as fail2ban-regex would be.
//! Every line must agree; the test prints each disagreement with its file, line and option set.

use chrono::Datelike;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SAMPLES: &str = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";
const FILTERS: &str = "/etc/fail2ban";
const TEST_NOW: f64 = 1_124_013_600.0;
const TEST_TZ: &str = "CET-01CEST-02,M3.5.0,M10.5.0";
/// The annotated lines of Debian's fail2ban 1.0.2 samples, counted once per option set.
const ANNOTATED_LINES: usize = 1381;

/// One line to check, with what the annotation expects.
#[derive(Debug, Clone)]
struct Case {
    file: String,
    lineno: usize,
    line: String,
    expected: Map<String, Value>,
}

/// The lines one option set of a filter runs on.
#[derive(Debug, Clone, Default)]
struct Variant {
    options: Map<String, Value>,
    cases: Vec<Case>,
}

fn options_key(options: &Map<String, Value>) -> String {
    Value::Object(options.clone()).to_string()
}

/// `constraint` and `test.condition` expressions as the sample logs write them.
fn holds(expression: &str, name: &str, options: &Map<String, Value>) -> Result<bool, String> {
    let expression = expression.replace(' ', "");
    if let Some(want) = expression.strip_prefix("name==") {
        return Ok(want.trim_matches('\'') == name);
    }
    for (operator, equal) in [("!=", false), ("==", true)] {
        if let Some(rest) = expression.strip_prefix("opts.get('")
            && let Some((key, value)) = rest.split_once(&format!("'){operator}"))
        {
            let actual = options.get(key).and_then(Value::as_str).unwrap_or("");
            return Ok((actual == value.trim_matches('\'')) == equal);
        }
    }
    Err(format!("unsupported constraint {expression:?}"))
}

/// Reads a filter's sample log(s) into the lines each option set runs on.
fn read_samples(name: &str) -> Result<Vec<Variant>, String> {
    let mut variants: BTreeMap<String, Variant> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut active: Vec<String> = Vec::new();
    let mut common = Map::new();
    let mut files = vec![name.to_string()];
    let mut index = 0;
    while index < files.len() {
        let file = files[index].clone();
        index += 1;
        let bytes =
            std::fs::read(Path::new(SAMPLES).join(&file)).map_err(|e| format!("{file}: {e}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<&str> = text.split('\n').collect();
        let mut ignore_block = false;
        let mut at = 0;
        while at < lines.len() {
            let raw = lines[at].trim_end_matches('\r');
            at += 1;
            let annotation = raw
                .trim_start_matches('#')
                .strip_prefix(' ')
                .unwrap_or(raw.trim_start_matches('#'));
            let mut expected = Map::new();
            let (lineno, line) = if raw.starts_with('#')
                && let Some((kind, json)) = annotation.split_once(':')
                && ["failJSON", "fileOptions", "filterOptions", "addFILE"].contains(&kind)
            {
                let value: Value =
                    serde_json::from_str(json.trim()).map_err(|e| format!("{file}:{at}: {e}"))?;
                match kind {
                    "fileOptions" => {
                        common = value.as_object().cloned().unwrap_or_default();
                        continue;
                    }
                    "filterOptions" => {
                        active.clear();
                        ignore_block = false;
                        let sets = match value {
                            Value::Array(sets) => sets,
                            other => vec![other],
                        };
                        for set in sets {
                            let mut options = common.clone();
                            options.extend(set.as_object().cloned().unwrap_or_default());
                            if let Some(condition) =
                                options.get("test.condition").and_then(Value::as_str)
                            {
                                ignore_block = !holds(condition, name, &options)?;
                            }
                            if !ignore_block {
                                let key = options_key(&options);
                                if !variants.contains_key(&key) {
                                    order.push(key.clone());
                                    variants.insert(
                                        key.clone(),
                                        Variant {
                                            options,
                                            cases: Vec::new(),
                                        },
                                    );
                                }
                                active.push(key);
                            }
                        }
                        continue;
                    }
                    "addFILE" => {
                        files.push(value.as_str().unwrap_or_default().to_string());
                        continue;
                    }
                    _ => {
                        expected = value.as_object().cloned().unwrap_or_default();
                        let Some(next) = lines.get(at) else {
                            break;
                        };
                        at += 1;
                        (at, next.trim_end_matches('\r').to_string())
                    }
                }
            } else if ignore_block || raw.starts_with('#') || raw.trim().is_empty() {
                continue;
            } else {
                (at, raw.to_string())
            };
            if ignore_block {
                continue;
            }
            if active.is_empty() {
                let key = options_key(&Map::new());
                if !variants.contains_key(&key) {
                    order.push(key.clone());
                    variants.insert(key.clone(), Variant::default());
                }
                active.push(key);
            }
            for key in &active {
                let Some(variant) = variants.get_mut(key) else {
                    continue;
                };
                if let Some(constraint) = expected.get("constraint").and_then(Value::as_str)
                    && !holds(constraint, name, &variant.options)?
                {
                    continue;
                }
                variant.cases.push(Case {
                    file: file.clone(),
                    lineno,
                    line: line.clone(),
                    expected: expected.clone(),
                });
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|key| variants.remove(&key))
        .collect())
}

/// The filter argument for `bantop regex`: `name[key="value", ...]` without `test.` options.
fn filter_spec(name: &str, options: &Map<String, Value>) -> String {
    let pairs: Vec<String> = options
        .iter()
        .filter(|(k, _)| !k.starts_with("test."))
        .map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        name.to_string()
    } else {
        format!("{name}[{}]", pairs.join(", "))
    }
}

/// Epoch seconds of a failJSON local time in the test zone.
fn local_epoch(text: &str) -> Option<f64> {
    use chrono::TimeZone;
    let (wall, fraction) = match text.split_once('.') {
        Some((wall, fraction)) => (wall, format!("0.{fraction}").parse::<f64>().ok()?),
        None => (text, 0.0),
    };
    let wall = chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%dT%H:%M:%S").ok()?;
    // CET-01CEST-02,M3.5.0,M10.5.0: summer time from the last Sunday of March 02:00 to the last
    // Sunday of October 03:00.
    let last_sunday = |month: u32| {
        let mut day = chrono::NaiveDate::from_ymd_opt(wall.year(), month, 31)?;
        while day.weekday() != chrono::Weekday::Sun {
            day = day.pred_opt()?;
        }
        Some(day)
    };
    let summer_start = last_sunday(3)?.and_hms_opt(2, 0, 0)?;
    let summer_end = last_sunday(10)?.and_hms_opt(3, 0, 0)?;
    let offset = if wall >= summer_start && wall < summer_end {
        2
    } else {
        1
    };
    let zone = chrono::FixedOffset::east_opt(offset * 3600)?;
    Some(zone.from_local_datetime(&wall).single()?.timestamp() as f64 + fraction)
}

/// Runs one option set's lines through `bantop regex --json`; the failures by line index.
/// The summary (`bantop regex` without `--json`, which only counts) must count as many
/// failures for each failregex.
fn run_variant(
    name: &str,
    variant: &Variant,
    dir: &Path,
) -> Result<BTreeMap<usize, Value>, String> {
    let journal = variant.options.get("logtype").and_then(Value::as_str) == Some("journal");
    let prefix = variant
        .options
        .get("test.prefix-line")
        .and_then(Value::as_str)
        .unwrap_or("");
    let text: String = variant
        .cases
        .iter()
        .map(|case| {
            if journal {
                format!("{prefix}{}\n", case.line)
            } else {
                format!("{}\n", case.line)
            }
        })
        .collect();
    let log = dir.join(format!("{name}.log"));
    std::fs::write(&log, text).map_err(|e| e.to_string())?;
    let run = |json: bool| -> Result<String, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bantop"));
        command
            .args(["regex", "--usedns", "raw", "--now", &TEST_NOW.to_string()])
            .arg("--fail2ban-dir")
            .arg(FILTERS)
            .env("TZ", TEST_TZ);
        if json {
            command.arg("--json");
        }
        if journal {
            command.args(["--datepattern", "{NONE}"]);
        }
        let output = command
            .arg(&log)
            .arg(filter_spec(name, &variant.options))
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let mut found = BTreeMap::new();
    let mut by_fid: BTreeMap<u64, u64> = BTreeMap::new();
    for line in run(true)?.lines() {
        let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let lineno = value["lineno"].as_u64().unwrap_or(0) as usize;
        *by_fid
            .entry(value["fid"].as_u64().unwrap_or(u64::MAX))
            .or_default() += 1;
        found.insert(lineno.saturating_sub(1), value);
    }
    // Summary lines `|   3) [12] regex`: failregex 3 (from 1) matched 12 lines.
    let counted: BTreeMap<u64, u64> = run(false)?
        .lines()
        .filter_map(|line| {
            let (index, rest) = line.strip_prefix("|   ")?.split_once(") [")?;
            let (count, _) = rest.split_once(']')?;
            let (index, count) = (index.parse::<u64>().ok()?, count.parse::<u64>().ok()?);
            (count > 0).then(|| (index - 1, count))
        })
        .collect();
    if counted != by_fid {
        return Err(format!("summary counts {counted:?}, JSON lines {by_fid:?}"));
    }
    Ok(found)
}

/// What is wrong with bantop's answer for a case, if anything.
fn disagreement(case: &Case, found: Option<&Value>) -> Option<String> {
    let expected_match = case
        .expected
        .get("match")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(found) = found else {
        return expected_match.then(|| "not matched".to_string());
    };
    if !expected_match {
        return Some(format!("matched, should not: {found}"));
    }
    for (key, want) in &case.expected {
        if ["time", "match", "desc", "constraint"].contains(&key.as_str()) {
            continue;
        }
        let got = match key.as_str() {
            "attempts" => found.get("attempts").cloned().unwrap_or(Value::Null),
            _ => found.get(key).cloned().unwrap_or(Value::Null),
        };
        let same = match (&got, want) {
            (Value::Array(a), Value::Array(b)) => {
                let mut a: Vec<String> = a.iter().map(Value::to_string).collect();
                let mut b: Vec<String> = b.iter().map(Value::to_string).collect();
                a.sort();
                b.sort();
                a == b
            }
            _ => got == *want,
        };
        if !same {
            return Some(format!("{key}: {got} instead of {want}"));
        }
    }
    if let Some(time) = case.expected.get("time").and_then(Value::as_str) {
        let want = local_epoch(time)?;
        let got = found["time"].as_f64().unwrap_or(f64::NAN);
        if (got - want).abs() > 1e-6 {
            return Some(format!("time {got} instead of {want} ({time})"));
        }
    }
    None
}

#[test]
fn debian_filters_agree_with_their_annotated_samples() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut filters: Vec<String> = std::fs::read_dir(Path::new(FILTERS).join("filter.d"))
        .unwrap_or_else(|e| panic!("{FILTERS}/filter.d (the test command installs fail2ban): {e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".conf").map(str::to_string))
        .filter(|f| f != "common" && Path::new(SAMPLES).join(f).is_file())
        .collect();
    filters.sort();
    let (mut total, mut agreed) = (0usize, 0usize);
    let mut report: Vec<String> = Vec::new();
    let mut perfect: Vec<String> = Vec::new();
    for name in &filters {
        let (mut filter_total, mut filter_agreed) = (0, 0);
        let mut problems: Vec<String> = Vec::new();
        match read_samples(name) {
            Err(error) => problems.push(error),
            Ok(variants) => {
                for variant in &variants {
                    let annotated: Vec<&Case> = variant.cases.iter().collect();
                    filter_total += annotated.len();
                    match run_variant(name, variant, dir.path()) {
                        Err(error) => problems
                            .push(format!("{}: {error}", filter_spec(name, &variant.options))),
                        Ok(found) => {
                            for (index, case) in variant.cases.iter().enumerate() {
                                match disagreement(case, found.get(&index)) {
                                    None => filter_agreed += 1,
                                    Some(why) => problems.push(format!(
                                        "{}:{} [{}] {why}\n      {}",
                                        case.file,
                                        case.lineno,
                                        filter_spec(name, &variant.options),
                                        case.line.chars().take(140).collect::<String>()
                                    )),
                                }
                            }
                        }
                    }
                }
            }
        }
        total += filter_total;
        agreed += filter_agreed;
        if problems.is_empty() {
            perfect.push(name.clone());
        } else {
            report.push(format!(
                "{name}: {filter_agreed}/{filter_total} agree\n    {}",
                problems
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n    ")
            ));
        }
    }
    println!("{}", report.join("\n"));
    println!(
        "filter samples: {agreed} of {total} lines agree; {} of {} filters entirely: {}",
        perfect.len(),
        filters.len(),
        perfect.join(" ")
    );
    assert_eq!(
        (agreed, total),
        (ANNOTATED_LINES, ANNOTATED_LINES),
        "every annotated line must agree with fail2ban (see above)"
    );
}
