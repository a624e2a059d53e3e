//! The ACLs that guard SIP: every PJSIP endpoint's `permit`/`deny`/`acl` (templates applied),
//! the global `type=acl` sections of pjsip.conf, and the named ACLs of acl.conf they refer to.
//! A source must pass an object's own list and every named ACL. Lints flag what the vendor
//! warns about: `permit` mixed with `deny` (its generator does not keep their order) and
//! spaces after commas.

use super::acl::{Acl, Decision};
use super::conf::{AsteriskConf, ConfError, Entry, Origin};
use std::net::IpAddr;
use std::path::Path;

/// A lint or an error found in the ACL configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where.
    pub origin: Origin,
    /// What, in words.
    pub message: String,
    /// Whether Asterisk refuses it (an invalid item) rather than a warning.
    pub error: bool,
}

/// The ACLs of one object (an endpoint or a global `type=acl` section).
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// `endpoint 1001` or `acl office`.
    pub name: String,
    /// Its own `permit`/`deny` list.
    pub own: Acl,
    /// Named ACLs it uses, with their lists (`None` when not defined).
    pub named: Vec<(String, Option<Acl>)>,
    /// Whether an item did not parse (Asterisk would not load the object).
    pub invalid: bool,
}

/// Why a source is allowed or denied by a guard.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    /// Allowed or not.
    pub allowed: bool,
    /// Which list decided (`own` or the named ACL's name).
    pub list: String,
    /// The deciding decision.
    pub decision: Decision<'a>,
}

/// Every guard and every problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SipAcls {
    /// Endpoints and global ACL sections that have ACLs.
    pub guards: Vec<Guard>,
    /// Lints and errors, in file order.
    pub problems: Vec<Problem>,
}

impl Guard {
    /// Evaluates `source`: denied by the first list that denies it, else allowed.
    pub fn check(&self, source: IpAddr) -> Verdict<'_> {
        let own = self.own.evaluate(source);
        if !own.allowed {
            return Verdict {
                allowed: false,
                list: "own".to_string(),
                decision: own,
            };
        }
        for (name, acl) in &self.named {
            if let Some(acl) = acl {
                let decision = acl.evaluate(source);
                if !decision.allowed {
                    return Verdict {
                        allowed: false,
                        list: name.clone(),
                        decision,
                    };
                }
            }
        }
        Verdict {
            allowed: true,
            list: "own".to_string(),
            decision: own,
        }
    }
}

/// Reads `pjsip.conf` and (when present) `acl.conf` from `dir`.
pub fn load(dir: &Path) -> Result<SipAcls, ConfError> {
    let pjsip = AsteriskConf::load(&dir.join("pjsip.conf"), dir)?;
    let acl_conf = dir.join("acl.conf");
    let named_conf = if acl_conf.is_file() {
        AsteriskConf::load(&acl_conf, dir)?
    } else {
        AsteriskConf::default()
    };
    let mut problems = Vec::new();
    let mut named_acls: Vec<(String, Acl)> = Vec::new();
    for (index, section) in named_conf.sections.iter().enumerate() {
        if section.is_template {
            continue;
        }
        let (acl, _, _) = build_list(&named_conf.resolved_entries(index), &mut problems);
        named_acls.push((section.name.clone(), acl));
    }
    let mut guards = Vec::new();
    for (index, section) in pjsip.sections.iter().enumerate() {
        if section.is_template {
            continue;
        }
        let entries = pjsip.resolved_entries(index);
        let kind = entries
            .iter()
            .rev()
            .find(|e| e.key.eq_ignore_ascii_case("type"))
            .map(|e| e.value.to_ascii_lowercase());
        let label = match kind.as_deref() {
            Some("endpoint") => "endpoint",
            Some("acl") => "acl",
            _ => continue,
        };
        let (own, names, invalid) = build_list(&entries, &mut problems);
        if own.rules.is_empty() && names.is_empty() && !invalid {
            continue;
        }
        let named = names
            .into_iter()
            .map(|(name, origin)| {
                let acl = named_acls
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, acl)| acl.clone());
                if acl.is_none() {
                    problems.push(Problem {
                        origin,
                        message: format!("acl {name:?} is not defined in acl.conf"),
                        error: true,
                    });
                }
                (name, acl)
            })
            .collect();
        guards.push(Guard {
            name: format!("{label} {}", section.name),
            own,
            named,
            invalid,
        });
    }
    problems.sort_by(|a, b| (&a.origin.path, a.origin.line).cmp(&(&b.origin.path, b.origin.line)));
    problems.dedup();
    Ok(SipAcls { guards, problems })
}

/// The `permit`/`deny` list of `entries` and the names in their `acl =` lines.
fn build_list(
    entries: &[Entry],
    problems: &mut Vec<Problem>,
) -> (Acl, Vec<(String, Origin)>, bool) {
    let mut acl = Acl::default();
    let mut names = Vec::new();
    let mut invalid = false;
    let mut senses: Vec<(&str, &Origin)> = Vec::new();
    for entry in entries {
        let key = entry.key.to_ascii_lowercase();
        if entry.value.contains(", ") && matches!(key.as_str(), "permit" | "deny" | "acl") {
            problems.push(Problem {
                origin: entry.origin.clone(),
                message: format!("space after a comma in `{} = {}`", entry.key, entry.value),
                error: false,
            });
        }
        match key.as_str() {
            "permit" | "deny" => {
                senses.push((
                    if key == "permit" { "permit" } else { "deny" },
                    &entry.origin,
                ));
                if let Err(message) = acl.add_line(&key, &entry.value, Some(entry.origin.clone())) {
                    invalid = true;
                    problems.push(Problem {
                        origin: entry.origin.clone(),
                        message: format!("invalid ACL item {message}"),
                        error: true,
                    });
                }
            }
            "acl" => names.extend(
                entry
                    .value
                    .split(',')
                    .map(|n| (n.trim().to_string(), entry.origin.clone()))
                    .filter(|(n, _)| !n.is_empty()),
            ),
            _ => {}
        }
    }
    let has_permit = senses.iter().any(|(s, _)| *s == "permit");
    if let Some((_, origin)) = senses
        .iter()
        .find(|(s, _)| *s == "deny")
        .filter(|_| has_permit)
    {
        problems.push(Problem {
            origin: (*origin).clone(),
            message: "permit and deny mixed in one list: Wazo's generator does not keep their order; use only permit with ! items".to_string(),
            error: false,
        });
    }
    (acl, names, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn endpoints_templates_named_acls_and_lints() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(
            dir.path(),
            "acl.conf",
            "[office]\npermit = !0.0.0.0/0,10.20.30.0/24\n",
        );
        write(
            dir.path(),
            "pjsip.conf",
            "[phones](!)\ntype = endpoint\npermit = !0.0.0.0/0, 192.0.2.0/24\n[1001](phones)\n[1001]\ntype = aor\n[trunk]\ntype = endpoint\ndeny = 0.0.0.0/0\npermit = 198.51.100.1\nacl = office,missing\n[bad]\ntype = endpoint\npermit = 10.0.0.0/33\n",
        );
        let acls = load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = acls.guards.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["endpoint 1001", "endpoint trunk", "endpoint bad"]);
        let ip = |t: &str| t.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(acls.guards[0].check(ip("192.0.2.7")).allowed);
        assert!(!acls.guards[0].check(ip("203.0.113.5")).allowed);
        let trunk = acls.guards[1].check(ip("198.51.100.1"));
        assert_eq!(
            (trunk.allowed, trunk.list.as_str()),
            (false, "office"),
            "the named ACL denies what the own list allows"
        );
        assert!(acls.guards[2].invalid);
        let messages: Vec<(usize, bool)> = acls
            .problems
            .iter()
            .map(|p| (p.origin.line, p.error))
            .collect();
        assert_eq!(
            messages,
            [(3, false), (9, false), (11, true), (14, true)],
            "{:#?}",
            acls.problems
        );
    }
}
