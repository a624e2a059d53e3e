//! Where fail2ban and bantop keep their things, as the one-shot commands are given them.

use std::path::Path;

/// Where fail2ban and bantop keep their things.
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: &'a Path,
    /// fail2ban's socket.
    pub socket: &'a Path,
    /// bantop's state directory (the audit log).
    pub state_dir: &'a Path,
}
