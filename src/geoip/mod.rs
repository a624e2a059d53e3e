//! Where an address is from, from local files only (never a network lookup): the country, the
//! autonomous system and its organisation, read from Debian's tor-geoipdb text files and from
//! MaxMind DB files (GeoLite2, DB-IP Lite, IPinfo Lite). [`GeoIp`] asks several files in order;
//! the answer is a [`crate::model::place::Place`].

mod error;
mod mmdb;
mod ranges;
mod sources;
mod tor_file;

pub use error::{GeoIpError, LineProblem};
pub use sources::{DEFAULT_FILES, GeoIp, default_files};

#[cfg(test)]
#[path = "../../tests/mmdb/mod.rs"]
mod test_mmdb;
