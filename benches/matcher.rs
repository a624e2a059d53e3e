//! Cost per line of the fail2ban-compatible matcher on the demo's real filters: a miss (the
//! common case under noise), a hit, an sshd journal line through prefregex and the
//! back-tracking engine, the groups of asterisk's SecurityEvent failregex by bantop's back-tracker
//! and by the regex crate, and the whole demo recording through the demo engine.

use bantop::engine::DemoEngine;
use bantop::fail2ban::Filter;
use bantop::fail2ban::config::Section;
use bantop::fail2ban::date::Zone;
use bantop::fail2ban::host_tags;
use bantop::fail2ban::pattern::{self, Pattern};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

fn filter(spec: &str, vars: &[(&str, &str)]) -> Filter {
    let vars: Section = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Filter::load(spec, &demo().join("fail2ban/filter.d"), &vars, Zone::utc())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn per_line(c: &mut Criterion) {
    let mut asterisk = filter("asterisk-wazo", &[]);
    let miss = "[2026-01-19 17:00:38.7617] NOTICE[2345] res_pjsip_registrar.c: Registration for endpoint '1003' accepted from 10.0.0.23:5060 (contact updated)";
    let hit = "[2026-01-19 17:01:03.0000] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"1001\" <sip:1001@203.0.113.5>' failed for '203.0.113.5:5070' (callid: 5a1f3c2e9b7d@sipvicious) - Failed to authenticate";
    c.bench_function("asterisk-wazo miss", |b| {
        b.iter(|| asterisk.match_line(black_box(miss), None, 0.0))
    });
    c.bench_function("asterisk-wazo hit", |b| {
        b.iter(|| asterisk.match_line(black_box(hit), None, 0.0))
    });
    let mut sshd = filter("sshd[mode=normal]", &[("logtype", "journal")]);
    let ssh_hit =
        "pbx sshd[3621]: Failed password for invalid user admin from 198.51.100.7 port 54053 ssh2";
    let ssh_miss =
        "pbx sshd[812]: pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)";
    c.bench_function("sshd journal hit", |b| {
        b.iter(|| sshd.match_line(black_box(ssh_hit), Some(1.0), 1.0))
    });
    c.bench_function("sshd journal miss", |b| {
        b.iter(|| sshd.match_line(black_box(ssh_miss), Some(1.0), 1.0))
    });
}

fn whole_demo(c: &mut Criterion) {
    c.bench_function("demo replay, 24 minutes of logs", |b| {
        b.iter_batched(
            || DemoEngine::load(&demo(), 60.0).unwrap_or_else(|e| panic!("{e}")),
            |mut engine| {
                let start = engine.now();
                engine.advance_to(start + 24.0 * 60.0).len()
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

/// The groups of Debian's asterisk SecurityEvent failregex on a matching line: bantop's
/// back-tracker against the regex crate's own capture engines (the same pattern, ASCII twin).
fn captures(c: &mut Criterion) {
    let failregex = r#"^SecurityEvent="(?:FailedACL|InvalidAccountID|ChallengeResponseFailed|InvalidPassword)"(?:(?:,(?!RemoteAddress=)\w+="[^"]*")*|.*?),RemoteAddress="IPV[46]/[^/"]+/<HOST>/\d+"(?:,(?!RemoteAddress=)\w+="[^"]*")*$"#;
    let line = r#"SecurityEvent="InvalidPassword",EventTV="2026-01-19T10:00:00.000+0000",Severity="Error",Service="SIP",EventVersion="2",AccountID="175",SessionID="0x7fd82b70",LocalAddress="IPV4/UDP/192.0.2.2/5060",RemoteAddress="IPV4/UDP/192.168.205.164/5060",Challenge="9e63d133""#;
    let source = host_tags::python_to_rust(&host_tags::expand(failregex));
    let pattern = Pattern::compile(&source).unwrap_or_else(|e| panic!("{e}"));
    let linear = pattern::without_word_lookahead(&source)
        .and_then(|(s, _)| pattern::ascii_variant(&s))
        .and_then(|s| regex::Regex::new(&s).ok())
        .unwrap_or_else(|| panic!("no linear form"));
    assert_eq!(
        pattern
            .find(line)
            .and_then(|m| m.groups.get("ip4").cloned()),
        linear.captures(line).map(|c| c["ip4"].to_string())
    );
    c.bench_function("SecurityEvent groups, back-tracker", |b| {
        b.iter(|| pattern.find(black_box(line)))
    });
    c.bench_function("SecurityEvent groups, regex crate", |b| {
        b.iter(|| linear.captures(black_box(line)).map(|c| c.len()))
    });
}

criterion_group!(benches, per_line, captures, whole_demo);
criterion_main!(benches);
