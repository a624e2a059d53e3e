//! The executor's backends on a real server: fail2ban through its socket with the whitelist
//! drop-in under its configuration directory ([`ServerFail2ban`]), and bantop's own nftables
//! set with its saved copy ([`KernelSet`]). The CLI and the live TUI both use these.

use super::execute::{Fail2banSide, FirewallSide};
use super::manual_bans::{ManualBans, ManualUnban};
use super::restrictions::Restrictions;
use super::whitelist::write_dropin;
use crate::fail2ban::dropin::entry_text;
use crate::fail2ban::server::Fail2ban;
use crate::firewall::BanOutcome;
use crate::model::port::Proto;
use crate::model::restriction::Restriction;
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::Path;

/// fail2ban's server and its configuration directory.
pub struct ServerFail2ban<'a> {
    /// The socket client.
    pub server: &'a mut Fail2ban,
    /// Where `jail.d/` is.
    pub fail2ban_dir: &'a Path,
}

impl Fail2banSide for ServerFail2ban<'_> {
    async fn ban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String> {
        let failed = |e: crate::fail2ban::socket_client::ClientError| e.to_string();
        let before = self.server.banned_in(ip).await.map_err(failed)?;
        self.server.ban(jail, ip).await.map_err(failed)?;
        Ok(!before.iter().any(|j| j == jail))
    }

    async fn unban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String> {
        self.server.unban(jail, ip).await.map_err(|e| e.to_string())
    }

    async fn unban_everywhere(&mut self, ip: IpAddr) -> Result<i64, String> {
        self.server
            .unban_everywhere(ip)
            .await
            .map_err(|e| e.to_string())
    }

    async fn write_dropin(
        &mut self,
        entry: IpNet,
        jails: &[String],
        remove: bool,
        comment: &str,
    ) -> Result<Option<String>, String> {
        write_dropin(self.fail2ban_dir, entry, jails, remove, comment)
    }

    async fn ignore(&mut self, jail: &str, entry: IpNet, remove: bool) -> Result<bool, String> {
        let text = entry_text(entry);
        let had = self
            .server
            .ignore_list(jail)
            .await
            .map_err(|e| e.to_string())?
            .contains(&text);
        let done = if remove {
            self.server.del_ignore(jail, &text).await
        } else {
            self.server.add_ignore(jail, &text).await
        };
        done.map_err(|e| e.to_string())?;
        Ok(had == remove)
    }
}

/// bantop's set in the kernel, with its saved copy.
pub struct KernelSet<'a> {
    /// The saved copy (and through it, the kernel).
    pub bans: &'a ManualBans,
    /// Why, kept with a ban.
    pub reason: &'a str,
    /// The saved port restrictions (and through them, the kernel).
    pub restrictions: &'a Restrictions,
}

impl FirewallSide for KernelSet<'_> {
    fn ban(&mut self, net: IpNet, seconds: Option<u64>) -> Result<BanOutcome, String> {
        let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        self.bans
            .ban(net, seconds, self.reason, now)
            .map_err(|e| e.to_string())
    }

    fn unban(&mut self, net: IpNet) -> Result<ManualUnban, String> {
        self.bans.unban(net).map_err(|e| e.to_string())
    }

    fn dropped_where(&mut self, ip: IpAddr) -> Result<Option<String>, String> {
        let kernel = crate::firewall::kernel::read()
            .map_err(|e| crate::firewall::kernel::describe_error(&e))?;
        Ok(kernel.dropped_where(ip))
    }

    fn restrict(&mut self, restriction: &Restriction) -> Result<(), String> {
        if let Some(refusal) =
            crate::model::restriction::cuts_session(restriction, super::operator::ssh_session())
        {
            return Err(refusal);
        }
        // The dead-man switch first: no pending restriction is ever in the kernel without it.
        if let Some(deadline) = restriction.rollback_at {
            self.restrictions
                .spawn_watchdog(deadline)
                .map_err(|e| format!("not applied: the rollback watchdog did not start: {e}"))?;
        }
        self.restrictions
            .apply(restriction.clone())
            .map_err(|e| e.to_string())
    }

    fn keep_restriction(&mut self, port: u16, proto: Proto) -> Result<bool, String> {
        self.restrictions
            .keep(port, proto)
            .map_err(|e| e.to_string())
    }

    fn revert_restriction(&mut self, port: u16, proto: Proto) -> Result<Option<String>, String> {
        Ok(self
            .restrictions
            .revert(port, proto)
            .map_err(|e| e.to_string())?
            .map(|reverted| reverted.describe()))
    }

    fn unrestrict(&mut self, port: u16, proto: Proto) -> Result<bool, String> {
        Ok(self
            .restrictions
            .remove(port, proto)
            .map_err(|e| e.to_string())?
            .is_some())
    }

    fn port_now(&mut self, port: u16, proto: Proto) -> String {
        super::exposure::port_now(port, proto)
    }
}
