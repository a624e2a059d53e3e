//! Cost per line of the fail2ban-compatible matcher on the demo's real filters: a miss (the
//! common case under noise), a hit, an sshd journal line through prefregex and the
//! back-tracking engine, and the whole demo recording through the demo engine.

use bantop::engine::DemoEngine;
use bantop::fail2ban::Filter;
use bantop::fail2ban::config::Section;
use bantop::fail2ban::date::Zone;
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

criterion_group!(benches, per_line, whole_demo);
criterion_main!(benches);
