//! A jail's `ignorecommand`, run as fail2ban's server runs it: `<ip>` replaced by the
//! (already validated) address, through `/bin/sh -c`; exit 0 means ignore the address, 1 means
//! do not, anything else (or no exit within the time allowed) means bantop cannot tell.

use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the command said about an address.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandAnswer {
    /// Exit 0: the address is ignored (whitelisted).
    Ignored,
    /// Exit 1: it is not.
    NotIgnored,
    /// It could not run, failed otherwise, or did not finish in time.
    Undecided(String),
}

/// Runs `command` for `ip`, waiting at most `timeout`.
pub fn ask(command: &str, ip: IpAddr, timeout: Duration) -> CommandAnswer {
    let line = command.replace("<ip>", &ip.to_string());
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            return CommandAnswer::Undecided(format!("{line:?} could not start: {error}"));
        }
    };
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match status.code() {
                    Some(0) => CommandAnswer::Ignored,
                    Some(1) => CommandAnswer::NotIgnored,
                    Some(code) => CommandAnswer::Undecided(format!("{line:?} exited {code}")),
                    None => CommandAnswer::Undecided(format!("{line:?} was killed by a signal")),
                };
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return CommandAnswer::Undecided(format!(
                    "{line:?} did not finish within {} s",
                    timeout.as_secs()
                ));
            }
            Err(error) => return CommandAnswer::Undecided(format!("{line:?}: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_decide_and_a_hang_does_not() {
        let ip = IpAddr::from([192, 0, 2, 7]);
        let wait = Duration::from_secs(2);
        assert_eq!(
            ask("test <ip> = 192.0.2.7", ip, wait),
            CommandAnswer::Ignored
        );
        assert_eq!(
            ask("test <ip> = 192.0.2.8", ip, wait),
            CommandAnswer::NotIgnored
        );
        assert!(matches!(
            ask("exit 3", ip, wait),
            CommandAnswer::Undecided(_)
        ));
        let slow = ask("sleep 5", ip, Duration::from_millis(200));
        assert!(matches!(slow, CommandAnswer::Undecided(why) if why.contains("did not finish")));
    }
}
