//! `journalctl -o json` entries: the line built the way fail2ban's systemd backend builds it
//! (`HOSTNAME IDENTIFIER[PID]: MESSAGE`), time from `__REALTIME_TIMESTAMP`, `MESSAGE` as a string
//! or a byte array, and `journalmatch` expressions (`A=x B=y + C=z`: AND within, OR between).

use serde_json::Value;

/// One journal entry, reduced to what matching needs.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// `HOSTNAME IDENTIFIER[PID]: MESSAGE`.
    pub line: String,
    /// Epoch seconds.
    pub time: f64,
    fields: serde_json::Map<String, Value>,
}

/// Parses one JSON line; the error says what is missing.
pub fn parse(json: &str) -> Result<JournalEntry, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("not a JSON object".to_string());
    };
    let micros = field_text(&fields, "_SOURCE_REALTIME_TIMESTAMP")
        .or_else(|| field_text(&fields, "__REALTIME_TIMESTAMP"))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or("no __REALTIME_TIMESTAMP")?;
    let mut parts: Vec<String> = Vec::new();
    if let Some(host) = field_text(&fields, "_HOSTNAME") {
        parts.push(host);
    }
    if let Some(ident) =
        field_text(&fields, "SYSLOG_IDENTIFIER").or_else(|| field_text(&fields, "_COMM"))
    {
        let pid = field_text(&fields, "SYSLOG_PID").or_else(|| field_text(&fields, "_PID"));
        parts.push(match pid {
            Some(pid) => format!("{ident}[{pid}]:"),
            None => format!("{ident}:"),
        });
    }
    parts.push(field_text(&fields, "MESSAGE").unwrap_or_default());
    Ok(JournalEntry {
        line: parts.join(" "),
        time: micros as f64 / 1e6,
        fields,
    })
}

/// A field as text: strings as they are, byte arrays decoded lossily, numbers printed.
fn field_text(fields: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Array(bytes) => {
            let bytes: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl JournalEntry {
    /// Whether the entry passes a jail's `journalmatch` lines (no lines: everything passes).
    pub fn matches(&self, journalmatch: &[String]) -> bool {
        let words: Vec<&str> = journalmatch
            .iter()
            .flat_map(|line| line.split_whitespace())
            .collect();
        if words.is_empty() {
            return true;
        }
        words.split(|word| *word == "+").any(|group| {
            group.iter().all(|term| match term.split_once('=') {
                Some((field, value)) => field_text(&self.fields, field).as_deref() == Some(value),
                None => false,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"{"__REALTIME_TIMESTAMP":"1768842012500000","_HOSTNAME":"pbx","SYSLOG_IDENTIFIER":"sshd","_COMM":"sshd","_PID":"812","_SYSTEMD_UNIT":"ssh.service","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,255,32,102,114,111,109,32,49,46,50,46,51,46,52]}"#;

    #[test]
    fn builds_the_line_fail2ban_matches() {
        let entry = parse(ENTRY);
        assert_eq!(
            entry.as_ref().map(|e| e.line.as_str()),
            Ok("pbx sshd[812]: Invalid user \u{fffd} from 1.2.3.4")
        );
        assert_eq!(entry.map(|e| e.time), Ok(1_768_842_012.5));
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
    }

    #[test]
    fn journalmatch_is_or_of_and_groups() {
        let entry = parse(ENTRY).ok();
        let matches = |spec: &str| {
            entry
                .as_ref()
                .is_some_and(|e| e.matches(&[spec.to_string()]))
        };
        assert!(matches("_SYSTEMD_UNIT=sshd.service + _COMM=sshd"));
        assert!(!matches("_SYSTEMD_UNIT=sshd.service"));
        assert!(!matches("_COMM=sshd _PID=1"));
    }
}
