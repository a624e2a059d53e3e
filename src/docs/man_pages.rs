//! Manual pages from the clap definitions (`clap_mangen`): `bantop.1` and one page per
//! subcommand (`bantop-ban.1`, `bantop-acl-check.1`, ...), each completed with what clap's help
//! is too short for, taken from the README: exit statuses, the files read and written, and the
//! pages to see next.

use roff::{Roff, bold, roman};

/// One manual page: its file name (`bantop-ban.1`) and its roff source.
#[derive(Debug, Clone)]
pub struct ManPage {
    /// The file name, section included.
    pub file_name: String,
    /// The page in roff.
    pub roff: Vec<u8>,
}

/// Every manual page: `bantop.1` first, then one per visible subcommand.
pub fn man_pages() -> std::io::Result<Vec<ManPage>> {
    let top = super::built_command();
    let mut pages = vec![page(&top, &[])?];
    for path in super::visible_subcommands() {
        let mut command = &top;
        for name in &path {
            match command.find_subcommand(name) {
                Some(sub) => command = sub,
                None => return Err(std::io::Error::other(format!("no subcommand {name}"))),
            }
        }
        pages.push(page(command, &path)?);
    }
    Ok(pages)
}

/// The page of `command`, found at `path` under `bantop`.
fn page(command: &clap::Command, path: &[String]) -> std::io::Result<ManPage> {
    let man = clap_mangen::Man::new(command.clone())
        .source(format!("bantop {}", crate::cli::VERSION))
        .manual("bantop manual");
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    let mut extra = Roff::new();
    exit_status(&mut extra, path);
    files(&mut extra, path);
    see_also(&mut extra, path);
    extra.to_writer(&mut roff)?;
    Ok(ManPage {
        file_name: man.get_filename(),
        roff,
    })
}

/// EXIT STATUS: 0 and 2 for every command, and what 1 means for those that use it.
fn exit_status(roff: &mut Roff, path: &[String]) {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let one = match path.as_slice() {
        ["status"] => Some("fail2ban's socket did not answer."),
        ["check"] => Some("An item of the checklist failed."),
        ["firewall"] => Some("fail2ban's bans and what the kernel drops disagree (drift)."),
        ["acl", "check"] => Some("Asterisk denies the address somewhere."),
        ["ban"] | ["unban"] | ["whitelist"] => Some(
            "A step failed after others had changed something (for example unban with fail2ban \
             stopped: bantop's set is lifted, fail2ban could not be asked).",
        ),
        ["rescue"] => Some(
            "A step failed after others had changed something, or a table in the kernel still \
             drops the address when all is done (a rule written by hand, say); the output says \
             which.",
        ),
        _ => None,
    };
    let acts = matches!(
        path.as_slice(),
        ["ban"] | ["unban"] | ["whitelist"] | ["rescue"]
    );
    roff.control("SH", ["EXIT STATUS"]);
    item(roff, "0", "Done; nothing needs attention.");
    if let Some(one) = one {
        item(roff, "1", one);
    }
    item(
        roff,
        "2",
        if acts {
            "A step failed and nothing was changed, or the command could not run; one line on \
             standard error says why."
        } else {
            "The command could not run (a bad flag, an unreadable file, an error from fail2ban \
             or the kernel); one line on standard error says why."
        },
    );
}

/// FILES: the settings files for every page; what a command reads or writes for its own.
fn files(roff: &mut Roff, path: &[String]) {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    roff.control("SH", ["FILES"]);
    item(
        roff,
        "/etc/bantop/config.toml, ~/.config/bantop/config.toml",
        "bantop's settings, read in that order (flags win): fail2ban_dir, socket, state_dir, \
         theme, keymap, refresh_seconds, geoip.",
    );
    item(
        roff,
        "/etc/fail2ban/",
        "fail2ban's configuration (--fail2ban-dir), read as fail2ban reads it: jail.conf, \
         jail.d/, filter.d/, action.d/, with their .local files.",
    );
    if matches!(path.as_slice(), ["whitelist"] | ["rescue"] | []) {
        item(
            roff,
            "/etc/fail2ban/jail.d/bantop-whitelist.local",
            "The whitelist drop-in: one section per jail with ignoreip, each entry under a \
             comment saying who added it, when and why.",
        );
    }
    item(
        roff,
        "/var/lib/bantop/audit.jsonl",
        "Every action (ban, unban, whitelist, rescue), from the commands and the TUI: time, \
         uid, SUDO_USER, tty, SSH address, target, jails, result; rotated at 16 MiB, five kept \
         (--state-dir).",
    );
    if matches!(
        path.as_slice(),
        ["ban"] | ["unban"] | ["restore"] | ["firewall"] | []
    ) {
        item(
            roff,
            "/var/lib/bantop/manual-bans.json",
            "The manual bans in bantop's own nftables table (table inet bantop), put back by \
             bantop restore and when the TUI starts.",
        );
    }
    if matches!(
        path.as_slice(),
        ["restrict"] | ["unrestrict"] | ["restore"] | ["ports"] | []
    ) {
        item(
            roff,
            "/var/lib/bantop/restrictions.json",
            "The port restrictions in bantop's own nftables chain (inet bantop restrict), put \
             back by bantop restore and when the TUI starts; a pending one is rolled back at its \
             deadline unless confirmed.",
        );
    }
    if matches!(path.as_slice(), ["events"]) {
        item(
            roff,
            "/usr/share/tor/geoip, /usr/share/tor/geoip6",
            "The country of addresses (tor-geoipdb: the IPFire location database, CC BY-SA \
             4.0), read when neither --geoip nor the settings name GeoIP files; never a network \
             lookup.",
        );
    }
    item(
        roff,
        "/usr/share/doc/bantop/examples/themes/",
        "The built-in themes, as examples for --theme FILE.",
    );
}

/// SEE ALSO: the top page lists every subcommand's page; a subcommand's page points back.
fn see_also(roff: &mut Roff, path: &[String]) {
    let mut pages: Vec<String> = if path.is_empty() {
        super::visible_subcommands()
            .iter()
            .map(|sub| format!("bantop-{}(1)", sub.join("-")))
            .collect()
    } else {
        vec!["bantop(1)".to_string()]
    };
    pages.extend(["fail2ban-client(1)", "nft(8)"].map(String::from));
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(pages.join(", "))]);
}

/// A tagged paragraph: `tag` in bold, `text` under it.
fn item(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(tag)]);
    roff.text([roman(text)]);
}
