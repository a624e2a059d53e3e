//! Every subcommand and flag of the `bantop` binary, in one place.

use clap::{Parser, Subcommand};
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::PathBuf;

/// `bantop --version`: the version and the git revision bantop was built from (set by build.rs;
/// "unknown" outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("BANTOP_GIT_REVISION"),
    ")"
);

/// bantop: live security operations on servers protected by fail2ban. Settings also come from
/// /etc/bantop/config.toml and ~/.config/bantop/config.toml; flags win.
#[derive(Debug, Parser)]
#[command(version = VERSION, about)]
pub struct Cli {
    /// fail2ban's configuration directory (default /etc/fail2ban).
    #[arg(long, global = true)]
    pub fail2ban_dir: Option<PathBuf>,
    /// fail2ban's socket (default: `socket` in fail2ban.conf, else /var/run/fail2ban/fail2ban.sock).
    #[arg(long, global = true)]
    pub socket: Option<PathBuf>,
    /// The TUI's theme: default, light, console, high-contrast, monochrome, or a theme file
    /// (default: console on TERM=linux, monochrome with NO_COLOR, else default).
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// bantop's state (the audit log; default /var/lib/bantop).
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// A keymap file overriding the default keys, key by key.
    #[arg(long, global = true)]
    pub keymap: Option<PathBuf>,
    /// A GeoIP file for the country and AS of addresses, read locally, never over the network:
    /// tor-geoipdb text or a MaxMind DB (.mmdb: GeoLite2, DB-IP Lite, IPinfo Lite), told by
    /// content. Repeat it for several, all before or all after the subcommand (clap keeps only
    /// the subcommand's side); each field comes from the first file that knows it (default:
    /// /usr/share/tor/geoip and /usr/share/tor/geoip6, from tor-geoipdb, if present).
    #[arg(long = "geoip", value_name = "PATH", global = true)]
    pub geoip: Vec<PathBuf>,
    /// A hosts file (TOML, one [[host]] with name and ssh per PBX): the TUI on every host of
    /// the fleet, over the operator's own SSH; also read by `bantop fleet`.
    #[arg(long, global = true, value_name = "FILE")]
    pub hosts: Option<PathBuf>,
    /// What to do; without a command, the TUI on this server's fail2ban.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
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
        /// Asterisk's configuration directory.
        #[arg(long, default_value = "/etc/asterisk")]
        asterisk_dir: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every jail as fail2ban resolves it: each value with the file and line it came from
    /// (and what it overrode), the jails fail2ban skips with its reason, its warnings.
    Jails {
        /// One JSON document: {"jails": [...], "skipped": [...], "warnings": [...]}.
        #[arg(long)]
        json: bool,
        /// Only these jails.
        jails: Vec<String>,
    },
    /// Asterisk ACLs.
    #[command(subcommand)]
    Acl(AclCommand),
    /// What the TUI shows, as a stream: failures found in the jails' logs, bans and unbans,
    /// source states. Follows the logs from the last `findtime` on; ends on SIGINT/SIGTERM.
    Events {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Read whole files (and the whole journal) first.
        #[arg(long)]
        from_start: bool,
        /// Read this journal file instead of the system journal (systemd jails).
        #[arg(long)]
        journal_file: Option<PathBuf>,
        /// Read the logs back this far (rotated files too, gzip'd or not), e.g. 24h, 7d.
        #[arg(long, value_parser = parse_since, conflicts_with = "from_start")]
        since: Option<u64>,
        /// Read what the logs hold now, then end (no following).
        #[arg(long)]
        no_follow: bool,
    },
    /// Everything about one address: its failures in every jail's logs (rotated and gzip'd
    /// ones too, the journal for systemd jails), first and last seen, the accounts it tried,
    /// fail2ban's bans of it (its database), and its state now (banned where, dropped by the
    /// kernel, whitelisted).
    Inspect {
        /// The address (any spelling: `::ffff:` forms are the IPv4 address).
        #[arg(value_parser = parse_address)]
        address: IpAddr,
        /// Read back only this far (e.g. 24h, 7d; default: everything there is).
        #[arg(long, value_parser = parse_since)]
        since: Option<u64>,
        /// Read this journal file instead of the system journal (systemd jails).
        #[arg(long)]
        journal_file: Option<PathBuf>,
        /// Ask the reverse DNS for its name (at most 2 s; the name is shown, not trusted).
        #[arg(long)]
        rdns: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What the attackers are after, over a period: per jail failures and bans, the accounts
    /// tried, the numbers rejected calls went to (toll-fraud probes), the provisioning files
    /// asked for, the top sources, what the jails miss (fail2ban's stock filters run beside
    /// them), and the findings. For a ticket, or mail from cron.
    Report {
        /// The period, back from now (default 24h).
        #[arg(long, value_parser = parse_since, default_value = "24h")]
        since: u64,
        /// On the demo's recordings instead of this server.
        #[arg(long)]
        demo: bool,
        /// The demo directory (with --demo; default as `bantop demo`).
        #[arg(long, requires = "demo")]
        dir: Option<PathBuf>,
        /// Read this journal file instead of the system journal (systemd jails).
        #[arg(long)]
        journal_file: Option<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A filter on a log file, like fail2ban-regex: FILTER is a name in <fail2ban-dir>/filter.d
    /// or a path to a .conf, optionally with options (`sshd[mode=aggressive]`).
    Regex {
        /// The log file.
        log: PathBuf,
        /// The filter.
        filter: String,
        /// One JSON object per failure (lineno, fid, host, time, captures).
        #[arg(long)]
        json: bool,
        /// The current time, epoch seconds (year inference, undated lines).
        #[arg(long)]
        now: Option<f64>,
        /// Replace the filter's datepattern ({NONE}: the lines carry no date).
        #[arg(long)]
        datepattern: Option<String>,
        /// Threads that match parts of the log at once (default: one per core, at most 8;
        /// a multi-line filter always uses one). The result is the same for any number, from 1
        /// to 64.
        #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
        jobs: Option<usize>,
        /// Replace the filter's usedns, as fail2ban-regex --usedns: yes or warn (a host name
        /// counts as each address it resolves to), no (it counts for nothing), raw (as written).
        #[arg(long, value_parser = ["yes", "warn", "no", "raw"])]
        usedns: Option<String>,
    },
    /// fail2ban's jails, bans with their expiry, ignore lists, and whether its socket answered.
    /// Exit status 1 when it did not.
    Status {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Lift a ban: in one jail, or everywhere (bantop's own nftables set, every jail and
    /// fail2ban's database).
    Unban {
        /// The address (or a network banned in bantop's set).
        #[arg(value_parser = parse_target)]
        address: IpNet,
        /// Only in this fail2ban jail.
        #[arg(long, conflicts_with = "own_set")]
        jail: Option<String>,
        /// Only in bantop's own nftables set (an address, or a network banned there; an
        /// address inside a banned network splits it around the address).
        #[arg(long)]
        own_set: bool,
        /// The steps as JSON (kind, text, ok, changed) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Ban by hand in bantop's own nftables set (table inet bantop), for a while or for good;
    /// saved in the state directory and restored after a reboot. With --jail: ban through
    /// fail2ban instead, so the jail's own actions run.
    Ban {
        /// The address or network (CIDR).
        #[arg(value_parser = parse_target)]
        address: IpNet,
        /// How long: 90, 10m, 2h, 1d, 1w (default: permanent). Not with --jail.
        #[arg(long = "for", value_parser = parse_duration, conflicts_with = "jail")]
        duration: Option<u64>,
        /// Ban in this fail2ban jail instead (the jail's bantime and actions).
        #[arg(long)]
        jail: Option<String>,
        /// Ban even your own, loopback or a whitelisted address, or a range wider than /16
        /// (IPv4) or /48 (IPv6).
        #[arg(long)]
        force: bool,
        /// Why, kept with the saved ban.
        #[arg(long)]
        reason: Option<String>,
        /// The steps as JSON (kind, text, ok, changed) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every nftables set and drop rule in the kernel (fail2ban's f2b-table, iptables-nft's
    /// f2b-* chains, bantop's own), and the drift between fail2ban's bans and what the kernel
    /// drops. Exit status 1 when they disagree.
    Firewall {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Put the saved manual bans back into the kernel with their remaining time, and the saved
    /// port restrictions (after a reboot or `nft flush ruleset`); also done when the TUI starts.
    Restore,
    /// Close a port to everyone but the allowed networks (and loopback): rules in bantop's own
    /// nftables chain `inet bantop restrict`, saved and restored like manual bans. Unless
    /// --keep, it is rolled back after --rollback-after seconds unless confirmed at the prompt,
    /// even if this terminal is lost. Refused when it would cut this SSH session.
    Restrict {
        /// The port and protocol: 5432/tcp, 5060/udp.
        port: String,
        /// A network allowed to reach the port (repeat it); none: loopback only.
        #[arg(long, value_name = "CIDR")]
        allow: Vec<String>,
        /// Keep it without asking (for scripts): no rollback timer.
        #[arg(long)]
        keep: bool,
        /// Seconds to confirm in before it is rolled back.
        #[arg(long, default_value_t = crate::model::restriction::DEFAULT_ROLLBACK, value_name = "SECONDS")]
        rollback_after: u64,
    },
    /// Lift a port's restriction.
    Unrestrict {
        /// The port and protocol: 5432/tcp.
        port: String,
    },
    /// The rollback timer of a pending restriction (started by `restrict`).
    #[command(hide = true)]
    RestrictWatchdog {
        /// Epoch seconds of the deadline.
        #[arg(long)]
        at: f64,
    },
    /// Locked out: unban ADDR everywhere and whitelist it in every jail, in one go, printing
    /// each step. Meant for the console.
    Rescue {
        /// The address to let back in.
        #[arg(value_parser = parse_address)]
        address: IpAddr,
        /// Why, written in the drop-in's comment.
        #[arg(long)]
        reason: Option<String>,
        /// The steps as JSON (kind, text, ok, changed) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Whitelist an address or network: written to jail.d/bantop-whitelist.local (kept across
    /// restarts and reloads), applied live, and the address unbanned.
    Whitelist {
        /// Address or network (CIDR).
        #[arg(value_parser = parse_whitelist_entry)]
        entry: IpNet,
        /// Only in these jails (repeatable; default: every enabled jail).
        #[arg(long = "jail")]
        jails: Vec<String>,
        /// Take the entry out instead.
        #[arg(long)]
        remove: bool,
        /// Whitelist even a range wider than /16 (IPv4) or /48 (IPv6).
        #[arg(long)]
        force: bool,
        /// Why, written in the drop-in's comment.
        #[arg(long)]
        reason: Option<String>,
        /// The steps as JSON (kind, text, ok, changed) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Many PBXs over SSH: each host's own bantop, through the operator's OpenSSH (keys,
    /// ~/.ssh/config, ProxyJump), hosts from --hosts FILE or `hosts` in the settings file.
    /// Without a subcommand, the TUI on every host. Exit status 1 when any host failed.
    Fleet {
        /// What to do on the hosts.
        #[command(subcommand)]
        command: Option<FleetCommand>,
    },
    /// The shell completion script for SHELL, on standard output (the Debian package installs
    /// bash's, zsh's and fish's already), e.g. `bantop completions bash > ~/.bash_completion`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `bantop fleet ...`: one-shot commands on every host (or those named with --host).
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Each host's `bantop status`: its fail2ban's jails and bans, or why it was not reached.
    Status {
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
    },
    /// Each host's `bantop events`, merged: every line carries its host. Lost hosts are
    /// reconnected with no event twice.
    Events {
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
        /// Read what the logs hold now, then end.
        #[arg(long)]
        no_follow: bool,
        /// Read the logs back this far (e.g. 1h, 7d).
        #[arg(long, value_parser = parse_since)]
        since: Option<u64>,
    },
    /// Lift a ban on every host: in one jail, or everywhere there.
    Unban {
        /// The address.
        #[arg(value_parser = parse_target)]
        address: IpNet,
        /// Only in this jail.
        #[arg(long)]
        jail: Option<String>,
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
    },
    /// Whitelist an address or network on every host (its jail.d drop-in and live).
    Whitelist {
        /// Address or network.
        #[arg(value_parser = parse_whitelist_entry)]
        entry: IpNet,
        /// Only in these jails.
        #[arg(long = "jail")]
        jails: Vec<String>,
        /// Take the entry out instead.
        #[arg(long)]
        remove: bool,
        /// Why, written in the drop-ins' comment.
        #[arg(long)]
        reason: Option<String>,
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
    },
    /// Ban on every host: in bantop's own set, or in a jail with --jail. Each host refuses its
    /// own operator's, loopback and whitelisted addresses.
    Ban {
        /// The address or network.
        #[arg(value_parser = parse_target)]
        address: IpNet,
        /// How long (bantop's set): 90, 10m, 2h, 1d (default: permanent).
        #[arg(long = "for", value_parser = parse_duration, conflicts_with = "jail")]
        duration: Option<u64>,
        /// Ban in this jail instead.
        #[arg(long)]
        jail: Option<String>,
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
    },
    /// Locked out: unban ADDR everywhere and whitelist it in every jail, on every host.
    Rescue {
        /// The address.
        #[arg(value_parser = parse_address)]
        address: IpAddr,
        /// Why, written in the drop-ins' comment.
        #[arg(long)]
        reason: Option<String>,
        /// Which hosts.
        #[command(flatten)]
        on: FleetTargets,
    },
}

/// Which hosts of the fleet a command runs on, and how it answers.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetTargets {
    /// Only this host (repeat it); default: every host of the file.
    #[arg(long = "host", value_name = "NAME")]
    pub only: Vec<String>,
    /// One JSON document (events: one JSON object per line) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// An address or a network without host bits, in canonical form (`::ffff:` forms as IPv4).
fn parse_target(text: &str) -> Result<IpNet, String> {
    crate::model::address::canonical_target(text)
}

/// One address, in canonical form.
fn parse_address(text: &str) -> Result<IpAddr, String> {
    match parse_target(text)? {
        net if net.prefix_len() == net.max_prefix_len() => Ok(net.addr()),
        net => Err(format!("{net} is a network: give one address")),
    }
}

/// How long a ban lasts: fail2ban's units in lower case (`600`, `10m`, `1h30m`, `1d`, `1w`).
fn parse_duration(text: &str) -> Result<u64, String> {
    crate::fail2ban::duration::parse_ban_duration(text)
}

/// How far back to read: `24h`, `7d`, `2w`.
fn parse_since(text: &str) -> Result<u64, String> {
    crate::fail2ban::duration::parse_period(text)
}

/// An address or a network without host bits; `/0` would switch the jails off.
fn parse_whitelist_entry(text: &str) -> Result<IpNet, String> {
    let net = parse_target(text)?;
    if net.prefix_len() == 0 {
        return Err(format!(
            "{text}: whitelisting every address would switch the jails off"
        ));
    }
    Ok(net)
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
