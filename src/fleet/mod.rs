//! Many PBXs in one view: bantop on each host, reached through the operator's own OpenSSH
//! (one multiplexed connection per host, nothing new listening anywhere). The hosts file, the
//! `ssh` command line, running the remote bantop, reading what it sends as hostile, and one
//! task per host that follows it through lost connections.

pub mod hosts_file;
pub mod lines;
pub mod link;
pub mod remote;
pub mod remote_json;
pub mod replayed;
pub mod ssh;

pub use hosts_file::{Host, HostsError, read_hosts};
