//! What every ban's refusal is checked against: each jail's whitelist, from fail2ban's live
//! ignore lists when its socket answers, else from the configuration files: addresses,
//! networks, host names, `ignorecommand` and `ignoreself`. Read the same way for a ban in a
//! jail and in bantop's own set, and the same as the TUI reads it: an address whitelisted in
//! any jail needs `--force` wherever it is banned.

use super::places::Places;
use crate::engine::refusal::Whitelists;
use crate::fail2ban::jail_conf::read_jails;
use crate::fail2ban::server::Fail2ban;
use std::path::Path;

/// Every whitelisted entry per jail: fail2ban's live ignore lists when its socket answers,
/// else the configuration files. What cannot be read is kept as unreadable, so the refusal
/// fails closed.
pub(super) async fn whitelisted(places: Places<'_>) -> Whitelists {
    let mut whitelists = Whitelists::default();
    let own = crate::ports::procfs::local_addresses(Path::new("/proc"));
    let mut server = Fail2ban::new(places.socket);
    if let Ok(jails) = server.jails().await {
        for jail in jails {
            let rules = server.ignore_rules(&jail).await;
            match (server.ignore_list(&jail).await, rules) {
                (Ok(list), Ok((command, ignoreself))) => {
                    whitelists.add_list(&jail, &list);
                    if !command.trim().is_empty() {
                        whitelists.commands.push((jail.clone(), command));
                    }
                    if ignoreself {
                        whitelists.add_own(&jail, &own);
                    }
                }
                (Err(error), _) | (_, Err(error)) => whitelists
                    .unreadable
                    .push((jail.clone(), format!("fail2ban did not give it: {error}"))),
            }
        }
        return whitelists;
    }
    match read_jails(places.fail2ban_dir) {
        Ok(jails) => {
            let settings: Vec<_> = jails.into_iter().map(|jail| jail.settings).collect();
            // In canonical form, as fail2ban's live lists are read.
            whitelists = Whitelists::of_jails(&settings, &own);
        }
        // No fail2ban and no configuration (a firewall-only host): nothing is whitelisted.
        Err(_) if !places.fail2ban_dir.exists() => {}
        Err(error) => whitelists
            .unreadable
            .push(("the configuration".to_string(), error.to_string())),
    }
    whitelists
}

/// Resolves the lists' host names and runs their `ignorecommand`s for `ip` (off the async
/// runtime's threads), bounded by the refusal policy's timeout.
pub(super) async fn settle(whitelists: &mut Whitelists, ip: std::net::IpAddr) {
    let mut owned = std::mem::take(whitelists);
    let unsettled = owned.clone();
    let settled = tokio::task::spawn_blocking(move || {
        owned.settle(ip, crate::engine::refusal::CHECK_TIMEOUT);
        owned
    })
    .await;
    *whitelists = settled.unwrap_or_else(|error| {
        let mut failed = unsettled;
        failed.unreadable.push((
            "every jail".to_string(),
            format!("the check stopped: {error}"),
        ));
        failed
    });
}
