//! The demo's firewall: bantop's own set held in memory, with a journal of the nft operations a
//! real firewall would have been sent, and the kernel view a server running fail2ban's nftables
//! action would show. Nothing touches the machine.

use crate::model::firewall::{KernelElement, KernelFirewall, KernelSet};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// An in-memory stand-in for the `inet bantop` table.
#[derive(Debug, Clone, Default)]
pub struct SimulatedFirewall {
    elements: BTreeMap<IpNet, Option<f64>>,
    journal: Vec<String>,
}

impl SimulatedFirewall {
    /// Adds `net` until `until` (epoch seconds; `None`: no timeout).
    pub fn add(&mut self, net: IpNet, until: Option<f64>, now: f64) {
        let timeout = until
            .map(|u| format!(" timeout {}s", (u - now).round() as i64))
            .unwrap_or_default();
        self.journal.push(format!(
            "add element inet bantop {} {{ {net}{timeout} }}",
            set_of(net)
        ));
        self.elements.insert(net, until);
    }

    /// Deletes `net`; false when it was not there.
    pub fn delete(&mut self, net: IpNet) -> bool {
        let present = self.elements.remove(&net).is_some();
        if present {
            self.journal.push(format!(
                "delete element inet bantop {} {{ {net} }}",
                set_of(net)
            ));
        }
        present
    }

    /// Drops elements whose timeout has passed, as the kernel does.
    pub fn expire(&mut self, now: f64) {
        self.elements
            .retain(|_, until| until.is_none_or(|u| u > now));
    }

    /// Whether an element covers `net`'s address.
    pub fn contains(&self, net: IpNet) -> bool {
        self.elements
            .keys()
            .any(|element| element.contains(&net.addr()))
    }

    /// What reading the kernel would give at `now`: a `f2b-table` set per jail holding its
    /// bans (`jail_bans`: jail, address, end), as fail2ban's nftables action makes, and
    /// bantop's own two sets.
    pub fn kernel_view<'a>(
        &self,
        jail_bans: impl Iterator<Item = (&'a str, IpAddr, Option<f64>)>,
        now: f64,
    ) -> KernelFirewall {
        let element = |net: IpNet, until: Option<f64>| KernelElement {
            net,
            expires_in: until.map(|u| (u - now).max(0.0)),
        };
        let mut sets: Vec<KernelSet> = Vec::new();
        for (jail, ip, until) in jail_bans {
            let name = format!("addr-set-{jail}");
            let position = match sets.iter().position(|s| s.name == name) {
                Some(position) => position,
                None => {
                    sets.push(KernelSet {
                        family: "inet".to_string(),
                        table: "f2b-table".to_string(),
                        name,
                        elements: Vec::new(),
                        dropped_by: vec!["f2b-chain".to_string()],
                    });
                    sets.len() - 1
                }
            };
            sets[position]
                .elements
                .push(element(IpNet::from(ip), until));
        }
        for own in ["ban4", "ban6"] {
            sets.push(KernelSet {
                family: "inet".to_string(),
                table: "bantop".to_string(),
                name: own.to_string(),
                elements: self
                    .elements
                    .iter()
                    .filter(|(net, _)| set_of(**net) == own)
                    .map(|(net, until)| element(*net, *until))
                    .collect(),
                dropped_by: vec!["input".to_string()],
            });
        }
        KernelFirewall {
            sets,
            chain_drops: Vec::new(),
        }
    }

    /// The operations sent so far, oldest first.
    pub fn journal(&self) -> &[String] {
        &self.journal
    }
}

fn set_of(net: IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "ban4",
        IpNet::V6(_) => "ban6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_operations_and_expires_elements() {
        let mut firewall = SimulatedFirewall::default();
        let net: IpNet = "203.0.113.5/32".parse().unwrap_or_default();
        firewall.add(net, Some(160.0), 100.0);
        assert!(firewall.contains(net));
        firewall.expire(159.0);
        assert!(firewall.contains(net));
        firewall.expire(160.0);
        assert!(!firewall.contains(net));
        assert!(!firewall.delete(net));
        assert_eq!(
            firewall.journal(),
            ["add element inet bantop ban4 { 203.0.113.5/32 timeout 60s }"]
        );
    }
}
