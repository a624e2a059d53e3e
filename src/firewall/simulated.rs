//! The demo's firewall: bantop's own set held in memory, with a journal of the nft operations a
//! real firewall would have been sent, and the kernel view a server running fail2ban's nftables
//! action would show. Nothing touches the machine.

use super::{BanOutcome, Element, NftablesError, UnbanOutcome};
use crate::fail2ban::duration::format_seconds;
use crate::model::firewall::{KernelElement, KernelFirewall, KernelSet};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// An in-memory stand-in for the `inet bantop` table.
#[derive(Debug, Clone, Default)]
pub struct SimulatedFirewall {
    elements: BTreeMap<IpNet, Option<f64>>,
    journal: Vec<String>,
    /// Port restrictions, as bantop's `restrict` chain would hold them.
    pub restrictions: Vec<crate::model::restriction::Restriction>,
}

impl SimulatedFirewall {
    /// Drops elements whose timeout has passed, as the kernel does.
    pub fn expire(&mut self, now: f64) {
        self.elements
            .retain(|_, until| until.is_none_or(|u| u > now));
    }

    fn delete(&mut self, net: IpNet) {
        if self.elements.remove(&net).is_some() {
            self.journal.push(format!(
                "delete element inet bantop {} {{ {net} }}",
                set_of(net)
            ));
        }
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

impl super::OwnSet for SimulatedFirewall {
    fn ban(&mut self, new: &[Element], now: f64) -> Result<BanOutcome, NftablesError> {
        self.expire(now);
        let present: Vec<IpNet> = self.elements.keys().copied().collect();
        let replaced = super::replaced_by(&present, new)
            .map_err(|why| NftablesError::refused("add element", why))?;
        for net in &replaced {
            self.delete(*net);
        }
        for element in new {
            let timeout = element
                .timeout
                .map(|s| format!(" timeout {}", format_seconds(s as i64)))
                .unwrap_or_default();
            self.journal.push(format!(
                "add element inet bantop {} {{ {}{timeout} }}",
                set_of(element.net),
                element.net
            ));
            let until = element.timeout.map(|s| now + s as f64);
            self.elements.insert(element.net, until);
        }
        Ok(BanOutcome { replaced })
    }

    fn unban(&mut self, target: IpNet, now: f64) -> Result<UnbanOutcome, NftablesError> {
        self.expire(now);
        let present = self.elements(now)?;
        let before: Vec<IpNet> = self.elements.keys().copied().collect();
        let (delete, add_back) = super::unban_changes(&present, target);
        for net in &delete {
            self.delete(*net);
        }
        if !add_back.is_empty() {
            self.ban(&add_back, now)?;
        }
        let after: Vec<IpNet> = self.elements.keys().copied().collect();
        Ok(UnbanOutcome::between(&before, &after))
    }

    fn elements(&self, now: f64) -> Result<Vec<KernelElement>, NftablesError> {
        Ok(self
            .elements
            .iter()
            .filter(|(_, until)| until.is_none_or(|u| u > now))
            .map(|(net, until)| KernelElement {
                net: *net,
                expires_in: until.map(|u| u - now),
            })
            .collect())
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
    use crate::firewall::OwnSet;

    #[test]
    fn records_operations_expires_and_keeps_the_kernel_rules() {
        let mut firewall = SimulatedFirewall::default();
        let net = |text: &str| text.parse::<IpNet>().unwrap_or_default();
        let element = |text: &str, timeout| Element {
            net: net(text),
            timeout,
        };
        let host = net("203.0.113.5/32");
        assert!(
            firewall
                .ban(&[element("203.0.113.5/32", Some(60))], 100.0)
                .is_ok()
        );
        assert_eq!(firewall.elements(159.0).map(|e| e.len()).ok(), Some(1));
        let refused = firewall.ban(&[element("203.0.113.0/24", None)], 100.0);
        assert_eq!(
            refused.map(|o| o.replaced).ok(),
            Some(vec![host]),
            "the wider one replaces"
        );
        let inside = firewall.ban(&[element("203.0.113.9/32", None)], 100.0);
        assert!(inside.is_err_and(|e| e.to_string().contains("already inside 203.0.113.0/24")));
        let split = firewall.unban(host, 101.0).unwrap_or_default();
        assert_eq!(split.lifted, vec![net("203.0.113.0/24")]);
        assert_eq!(split.kept.len(), 8, "the rest of the /24 stays banned");
        assert_eq!(
            firewall
                .unban(net("203.0.113.0/24"), 101.0)
                .map(|o| o.lifted.len())
                .ok(),
            Some(8)
        );
        assert!(
            firewall
                .ban(&[element("198.51.100.1/32", Some(60))], 100.0)
                .is_ok()
        );
        firewall.expire(160.0);
        assert_eq!(firewall.elements(160.0).map(|e| e.len()).ok(), Some(0));
        let journal = firewall.journal();
        assert_eq!(
            journal[..4],
            [
                "add element inet bantop ban4 { 203.0.113.5/32 timeout 1m }",
                "delete element inet bantop ban4 { 203.0.113.5/32 }",
                "add element inet bantop ban4 { 203.0.113.0/24 }",
                "delete element inet bantop ban4 { 203.0.113.0/24 }",
            ]
        );
        assert_eq!(
            journal[4],
            "add element inet bantop ban4 { 203.0.113.128/25 }"
        );
        assert_eq!(
            journal.len(),
            4 + 8 + 8 + 1,
            "8 pieces added back, then deleted"
        );
        assert_eq!(
            journal.last().map(String::as_str),
            Some("add element inet bantop ban4 { 198.51.100.1/32 timeout 1m }")
        );
    }
}
