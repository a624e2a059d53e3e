//! Model-based test of bantop's own nftables set: random sequences of ban, unban (an address,
//! a network, an address inside a banned network), flush and restore, IPv4 and IPv6, with
//! adjacent and overlapping targets, each sequence in a fresh network namespace. After every
//! step the kernel's set as `nft -j` lists it equals a plain model, and what the step reported
//! equals what changed.
//!
//! The test runs itself again inside `unshare -rn` (a user namespace: root there, nobody
//! outside), then gives every sequence a network namespace of its own with `unshare(2)`.
#![allow(unsafe_code)]

use bantop::engine::manual_bans::ManualBans;
use ipnet::IpNet;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeSet;
use std::process::Command;

const INSIDE: &str = "BANTOP_OWN_SET_MODEL_INSIDE";

#[derive(Debug, Clone)]
enum Step {
    Ban(IpNet),
    Unban(IpNet),
    Flush,
    Restore,
}

/// Targets from a small space, so that they touch, neighbour and hold one another.
fn target() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (0u8..16, 28u8..=32).prop_map(|(last, len)| {
            IpNet::new([198, 51, 103, last].into(), len)
                .unwrap_or_default()
                .trunc()
        }),
        (0u16..16, 124u8..=128).prop_map(|(last, len)| {
            let address = std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last);
            IpNet::new(address.into(), len).unwrap_or_default().trunc()
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => target().prop_map(Step::Ban),
        3 => target().prop_map(Step::Unban),
        1 => Just(Step::Flush),
        1 => Just(Step::Restore),
    ]
}

/// What the kernel's set and the saved copy should hold.
#[derive(Debug, Default)]
struct Model {
    kernel: BTreeSet<IpNet>,
    saved: BTreeSet<IpNet>,
}

/// The networks covering `outer` but not `inner`, one per bit between their prefixes.
fn around(outer: IpNet, inner: IpNet) -> Vec<IpNet> {
    let mut pieces = Vec::new();
    let mut current = outer;
    while current.prefix_len() < inner.prefix_len() {
        for half in current
            .subnets(current.prefix_len() + 1)
            .into_iter()
            .flatten()
        {
            if half.contains(&inner) {
                current = half;
            } else {
                pieces.push(half);
            }
        }
    }
    pieces
}

/// Takes `target` out of `nets` as an unban does: what is inside goes, what holds it is split.
fn lift(nets: &BTreeSet<IpNet>, target: IpNet) -> BTreeSet<IpNet> {
    let mut out = BTreeSet::new();
    for net in nets {
        if target.contains(net) {
            continue;
        }
        if net.contains(&target) {
            out.extend(around(*net, target));
        } else {
            out.insert(*net);
        }
    }
    out
}

/// bantop's two sets as `nft -j` lists them, in this thread's network namespace.
fn kernel_set() -> BTreeSet<IpNet> {
    let output = Command::new("nft")
        .args(["-j", "list", "ruleset"])
        .output()
        .unwrap_or_else(|e| panic!("nft: {e}"));
    let ruleset: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let mut nets = BTreeSet::new();
    for item in ruleset["nftables"].as_array().into_iter().flatten() {
        let Some(set) = item.get("set") else { continue };
        if set["table"] != "bantop" {
            continue;
        }
        for element in set["elem"].as_array().into_iter().flatten() {
            let value = element.get("elem").map_or(element, |timed| &timed["val"]);
            let text = match value.get("prefix") {
                Some(prefix) => format!(
                    "{}/{}",
                    prefix["addr"].as_str().unwrap_or(""),
                    prefix["len"]
                ),
                None => value.as_str().unwrap_or("").to_string(),
            };
            match text.parse::<IpNet>() {
                Ok(net) => nets.insert(net),
                Err(_) => match text.parse::<std::net::IpAddr>() {
                    Ok(ip) => nets.insert(IpNet::from(ip)),
                    Err(_) => panic!("nft listed an element bantop never writes: {element}"),
                },
            };
        }
    }
    nets
}

fn run_sequence(steps: &[Step]) -> Result<(), TestCaseError> {
    // SAFETY: unshare(2) with CLONE_NEWNET only moves this thread into a new network
    // namespace; it takes no pointers.
    let made = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    prop_assert_eq!(made, 0, "unshare(CLONE_NEWNET)");
    let state = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let bans = ManualBans::new(state.path());
    let mut model = Model::default();
    for (index, step) in steps.iter().enumerate() {
        let at = format!("step {index}: {step:?}");
        match step {
            Step::Ban(net) => {
                let refused = model.kernel.iter().any(|p| p != net && p.contains(net));
                let result = bans.ban(*net, None, "model", 1e9);
                if refused {
                    prop_assert!(result.is_err(), "{} was taken inside a wider ban", at);
                } else {
                    let outcome = result.map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                    let replaced: BTreeSet<IpNet> = model
                        .kernel
                        .iter()
                        .filter(|p| net.contains(*p))
                        .copied()
                        .collect();
                    let reported: BTreeSet<IpNet> = outcome.replaced.into_iter().collect();
                    prop_assert_eq!(&reported, &replaced, "{}", at);
                    model.kernel.retain(|p| !net.contains(p));
                    model.kernel.insert(*net);
                    model.saved.retain(|p| !net.contains(p));
                    model.saved.insert(*net);
                }
            }
            Step::Unban(target) => {
                let after = lift(&model.kernel, *target);
                let done = bans
                    .unban(*target)
                    .map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                let lifted: BTreeSet<IpNet> = model.kernel.difference(&after).copied().collect();
                let kept: BTreeSet<IpNet> = after.difference(&model.kernel).copied().collect();
                let reported_lifted: BTreeSet<IpNet> = done.kernel.lifted.into_iter().collect();
                let reported_kept: BTreeSet<IpNet> = done.kernel.kept.into_iter().collect();
                prop_assert_eq!(&reported_lifted, &lifted, "{} lifted", at);
                prop_assert_eq!(&reported_kept, &kept, "{} kept", at);
                model.kernel = after;
                model.saved = lift(&model.saved, *target);
            }
            Step::Flush => {
                let flushed = Command::new("nft").args(["flush", "ruleset"]).status();
                prop_assert!(flushed.is_ok_and(|s| s.success()), "{}", at);
                model.kernel.clear();
            }
            Step::Restore => {
                bans.restore(1e9)
                    .map_err(|e| TestCaseError::fail(format!("{at}: {e}")))?;
                // The saved bans back in force, a narrower one inside a wider one not twice.
                let covered: Vec<IpNet> = model.kernel.iter().copied().collect();
                for net in model.saved.clone() {
                    let inside = covered.iter().any(|c| c.contains(&net))
                        || model
                            .saved
                            .iter()
                            .any(|w| w.prefix_len() < net.prefix_len() && w.contains(&net));
                    if !inside {
                        model.kernel.retain(|p| !net.contains(p));
                        model.kernel.insert(net);
                    }
                }
            }
        }
        prop_assert_eq!(&kernel_set(), &model.kernel, "kernel after {}", at);
        let saved: BTreeSet<IpNet> = bans
            .load()
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .into_iter()
            .map(|ban| ban.net)
            .collect();
        prop_assert_eq!(&saved, &model.saved, "saved copy after {}", at);
    }
    Ok(())
}

#[test]
fn bantop_s_set_in_the_kernel_follows_a_plain_model() {
    if std::env::var_os(INSIDE).is_none() {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        // Its output is kept: a second `test result` line would count this test twice.
        let output = Command::new("unshare")
            .arg("-rn")
            .arg(exe)
            .args([
                "--exact",
                "bantop_s_set_in_the_kernel_follows_a_plain_model",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(INSIDE, "1")
            .output()
            .unwrap_or_else(|e| panic!("unshare -rn: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the model test failed inside the namespace:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(summary) = stdout.lines().find(|l| l.contains("sequences:")) {
            println!("{summary}");
        }
        return;
    }
    // Sequences the random search found once, kept so that they run every time: two saved
    // bans one inside the other after flushes, an unban inside both, then a restore (the split
    // left the same piece twice in the saved copy and the restore's batch overlapped).
    let net = |text: &str| text.parse::<IpNet>().unwrap_or_default();
    let found = [vec![
        Step::Ban(net("198.51.103.0/28")),
        Step::Flush,
        Step::Ban(net("198.51.103.0/29")),
        Step::Flush,
        Step::Unban(net("198.51.103.0/30")),
        Step::Restore,
    ]];
    for steps in found {
        if let Err(error) = run_sequence(&steps) {
            panic!("{steps:?}: {error}");
        }
    }
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&prop::collection::vec(step(), 1..12), |steps| {
        run_sequence(&steps)
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    println!("{cases} sequences: the kernel's set followed the model");
}
