//! The netlink layer of the nftables backend: one atomic batch of writes to the kernel, and dumps
//! of every table's sets, set elements and rules, as plain Rust values. The `nftnl` crate builds
//! the table, chain, rules and batch; what it lacks (set flags, per-element timeouts and
//! interval ends, reading sets, elements and rule expressions) is done here over `nftnl-sys`.
//! This is bantop's only module with `unsafe` code: every block says why it is sound.
#![allow(unsafe_code)]

use mnl::{Bus, CbResult, Socket};
use nftnl::nftnl_sys::{self as sys, libc};
use nftnl::set::Set;
use nftnl::{Batch, Chain, ChainType, Hook, MsgType, Policy, ProtoFamily, Rule, Table, nft_expr};
use std::ffi::{CStr, CString, c_void};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A set as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSet {
    /// `NFPROTO_*` family of its table.
    pub family: u32,
    /// Its table.
    pub table: String,
    /// Its name.
    pub name: String,
    /// `NFT_SET_*` flags.
    pub flags: u32,
    /// Key length in bytes (4: IPv4 address, 16: IPv6 address).
    pub key_len: u32,
}

/// One element of a set as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawElement {
    /// The key bytes (an address in network order for address sets).
    pub key: Vec<u8>,
    /// The end (exclusive) of an interval started by the previous element.
    pub interval_end: bool,
    /// Its timeout, milliseconds.
    pub timeout_ms: Option<u64>,
    /// Milliseconds until it expires.
    pub expires_ms: Option<u64>,
}

/// An expression of a rule, as much of it as bantop needs to tell what the rule drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawExpr {
    /// Load `len` bytes at `offset` of header `base` (1: network header).
    Payload {
        /// `NFT_PAYLOAD_*_HEADER`.
        base: u32,
        /// Byte offset.
        offset: u32,
        /// Byte length.
        len: u32,
    },
    /// Mask the loaded bytes (a prefix).
    Bitwise {
        /// The mask.
        mask: Vec<u8>,
    },
    /// Compare the loaded bytes.
    Cmp {
        /// `NFT_CMP_*` (0: equal).
        op: u32,
        /// The value compared with.
        data: Vec<u8>,
    },
    /// Look the loaded bytes up in a set.
    Lookup {
        /// The set's name.
        set: String,
        /// `!= @set`.
        inverted: bool,
    },
    /// A verdict (`NF_DROP` = 0, `NF_ACCEPT` = 1, jumps and returns negative).
    Verdict(i32),
    /// An x_tables target run by iptables-nft (`REJECT`, `DROP`, ...).
    Target(String),
    /// Any other expression, by name (`reject`, `counter`, `meta`, ...).
    Other(String),
}

/// A rule as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRule {
    /// `NFPROTO_*` family of its table.
    pub family: u32,
    /// Its table.
    pub table: String,
    /// Its chain.
    pub chain: String,
    /// Its expressions, in order.
    pub exprs: Vec<RawExpr>,
}

/// An element to add or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementWrite {
    /// Address bytes in network order.
    pub key: Vec<u8>,
    /// Closes the interval opened by the element before it.
    pub interval_end: bool,
    /// Timeout in milliseconds; never on an interval end (the kernel rejects the batch).
    pub timeout_ms: Option<u64>,
}

/// Element writes to one set of bantop's table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetWrites {
    /// Elements deleted first.
    pub delete: Vec<ElementWrite>,
    /// Elements added after.
    pub add: Vec<ElementWrite>,
}

/// The shape of bantop's own table: `table inet <table>` with `<set4>` and `<set6>` (interval,
/// timeout) and a base chain on the input hook that drops their sources.
#[derive(Debug, Clone, Copy)]
pub struct TableLayout<'a> {
    /// The table (family inet).
    pub table: &'a CStr,
    /// The IPv4 set.
    pub set4: &'a CStr,
    /// The IPv6 set.
    pub set6: &'a CStr,
    /// The base chain.
    pub chain: &'a CStr,
    /// Hook priority: below fail2ban's chains (-1 for its nftables action, 0 for iptables-nft).
    pub priority: i32,
}

/// `NFT_SET_INTERVAL | NFT_SET_TIMEOUT`.
const SET_FLAGS: u32 = (libc::NFT_SET_INTERVAL | libc::NFT_SET_TIMEOUT) as u32;
/// `NFT_SET_ELEM_INTERVAL_END`.
const ELEMENT_INTERVAL_END: u32 = libc::NFT_SET_ELEM_INTERVAL_END as u32;

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

/// Sends a batch and waits for the kernel's answer to each message; the first error wins (the
/// kernel has then aborted the whole batch).
fn send_batch(batch: Batch) -> io::Result<()> {
    let batch = batch.finalize();
    let socket = Socket::new(Bus::Netfilter)?;
    let portid = socket.portid();
    let mut expected = batch.sequence_numbers();
    // The kernel queues one acknowledgement per message before bantop reads any; with
    // thousands of elements they overflow the default receive buffer (ENOBUFS).
    let acknowledgements = expected.len().saturating_mul(ACK_ROOM);
    set_buffer(
        &socket,
        SendOrReceive::Receive,
        acknowledgements.max(MIN_BUFFER),
    )?;
    // A batch must reach the kernel in one sendmsg: split over several, its end is missing
    // and the kernel refuses it. So it is built as one page, and the send buffer made room.
    let pages: Vec<&[u8]> = batch.iter().collect();
    let [page] = pages.as_slice() else {
        return Err(io::Error::other("a batch built in more than one page"));
    };
    set_buffer(&socket, SendOrReceive::Send, page.len().saturating_mul(2))?;
    socket.send(page)?;
    let mut buffer = AlignedBuffer::new();
    while !expected.is_empty() {
        for message in socket.recv(buffer.bytes())? {
            let message = message?;
            let Some(seq) = expected.next() else {
                return Err(io::Error::other("an answer to no message of the batch"));
            };
            mnl::cb_run(message, seq, portid)?;
        }
    }
    Ok(())
}

/// Receive buffer room per acknowledgement (a small skb's true size, with margin).
const ACK_ROOM: usize = 4096;
/// The least socket buffer asked for.
const MIN_BUFFER: usize = 256 * 1024;
/// Room in a batch page per element (its key, flags and timeout attributes, with margin).
const ELEMENT_ROOM: usize = 128;

/// Which socket buffer.
#[derive(Clone, Copy)]
enum SendOrReceive {
    Send,
    Receive,
}

/// Sets a socket buffer to at least `bytes`: past `net.core.[rw]mem_max` when allowed
/// (`SO_*BUFFORCE`: CAP_NET_ADMIN in the first namespace, which root on the host has), else as
/// far as that limit lets.
fn set_buffer(socket: &Socket, which: SendOrReceive, bytes: usize) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let size = libc::c_int::try_from(bytes.max(MIN_BUFFER)).unwrap_or(libc::c_int::MAX);
    let (force, plain) = match which {
        SendOrReceive::Send => (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        SendOrReceive::Receive => (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
    };
    let set = |option: libc::c_int| {
        // SAFETY: a valid open socket descriptor, and a c_int option value whose pointer and
        // length describe a live local.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&size as *const libc::c_int).cast::<c_void>(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    if set(force) == 0 || set(plain) == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A receive buffer aligned for `nlmsghdr` (mnl refuses unaligned ones).
struct AlignedBuffer(Vec<u64>);

impl AlignedBuffer {
    fn new() -> Self {
        AlignedBuffer(vec![0; nftnl::nft_nlmsg_maxsize() as usize / 8 + 1])
    }

    fn bytes(&mut self) -> &mut [u8] {
        let len = self.0.len() * 8;
        // SAFETY: a u64 buffer viewed as bytes: same allocation, `len` bytes long, u8 has no
        // alignment or validity requirement, and the borrow of `self` keeps it exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), len) }
    }
}

/// Sends a dump request built by `build` and feeds each answer to `parse` until the kernel says
/// done.
fn dump<T>(
    msg_type: u32,
    family: u32,
    build: impl FnOnce(*mut libc::nlmsghdr),
    parse: mnl::Callback<T>,
    out: &mut T,
) -> io::Result<()> {
    let socket = Socket::new(Bus::Netfilter)?;
    let portid = socket.portid();
    let seq = 1;
    let mut request = AlignedBuffer::new();
    let bytes = request.bytes();
    // SAFETY: `bytes` is nft_nlmsg_maxsize() long and aligned; nftnl_nlmsg_build_hdr writes one
    // header at its start and returns a pointer to it, which `build` fills within the buffer.
    let len = unsafe {
        let header = sys::nftnl_nlmsg_build_hdr(
            bytes.as_mut_ptr().cast(),
            msg_type as u16,
            family as u16,
            (libc::NLM_F_DUMP | libc::NLM_F_ACK) as u16,
            seq,
        );
        build(header);
        (*header).nlmsg_len as usize
    };
    socket.send(&bytes[..len])?;
    let mut buffer = AlignedBuffer::new();
    loop {
        let received = socket.recv_raw(buffer.bytes())?;
        if received == 0 {
            return Err(io::Error::other(
                "netlink closed before the end of the dump",
            ));
        }
        match mnl::cb_run2(&buffer.bytes()[..received], seq, portid, parse, out)? {
            CbResult::Stop => return Ok(()),
            CbResult::Ok => {}
        }
    }
}

/// Every set of every table.
pub fn list_sets() -> io::Result<Vec<RawSet>> {
    let mut sets = Vec::new();
    dump(
        libc::NFT_MSG_GETSET as u32,
        libc::NFPROTO_UNSPEC as u32,
        |_| {},
        parse_set,
        &mut sets,
    )?;
    Ok(sets)
}

/// The elements of one set.
pub fn list_elements(set: &RawSet) -> io::Result<Vec<RawElement>> {
    let table = c_string(&set.table)?;
    let name = c_string(&set.name)?;
    let mut elements = Vec::new();
    let build = |header: *mut libc::nlmsghdr| {
        // SAFETY: the nftnl_set is allocated (null checked), given copies of two live C
        // strings, written into the request after `header` (inside the request buffer), and
        // freed.
        unsafe {
            let request = sys::nftnl_set_alloc();
            if request.is_null() {
                return;
            }
            sys::nftnl_set_set_str(request, sys::NFTNL_SET_TABLE as u16, table.as_ptr());
            sys::nftnl_set_set_str(request, sys::NFTNL_SET_NAME as u16, name.as_ptr());
            sys::nftnl_set_elems_nlmsg_build_payload(header, request);
            sys::nftnl_set_free(request);
        }
    };
    dump(
        libc::NFT_MSG_GETSETELEM as u32,
        set.family,
        build,
        parse_elements,
        &mut elements,
    )?;
    Ok(elements)
}

/// Every rule of every table.
pub fn list_rules() -> io::Result<Vec<RawRule>> {
    let mut rules = Vec::new();
    dump(
        libc::NFT_MSG_GETRULE as u32,
        libc::NFPROTO_UNSPEC as u32,
        |_| {},
        parse_rule,
        &mut rules,
    )?;
    Ok(rules)
}

fn c_string(text: &str) -> io::Result<CString> {
    CString::new(text).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a name"))
}

/// Copies a C string owned by libnftnl; empty for null.
///
/// # Safety
/// `ptr` is null or a NUL-terminated string that lives for the call.
unsafe fn owned_str(ptr: *const libc::c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated per this function's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Copies a byte attribute from a getter's pointer and length; empty for null.
///
/// # Safety
/// `ptr` is null or points to `len` readable bytes that live for the call.
unsafe fn owned_bytes(ptr: *const c_void, len: u32) -> Vec<u8> {
    if ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: per this function's contract.
    unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) }.to_vec()
}

fn parse_set(header: &libc::nlmsghdr, sets: &mut Vec<RawSet>) -> libc::c_int {
    // SAFETY: `header` is a complete message checked by mnl; the nftnl_set is allocated (null
    // checked), filled by the parser, read only through attributes it reports as set (reading
    // an absent one can crash), and freed on every path.
    unsafe {
        let set = sys::nftnl_set_alloc();
        if set.is_null() {
            return mnl_sys_error();
        }
        if sys::nftnl_set_nlmsg_parse(header, set) < 0 {
            sys::nftnl_set_free(set);
            return mnl_sys_error();
        }
        let u32_of = |attr: u32| {
            if sys::nftnl_set_is_set(set, attr as u16) {
                sys::nftnl_set_get_u32(set, attr as u16)
            } else {
                0
            }
        };
        sets.push(RawSet {
            family: u32_of(sys::NFTNL_SET_FAMILY),
            table: owned_str(sys::nftnl_set_get_str(set, sys::NFTNL_SET_TABLE as u16)),
            name: owned_str(sys::nftnl_set_get_str(set, sys::NFTNL_SET_NAME as u16)),
            flags: u32_of(sys::NFTNL_SET_FLAGS),
            key_len: u32_of(sys::NFTNL_SET_KEY_LEN),
        });
        sys::nftnl_set_free(set);
    }
    MNL_CB_OK
}

fn parse_elements(header: &libc::nlmsghdr, elements: &mut Vec<RawElement>) -> libc::c_int {
    // SAFETY: as in parse_set; the element iterator belongs to the set, is destroyed before
    // it, and each element pointer is only used before the next call to _next.
    unsafe {
        let set = sys::nftnl_set_alloc();
        if set.is_null() {
            return mnl_sys_error();
        }
        if sys::nftnl_set_elems_nlmsg_parse(header, set) < 0 {
            sys::nftnl_set_free(set);
            return mnl_sys_error();
        }
        let iter = sys::nftnl_set_elems_iter_create(set);
        if !iter.is_null() {
            let mut elem = sys::nftnl_set_elems_iter_next(iter);
            while !elem.is_null() {
                elements.push(read_element(elem));
                elem = sys::nftnl_set_elems_iter_next(iter);
            }
            sys::nftnl_set_elems_iter_destroy(iter);
        }
        sys::nftnl_set_free(set);
    }
    MNL_CB_OK
}

/// # Safety
/// `elem` is a live element of a parsed set.
unsafe fn read_element(elem: *mut sys::nftnl_set_elem) -> RawElement {
    // SAFETY: every attribute is read only after nftnl_set_elem_is_set says it is there; the
    // key pointer and length come from libnftnl and are copied at once.
    unsafe {
        let has = |attr: u32| sys::nftnl_set_elem_is_set(elem, attr as u16);
        let mut len = 0u32;
        let key = if has(sys::NFTNL_SET_ELEM_KEY) {
            let ptr = sys::nftnl_set_elem_get(elem, sys::NFTNL_SET_ELEM_KEY as u16, &mut len);
            owned_bytes(ptr, len)
        } else {
            Vec::new()
        };
        let flags = if has(sys::NFTNL_SET_ELEM_FLAGS) {
            sys::nftnl_set_elem_get_u32(elem, sys::NFTNL_SET_ELEM_FLAGS as u16)
        } else {
            0
        };
        let u64_of = |attr: u32| has(attr).then(|| sys::nftnl_set_elem_get_u64(elem, attr as u16));
        RawElement {
            key,
            interval_end: flags & ELEMENT_INTERVAL_END != 0,
            timeout_ms: u64_of(sys::NFTNL_SET_ELEM_TIMEOUT),
            expires_ms: u64_of(sys::NFTNL_SET_ELEM_EXPIRATION),
        }
    }
}

fn parse_rule(header: &libc::nlmsghdr, rules: &mut Vec<RawRule>) -> libc::c_int {
    // SAFETY: as in parse_set, for a rule and its expression iterator (destroyed before the
    // rule is freed; each expression used only before the next call to _next).
    unsafe {
        let rule = sys::nftnl_rule_alloc();
        if rule.is_null() {
            return mnl_sys_error();
        }
        if sys::nftnl_rule_nlmsg_parse(header, rule) < 0 {
            sys::nftnl_rule_free(rule);
            return mnl_sys_error();
        }
        let mut exprs = Vec::new();
        let iter = sys::nftnl_expr_iter_create(rule);
        if !iter.is_null() {
            let mut expr = sys::nftnl_expr_iter_next(iter);
            while !expr.is_null() {
                exprs.push(read_expr(expr));
                expr = sys::nftnl_expr_iter_next(iter);
            }
            sys::nftnl_expr_iter_destroy(iter);
        }
        let family = if sys::nftnl_rule_is_set(rule, sys::NFTNL_RULE_FAMILY as u16) {
            sys::nftnl_rule_get_u32(rule, sys::NFTNL_RULE_FAMILY as u16)
        } else {
            0
        };
        rules.push(RawRule {
            family,
            table: owned_str(sys::nftnl_rule_get_str(rule, sys::NFTNL_RULE_TABLE as u16)),
            chain: owned_str(sys::nftnl_rule_get_str(rule, sys::NFTNL_RULE_CHAIN as u16)),
            exprs,
        });
        sys::nftnl_rule_free(rule);
    }
    MNL_CB_OK
}

/// # Safety
/// `expr` is a live expression of a parsed rule.
unsafe fn read_expr(expr: *mut sys::nftnl_expr) -> RawExpr {
    // SAFETY: attributes are read only when nftnl_expr_is_set reports them, data pointers are
    // copied at once with the length libnftnl gives.
    unsafe {
        let has = |attr: u32| sys::nftnl_expr_is_set(expr, attr as u16);
        let u32_of = |attr: u32| {
            if has(attr) {
                sys::nftnl_expr_get_u32(expr, attr as u16)
            } else {
                0
            }
        };
        let bytes_of = |attr: u32| {
            let mut len = 0u32;
            if has(attr) {
                owned_bytes(sys::nftnl_expr_get(expr, attr as u16, &mut len), len)
            } else {
                Vec::new()
            }
        };
        let name = owned_str(sys::nftnl_expr_get_str(expr, sys::NFTNL_EXPR_NAME as u16));
        match name.as_str() {
            "payload" => RawExpr::Payload {
                base: u32_of(sys::NFTNL_EXPR_PAYLOAD_BASE),
                offset: u32_of(sys::NFTNL_EXPR_PAYLOAD_OFFSET),
                len: u32_of(sys::NFTNL_EXPR_PAYLOAD_LEN),
            },
            "bitwise" => RawExpr::Bitwise {
                mask: bytes_of(sys::NFTNL_EXPR_BITWISE_MASK),
            },
            "cmp" => RawExpr::Cmp {
                op: u32_of(sys::NFTNL_EXPR_CMP_OP),
                data: bytes_of(sys::NFTNL_EXPR_CMP_DATA),
            },
            "lookup" => RawExpr::Lookup {
                set: if has(sys::NFTNL_EXPR_LOOKUP_SET) {
                    owned_str(sys::nftnl_expr_get_str(
                        expr,
                        sys::NFTNL_EXPR_LOOKUP_SET as u16,
                    ))
                } else {
                    String::new()
                },
                inverted: u32_of(sys::NFTNL_EXPR_LOOKUP_FLAGS) & libc::NFT_LOOKUP_F_INV as u32 != 0,
            },
            "immediate" if has(sys::NFTNL_EXPR_IMM_VERDICT) => {
                RawExpr::Verdict(u32_of(sys::NFTNL_EXPR_IMM_VERDICT) as i32)
            }
            "target" if has(sys::NFTNL_EXPR_TG_NAME) => RawExpr::Target(owned_str(
                sys::nftnl_expr_get_str(expr, sys::NFTNL_EXPR_TG_NAME as u16),
            )),
            _ => RawExpr::Other(name),
        }
    }
}

/// `MNL_CB_OK`: go on with the next message.
const MNL_CB_OK: libc::c_int = 1;

/// `MNL_CB_ERROR` (with errno set for the caller's error).
fn mnl_sys_error() -> libc::c_int {
    -1
}
