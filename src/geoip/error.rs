//! What can be wrong with a GeoIP file; each message names the file, and the line when there
//! is one.

use std::path::PathBuf;

/// A GeoIP file that could not be used. The other files still load.
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    /// Missing, not a regular file or too large (the message names the file).
    #[error("{0}")]
    Open(#[source] std::io::Error),
    /// An error while reading it.
    #[error("{path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What reading it said.
        error: std::io::Error,
    },
    /// A line of a tor-geoipdb file that is not `LOW,HIGH,CC`.
    #[error("{path}:{line}: {problem}")]
    Line {
        /// The file.
        path: PathBuf,
        /// Its line, from 1.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// A text file without a single address range.
    #[error("{path}: no address ranges (LOW,HIGH,CC lines): not a tor-geoipdb file")]
    NoRanges {
        /// The file.
        path: PathBuf,
    },
    /// A MaxMind DB the reader refused, or whose records do not decode.
    #[error("{path}: not a usable MaxMind DB: {error}")]
    Mmdb {
        /// The file.
        path: PathBuf,
        /// The reader's reason.
        error: maxminddb::MaxMindDbError,
    },
    /// A MaxMind DB whose records hold neither a country nor an AS.
    #[error(
        "{path}: a MaxMind DB ({database_type}) whose records have no country (country.iso_code, \
         country_code) and no AS (autonomous_system_number, asn)"
    )]
    NothingToGive {
        /// The file.
        path: PathBuf,
        /// The `database_type` of its metadata.
        database_type: String,
    },
}

/// Why a tor-geoipdb line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// Not three comma-separated fields.
    #[error("not a LOW,HIGH,CC line: {0:?}")]
    Shape(String),
    /// A field that is neither an IPv4 address as an integer nor an IPv6 address.
    #[error("bad address {0:?} (an IPv4 address as an integer, or an IPv6 address)")]
    Address(String),
    /// One end IPv4 and the other IPv6.
    #[error("one end is IPv4 and the other IPv6")]
    MixedFamilies,
    /// LOW above HIGH.
    #[error("the range ends before it starts")]
    Reversed,
    /// A range that starts at or before the end of the one before it.
    #[error("the range starts before the previous one ends (ranges must ascend and not overlap)")]
    NotAscending,
    /// A NUL byte or bytes that are not UTF-8.
    #[error(
        "not text (a NUL byte, or not UTF-8): not a tor-geoipdb file, nor a MaxMind DB with its \
         metadata (no marker \\xAB\\xCD\\xEFMaxMind.com in its last 128 KiB: truncated?)"
    )]
    NotText,
    /// Longer than any tor-geoipdb line.
    #[error("a line of over {0} bytes: not a tor-geoipdb line")]
    TooLong(u64),
    /// Not two letters (or `??`).
    #[error("bad country code {0:?} (two letters, or ?? for unknown)")]
    Country(String),
}
