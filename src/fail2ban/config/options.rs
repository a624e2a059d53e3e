//! `name[key=value, key="quoted, value"]` as written in `filter =`, `action =` and `backend =`
//! lines, read with fail2ban's own expressions (`extractOptions`, `splitWithOptions` in
//! `helpers.py`).

use super::merged::Section;
use fancy_regex::Regex;
use std::sync::LazyLock;

/// `OPTION_CRE`: the name, then optionally `[options]`.
static OPTION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?s)^([^\[]+)(?:\[(.*)\])?\s*$").ok());
/// `OPTION_EXTRACT_CRE`: one `key=value` of the options, or what is wrong there.
static OPTION_EXTRACT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)\s*([\w\-_\.]+)=(?:"([^"]*)"|'([^']*)'|([^,\]]*))(?:,|\]\s*\[|$|(?P<wrngA>.+))|,?\s*$|(?P<wrngB>.+)"#,
    )
    .ok()
});
/// `OPTION_SPLIT_CRE`: one action of a multi-line `action =`, with its options.
static OPTION_SPLIT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)(?:[^\[\s]+(?:\s*\[\s*(?:[\w\-_\.]+=(?:"[^"]*"|'[^']*'|[^,\]]*)\s*(?:,|\]\s*\[)?\s*)*\])?\s*|\S+)(?=\n\s*|\s+|$)"#,
    )
    .ok()
});

/// A name with its options, e.g. `sshd[mode=aggressive]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct NamedOptions {
    /// The name before `[`, as written.
    pub(crate) name: String,
    /// The options in the order written.
    pub(crate) options: Section,
}

/// Parses `text` as fail2ban's `extractOptions`; the error says what is wrong in it.
pub(crate) fn parse(text: &str) -> Result<NamedOptions, String> {
    let (Some(option), Some(extract)) = (OPTION.as_ref(), OPTION_EXTRACT.as_ref()) else {
        return Err("option expressions did not compile".to_string());
    };
    let captures = option
        .captures(text)
        .ok()
        .flatten()
        .ok_or_else(|| format!("{text:?}: unexpected option syntax"))?;
    let name = captures.get(1).map_or("", |m| m.as_str()).to_string();
    let mut options = Section::new();
    let body = captures.get(2).map_or("", |m| m.as_str());
    for found in extract.captures_iter(body) {
        let found = found.map_err(|e| format!("{text:?}: {e}"))?;
        if let Some(wrong) = found.name("wrngA") {
            return Err(format!(
                "{text:?}: unexpected syntax at {} after option {:?}: {}",
                wrong.start(),
                found.get(1).map_or("", |m| m.as_str()),
                wrong.as_str().chars().take(25).collect::<String>()
            ));
        }
        if let Some(wrong) = found.name("wrngB") {
            return Err(format!(
                "{text:?}: expected option, wrong syntax at {}: {}",
                wrong.start(),
                wrong.as_str().chars().take(25).collect::<String>()
            ));
        }
        let Some(key) = found.get(1) else { continue };
        let value = [2, 3, 4]
            .iter()
            .find_map(|i| found.get(*i))
            .map_or("", |m| m.as_str());
        options.insert(key.as_str().trim().to_string(), value.trim().to_string());
    }
    Ok(NamedOptions { name, options })
}

/// The actions of an `action =` value, one per line or separated by white space, each with
/// its `[...]` options (fail2ban's `splitWithOptions`).
pub(crate) fn split_with_options(text: &str) -> Vec<String> {
    let Some(split) = OPTION_SPLIT.as_ref() else {
        return Vec::new();
    };
    split
        .find_iter(text)
        .filter_map(Result::ok)
        .map(|m| m.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_quoted_options() {
        let parsed = parse(r#"iptables[name=ASTERISK, port="sip,5061", protocol=udp]"#);
        let parsed = parsed.unwrap_or_default();
        assert_eq!(parsed.name, "iptables");
        assert_eq!(
            parsed.options.get("port").map(String::as_str),
            Some("sip,5061")
        );
        assert_eq!(
            parsed.options.get("protocol").map(String::as_str),
            Some("udp")
        );
        assert_eq!(parse("sshd").map(|p| p.name), Ok("sshd".to_string()));
        assert!(parse("sshd[mode=normal").is_err());
        assert!(parse("sshd[=x]").is_err());
        let groups = parse("a[x=1][y='2']").unwrap_or_default();
        assert_eq!(groups.options.len(), 2);
    }

    #[test]
    fn splits_actions_with_options_across_lines() {
        let actions = split_with_options(
            "iptables[name=X, port=\"a,b\"]\n  sendmail-whois[name=X, dest=root]\nother",
        );
        assert_eq!(
            actions
                .iter()
                .map(|a| a.trim().to_string())
                .collect::<Vec<_>>(),
            vec![
                "iptables[name=X, port=\"a,b\"]",
                "sendmail-whois[name=X, dest=root]",
                "other"
            ]
        );
    }
}
