//! Firewalls bantop writes to and reads from. For now the demo's simulated firewall; the
//! nftables backend over netlink comes with the same operations.

pub mod simulated;

pub use simulated::SimulatedFirewall;
