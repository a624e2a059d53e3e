//! The name an address's reverse DNS gives, only when the operator asks for it (`inspect
//! --rdns`, or `reverse_dns = true` in the settings for the TUI's dossier): asked through the
//! system's resolver (`getent hosts`, which honours nsswitch.conf and /etc/hosts), bounded in
//! time, never on the UI task. The name is the network's word, not proof: it is shown, never
//! trusted.

use std::net::IpAddr;
use std::time::Duration;
use tokio::process::Command;

/// How long a reverse look-up may take.
pub const REVERSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest name kept.
const MAX_NAME_CHARS: usize = 253;

/// The name of `address`, or why there is none in words.
pub async fn reverse_name(address: IpAddr) -> Result<String, String> {
    let lookup = Command::new("getent")
        .arg("hosts")
        .arg(address.to_string())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(REVERSE_TIMEOUT, lookup).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => return Err(format!("getent cannot run: {error}")),
        Err(_) => {
            return Err(format!("no answer within {} s", REVERSE_TIMEOUT.as_secs()));
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(1)
        .map(|name| name.chars().take(MAX_NAME_CHARS).collect())
        .ok_or_else(|| "no name".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_has_a_name_and_a_documentation_address_none() {
        let name = reverse_name(IpAddr::from([127, 0, 0, 1])).await;
        assert!(name.as_deref().is_ok_and(|n| !n.is_empty()), "{name:?}");
        let none = reverse_name(IpAddr::from([192, 0, 2, 250])).await;
        assert!(none.is_err(), "{none:?}");
    }
}
