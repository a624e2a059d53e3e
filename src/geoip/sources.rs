//! Several GeoIP files in the operator's order, asked as one: each field of a [`Place`] comes
//! from the first file that knows it. Loading reads every file through (a MaxMind DB into
//! memory whole) and takes a tenth of a second for Debian's tor-geoipdb: do it off the UI task,
//! once, and share the result (`GeoIp` is `Send + Sync`).

use super::error::GeoIpError;
use super::mmdb::{METADATA_TAIL, MmdbGeoip, has_metadata_marker};
use super::tor_file::TorGeoip;
use crate::model::place::{Place, PlaceSource};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The files used when neither `--geoip` nor the settings name any (those of them that exist):
/// Debian's `tor-geoipdb` package.
pub const DEFAULT_FILES: [&str; 2] = ["/usr/share/tor/geoip", "/usr/share/tor/geoip6"];

/// The largest GeoIP file read (the largest free City databases are a few hundred MB).
const MAX_FILE_BYTES: u64 = 1 << 30;

/// One loaded file.
#[derive(Debug)]
enum Source {
    Tor(TorGeoip),
    Mmdb(MmdbGeoip),
}

/// The loaded GeoIP files, in order. Empty when none loaded: every lookup is then unknown.
#[derive(Debug, Default)]
pub struct GeoIp {
    sources: Vec<Source>,
}

impl GeoIp {
    /// Loads each of `paths` (a MaxMind DB when its content has the metadata marker,
    /// tor-geoipdb text otherwise). A file that cannot be used is left out with one message
    /// naming it; the others still load.
    pub fn load(paths: &[PathBuf]) -> (GeoIp, Vec<GeoIpError>) {
        // Each file on a thread of its own (IPv4 and IPv6 take as long as the longer one), kept
        // in the order given.
        let loaded: Vec<Result<Source, GeoIpError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = paths
                .iter()
                .map(|path| scope.spawn(move || load_file(path)))
                .collect();
            handles
                .into_iter()
                .zip(paths)
                .map(|(handle, path)| {
                    handle.join().unwrap_or_else(|_| {
                        Err(GeoIpError::Read {
                            path: path.clone(),
                            error: std::io::Error::other("its reading stopped"),
                        })
                    })
                })
                .collect()
        });
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for result in loaded {
            match result {
                Ok(source) => sources.push(source),
                Err(problem) => problems.push(problem),
            }
        }
        (GeoIp { sources }, problems)
    }

    /// What the files know of `address`: the country from the first that has one, the AS
    /// number and organisation from the first that has them. `::ffff:a.b.c.d` is looked up as
    /// `a.b.c.d`.
    pub fn lookup(&self, address: IpAddr) -> Place {
        let address = address.to_canonical();
        let mut place = Place::default();
        for source in &self.sources {
            if place.is_complete() {
                break;
            }
            place.fill_from(match source {
                Source::Tor(tor) => Place {
                    country: tor.country(address),
                    ..Place::default()
                },
                Source::Mmdb(mmdb) => mmdb.place(address),
            });
        }
        place
    }

    /// Each loaded file with what it gives and whose data it is, in order.
    pub fn sources(&self) -> Vec<PlaceSource> {
        self.sources
            .iter()
            .map(|source| match source {
                Source::Tor(tor) => tor.describe(),
                Source::Mmdb(mmdb) => mmdb.describe(),
            })
            .collect()
    }

    /// Whether no file loaded.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// The files of [`DEFAULT_FILES`] that exist.
pub fn default_files() -> Vec<PathBuf> {
    DEFAULT_FILES
        .iter()
        .map(PathBuf::from)
        .filter(|path| path.exists())
        .collect()
}

/// One file, as what its content says it is.
fn load_file(path: &Path) -> Result<Source, GeoIpError> {
    let mut file = crate::state_file::open_named(path, MAX_FILE_BYTES).map_err(GeoIpError::Open)?;
    let failed = |error| GeoIpError::Read {
        path: path.to_path_buf(),
        error,
    };
    let length = file.metadata().map_err(failed)?.len();
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(length.saturating_sub(METADATA_TAIL)))
        .and_then(|_| (&mut file).take(METADATA_TAIL).read_to_end(&mut tail))
        .map_err(failed)?;
    file.rewind().map_err(failed)?;
    if has_metadata_marker(&tail) {
        // The reader needs the whole database at hand.
        let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        file.take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        return MmdbGeoip::open(path, bytes).map(Source::Mmdb);
    }
    let lines = count_lines(&mut file)
        .and_then(|lines| file.rewind().map(|_| lines))
        .map_err(failed)?;
    TorGeoip::read(path, BufReader::new(file), lines).map(Source::Tor)
}

/// The newlines in `reader` plus one: room for every line, a last one without its newline too.
fn count_lines(reader: &mut impl Read) -> std::io::Result<usize> {
    let mut buffer = vec![0; 64 * 1024];
    let mut lines = 1;
    loop {
        match reader.read(&mut buffer)? {
            0 => return Ok(lines),
            read => lines += memchr::memchr_iter(b'\n', &buffer[..read]).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_mmdb::{Mmdb, map, text};
    use super::*;
    use crate::model::place::place;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// 8.8.8.0/24 as `country`, 2001:4860::/32 as US.
    fn tor_files(dir: &Path, country: &str) -> [PathBuf; 2] {
        [
            write(
                dir,
                &format!("geoip-{country}"),
                format!("# test\n134744064,134744319,{country}\n").as_bytes(),
            ),
            write(
                dir,
                "geoip6",
                b"2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n",
            ),
        ]
    }

    /// An IPinfo-Lite-shaped file that knows 8.8.8.0/24 as country FR, AS15169.
    fn ipinfo(dir: &Path) -> PathBuf {
        let record = map(&[
            ("country_code", text("FR")),
            ("asn", text("AS15169")),
            ("as_name", text("Google LLC")),
        ]);
        let mmdb = Mmdb {
            ip_version: 6,
            record_size: 24,
            database_type: "ipinfo_lite".to_string(),
            networks: vec![(
                "8.8.8.0/24".parse().unwrap_or_else(|e| panic!("{e}")),
                record,
            )],
        };
        write(dir, "lite.db", &mmdb.build())
    }

    #[test]
    fn each_field_comes_from_the_first_file_that_knows_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let [v4, v6] = tor_files(dir.path(), "US");
        let mmdb = ipinfo(dir.path());
        let (geoip, problems) = GeoIp::load(&[v4.clone(), v6.clone(), mmdb.clone()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            geoip.lookup(ip("8.8.8.8")),
            place(Some("US"), Some(15169), Some("Google LLC"))
        );
        assert_eq!(
            geoip.lookup(ip("::ffff:8.8.8.8")),
            geoip.lookup(ip("8.8.8.8"))
        );
        assert_eq!(
            geoip.lookup(ip("2001:4860::8888")),
            place(Some("US"), None, None)
        );

        let (mmdb_first, _) = GeoIp::load(&[mmdb.clone(), v4.clone()]);
        assert_eq!(
            mmdb_first.lookup(ip("8.8.8.8")),
            place(Some("FR"), Some(15169), Some("Google LLC"))
        );
        let described: Vec<String> = geoip.sources().iter().map(|s| s.to_string()).collect();
        assert_eq!(
            described,
            [
                format!(
                    "country: tor-geoipdb (source not named in the file) {}",
                    v4.display()
                ),
                format!(
                    "country: tor-geoipdb (source not named in the file) {}",
                    v6.display()
                ),
                format!(
                    "country, AS: MaxMind DB ipinfo_lite (IPinfo, CC BY-SA 4.0) {}",
                    mmdb.display()
                ),
            ]
        );
    }

    #[test]
    fn private_documentation_and_loopback_addresses_get_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let [v4, v6] = tor_files(dir.path(), "US");
        let (geoip, _) = GeoIp::load(&[v4, v6, ipinfo(dir.path())]);
        for address in [
            "10.0.0.1",
            "127.0.0.1",
            "192.168.1.1",
            "192.0.2.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "2001:db8::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert_eq!(geoip.lookup(ip(address)), Place::default(), "{address}");
        }
    }

    #[test]
    fn a_bad_file_is_named_and_the_others_still_load() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let [v4, _] = tor_files(dir.path(), "DE");
        let whole = std::fs::read(ipinfo(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let truncated = write(dir.path(), "cut.mmdb", &whole[..whole.len() / 2]);
        let not_geoip = write(dir.path(), "config.toml", b"theme = \"light\"\n");
        let bad_line = write(
            dir.path(),
            "bad",
            b"# ok\n16777216,16777471,AU\n1.2.3.4,5,FR\n",
        );
        let missing = dir.path().join("missing");
        let (geoip, problems) = GeoIp::load(&[
            truncated.clone(),
            not_geoip.clone(),
            v4,
            bad_line.clone(),
            missing.clone(),
            dir.path().to_path_buf(),
        ]);
        let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(
            problems[0].starts_with(&format!("{}:1: not text (a NUL byte", truncated.display())),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with(&format!(
                "{}:1: not a LOW,HIGH,CC line",
                not_geoip.display()
            )),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with(&format!(
                "{}:3: bad address \"1.2.3.4\"",
                bad_line.display()
            )),
            "{problems:?}"
        );
        assert!(
            problems[3].starts_with(&missing.display().to_string()),
            "{problems:?}"
        );
        assert!(problems[4].contains("a directory"), "{problems:?}");
        assert_eq!(geoip.lookup(ip("8.8.8.8")).country.as_deref(), Some("DE"));
        assert_eq!(geoip.sources().len(), 1);
    }

    #[test]
    fn no_file_knows_nothing_and_any_task_may_ask() {
        fn shared<T: Send + Sync>(_: &T) {}
        let (geoip, problems) = GeoIp::load(&[]);
        shared(&geoip);
        assert!(problems.is_empty() && geoip.is_empty());
        assert_eq!(geoip.lookup(ip("8.8.8.8")), Place::default());
    }
}
