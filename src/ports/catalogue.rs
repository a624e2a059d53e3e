//! The Wazo platform's port table (vendor's security guide): which service listens where, and
//! whether it is meant to be reachable from outside. A loopback-only service found on a public
//! address, or an unknown service listening publicly, is a finding.

use crate::model::port::{Port, Proto, Reach, Scope, Severity};
use std::net::IpAddr;

/// Where a known service is meant to listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// On every address.
    Public,
    /// On 127.0.0.1 only.
    LoopbackOnly,
    /// Public, but disabled on a default install.
    DisabledByDefault,
}

/// (proto, first port, last port, service, where it should listen)
const TABLE: &[(Proto, u16, u16, &str, Expected)] = &[
    (Proto::Tcp, 22, 22, "ssh", Expected::Public),
    (Proto::Tcp, 25, 25, "smtp (postfix)", Expected::Public),
    (Proto::Udp, 67, 68, "dhcp", Expected::DisabledByDefault),
    (Proto::Udp, 69, 69, "tftp (wazo-provd)", Expected::Public),
    (Proto::Tcp, 80, 80, "http (nginx)", Expected::Public),
    (Proto::Udp, 123, 123, "ntp", Expected::Public),
    (Proto::Tcp, 443, 443, "https (nginx)", Expected::Public),
    (Proto::Tcp, 2000, 2000, "sccp (asterisk)", Expected::Public),
    (Proto::Tcp, 2812, 2812, "monit", Expected::LoopbackOnly),
    (Proto::Udp, 4569, 4569, "iax (asterisk)", Expected::Public),
    (Proto::Tcp, 4949, 4949, "munin", Expected::LoopbackOnly),
    (
        Proto::Tcp,
        5038,
        5038,
        "AMI (asterisk manager)",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        5039,
        5039,
        "asterisk http",
        Expected::LoopbackOnly,
    ),
    (Proto::Udp, 5060, 5060, "sip (asterisk)", Expected::Public),
    (
        Proto::Tcp,
        5060,
        5060,
        "sip over tcp (asterisk)",
        Expected::Public,
    ),
    (Proto::Tcp, 5432, 5432, "postgresql", Expected::LoopbackOnly),
    (Proto::Tcp, 5672, 5672, "rabbitmq", Expected::Public),
    (Proto::Tcp, 8666, 8666, "wazo-provd", Expected::LoopbackOnly),
    (
        Proto::Tcp,
        8667,
        8667,
        "nginx -> wazo-provd (no authentication)",
        Expected::Public,
    ),
    (
        Proto::Tcp,
        8668,
        8668,
        "wazo-sysconfd",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        8669,
        8669,
        "xivo-confgend",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        9298,
        9298,
        "wazo-call-logd",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        9300,
        9300,
        "wazo-webhookd",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        9302,
        9302,
        "wazo-setupd",
        Expected::LoopbackOnly,
    ),
    (Proto::Tcp, 9304, 9304, "wazo-chatd", Expected::LoopbackOnly),
    (Proto::Tcp, 9486, 9486, "wazo-confd", Expected::LoopbackOnly),
    (Proto::Tcp, 9489, 9489, "wazo-dird", Expected::LoopbackOnly),
    (Proto::Tcp, 9491, 9491, "wazo-amid", Expected::LoopbackOnly),
    (
        Proto::Tcp,
        9493,
        9493,
        "wazo-agentd",
        Expected::LoopbackOnly,
    ),
    (Proto::Tcp, 9497, 9497, "wazo-auth", Expected::LoopbackOnly),
    (
        Proto::Tcp,
        9498,
        9499,
        "wazo-phoned (IP filtering)",
        Expected::Public,
    ),
    (Proto::Tcp, 9500, 9500, "wazo-calld", Expected::LoopbackOnly),
    (
        Proto::Tcp,
        9502,
        9502,
        "wazo-websocketd",
        Expected::LoopbackOnly,
    ),
    (
        Proto::Tcp,
        9503,
        9503,
        "wazo-plugind",
        Expected::LoopbackOnly,
    ),
    (Proto::Udp, 10000, 20000, "rtp (asterisk)", Expected::Public),
    (
        Proto::Tcp,
        18667,
        18667,
        "wazo-provd",
        Expected::LoopbackOnly,
    ),
];

/// What the table says about one socket.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The known service, if any.
    pub service: Option<String>,
    /// How worrying it is.
    pub severity: Severity,
    /// Why, when it is not fine.
    pub finding: Option<String>,
}

/// Judges a socket on `port`/`proto` reachable from `scope`.
pub fn assess(proto: Proto, port: u16, scope: Scope) -> Assessment {
    let known = TABLE
        .iter()
        .find(|(p, first, last, ..)| *p == proto && (*first..=*last).contains(&port));
    let service = known.map(|(.., name, _)| name.to_string());
    let (severity, finding) = match (known.map(|(.., expected)| *expected), scope) {
        (_, Scope::Loopback) => (Severity::Ok, None),
        (Some(Expected::LoopbackOnly), _) => {
            (Severity::Fail, Some("meant for 127.0.0.1 only, but reachable from outside: bind it to loopback or firewall it".to_string()))
        }
        (Some(Expected::DisabledByDefault), _) => (Severity::Warn, Some("disabled on a default install: is it meant to run?".to_string())),
        (Some(Expected::Public), _) if port == 8667 => {
            (Severity::Warn, Some("provisioning without authentication: restrict it to the phones' networks".to_string()))
        }
        (Some(Expected::Public), _) => (Severity::Ok, None),
        (None, _) => (Severity::Warn, Some("unknown service listening publicly: is it meant to be exposed?".to_string())),
    };
    Assessment {
        service,
        severity,
        finding,
    }
}

/// A socket's owner as far as it is known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Owner {
    /// The process id.
    pub pid: Option<u32>,
    /// The process name.
    pub process: Option<String>,
    /// Why the process is unknown, when it is.
    pub unknown: Option<String>,
    /// The socket's user.
    pub user: String,
}

/// A listening socket judged against the table.
pub fn port(proto: Proto, address: IpAddr, number: u16, owner: Owner) -> Port {
    let scope = scope_of(address);
    let assessment = assess(proto, number, scope);
    Port {
        proto,
        address,
        port: number,
        pid: owner.pid,
        process: owner.process,
        owner_unknown: owner.unknown,
        user: owner.user,
        scope,
        service: assessment.service,
        severity: assessment.severity,
        finding: assessment.finding,
        firewall: Reach::Unknown,
        allowed_from: Vec::new(),
        firewall_rule: None,
        firewall_reason: Some("the firewall was not read".to_string()),
    }
}

/// Weighs a port's finding with what the firewall lets through: a loopback-only service
/// listening on every address is a warning, not a failure, when the firewall closes it or lets
/// only some sources reach it; provisioning restricted to some networks is as advised.
pub fn weigh_firewall(port: &mut Port) {
    if port.scope == Scope::Loopback {
        return;
    }
    let rule = port
        .firewall_rule
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let from = port.allowed_from.join(", ");
    match (port.firewall, port.severity) {
        (Reach::Closed, Severity::Fail) => {
            port.severity = Severity::Warn;
            port.finding = Some(format!(
                "meant for 127.0.0.1 only and listening on every address; the firewall closes it{rule}: bind it to loopback to be sure"
            ));
        }
        (Reach::Closed, Severity::Warn) => {
            port.severity = Severity::Ok;
            port.finding = Some(format!("closed by the firewall{rule}"));
        }
        (Reach::Restricted, Severity::Fail) => {
            port.severity = Severity::Warn;
            port.finding = Some(format!(
                "meant for 127.0.0.1 only; the firewall lets {from} reach it{rule}"
            ));
        }
        (Reach::Restricted, Severity::Warn) if port.port == 8667 => {
            port.severity = Severity::Ok;
            port.finding = Some(format!("provisioning restricted to {from}{rule}"));
        }
        _ => {}
    }
}

/// The networks the platform's advice allows to reach a port, and the advice in words: AMI,
/// PostgreSQL and the other loopback-only services never from outside; provisioning only from
/// the phones' networks; SIP from trusted networks when the site has no remote phones; the
/// private ranges stand for the site's own networks, to be edited.
pub fn advised_allow(proto: Proto, port: u16) -> (Vec<ipnet::IpNet>, String) {
    let private = || {
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    let assessment = assess(proto, port, Scope::All);
    let service = assessment
        .service
        .unwrap_or_else(|| "this service".to_string());
    if assessment.severity == Severity::Fail {
        return (
            Vec::new(),
            format!("{service}: never public; loopback only (nothing typed)"),
        );
    }
    let advice = match port {
        8667 => "provisioning only from the phones' networks: edit the private ranges to yours",
        5060 | 5061 => {
            "SIP from trusted networks when the site has no remote phones: edit to your networks"
        }
        _ => "the private ranges stand for your networks: edit them",
    };
    (private(), format!("{service}: {advice}"))
}

/// Who can reach a socket bound to `address`.
fn scope_of(address: IpAddr) -> Scope {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    if address.is_unspecified() {
        Scope::All
    } else if address.is_loopback() {
        Scope::Loopback
    } else {
        Scope::Specific
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn loopback_services_on_public_addresses_are_findings() {
        assert_eq!(
            assess(Proto::Tcp, 5432, Scope::Loopback).severity,
            Severity::Ok
        );
        assert_eq!(
            assess(Proto::Tcp, 5432, Scope::All).severity,
            Severity::Fail
        );
        assert_eq!(
            assess(Proto::Tcp, 5038, Scope::Specific).severity,
            Severity::Fail
        );
        assert_eq!(
            assess(Proto::Udp, 5060, Scope::All),
            Assessment {
                service: Some("sip (asterisk)".into()),
                severity: Severity::Ok,
                finding: None
            }
        );
        assert_eq!(
            assess(Proto::Udp, 15000, Scope::All).service.as_deref(),
            Some("rtp (asterisk)")
        );
        assert_eq!(
            assess(Proto::Tcp, 31337, Scope::All).severity,
            Severity::Warn
        );
        assert_eq!(
            assess(Proto::Tcp, 31337, Scope::Loopback).severity,
            Severity::Ok
        );
        assert_eq!(
            assess(Proto::Tcp, 8667, Scope::All).severity,
            Severity::Warn
        );
    }

    #[test]
    fn scopes() {
        let scope = |text: &str| scope_of(text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST)));
        assert_eq!(scope("0.0.0.0"), Scope::All);
        assert_eq!(scope("::"), Scope::All);
        assert_eq!(scope("127.0.0.53"), Scope::Loopback);
        assert_eq!(scope("::ffff:127.0.0.1"), Scope::Loopback);
        assert_eq!(scope("192.0.2.4"), Scope::Specific);
    }
}
