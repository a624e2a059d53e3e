//! The addresses a failure counts against, as fail2ban's `findFailure` and
//! `DNSUtils.textToIp` make them from the host a failregex found: an address from `ip4`/`ip6`
//! (or a failure id) is taken as it is; a name from `dns` is an address when it reads as one,
//! else, with `usedns = yes` or `warn`, every address it resolves to (none: no failure), with
//! `no` nothing, and with `raw` the text itself.

use super::FilterMatch;
use std::net::IpAddr;

/// fail2ban's `usedns` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UseDns {
    /// Resolve host names.
    Yes,
    /// Resolve host names, with a warning in fail2ban's log (its default).
    #[default]
    Warn,
    /// Never resolve: a failure from a name counts for nothing.
    No,
    /// Count the host text as it is.
    Raw,
}

impl UseDns {
    /// fail2ban's `setUseDns`: case-insensitive, and anything else is the safe `no`.
    pub fn of(text: Option<&str>) -> UseDns {
        match text.map(|t| t.trim().to_lowercase()).as_deref() {
            None => UseDns::Warn,
            Some("yes") | Some("true") => UseDns::Yes,
            Some("warn") => UseDns::Warn,
            Some("raw") => UseDns::Raw,
            Some(_) => UseDns::No,
        }
    }
}

/// What a failure is counted under.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureIds {
    /// These addresses (none: the failure counts for nothing).
    Addresses(Vec<IpAddr>),
    /// The host text itself (a failure id, a raw host, or an address fail2ban keeps as text).
    Text(String),
}

/// The ids of `found`; `resolve` looks a name up (only called for names, with `yes`/`warn`).
pub fn failure_ids(
    found: &FilterMatch,
    usedns: UseDns,
    resolve: &mut dyn FnMut(&str) -> Vec<IpAddr>,
) -> FailureIds {
    let from_dns = found.captures.contains_key("dns")
        && !found.captures.contains_key("ip4")
        && !found.captures.contains_key("ip6");
    if !from_dns || usedns == UseDns::Raw {
        return match found.host.parse::<IpAddr>() {
            Ok(ip) => FailureIds::Addresses(vec![ip]),
            Err(_) => FailureIds::Text(found.host.clone()),
        };
    }
    if let Some(ip) = search_ip(&found.host) {
        return FailureIds::Addresses(vec![ip]);
    }
    match usedns {
        UseDns::Yes | UseDns::Warn => FailureIds::Addresses(resolve(&found.host)),
        _ => FailureIds::Addresses(Vec::new()),
    }
}

/// fail2ban's `IPAddr.searchIP`: the whole text an IPv4 address, or an IPv6 one in optional
/// brackets, and valid.
fn search_ip(text: &str) -> Option<IpAddr> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    inner.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(host: &str, group: &str) -> FilterMatch {
        FilterMatch {
            fid: 0,
            host: host.to_string(),
            time: None,
            captures: [(group.to_string(), host.to_string())].into(),
            attempts: 1,
            users: Vec::new(),
        }
    }

    #[test]
    fn names_resolve_only_where_fail2ban_resolves_them() {
        let office: IpAddr = "192.0.2.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut resolve = |name: &str| {
            if name == "office.example.org" {
                vec![office]
            } else {
                Vec::new()
            }
        };
        let name = found("office.example.org", "dns");
        assert_eq!(
            failure_ids(&name, UseDns::Warn, &mut resolve),
            FailureIds::Addresses(vec![office])
        );
        assert_eq!(
            failure_ids(&name, UseDns::No, &mut resolve),
            FailureIds::Addresses(Vec::new())
        );
        assert_eq!(
            failure_ids(&name, UseDns::Raw, &mut resolve),
            FailureIds::Text("office.example.org".to_string())
        );
        assert_eq!(
            failure_ids(&found("nowhere.invalid", "dns"), UseDns::Yes, &mut resolve),
            FailureIds::Addresses(Vec::new())
        );
        assert_eq!(
            failure_ids(&found("192.0.2.9", "ip4"), UseDns::No, &mut resolve),
            FailureIds::Addresses(vec!["192.0.2.9".parse().unwrap_or(office)])
        );
        assert_eq!(
            failure_ids(&found("session-42", "fid"), UseDns::Warn, &mut resolve),
            FailureIds::Text("session-42".to_string())
        );
        assert_eq!(UseDns::of(Some("WARN")), UseDns::Warn);
        assert_eq!(UseDns::of(Some("maybe")), UseDns::No);
    }
}
