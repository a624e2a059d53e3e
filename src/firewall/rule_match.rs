//! One rule run the way the kernel runs it, for one kind of packet: a new connection of one
//! family and protocol to one port, arriving on one interface, from a source left open. Every
//! expression loads or compares registers; a comparison on a known value passes or fails, one
//! on the source address narrows the sources the rule matches, and one on anything else (the
//! destination address, a rate limit, an iptables match bantop does not read) makes the rule
//! unknown, named after that construct.

use super::kernel::decode_elements;
use super::netlink::{RawElement, RawExpr, RawRule};
use super::ruleset::{Interface, Ruleset};
use crate::model::address_ranges::{AddressRanges, Family};
use crate::model::port::Proto;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The packet a rule is run for.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Its family.
    pub family: Family,
    /// Its protocol.
    pub proto: Proto,
    /// Its destination port.
    pub port: u16,
    /// The interface it arrives on (never loopback).
    pub interface: Interface,
}

/// What a rule does to the packets it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Accepted by this base chain.
    Accept,
    /// Dropped or rejected.
    Drop,
    /// Nothing: the next rule.
    Continue,
    /// Back to the calling chain.
    Return,
    /// Into a chain, and back.
    Jump(String),
    /// Into a chain, with no way back.
    Goto(String),
}

/// A rule read for one probe.
#[derive(Debug, Clone)]
pub struct RuleReading {
    /// The sources it matches.
    pub sources: AddressRanges,
    /// What it does to them.
    pub action: Action,
}

/// What a register holds.
#[derive(Debug, Clone)]
enum Value {
    /// Bytes known for the probe.
    Known(Vec<u8>),
    /// The first `len` bytes of the source address, masked.
    Source { len: usize, mask: Option<Vec<u8>> },
    /// Something bantop does not model, named.
    Opaque(String),
}

/// `NFT_PAYLOAD_NETWORK_HEADER`, `NFT_PAYLOAD_TRANSPORT_HEADER`.
const NETWORK: u32 = 1;
const TRANSPORT: u32 = 2;
/// `NFT_CMP_*`.
const EQ: u32 = 0;
const NEQ: u32 = 1;
const LT: u32 = 2;
const LTE: u32 = 3;
const GT: u32 = 4;
const GTE: u32 = 5;
/// A new connection's conntrack state bit (`NF_CT_STATE_BIT(IP_CT_NEW)`).
const CT_NEW: u32 = 1 << 3;

/// Runs `rule` for `probe`: the sources it matches and what it does to them, or the
/// construct that stops the reading (only when the rule would decide something).
pub fn read_rule(rule: &RawRule, probe: &Probe, ruleset: &Ruleset) -> Result<RuleReading, String> {
    let mut registers: HashMap<u32, Value> = HashMap::new();
    let mut sources = AddressRanges::full(probe.family);
    let mut unknown: Option<String> = None;
    let mut action = Action::Continue;
    let no_match = || RuleReading {
        sources: AddressRanges::empty(probe.family),
        action: Action::Continue,
    };
    for expr in &rule.exprs {
        let test = match expr {
            RawExpr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                registers.insert(*dreg, payload(probe, *base, *offset, *len));
                continue;
            }
            RawExpr::Meta {
                key,
                dreg: Some(dreg),
            } => {
                registers.insert(*dreg, meta(probe, *key));
                continue;
            }
            RawExpr::Ct {
                key,
                dreg: Some(dreg),
            } => {
                registers.insert(*dreg, conntrack(*key));
                continue;
            }
            RawExpr::Meta { dreg: None, .. } | RawExpr::Ct { dreg: None, .. } => continue,
            RawExpr::Immediate { dreg, data } => {
                registers.insert(*dreg, Value::Known(data.clone()));
                continue;
            }
            RawExpr::Bitwise {
                sreg,
                dreg,
                mask,
                xor,
            } => {
                let value = bitwise(registers.get(sreg), mask, xor);
                registers.insert(*dreg, value);
                continue;
            }
            RawExpr::Cmp { sreg, op, data } => compare(registers.get(sreg), *op, data, probe),
            RawExpr::Range { sreg, op, from, to } => {
                within(registers.get(sreg), *op == NEQ, from, to, probe)
            }
            // The verdict comes from the map's element for the value looked up.
            RawExpr::Lookup {
                sreg,
                dreg: Some(0),
                set,
                ..
            } => {
                match map_verdict(registers.get(sreg), rule, set, ruleset) {
                    Ok(Some(taken)) => action = taken,
                    Ok(None) => return Ok(no_match()),
                    Err(what) => return decided_unknown(&what),
                }
                continue;
            }
            RawExpr::Lookup { dreg: Some(_), .. } => Test::Unknown("a map lookup".to_string()),
            RawExpr::Lookup {
                sreg,
                set,
                inverted,
                ..
            } => lookup(registers.get(sreg), rule, set, *inverted, probe, ruleset),
            RawExpr::Match { name, rev, info } => xt_match(name, *rev, info, probe),
            RawExpr::Verdict(verdict) => {
                action = match *verdict {
                    0 => Action::Drop,
                    1 => Action::Accept,
                    -1 => Action::Continue,
                    // NFT_BREAK: the rule stops here, matching nothing.
                    -2 => return Ok(no_match()),
                    -5 => Action::Return,
                    3 => return decided_unknown("a queue to user space (NF_QUEUE)"),
                    other => return decided_unknown(&format!("verdict {other}")),
                };
                continue;
            }
            RawExpr::Jump(chain) => {
                action = Action::Jump(chain.clone());
                continue;
            }
            RawExpr::Goto(chain) => {
                action = Action::Goto(chain.clone());
                continue;
            }
            RawExpr::Target(name) => {
                match xt_target(name) {
                    Some(taken) => action = taken,
                    None => return decided_unknown(&format!("the iptables target {name}")),
                }
                continue;
            }
            RawExpr::Other(name) => other_expression(name, &mut action),
        };
        match test {
            Test::Pass => {}
            Test::Fail => return Ok(no_match()),
            Test::Sources(matching) => sources = sources.intersection(&matching),
            Test::Unknown(what) => {
                unknown.get_or_insert(what);
            }
        }
        if sources.is_empty() {
            return Ok(no_match());
        }
    }
    match unknown {
        Some(what) if action != Action::Continue => Err(what),
        _ => Ok(RuleReading { sources, action }),
    }
}

fn decided_unknown(what: &str) -> Result<RuleReading, String> {
    Err(what.to_string())
}

/// A condition's outcome for the probe.
enum Test {
    Pass,
    Fail,
    /// Passes for these sources only.
    Sources(AddressRanges),
    Unknown(String),
}

impl Test {
    fn of(pass: bool) -> Test {
        if pass { Test::Pass } else { Test::Fail }
    }
}

/// Statements and conditions known by name only.
fn other_expression(name: &str, action: &mut Action) -> Test {
    match name {
        "counter" | "log" | "notrack" | "objref" | "dynset" | "last" | "dup" => Test::Pass,
        "reject" => {
            *action = Action::Drop;
            Test::Pass
        }
        "limit" => Test::Unknown("a rate limit (limit)".to_string()),
        "quota" => Test::Unknown("a quota".to_string()),
        "connlimit" => Test::Unknown("a connection limit (ct count)".to_string()),
        "fib" => Test::Unknown("a routing lookup (fib)".to_string()),
        "socket" => Test::Unknown("a socket match".to_string()),
        "exthdr" => Test::Unknown("a header option match (exthdr)".to_string()),
        "queue" => Test::Unknown("a queue to user space".to_string()),
        other => Test::Unknown(format!("the expression {other}")),
    }
}

fn payload(probe: &Probe, base: u32, offset: u32, len: u32) -> Value {
    let len_bytes = len as usize;
    match (base, probe.family, offset, len) {
        (NETWORK, Family::V4, 12, 1..=4) | (NETWORK, Family::V6, 8, 1..=16) => Value::Source {
            len: len_bytes,
            mask: None,
        },
        (NETWORK, Family::V4, 9, 1) | (NETWORK, Family::V6, 6, 1) => {
            Value::Known(vec![protocol_number(probe.proto)])
        }
        (NETWORK, Family::V4, 16..=19, _) | (NETWORK, Family::V6, 24..=39, _) => {
            Value::Opaque("a match on the destination address".to_string())
        }
        (TRANSPORT, _, 2, 2) => Value::Known(probe.port.to_be_bytes().to_vec()),
        (TRANSPORT, _, 0, 2) => Value::Opaque("a match on the source port".to_string()),
        (TRANSPORT, _, 0, 4) => Value::Opaque("a match on both ports".to_string()),
        (TRANSPORT, ..) => Value::Opaque(format!("the transport header at byte {offset}")),
        (NETWORK, ..) => Value::Opaque(format!("the network header at byte {offset}")),
        _ => Value::Opaque("a link-layer header match".to_string()),
    }
}

fn protocol_number(proto: Proto) -> u8 {
    match proto {
        Proto::Tcp => 6,
        Proto::Udp => 17,
    }
}

/// `NFT_META_*` keys.
fn meta(probe: &Probe, key: u32) -> Value {
    match key {
        // NFT_META_PROTOCOL: the ethertype, network order.
        1 => Value::Known(match probe.family {
            Family::V4 => 0x0800u16.to_be_bytes().to_vec(),
            Family::V6 => 0x86ddu16.to_be_bytes().to_vec(),
        }),
        // NFT_META_IIF
        4 => Value::Known(probe.interface.index.to_ne_bytes().to_vec()),
        // NFT_META_IIFNAME: IFNAMSIZ bytes, NUL padded.
        6 => {
            let mut name = probe.interface.name.as_bytes().to_vec();
            name.resize(16, 0);
            Value::Known(name)
        }
        // NFT_META_NFPROTO
        15 => Value::Known(vec![match probe.family {
            Family::V4 => 2,
            Family::V6 => 10,
        }]),
        // NFT_META_L4PROTO
        16 => Value::Known(vec![protocol_number(probe.proto)]),
        // NFT_META_PKTTYPE: PACKET_HOST.
        19 => Value::Known(vec![0]),
        2 => Value::Opaque("a match on the packet length".to_string()),
        3 => Value::Opaque("a match on the packet mark".to_string()),
        5 | 7 => Value::Opaque("a match on the output interface".to_string()),
        other => Value::Opaque(format!("meta key {other}")),
    }
}

/// `NFT_CT_*` keys, for a new connection in its original direction.
fn conntrack(key: u32) -> Value {
    match key {
        0 => Value::Known(CT_NEW.to_ne_bytes().to_vec()),
        // NFT_CT_DIRECTION: IP_CT_DIR_ORIGINAL.
        1 => Value::Known(vec![0]),
        3 => Value::Opaque("a match on the conntrack mark".to_string()),
        other => Value::Opaque(format!("conntrack key {other}")),
    }
}

fn bitwise(value: Option<&Value>, mask: &[u8], xor: &[u8]) -> Value {
    match value {
        Some(Value::Known(bytes)) => {
            let mut bytes = bytes.clone();
            bytes.resize(mask.len(), 0);
            Value::Known(
                bytes
                    .iter()
                    .zip(mask)
                    .zip(xor.iter().chain(std::iter::repeat(&0)))
                    .map(|((b, m), x)| (b & m) ^ x)
                    .collect(),
            )
        }
        Some(Value::Source { len, mask: before }) if xor.iter().all(|b| *b == 0) => {
            let mask: Vec<u8> = match before {
                Some(before) => before.iter().zip(mask).map(|(a, b)| a & b).collect(),
                None => mask.to_vec(),
            };
            Value::Source {
                len: *len,
                mask: Some(mask),
            }
        }
        Some(Value::Source { .. }) => Value::Opaque("a source address xored".to_string()),
        Some(Value::Opaque(what)) => Value::Opaque(what.clone()),
        None => Value::Opaque("an empty register".to_string()),
    }
}

/// Compares like the kernel's `nft_cmp`: `memcmp` over the compared value's length.
fn memcmp(register: &[u8], data: &[u8]) -> Ordering {
    let mut bytes = register.to_vec();
    bytes.resize(data.len(), 0);
    bytes.as_slice().cmp(data)
}

fn compare(value: Option<&Value>, op: u32, data: &[u8], probe: &Probe) -> Test {
    match value {
        Some(Value::Known(bytes)) => {
            let order = memcmp(bytes, data);
            Test::of(match op {
                EQ => order == Ordering::Equal,
                NEQ => order != Ordering::Equal,
                LT => order == Ordering::Less,
                LTE => order != Ordering::Greater,
                GT => order == Ordering::Greater,
                GTE => order != Ordering::Less,
                _ => return Test::Unknown(format!("comparison {op}")),
            })
        }
        Some(Value::Source { len, mask }) => {
            match source_comparison(probe.family, *len, mask.as_deref(), op, data) {
                Some(sources) => Test::Sources(sources),
                None => Test::Unknown("a source address match bantop does not model".to_string()),
            }
        }
        Some(Value::Opaque(what)) => Test::Unknown(what.clone()),
        None => Test::Unknown("an empty register".to_string()),
    }
}

/// The sources whose first `len` bytes, masked, compare with `data` as `op` says; `None` for a
/// mask that is not a prefix.
fn source_comparison(
    family: Family,
    len: usize,
    mask: Option<&[u8]>,
    op: u32,
    data: &[u8],
) -> Option<AddressRanges> {
    let shift = family.bits().checked_sub(8 * len as u32)?;
    let value = number(data, len);
    let span = |first: u128, last: u128| AddressRanges::range(family, first, last);
    let start = |v: u128| v.checked_shl(shift).unwrap_or(0);
    let end = |v: u128| {
        v.checked_add(1)
            .and_then(|next| next.checked_shl(shift))
            .and_then(|s| s.checked_sub(1))
            .unwrap_or(family.max())
            .min(family.max())
    };
    let full_mask = mask.is_none_or(|m| m.iter().take(len).all(|b| *b == 0xff));
    if full_mask {
        let top = family.max() >> shift;
        return Some(match op {
            EQ => span(start(value), end(value)),
            NEQ => span(start(value), end(value)).complement(),
            LT if value == 0 => AddressRanges::empty(family),
            LT => span(0, end(value - 1)),
            LTE => span(0, end(value)),
            GT if value >= top => AddressRanges::empty(family),
            GT => span(start(value + 1), family.max()),
            GTE => span(start(value), family.max()),
            _ => return None,
        });
    }
    let mask = number(mask?, len);
    let aligned = mask.checked_shl(128 - 8 * len as u32).unwrap_or(0);
    let ones = aligned.leading_ones();
    if aligned.count_ones() != ones || !matches!(op, EQ | NEQ) {
        return None;
    }
    let inside = if value & !mask != 0 {
        AddressRanges::empty(family)
    } else {
        let prefix_bits = shift + (8 * len as u32 - ones);
        let first = value.checked_shl(shift).unwrap_or(0);
        let last = first
            | (if prefix_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << prefix_bits) - 1
            });
        span(first, last)
    };
    Some(if op == EQ {
        inside
    } else {
        inside.complement()
    })
}

/// The first `len` bytes as a big-endian number (missing bytes are zero).
fn number(bytes: &[u8], len: usize) -> u128 {
    (0..len).fold(0u128, |n, i| {
        (n << 8) | u128::from(bytes.get(i).copied().unwrap_or(0))
    })
}

fn within(value: Option<&Value>, outside: bool, from: &[u8], to: &[u8], probe: &Probe) -> Test {
    let test = match value {
        Some(Value::Known(bytes)) => Test::of(
            memcmp(bytes, from) != Ordering::Less && memcmp(bytes, to) != Ordering::Greater,
        ),
        Some(Value::Source { len, mask: None }) => {
            let low = source_comparison(probe.family, *len, None, GTE, from);
            let high = source_comparison(probe.family, *len, None, LTE, to);
            match (low, high) {
                (Some(low), Some(high)) => Test::Sources(low.intersection(&high)),
                _ => Test::Unknown("a source address range bantop does not model".to_string()),
            }
        }
        Some(Value::Source { .. }) => Test::Unknown("a masked source address range".to_string()),
        Some(Value::Opaque(what)) => Test::Unknown(what.clone()),
        None => Test::Unknown("an empty register".to_string()),
    };
    if !outside {
        return test;
    }
    match test {
        Test::Pass => Test::Fail,
        Test::Fail => Test::Pass,
        Test::Sources(sources) => Test::Sources(sources.complement()),
        unknown => unknown,
    }
}

fn lookup(
    value: Option<&Value>,
    rule: &RawRule,
    name: &str,
    inverted: bool,
    probe: &Probe,
    ruleset: &Ruleset,
) -> Test {
    let Some(contents) = ruleset
        .sets
        .iter()
        .find(|s| s.set.family == rule.family && s.set.table == rule.table && s.set.name == name)
    else {
        return Test::Unknown(format!("set {name}, which could not be read"));
    };
    let key_len = contents.set.key_len as usize;
    let test = match value {
        Some(Value::Known(bytes)) if bytes.len() <= key_len => {
            let interval = contents.set.flags & 0x4 != 0;
            Test::of(is_member(bytes, &contents.elements, interval, key_len))
        }
        Some(Value::Known(_)) => Test::Unknown(format!("a concatenated lookup in set {name}")),
        Some(Value::Source { len, mask: None })
            if *len == key_len && key_len == family_width(probe.family) =>
        {
            let nets = decode_elements(&contents.set, &contents.elements);
            Test::Sources(
                nets.iter()
                    .fold(AddressRanges::empty(probe.family), |all, element| {
                        all.union(&AddressRanges::network(probe.family, element.net))
                    }),
            )
        }
        Some(Value::Source { .. }) => Test::Unknown(format!(
            "a lookup of part of the source address in set {name}"
        )),
        Some(Value::Opaque(what)) => Test::Unknown(what.clone()),
        None => Test::Unknown("an empty register".to_string()),
    };
    match (test, inverted) {
        (Test::Pass, true) => Test::Fail,
        (Test::Fail, true) => Test::Pass,
        (Test::Sources(sources), true) => Test::Sources(sources.complement()),
        (test, _) => test,
    }
}

fn family_width(family: Family) -> usize {
    family.bits() as usize / 8
}

/// Whether a set holds `value`.
fn is_member(value: &[u8], elements: &[RawElement], interval: bool, key_len: usize) -> bool {
    member(value, elements, interval, key_len).is_some()
}

/// The element of a set that holds `value`: an equal key, or, in an interval set, the start at
/// or below it whose interval has not ended (ends are exclusive).
fn member<'a>(
    value: &[u8],
    elements: &'a [RawElement],
    interval: bool,
    key_len: usize,
) -> Option<&'a RawElement> {
    let mut value = value.to_vec();
    value.resize(key_len, 0);
    if !interval {
        return elements.iter().find(|e| e.key == value);
    }
    let mut sorted: Vec<&RawElement> = elements.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key).then(b.interval_end.cmp(&a.interval_end)));
    sorted
        .into_iter()
        .rev()
        .find(|e| e.key.as_slice() <= value.as_slice())
        .filter(|e| !e.interval_end)
}

/// What a verdict map (`vmap`) does with the value looked up: the action of its element, `None`
/// when no element holds it (the rule does not match), or why it cannot be told.
fn map_verdict(
    value: Option<&Value>,
    rule: &RawRule,
    name: &str,
    ruleset: &Ruleset,
) -> Result<Option<Action>, String> {
    let Some(contents) = ruleset
        .sets
        .iter()
        .find(|s| s.set.family == rule.family && s.set.table == rule.table && s.set.name == name)
    else {
        return Err(format!("verdict map {name}, which could not be read"));
    };
    let bytes = match value {
        Some(Value::Known(bytes)) if bytes.len() <= contents.set.key_len as usize => bytes,
        Some(Value::Known(_)) => return Err(format!("a concatenated verdict map {name}")),
        Some(Value::Source { .. }) => {
            return Err("a verdict map on the source address".to_string());
        }
        Some(Value::Opaque(what)) => return Err(what.clone()),
        None => return Err("an empty register".to_string()),
    };
    let interval = contents.set.flags & 0x4 != 0;
    let Some(element) = member(
        bytes,
        &contents.elements,
        interval,
        contents.set.key_len as usize,
    ) else {
        return Ok(None);
    };
    let chain = || element.chain.clone().unwrap_or_default();
    match element.verdict {
        Some(0) => Ok(Some(Action::Drop)),
        Some(1) => Ok(Some(Action::Accept)),
        Some(-1) => Ok(Some(Action::Continue)),
        Some(-3) => Ok(Some(Action::Jump(chain()))),
        Some(-4) => Ok(Some(Action::Goto(chain()))),
        Some(-5) => Ok(Some(Action::Return)),
        other => Err(format!("verdict {other:?} in verdict map {name}")),
    }
}

/// An iptables-nft match (an x_tables extension), read from its C struct where bantop knows it.
fn xt_match(name: &str, rev: u32, info: &[u8], probe: &Probe) -> Test {
    let u16_at = |at: usize| {
        info.get(at..at + 2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
    };
    match name {
        "comment" => Test::Pass,
        // struct xt_state_info { unsigned int statemask; }
        "state" => match info.get(0..4) {
            Some(b) => Test::of(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) & CT_NEW != 0),
            None => Test::Unknown("an unreadable state match".to_string()),
        },
        // struct xt_conntrack_mtinfo{2,3}: 128 bytes of addresses, expires, l4proto, 4 ports,
        // then match_flags (148), invert_flags (150), state_mask (152).
        "conntrack" if matches!(rev, 2 | 3) => {
            match (u16_at(148), u16_at(150), u16_at(152)) {
                // XT_CONNTRACK_STATE alone.
                (Some(1), Some(invert), Some(states)) => {
                    Test::of((u32::from(states) & CT_NEW != 0) != (invert & 1 != 0))
                }
                _ => Test::Unknown("a conntrack match beyond --ctstate".to_string()),
            }
        }
        // struct xt_multiport_v1 { u8 flags, count; u16 ports[15]; u8 pflags[15], invert; }
        "multiport" if rev == 1 => multiport(info, probe.port),
        other => Test::Unknown(format!("the iptables match {other}")),
    }
}

fn multiport(info: &[u8], port: u16) -> Test {
    let (Some(&flags), Some(&count), Some(&invert)) = (info.first(), info.get(1), info.get(47))
    else {
        return Test::Unknown("an unreadable multiport match".to_string());
    };
    let ports: Vec<u16> = (0..usize::from(count).min(15))
        .filter_map(|i| info.get(2 + 2 * i..4 + 2 * i))
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect();
    let mut hit = false;
    let mut i = 0;
    while i < ports.len() {
        let range = info.get(32 + i).copied().unwrap_or(0) != 0 && i + 1 < ports.len();
        if range {
            hit |= (ports[i]..=ports[i + 1]).contains(&port);
            i += 2;
        } else {
            hit |= ports[i] == port;
            i += 1;
        }
    }
    match flags {
        // XT_MULTIPORT_DESTINATION
        1 => Test::of(hit != (invert != 0)),
        // XT_MULTIPORT_EITHER, without inversion: the destination port suffices.
        2 if hit && invert == 0 => Test::Pass,
        _ => Test::Unknown("a multiport match on source ports".to_string()),
    }
}

/// What an iptables-nft target does; `None` when bantop does not know.
fn xt_target(name: &str) -> Option<Action> {
    match name {
        "REJECT" | "DROP" => Some(Action::Drop),
        "ACCEPT" => Some(Action::Accept),
        "RETURN" => Some(Action::Return),
        "LOG" | "NFLOG" | "MARK" | "CONNMARK" | "CT" | "NOTRACK" | "TRACE" | "AUDIT" => {
            Some(Action::Continue)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipnet::IpNet;

    fn texts(sources: &AddressRanges) -> Vec<String> {
        sources.networks().iter().map(IpNet::to_string).collect()
    }

    #[test]
    fn source_prefixes_and_orders() {
        let v4 = Family::V4;
        let eq = source_comparison(v4, 3, None, EQ, &[192, 0, 2]);
        assert_eq!(
            eq.as_ref().map(texts),
            Some(vec!["192.0.2.0/24".to_string()])
        );
        let masked = source_comparison(v4, 4, Some(&[255, 255, 240, 0]), EQ, &[10, 1, 16, 0]);
        assert_eq!(
            masked.as_ref().map(texts),
            Some(vec!["10.1.16.0/20".to_string()])
        );
        let not = source_comparison(v4, 1, None, NEQ, &[10]).unwrap_or(AddressRanges::empty(v4));
        assert!(!not.contains("10.2.3.4".parse().unwrap_or([0, 0, 0, 0].into())));
        assert!(not.contains("11.0.0.1".parse().unwrap_or([0, 0, 0, 0].into())));
        let below = source_comparison(v4, 4, None, LT, &[128, 0, 0, 0]);
        assert_eq!(
            below.as_ref().map(texts),
            Some(vec!["0.0.0.0/1".to_string()])
        );
        let odd = source_comparison(v4, 4, Some(&[255, 0, 255, 0]), EQ, &[10, 0, 1, 0]);
        assert!(odd.is_none(), "a mask with holes is not modelled");
        let v6 = source_comparison(Family::V6, 4, None, EQ, &[0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(
            v6.as_ref().map(texts),
            Some(vec!["2001:db8::/32".to_string()])
        );
    }

    #[test]
    fn interval_sets_hold_what_their_ranges_cover() {
        let element = |key: &[u8], end| RawElement {
            key: key.to_vec(),
            interval_end: end,
            timeout_ms: None,
            expires_ms: None,
            verdict: None,
            chain: None,
        };
        // tcp dport { 22, 80-90 }
        let elements = [
            element(&[0, 22], false),
            element(&[0, 23], true),
            element(&[0, 80], false),
            element(&[0, 91], true),
        ];
        let member = |port: u16| is_member(&port.to_be_bytes(), &elements, true, 2);
        assert!(member(22) && member(80) && member(90));
        assert!(!member(23) && !member(91) && !member(21));
        assert!(is_member(&[0, 5], &[element(&[0, 5], false)], false, 2));
    }
}
