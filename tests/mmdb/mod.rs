//! A minimal MaxMind DB writer for the tests (the `maxminddb` crate only reads): a binary search
//! tree of 24- or 28-bit records, a data section of maps, strings and unsigned integers, and the
//! metadata map after `\xAB\xCD\xEFMaxMind.com`, as in the format's specification (version 2.0,
//! https://maxmind.github.io/MaxMind-DB/). Used by the unit tests of `src/geoip/` (through a
//! `#[path]`) and by `tests/geoip.rs`.
#![allow(dead_code)]

use ipnet::IpNet;
use std::net::IpAddr;

/// A value of the data section.
#[derive(Debug, Clone)]
pub enum Value {
    /// UTF-8 string (type 2).
    Text(String),
    /// Unsigned 16-bit integer (type 5).
    U16(u16),
    /// Unsigned 32-bit integer (type 6).
    U32(u32),
    /// Unsigned 64-bit integer (extended type 9).
    U64(u64),
    /// Map with string keys (type 7).
    Map(Vec<(String, Value)>),
    /// Array (extended type 11).
    Array(Vec<Value>),
}

/// `Value::Text` of `text`.
pub fn text(text: &str) -> Value {
    Value::Text(text.to_string())
}

/// `Value::Map` of `pairs`.
pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect(),
    )
}

/// A database to build: networks and their records.
pub struct Mmdb {
    /// 4 or 6.
    pub ip_version: u16,
    /// 24 or 28 bits per record.
    pub record_size: u16,
    /// The metadata's `database_type`.
    pub database_type: String,
    /// Disjoint networks and their records.
    pub networks: Vec<(IpNet, Value)>,
}

/// A child of a tree node as it is being built.
#[derive(Clone, Copy)]
enum Child {
    Empty,
    Node(usize),
    Data(usize),
}

impl Mmdb {
    /// The file's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut nodes: Vec<[Child; 2]> = vec![[Child::Empty; 2]];
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for (index, (network, value)) in self.networks.iter().enumerate() {
            offsets.push(data.len());
            encode(value, &mut data);
            let bits = self.bits_of(*network);
            let mut node = 0;
            for (depth, &bit) in bits.iter().enumerate() {
                if depth + 1 == bits.len() {
                    nodes[node][bit] = Child::Data(index);
                } else {
                    node = match nodes[node][bit] {
                        Child::Node(next) => next,
                        Child::Empty => {
                            nodes.push([Child::Empty; 2]);
                            nodes[node][bit] = Child::Node(nodes.len() - 1);
                            nodes.len() - 1
                        }
                        Child::Data(_) => panic!("{network} is inside another network"),
                    };
                }
            }
        }
        let node_count = nodes.len();
        let record = |child: Child| -> u32 {
            let value = match child {
                Child::Empty => node_count,
                Child::Node(next) => next,
                Child::Data(index) => node_count + 16 + offsets[index],
            };
            u32::try_from(value).unwrap_or_else(|e| panic!("{e}"))
        };
        let mut file = Vec::new();
        for [left, right] in nodes {
            let (left, right) = (record(left), record(right));
            match self.record_size {
                24 => {
                    file.extend_from_slice(&left.to_be_bytes()[1..]);
                    file.extend_from_slice(&right.to_be_bytes()[1..]);
                }
                28 => {
                    file.extend_from_slice(&left.to_be_bytes()[1..]);
                    file.push((((left >> 24) & 0x0f) << 4) as u8 | ((right >> 24) & 0x0f) as u8);
                    file.extend_from_slice(&right.to_be_bytes()[1..]);
                }
                other => panic!("record size {other} is not written here"),
            }
        }
        file.extend_from_slice(&[0; 16]);
        file.extend_from_slice(&data);
        file.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let metadata = map(&[
            ("node_count", Value::U32(node_count as u32)),
            ("record_size", Value::U16(self.record_size)),
            ("ip_version", Value::U16(self.ip_version)),
            ("database_type", text(&self.database_type)),
            ("languages", Value::Array(vec![text("en")])),
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_767_225_600)),
            ("description", map(&[("en", text("bantop test database"))])),
        ]);
        encode(&metadata, &mut file);
        file
    }

    /// The path of `network` from the tree's root: its prefix bits (an IPv4 network in an IPv6
    /// tree sits under `::/96`).
    fn bits_of(&self, network: IpNet) -> Vec<usize> {
        let (address, width, prefix) = match (network.addr(), self.ip_version) {
            (IpAddr::V4(v4), 4) => (u128::from(u32::from(v4)) << 96, 0, network.prefix_len()),
            (IpAddr::V4(v4), _) => (u128::from(u32::from(v4)), 96, network.prefix_len()),
            (IpAddr::V6(v6), 6) => (u128::from(v6), 0, network.prefix_len()),
            (IpAddr::V6(_), _) => panic!("{network} in an IPv4 database"),
        };
        let depth = usize::from(width + prefix);
        (0..depth)
            .map(|i| (address >> (127 - i) & 1) as usize)
            .collect()
    }
}

/// Appends `value` in the data section's encoding.
fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Text(text) => {
            control(2, text.len(), out);
            out.extend_from_slice(text.as_bytes());
        }
        Value::U16(n) => unsigned(5, u64::from(*n), out),
        Value::U32(n) => unsigned(6, u64::from(*n), out),
        Value::U64(n) => unsigned(9, *n, out),
        Value::Map(pairs) => {
            control(7, pairs.len(), out);
            for (key, value) in pairs {
                encode(&Value::Text(key.clone()), out);
                encode(value, out);
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out);
            for item in items {
                encode(item, out);
            }
        }
    }
}

/// An unsigned integer in as few big-endian bytes as it needs.
fn unsigned(kind: u8, n: u64, out: &mut Vec<u8>) {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    control(kind, 8 - skip, out);
    out.extend_from_slice(&bytes[skip..]);
}

/// The control byte of a `kind` of `size`: types above 7 are extended (type 0, then a byte with
/// the type minus 7), and sizes from 29 on take one to three more bytes.
fn control(kind: u8, size: usize, out: &mut Vec<u8>) {
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..29 => (size as u8, vec![]),
        29..285 => (29, vec![(size - 29) as u8]),
        285..65_821 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push(kind << 5 | size_bits);
    } else {
        out.push(size_bits);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}
