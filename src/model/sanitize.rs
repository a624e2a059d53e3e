//! Untrusted text (log lines, user names from attackers, fail2ban's evidence) made safe to show
//! on a terminal: control characters and bidirectional overrides are replaced, so a line cannot
//! move the cursor, clear the screen, set the clipboard (OSC 52), change colours or reorder what
//! the operator reads. The one sanitizer for every layer: the TUI draws through it and the
//! commands' text output is written through it.

/// `text` with control and bidi-control characters replaced by `?` and tabs by a space.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => '?',
            c => c,
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escapes_and_bidi_overrides_are_defused() {
        assert_eq!(
            sanitize("user \u{1b}[2Jroot\u{202e}nimda\tx"),
            "user ?[2Jroot?nimda x"
        );
        assert_eq!(sanitize("plain 203.0.113.5"), "plain 203.0.113.5");
    }
}
