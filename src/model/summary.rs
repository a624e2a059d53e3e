//! Short descriptions in words of the failure lines an operator sees most on a Wazo server
//! (PJSIP, AMI, IAX2, wazo-provd, sshd); anything else falls back to the message text.

/// Describes a matched log line in a few words, e.g. `REGISTER 1001: failed to authenticate`.
pub fn summarize(line: &str) -> String {
    describe_pjsip(line)
        .or_else(|| describe_ami(line))
        .or_else(|| describe_iax(line))
        .or_else(|| describe_initconfig(line))
        .or_else(|| describe_provd(line))
        .or_else(|| describe_sshd(line))
        .unwrap_or_else(|| message_text(line).to_string())
}

/// The account a failure line went after, where the line names one: the SIP user of a PJSIP
/// request or chan_sip registration, the AMI or IAX2 user or peer, the provisioning file, the
/// SSH user. Attacker's text: bound and sanitize it before use.
pub fn account(line: &str) -> Option<String> {
    if let Some(from) = between(line, "' from '", "' failed for") {
        return Some(sip_user(from).to_string());
    }
    if let Some(from) = between(line, "Registration from '", "' failed for") {
        return Some(sip_user(from).to_string());
    }
    if let Some(rest) = line
        .find("manager.c: ")
        .or_else(|| line.find("chan_iax2.c: "))
        .map(|at| &line[at..])
    {
        return between(rest, "peer '", "'")
            .or_else(|| between(rest, "as '", "'"))
            .map(str::to_string);
    }
    if let Some((_, file)) = line.split_once("Sensitive file requested from ") {
        return file
            .split_once(": ")
            .map(|(_, name)| name.trim().to_string());
    }
    between(line, "Failed password for invalid user ", " from ")
        .or_else(|| between(line, "Failed password for ", " from "))
        .or_else(|| between(line, "Invalid user ", " from "))
        .or_else(|| between(line, "Failed publickey for ", " from "))
        .map(str::to_string)
}

/// The text between two markers, searching `end` after `start`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `"1001" <sip:1001@host>` -> `1001`: the user part of the SIP URI, else the display name.
fn sip_user(from: &str) -> &str {
    if let Some(user) = between(from, "sip:", "@") {
        return user;
    }
    between(from, "\"", "\"").unwrap_or(from)
}

fn describe_pjsip(line: &str) -> Option<String> {
    let method = between(line, "Request '", "'")?;
    let from = between(line, "' from '", "' failed for")?;
    let (_, reason) = line.rsplit_once(") - ")?;
    let reason = reason.split(" after ").next().unwrap_or(reason).trim();
    let reason = if reason.is_empty() { "failed" } else { reason };
    Some(format!(
        "{method} {}: {}",
        sip_user(from),
        lower_first(reason)
    ))
}

fn describe_ami(line: &str) -> Option<String> {
    let rest = &line[line.find("manager.c: ")?..];
    let user = between(rest, "as '", "'").unwrap_or("?");
    if rest.contains("nonexistent user") {
        return Some(format!("AMI login '{user}': nonexistent user"));
    }
    rest.contains("failed to authenticate")
        .then(|| format!("AMI login '{user}' failed"))
}

fn describe_iax(line: &str) -> Option<String> {
    let rest = &line[line.find("chan_iax2.c: ")?..];
    if let Some(peer) = between(rest, "No registration for peer '", "'") {
        return Some(format!("IAX2 peer '{peer}': no registration"));
    }
    if rest.contains("failed MD5 authentication") {
        return Some("IAX2: failed MD5 authentication".to_string());
    }
    let user = between(rest, "as '", "'").unwrap_or("?");
    Some(format!("IAX2 '{user}': failed to authenticate"))
}

fn describe_initconfig(line: &str) -> Option<String> {
    let exten = between(line, "to extension '", "' rejected")?;
    Some(format!("call to '{exten}' rejected: extension not found"))
}

fn describe_provd(line: &str) -> Option<String> {
    if line.contains("New device created automatically from ") {
        return Some("provisioning: new device auto-created".to_string());
    }
    let (_, file) = line.split_once("Sensitive file requested from ")?;
    let file = file.split_once(": ").map_or("?", |(_, name)| name.trim());
    Some(format!("provisioning: sensitive file {file}"))
}

fn describe_sshd(line: &str) -> Option<String> {
    if let Some(user) = between(line, "Failed password for invalid user ", " from ") {
        return Some(format!("SSH password, invalid user {user}"));
    }
    if let Some(user) = between(line, "Failed password for ", " from ") {
        return Some(format!("SSH password failed for {user}"));
    }
    if let Some(user) = between(line, "Invalid user ", " from ") {
        return Some(format!("SSH invalid user {user}"));
    }
    if let Some(user) = between(line, "Failed publickey for ", " from ") {
        return Some(format!("SSH public key refused for {user}"));
    }
    None
}

/// The message after a syslog-like `program[pid]: ` or Asterisk `file.c: ` prefix.
fn message_text(line: &str) -> &str {
    line.split_once("]: ")
        .or_else(|| line.split_once(".c: "))
        .map_or(line, |(_, message)| message)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::{account, summarize};

    #[test]
    fn the_account_each_kind_of_line_went_after() {
        let cases = [
            (
                "NOTICE[2345] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"1001\" <sip:1001@198.51.100.10>' failed for '203.0.113.5:5060' (callid: x) - Failed to authenticate",
                Some("1001"),
            ),
            (
                "NOTICE[1] chan_sip.c: Registration from '\"7\" <sip:207@203.0.113.1>' failed for '203.0.113.1:5060' - Wrong password",
                Some("207"),
            ),
            (
                "NOTICE[1] manager.c: 192.0.2.11 failed to authenticate as 'admin'",
                Some("admin"),
            ),
            (
                "NOTICE[1] chan_iax2.c: No registration for peer 'trunk' (from 192.0.2.13)",
                Some("trunk"),
            ),
            (
                "[x] Sensitive file requested from 10.0.0.5: 805ec0d57d55.cfg",
                Some("805ec0d57d55.cfg"),
            ),
            (
                "sshd[1]: Failed password for invalid user oracle from 192.0.2.1 port 22 ssh2",
                Some("oracle"),
            ),
            (
                "sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2",
                Some("root"),
            ),
            ("sshd[1]: Connection closed by 192.0.2.1", None),
        ];
        for (line, expected) in cases {
            assert_eq!(account(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn pjsip_register_names_method_user_and_reason() {
        let line = "[2026-01-19 17:07:58.1234] NOTICE[2345] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"1001\" <sip:1001@198.51.100.10>' failed for '203.0.113.5:5060' (callid: a84b4c76e66710@pc33) - Failed to authenticate after 5 tries in 2.500 ms";
        assert_eq!(summarize(line), "REGISTER 1001: failed to authenticate");
    }

    #[test]
    fn ami_iax_provd_and_sshd_lines_are_named() {
        assert_eq!(
            summarize("NOTICE[1] manager.c: 192.0.2.11 failed to authenticate as 'admin'"),
            "AMI login 'admin' failed"
        );
        assert_eq!(
            summarize(
                "NOTICE[1] chan_iax2.c: Host 192.0.2.13 failed to authenticate as 'Fail2ban'"
            ),
            "IAX2 'Fail2ban': failed to authenticate"
        );
        assert_eq!(
            summarize(
                "[2026-01-19 17:07:58,130] Sensitive file requested from 10.0.0.5: 805ec0d57d55.cfg"
            ),
            "provisioning: sensitive file 805ec0d57d55.cfg"
        );
        assert_eq!(
            summarize(
                "pbx sshd[812]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2"
            ),
            "SSH password, invalid user admin"
        );
    }

    #[test]
    fn unknown_lines_fall_back_to_the_message() {
        assert_eq!(
            summarize("host app[12]: something odd happened"),
            "something odd happened"
        );
    }
}
