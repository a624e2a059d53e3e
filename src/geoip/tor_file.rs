//! Debian's `tor-geoipdb` files: `/usr/share/tor/geoip` (lines `INTIPLOW,INTIPHIGH,CC`, IPv4
//! addresses as integers) and `/usr/share/tor/geoip6` (`IPV6LOW,IPV6HIGH,CC`), `#` comments.
//! Debian's are made from the IPFire location database (CC BY-SA 4.0); the header comments say
//! so, and the attribution is taken from them. `??` marks a range of unknown country.

use super::error::{GeoIpError, LineProblem};
use super::ranges::{CountryCode, CountryRanges};
use crate::model::place::PlaceSource;
use std::io::{BufRead, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One tor-geoipdb file, loaded: its ranges of each family (one is usually empty).
#[derive(Debug)]
pub struct TorGeoip {
    path: PathBuf,
    attribution: String,
    v4: CountryRanges<u32>,
    v6: CountryRanges<u128>,
}

/// One end of a range as the file writes it.
enum End {
    V4(u32),
    V6(u128),
}

/// The longest line read: Tor's are under 100 bytes.
const MAX_LINE: u64 = 1024;

impl TorGeoip {
    /// Reads the lines of `path` from `reader`, one at a time (the file is never whole in
    /// memory); `lines` is how many there are, so the tables are allocated once. A bad line is
    /// an error naming `path:line`.
    pub fn read(
        path: &Path,
        mut reader: impl BufRead,
        lines: usize,
    ) -> Result<TorGeoip, GeoIpError> {
        let mut v4 = CountryRanges::default();
        let mut v6 = CountryRanges::default();
        let mut header = Header::default();
        let mut buffer = Vec::with_capacity(128);
        for number in 1.. {
            buffer.clear();
            let read = (&mut reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut buffer)
                .map_err(|error| GeoIpError::Read {
                    path: path.to_path_buf(),
                    error,
                })?;
            if read == 0 {
                break;
            }
            let at = |problem| GeoIpError::Line {
                path: path.to_path_buf(),
                line: number,
                problem,
            };
            if read as u64 == MAX_LINE && buffer.last() != Some(&b'\n') {
                return Err(at(LineProblem::TooLong(MAX_LINE)));
            }
            if memchr::memchr(0, &buffer).is_some() {
                return Err(at(LineProblem::NotText));
            }
            let line = std::str::from_utf8(&buffer)
                .map_err(|_| at(LineProblem::NotText))?
                .trim();
            if let Some(comment) = line.strip_prefix('#') {
                header.read(comment);
            } else if !line.is_empty() {
                add_line(line, &mut v4, &mut v6, lines.saturating_sub(number)).map_err(at)?;
            }
        }
        if v4.is_empty() && v6.is_empty() {
            return Err(GeoIpError::NoRanges {
                path: path.to_path_buf(),
            });
        }
        Ok(TorGeoip {
            path: path.to_path_buf(),
            attribution: header.attribution(),
            v4,
            v6,
        })
    }

    /// The country of `address` (IPv4-mapped IPv6 addresses are expected as IPv4 already).
    pub fn country(&self, address: IpAddr) -> Option<String> {
        let code = match address {
            IpAddr::V4(v4) => self.v4.country_of(u32::from(v4)),
            IpAddr::V6(v6) => self.v6.country_of(u128::from(v6)),
        }?;
        Some(String::from_utf8_lossy(&code).into_owned())
    }

    /// The file, its format and attribution, for the help and the dossier.
    pub fn describe(&self) -> PlaceSource {
        PlaceSource {
            path: self.path.clone(),
            format: "tor-geoipdb".to_string(),
            attribution: self.attribution.clone(),
            gives_country: true,
            gives_as: false,
        }
    }
}

/// Adds one `LOW,HIGH,CC` line to the ranges of its family. The first range of a family
/// reserves room for `lines_left` more, so the tables never grow: a grown vector leaves its old
/// buffers to the allocator, which keeps them (a file holds one family as a rule).
fn add_line(
    line: &str,
    v4: &mut CountryRanges<u32>,
    v6: &mut CountryRanges<u128>,
    lines_left: usize,
) -> Result<(), LineProblem> {
    let mut fields = line.split(',');
    let (Some(low), Some(high), Some(country), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(LineProblem::Shape(line.to_string()));
    };
    let (low, high) = (end(low.trim())?, end(high.trim())?);
    let Some(country) = country_code(country.trim())? else {
        // Unknown country: nothing to find there. Order is still checked where it matters:
        // among the ranges kept.
        return match (low, high) {
            (End::V4(_), End::V4(_)) | (End::V6(_), End::V6(_)) => Ok(()),
            _ => Err(LineProblem::MixedFamilies),
        };
    };
    match (low, high) {
        (End::V4(low), End::V4(high)) => {
            if v4.is_empty() {
                v4.reserve(lines_left + 1);
            }
            v4.push(low, high, country)
        }
        (End::V6(low), End::V6(high)) => {
            if v6.is_empty() {
                v6.reserve(lines_left + 1);
            }
            v6.push(low, high, country)
        }
        _ => Err(LineProblem::MixedFamilies),
    }
}

/// An IPv4 address as a decimal integer, or an IPv6 address in any of its spellings.
fn end(field: &str) -> Result<End, LineProblem> {
    let bad = || LineProblem::Address(field.to_string());
    if field.contains(':') {
        let v6: std::net::Ipv6Addr = field.parse().map_err(|_| bad())?;
        Ok(End::V6(u128::from(v6)))
    } else if !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit()) {
        field.parse().map(End::V4).map_err(|_| bad())
    } else {
        Err(bad())
    }
}

/// Two letters, upper-cased; `None` for `??` (unknown).
fn country_code(field: &str) -> Result<Option<CountryCode>, LineProblem> {
    match field.as_bytes() {
        b"??" => Ok(None),
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Ok(Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
        }
        _ => Err(LineProblem::Country(field.to_string())),
    }
}

/// Who made the data, from the export header Debian's files carry (`# Vendor: IPFire
/// Project`, `# License: CC BY-SA 4.0`).
#[derive(Default)]
struct Header {
    vendor: Option<String>,
    license: Option<String>,
}

impl Header {
    fn read(&mut self, comment: &str) {
        let comment = comment.trim();
        for (key, slot) in [
            ("Vendor:", &mut self.vendor),
            ("License:", &mut self.license),
        ] {
            if slot.is_none()
                && let Some(value) = comment.strip_prefix(key)
                && !value.trim().is_empty()
            {
                *slot = Some(value.trim().to_string());
            }
        }
    }

    fn attribution(&self) -> String {
        match (&self.vendor, &self.license) {
            (Some(vendor), Some(license)) => format!("{vendor}, {license}"),
            (Some(vendor), None) => format!("{vendor}, licence not named in the file"),
            (None, Some(license)) => format!("vendor not named in the file, {license}"),
            (None, None) => "source not named in the file".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TorGeoip, GeoIpError> {
        TorGeoip::read(Path::new("/x/geoip"), text.as_bytes(), text.lines().count())
    }

    fn loaded(text: &str) -> TorGeoip {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn country(geoip: &TorGeoip, address: &str) -> Option<String> {
        geoip.country(address.parse().unwrap_or_else(|e| panic!("{e}")))
    }

    const HEADER: &str = "# Location Database Export\n#\n# Vendor:    IPFire Project\n\
                          # License:   CC BY-SA 4.0\n#\n";

    #[test]
    fn ipv4_integers_and_ipv6_ranges_with_their_country_and_attribution() {
        // 1.0.0.0-1.0.0.255 AU, 1.0.1.0-1.0.3.255 CN, then an unknown range.
        let v4 = loaded(&format!(
            "{HEADER}16777216,16777471,AU\n16777472,16778239,cn\r\n\n16778240,16778241,??\n"
        ));
        assert_eq!(country(&v4, "1.0.0.0").as_deref(), Some("AU"));
        assert_eq!(country(&v4, "1.0.0.255").as_deref(), Some("AU"));
        assert_eq!(country(&v4, "1.0.3.255").as_deref(), Some("CN"));
        assert_eq!(country(&v4, "1.0.4.0"), None);
        assert_eq!(country(&v4, "0.255.255.255"), None);
        assert_eq!(country(&v4, "::1"), None);
        assert_eq!(
            v4.describe().to_string(),
            "country: tor-geoipdb (IPFire Project, CC BY-SA 4.0) /x/geoip"
        );

        let v6 = loaded(
            "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n\
             2001:4861::,2001:4861::ff,??\n",
        );
        assert_eq!(country(&v6, "2001:4860:4860::8888").as_deref(), Some("US"));
        assert_eq!(country(&v6, "2001:4861::1"), None);
        assert_eq!(country(&v6, "8.8.8.8"), None);
        assert_eq!(v6.describe().attribution, "source not named in the file");
    }

    #[test]
    fn a_bad_line_names_the_file_and_line() {
        let cases = [
            (
                "16777216,16777471,AU\n1.0.0.0,16777471,AU\n",
                2,
                "bad address \"1.0.0.0\"",
            ),
            (
                "# c\n4294967296,4294967296,AU\n",
                2,
                "bad address \"4294967296\"",
            ),
            (
                "2001:db8::g,2001:db8::1,FR\n",
                1,
                "bad address \"2001:db8::g\"",
            ),
            ("16777216,16777471\n", 1, "not a LOW,HIGH,CC line"),
            ("16777216,16777471,AU,x\n", 1, "not a LOW,HIGH,CC line"),
            ("16777216,::1,AU\n", 1, "IPv4 and the other IPv6"),
            ("16777216,::1,??\n", 1, "IPv4 and the other IPv6"),
            ("16777216,16777215,AU\n", 1, "ends before it starts"),
            ("20,30,AU\n25,40,FR\n", 2, "must ascend"),
            ("20,30,AU\n31,40,USA\n", 2, "bad country code \"USA\""),
            ("20,30,AU\n31,40,\0\0\n", 2, "not text (a NUL byte"),
            ("\u{1}\0\u{2}\n20,30,AU\n", 1, "not text (a NUL byte"),
        ];
        for (text, line, reason) in cases {
            let error = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                error.starts_with(&format!("/x/geoip:{line}: ")) && error.contains(reason),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_or_a_line_too_long_are_refused_with_the_line() {
        let latin1 = b"# ok\n20,30,AU\n# caf\xe9\n";
        let error = TorGeoip::read(Path::new("/x/geoip"), &latin1[..], 3)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with("/x/geoip:3: not text"), "{error}");
        let long = format!("20,30,AU\n{}\n", "1".repeat(5000));
        let error = parse(&long).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("/x/geoip:2: a line of over 1024 bytes: not a tor-geoipdb line")
        );
    }

    #[test]
    fn a_file_that_is_not_geoip_is_refused_at_its_first_line() {
        let settings = "theme = \"light\"\n";
        let error = parse(settings).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("/x/geoip:1: not a LOW,HIGH,CC line: \"theme = \\\"light\\\"\"")
        );
        let only_comments = parse("# nothing here\n\n").err().map(|e| e.to_string());
        assert_eq!(
            only_comments.as_deref(),
            Some("/x/geoip: no address ranges (LOW,HIGH,CC lines): not a tor-geoipdb file")
        );
    }
}
