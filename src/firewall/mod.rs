//! Firewalls bantop writes to and reads from: nftables over netlink (bantop's own `inet bantop`
//! table, and every set and rule in the kernel), and the demo's simulated firewall, which keeps
//! the same operations, with the same rules, in memory.

pub mod kernel;
pub mod netlink;
pub mod nftables;
pub mod simulated;

use crate::model::firewall::KernelElement;
use ipnet::IpNet;
pub use nftables::{BanOutcome, Element, NftablesError};
pub use simulated::SimulatedFirewall;

/// bantop's own set of banned addresses and networks, in the kernel or simulated.
pub trait OwnSet {
    /// Adds elements at once, replacing the same networks and networks inside them; an element
    /// inside a wider one already there is refused (the kernel would reject the overlap).
    fn ban(&mut self, elements: &[Element], now: f64) -> Result<BanOutcome, NftablesError>;
    /// Deletes every element holding `target`'s address or inside `target`; returns them.
    fn unban(&mut self, target: IpNet, now: f64) -> Result<Vec<IpNet>, NftablesError>;
    /// The elements in force at `now`.
    fn elements(&self, now: f64) -> Result<Vec<KernelElement>, NftablesError>;
}

/// What adding `new` to a set holding `present` replaces, or why it is refused.
pub fn replaced_by(present: &[IpNet], new: &[Element]) -> Result<Vec<IpNet>, String> {
    let mut replaced = Vec::new();
    for element in new {
        if let Some(wider) = present
            .iter()
            .find(|p| **p != element.net && p.contains(&element.net))
        {
            return Err(format!(
                "{} is already inside {wider} in bantop's set",
                element.net
            ));
        }
        for inside in present.iter().filter(|p| element.net.contains(*p)) {
            if !replaced.contains(inside) {
                replaced.push(*inside);
            }
        }
    }
    Ok(replaced)
}

/// The elements of `present` that an unban of `target` lifts.
pub fn lifted_by(present: &[IpNet], target: IpNet) -> Vec<IpNet> {
    present
        .iter()
        .filter(|p| p.contains(&target.addr()) || target.contains(*p))
        .copied()
        .collect()
}
