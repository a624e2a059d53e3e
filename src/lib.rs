//! bantop: a terminal UI for live security operations on servers protected by fail2ban.
//!
//! Layers, each depending only on those below it: [`tui`] -> [`engine`] -> ([`fail2ban`],
//! [`source`], [`firewall`], [`geoip`]) -> [`model`].

pub mod asterisk;
pub mod cli;
pub mod commands;
pub mod docs;
pub mod engine;
pub mod fail2ban;
pub mod firewall;
pub mod fleet;
pub mod geoip;
pub mod model;
pub mod ports;
pub mod posture;
pub mod run;
pub mod settings;
pub mod source;
pub mod state_file;
pub mod tui;
