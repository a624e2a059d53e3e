//! fail2ban's regex tags (`<HOST>`, `<ADDR>`, `<IP4>`, `<F-USER>...</F-USER>`, `<F-ID/>`, ...)
//! expanded into named groups exactly as `failregex.py` does, and Python regex syntax rewritten
//! where Rust's differs (`\Z`, a literal `{`, `[` inside a class).

/// fail2ban's `IP_4_RE`.
const IP4: &str = r"(?:\d{1,3}\.){3}\d{1,3}";
/// fail2ban's `IP_6_RE`, whose final `(?<=:):` is written `:`: every repetition before it ends
/// in `:`, so the look-behind always holds and the plain `regex` engine can run it.
const IP6: &str = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)";

fn r_ip4() -> String {
    format!(r"(?:::f{{4,6}}:)?(?P<ip4>{IP4})")
}
fn r_ip6() -> String {
    format!(r"(?P<ip6>{IP6})")
}
const R_DNS: &str = r"(?P<dns>[\w\-.^_]*\w)";
const R_CIDR: &str = r"(?P<cidr>\d+)";
fn r_addr() -> String {
    format!(r"\[?(?:{}|{})\]?", r_ip4(), r_ip6())
}
fn r_host() -> String {
    format!(r"(?:{}|{R_DNS})", r_addr())
}
fn r_subnet() -> String {
    format!(r"\[?(?:{}|{})(?:/{R_CIDR})?\]?", r_ip4(), r_ip6())
}

/// The fixed replacement of a tag, as in fail2ban's `RH4TAG`.
fn fixed_tag(name: &str) -> Option<String> {
    Some(match name {
        "HOST" => r_host(),
        "IP4" | "F-IP4/" => r_ip4(),
        "IP6" | "F-IP6/" => r_ip6(),
        "ADDR" | "F-ADDR/" => r_addr(),
        "CIDR" | "F-CIDR/" => R_CIDR.to_string(),
        "SUBNET" | "F-SUBNET/" => r_subnet(),
        "DNS" | "F-DNS/" => R_DNS.to_string(),
        "F-ID/" => r"(?P<fid>\S+)".to_string(),
        "F-PORT/" => r"(?P<fport>\w+)".to_string(),
        _ => return None,
    })
}

/// The group name fail2ban stores a custom `<F-NAME>` capture under.
fn group_name(tag: &str) -> String {
    match tag.to_lowercase().as_str() {
        "id" => "fid".to_string(),
        "port" => "fport".to_string(),
        other => other.replace('-', "_"),
    }
}

/// Expands the tags of one failregex (fail2ban's `_resolveHostTag`).
pub fn expand(regex: &str) -> String {
    let mut out = String::with_capacity(regex.len() * 2);
    let mut open_tags: Vec<String> = Vec::new();
    let mut skiplines = 0;
    let mut rest = regex;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let Some(len) = tag_len(candidate) else {
            out.push('<');
            rest = &candidate[1..];
            continue;
        };
        let tag = &candidate[..len];
        let name = &tag[1..len - 1];
        if let Some(fixed) = fixed_tag(name) {
            out.push_str(&fixed);
        } else if name == "SKIPLINES" {
            out.push_str(&format!(r"\n(?P<skiplines{skiplines}>(?:(?:.*\n)*?))"));
            skiplines += 1;
        } else if let Some(custom) = name.strip_prefix("/F-").filter(|n| is_custom(n)) {
            if open_tags.iter().any(|open| open == custom) {
                out.push(')');
            } else {
                out.push_str(tag);
            }
        } else if let Some(custom) = name.strip_prefix("F-").filter(|n| is_custom(n)) {
            open_tags.push(custom.to_string());
            out.push_str(&format!("(?P<{}>", group_name(custom)));
        } else {
            out.push_str(tag);
        }
        rest = &candidate[len..];
    }
    out.push_str(rest);
    out
}

/// fail2ban's `FCUSTNAME_CRE`: upper-case letters, digits, `_` and `-`.
fn is_custom(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Length of a tag matching fail2ban's `FTAG_CRE` (`</?[\w\-]+/?>`) at the start of `text`.
fn tag_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('<')?;
    let body_start = usize::from(body.starts_with('/'));
    let word_len = body[body_start..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(body.len() - body_start);
    if word_len == 0 {
        return None;
    }
    let mut end = body_start + word_len;
    if body[end..].starts_with('/') {
        end += 1;
    }
    body[end..].starts_with('>').then_some(end + 2)
}

/// Rewrites Python regex syntax that Rust's engines read differently.
pub fn python_to_rust(regex: &str) -> String {
    let mut out = String::with_capacity(regex.len() + 8);
    let mut chars = regex.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') => out.push_str(r"\z"),
                // Python's `\<` and `\>` are the characters; Rust reads them as word boundaries.
                Some(bracket @ ('<' | '>')) => out.push(bracket),
                Some(escaped) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push_str(r"\\"),
            },
            '[' if in_class => {
                out.push_str(r"\[");
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.next_if_eq(&'^').is_some() {
                    out.push('^');
                }
                // A `]` first in a class is a literal in Python.
                if chars.next_if_eq(&']').is_some() {
                    out.push_str(r"\]");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' | '-' if in_class && chars.peek() == Some(&c) => {
                // Rust reads `&&`, `~~` and `--` in a class as set operations.
                out.push('\\');
                out.push(c);
            }
            '(' if !in_class && chars.clone().take(2).eq(['?', '(']) => {
                // Python's `(?(name)yes|no)` tests a named group; fancy-regex spells it `(?(<name>)`.
                chars.nth(1);
                let name: String = chars
                    .clone()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let is_name = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_');
                if is_name && chars.clone().nth(name.chars().count()) == Some(')') {
                    chars.nth(name.chars().count());
                    out.push_str(&format!("(?(<{name}>)"));
                } else {
                    out.push_str("(?(");
                }
            }
            '{' if !in_class && !starts_repetition(chars.clone()) => out.push_str(r"\{"),
            // Python reads `{,n}` as `{0,n}`; Rust's parser wants the 0.
            '{' if !in_class && chars.peek() == Some(&',') => out.push_str("{0"),
            '}' if !in_class => out.push('}'),
            other => {
                out.push(other);
            }
        }
    }
    out
}

/// Whether the text after `{` is `m}`, `m,}`, `,n}` or `m,n}`: Python treats others as literal.
fn starts_repetition(mut rest: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest.by_ref() {
        match c {
            '0'..='9' => digits += 1,
            ',' if !comma => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_custom_tags_become_named_groups() {
        let out = expand("user <F-USER>.*</F-USER> from <HOST> id <F-ID/> </F-OTHER>");
        assert!(out.contains("(?P<user>.*)"));
        assert!(out.contains("(?P<ip4>"));
        assert!(out.contains("(?P<dns>"));
        assert!(out.contains(r"(?P<fid>\S+)"));
        assert!(
            out.ends_with("</F-OTHER>"),
            "an unopened close tag stays as written: {out}"
        );
        assert_eq!(expand("<F-ALT_USER>x</F-ALT_USER>"), "(?P<alt_user>x)");
    }

    #[test]
    fn python_only_syntax_is_rewritten() {
        assert_eq!(python_to_rust(r"a\Z"), r"a\z");
        assert_eq!(python_to_rust(r"{^LN-BEG}x{2,3}"), r"\{^LN-BEG}x{2,3}");
        assert_eq!(python_to_rust(r"[[]x[^]]"), r"[\[]x[^\]]");
        assert_eq!(python_to_rust(r"[a&&b]"), r"[a\&&b]");
        assert_eq!(python_to_rust(r"\d{,3}x{,}"), r"\d{0,3}x\{,}");
        assert_eq!(
            python_to_rust(r"(?P<c>x)?(?(c)a|b)(?(1)c)"),
            r"(?P<c>x)?(?(<c>)a|b)(?(1)c)"
        );
    }
}
