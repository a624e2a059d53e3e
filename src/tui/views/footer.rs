//! The footer: the last result message, or the keys of the current context taken from the
//! keymap, so it never lists a key that does something else.

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::Context;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Actions worth a place in the footer, in order.
const SHOWN: [Action; 12] = [
    Action::Close,
    Action::Quit,
    Action::NextView,
    Action::Help,
    Action::Filter,
    Action::Unban,
    Action::Whitelist,
    Action::Ban,
    Action::Pause,
    Action::Faster,
    Action::Slower,
    Action::Inspect,
];

/// Draws the footer in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    if let Some((ok, message)) = &app.status {
        spans.push(Span::styled(
            format!("{} ", if *ok { "✔" } else { "✖" }),
            if *ok { theme.ok } else { theme.error },
        ));
        spans.push(Span::styled(
            message.clone(),
            if *ok { theme.ok } else { theme.error },
        ));
        spans.push(Span::raw("  "));
    }
    if app.editing_filter {
        spans.push(Span::styled(
            "type a jail or address · Enter keeps · Esc clears",
            theme.muted,
        ));
    } else {
        let contexts = app.contexts();
        let popup_open = contexts.first() == Some(&Context::Popup);
        let actions: &[Action] = if popup_open {
            &[Action::Confirm, Action::Cancel]
        } else {
            &SHOWN
        };
        for action in actions {
            if let Some(key) = app.keymap.key_for(*action, &contexts) {
                spans.push(Span::styled(key.to_string(), theme.key));
                spans.push(Span::styled(
                    format!(" {}  ", action.describe()),
                    theme.muted,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
