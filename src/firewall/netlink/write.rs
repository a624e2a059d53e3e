//! Writes to bantop's table: the table, its two timed interval sets, the dropping chain, the
//! port restriction chain, and element changes, each as one atomic batch.
#![allow(unsafe_code)]

use super::{
    ELEMENT_INTERVAL_END, ELEMENT_ROOM, ElementWrite, MIN_BUFFER, SetWrites, TableLayout,
    send_batch,
};
use crate::model::port::Proto;
use crate::model::restriction::Restriction;
use ipnet::IpNet;
use nftnl::nftnl_sys::{self as sys, libc};
use nftnl::set::Set;
use nftnl::{Batch, Chain, ChainType, Hook, MsgType, Policy, ProtoFamily, Rule, Table, nft_expr};
use std::ffi::{CStr, CString, c_void};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `NFT_SET_INTERVAL | NFT_SET_TIMEOUT`.
const SET_FLAGS: u32 = (libc::NFT_SET_INTERVAL | libc::NFT_SET_TIMEOUT) as u32;

/// Creates (or re-creates) bantop's table in one batch. An existing chain is deleted first and
/// made again, so its rules are exactly these; the sets and their elements are kept.
pub fn install_table(layout: TableLayout<'_>, chain_exists: bool) -> io::Result<()> {
    let mut batch = Batch::new();
    let table = Table::new(layout.table, ProtoFamily::Inet);
    batch.add(&table, MsgType::Add);
    let set4 = timed_interval_set::<Ipv4Addr>(layout.set4, 1, &table);
    let set6 = timed_interval_set::<Ipv6Addr>(layout.set6, 2, &table);
    batch.add(&set4, MsgType::Add);
    batch.add(&set6, MsgType::Add);
    let mut chain = Chain::new(layout.chain, &table);
    if chain_exists {
        batch.add(&chain, MsgType::Del);
    }
    chain.set_hook(Hook::In, layout.priority);
    chain.set_type(ChainType::Filter);
    chain.set_policy(Policy::Accept);
    batch.add(&chain, MsgType::Add);
    let mut drop4 = Rule::new(&chain);
    drop4.add_expr(&nft_expr!(meta nfproto));
    drop4.add_expr(&nft_expr!(cmp == libc::NFPROTO_IPV4 as u8));
    drop4.add_expr(&nft_expr!(payload ipv4 saddr));
    drop4.add_expr(&nft_expr!(lookup & set4));
    drop4.add_expr(&nft_expr!(counter));
    drop4.add_expr(&nft_expr!(verdict drop));
    batch.add(&drop4, MsgType::Add);
    let mut drop6 = Rule::new(&chain);
    drop6.add_expr(&nft_expr!(meta nfproto));
    drop6.add_expr(&nft_expr!(cmp == libc::NFPROTO_IPV6 as u8));
    drop6.add_expr(&nft_expr!(payload ipv6 saddr));
    drop6.add_expr(&nft_expr!(lookup & set6));
    drop6.add_expr(&nft_expr!(counter));
    drop6.add_expr(&nft_expr!(verdict drop));
    batch.add(&drop6, MsgType::Add);
    send_batch(batch)
}

/// Replaces bantop's restriction chain in one batch: the chain (a base chain on the input hook)
/// is deleted when it exists and made again with exactly these rules, first the loopback
/// accept, then per restriction its allowed networks' accepts and the port's drop; with no
/// restriction left, it is only deleted.
pub fn write_restrictions(
    layout: TableLayout<'_>,
    chain_name: &CStr,
    restrictions: &[Restriction],
    chain_exists: bool,
) -> io::Result<()> {
    let mut batch = Batch::new();
    let table = Table::new(layout.table, ProtoFamily::Inet);
    batch.add(&table, MsgType::Add);
    let mut chain = Chain::new(chain_name, &table);
    if chain_exists {
        batch.add(&chain, MsgType::Del);
    }
    if restrictions.is_empty() {
        return send_batch(batch);
    }
    chain.set_hook(Hook::In, layout.priority);
    chain.set_type(ChainType::Filter);
    chain.set_policy(Policy::Accept);
    batch.add(&chain, MsgType::Add);
    let mut loopback = Rule::new(&chain);
    loopback.add_expr(&nft_expr!(meta iif));
    loopback.add_expr(&nft_expr!(cmp == LOOPBACK_INDEX));
    loopback.add_expr(&nft_expr!(verdict accept));
    batch.add(&loopback, MsgType::Add);
    for restriction in restrictions {
        let comment = CString::new(format!("bantop restrict {}", restriction.label()))
            .map_err(|_| io::Error::other("a NUL in a comment"))?;
        for net in &restriction.allow {
            let mut accept = Rule::new(&chain);
            port_match(&mut accept, restriction);
            match net {
                IpNet::V4(v4) => {
                    accept.add_expr(&nft_expr!(meta nfproto));
                    accept.add_expr(&nft_expr!(cmp == libc::NFPROTO_IPV4 as u8));
                    accept.add_expr(&nft_expr!(payload ipv4 saddr));
                    accept
                        .add_expr(&nft_expr!(bitwise mask v4.netmask(), xor Ipv4Addr::UNSPECIFIED));
                    accept.add_expr(&nft_expr!(cmp == v4.network()));
                }
                IpNet::V6(v6) => {
                    accept.add_expr(&nft_expr!(meta nfproto));
                    accept.add_expr(&nft_expr!(cmp == libc::NFPROTO_IPV6 as u8));
                    accept.add_expr(&nft_expr!(payload ipv6 saddr));
                    accept
                        .add_expr(&nft_expr!(bitwise mask v6.netmask(), xor Ipv6Addr::UNSPECIFIED));
                    accept.add_expr(&nft_expr!(cmp == v6.network()));
                }
            }
            accept.add_expr(&nft_expr!(verdict accept));
            accept.set_comment(&comment).map_err(io::Error::other)?;
            batch.add(&accept, MsgType::Add);
        }
        let mut drop = Rule::new(&chain);
        port_match(&mut drop, restriction);
        drop.add_expr(&nft_expr!(counter));
        drop.add_expr(&nft_expr!(verdict drop));
        drop.set_comment(&comment).map_err(io::Error::other)?;
        batch.add(&drop, MsgType::Add);
    }
    send_batch(batch)
}

/// The loopback interface's index, the same in every network namespace.
const LOOPBACK_INDEX: u32 = 1;

/// `meta l4proto tcp|udp th dport PORT`.
fn port_match(rule: &mut Rule<'_>, restriction: &Restriction) {
    rule.add_expr(&nft_expr!(meta l4proto));
    match restriction.proto {
        Proto::Tcp => {
            rule.add_expr(&nft_expr!(cmp == libc::IPPROTO_TCP as u8));
            rule.add_expr(&nft_expr!(payload tcp dport));
        }
        Proto::Udp => {
            rule.add_expr(&nft_expr!(cmp == libc::IPPROTO_UDP as u8));
            rule.add_expr(&nft_expr!(payload udp dport));
        }
    }
    rule.add_expr(&nft_expr!(cmp == &restriction.port.to_be_bytes()[..]));
}

/// A named set of `table` with bantop's flags.
fn timed_interval_set<'a, K: nftnl::set::SetKey>(
    name: &CStr,
    id: u32,
    table: &'a Table,
) -> Set<'a, K> {
    let set = Set::<K>::new_named(name, id, table, ProtoFamily::Inet);
    // SAFETY: `set` owns a valid nftnl_set until it is dropped; setting a u32 attribute copies
    // the value.
    unsafe {
        sys::nftnl_set_set_u32(
            set.as_ptr().as_ptr(),
            sys::NFTNL_SET_FLAGS as u16,
            SET_FLAGS,
        )
    };
    set
}

/// Deletes and adds elements of bantop's two sets in one atomic batch: all of it or nothing.
pub fn write_elements(layout: TableLayout<'_>, v4: &SetWrites, v6: &SetWrites) -> io::Result<()> {
    let table = Table::new(layout.table, ProtoFamily::Inet);
    let elements = v4.delete.len() + v4.add.len() + v6.delete.len() + v6.add.len();
    let room = elements
        .saturating_mul(ELEMENT_ROOM)
        .saturating_add(MIN_BUFFER);
    let page = u32::try_from(room)
        .unwrap_or(u32::MAX / 2)
        .max(nftnl::default_batch_page_size());
    let mut batch = Batch::with_page_size(page);
    let delete4 = set_with_elements::<Ipv4Addr>(layout.set4, &table, &v4.delete)?;
    let delete6 = set_with_elements::<Ipv6Addr>(layout.set6, &table, &v6.delete)?;
    let add4 = set_with_elements::<Ipv4Addr>(layout.set4, &table, &v4.add)?;
    let add6 = set_with_elements::<Ipv6Addr>(layout.set6, &table, &v6.add)?;
    // Deletions first, so a network can be deleted and added again (a new timeout) at once.
    if !v4.delete.is_empty() {
        batch.add_iter(delete4.elems_iter(), MsgType::Del);
    }
    if !v6.delete.is_empty() {
        batch.add_iter(delete6.elems_iter(), MsgType::Del);
    }
    if !v4.add.is_empty() {
        batch.add_iter(add4.elems_iter(), MsgType::Add);
    }
    if !v6.add.is_empty() {
        batch.add_iter(add6.elems_iter(), MsgType::Add);
    }
    send_batch(batch)
}

/// An in-memory copy of set `name` holding `elements`, to build element messages from.
fn set_with_elements<'a, K: nftnl::set::SetKey>(
    name: &CStr,
    table: &'a Table,
    elements: &[ElementWrite],
) -> io::Result<Set<'a, K>> {
    let set = Set::<K>::new_named(name, 0, table, ProtoFamily::Inet);
    for element in elements {
        if element.key.len() != K::LEN as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a key of {} bytes for a set of {}-byte keys",
                    element.key.len(),
                    K::LEN
                ),
            ));
        }
        // SAFETY: nftnl_set_elem_alloc returns a new element or null (checked). Setting the key
        // copies `key.len()` bytes from a live slice; u32/u64 setters copy their value. The set
        // takes ownership of the element in nftnl_set_elem_add and frees it with itself.
        unsafe {
            let elem = sys::nftnl_set_elem_alloc();
            if elem.is_null() {
                return Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "nftnl_set_elem_alloc",
                ));
            }
            sys::nftnl_set_elem_set(
                elem,
                sys::NFTNL_SET_ELEM_KEY as u16,
                element.key.as_ptr().cast::<c_void>(),
                element.key.len() as u32,
            );
            if element.interval_end {
                sys::nftnl_set_elem_set_u32(
                    elem,
                    sys::NFTNL_SET_ELEM_FLAGS as u16,
                    ELEMENT_INTERVAL_END,
                );
            }
            if let Some(timeout) = element.timeout_ms {
                sys::nftnl_set_elem_set_u64(elem, sys::NFTNL_SET_ELEM_TIMEOUT as u16, timeout);
            }
            sys::nftnl_set_elem_add(set.as_ptr().as_ptr(), elem);
        }
    }
    Ok(set)
}
