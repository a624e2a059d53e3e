//! Loading Debian's tor-geoipdb files (`/usr/share/tor/geoip` and `geoip6`, about 660,000
//! lines) and one lookup in them, IPv4 and IPv6. Prints why it measures nothing when the files
//! are absent (`apt-get install tor-geoipdb`).

use bantop::geoip::{DEFAULT_FILES, GeoIp};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::IpAddr;
use std::path::PathBuf;

fn tor_geoipdb(c: &mut Criterion) {
    let files: Vec<PathBuf> = DEFAULT_FILES.iter().map(PathBuf::from).collect();
    if let Some(absent) = files.iter().find(|f| !f.exists()) {
        println!("geoip: {} is absent: nothing measured", absent.display());
        return;
    }
    let mut group = c.benchmark_group("geoip");
    group.sample_size(10);
    group.bench_function("load tor-geoipdb (geoip + geoip6)", |b| {
        b.iter(|| black_box(GeoIp::load(black_box(&files))))
    });
    group.finish();
    let (geoip, problems) = GeoIp::load(&files);
    assert!(problems.is_empty(), "{problems:?}");
    for address in ["8.8.8.8", "2001:4860:4860::8888"] {
        let address: IpAddr = address.parse().unwrap_or_else(|e| panic!("{e}"));
        c.bench_function(&format!("geoip lookup {address}"), |b| {
            b.iter(|| black_box(geoip.lookup(black_box(address))))
        });
    }
}

criterion_group!(benches, tor_geoipdb);
criterion_main!(benches);
