//! fail2ban's `<tag>` substitution (`substituteRecursiveTags`): `<name>` is replaced by the
//! value of option `name`, innermost first, so `<mdre-<mode>>` becomes `<mdre-normal>` and then
//! its value. Tags nobody defines (`<HOST>`, `<F-USER>`) are left for the regex compiler.

/// How deep replacements may nest before the definition is taken for a loop.
const MAX_DEPTH: usize = 32;

/// Replaces every resolvable `<tag>` in `value`; `lookup` gives a tag's raw value or `None`.
pub(super) fn substitute(
    value: &str,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    substitute_at(value, lookup, 0)
}

fn substitute_at(
    value: &str,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
    depth: usize,
) -> Result<String, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "tags nest more than {MAX_DEPTH} deep (self-referencing definition?) in {value:?}"
        ));
    }
    let mut value = value.to_string();
    let mut from = 0;
    while let Some((start, end)) = next_tag(&value, from) {
        let tag = &value[start + 1..end - 1];
        match lookup(tag) {
            Some(replacement) => {
                let replacement = substitute_at(&replacement, lookup, depth + 1)?;
                let whole = value[start..end].to_string();
                value = value.replace(&whole, &replacement);
                // Search again from here: the replacement may complete an outer tag.
                from = value[..start].rfind('<').unwrap_or(start).min(start);
            }
            None => from = end,
        }
    }
    Ok(value)
}

/// The next `<name>` at or after `from` whose name has no space, `<` or `>`.
fn next_tag(value: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = value.as_bytes();
    let mut start = None;
    for (i, byte) in bytes.iter().enumerate().skip(from) {
        match byte {
            b'<' => start = Some(i),
            b'>' => match start {
                Some(s) if i > s + 1 => return Some((s, i + 1)),
                _ => start = None,
            },
            b' ' | b'\t' | b'\n' => start = None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn resolves_nested_tags_and_keeps_unknown_ones() {
        let defs: HashMap<&str, &str> = [
            ("mode", "normal"),
            ("mdre-normal", "^x <__pid>"),
            ("__pid", r"\[\d+\]"),
        ]
        .into();
        let mut lookup = |tag: &str| defs.get(tag).map(|v| v.to_string());
        let out = substitute("<mdre-<mode>> from <HOST> <F-USER>u</F-USER>", &mut lookup);
        assert_eq!(
            out.as_deref(),
            Ok(r"^x \[\d+\] from <HOST> <F-USER>u</F-USER>")
        );
    }

    #[test]
    fn a_self_reference_is_an_error() {
        let mut lookup = |tag: &str| (tag == "a").then(|| "<a>".to_string());
        assert!(substitute("<a>", &mut lookup).is_err());
    }
}
