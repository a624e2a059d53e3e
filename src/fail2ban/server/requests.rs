//! What bantop asks a running fail2ban: its jails and their counters, the bans with their start
//! and expiry (`get <jail> banip --with-time`), the ignore lists, and the commands that ban,
//! unban and whitelist. Jail names are checked against the server's own list first, so a typo
//! gets a clear error instead of fail2ban's bare exception.

use super::socket_client::{Client, ClientError, field, strings, text_of};
use crate::fail2ban::config::{Config, Section};
use crate::fail2ban::date::Zone;
use chrono::NaiveDateTime;
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// fail2ban's socket when its configuration does not say otherwise.
pub(super) const DEFAULT_SOCKET: &str = "/var/run/fail2ban/fail2ban.sock";
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A jail's counters as fail2ban reports them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JailStatus {
    /// The jail.
    pub name: String,
    /// Addresses with failures not yet banned.
    pub currently_failed: i64,
    /// Failures since the jail started.
    pub total_failed: i64,
    /// Bans in force.
    pub currently_banned: i64,
    /// Bans since the jail started.
    pub total_banned: i64,
    /// Log files (or journal matches) the jail reads.
    pub files: Vec<String>,
}

/// A ban in force, as fail2ban reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerBan {
    /// The jail.
    pub jail: String,
    /// The address (or network).
    pub ip: String,
    /// Epoch seconds of the ban.
    pub since: f64,
    /// Seconds; -1 for permanent.
    pub bantime: i64,
    /// Epoch seconds of its end, `None` when permanent.
    pub until: Option<f64>,
}

/// A running fail2ban, through its socket.
#[derive(Debug)]
pub struct Fail2ban {
    client: Client,
    zone: Zone,
}

/// The socket path: `explicit`, else `socket` in `fail2ban.conf`/`.local` of `dir`, else the
/// default.
pub fn socket_path(explicit: Option<&Path>, dir: &Path) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    Config::load(&[dir.join("fail2ban.conf")])
        .ok()
        .and_then(|config| {
            config
                .get("Definition", "socket", &Section::new())
                .ok()
                .flatten()
        })
        .map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from)
}

impl Fail2ban {
    /// A connection to the server at `socket` (made on first use).
    pub fn new(socket: &Path) -> Self {
        Fail2ban {
            client: Client::new(socket, TIMEOUT),
            zone: Zone::Local,
        }
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        self.client.path()
    }

    /// Whether the server answers.
    pub async fn ping(&mut self) -> Result<(), ClientError> {
        self.client.send(&["ping"]).await.map(|_| ())
    }

    /// The jails, in the server's order.
    pub async fn jails(&mut self) -> Result<Vec<String>, ClientError> {
        let status = self.client.send(&["status"]).await?;
        let list = field(&status, "Jail list").map(text_of).unwrap_or_default();
        Ok(list
            .split(',')
            .map(str::trim)
            .filter(|j| !j.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// Fails with a clear message when `jail` is not one of the server's.
    pub async fn require_jail(&mut self, jail: &str) -> Result<(), ClientError> {
        let jails = self.jails().await?;
        if jails.iter().any(|j| j == jail) {
            return Ok(());
        }
        Err(ClientError::Refused {
            command: format!("jail {jail}"),
            message: format!("no jail named {jail:?} (jails: {})", jails.join(", ")),
        })
    }

    /// A jail's counters.
    pub async fn jail_status(&mut self, jail: &str) -> Result<JailStatus, ClientError> {
        let status = self.client.send(&["status", jail]).await?;
        let filter = field(&status, "Filter");
        let actions = field(&status, "Actions");
        let number = |section: Option<&serde_pickle::Value>, key: &str| match section
            .and_then(|s| field(s, key))
        {
            Some(serde_pickle::Value::I64(n)) => *n,
            _ => 0,
        };
        Ok(JailStatus {
            name: jail.to_string(),
            currently_failed: number(filter, "Currently failed"),
            total_failed: number(filter, "Total failed"),
            currently_banned: number(actions, "Currently banned"),
            total_banned: number(actions, "Total banned"),
            files: filter
                .and_then(|f| field(f, "File list").or_else(|| field(f, "Journal matches")))
                .map(strings)
                .unwrap_or_default(),
        })
    }

    /// The bans of `jail` with their start and expiry.
    pub async fn bans(&mut self, jail: &str) -> Result<Vec<ServerBan>, ClientError> {
        let command = ["get", jail, "banip", "--with-time"];
        let lines = strings(&self.client.send(&command).await?);
        lines
            .iter()
            .map(|line| {
                parse_ban_line(jail, line, self.zone).ok_or_else(|| ClientError::Protocol {
                    command: command.join(" "),
                    message: format!("unreadable ban line {line:?}"),
                })
            })
            .collect()
    }

    /// The ignore list of `jail`.
    pub async fn ignore_list(&mut self, jail: &str) -> Result<Vec<String>, ClientError> {
        Ok(strings(
            &self.client.send(&["get", jail, "ignoreip"]).await?,
        ))
    }

    /// The `ignorecommand` of `jail` (empty when none) and whether it ignores the server's own
    /// addresses (`ignoreself`).
    pub async fn ignore_rules(&mut self, jail: &str) -> Result<(String, bool), ClientError> {
        let command = strings(&self.client.send(&["get", jail, "ignorecommand"]).await?);
        let own = self.client.send(&["get", jail, "ignoreself"]).await?;
        let own = !matches!(own, serde_pickle::Value::Bool(false));
        Ok((command.concat(), own))
    }

    /// Bans `ip` in `jail` through fail2ban, so its actions run; then asks fail2ban whether it
    /// holds the ban, and says so when it does not.
    pub async fn ban(&mut self, jail: &str, ip: IpAddr) -> Result<(), ClientError> {
        self.require_jail(jail).await?;
        self.client
            .send(&["set", jail, "banip", &ip.to_string()])
            .await?;
        if self.banned_in(ip).await?.iter().any(|j| j == jail) {
            Ok(())
        } else {
            Err(ClientError::Unconfirmed {
                what: format!("it does not list {ip} as banned in {jail} afterwards"),
            })
        }
    }

    /// Unbans `ip` in `jail`; whether it was banned there. fail2ban is asked afterwards, and
    /// a ban it still lists is an error.
    pub async fn unban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, ClientError> {
        self.require_jail(jail).await?;
        let count = self
            .client
            .send(&["set", jail, "unbanip", &ip.to_string()])
            .await?;
        if self.banned_in(ip).await?.iter().any(|j| j == jail) {
            return Err(ClientError::Unconfirmed {
                what: format!("it still lists {ip} as banned in {jail}"),
            });
        }
        Ok(count != serde_pickle::Value::I64(0))
    }

    /// Unbans `ip` in every jail and the database; how many bans were lifted. fail2ban is asked
    /// afterwards, and a jail that still lists the ban is an error.
    pub async fn unban_everywhere(&mut self, ip: IpAddr) -> Result<i64, ClientError> {
        let count = match self.client.send(&["unban", &ip.to_string()]).await? {
            serde_pickle::Value::I64(count) => count,
            _ => 0,
        };
        let still = self.banned_in(ip).await?;
        if !still.is_empty() {
            return Err(ClientError::Unconfirmed {
                what: format!("it still lists {ip} as banned in {}", still.join(", ")),
            });
        }
        Ok(count)
    }

    /// The jails where fail2ban holds a ban of `ip` now (`banned IP`).
    pub async fn banned_in(&mut self, ip: IpAddr) -> Result<Vec<String>, ClientError> {
        let reply = self.client.send(&["banned", &ip.to_string()]).await?;
        Ok(match &reply {
            serde_pickle::Value::List(items) | serde_pickle::Value::Tuple(items) => {
                items.first().map(strings).unwrap_or_default()
            }
            _ => Vec::new(),
        })
    }

    /// Adds `entry` to `jail`'s ignore list until the next reload.
    pub async fn add_ignore(&mut self, jail: &str, entry: &str) -> Result<(), ClientError> {
        self.client
            .send(&["set", jail, "addignoreip", entry])
            .await
            .map(|_| ())
    }

    /// Removes `entry` from `jail`'s ignore list until the next reload.
    pub async fn del_ignore(&mut self, jail: &str, entry: &str) -> Result<(), ClientError> {
        self.client
            .send(&["set", jail, "delignoreip", entry])
            .await
            .map(|_| ())
    }
}

/// `203.0.113.5 \t2026-11-24 23:21:05 + 3600 = 2026-11-25 00:21:05` (local time).
fn parse_ban_line(jail: &str, line: &str, zone: Zone) -> Option<ServerBan> {
    let (ip, rest) = line.split_once('\t')?;
    let (start, rest) = rest.split_once(" + ")?;
    let (bantime, _) = rest.split_once(" = ")?;
    let since =
        zone.epoch(NaiveDateTime::parse_from_str(start.trim(), "%Y-%m-%d %H:%M:%S").ok()?)?;
    let bantime: i64 = bantime.trim().parse().ok()?;
    Some(ServerBan {
        jail: jail.to_string(),
        ip: ip.trim().to_string(),
        since,
        bantime,
        until: (bantime >= 0).then_some(since + bantime as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_lines_with_time() {
        let ban = parse_ban_line(
            "sshd",
            "203.0.113.5 \t2026-11-25 00:19:03 + 3600 = 2026-11-25 01:19:03",
            Zone::utc(),
        );
        assert_eq!(
            ban.map(|b| (b.ip, b.since, b.until)),
            Some((
                "203.0.113.5".to_string(),
                1_795_565_943.0,
                Some(1_795_569_543.0)
            ))
        );
        let permanent = parse_ban_line(
            "sshd",
            "2001:db8::5 \t2026-11-25 00:19:03 + -1 = 9999-12-31 23:59:59",
            Zone::utc(),
        );
        assert_eq!(permanent.map(|b| (b.bantime, b.until)), Some((-1, None)));
        assert_eq!(parse_ban_line("sshd", "garbage", Zone::utc()), None);
    }
}
