//! The console theme's drawing: the finished frame with every non-ASCII symbol replaced, so a
//! Linux console without UTF-8 shows borders, sparklines and markers that it can draw.

use ratatui::buffer::Buffer;

/// Replaces box drawing, block elements and other symbols by ASCII look-alikes, and any other
/// non-ASCII character (in log text, say) by `?`.
pub fn asciify(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let replacement = match symbol.chars().next().unwrap_or(' ') {
            '─' | '━' | '═' => "-",
            '│' | '┃' | '║' => "|",
            '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' => {
                "+"
            }
            '…' => "~",
            '▶' | '►' => ">",
            '✔' => "+",
            '✖' => "!",
            '×' => "x",
            '▏' => "_",
            '▁' | '▂' => ".",
            '▃' | '▄' => "-",
            '▅' | '▆' => "=",
            '▇' | '█' => "#",
            _ => "?",
        };
        cell.set_symbol(replacement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn only_ascii_remains() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 8, 1));
        buffer.set_string(0, 0, "┌─│…▇é▶a", ratatui::style::Style::default());
        asciify(&mut buffer);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(text, "+-|~#?>a");
    }
}
