//! GeoIP from local files: Debian's real tor-geoipdb files, MaxMind DB files the test builds
//! (GeoLite2-ASN-shaped and IPinfo-Lite-shaped, IPv4 and IPv6), and `bantop events --json`
//! with `--geoip` on a fail2ban configuration of the test's.

mod mmdb;
mod stream;

use bantop::geoip::GeoIp;
use bantop::model::Place;
use mmdb::{Mmdb, Value, map, text};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use stream::{Stream, append, configuration};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn place(country: Option<&str>, asn: Option<u32>, org: Option<&str>) -> Place {
    Place {
        country: country.map(str::to_string),
        asn,
        org: org.map(str::to_string),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn debians_tor_geoipdb_gives_countries() {
    let files: Vec<PathBuf> = bantop::geoip::DEFAULT_FILES
        .iter()
        .map(PathBuf::from)
        .collect();
    if let Some(absent) = files.iter().find(|f| !f.exists()) {
        println!(
            "skipped: {} is absent (apt-get install tor-geoipdb)",
            absent.display()
        );
        return;
    }
    let (geoip, problems) = GeoIp::load(&files);
    assert!(problems.is_empty(), "{problems:?}");
    // What the files say today: Google's resolvers are in US ranges
    // (100663296,135630591,US and 2001:4860::/32 US in tor-geoipdb 20250626).
    assert_eq!(geoip.lookup(ip("8.8.8.8")), place(Some("US"), None, None));
    assert_eq!(
        geoip.lookup(ip("2001:4860:4860::8888")),
        place(Some("US"), None, None)
    );
    assert_eq!(
        geoip.lookup(ip("::ffff:8.8.8.8")),
        geoip.lookup(ip("8.8.8.8"))
    );
    for nowhere in [
        "192.0.2.1",
        "2001:db8::1",
        "10.1.2.3",
        "127.0.0.1",
        "::1",
        "fd00::1",
    ] {
        assert_eq!(geoip.lookup(ip(nowhere)), Place::default(), "{nowhere}");
    }
    let sources: Vec<String> = geoip.sources().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        sources,
        [
            "country: tor-geoipdb (IPFire Project, CC BY-SA 4.0) /usr/share/tor/geoip",
            "country: tor-geoipdb (IPFire Project, CC BY-SA 4.0) /usr/share/tor/geoip6",
        ]
    );
}

/// A GeoLite2-ASN-shaped database (IPv6 tree, 28-bit records) for 1.1.1.0/24 and
/// 2606:4700::/32.
fn geolite2_asn(dir: &Path) -> PathBuf {
    let record = map(&[
        ("autonomous_system_number", Value::U32(13335)),
        ("autonomous_system_organization", text("CLOUDFLARENET")),
    ]);
    let mmdb = Mmdb {
        ip_version: 6,
        record_size: 28,
        database_type: "GeoLite2-ASN".to_string(),
        networks: vec![
            (
                "1.1.1.0/24".parse().unwrap_or_else(|e| panic!("{e}")),
                record.clone(),
            ),
            (
                "2606:4700::/32".parse().unwrap_or_else(|e| panic!("{e}")),
                record,
            ),
        ],
    };
    write(dir, "GeoLite2-ASN.mmdb", &mmdb.build())
}

/// An IPinfo-Lite-shaped database (IPv6 tree, 24-bit records) for 8.8.8.0/24 and
/// 2001:4860::/32, under a name that says nothing.
fn ipinfo_lite(dir: &Path) -> PathBuf {
    let record = map(&[
        ("country", text("United States")),
        ("country_code", text("US")),
        ("continent", text("North America")),
        ("continent_code", text("NA")),
        ("asn", text("AS15169")),
        ("as_name", text("Google LLC")),
        ("as_domain", text("google.com")),
    ]);
    let mmdb = Mmdb {
        ip_version: 6,
        record_size: 24,
        database_type: "ipinfo_lite.mmdb".to_string(),
        networks: vec![
            (
                "8.8.8.0/24".parse().unwrap_or_else(|e| panic!("{e}")),
                record.clone(),
            ),
            (
                "2001:4860::/32".parse().unwrap_or_else(|e| panic!("{e}")),
                record,
            ),
        ],
    };
    write(dir, "data.bin", &mmdb.build())
}

#[test]
fn maxmind_databases_give_as_and_organisation_by_their_record_fields() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let asn = geolite2_asn(dir.path());
    let lite = ipinfo_lite(dir.path());
    let (geoip, problems) = GeoIp::load(&[asn.clone(), lite.clone()]);
    assert!(problems.is_empty(), "{problems:?}");
    let cloudflare = place(None, Some(13335), Some("CLOUDFLARENET"));
    assert_eq!(geoip.lookup(ip("1.1.1.1")), cloudflare);
    assert_eq!(geoip.lookup(ip("::ffff:1.1.1.1")), cloudflare);
    assert_eq!(geoip.lookup(ip("2606:4700:4700::1111")), cloudflare);
    let google = place(Some("US"), Some(15169), Some("Google LLC"));
    assert_eq!(geoip.lookup(ip("8.8.4.4")), place(None, None, None));
    assert_eq!(geoip.lookup(ip("8.8.8.8")), google);
    assert_eq!(geoip.lookup(ip("2001:4860:4860::8844")), google);
    assert_eq!(geoip.lookup(ip("192.0.2.1")), Place::default());
    let sources: Vec<String> = geoip.sources().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        sources,
        [
            format!(
                "AS: MaxMind DB GeoLite2-ASN (MaxMind GeoLite2, GeoLite2 EULA) {}",
                asn.display()
            ),
            format!(
                "country, AS: MaxMind DB ipinfo_lite.mmdb (IPinfo, CC BY-SA 4.0) {}",
                lite.display()
            ),
        ]
    );
}

#[test]
fn events_json_carries_country_as_and_organisation() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\nmaxretry = 2\n",
            log.display()
        ),
    );
    // Countries from a tor-geoipdb file (8.8.8.0/24 as DE: the test's own, so the first file
    // visibly wins over the IPinfo-Lite-shaped one), AS from the MaxMind DB.
    let tor = write(dir.path(), "geoip", b"# test\n134744064,134744319,DE\n");
    let lite = ipinfo_lite(dir.path());
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
    let lines: String = ["8.8.8.8", "192.0.2.7", "8.8.8.8"]
        .iter()
        .map(|from| format!("[{now}] Sensitive file requested from {from}: file.cfg\n"))
        .collect();
    append(&log, &lines);
    let (tor, lite) = (tor.to_string_lossy(), lite.to_string_lossy());
    let stream = Stream::start(&conf, &["--from-start", "--geoip", &tor, "--geoip", &lite]);
    let events = stream.collect(Duration::from_secs(20), |events| {
        events.iter().any(|e| e["type"] == "ban")
    });
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["type"] == kind).collect()
    };
    let failures = of("failure");
    assert_eq!(failures.len(), 3, "{events:?}");
    for failure in [failures[0], failures[2]] {
        assert_eq!(failure["ip"], "8.8.8.8");
        assert_eq!(failure["country"], "DE", "{failure}");
        assert_eq!(failure["asn"], 15169, "{failure}");
        assert_eq!(failure["org"], "Google LLC", "{failure}");
    }
    let documentation = failures[1];
    assert_eq!(documentation["ip"], "192.0.2.7");
    assert!(documentation["country"].is_null(), "{documentation}");
    assert!(documentation.get("country").is_some(), "{documentation}");
    assert!(documentation.get("asn").is_none() && documentation.get("org").is_none());
    let bans = of("ban");
    assert_eq!(bans.len(), 1, "{events:?}");
    assert_eq!(bans[0]["country"], "DE", "{}", bans[0]);
    assert_eq!(bans[0]["asn"], 15169, "{}", bans[0]);
}
