//! Who the operator is: the addresses of this SSH session (`SSH_CONNECTION`, `SSH_CLIENT`) and
//! of the logged-in sessions in utmp. Banning any of them would lock someone out.

use std::net::IpAddr;
use std::path::Path;

/// Size of one `struct utmp` record on Linux (glibc, 64-bit and 32-bit alike).
const UTMP_RECORD: usize = 384;
/// `ut_type` of a logged-in user.
const USER_PROCESS: i32 = 7;

/// The client address of this SSH session, if any.
pub fn ssh_client_address() -> Option<IpAddr> {
    ["SSH_CONNECTION", "SSH_CLIENT"].iter().find_map(|name| {
        std::env::var(name)
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// This SSH session's client address and the server port it came in on: `SSH_CONNECTION`
/// (`client port server port`), else `SSH_CLIENT` (`client port server-port`).
pub fn ssh_session() -> Option<(IpAddr, u16)> {
    let read = |name: &str, port_field: usize| {
        let value = std::env::var(name).ok()?;
        let fields: Vec<&str> = value.split_whitespace().collect();
        Some((
            fields.first()?.parse().ok()?,
            fields.get(port_field)?.parse().ok()?,
        ))
    };
    read("SSH_CONNECTION", 3).or_else(|| read("SSH_CLIENT", 2))
}

/// This session's address first, then the remote addresses of logged-in sessions in `utmp`.
pub fn operator_addresses(utmp: &Path) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = ssh_client_address().into_iter().collect();
    for address in utmp_addresses(&std::fs::read(utmp).unwrap_or_default()) {
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses
}

/// Remote addresses of `USER_PROCESS` records: `ut_addr_v6`, else `ut_host` when it is an
/// address.
pub fn utmp_addresses(data: &[u8]) -> Vec<IpAddr> {
    data.chunks_exact(UTMP_RECORD)
        .filter(|record| {
            i32::from_ne_bytes([record[0], record[1], record[2], record[3]]) == USER_PROCESS
        })
        .filter_map(|record| {
            let words: Vec<[u8; 4]> = record[348..364]
                .chunks_exact(4)
                .map(|w| [w[0], w[1], w[2], w[3]])
                .collect();
            let v6: Vec<u8> = words.concat();
            let address = if words[1..].iter().all(|w| *w == [0; 4]) {
                IpAddr::from(words[0])
            } else {
                let bytes: [u8; 16] = v6.try_into().ok()?;
                IpAddr::from(bytes)
            };
            if !address.is_unspecified() {
                return Some(address);
            }
            let host = &record[76..332];
            let host = String::from_utf8_lossy(
                &host[..host.iter().position(|b| *b == 0).unwrap_or(host.len())],
            )
            .to_string();
            host.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: i32, host: &str, address: [u8; 4]) -> Vec<u8> {
        let mut record = vec![0u8; UTMP_RECORD];
        record[..4].copy_from_slice(&kind.to_ne_bytes());
        record[76..76 + host.len()].copy_from_slice(host.as_bytes());
        record[348..352].copy_from_slice(&address);
        record
    }

    #[test]
    fn logged_in_sessions_give_their_addresses() {
        let mut data = record(USER_PROCESS, "", [203, 0, 113, 9]);
        data.extend(record(USER_PROCESS, "2001:db8::7", [0; 4]));
        data.extend(record(8, "", [198, 51, 100, 1]));
        data.extend(record(USER_PROCESS, "console", [0; 4]));
        let addresses: Vec<String> = utmp_addresses(&data)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(addresses, ["203.0.113.9", "2001:db8::7"]);
    }
}
