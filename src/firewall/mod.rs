//! Firewalls bantop writes to and reads from: nftables over netlink (bantop's own `inet bantop`
//! table, and every set and rule in the kernel), and the demo's simulated firewall, which keeps
//! the same operations in memory.

pub mod kernel;
pub mod netlink;
pub mod nftables;
pub mod simulated;

pub use simulated::SimulatedFirewall;
