//! The back-tracker on patterns with markers (see `marked`) against `fancy-regex`, which runs
//! them as Python does: Debian's failregexes with back-references, look-aheads and
//! conditionals, on their sample lines and on many near misses made from them.

use super::*;
use crate::fail2ban::pattern::host_tags;

/// A failregex as fail2ban writes it, with sample lines (joined with `\n` for a multi-line
/// one).
struct Case {
    failregex: &'static str,
    multiline: bool,
    samples: &'static [&'static str],
}

const PREFIX_LINE: &str = r"(?:\[\])?\s*(?:<[^.]+\.[^.]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?(?:@vserver_\S+\s+)?(?:(?:(?:\[\d+\])?:\s+[\[\(]?slapd(?:\(\S+\))?[\]\)]?:?|[\[\(]?slapd(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?)\s+)?(?:\[ID \d+ \S+\]\s+)?";

const CASES: &[Case] = &[
    Case {
        // slapd's, with its `__prefix_line` written in (see `slapd_failregex`).
        failregex: "",
        multiline: true,
        samples: &[
            "ldap slapd[28476]: conn=1022 fd=21 ACCEPT from IP=192.0.2.7:45011 (IP=10.0.0.1:636)",
            "ldap slapd[28476]: conn=1022 op=0 RESULT tag=97 err=49 text=",
            "ldap slapd[28476]: conn=1022 op=1 RESULT tag=97 err=49 text=Invalid credentials",
            "ldap slapd[28477]: conn=1022 op=1 RESULT err=49 text=",
            "ldap slapd[28476]: conn=1023 op=2 RESULT tag=97 errx=1 err=49 text=x y",
            "ldap slapd[28476]: conn=1022 op=0 BIND dn=\"cn=admin\" method=128",
            "slapd[1]: conn=7 fd=3 ACCEPT from IP=[2001:db8::1]:1 (IP=x)  ",
            "slapd[1]: conn=7 op=3 RESULT tag=97 err=49 text=",
        ],
    },
    Case {
        failregex: r"^\s+\[conn(?P<__connid>\d+)\] Failed to authenticate [^\n]+<SKIPLINES>\s+\[conn(?P=__connid)\] end connection <HOST>",
        multiline: true,
        samples: &[
            " [conn56] Failed to authenticate root@admin with mechanism MONGODB-CR: AuthenticationFailed key mismatch",
            " [conn56] end connection 192.0.2.184:53276 (0 connections now open)",
            " [conn5] end connection 192.0.2.92:53276 (0 connections now open)",
            " [initandlisten] connection accepted from 192.0.2.119:58774 #2261 (1 connection now open)",
            " [conn5] Failed to authenticate root@admin with mechanism MONGODB-CR: UserNotFound",
            "  [conn56] end connection host.example.com:1",
        ],
    },
    Case {
        failregex: r"^Failed publickey for invalid user <F-USER>(?P<cond_user>\S+)|(?:(?! from ).)*?</F-USER> from <HOST>(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)",
        multiline: false,
        samples: &[
            "Failed publickey for invalid user root from 192.0.2.1 port 22 ssh2",
            "Failed publickey for invalid user root from 192.0.2.1 port 22 ssh2: RSA SHA256:x",
            "Failed publickey for invalid user a b from 192.0.2.2 port 1 ssh2: ECDSA from 1.2.3.4",
            "Failed publickey for invalid user  from 192.0.2.3",
            "Failed publickey for invalid user from from 192.0.2.4 on 2 port 3",
        ],
    },
    Case {
        failregex: r"^Failed <cmnfailed> for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)",
        multiline: false,
        samples: &[
            "Failed password for root from 192.0.2.1 port 22 ssh2",
            "Failed password for invalid user admin from 192.0.2.2 port 4 ssh2",
            "Failed publickey for root from 192.0.2.3 port 5 ssh2: RSA SHA256:abc",
            "Failed none for invalid user a from b from 192.0.2.4 port 6",
            "Failed keyboard-interactive/pam for x:y from 192.0.2.5 on 1 port 2 ssh2",
            "Failed password for  from 192.0.2.6",
        ],
    },
    Case {
        failregex: r"^(?:FAILED login|Login failed) for <F-USER>.*</F-USER> from <HOST>(?:(?:\([^\)]*\))?\. (?:(?! from ).)*(?: user=(?P=user))? in \S+\.php on line \d+ \(\S+ \S+\))?$",
        multiline: false,
        samples: &[
            "FAILED login for admin from 192.0.2.1",
            "Login failed for bob from 192.0.2.2(X-Real-IP: 1.2.3.4). AUTHENTICATE PLAIN: x user=bob in /var/www/rcube_imap.php on line 205 (POST /?_task=login)",
            "Login failed for bob from 192.0.2.3. No such user user=eve in a.php on line 1 (POST /)",
            "FAILED login for a from b from 192.0.2.4. x in b.php on line 2 (GET /)",
        ],
    },
    Case {
        failregex: r#"^type=USER_(ERR|AUTH) msg=audit\(:\d+\): (user )?pid=\d+ uid=0 auid=\d+ ses=\d+ subj=(?:unconfined_u|system_u):system_r:sshd_t:s0-s0:c0\.c1023 msg='op=\S+ acct=(?P<_quote_acct>"?)\S+(?P=_quote_acct) exe="/usr/sbin/sshd" hostname=(\?|(\d+\.){3}\d+) addr=<HOST> terminal=ssh res=failed'$"#,
        multiline: false,
        samples: &[
            r#"type=USER_AUTH msg=audit(:12): user pid=1 uid=0 auid=4 ses=5 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication acct="root" exe="/usr/sbin/sshd" hostname=? addr=192.0.2.1 terminal=ssh res=failed'"#,
            r#"type=USER_ERR msg=audit(:12): pid=1 uid=0 auid=4 ses=5 subj=unconfined_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=x acct=root" exe="/usr/sbin/sshd" hostname=10.0.0.1 addr=192.0.2.2 terminal=ssh res=failed'"#,
            r#"type=USER_ERR msg=audit(:12): pid=1 uid=0 auid=4 ses=5 subj=unconfined_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=x acct=root exe="/usr/sbin/sshd" hostname=10.0.0.1 addr=192.0.2.2 terminal=ssh res=failed'"#,
        ],
    },
    Case {
        failregex: r"^ LOG\d\[\d+:\d+\]:\ SSL_accept from <HOST>:\d+ : (?P<CODE>[\dA-F]+): error:(?P=CODE):SSL routines:SSL3_GET_CLIENT_CERTIFICATE:peer did not return a certificate$",
        multiline: false,
        samples: &[
            " LOG3[1:2]: SSL_accept from 192.0.2.1:4 : 140890C7: error:140890C7:SSL routines:SSL3_GET_CLIENT_CERTIFICATE:peer did not return a certificate",
            " LOG3[1:2]: SSL_accept from 192.0.2.1:4 : 140890C7: error:140890C8:SSL routines:SSL3_GET_CLIENT_CERTIFICATE:peer did not return a certificate",
        ],
    },
    Case {
        failregex: r"^\[\]\s\[(:?error|(?!evasive)\S+:\S+)\]( \[pid \d+(:\S+ \d+)?\])? \[client <HOST>(:\d{1,5})?\] (?:AH\d+: )?<F-CONTENT>.+</F-CONTENT>$",
        multiline: false,
        samples: &[
            "[] [error] [client 192.0.2.1] user x: authentication failure",
            "[] [auth_basic:error] [pid 1:tid 2] [client 192.0.2.2:80] AH01617: user y not found",
            "[] [evasive:error] [client 192.0.2.3] x",
            "[] [evasive20:error] [pid 3] [client 192.0.2.4] AH1: y",
        ],
    },
    Case {
        failregex: r"^user (?!`)<F-USER>(?:\S*|.*?)</F-USER> (?:auth(?:oriz|entic)ation failure|not found|denied by provider)\b",
        multiline: false,
        samples: &[
            "user admin: authentication failure for \"/\": Password Mismatch",
            "user `x` not found: /",
            "user a b not found",
            "user  denied by provider",
        ],
    },
    Case {
        failregex: r"^(?:\s*(?:error|info):\s*)?client(?: @\S*)? <HOST>#\S+(?: \([\S.]+\))?: (?:(?!error|info)[\w-]+: )?query(?: \(cache\))? '.*' denied\s*$",
        multiline: false,
        samples: &[
            "client 192.0.2.1#53 (x.org): query 'x.org/IN/A' denied",
            "error: client @0x1 192.0.2.2#5: security: query (cache) 'y' denied ",
            "client 192.0.2.3#5: info: query 'z' denied",
        ],
    },
    Case {
        failregex: r#"^<HOST> \- (?!- )<F-USER>\S+</F-USER> \[\] \"(?:\S+) [^\"]+\" 401\b"#,
        multiline: false,
        samples: &[
            "192.0.2.1 - admin [] \"GET / HTTP/1.1\" 401 17",
            "192.0.2.2 - - [] \"GET / HTTP/1.1\" 401 17",
            "192.0.2.3 - -x [] \"POST /a HTTP/2\" 401",
        ],
    },
    Case {
        failregex: r#"^(?: \[\d+\]| \w+ exim\[\d+\]:)? SMTP protocol error in "[^"]+(?:"+[^"]*(?="))*?" (?:H=([\w.-]+ )?(?:\(\S+\) )?)?\[<HOST>\](?::\d+)?(?: I=\[\S+\](:\d+)?)?(?: U=\S+)?(?: P=e?smtp)?(?: F=(?:<>|[^@]+@\S+))?\sAUTH command used when not advertised\s*$"#,
        multiline: false,
        samples: &[
            r#" SMTP protocol error in "AUTH LOGIN" H=(x) [192.0.2.1] AUTH command used when not advertised"#,
            r#" [12] SMTP protocol error in "AUTH "x"" y"" H=a.b (c) [192.0.2.2]:25 I=[10.0.0.1]:25 AUTH command used when not advertised "#,
        ],
    },
];

/// slapd's failregex as Debian's filter resolves it.
fn slapd_failregex() -> String {
    format!(
        r"^(?P<__prefix>{PREFIX_LINE})conn=(?P<_conn_>\d+) fd=\d+ ACCEPT from IP=<HOST>:\d{{1,5}} \(IP=\S+\)\s*<SKIPLINES>(?P=__prefix)conn=(?P=_conn_) op=\d+ RESULT(?:\s(?!err)\S+=\S*)* err=49 text=[\w\s]*$"
    )
}

/// A small xorshift generator: the same texts on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// `line` cut where letters and digits meet other characters.
fn tokens(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last = None;
    for c in line.chars() {
        let kind = c.is_ascii_alphanumeric();
        match out.last_mut() {
            Some(token) if last == Some(kind) && kind => token.push(c),
            _ => out.push(c.to_string()),
        }
        last = Some(kind);
    }
    out
}

/// A near miss of one of `samples`: some of its tokens dropped, doubled or swapped for
/// tokens of the others.
fn near_miss(samples: &[&str], random: &mut Random) -> String {
    let pool: Vec<String> = samples.iter().flat_map(|s| tokens(s)).collect();
    let mut line = tokens(samples[random.below(samples.len())]);
    for _ in 0..random.below(4) {
        let at = random.below(line.len());
        match random.below(4) {
            0 => {
                line.remove(at.min(line.len().saturating_sub(1)));
            }
            1 => line.insert(at, line.get(at).cloned().unwrap_or_default()),
            _ => {
                let last = line.len() - 1;
                line[at.min(last)] = pool[random.below(pool.len())].clone();
            }
        }
        if line.is_empty() {
            break;
        }
    }
    line.concat()
}

/// The named groups of fancy-regex's first match, and where it is.
fn by_fancy(
    fancy: &fancy_regex::Regex,
    text: &str,
) -> Option<(usize, usize, BTreeMap<String, String>)> {
    let captures = fancy.captures(text).ok()??;
    let whole = captures.get(0)?;
    let groups = fancy
        .capture_names()
        .flatten()
        .filter_map(|name| Some((name.to_string(), captures.name(name)?.as_str().to_string())))
        .collect();
    Some((whole.start(), whole.end(), groups))
}

#[test]
fn the_back_tracker_finds_what_fancy_regex_finds_with_markers() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let mut failures = Vec::new();
    let mut tried = 0;
    for case in CASES {
        let source = if case.failregex.is_empty() {
            slapd_failregex()
        } else {
            case.failregex
                .replace("<cmnfailed>", r"(?:<F-NOFAIL>publickey</F-NOFAIL>|\S+)")
        };
        let source = if case.multiline {
            format!("(?m){source}")
        } else {
            source
        };
        let rust = host_tags::python_to_rust(&host_tags::expand(&source));
        let Ok(Pattern::Backtracking(backtracking)) = Pattern::compile(&rust) else {
            panic!("not a back-tracking pattern: {rust}");
        };
        assert!(backtracking.marked.is_some(), "no back-tracker: {rust}");
        let pattern = Pattern::Backtracking(backtracking.clone());
        let mut texts: Vec<String> = case.samples.iter().map(|s| s.to_string()).collect();
        for _ in 0..3000 {
            if case.multiline {
                let lines = 1 + random.below(5);
                let mut text = String::new();
                for _ in 0..lines {
                    text.push_str(&near_miss(case.samples, &mut random));
                    text.push('\n');
                }
                texts.push(text);
            } else {
                texts.push(near_miss(case.samples, &mut random));
            }
        }
        if case.multiline {
            texts.push(case.samples.join("\n") + "\n");
        }
        let mut matched = 0;
        for text in texts.iter().filter(|text| text.is_ascii()) {
            tried += 1;
            let expected = by_fancy(&backtracking.fancy, text);
            matched += usize::from(expected.is_some());
            let found = pattern.find(text).map(|m| (m.start, m.end, m.groups));
            if found != expected {
                failures.push(format!(
                    "{rust}\n  on {text:?}\n  {found:?}\n  != {expected:?}"
                ));
            }
        }
        assert!(matched > 0, "no text matched {rust}");
    }
    assert!(tried > 30_000, "{tried}");
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}
