//! `bantop ports [--json]`: every listening socket with its owner, known service, what the
//! kernel's firewall lets reach it, and finding.

use crate::engine::exposure::exposed_ports;
use crate::model::port::{Port, Reach, Severity};
use std::io::Write;
use std::path::Path;

/// Writes the ports under `proc` (normally `/proc`) to `out`.
pub fn run(proc: &Path, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let ports = exposed_ports(proc)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &ports)?;
        writeln!(out)?;
    } else {
        write_table(&ports, out)?;
    }
    Ok(super::OK)
}

/// The firewall's verdict in words, under the port's line: the sources allowed, the deciding
/// rule, and why it is unknown.
fn firewall_line(port: &Port) -> Option<String> {
    let mut parts = Vec::new();
    if !port.allowed_from.is_empty() {
        parts.push(format!("from {}", port.allowed_from.join(", ")));
    }
    if let Some(rule) = &port.firewall_rule {
        let by = if port.firewall == Reach::Unknown {
            "at"
        } else {
            "by"
        };
        parts.push(format!("{by} {rule}"));
    }
    if let Some(reason) = &port.firewall_reason {
        parts.push(reason.clone());
    }
    (!parts.is_empty() && port.scope != crate::model::port::Scope::Loopback)
        .then(|| format!("firewall: {} {}", port.firewall.name(), parts.join("; ")))
}

fn write_table(ports: &[Port], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<5} {:<40} {:<9} {:<24} {:<10} {:<28} {:<10} FINDING",
        "PROTO", "ADDRESS:PORT", "SCOPE", "PROCESS", "USER", "SERVICE", "FIREWALL"
    )?;
    for port in ports {
        let address = match port.address {
            std::net::IpAddr::V6(v6) => format!("[{v6}]:{}", port.port),
            v4 => format!("{v4}:{}", port.port),
        };
        let process = match (&port.pid, &port.process) {
            (Some(pid), Some(name)) => format!("{pid}/{name}"),
            _ => "-".to_string(),
        };
        let finding = match (port.severity, &port.finding, &port.owner_unknown) {
            (Severity::Ok, None, Some(why)) => format!("(owner: {why})"),
            (severity, Some(finding), _) => {
                format!("{}: {finding}", format!("{severity:?}").to_uppercase())
            }
            _ => String::new(),
        };
        let service = port.service.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{:<5} {address:<40} {:<9} {process:<24} {:<10} {service:<28} {:<10} {finding}",
            format!("{:?}", port.proto).to_lowercase(),
            format!("{:?}", port.scope).to_lowercase(),
            port.user,
            port.firewall.name(),
        )?;
        if let Some(line) = firewall_line(port) {
            writeln!(out, "{:<6}{line}", "")?;
        }
    }
    Ok(())
}
