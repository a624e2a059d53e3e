//! Host names resolved as fail2ban's `DNSUtils` resolves them (the system resolver, both
//! families): those of `ignoreip` when an address is checked, and those a filter finds in a
//! line (`usedns`). With a bounded wait and a cache of five minutes as fail2ban's DNS cache
//! keeps them. A name that does not exist is an answer (it matches
//! nothing); a resolver that does not answer in time, or fails for the time being, is not: the
//! caller cannot tell, and a ban check then fails closed.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a resolved name is reused (fail2ban's `DNSUtils` cache: 5 minutes).
const CACHE_TIME: Duration = Duration::from_secs(300);

/// What the resolver said about a name.
#[derive(Debug, Clone, PartialEq)]
pub enum NameAnswer {
    /// Its addresses (none: the name does not exist, so it matches nothing).
    Addresses(Vec<IpAddr>),
    /// No answer that decides: timed out, or a temporary failure.
    Undecided(String),
}

type Cache = HashMap<String, (Instant, NameAnswer)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: std::sync::OnceLock<Mutex<Cache>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Resolves every name in parallel, waiting at most `timeout` in all.
pub fn resolve(names: &[String], timeout: Duration) -> HashMap<String, NameAnswer> {
    let deadline = Instant::now() + timeout;
    let mut answers = HashMap::new();
    let mut pending = Vec::new();
    for name in names {
        if answers.contains_key(name) {
            continue;
        }
        let cached = cache().lock().ok().and_then(|cache| {
            cache
                .get(name)
                .filter(|(at, answer)| {
                    at.elapsed() < CACHE_TIME && matches!(answer, NameAnswer::Addresses(_))
                })
                .map(|(_, answer)| answer.clone())
        });
        match cached {
            Some(answer) => {
                answers.insert(name.clone(), answer);
            }
            None => {
                let (tx, rx) = mpsc::channel();
                let owned = name.clone();
                // A resolver stuck past the deadline leaves this thread behind, not the caller.
                std::thread::spawn(move || {
                    let _ = tx.send(lookup(&owned));
                });
                answers.insert(name.clone(), NameAnswer::Undecided(String::new()));
                pending.push((name.clone(), rx));
            }
        }
    }
    for (name, rx) in pending {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = rx.recv_timeout(left).unwrap_or_else(|_| {
            NameAnswer::Undecided(format!(
                "the resolver did not answer within {:.1} s",
                timeout.as_secs_f64()
            ))
        });
        if let (NameAnswer::Addresses(_), Ok(mut cache)) = (&answer, cache().lock()) {
            cache.insert(name.clone(), (Instant::now(), answer.clone()));
        }
        answers.insert(name, answer);
    }
    answers
}

/// The addresses of one name as fail2ban's `dnsToIp` gives them to a filter: none when the
/// name does not exist or the resolver gives no answer in `timeout`.
pub fn addresses_of(name: &str, timeout: Duration) -> Vec<IpAddr> {
    match resolve(&[name.to_string()], timeout).remove(name) {
        Some(NameAnswer::Addresses(found)) => found,
        _ => Vec::new(),
    }
}

/// A name's answer if the cache holds it, without asking the resolver (for the UI task).
pub fn cached(name: &str) -> Option<NameAnswer> {
    let cache = cache().lock().ok()?;
    cache
        .get(name)
        .filter(|(at, _)| at.elapsed() < CACHE_TIME)
        .map(|(_, answer)| answer.clone())
}

/// One blocking look-up.
fn lookup(name: &str) -> NameAnswer {
    match (name, 0).to_socket_addrs() {
        Ok(addresses) => {
            let mut found: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
            found.sort();
            found.dedup();
            NameAnswer::Addresses(found)
        }
        Err(error) => {
            let text = error.to_string();
            // getaddrinfo's EAI_AGAIN / EAI_FAIL / EAI_SYSTEM: no decision was made.
            if text.contains("Temporary failure")
                || text.contains("Non-recoverable")
                || text.contains("System error")
            {
                NameAnswer::Undecided(format!("the resolver failed: {text}"))
            } else {
                NameAnswer::Addresses(Vec::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_resolves_to_loopback_and_a_bad_name_to_nothing() {
        let names = vec!["localhost".to_string(), "no-such-host.invalid".to_string()];
        let answers = resolve(&names, Duration::from_secs(5));
        let Some(NameAnswer::Addresses(local)) = answers.get("localhost") else {
            panic!("{answers:?}");
        };
        assert!(local.contains(&IpAddr::from([127, 0, 0, 1])), "{local:?}");
        // Without a reachable name server the answer is undecided, never an address.
        assert!(!matches!(
            answers.get("no-such-host.invalid"),
            Some(NameAnswer::Addresses(found)) if !found.is_empty()
        ));
    }
}
