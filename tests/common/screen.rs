//! A frame of the TUI drawn into ratatui's `TestBackend`, as text, for the snapshot tests.

use bantop::tui::app::App;
use bantop::tui::theme::Theme;
use bantop::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// `app` drawn with the default theme at `width` x `height`.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|frame| views::render(frame, app, &theme))
        .unwrap_or_else(|e| panic!("{e}"));
    terminal.backend().to_string()
}
