//! `bantop ports [--json]`: every listening socket with its owner, known service and finding.

use crate::model::port::{Port, Severity};
use crate::ports::listening_ports;
use std::io::Write;
use std::path::Path;

/// Writes the ports under `proc` (normally `/proc`) to `out`.
pub fn run(proc: &Path, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let ports = listening_ports(proc)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &ports)?;
        writeln!(out)?;
    } else {
        write_table(&ports, out)?;
    }
    Ok(super::OK)
}

fn write_table(ports: &[Port], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<5} {:<40} {:<9} {:<24} {:<10} {:<28} FINDING",
        "PROTO", "ADDRESS:PORT", "SCOPE", "PROCESS", "USER", "SERVICE"
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
            "{:<5} {address:<40} {:<9} {process:<24} {:<10} {service:<28} {finding}",
            format!("{:?}", port.proto).to_lowercase(),
            format!("{:?}", port.scope).to_lowercase(),
            port.user
        )?;
    }
    Ok(())
}
