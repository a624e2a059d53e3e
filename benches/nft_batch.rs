//! Issue 6's measurement: 10,000 addresses added to bantop's set in one netlink batch, side by
//! side with one `nft add element` process per address (what fail2ban's nftables action does
//! per ban), and reading them back. Runs in a network namespace of its own (it re-runs itself
//! under `unshare -rn`), so the machine's firewall is never touched. `cargo bench --bench
//! nft_batch` runs the full size; under `cargo test` 200 addresses check that it works.

use bantop::firewall::OwnSet;
use bantop::firewall::kernel;
use bantop::firewall::nftables::{Element, Nftables};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Instant;

const INSIDE: &str = "BANTOP_BENCH_IN_NAMESPACE";

fn main() {
    if std::env::var_os(INSIDE).is_none() {
        let me = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let status = Command::new("unshare")
            .arg("-rn")
            .arg(me)
            .args(std::env::args().skip(1))
            .env(INSIDE, "1")
            .status()
            .unwrap_or_else(|e| panic!("unshare: {e}"));
        assert!(status.success(), "the bench in its namespace failed");
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let count: u32 = if full { 10_000 } else { 200 };
    let addresses: Vec<Ipv4Addr> = (0..count)
        .map(|i| Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 20, 0, 0)) + i * 3))
        .collect();

    Nftables.ensure_table().unwrap_or_else(|e| panic!("{e}"));
    let elements: Vec<Element> = addresses
        .iter()
        .map(|a| Element {
            net: IpNet::from(IpAddr::from(*a)),
            timeout: Some(3600),
        })
        .collect();
    let started = Instant::now();
    Nftables
        .ban(&elements, 0.0)
        .unwrap_or_else(|e| panic!("{e}"));
    let batch = started.elapsed();

    let started = Instant::now();
    let read = kernel::read().unwrap_or_else(|e| panic!("{e}"));
    let reading = started.elapsed();
    let own: usize = read
        .sets
        .iter()
        .filter(|s| s.table == "bantop")
        .map(|s| s.elements.len())
        .sum();
    assert_eq!(own, count as usize, "every address is in the set");

    nft(&["flush", "set", "inet", "bantop", "ban4"]);
    let started = Instant::now();
    for address in &addresses {
        nft(&[
            "add",
            "element",
            "inet",
            "bantop",
            "ban4",
            &format!("{{ {address} timeout 1h }}"),
        ]);
    }
    let processes = started.elapsed();
    let listed = nft_output(&["-j", "list", "set", "inet", "bantop", "ban4"]);
    assert_eq!(listed.matches("\"val\"").count(), count as usize);

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!("nft_batch: {count} addresses with a 1h timeout into inet bantop ban4");
    println!("  one netlink batch (bantop):       {:9.1} ms", ms(batch));
    println!(
        "  one nft process per address:      {:9.1} ms",
        ms(processes)
    );
    println!(
        "  ratio:                            {:9.0}x",
        ms(processes) / ms(batch)
    );
    println!("  reading every set back (bantop):  {:9.1} ms", ms(reading));
}

fn nft(args: &[&str]) {
    let status = Command::new("nft")
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("nft: {e}"));
    assert!(status.success(), "nft {args:?}");
}

fn nft_output(args: &[&str]) -> String {
    let output = Command::new("nft")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("nft: {e}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}
