//! Entering and leaving the terminal's raw, alternate-screen mode with bracketed paste. The
//! guard restores the terminal when dropped (normal exit, error, the signals the loop handles);
//! the panic hooks restore it on a panic.

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use std::io::stdout;

/// The terminal in raw mode with bracketed paste; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Switches to raw mode, the alternate screen and bracketed paste (so that a paste arrives
    /// as one text, never as key presses).
    pub fn enter() -> std::io::Result<Self> {
        // ratatui's own hook leaves raw mode and the alternate screen; ours, run first, ends
        // bracketed paste, which a shell left with it on would misread.
        let guard = TerminalGuard {
            terminal: ratatui::try_init()?,
        };
        let ratatui_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableBracketedPaste);
            ratatui_hook(info);
        }));
        // On an error here the guard is dropped, and the terminal restored.
        execute!(stdout(), EnableBracketedPaste)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal is gone: restoring is best effort.
        let _ = execute!(stdout(), DisableBracketedPaste);
        ratatui::restore();
    }
}
