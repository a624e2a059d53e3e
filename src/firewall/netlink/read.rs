//! Dumps of the kernel's ruleset: every chain, every set, the elements of one set, every rule
//! with the expressions bantop needs to tell what it drops and what reaches a port.
#![allow(unsafe_code)]

use super::{
    ELEMENT_INTERVAL_END, MNL_CB_OK, RawChain, RawElement, RawExpr, RawRule, RawSet, dump,
    mnl_sys_error,
};
use nftnl::nftnl_sys::{self as sys, libc};
use std::ffi::{CStr, CString, c_void};
use std::io;

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

/// Every chain of every table.
pub fn list_chains() -> io::Result<Vec<RawChain>> {
    let mut chains = Vec::new();
    dump(
        libc::NFT_MSG_GETCHAIN as u32,
        libc::NFPROTO_UNSPEC as u32,
        |_| {},
        parse_chain,
        &mut chains,
    )?;
    Ok(chains)
}

/// The network interfaces of this namespace, name and index, from `if_nameindex(3)` (netlink,
/// so the namespace's own; `/sys/class/net` shows the namespace that mounted it).
pub fn list_interfaces() -> io::Result<Vec<(String, u32)>> {
    // SAFETY: if_nameindex returns null or an array ended by an entry with index 0 and a null
    // name; every name is a NUL-terminated string; the array is read before it is freed once.
    unsafe {
        let list = libc::if_nameindex();
        if list.is_null() {
            return Err(io::Error::last_os_error());
        }
        let mut interfaces = Vec::new();
        let mut entry = list;
        while (*entry).if_index != 0 && !(*entry).if_name.is_null() {
            interfaces.push((owned_str((*entry).if_name), (*entry).if_index));
            entry = entry.add(1);
        }
        libc::if_freenameindex(list);
        Ok(interfaces)
    }
}

fn parse_chain(header: &libc::nlmsghdr, chains: &mut Vec<RawChain>) -> libc::c_int {
    // SAFETY: as in parse_set, for a chain: allocated (null checked), parsed, read through
    // attributes reported as set, freed on every path.
    unsafe {
        let chain = sys::nftnl_chain_alloc();
        if chain.is_null() {
            return mnl_sys_error();
        }
        if sys::nftnl_chain_nlmsg_parse(header, chain) < 0 {
            sys::nftnl_chain_free(chain);
            return mnl_sys_error();
        }
        let has = |attr: u32| sys::nftnl_chain_is_set(chain, attr as u16);
        let text = |attr: u32| {
            if has(attr) {
                owned_str(sys::nftnl_chain_get_str(chain, attr as u16))
            } else {
                String::new()
            }
        };
        let u32_of = |attr: u32| has(attr).then(|| sys::nftnl_chain_get_u32(chain, attr as u16));
        chains.push(RawChain {
            family: u32_of(sys::NFTNL_CHAIN_FAMILY).unwrap_or(0),
            table: text(sys::NFTNL_CHAIN_TABLE),
            name: text(sys::NFTNL_CHAIN_NAME),
            hooked: has(sys::NFTNL_CHAIN_HOOKNUM),
            hook: u32_of(sys::NFTNL_CHAIN_HOOKNUM),
            priority: if has(sys::NFTNL_CHAIN_PRIO) {
                sys::nftnl_chain_get_s32(chain, sys::NFTNL_CHAIN_PRIO as u16)
            } else {
                0
            },
            policy: u32_of(sys::NFTNL_CHAIN_POLICY),
            kind: text(sys::NFTNL_CHAIN_TYPE),
        });
        sys::nftnl_chain_free(chain);
    }
    MNL_CB_OK
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
            verdict: has(sys::NFTNL_SET_ELEM_VERDICT).then(|| {
                sys::nftnl_set_elem_get_u32(elem, sys::NFTNL_SET_ELEM_VERDICT as u16) as i32
            }),
            chain: has(sys::NFTNL_SET_ELEM_CHAIN).then(|| {
                owned_str(sys::nftnl_set_elem_get_str(
                    elem,
                    sys::NFTNL_SET_ELEM_CHAIN as u16,
                ))
            }),
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
        let handle = if sys::nftnl_rule_is_set(rule, sys::NFTNL_RULE_HANDLE as u16) {
            sys::nftnl_rule_get_u64(rule, sys::NFTNL_RULE_HANDLE as u16)
        } else {
            0
        };
        rules.push(RawRule {
            family,
            table: owned_str(sys::nftnl_rule_get_str(rule, sys::NFTNL_RULE_TABLE as u16)),
            chain: owned_str(sys::nftnl_rule_get_str(rule, sys::NFTNL_RULE_CHAIN as u16)),
            handle,
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
        let str_of = |attr: u32| {
            if has(attr) {
                owned_str(sys::nftnl_expr_get_str(expr, attr as u16))
            } else {
                String::new()
            }
        };
        let name = owned_str(sys::nftnl_expr_get_str(expr, sys::NFTNL_EXPR_NAME as u16));
        match name.as_str() {
            "payload" => RawExpr::Payload {
                base: u32_of(sys::NFTNL_EXPR_PAYLOAD_BASE),
                offset: u32_of(sys::NFTNL_EXPR_PAYLOAD_OFFSET),
                len: u32_of(sys::NFTNL_EXPR_PAYLOAD_LEN),
                dreg: u32_of(sys::NFTNL_EXPR_PAYLOAD_DREG),
            },
            "meta" => RawExpr::Meta {
                key: u32_of(sys::NFTNL_EXPR_META_KEY),
                dreg: has(sys::NFTNL_EXPR_META_DREG).then(|| u32_of(sys::NFTNL_EXPR_META_DREG)),
            },
            "ct" => RawExpr::Ct {
                key: u32_of(sys::NFTNL_EXPR_CT_KEY),
                dreg: has(sys::NFTNL_EXPR_CT_DREG).then(|| u32_of(sys::NFTNL_EXPR_CT_DREG)),
            },
            "bitwise" => RawExpr::Bitwise {
                sreg: u32_of(sys::NFTNL_EXPR_BITWISE_SREG),
                dreg: u32_of(sys::NFTNL_EXPR_BITWISE_DREG),
                mask: bytes_of(sys::NFTNL_EXPR_BITWISE_MASK),
                xor: bytes_of(sys::NFTNL_EXPR_BITWISE_XOR),
            },
            "cmp" => RawExpr::Cmp {
                sreg: u32_of(sys::NFTNL_EXPR_CMP_SREG),
                op: u32_of(sys::NFTNL_EXPR_CMP_OP),
                data: bytes_of(sys::NFTNL_EXPR_CMP_DATA),
            },
            "range" => RawExpr::Range {
                sreg: u32_of(sys::NFTNL_EXPR_RANGE_SREG),
                op: u32_of(sys::NFTNL_EXPR_RANGE_OP),
                from: bytes_of(sys::NFTNL_EXPR_RANGE_FROM_DATA),
                to: bytes_of(sys::NFTNL_EXPR_RANGE_TO_DATA),
            },
            "lookup" => RawExpr::Lookup {
                sreg: u32_of(sys::NFTNL_EXPR_LOOKUP_SREG),
                dreg: has(sys::NFTNL_EXPR_LOOKUP_DREG).then(|| u32_of(sys::NFTNL_EXPR_LOOKUP_DREG)),
                set: str_of(sys::NFTNL_EXPR_LOOKUP_SET),
                inverted: u32_of(sys::NFTNL_EXPR_LOOKUP_FLAGS) & libc::NFT_LOOKUP_F_INV as u32 != 0,
            },
            "immediate" if has(sys::NFTNL_EXPR_IMM_CHAIN) => {
                let chain = str_of(sys::NFTNL_EXPR_IMM_CHAIN);
                if u32_of(sys::NFTNL_EXPR_IMM_VERDICT) as i32 == libc::NFT_GOTO {
                    RawExpr::Goto(chain)
                } else {
                    RawExpr::Jump(chain)
                }
            }
            "immediate" if has(sys::NFTNL_EXPR_IMM_VERDICT) => {
                RawExpr::Verdict(u32_of(sys::NFTNL_EXPR_IMM_VERDICT) as i32)
            }
            "immediate" => RawExpr::Immediate {
                dreg: u32_of(sys::NFTNL_EXPR_IMM_DREG),
                data: bytes_of(sys::NFTNL_EXPR_IMM_DATA),
            },
            "match" => RawExpr::Match {
                name: str_of(sys::NFTNL_EXPR_MT_NAME),
                rev: u32_of(sys::NFTNL_EXPR_MT_REV),
                info: bytes_of(sys::NFTNL_EXPR_MT_INFO),
            },
            "target" if has(sys::NFTNL_EXPR_TG_NAME) => {
                RawExpr::Target(str_of(sys::NFTNL_EXPR_TG_NAME))
            }
            _ => RawExpr::Other(name),
        }
    }
}
