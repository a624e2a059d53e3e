//! Every spelling of an address is one address to every check: IPv4-mapped IPv6 forms of the
//! operator's own address and of loopback are refused in a jail (fail2ban would turn them into
//! the IPv4 address and ban it) and land in the IPv4 set of bantop's own table; forms that are
//! no client, ambiguous durations and too-wide whitelists are refused with the reason, for a
//! real fail2ban-server and in a fresh network namespace.

mod common;

use common::fail2ban::PrivateServer;
use common::netns::Namespace;
use std::process::Output;

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn mapped_spellings_of_the_operator_and_loopback_are_refused_in_a_jail() {
    let server = PrivateServer::start();
    let as_operator = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--fail2ban-dir")
            .arg(server.conf())
            .arg("--state-dir")
            .arg(server.state_dir())
            .args(args)
            .env("SSH_CONNECTION", "203.0.113.9 50022 192.0.2.1 22")
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for (target, why) in [
        ("::ffff:203.0.113.9", "your own address"),
        ("::ffff:cb00:7109", "your own address"),
        ("::ffff:127.0.0.1", "this machine itself"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("::203.0.113.10", "IPv4-compatible"),
    ] {
        let refused = as_operator(&["ban", target, "--jail", "asterisk-wazo"]);
        assert!(!refused.status.success(), "{target}: {}", text(&refused));
        assert!(text(&refused).contains(why), "{target}: {}", text(&refused));
    }
    let banned = server.client_text(&["get", "asterisk-wazo", "banned"]);
    assert!(!banned.contains("203.0.113.9"), "{banned}");
    assert!(!banned.contains("127.0.0.1"), "{banned}");

    let wide = server.bantop(&["whitelist", "0.0.0.0/1"]);
    assert!(!wide.status.success());
    assert!(text(&wide).contains("wider than /16"), "{}", text(&wide));
    let forced = server.bantop(&["whitelist", "10.0.0.0/8", "--force", "--jail", "sshd"]);
    assert!(
        !text(&forced).contains("wider than"),
        "--force takes it: {}",
        text(&forced)
    );
}

#[test]
fn a_mapped_address_lands_in_the_ipv4_set_and_odd_forms_are_refused() {
    let ns = Namespace::new();
    let banned = ns.bantop(&["ban", "::ffff:198.51.100.9"]);
    assert!(banned.status.success(), "{}", text(&banned));
    assert!(
        text(&banned).contains("banned 198.51.100.9"),
        "{}",
        text(&banned)
    );
    assert_eq!(ns.elements("inet", "bantop", "ban4").len(), 1);
    assert!(ns.elements("inet", "bantop", "ban6").is_empty());
    for (args, why) in [
        (vec!["ban", "255.255.255.255"], "broadcast"),
        (vec!["ban", "224.0.0.1"], "multicast"),
        (vec!["ban", "ff02::1"], "multicast"),
        (vec!["ban", "::"], "unspecified"),
        (vec!["ban", "64:ff9b::203.0.113.9"], "NAT64"),
        (vec!["ban", "fe80::1%eth0"], "zone id"),
        (vec!["ban", "192.0.2.1", "--for", "10M"], "lower case"),
        (vec!["ban", "192.0.2.1", "--for", "1y"], "write days"),
        (vec!["ban", "192.0.2.1", "--for", "99999999d"], "longest"),
    ] {
        let refused = ns.bantop(&args);
        assert!(!refused.status.success(), "{args:?}");
        assert!(text(&refused).contains(why), "{args:?}: {}", text(&refused));
    }
    assert_eq!(
        ns.elements("inet", "bantop", "ban4").len(),
        1,
        "nothing refused was written"
    );
    let unban = ns.bantop(&["unban", "::ffff:198.51.100.9"]);
    assert!(
        text(&unban).contains("unbanned 198.51.100.9"),
        "{}",
        text(&unban)
    );
    assert!(ns.elements("inet", "bantop", "ban4").is_empty());
}
