//! `bantop restrict PORT/PROTO --allow CIDR... [--keep]` and `bantop unrestrict PORT/PROTO`:
//! the exact rules first, then the kernel's own reading of the port afterwards. Without
//! `--keep`, the restriction is pending: a watchdog process rolls it back at the deadline unless
//! the operator confirms at the prompt, from this terminal, in time.

use crate::engine::clock::now_epoch;
use crate::engine::exposure::port_now;
use crate::engine::operator::ssh_session;
use crate::engine::restrictions::Restrictions;
use crate::model::restriction::{
    LOOPBACK_RULE, MAX_ALLOWED, Restriction, cuts_session, parse_allowed, parse_port,
};
use crate::ports::catalogue::advised_allow;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// What `bantop restrict` was asked.
#[derive(Debug, Clone)]
pub struct RestrictRequest<'a> {
    /// `PORT/PROTO`.
    pub port: &'a str,
    /// The allowed networks as typed.
    pub allow: &'a [String],
    /// No rollback timer.
    pub keep: bool,
    /// Seconds to confirm in.
    pub rollback_after: u64,
}

/// Exit status when a restriction was rolled back for want of a confirmation.
const ROLLED_BACK: u8 = 3;

/// Applies a restriction, then asks for the confirmation unless `--keep`.
pub fn restrict(
    state_dir: &Path,
    request: &RestrictRequest<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let restriction = planned(request)?;
    if let Some(refusal) = cuts_session(&restriction, ssh_session()) {
        anyhow::bail!(refusal);
    }
    let (advised, advice) = advised_allow(restriction.proto, restriction.port);
    if advised != restriction.allow {
        writeln!(out, "advice for {}: {advice}", restriction.label())?;
    }
    writeln!(
        out,
        "table inet bantop, chain restrict (hook input, priority -10), rules for {}:",
        restriction.label()
    )?;
    writeln!(out, "  {LOOPBACK_RULE}")?;
    for rule in restriction.rules() {
        writeln!(out, "  {rule}")?;
    }
    let restrictions = Restrictions::new(state_dir);
    // The dead-man switch is armed before the rules go in: a terminal lost right after the
    // write still has its restriction rolled back (a watchdog that finds nothing pending at its
    // deadline does nothing).
    let watchdog = restriction
        .rollback_at
        .map(|deadline| restrictions.spawn_watchdog(deadline));
    restrictions.apply(restriction.clone())?;
    let (Some(deadline), Some(watchdog)) = (restriction.rollback_at, watchdog) else {
        restrictions.audit("restrict", &restriction, "applied and kept (--keep)");
        writeln!(out, "{}", port_now(restriction.port, restriction.proto))?;
        return say_kept(&restrictions, out);
    };
    restrictions.audit(
        "restrict",
        &restriction,
        &format!(
            "applied, pending: rolled back in {} s unless confirmed",
            request.rollback_after
        ),
    );
    writeln!(out, "{}", port_now(restriction.port, restriction.proto))?;
    if let Err(error) = &watchdog {
        writeln!(
            out,
            "warning: the rollback watchdog did not start ({error}): the timer runs only while this command does"
        )?;
    }
    write!(
        out,
        "Keep it? Type y and Enter within {} s; anything else, or nothing, rolls it back: ",
        request.rollback_after
    )?;
    out.flush()?;
    let confirmed = answer_within(deadline - now_epoch()).is_some_and(|line| {
        matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "keep"
        )
    });
    writeln!(out)?;
    if confirmed
        && now_epoch() < deadline
        && restrictions.keep(restriction.port, restriction.proto)?
    {
        restrictions.audit("restrict kept", &restriction, "confirmed at the prompt");
        return say_kept(&restrictions, out);
    }
    let reverted = restrictions.revert(restriction.port, restriction.proto)?;
    if let Some(back) = &reverted {
        restrictions.audit("restrict rolled back", &restriction, &back.describe());
    }
    writeln!(
        out,
        "rolled back: not confirmed{}",
        reverted
            .map(|back| format!("; {}", back.describe()))
            .unwrap_or_default()
    )?;
    writeln!(out, "{}", port_now(restriction.port, restriction.proto))?;
    Ok(ROLLED_BACK)
}

/// The last line of a kept restriction: where it is saved.
fn say_kept(restrictions: &Restrictions, out: &mut dyn Write) -> anyhow::Result<u8> {
    writeln!(
        out,
        "kept (saved in {}, restored after a reboot)",
        restrictions.path().display()
    )?;
    Ok(super::OK)
}

/// The restriction a request asks for, checked.
fn planned(request: &RestrictRequest<'_>) -> anyhow::Result<Restriction> {
    let (port, proto) = parse_port(request.port).map_err(anyhow::Error::msg)?;
    let mut allow = Vec::new();
    for text in request.allow {
        let net = parse_allowed(text).map_err(anyhow::Error::msg)?;
        if !allow.contains(&net) {
            allow.push(net);
        }
    }
    if allow.len() > MAX_ALLOWED {
        anyhow::bail!("{} networks allowed: at most {MAX_ALLOWED}", allow.len());
    }
    if request.rollback_after == 0 && !request.keep {
        anyhow::bail!("--rollback-after 0 would roll it back at once: use --keep to keep it");
    }
    let now = now_epoch();
    Ok(Restriction {
        port,
        proto,
        allow,
        rollback_at: (!request.keep).then_some(now + request.rollback_after as f64),
        since: now,
        replaced: None,
    })
}

/// A line from stdin within `seconds`; `None` at the deadline or at the end of the input.
fn answer_within(seconds: f64) -> Option<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line);
        if matches!(read, Ok(n) if n > 0) {
            let _ = sender.send(line);
        }
    });
    receiver
        .recv_timeout(Duration::from_secs_f64(seconds.max(0.0)))
        .ok()
}

/// Lifts a port's restriction.
pub fn unrestrict(state_dir: &Path, port: &str, out: &mut dyn Write) -> anyhow::Result<u8> {
    let (port, proto) = parse_port(port).map_err(anyhow::Error::msg)?;
    let restrictions = Restrictions::new(state_dir);
    match restrictions.remove(port, proto)? {
        Some(removed) => {
            restrictions.audit("unrestrict", &removed, "removed");
            writeln!(out, "lifted the restriction of {}", removed.label())?;
        }
        None => writeln!(
            out,
            "{} has no restriction of bantop's",
            crate::model::restriction::port_label(port, proto)
        )?,
    }
    writeln!(out, "{}", port_now(port, proto))?;
    Ok(super::OK)
}
