//! The fleet as the view holds it: its hosts, each one's line, and how a merged jail name
//! (`pbx1/sshd`) splits into host and jail.

use crate::fleet::Host;
use crate::fleet::remote_json::split_host_jail;
use crate::model::fleet::HostLine;

/// The fleet as the view holds it.
#[derive(Debug, Clone)]
pub struct FleetView {
    /// The hosts, in the file's order.
    pub hosts: Vec<Host>,
    /// Each host's line, in the same order.
    pub lines: Vec<HostLine>,
}

impl FleetView {
    /// Every host, not connected yet.
    pub fn new(hosts: Vec<Host>) -> Self {
        let lines = hosts.iter().map(|h| HostLine::new(&h.name)).collect();
        FleetView { hosts, lines }
    }

    /// The longest host name, for the host column.
    pub fn name_width(&self) -> usize {
        self.hosts
            .iter()
            .map(|h| h.name.len())
            .max()
            .unwrap_or(4)
            .max(4)
    }
}

/// The host part of a merged jail name (`pbx1` of `pbx1/sshd`).
pub fn host_of(jail: &str) -> &str {
    split_host_jail(jail).map_or("", |(host, _)| host)
}

/// The jail part of a merged jail name (`sshd` of `pbx1/sshd`).
pub fn own_jail(jail: &str) -> &str {
    split_host_jail(jail).map_or(jail, |(_, jail)| jail)
}
