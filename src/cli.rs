//! Every subcommand and flag of the `bantop` binary, in one place.

use clap::{Parser, Subcommand};
use std::net::IpAddr;
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
    /// Every listening TCP and UDP socket with its process, the service the Wazo port table
    /// expects there, and a finding when it should not be exposed.
    Ports {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The security checklist: fail2ban, jails and logs, whitelisting, ports, SIP ACLs.
    /// Exit status 1 when an item fails.
    Check {
        /// fail2ban's configuration directory.
        #[arg(long, default_value = "/etc/fail2ban")]
        fail2ban_dir: PathBuf,
        /// fail2ban's socket (default: from fail2ban.conf).
        #[arg(long)]
        socket: Option<PathBuf>,
        /// Asterisk's configuration directory.
        #[arg(long, default_value = "/etc/asterisk")]
        asterisk_dir: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Asterisk ACLs.
    #[command(subcommand)]
    Acl(AclCommand),
}

/// `bantop acl ...`.
#[derive(Debug, Subcommand)]
pub enum AclCommand {
    /// Whether Asterisk lets ADDR in, per endpoint and global ACL, and which rule decided.
    /// Exit status 1 when it is denied somewhere.
    Check {
        /// The source address.
        address: IpAddr,
        /// Only this PJSIP endpoint.
        #[arg(long)]
        endpoint: Option<String>,
        /// Asterisk's configuration directory.
        #[arg(long, default_value = "/etc/asterisk")]
        asterisk_dir: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && (0.25..=3600.0).contains(&speed) => Ok(speed),
        _ => Err(format!("{text:?}: expected a number from 0.25 to 3600")),
    }
}
