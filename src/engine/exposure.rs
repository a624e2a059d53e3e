//! The listening ports with what the kernel's firewall lets reach them: `/proc`'s sockets
//! judged against the ruleset read over netlink, for `bantop ports`, the checklist and the
//! TUI's ports view.

use crate::firewall::kernel;
use crate::firewall::reachability::{Reachability, reachability};
use crate::firewall::ruleset::{self, Ruleset};
use crate::model::firewall::KernelFirewall;
use crate::model::port::Port;
use crate::ports::{PortsError, catalogue, listening_ports};
use std::path::Path;

/// Every listening socket under `proc`, with its firewall verdict.
pub fn exposed_ports(proc: &Path) -> Result<Vec<Port>, PortsError> {
    ports_and_firewall(proc).0
}

/// The listening sockets with their verdicts, and what the firewall drops, from one reading of
/// the ruleset (the checklist needs both).
pub fn ports_and_firewall(
    proc: &Path,
) -> (
    Result<Vec<Port>, PortsError>,
    Result<KernelFirewall, String>,
) {
    let ruleset = ruleset::read(proc).map_err(|e| kernel::describe_error(&e));
    let ports = listening_ports(proc).map(|mut ports| {
        judge_ports(&mut ports, ruleset.as_ref().map_err(String::as_str));
        ports
    });
    (ports, ruleset.map(|r| kernel::from_ruleset(&r)))
}

/// Sets each port's `firewall`, `allowed_from`, `firewall_rule` and `firewall_reason` from the
/// ruleset, or to `unknown` with the error when it could not be read, and weighs its finding.
pub fn judge_ports(ports: &mut [Port], ruleset: Result<&Ruleset, &str>) {
    for port in ports {
        let verdict = match ruleset {
            Ok(ruleset) => reachability(ruleset, port.proto, port.address, port.port),
            Err(error) => Reachability::unknown(format!("the ruleset was not read: {error}"), None),
        };
        port.firewall = verdict.reach;
        port.allowed_from = verdict.allowed_from;
        port.firewall_rule = verdict.rule;
        port.firewall_reason = verdict.reason;
        catalogue::weigh_firewall(port);
    }
}

/// What the kernel's ruleset lets reach `port`/`proto` now, read back after a write: one line.
pub fn port_now(port: u16, proto: crate::model::port::Proto) -> String {
    let label = crate::model::restriction::port_label(port, proto);
    let any = std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
    match ruleset::read(Path::new("/proc")) {
        Ok(ruleset) => {
            let verdict = reachability(&ruleset, proto, any, port);
            let mut line = format!(
                "{label} from outside, as the kernel now reads: {}",
                verdict.reach.name()
            );
            if !verdict.allowed_from.is_empty() {
                line.push_str(&format!(" from {}", verdict.allowed_from.join(", ")));
            }
            if let Some(rule) = verdict.rule {
                line.push_str(&format!(" (by {rule})"));
            }
            if let Some(reason) = verdict.reason {
                line.push_str(&format!("; {reason}"));
            }
            line
        }
        Err(error) => format!(
            "{label}: the ruleset could not be read back: {}",
            kernel::describe_error(&error)
        ),
    }
}
