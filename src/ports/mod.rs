//! Listening sockets: read from `/proc`, owned by processes, compared with the platform's port
//! table (`catalogue`) to say what is exposed and whether it is meant to be.

pub mod catalogue;
pub mod procfs;

pub use procfs::{PortsError, listening_ports};
