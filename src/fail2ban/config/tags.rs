//! fail2ban's `<tag>` substitution (`substituteRecursiveTags` in `helpers.py`), step for step:
//! each option's `<name>` is replaced by the current value of option `name` (or of the reader's
//! fallback look-up), passes repeat while a replacement left tags behind, so `<mdre-<mode>>`
//! becomes `<mdre-normal>` and then its value. Tags nobody defines (`<HOST>`, `<F-USER>`) are
//! left for the regex compiler; a tag that refers to itself is an error.

use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

/// How often one tag may be replaced inside one option before that is taken for a loop.
const MAX_TAG_REPLACE_COUNT: usize = 25;

/// Options after substitution; `fallback` gives the value of a tag that is not an option.
pub(super) fn substitute_recursive(
    options: &IndexMap<String, String>,
    ignore: &HashSet<String>,
    fallback: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, String> {
    let mut tags = options.clone();
    let names: Vec<String> = tags.keys().cloned().collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut counts: HashMap<String, HashMap<String, usize>> = HashMap::new();
    loop {
        let mut repeat = false;
        for tag in &names {
            if ignore.contains(tag) || done.contains(tag) {
                continue;
            }
            let original = tags.get(tag).cloned().unwrap_or_default();
            let mut value = original.clone();
            let counted_before = counts.contains_key(tag);
            let mut replaced = counts.get(tag).cloned().unwrap_or_default();
            let mut found = next_tag(&value, 0);
            while let Some((start, end)) = found {
                let name = value[start + 1..end - 1].to_string();
                if ignore.contains(&name) {
                    found = next_tag(&value, end);
                    continue;
                }
                if name == *tag || replaced.get(&name).copied().unwrap_or(1) > MAX_TAG_REPLACE_COUNT
                {
                    return Err(format!(
                        "properties contain self referencing definitions and cannot be \
                         resolved, fail tag: {tag}, found: {name}, value: {value}"
                    ));
                }
                let replacement = match tags.get(&name) {
                    Some(current) => Some(current.clone()),
                    None => fallback(&name),
                };
                let Some(replacement) = replacement else {
                    found = next_tag(&value, end);
                    continue;
                };
                value = value.replace(&format!("<{name}>"), &replacement);
                *replaced.entry(name).or_insert(0) += 1;
                found = next_tag(&value, start);
            }
            let tags_left = next_tag(&value, 0).is_some();
            if original != value {
                repeat |= tags_left;
                tags.insert(tag.clone(), value.clone());
            }
            if counted_before || (original != value && tags_left) {
                counts.insert(tag.clone(), replaced);
            }
            if !value.contains('<') {
                done.insert(tag.clone());
            }
        }
        if !repeat {
            return Ok(tags);
        }
    }
}

/// The next `<name>` at or after byte `from` (`TAG_CRE`: a name without space, `<` or `>`).
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
            b' ' => start = None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn resolves_nested_tags_and_keeps_unknown_ones() {
        let tags = options(&[
            ("failregex", "<mdre-<mode>> from <HOST> <F-USER>u</F-USER>"),
            ("mode", "normal"),
            ("mdre-normal", "^x <__pid>"),
        ]);
        let mut fallback = |tag: &str| (tag == "__pid").then(|| r"\[\d+\]".to_string());
        let out = substitute_recursive(&tags, &HashSet::new(), &mut fallback);
        assert_eq!(
            out.ok()
                .and_then(|o| o.get("failregex").cloned())
                .as_deref(),
            Some(r"^x \[\d+\] from <HOST> <F-USER>u</F-USER>")
        );
    }

    #[test]
    fn a_self_reference_is_an_error_and_ignored_tags_stay() {
        let mut none = |_: &str| None;
        let tags = options(&[("a", "<b>"), ("b", "<a>")]);
        assert!(substitute_recursive(&tags, &HashSet::new(), &mut none).is_err());
        let tags = options(&[("a", "<ip> <b>"), ("b", "x"), ("ip", "y")]);
        let ignore: HashSet<String> = ["ip".to_string()].into();
        let out = substitute_recursive(&tags, &ignore, &mut none);
        assert_eq!(
            out.ok().and_then(|o| o.get("a").cloned()).as_deref(),
            Some("<ip> x")
        );
    }
}
