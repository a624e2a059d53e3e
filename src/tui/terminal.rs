//! Entering and leaving the terminal's raw, alternate-screen mode. The guard restores the
//! terminal when dropped (normal exit, error, SIGTERM/SIGHUP handled by the loop); ratatui's
//! panic hook restores it on a panic.

use ratatui::DefaultTerminal;

/// The terminal in raw mode; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Switches to raw mode and the alternate screen.
    pub fn enter() -> std::io::Result<Self> {
        Ok(TerminalGuard {
            terminal: ratatui::try_init()?,
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
