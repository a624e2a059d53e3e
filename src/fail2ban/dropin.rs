//! The text of bantop's whitelist drop-in for `jail.d/`: one section per jail whose `ignoreip`
//! keeps what the jail already ignored (`%(known/ignoreip)s`) and adds the operator's entries,
//! each with a comment saying who added it, when and why.

use crate::model::WhitelistEntry;

/// Renders the drop-in for `entries`, sections in the order jails first appear.
pub fn render(entries: &[WhitelistEntry]) -> String {
    let mut jails: Vec<&str> = Vec::new();
    for entry in entries {
        if !jails.contains(&entry.jail.as_str()) {
            jails.push(&entry.jail);
        }
    }
    let mut out = String::from("# Written by bantop: addresses the operator whitelisted.\n");
    for jail in jails {
        out.push_str(&format!("\n[{jail}]\nignoreip = %(known/ignoreip)s\n"));
        for entry in entries.iter().filter(|e| e.jail == jail) {
            let comment: String = entry.comment.chars().filter(|c| !c.is_control()).collect();
            out.push_str(&format!(
                "           # {comment}\n           {}\n",
                entry.entry
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_section_per_jail_keeping_known_entries() {
        let entries = [
            WhitelistEntry {
                jail: "sshd".into(),
                entry: "192.0.2.10".into(),
                comment: "operator, 2026-01-19".into(),
            },
            WhitelistEntry {
                jail: "sshd".into(),
                entry: "198.51.100.0/24".into(),
                comment: "office\nnet".into(),
            },
        ];
        let text = render(&entries);
        assert!(text.contains("[sshd]\nignoreip = %(known/ignoreip)s\n           # operator, 2026-01-19\n           192.0.2.10\n"));
        assert!(
            text.contains("# officenet\n"),
            "control characters cannot break the file: {text}"
        );
        assert_eq!(text.matches("[sshd]").count(), 1);
    }
}
