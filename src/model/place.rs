//! Where an address is from, as the operator's local GeoIP files say: its country, its
//! autonomous system and that system's organisation; and which files said so.

use serde::Serialize;
use std::path::PathBuf;

/// What the GeoIP files know of one address; every field may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code, upper case ("US").
    pub country: Option<String>,
    /// Autonomous system number (13335 for AS13335).
    pub asn: Option<u32>,
    /// The autonomous system's organisation ("Cloudflare, Inc.").
    pub org: Option<String>,
}

impl Place {
    /// Fills what is still unknown from `later`: the country from it when none is known yet, and
    /// the AS number with its organisation together (one source's pair is never split).
    pub fn fill_from(&mut self, later: Place) {
        if self.country.is_none() {
            self.country = later.country;
        }
        if self.asn.is_none() && self.org.is_none() {
            self.asn = later.asn;
            self.org = later.org;
        }
    }

    /// Whether every field is known, so no later source can add anything.
    pub fn is_complete(&self) -> bool {
        self.country.is_some() && self.asn.is_some() && self.org.is_some()
    }
}

/// One GeoIP file in use, for the help and the dossier to say where a place came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceSource {
    /// The file.
    pub path: PathBuf,
    /// Its format ("tor-geoipdb", "MaxMind DB GeoLite2-ASN").
    pub format: String,
    /// Whose data it is and under which licence, as far as the file says.
    pub attribution: String,
    /// Whether it gives countries.
    pub gives_country: bool,
    /// Whether it gives AS numbers or organisations.
    pub gives_as: bool,
}

impl std::fmt::Display for PlaceSource {
    /// `country: tor-geoipdb (IPFire Project, CC BY-SA 4.0) /usr/share/tor/geoip`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let gives = match (self.gives_country, self.gives_as) {
            (true, true) => "country, AS",
            (true, false) => "country",
            (false, true) => "AS",
            (false, false) => "nothing",
        };
        write!(
            f,
            "{gives}: {} ({}) {}",
            self.format,
            self.attribution,
            self.path.display()
        )
    }
}

/// A place from borrowed parts, for tests.
#[cfg(test)]
pub(crate) fn place(country: Option<&str>, asn: Option<u32>, org: Option<&str>) -> Place {
    Place {
        country: country.map(str::to_string),
        asn,
        org: org.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answer_per_field_wins_and_an_as_pair_stays_whole() {
        let mut merged = place(None, None, Some("First Org"));
        merged.fill_from(place(Some("FR"), Some(64500), Some("Second Org")));
        assert_eq!(merged, place(Some("FR"), None, Some("First Org")));
        merged.fill_from(place(Some("DE"), Some(64501), None));
        assert_eq!(merged, place(Some("FR"), None, Some("First Org")));
        let mut empty = Place::default();
        empty.fill_from(place(None, Some(64502), Some("Org")));
        assert_eq!(empty, place(None, Some(64502), Some("Org")));
        assert!(!empty.is_complete());
    }
}
