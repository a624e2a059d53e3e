//! Which sources can open a new connection to a listening socket, read from the kernel's
//! ruleset: every filter base chain on the prerouting and input hooks of the socket's family
//! (iptables-nft's included) is run for the probe, rule by rule, through the chains it jumps and goes to, down
//! to its policy. A packet must be accepted by every base chain, so the sources that reach the
//! socket are those every chain accepts. The verdict is `open`, `restricted` (with the
//! sources), `closed` or `unknown` (with the construct that stopped the reading), and names the
//! rule or policy that decides it.

use super::kernel::family_name;
use super::netlink::RawRule;
use super::rule_match::{Action, Probe, read_rule};
use super::ruleset::{Interface, Ruleset};
use crate::model::address_ranges::{AddressRanges, Family};
use crate::model::port::{Proto, Reach, RuleRef};
use std::net::IpAddr;

/// `NF_INET_PRE_ROUTING`: a filter chain there sees the packet before input does.
const PREROUTING_HOOK: u32 = 0;
/// `NF_INET_LOCAL_IN`.
const INPUT_HOOK: u32 = 1;
/// The kernel's limit on nested jumps.
const MAX_DEPTH: usize = 16;
/// At most this many networks are listed as allowed sources.
const MAX_LISTED: usize = 32;

/// How a port is reached, as `ports` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reachability {
    /// The verdict.
    pub reach: Reach,
    /// With `restricted`: the sources allowed.
    pub allowed_from: Vec<String>,
    /// The deciding rule or policy.
    pub rule: Option<RuleRef>,
    /// Why `unknown`, or a note on the verdict.
    pub reason: Option<String>,
}

impl Reachability {
    /// `unknown`, for `reason`.
    pub fn unknown(reason: String, rule: Option<RuleRef>) -> Self {
        Reachability {
            reach: Reach::Unknown,
            allowed_from: Vec::new(),
            rule,
            reason: Some(reason),
        }
    }
}

/// How a socket bound to `address` on `port`/`proto` is reached from outside.
pub fn reachability(ruleset: &Ruleset, proto: Proto, address: IpAddr, port: u16) -> Reachability {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    if address.is_loopback() {
        return Reachability {
            reach: Reach::Closed,
            allowed_from: Vec::new(),
            rule: None,
            reason: Some("listens on loopback only".to_string()),
        };
    }
    if !ruleset.legacy_tables.is_empty() {
        return Reachability::unknown(
            format!(
                "iptables-legacy tables are loaded ({}), and nftables cannot show their rules (iptables-legacy -S)",
                ruleset.legacy_tables.join(", ")
            ),
            None,
        );
    }
    let families = match address {
        IpAddr::V6(v6) if v6.is_unspecified() => vec![Family::V4, Family::V6],
        other => vec![Family::of(other)],
    };
    let interfaces = if ruleset.interfaces.is_empty() {
        vec![Interface {
            name: String::new(),
            index: 0,
        }]
    } else {
        ruleset.interfaces.clone()
    };
    let mut readings = Vec::new();
    for family in &families {
        for interface in &interfaces {
            let probe = Probe {
                family: *family,
                proto,
                port,
                interface: interface.clone(),
            };
            match run_probe(ruleset, &probe) {
                Ok(reading) => readings.push((interface.name.clone(), reading)),
                Err(stop) => {
                    let (what, rule) = *stop;
                    return Reachability::unknown(format!("stopped at {what}"), Some(rule));
                }
            }
        }
    }
    verdict(readings, interfaces.len() > 1)
}

/// One probe's result: the sources every base chain accepts, and the rule that decides.
#[derive(Debug, Clone)]
struct ProbeReading {
    accepted: AddressRanges,
    decider: Option<RuleRef>,
}

/// Combines the probes' readings (per family and interface): the most open wins, since the
/// world can reach the socket through it.
fn verdict(readings: Vec<(String, ProbeReading)>, several_interfaces: bool) -> Reachability {
    let open = |r: &ProbeReading| r.accepted.share() >= 0.5;
    if let Some((_, reading)) = readings.iter().find(|(_, r)| open(r)) {
        let elsewhere: Vec<String> = readings
            .iter()
            .filter(|(_, r)| !open(r))
            .map(|(name, _)| name.clone())
            .filter(|name| !name.is_empty())
            .collect();
        let except = !reading.accepted.is_full();
        let mut notes = Vec::new();
        if except {
            notes.push(format!(
                "all but {} dropped",
                describe(&reading.accepted.complement())
            ));
        }
        if several_interfaces && !elsewhere.is_empty() {
            notes.push(format!("not open on {}", elsewhere.join(", ")));
        }
        return Reachability {
            reach: Reach::Open,
            allowed_from: Vec::new(),
            rule: reading.decider.clone(),
            reason: (!notes.is_empty()).then(|| notes.join("; ")),
        };
    }
    let reaching: Vec<&(String, ProbeReading)> = readings
        .iter()
        .filter(|(_, r)| !r.accepted.is_empty())
        .collect();
    if reaching.is_empty() {
        return Reachability {
            reach: Reach::Closed,
            allowed_from: Vec::new(),
            rule: readings.iter().find_map(|(_, r)| r.decider.clone()),
            reason: None,
        };
    }
    // Whether each family's interfaces all let the same sources through.
    let same_everywhere = readings.iter().all(|(_, r)| {
        readings
            .iter()
            .filter(|(_, other)| other.accepted.family() == r.accepted.family())
            .all(|(_, other)| other.accepted == r.accepted)
    });
    let mut allowed = Vec::new();
    for (interface, reading) in &reaching {
        for net in reading.accepted.networks() {
            let text = if several_interfaces && !same_everywhere {
                format!("{net} on {interface}")
            } else {
                net.to_string()
            };
            if !allowed.contains(&text) {
                allowed.push(text);
            }
        }
    }
    let total = allowed.len();
    allowed.truncate(MAX_LISTED);
    Reachability {
        reach: Reach::Restricted,
        allowed_from: allowed,
        rule: reaching[0].1.decider.clone(),
        reason: (total > MAX_LISTED)
            .then(|| format!("{total} networks allowed, {MAX_LISTED} listed")),
    }
}

/// A few words for a set of sources.
fn describe(sources: &AddressRanges) -> String {
    let nets = sources.networks();
    match nets.as_slice() {
        [one] => one.to_string(),
        many => format!("{} networks", many.len()),
    }
}

/// What one chain did with the sources that entered it.
#[derive(Debug, Clone)]
struct ChainOutcome {
    accepted: AddressRanges,
    /// Sources that went back to the calling chain (or on to the policy of a base chain).
    returned: AddressRanges,
}

/// A rule that decided some sources, in the order met.
#[derive(Debug, Clone)]
struct Decision {
    rule: RuleRef,
    accepted: bool,
    share: f64,
}

/// Why the reading stopped: the construct, and the rule holding it.
type Stop = Box<(String, RuleRef)>;

fn run_probe(ruleset: &Ruleset, probe: &Probe) -> Result<ProbeReading, Stop> {
    let mut accepted = AddressRanges::full(probe.family);
    let mut chains: Vec<_> = ruleset
        .chains
        .iter()
        .filter(|c| matches!(c.hook, Some(PREROUTING_HOOK | INPUT_HOOK)) && c.kind == "filter")
        .filter(|c| match c.family {
            1 => true,
            2 => probe.family == Family::V4,
            10 => probe.family == Family::V6,
            _ => false,
        })
        .collect();
    chains.sort_by_key(|c| c.priority);
    // The chain that lets the fewest sources through decides; among equals, one whose own rule
    // decides (an empty chain's policy says little).
    let mut narrowest: Option<(f64, Option<RuleRef>)> = None;
    for chain in chains {
        let mut decisions = Vec::new();
        let entering = AddressRanges::full(probe.family);
        let outcome = run_chain(
            ruleset,
            probe,
            (chain.family, &chain.table, &chain.name),
            entering,
            0,
            &mut decisions,
        )?;
        let mut chain_accepted = outcome.accepted;
        if !outcome.returned.is_empty() {
            let accept = chain.policy != Some(0);
            decisions.push(Decision {
                rule: RuleRef {
                    family: family_name(chain.family).to_string(),
                    table: chain.table.clone(),
                    chain: chain.name.clone(),
                    handle: None,
                    verdict: if accept {
                        "policy accept"
                    } else {
                        "policy drop"
                    }
                    .to_string(),
                },
                accepted: accept,
                share: outcome.returned.share(),
            });
            if accept {
                chain_accepted = chain_accepted.union(&outcome.returned);
            }
        }
        let share = chain_accepted.share();
        let decider = deciding(&decisions, share);
        let better = match &narrowest {
            None => true,
            Some((least, current)) => {
                share < *least || (share == *least && current.is_none() && decider.is_some())
            }
        };
        if better {
            narrowest = Some((share, decider));
        }
        accepted = accepted.intersection(&chain_accepted);
    }
    let decider = narrowest.and_then(|(_, decider)| decider);
    Ok(ProbeReading { accepted, decider })
}

/// The rule that decides a chain's verdict: for a chain that lets nothing through, the first
/// that drops; otherwise the accepting rule that lets the most through, or, when only the
/// policy accepts, the dropping rule that keeps out the most (what restricts the port); none
/// when the chain lets everything through by its policy.
fn deciding(decisions: &[Decision], accepted_share: f64) -> Option<RuleRef> {
    let widest = |accepted: bool, rule: bool| {
        decisions
            .iter()
            .filter(|d| d.accepted == accepted && d.rule.handle.is_some() == rule)
            .max_by(|a, b| a.share.total_cmp(&b.share))
            .map(|d| d.rule.clone())
    };
    if accepted_share == 0.0 {
        return decisions
            .iter()
            .find(|d| !d.accepted)
            .map(|d| d.rule.clone());
    }
    widest(true, true).or_else(|| {
        if accepted_share < 1.0 {
            widest(false, true).or_else(|| widest(true, false))
        } else {
            None
        }
    })
}

fn run_chain(
    ruleset: &Ruleset,
    probe: &Probe,
    (family, table, name): (u32, &str, &str),
    entering: AddressRanges,
    depth: usize,
    decisions: &mut Vec<Decision>,
) -> Result<ChainOutcome, Stop> {
    let here = |rule: &RawRule, verdict: &str| RuleRef {
        family: family_name(rule.family).to_string(),
        table: rule.table.clone(),
        chain: rule.chain.clone(),
        handle: Some(rule.handle),
        verdict: verdict.to_string(),
    };
    let mut remaining = entering;
    let mut accepted = AddressRanges::empty(probe.family);
    let mut returned = AddressRanges::empty(probe.family);
    let rules = ruleset
        .rules
        .iter()
        .filter(|r| r.family == family && r.table == table && r.chain == name);
    for rule in rules {
        if remaining.is_empty() {
            break;
        }
        let reading = read_rule(rule, probe, ruleset)
            .map_err(|what| Box::new((what, here(rule, "not read"))))?;
        let matched = remaining.intersection(&reading.sources);
        if matched.is_empty() {
            continue;
        }
        match reading.action {
            Action::Continue => {}
            Action::Accept | Action::Drop => {
                let accept = reading.action == Action::Accept;
                decisions.push(Decision {
                    rule: here(rule, if accept { "accept" } else { "drop" }),
                    accepted: accept,
                    share: matched.share(),
                });
                if accept {
                    accepted = accepted.union(&matched);
                }
                remaining = remaining.difference(&matched);
            }
            Action::Return => {
                returned = returned.union(&matched);
                remaining = remaining.difference(&matched);
            }
            Action::Jump(ref target) | Action::Goto(ref target) => {
                if depth >= MAX_DEPTH {
                    return Err(Box::new((
                        "jumps nested too deep".to_string(),
                        here(rule, "jump"),
                    )));
                }
                let goto = matches!(reading.action, Action::Goto(_));
                let target = target.clone();
                let inner = run_chain(
                    ruleset,
                    probe,
                    (family, table, &target),
                    matched.clone(),
                    depth + 1,
                    decisions,
                )?;
                accepted = accepted.union(&inner.accepted);
                remaining = remaining.difference(&matched);
                if goto {
                    returned = returned.union(&inner.returned);
                } else {
                    remaining = remaining.union(&inner.returned);
                }
            }
        }
    }
    Ok(ChainOutcome {
        accepted,
        returned: returned.union(&remaining),
    })
}
