//! Listening TCP and UDP sockets, IPv4 and IPv6, from `/proc/net/{tcp,tcp6,udp,udp6}`, with
//! their owning processes found through `/proc/<pid>/fd`. Processes of other users are left
//! blank with a reason when bantop is not root; nothing here fails on an unreadable entry.

use super::catalogue;
use crate::model::port::{Port, Proto};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// TCP state `LISTEN` in `/proc/net/tcp`.
const TCP_LISTEN: &str = "0A";
/// UDP sockets not connected to a peer show state `CLOSE`.
const UDP_UNCONNECTED: &str = "07";

/// The socket tables could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct PortsError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// A socket line of `/proc/net/*` before its owner is known.
#[derive(Debug, Clone, PartialEq)]
struct RawSocket {
    proto: Proto,
    address: IpAddr,
    port: u16,
    uid: u32,
    inode: u64,
}

/// Every listening socket under `proc` (normally `/proc`), sorted by protocol, port, address.
pub fn listening_ports(proc: &Path) -> Result<Vec<Port>, PortsError> {
    let mut sockets = Vec::new();
    let mut read_any = false;
    for (file, proto, state) in [
        ("tcp", Proto::Tcp, TCP_LISTEN),
        ("tcp6", Proto::Tcp, TCP_LISTEN),
        ("udp", Proto::Udp, UDP_UNCONNECTED),
        ("udp6", Proto::Udp, UDP_UNCONNECTED),
    ] {
        let path = proc.join("net").join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                read_any = true;
                sockets.extend(
                    text.lines()
                        .skip(1)
                        .filter_map(|line| parse_line(line, proto, state)),
                );
            }
            // An IPv6-less kernel has no tcp6/udp6.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && file.ends_with('6') => {}
            Err(source) => return Err(PortsError { path, source }),
        }
    }
    if !read_any {
        return Err(PortsError {
            path: proc.join("net"),
            source: std::io::Error::other("no socket table"),
        });
    }
    let owners = socket_owners(proc);
    let users = user_names();
    let root = is_root();
    let mut ports: Vec<Port> = sockets
        .into_iter()
        .map(|socket| {
            let owner = owners.get(&socket.inode);
            let unknown = match owner {
                Some(_) => None,
                None if root => Some("no process holds it (kernel socket?)".to_string()),
                None => {
                    Some("not visible: another user's process (run as root to see it)".to_string())
                }
            };
            let user = users
                .get(&socket.uid)
                .cloned()
                .unwrap_or_else(|| socket.uid.to_string());
            let owner = catalogue::Owner {
                pid: owner.map(|(pid, _)| *pid),
                process: owner.map(|(_, name)| name.clone()),
                unknown,
                user,
            };
            catalogue::port(socket.proto, socket.address, socket.port, owner)
        })
        .collect();
    ports.sort_by_key(|p| (p.proto, p.port, p.address));
    ports.dedup_by(|a, b| {
        a.proto == b.proto && a.port == b.port && a.address == b.address && a.pid == b.pid
    });
    Ok(ports)
}

/// `sl local rem st ... uid timeout inode` -> a socket in the wanted state.
fn parse_line(line: &str, proto: Proto, wanted_state: &str) -> Option<RawSocket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (local, state, uid, inode) = (
        fields.get(1)?,
        fields.get(3)?,
        fields.get(7)?,
        fields.get(9)?,
    );
    if *state != wanted_state {
        return None;
    }
    if proto == Proto::Udp && !fields.get(2)?.split(':').next()?.chars().all(|c| c == '0') {
        return None; // connected to a peer: a client socket, not a listener
    }
    let (address, port) = local.split_once(':')?;
    Some(RawSocket {
        proto,
        address: parse_address(address)?,
        port: u16::from_str_radix(port, 16).ok()?,
        uid: uid.parse().ok()?,
        inode: inode.parse().ok()?,
    })
}

/// The kernel prints addresses as 32-bit words in host (little-endian) order.
fn parse_address(hex: &str) -> Option<IpAddr> {
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok())
        .collect::<Option<_>>()?;
    match words.as_slice() {
        [word] => Some(IpAddr::V4(Ipv4Addr::from(word.to_le_bytes()))),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, word) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// The machine's own addresses: IPv4 `LOCAL` routes of `fib_trie` and the IPv6 addresses of
/// `if_inet6` under `proc` (what fail2ban's `ignoreself` ignores).
pub fn local_addresses(proc: &Path) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    let trie = std::fs::read_to_string(proc.join("net/fib_trie")).unwrap_or_default();
    let lines: Vec<&str> = trie.lines().collect();
    for pair in lines.windows(2) {
        if pair[1].trim() == "/32 host LOCAL"
            && let Some(Ok(address)) = pair[0]
                .trim()
                .strip_prefix("|-- ")
                .map(str::parse::<Ipv4Addr>)
        {
            addresses.push(IpAddr::V4(address));
        }
    }
    let inet6 = std::fs::read_to_string(proc.join("net/if_inet6")).unwrap_or_default();
    addresses.extend(
        inet6
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter_map(|hex| parse_address(hex).filter(|_| hex.len() == 32)),
    );
    addresses.sort();
    addresses.dedup();
    addresses
}

/// Socket inode -> (pid, process name), for every process whose fds can be read.
fn socket_owners(proc: &Path) -> HashMap<u64, (u32, String)> {
    let mut owners = HashMap::new();
    let Ok(entries) = std::fs::read_dir(proc) else {
        return owners;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let name = std::fs::read_to_string(entry.path().join("comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let inode = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok());
            if let Some(inode) = inode {
                owners.entry(inode).or_insert_with(|| (pid, name.clone()));
            }
        }
    }
    owners
}

/// uid -> user name from `/etc/passwd` (numbers are shown where it cannot be read).
fn user_names() -> HashMap<u32, String> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|u| u.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kernel_socket_lines() {
        let tcp = "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 23456 1 0000000000000000 100 0 0 10 0";
        let socket = parse_line(tcp, Proto::Tcp, TCP_LISTEN);
        assert_eq!(
            socket,
            Some(RawSocket {
                proto: Proto::Tcp,
                address: "127.0.0.1"
                    .parse()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                port: 3306,
                uid: 106,
                inode: 23456
            })
        );
        let established = tcp.replace(" 0A ", " 01 ");
        assert_eq!(parse_line(&established, Proto::Tcp, TCP_LISTEN), None);
        let v6 = "   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1";
        assert_eq!(
            parse_line(v6, Proto::Tcp, TCP_LISTEN).map(|s| (s.address.to_string(), s.port)),
            Some(("::1".to_string(), 22))
        );
        let connected_udp = "  2: 0100007F:13C4 0200A8C0:13C4 07 00000000:00000000 00:00000000 00000000     0        0 5 2";
        assert_eq!(parse_line(connected_udp, Proto::Udp, UDP_UNCONNECTED), None);
    }

    #[test]
    fn local_addresses_include_loopback() {
        let local = local_addresses(Path::new("/proc"));
        assert!(
            local.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "{local:?}"
        );
    }
}
