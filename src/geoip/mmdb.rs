//! MaxMind DB files (`.mmdb`) through the `maxminddb` crate: GeoLite2 Country/City/ASN, DB-IP
//! Lite and IPinfo Lite. Which fields a record has decides what is read, never the file's name:
//! the country from `country.iso_code` (GeoLite2, DB-IP) or `country_code` (IPinfo Lite), the
//! AS number from `autonomous_system_number` (GeoLite2-ASN, DB-IP ASN) or `asn` (`"AS13335"`,
//! IPinfo Lite), its organisation from `autonomous_system_organization` or `as_name`.

use super::error::GeoIpError;
use crate::model::place::{Place, PlaceSource};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// How many records are decoded at load to learn what the file gives (and that its data section
/// decodes at all).
const PROBED_RECORDS: usize = 64;

/// The metadata marker.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

/// How many bytes at the end of a file hold the marker when it is a MaxMind DB: the format's
/// specification bounds the metadata to 128 KiB.
pub const METADATA_TAIL: u64 = 128 * 1024 + METADATA_MARKER.len() as u64;

/// Whether `tail`, the last [`METADATA_TAIL`] bytes of a file, holds the metadata marker: the
/// file is a MaxMind DB.
pub fn has_metadata_marker(tail: &[u8]) -> bool {
    memchr::memmem::rfind(tail, METADATA_MARKER).is_some()
}

/// One MaxMind DB, opened and probed.
pub struct MmdbGeoip {
    path: PathBuf,
    reader: maxminddb::Reader<Vec<u8>>,
    gives_country: bool,
    gives_as: bool,
}

impl std::fmt::Debug for MmdbGeoip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbGeoip")
            .field("path", &self.path)
            .field("database_type", &self.reader.metadata().database_type)
            .finish_non_exhaustive()
    }
}

impl MmdbGeoip {
    /// Opens `bytes`, the content of `path`, and decodes its first records to learn whether it
    /// gives countries, AS numbers or both; one that gives neither is refused.
    pub fn open(path: &Path, bytes: Vec<u8>) -> Result<MmdbGeoip, GeoIpError> {
        let refused = |error| GeoIpError::Mmdb {
            path: path.to_path_buf(),
            error,
        };
        let reader = maxminddb::Reader::from_source(bytes).map_err(refused)?;
        let mut probed = Place::default();
        for network in reader
            .networks(maxminddb::WithinOptions::default())
            .map_err(refused)?
            .take(PROBED_RECORDS)
        {
            let record: Option<MmdbRecord> = network.and_then(|n| n.decode()).map_err(refused)?;
            if let Some(record) = record {
                let place = record.place();
                probed.country = probed.country.or(place.country);
                probed.asn = probed.asn.or(place.asn);
                probed.org = probed.org.or(place.org);
            }
        }
        let gives_as = probed.asn.is_some() || probed.org.is_some();
        if probed.country.is_none() && !gives_as {
            return Err(GeoIpError::NothingToGive {
                path: path.to_path_buf(),
                database_type: reader.metadata().database_type.clone(),
            });
        }
        Ok(MmdbGeoip {
            path: path.to_path_buf(),
            gives_country: probed.country.is_some(),
            gives_as,
            reader,
        })
    }

    /// What the record for `address` says; nothing when there is none, when an IPv4-only file
    /// is asked about IPv6, or when the record does not decode.
    pub fn place(&self, address: IpAddr) -> Place {
        if address.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Place::default();
        }
        self.reader
            .lookup(address)
            .and_then(|found| found.decode::<MmdbRecord>())
            .ok()
            .flatten()
            .map(|record| record.place())
            .unwrap_or_default()
    }

    /// The file, its database type and attribution, for the help and the dossier.
    pub fn describe(&self) -> PlaceSource {
        let metadata = self.reader.metadata();
        PlaceSource {
            path: self.path.clone(),
            format: format!("MaxMind DB {}", metadata.database_type),
            attribution: attribution(&metadata.database_type, metadata.description.get("en")),
            gives_country: self.gives_country,
            gives_as: self.gives_as,
        }
    }
}

/// Whose data a database is, from its metadata: the free databases' providers and licences,
/// else its English description.
fn attribution(database_type: &str, description: Option<&String>) -> String {
    let kind = database_type.to_ascii_lowercase();
    if kind.starts_with("geolite2") {
        "MaxMind GeoLite2, GeoLite2 EULA".to_string()
    } else if kind.starts_with("geoip2") {
        "MaxMind GeoIP2".to_string()
    } else if kind.starts_with("dbip") || kind.contains("db-ip") {
        "DB-IP, CC BY 4.0".to_string()
    } else if kind.contains("ipinfo") {
        "IPinfo, CC BY-SA 4.0".to_string()
    } else {
        description
            .cloned()
            .unwrap_or_else(|| "source not named in the file".to_string())
    }
}

/// The fields of a record bantop reads, whichever database it comes from.
#[derive(Debug, Deserialize)]
struct MmdbRecord {
    country: Option<CountryField>,
    country_code: Option<String>,
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    asn: Option<AsnField>,
    as_name: Option<String>,
}

/// `country`: a map with `iso_code` (GeoLite2, DB-IP), or the country's name (IPinfo Lite),
/// which is not read.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CountryField {
    Record { iso_code: Option<String> },
    Name(serde::de::IgnoredAny),
}

/// `asn`: a number, or `"AS13335"` (IPinfo Lite).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AsnField {
    Number(u32),
    Text(String),
}

impl MmdbRecord {
    fn place(self) -> Place {
        let iso_code = match self.country {
            Some(CountryField::Record { iso_code }) => iso_code,
            _ => None,
        };
        let asn = self.autonomous_system_number.or(match self.asn {
            Some(AsnField::Number(n)) => Some(n),
            Some(AsnField::Text(text)) => as_number(&text),
            None => None,
        });
        Place {
            country: iso_code
                .or(self.country_code)
                .and_then(|c| country_code(&c)),
            asn,
            org: self
                .autonomous_system_organization
                .or(self.as_name)
                .filter(|org| !org.trim().is_empty()),
        }
    }
}

/// `AS13335` (or `as13335`, or `13335`) as a number.
fn as_number(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("AS")
        .or_else(|| text.strip_prefix("as"))
        .unwrap_or(text);
    digits.parse().ok()
}

/// Two letters, upper-cased; anything else is no country code.
fn country_code(text: &str) -> Option<String> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::super::test_mmdb::{Mmdb, Value, map, text};
    use super::*;
    use crate::model::place::place;

    fn net(text: &str) -> ipnet::IpNet {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn open(mmdb: &Mmdb) -> Result<MmdbGeoip, GeoIpError> {
        MmdbGeoip::open(Path::new("/x/test.mmdb"), mmdb.build())
    }

    fn geolite2_asn() -> Mmdb {
        let asn = |n: u32, org: &str| {
            map(&[
                ("autonomous_system_number", Value::U32(n)),
                ("autonomous_system_organization", text(org)),
            ])
        };
        Mmdb {
            ip_version: 6,
            record_size: 28,
            database_type: "GeoLite2-ASN".to_string(),
            networks: vec![
                (net("1.1.1.0/24"), asn(13335, "CLOUDFLARENET")),
                (net("8.8.8.0/24"), asn(15169, "GOOGLE")),
                (net("2606:4700::/32"), asn(13335, "CLOUDFLARENET")),
            ],
        }
    }

    fn ipinfo_lite() -> Mmdb {
        Mmdb {
            ip_version: 6,
            record_size: 24,
            database_type: "ipinfo lite.mmdb".to_string(),
            networks: vec![(
                net("2001:4860::/32"),
                map(&[
                    ("country", text("United States")),
                    ("country_code", text("US")),
                    ("continent", text("North America")),
                    ("asn", text("AS15169")),
                    ("as_name", text("Google LLC")),
                    ("as_domain", text("google.com")),
                ]),
            )],
        }
    }

    #[test]
    fn a_geolite2_asn_shaped_file_gives_as_and_organisation_for_ipv4_and_ipv6() {
        let source = open(&geolite2_asn()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            source.place(ip("1.1.1.1")),
            place(None, Some(13335), Some("CLOUDFLARENET"))
        );
        assert_eq!(
            source.place(ip("8.8.8.255")),
            place(None, Some(15169), Some("GOOGLE"))
        );
        assert_eq!(
            source.place(ip("2606:4700:4700::1111")),
            place(None, Some(13335), Some("CLOUDFLARENET"))
        );
        assert_eq!(source.place(ip("8.8.9.1")), Place::default());
        assert_eq!(source.place(ip("2001:db8::1")), Place::default());
        assert_eq!(
            source.describe().to_string(),
            "AS: MaxMind DB GeoLite2-ASN (MaxMind GeoLite2, GeoLite2 EULA) /x/test.mmdb"
        );
    }

    #[test]
    fn an_ipinfo_lite_shaped_file_gives_country_as_and_organisation() {
        let source = open(&ipinfo_lite()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            source.place(ip("2001:4860:4860::8888")),
            place(Some("US"), Some(15169), Some("Google LLC"))
        );
        assert_eq!(
            source.describe().to_string(),
            "country, AS: MaxMind DB ipinfo lite.mmdb (IPinfo, CC BY-SA 4.0) /x/test.mmdb"
        );
    }

    #[test]
    fn a_country_file_of_ipv4_only_answers_ipv4() {
        let country = |code: &str| {
            map(&[(
                "country",
                map(&[
                    ("geoname_id", Value::U32(2_635_167)),
                    ("iso_code", text(code)),
                    ("names", map(&[("en", text("some country"))])),
                ]),
            )])
        };
        let source = open(&Mmdb {
            ip_version: 4,
            record_size: 24,
            database_type: "DBIP-Country-Lite".to_string(),
            networks: vec![
                (net("81.2.69.0/24"), country("gb")),
                (net("81.2.70.0/23"), country("not a code")),
            ],
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            source.place(ip("81.2.69.142")),
            place(Some("GB"), None, None)
        );
        assert_eq!(source.place(ip("81.2.71.1")), Place::default());
        assert_eq!(source.place(ip("2001:4860::1")), Place::default());
        assert_eq!(source.describe().attribution, "DB-IP, CC BY 4.0");
    }

    #[test]
    fn a_file_cut_in_its_metadata_or_without_country_or_as_is_refused_naming_the_file() {
        let whole = geolite2_asn().build();
        let cut = whole[..whole.len() - 5].to_vec();
        assert!(has_metadata_marker(&cut));
        let error = MmdbGeoip::open(Path::new("/x/test.mmdb"), cut)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("/x/test.mmdb: not a usable MaxMind DB: "),
            "{error}"
        );
        let cities = Mmdb {
            ip_version: 6,
            record_size: 24,
            database_type: "Cities".to_string(),
            networks: vec![(net("1.1.1.0/24"), map(&[("city", text("Sydney"))]))],
        };
        let error = open(&cities).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "/x/test.mmdb: a MaxMind DB (Cities) whose records have no country \
                 (country.iso_code, country_code) and no AS (autonomous_system_number, asn)"
            )
        );
    }

    #[test]
    fn as_numbers_are_read_from_either_spelling() {
        assert_eq!(as_number("AS13335"), Some(13335));
        assert_eq!(as_number("as64500"), Some(64500));
        assert_eq!(as_number("15169"), Some(15169));
        assert_eq!(as_number("AS"), None);
        assert_eq!(as_number("ASx"), None);
    }
}
