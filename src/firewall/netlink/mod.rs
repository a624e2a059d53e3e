//! The netlink layer of the nftables backend: one atomic batch of writes to the kernel
//! ([`write`]), and dumps of every table's sets, set elements and rules as plain Rust values
//! ([`read`]); here, what both share: the values, the socket, batches and dumps. The `nftnl`
//! crate builds the table, chain, rules and batch; what it lacks (set flags, per-element
//! timeouts and interval ends, reading sets, elements and rule expressions) is done over
//! `nftnl-sys`. These are bantop's only modules with `unsafe` code: every block says why it is
//! sound.
#![allow(unsafe_code)]

pub mod read;
pub mod write;

pub use read::{list_chains, list_elements, list_interfaces, list_rules, list_sets};
pub use write::{install_table, write_elements, write_restrictions};

use mnl::{Bus, CbResult, Socket};
use nftnl::Batch;
use nftnl::nftnl_sys::{self as sys, libc};
use std::ffi::{CStr, c_void};
use std::io;

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
    /// In a verdict map: the verdict (`NF_ACCEPT`, `NF_DROP`, `NFT_JUMP`, ...).
    pub verdict: Option<i32>,
    /// In a verdict map: the chain of a jump or goto.
    pub chain: Option<String>,
}

/// An expression of a rule, as much of it as bantop needs to tell what the rule drops and which
/// packets reach a port. Registers are numbered as the kernel numbers them (0: the verdict,
/// 1-4: 16-byte registers, 8-23: 4-byte ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawExpr {
    /// Load `len` bytes at `offset` of header `base` (0: link, 1: network, 2: transport).
    Payload {
        /// `NFT_PAYLOAD_*_HEADER`.
        base: u32,
        /// Byte offset.
        offset: u32,
        /// Byte length.
        len: u32,
        /// The register loaded.
        dreg: u32,
    },
    /// Load a packet's meta key (`NFT_META_*`), or set it when `dreg` is `None`.
    Meta {
        /// `NFT_META_*`.
        key: u32,
        /// The register loaded.
        dreg: Option<u32>,
    },
    /// Load a conntrack key (`NFT_CT_*`), or set it when `dreg` is `None`.
    Ct {
        /// `NFT_CT_*`.
        key: u32,
        /// The register loaded.
        dreg: Option<u32>,
    },
    /// `dreg = (sreg & mask) ^ xor`.
    Bitwise {
        /// The register read.
        sreg: u32,
        /// The register written.
        dreg: u32,
        /// The mask.
        mask: Vec<u8>,
        /// The value xored after the mask.
        xor: Vec<u8>,
    },
    /// Compare a register's bytes.
    Cmp {
        /// The register compared.
        sreg: u32,
        /// `NFT_CMP_*` (0: equal, 1: not equal, 2: <, 3: <=, 4: >, 5: >=).
        op: u32,
        /// The value compared with.
        data: Vec<u8>,
    },
    /// Whether a register's bytes lie in `[from, to]` (`op` 0) or outside (`op` 1).
    Range {
        /// The register compared.
        sreg: u32,
        /// `NFT_RANGE_EQ` or `NFT_RANGE_NEQ`.
        op: u32,
        /// The first value in the range.
        from: Vec<u8>,
        /// The last value in the range.
        to: Vec<u8>,
    },
    /// Look a register's bytes up in a set (or a map, when `dreg` is set: 0 for a verdict map).
    Lookup {
        /// The register looked up.
        sreg: u32,
        /// The register a map writes its value to.
        dreg: Option<u32>,
        /// The set's name.
        set: String,
        /// `!= @set`.
        inverted: bool,
    },
    /// A verdict (`NF_DROP` = 0, `NF_ACCEPT` = 1, `NF_QUEUE` = 3, `NFT_RETURN` = -5, ...).
    Verdict(i32),
    /// A jump to another chain of the table.
    Jump(String),
    /// A goto to another chain of the table (no return to this one).
    Goto(String),
    /// A value put in a register.
    Immediate {
        /// The register written.
        dreg: u32,
        /// The value.
        data: Vec<u8>,
    },
    /// An x_tables match run by iptables-nft (`conntrack`, `state`, `multiport`, ...).
    Match {
        /// Its name.
        name: String,
        /// Its revision.
        rev: u32,
        /// Its options, as the kernel's C struct.
        info: Vec<u8>,
    },
    /// An x_tables target run by iptables-nft (`REJECT`, `DROP`, ...).
    Target(String),
    /// Any other expression, by name (`reject`, `counter`, `limit`, ...).
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
    /// Its handle (what `nft -a` shows).
    pub handle: u64,
    /// Its expressions, in order.
    pub exprs: Vec<RawExpr>,
}

/// A chain as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChain {
    /// `NFPROTO_*` family of its table.
    pub family: u32,
    /// Its table.
    pub table: String,
    /// Its name.
    pub name: String,
    /// A base chain, hooked into the packet path.
    pub hooked: bool,
    /// Its hook (`NF_INET_LOCAL_IN` = 1 is input), for a base chain.
    pub hook: Option<u32>,
    /// Its priority, for a base chain.
    pub priority: i32,
    /// Its policy (`NF_DROP` = 0, `NF_ACCEPT` = 1), for a base chain.
    pub policy: Option<u32>,
    /// Its type (`filter`, `nat`, `route`), for a base chain.
    pub kind: String,
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
/// `NFT_SET_ELEM_INTERVAL_END`.
const ELEMENT_INTERVAL_END: u32 = libc::NFT_SET_ELEM_INTERVAL_END as u32;
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

/// `MNL_CB_OK`: go on with the next message.
const MNL_CB_OK: libc::c_int = 1;

/// `MNL_CB_ERROR` (with errno set for the caller's error).
fn mnl_sys_error() -> libc::c_int {
    -1
}
