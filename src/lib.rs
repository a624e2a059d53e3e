//! bantop: a terminal UI for live security operations on servers protected by fail2ban.
//!
//! Layers, each depending only on those below it: [`tui`] -> [`engine`] -> ([`fail2ban`],
//! [`source`], [`firewall`]) -> [`model`].

pub mod fail2ban;
pub mod model;
pub mod engine;
pub mod firewall;
pub mod source;
pub mod cli;
pub mod tui;
