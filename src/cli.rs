//! Every subcommand and flag of the `bantop` binary, in one place.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// bantop: live security operations on servers protected by fail2ban.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: CliCommand,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Replay recorded attacks on a Wazo PBX through the real filters; no root, no fail2ban,
    /// no firewall needed. Keys: Tab views, u unban, w whitelist, b ban, space pause, +/- speed.
    Demo {
        /// Log seconds per real second (1 = real time).
        #[arg(long, default_value_t = 10.0, value_parser = parse_speed)]
        speed: f64,
        /// The demo directory (scenario.toml, fail2ban/, logs/); default: ./demo, else the one
        /// bantop was built with.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && (0.25..=3600.0).contains(&speed) => Ok(speed),
        _ => Err(format!("{text:?}: expected a number from 0.25 to 3600")),
    }
}
