//! bantop's own nftables table, `inet bantop`: sets `ban4` and `ban6` (intervals with
//! per-element timeouts) and an `input` chain, hooked before fail2ban's chains, that drops their
//! sources. Every change is one atomic netlink batch.

use super::UnbanOutcome;
use super::kernel::decode_elements;
use super::netlink::{self, ElementWrite, RawSet, SetWrites, TableLayout};
use crate::model::firewall::KernelElement;
use crate::model::restriction::Restriction;
use ipnet::IpNet;
use std::io;

/// The table's name (family inet).
pub const TABLE: &str = "bantop";
/// The IPv4 set.
pub const SET4: &str = "ban4";
/// The IPv6 set.
pub const SET6: &str = "ban6";
/// The base chain.
pub const CHAIN: &str = "input";
/// The base chain of port restrictions.
pub const RESTRICT_CHAIN: &str = "restrict";
/// Hook priority of the chain: before fail2ban's nftables action (-1) and iptables-nft (0).
pub const PRIORITY: i32 = -10;

const LAYOUT: TableLayout<'static> = TableLayout {
    table: c"bantop",
    set4: c"ban4",
    set6: c"ban6",
    chain: c"input",
    priority: PRIORITY,
};

/// A failed nftables operation, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("nftables: {action}: {reason}")]
pub struct NftablesError {
    action: String,
    reason: String,
}

impl NftablesError {
    fn new(action: &str, error: &io::Error) -> Self {
        let reason = match error.raw_os_error() {
            Some(17) => "overlaps an element already in bantop's set".to_string(),
            _ => super::kernel::describe_error(error),
        };
        NftablesError {
            action: action.to_string(),
            reason,
        }
    }

    /// An error that is not the kernel's.
    pub fn refused(action: &str, reason: String) -> Self {
        NftablesError {
            action: action.to_string(),
            reason,
        }
    }
}

/// One element to put in bantop's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// The address or network (host bits cleared).
    pub net: IpNet,
    /// Seconds until the kernel drops it; `None`: no timeout.
    pub timeout: Option<u64>,
}

/// What a ban changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BanOutcome {
    /// Elements already there and replaced (the same network with its old timeout, or smaller
    /// networks inside the new one).
    pub replaced: Vec<IpNet>,
}

/// bantop's table in the kernel of this network namespace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nftables;

impl Nftables {
    /// Creates the table, sets, chain and rules when any of them is missing or different;
    /// returns every set in the kernel as it then is.
    pub fn ensure_table(&self) -> Result<Vec<RawSet>, NftablesError> {
        let failed = |e: io::Error| NftablesError::new("read the ruleset", &e);
        let sets = netlink::list_sets().map_err(failed)?;
        let rules = netlink::list_rules().map_err(failed)?;
        let own_rules: Vec<_> = rules
            .iter()
            .filter(|r| r.family == INET && r.table == TABLE && r.chain == CHAIN)
            .collect();
        let has_set = |name: &str| {
            sets.iter().any(|s| {
                s.family == INET && s.table == TABLE && s.name == name && s.flags & 0x14 == 0x14
            })
        };
        let dropping: Vec<_> = own_rules
            .iter()
            .filter_map(|rule| super::kernel::set_lookup_drop(rule))
            .collect();
        if has_set(SET4)
            && has_set(SET6)
            && own_rules.len() == 2
            && dropping.contains(&SET4.to_string())
            && dropping.contains(&SET6.to_string())
        {
            return Ok(sets);
        }
        netlink::install_table(LAYOUT, !own_rules.is_empty())
            .map_err(|e| NftablesError::new("create table inet bantop", &e))?;
        netlink::list_sets().map_err(failed)
    }

    /// The elements of bantop's two sets; empty when the table is not there.
    pub fn read_elements(&self) -> Result<Vec<KernelElement>, NftablesError> {
        let sets = netlink::list_sets().map_err(|e| NftablesError::new("read sets", &e))?;
        elements_of(&sets)
    }

    /// Makes bantop's `restrict` chain hold exactly `restrictions` (deleting it when there are
    /// none), in one batch.
    pub fn write_restrictions(&self, restrictions: &[Restriction]) -> Result<(), NftablesError> {
        let chains =
            netlink::list_chains().map_err(|e| NftablesError::new("read the chains", &e))?;
        let exists = chains
            .iter()
            .any(|c| c.family == INET && c.table == TABLE && c.name == RESTRICT_CHAIN);
        if !exists && restrictions.is_empty() {
            return Ok(());
        }
        netlink::write_restrictions(LAYOUT, c"restrict", restrictions, exists)
            .map_err(|e| NftablesError::new("write chain inet bantop restrict", &e))
    }

    /// Ensures the table, then reads its elements (one dump of the sets for both).
    pub fn ensured_elements(&self) -> Result<Vec<IpNet>, NftablesError> {
        let sets = self.ensure_table()?;
        Ok(elements_of(&sets)?.into_iter().map(|e| e.net).collect())
    }

    /// Adds `new` to a set that holds `present` (as [`super::OwnSet::ban`], without reading
    /// the set first), then reads the set back: an element the kernel does not show is an
    /// error, whatever the write said.
    pub fn ban_into(
        &self,
        present: &[IpNet],
        new: &[Element],
    ) -> Result<BanOutcome, NftablesError> {
        let action = "add element";
        let replaced =
            super::replaced_by(present, new).map_err(|why| NftablesError::refused(action, why))?;
        let (v4, v6) = writes(&as_deletions(&replaced), new);
        netlink::write_elements(LAYOUT, &v4, &v6).map_err(|e| NftablesError::new(action, &e))?;
        let after = self.read_nets()?;
        if let Some(missing) = new.iter().find(|e| !after.contains(&e.net)) {
            return Err(NftablesError::refused(
                action,
                format!(
                    "the kernel took the batch, but bantop's set does not hold {} when read back",
                    missing.net
                ),
            ));
        }
        Ok(BanOutcome { replaced })
    }

    /// The networks in bantop's two sets.
    fn read_nets(&self) -> Result<Vec<IpNet>, NftablesError> {
        Ok(self.read_elements()?.into_iter().map(|e| e.net).collect())
    }
}

/// The elements of bantop's two sets among `sets`.
fn elements_of(sets: &[RawSet]) -> Result<Vec<KernelElement>, NftablesError> {
    let mut elements = Vec::new();
    for set in sets.iter().filter(|s| is_own_set(s)) {
        let raw = netlink::list_elements(set)
            .map_err(|e| NftablesError::new(&format!("read set {}", set.name), &e))?;
        elements.extend(decode_elements(set, &raw));
    }
    Ok(elements)
}

impl super::OwnSet for Nftables {
    /// In one netlink batch: the deletions, then the additions (all of it or nothing).
    fn ban(&mut self, new: &[Element], _now: f64) -> Result<BanOutcome, NftablesError> {
        let present = self.ensured_elements()?;
        self.ban_into(&present, new)
    }

    /// Deletes and adds back in one batch, then reads the set again: what is reported is the
    /// difference the kernel shows, and a target the kernel still drops is an error.
    fn unban(&mut self, target: IpNet, _now: f64) -> Result<UnbanOutcome, NftablesError> {
        let present = self.read_elements()?;
        let before: Vec<IpNet> = present.iter().map(|e| e.net).collect();
        let (delete, add_back) = super::unban_changes(&present, target);
        if delete.is_empty() {
            return Ok(UnbanOutcome::default());
        }
        let (v4, v6) = writes(&as_deletions(&delete), &add_back);
        netlink::write_elements(LAYOUT, &v4, &v6)
            .map_err(|e| NftablesError::new("delete element", &e))?;
        let after = self.read_nets()?;
        if let Some(held) = super::still_dropped(&after, target) {
            return Err(NftablesError::refused(
                "delete element",
                format!("the kernel still holds {held} in bantop's set after the delete"),
            ));
        }
        Ok(UnbanOutcome::between(&before, &after))
    }

    fn elements(&self, _now: f64) -> Result<Vec<KernelElement>, NftablesError> {
        self.read_elements()
    }
}

fn as_deletions(nets: &[IpNet]) -> Vec<Element> {
    nets.iter()
        .map(|net| Element {
            net: *net,
            timeout: None,
        })
        .collect()
}

/// `NFPROTO_INET`.
const INET: u32 = 1;

fn is_own_set(set: &RawSet) -> bool {
    set.family == INET && set.table == TABLE && (set.name == SET4 || set.name == SET6)
}

/// The element writes for deleting `deletes` and adding `adds`, per address family.
fn writes(deletes: &[Element], adds: &[Element]) -> (SetWrites, SetWrites) {
    let mut v4 = SetWrites::default();
    let mut v6 = SetWrites::default();
    for (elements, add) in [(deletes, false), (adds, true)] {
        for element in elements {
            let target = if element.net.addr().is_ipv4() {
                &mut v4
            } else {
                &mut v6
            };
            let list = if add {
                &mut target.add
            } else {
                &mut target.delete
            };
            list.extend(interval(element.net, element.timeout.filter(|_| add)));
        }
    }
    (v4, v6)
}

/// The two elements of an interval set for `net`: its first address (with the timeout) and the
/// address after its last, flagged interval-end and without a timeout (the kernel refuses a
/// timeout there). A network reaching the last address has no end element.
pub fn interval(net: IpNet, timeout_secs: Option<u64>) -> Vec<ElementWrite> {
    let net = net.trunc();
    let start = match net.network() {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    let end = match net.broadcast() {
        std::net::IpAddr::V4(a) => u32::from(a)
            .checked_add(1)
            .map(|e| e.to_be_bytes().to_vec()),
        std::net::IpAddr::V6(a) => u128::from(a)
            .checked_add(1)
            .map(|e| e.to_be_bytes().to_vec()),
    };
    let mut elements = vec![ElementWrite {
        key: start,
        interval_end: false,
        timeout_ms: timeout_secs.map(|s| s.saturating_mul(1000)),
    }];
    elements.extend(end.map(|key| ElementWrite {
        key,
        interval_end: true,
        timeout_ms: None,
    }));
    elements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_ends_after_the_network_and_only_its_start_times_out() {
        let net: IpNet = "192.0.2.77/32".parse().unwrap_or_default();
        let elements = interval(net, Some(600));
        assert_eq!(elements[0].key, vec![192, 0, 2, 77]);
        assert_eq!(elements[0].timeout_ms, Some(600_000));
        assert!(!elements[0].interval_end);
        assert_eq!(elements[1].key, vec![192, 0, 2, 78]);
        assert!(elements[1].interval_end);
        assert_eq!(elements[1].timeout_ms, None);
        let top: IpNet = "255.255.255.0/24".parse().unwrap_or_default();
        assert_eq!(interval(top, None).len(), 1, "no end past the last address");
        let v6: IpNet = "2001:db8::/48".parse().unwrap_or_default();
        let end = &interval(v6, None)[1].key;
        assert_eq!(end[..6], [0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    }
}
