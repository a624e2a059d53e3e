//! What every ban's refusal is checked against: each jail's whitelist, from fail2ban's live
//! ignore lists when its socket answers, else from the configuration files. Read the same way
//! for a ban in a jail and in bantop's own set, and the same as the TUI reads it: an address
//! whitelisted in any jail needs `--force` wherever it is banned.

use super::actions::Places;
use crate::engine::refusal::Whitelists;
use crate::fail2ban::jail_conf::read_jails;
use crate::fail2ban::server::Fail2ban;

/// Every whitelisted entry per jail: fail2ban's live ignore lists when its socket answers,
/// else the configuration files. What cannot be read is kept as unreadable, so the refusal
/// fails closed.
pub(super) async fn whitelisted(places: Places<'_>) -> Whitelists {
    let mut whitelists = Whitelists::default();
    let mut server = Fail2ban::new(places.socket);
    if let Ok(jails) = server.jails().await {
        for jail in jails {
            match server.ignore_list(&jail).await {
                Ok(list) => whitelists.add_list(&jail, &list),
                Err(error) => whitelists
                    .unreadable
                    .push((jail.clone(), format!("fail2ban did not give it: {error}"))),
            }
        }
        return whitelists;
    }
    match read_jails(places.fail2ban_dir) {
        Ok(jails) => {
            let entries = jails.into_iter().flat_map(|jail| {
                let name = jail.settings.name;
                jail.settings
                    .ignoreip
                    .into_iter()
                    .map(move |net| (name.clone(), net))
            });
            // In canonical form, as fail2ban's live lists are read.
            let known = Whitelists::known(entries.collect());
            whitelists.entries.extend(known.entries);
            whitelists.unreadable.extend(known.unreadable);
        }
        // No fail2ban and no configuration (a firewall-only host): nothing is whitelisted.
        Err(_) if !places.fail2ban_dir.exists() => {}
        Err(error) => whitelists
            .unreadable
            .push(("the configuration".to_string(), error.to_string())),
    }
    whitelists
}
