//! Gathers one address's dossier ([`Dossier`]) on a real server: every jail's logs, rotated
//! ones included, read at the batch engine's speed (the journal for systemd jails), fail2ban's
//! ban history of it from its database, and its state now from fail2ban's socket and the
//! kernel's ruleset. Blocking work (reading, matching, netlink) runs off the async threads;
//! whatever cannot be read is named in `problems`, and the rest is still given.

use super::history::read_all_logs;
use super::pipeline::Pipeline;
use crate::fail2ban::database::{Database, database_path};
use crate::fail2ban::date::Zone;
use crate::fail2ban::server::Fail2ban;
use crate::geoip::GeoIp;
use crate::model::dossier::{Dossier, PastBan};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What to gather.
#[derive(Debug, Clone)]
pub struct DossierRequest {
    /// The address (canonical: IPv4-mapped forms as IPv4).
    pub address: IpAddr,
    /// fail2ban's configuration directory.
    pub fail2ban_dir: PathBuf,
    /// fail2ban's socket.
    pub socket: PathBuf,
    /// How far back to read, seconds (`None`: everything there is).
    pub since: Option<u64>,
    /// A journal file to read instead of the system journal.
    pub journal_file: Option<PathBuf>,
    /// The current time, epoch seconds.
    pub now: f64,
    /// Where addresses are from.
    pub geoip: Arc<GeoIp>,
    /// Whether to ask the reverse DNS for its name.
    pub reverse_dns: bool,
}

/// Gathers the dossier of `request.address`.
pub async fn gather(request: DossierRequest) -> Dossier {
    let mut dossier = Dossier::new(request.address);
    dossier.set_place(
        request.geoip.lookup(request.address),
        &request.geoip.sources(),
    );
    let since = request.since.map(|seconds| request.now - seconds as f64);
    match Pipeline::load(&request.fail2ban_dir, Zone::Local) {
        Ok(pipeline) => read_logs(&mut dossier, pipeline, &request, since).await,
        Err(error) => dossier.problems.push(error.to_string()),
    }
    read_ban_history(&mut dossier, &request, since).await;
    if request.reverse_dns {
        match super::reverse_dns::reverse_name(request.address).await {
            Ok(name) => dossier.reverse_dns = Some(name),
            Err(why) => dossier.problems.push(format!("reverse DNS: {why}")),
        }
    }
    let mut server = Fail2ban::new(&request.socket);
    dossier.now.banned_in = match server.banned_in(request.address).await {
        Ok(jails) => Some(jails),
        Err(error) => {
            dossier
                .problems
                .push(format!("fail2ban ({}): {error}", request.socket.display()));
            None
        }
    };
    let address = request.address;
    let kernel = tokio::task::spawn_blocking(crate::firewall::kernel::read).await;
    dossier.now.kernel_drops = match kernel {
        Ok(Ok(kernel)) => Some(kernel.drops(address)),
        Ok(Err(error)) => {
            dossier.problems.push(format!(
                "the kernel's ruleset: {}",
                crate::firewall::kernel::describe_error(&error)
            ));
            None
        }
        Err(error) => {
            dossier
                .problems
                .push(format!("the kernel's ruleset: {error}"));
            None
        }
    };
    dossier.finish();
    dossier
}

/// Every failure of the address in the jails' logs: files (and their rotations) through the
/// block scanner, then the journal of systemd jails.
async fn read_logs(
    dossier: &mut Dossier,
    mut pipeline: Pipeline,
    request: &DossierRequest,
    since: Option<f64>,
) {
    let journal = request.journal_file.clone();
    let mut add = |log: &crate::model::LogEvent| dossier.add_failure(log);
    let logs = read_all_logs(&mut pipeline, since, request.now, true, journal, &mut add).await;
    dossier.read.extend(logs.read);
    dossier.problems.extend(logs.problems);
}

/// fail2ban's bans of the address, from its database (none kept: nothing to say).
async fn read_ban_history(dossier: &mut Dossier, request: &DossierRequest, since: Option<f64>) {
    let Some(path) = database_path(&request.fail2ban_dir) else {
        return;
    };
    let address = request.address;
    let found = tokio::task::spawn_blocking(move || {
        let database = Database::open(&path)?;
        database.bans_of(address)
    })
    .await;
    match found {
        Ok(Ok(bans)) => dossier.add_bans(
            bans.into_iter()
                .filter(|ban| since.is_none_or(|since| ban.time as f64 >= since))
                .map(|ban| PastBan {
                    jail: ban.jail,
                    time: ban.time,
                    bantime: ban.bantime,
                    bancount: ban.bancount,
                    failures: ban.failures,
                    matches: ban.matches,
                })
                .collect(),
        ),
        Ok(Err(error)) => dossier.problems.push(error.to_string()),
        Err(error) => dossier
            .problems
            .push(format!("fail2ban's database: {error}")),
    }
}
