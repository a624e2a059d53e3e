//! The demo's firewall: bantop's own set held in memory, with a journal of the nft operations a
//! real firewall would have been sent. Nothing touches the machine.

use ipnet::IpNet;
use std::collections::BTreeMap;

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
