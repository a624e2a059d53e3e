//! `name[key=value, key="quoted, value"]` as written in `filter =` and `action =` lines.

use super::merged::Section;

/// A name with its options, e.g. `sshd[mode=aggressive]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct NamedOptions {
    /// The name before `[`.
    pub(super) name: String,
    /// The options, keys lower-cased.
    pub(super) options: Section,
}

/// Parses `text`; the error says what is wrong in it.
pub(super) fn parse(text: &str) -> Result<NamedOptions, String> {
    let text = text.trim();
    let Some(open) = text.find('[') else {
        return Ok(NamedOptions {
            name: text.to_string(),
            options: Section::new(),
        });
    };
    let name = text[..open].trim().to_string();
    let body = text[open + 1..]
        .strip_suffix(']')
        .ok_or_else(|| format!("{text:?}: missing closing ']'"))?;
    let mut options = Section::new();
    let mut chars = body.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        let key = key.trim().to_lowercase();
        if chars.next() != Some('=')
            || key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.".contains(c))
        {
            return Err(format!("{text:?}: expected key=value, found {key:?}"));
        }
        let value = match chars.peek() {
            Some(&quote) if quote == '"' || quote == '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => value.extend(chars.next()),
                        Some(c) if c == quote => break,
                        Some(c) => value.push(c),
                        None => {
                            return Err(format!("{text:?}: unterminated quote in option {key}"));
                        }
                    }
                }
                value
            }
            _ => std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_string(),
        };
        options.insert(key, value);
    }
    Ok(NamedOptions { name, options })
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
    }
}
