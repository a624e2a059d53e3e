#!/usr/bin/python3
"""Realistic, seeded logs for a fail2ban filter, for the row-for-row comparison of `bantop regex`
with `fail2ban-regex -o row` (benches/rows_vs_fail2ban.py) and for speed measurements.

Usage: gen_logs.py FILTER LINES SEED OUT [--end EPOCH] [--generic] [--fail2ban-dir DIR]

FILTER is a filter name (`sshd`, `asterisk-wazo`, ...). These have their own generator, written
from what the daemons really log: sshd (syslog auth.log: sessions interleaved by PID, PIDs
reused hours later, invalid users, `[preauth]`, `Accepted`/`Disconnected`/`Connection closed`,
scanners for the ddos and aggressive modes, hostile user names), asterisk (stock filter, the
default `[Mon dd hh:mm:ss]` logger), asterisk-wazo and wazo-provd (Wazo's log formats),
recidive (fail2ban's own log), postfix, dovecot, nginx-http-auth, apache-auth and pam-generic.
Any other filter (or any filter with `--generic`) gets a log built from fail2ban's own annotated
sample lines for it (fail2ban/tests/files/logs/FILTER): blocks of samples replayed as sessions
with their addresses and PIDs renumbered, interleaved, with noise lines and undated lines
between them, and every date rewritten forward in time in the sample's own format (found with
fail2ban's own date detector for the filter, and checked by parsing it back).

Dates run forward (about 1.5 lines a second for the dedicated generators, 0.5 for the generic
one, with a rare jump of an hour or so: a quiet night, a rotation) and end at about --end
(default: today's midnight UTC minus two hours), so that year-less syslog dates are in the past,
as fail2ban-regex, which assumes the current year for them, expects. The same arguments on the
same day give the same file. Addresses only, never host names (fail2ban would resolve them).
Needs Debian's fail2ban package (its Python modules) for the generic generator.
"""

import argparse
import contextlib
import datetime
import ipaddress
import json
import os
import random
import re
import sys
import time

# Debian's fail2ban is a package of the system's Python; another python3 finds it there too.
sys.path.append("/usr/lib/python3/dist-packages")
SAMPLES = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


# Date formats of the dedicated generators.
def syslog_date(t):
    d = utc(t)
    return f"{MONTHS[d.month - 1]} {d.day:2d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"


def iso_date(t, sep=" ", frac=0, frac_sep="."):
    d = utc(t)
    text = f"{d.year:04d}-{d.month:02d}-{d.day:02d}{sep}{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    if frac:
        text += frac_sep + f"{d.microsecond:06d}"[:frac]
    return text


class Ctx:
    """What every generator shares: the random source, the clock, the output and the pools."""

    def __init__(self, rng, lines, end, rate, out):
        self.rng = rng
        self.lines = lines
        self.rate = rate
        self.out = out
        self.n = 0
        # Rare forward jumps (a quiet night, a rotation): part of the expected span.
        self.jump_p, self.jump_mean = 2e-5, 5400.0
        span = lines * (1.0 / rate + self.jump_p * self.jump_mean)
        self.t = end - span
        self.end = end
        self.attackers4 = [self.public4() for _ in range(max(50, min(5000, lines // 40)))]
        self.attackers6 = [self.public6() for _ in range(max(10, min(500, lines // 400)))]
        self.hot = self.rng.sample(self.attackers4, min(20, len(self.attackers4)))

    def tick(self):
        self.t += self.rng.expovariate(self.rate)
        if self.rng.random() < self.jump_p:
            jump = self.rng.expovariate(1.0 / self.jump_mean)
            # Never so late that the rest of the log would end in the future.
            if self.t + jump < self.end - (self.lines - self.n) / self.rate:
                self.t += jump
        return self.t

    def write(self, line):
        self.out.write(line)
        self.out.write("\n")
        self.n += 1

    def public4(self):
        r = self.rng
        while True:
            first = r.randint(1, 223)
            if first not in (10, 127, 169, 172, 192, 100, 0):
                return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def public6(self):
        r = self.rng
        prefix = r.choice(["2001:db8", "2a01:4f8", "2604:a880", "2400:cb00", "2a03:b0c0"])
        groups = [f"{r.randint(0, 0xffff):x}" for _ in range(r.choice([2, 4, 6]))]
        return str(ipaddress.ip_address(prefix + ":" + ":".join(groups) + ("::1" if len(groups) < 6 else "")))

    def attacker(self, v6=0.03):
        """An attacking address: mostly a few busy ones, sometimes IPv6."""
        r = self.rng
        if r.random() < v6:
            return r.choice(self.attackers6)
        if r.random() < 0.6:
            if r.random() < 0.01:
                self.hot[r.randrange(len(self.hot))] = r.choice(self.attackers4)
            return r.choice(self.hot)
        return r.choice(self.attackers4)

    def port(self):
        return self.rng.randint(1024, 65535)

    def hexid(self, digits):
        return f"{self.rng.getrandbits(4 * digits):0{digits}x}"


def interleave(ctx, spawn, active, noise=None, noise_p=0.0):
    """The common loop: `active` sessions at a time (generators yielding functions of the time
    that make a line), a new one from `spawn()` whenever one ends, one line per clock tick from
    a random session, or a noise line."""
    pool = []
    rng = ctx.rng
    while ctx.n < ctx.lines:
        if noise is not None and rng.random() < noise_p:
            line = noise(ctx.tick())
            if line is not None:
                ctx.write(line)
            continue
        while len(pool) < active:
            pool.append(spawn())
        i = rng.randrange(len(pool))
        try:
            make = next(pool[i])
        except StopIteration:
            pool[i] = pool[-1]
            pool.pop()
            continue
        line = make(ctx.tick())
        if line is not None:
            ctx.write(line)


# ---------------------------------------------------------------------------------------- sshd

USERS = ["root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "guest", "ftpuser",
         "git", "pi", "support", "deploy", "mysql", "www-data", "jenkins", "hadoop", "nagios",
         "ansible", "docker", "tomcat", "minecraft", "steam", "ftp", "usuario", "administrator",
         "111111", "a", "Admin", "sa", "vagrant", "es", "odoo", "backup", "ts3", "zabbix"]
STAFF = ["alice", "bob", "carol", "deploy", "backup"]
# Attacker-chosen user names: fail2ban reads what the regex makes of them.
HOSTILE_USERS = ["root from 10.0.0.1", "x from 192.0.2.250 port 22", " ", "admin port 22 ssh2",
                 "a b", "-", "user\tname", "0.0.0.0"]


class Sshd:
    """An auth.log as Debian's OpenSSH writes it through rsyslog."""

    def __init__(self, ctx):
        self.ctx = ctx
        r = ctx.rng
        self.host = r.choice(["srv1", "web-01", "pbx", "mail.example.org", "gw"])
        self.verbose = r.random() < 0.5  # LogLevel VERBOSE: "Connection from" lines
        self.pid = r.randint(1000, 30000)
        self.listener = r.randint(500, 999)
        self.staff4 = ["10.0.0.5", "10.0.0.17", "192.168.1.20", ctx.public4(), ctx.public4()]

    def next_pid(self):
        # Other processes take PIDs between two sshd sessions; PIDs wrap at 32768, so a PID
        # comes back hours later (a new session with an old session's id).
        self.pid += 1 + int(self.ctx.rng.expovariate(0.4))
        if self.pid >= 32768:
            self.pid = 300 + self.pid - 32768
        return self.pid

    def line(self, pid, message, daemon="sshd"):
        prefix = f" {self.host} {daemon}[{pid}]: " if pid is not None else f" {self.host} {daemon}: "
        return lambda t: syslog_date(t) + prefix + message

    def spawn(self):
        r = self.ctx.rng
        kind = r.random()
        if kind < 0.45:
            return self.bruteforce()
        if kind < 0.63:
            return self.scanner()
        if kind < 0.80:
            return self.login()
        if kind < 0.87:
            return self.pubkey_probe()
        if kind < 0.92:
            return self.not_allowed()
        return self.system()

    def connect(self, pid, ip, port):
        if self.verbose:
            yield self.line(pid, f"Connection from {ip} port {port} on 192.0.2.2 port 22 rdomain \"\"")

    def bruteforce(self):
        ctx, r = self.ctx, self.ctx.rng
        pid, ip, port = self.next_pid(), ctx.attacker(), ctx.port()
        user = r.choice(USERS)
        if r.random() < 0.01:
            user = r.choice(HOSTILE_USERS)
        valid = user in ("root", "backup", "deploy") or r.random() < 0.1
        yield from self.connect(pid, ip, port)
        inv = "" if valid else "invalid user "
        if not valid:
            yield self.line(pid, f"Invalid user {user} from {ip} port {port}")
        tries = r.choice([1, 1, 2, 3, 3, 6])
        for attempt in range(tries):
            if not valid:
                yield self.line(pid, "pam_unix(sshd:auth): check pass; user unknown")
                yield self.line(pid, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}")
            elif attempt == 0:
                yield self.line(pid, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}")
            method = "password" if r.random() < 0.9 else "none"
            yield self.line(pid, f"Failed {method} for {inv}{user} from {ip} port {port} ssh2")
        end = r.random()
        if tries == 6:
            yield self.line(pid, f"error: maximum authentication attempts exceeded for {inv}{user} from {ip} port {port} ssh2 [preauth]")
            yield self.line(pid, f"Disconnecting {inv or 'authenticating user '}{user} {ip} port {port}: Too many authentication failures [preauth]")
            if valid:
                yield self.line(pid, f"PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}")
        elif end < 0.45:
            yield self.line(pid, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]")
            yield self.line(pid, f"Disconnected from {inv or 'authenticating user '}{user} {ip} port {port} [preauth]")
        elif end < 0.8:
            yield self.line(pid, f"Connection closed by {inv or 'authenticating user '}{user} {ip} port {port} [preauth]")
        elif end < 0.9:
            yield self.line(pid, f"Connection reset by {inv or 'authenticating user '}{user} {ip} port {port} [preauth]")
        else:
            yield self.line(pid, f"fatal: Timeout before authentication for {ip} port {port}")
        if valid and tries > 1 and tries < 6:
            yield self.line(pid, f"PAM {tries - 1} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}")

    def scanner(self):
        ctx, r = self.ctx, self.ctx.rng
        pid, ip, port = self.next_pid(), ctx.attacker(v6=0.08), ctx.port()
        yield from self.connect(pid, ip, port)
        kind = r.randrange(9)
        if kind == 0:
            yield self.line(pid, "error: kex_exchange_identification: Connection closed by remote host")
            yield self.line(pid, f"Connection closed by {ip} port {port}")
        elif kind == 1:
            yield self.line(pid, "error: kex_exchange_identification: read: Connection reset by peer")
            yield self.line(pid, f"Connection reset by {ip} port {port}")
        elif kind == 2:
            yield self.line(pid, f"banner exchange: Connection from {ip} port {port}: invalid format")
        elif kind == 3:
            yield self.line(pid, f"Did not receive identification string from {ip} port {port}")
        elif kind == 4:
            offer = r.choice(["diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1",
                              "ssh-rsa,ssh-dss"])
            what = "key exchange method" if "diffie" in offer else "host key type"
            yield self.line(pid, f"Unable to negotiate with {ip} port {port}: no matching {what} found. Their offer: {offer} [preauth]")
        elif kind == 5:
            yield self.line(pid, "error: kex_exchange_identification: client sent invalid protocol identifier \"GET / HTTP/1.1\"")
            yield self.line(pid, f"banner exchange: Connection from {ip} port {port}: invalid format")
        elif kind == 6:
            yield self.line(pid, f"Received disconnect from {ip} port {port}:14: No supported authentication methods available [preauth]")
            yield self.line(pid, f"Disconnected from {ip} port {port} [preauth]")
        elif kind == 7:
            yield self.line(pid, f"Connection closed by {ip} port {port} [preauth]")
        else:
            yield self.line(pid, f"ssh_dispatch_run_fatal: Connection from {ip} port {port}: message authentication code incorrect [preauth]")
            yield self.line(pid, "Read from socket failed: Connection reset by peer [preauth]")

    def login(self):
        ctx, r = self.ctx, self.ctx.rng
        pid, port = self.next_pid(), ctx.port()
        ip = r.choice(self.staff4)
        user = r.choice(STAFF)
        yield from self.connect(pid, ip, port)
        if r.random() < 0.15:
            # A typo first: fail2ban counts it, then forgets the id on the accepted login.
            yield self.line(pid, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}")
            yield self.line(pid, f"Failed password for {user} from {ip} port {port} ssh2")
            method = "password"
        else:
            method = r.choice(["publickey", "publickey", "password", "keyboard-interactive/pam"])
        if method == "publickey":
            yield self.line(pid, f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{ctx.hexid(43)}")
        else:
            yield self.line(pid, f"Accepted {method} for {user} from {ip} port {port} ssh2")
        uid = 1000 + STAFF.index(user)
        yield self.line(pid, f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)")
        session = r.randint(1, 9999)
        yield self.line(None, f"New session {session} of user {user}.", daemon="systemd-logind[411]")
        if r.random() < 0.3:
            yield self.line(r.randint(2000, 30000), f"{user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl status fail2ban", daemon="sudo")
        end = r.random()
        if end < 0.7:
            yield self.line(pid, f"Received disconnect from {ip} port {port}:11: disconnected by user")
            yield self.line(pid, f"Disconnected from user {user} {ip} port {port}")
        elif end < 0.85:
            yield self.line(pid, f"Connection closed by {ip} port {port}")
        else:
            yield self.line(pid, f"Timeout, client not responding from user {user} {ip} port {port}")
        yield self.line(pid, f"pam_unix(sshd:session): session closed for user {user}")
        yield self.line(None, f"Session {session} logged out. Waiting for processes to exit.", daemon="systemd-logind[411]")

    def pubkey_probe(self):
        ctx, r = self.ctx, self.ctx.rng
        pid, ip, port = self.next_pid(), ctx.attacker(), ctx.port()
        user = r.choice(["root", "git", "ubuntu", "admin"])
        inv = "" if user == "root" else "invalid user "
        yield from self.connect(pid, ip, port)
        if inv:
            yield self.line(pid, f"Invalid user {user} from {ip} port {port}")
        for _ in range(r.randint(1, 3)):
            yield self.line(pid, f"Failed publickey for {inv}{user} from {ip} port {port} ssh2: RSA SHA256:{ctx.hexid(43)}")
        yield self.line(pid, f"Connection closed by {inv or 'authenticating user '}{user} {ip} port {port} [preauth]")

    def not_allowed(self):
        ctx, r = self.ctx, self.ctx.rng
        pid, ip, port = self.next_pid(), ctx.attacker(), ctx.port()
        user = r.choice(["root", "backup", "www-data"])
        yield from self.connect(pid, ip, port)
        why = r.choice(["not listed in AllowUsers", "none of user's groups are listed in AllowGroups",
                        "listed in DenyUsers"])
        yield self.line(pid, f"User {user} from {ip} not allowed because {why}")
        yield self.line(pid, f"Failed password for invalid user {user} from {ip} port {port} ssh2")
        yield self.line(pid, f"Received disconnect from {ip} port {port}:3: com.jcraft.jsch.JSchException: Auth fail [preauth]")

    def system(self):
        r = self.ctx.rng
        kind = r.random()
        if kind < 0.6:
            cron = r.randint(2000, 30000)
            yield self.line(cron, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", daemon="CRON")
            yield self.line(cron, "(root) CMD (   test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond)", daemon="CRON")
            yield self.line(cron, "pam_unix(cron:session): session closed for user root", daemon="CRON")
        elif kind < 0.97:
            yield self.line(None, "Watching system buttons on Power Button (Power Button)", daemon="systemd-logind[411]")
        else:
            yield self.line(self.listener, "Received SIGHUP; restarting.")
            yield self.line(self.listener, "Server listening on 0.0.0.0 port 22.")
            yield self.line(self.listener, "Server listening on :: port 22.")

    def run(self):
        interleave(self.ctx, self.spawn, active=24)


# ------------------------------------------------------------------------------------ asterisk

SIP_ENDINGS_F2B = ["Wrong password", "Username/auth name mismatch", "No matching peer found",
                   "Not a local domain", "Device does not match ACL", "Peer is not supposed to register",
                   "ACL error (permit/deny)"]
PJSIP_ENDINGS = ["No matching endpoint found", "Not match Endpoint ACL", "Not match Endpoint Contact ACL",
                 "Failed to authenticate", "Error to authenticate"]


def sip_host(ip):
    return f"[{ip}]" if ":" in ip else ip


class Asterisk:
    """Asterisk's `messages`/`full` log: Debian's default `[Mon dd hh:mm:ss]` dates (stock
    filter), or Wazo's `[%F %T.%4q]` and its `fail2ban` channel (NOTICE only)."""

    def __init__(self, ctx, wazo):
        self.ctx = ctx
        self.wazo = wazo
        self.threads = [ctx.rng.randint(1000, 30000) for _ in range(40)]
        self.call = 0

    def date(self, t):
        if self.wazo:
            return "[" + iso_date(t, frac=4) + "]"
        return "[" + syslog_date(t) + "]"

    def line(self, level, source, message, call=False, func=None):
        r = self.ctx.rng
        thread = r.choice(self.threads)
        cid = ""
        if call:
            self.call += 1
            cid = f"[C-{self.call & 0xffffffff:08x}]"
        where = f"{source}:{r.randint(100, 30000)} in {func}:" if func and not self.wazo else f"{source}:"
        return lambda t: f"{self.date(t)} {level}[{thread}]{cid} {where} {message}"

    def spawn(self):
        r = self.ctx.rng
        kind = r.random()
        if kind < 0.30:
            return self.pjsip_register()
        if kind < 0.38 and not self.wazo:
            return self.chansip_register()
        if kind < 0.45:
            return self.security_events()
        if kind < 0.52:
            return self.ami()
        if kind < 0.56:
            return self.iax()
        if kind < 0.62:
            return self.call_rejected()
        return self.normal()

    def pjsip_register(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.05)
        port = r.choice([5060, 5060, 5061, 5070, ctx.port()])
        ext = r.choice(["100", "1001", "2000", "admin", "asterisk", "1234", str(r.randint(100, 9999))])
        method = r.choice(["REGISTER", "REGISTER", "INVITE", "OPTIONS"])
        callid = r.choice([f"{ctx.hexid(12)}@pc33", ctx.hexid(32), f"{r.randint(100000, 999999)}-{ctx.hexid(8)}"])
        ending = r.choice(PJSIP_ENDINGS)
        frm = f'"{ext}" <sip:{ext}@{sip_host(ip)}>'
        if r.random() < 0.01:
            # The From header is the attacker's: an address and quotes inside it.
            frm = f"\"{ext}\" <sip:{ext}@10.0.0.1>' failed for '10.0.0.1:5060' (callid: x) - Failed to authenticate"
        for attempt in range(r.choice([1, 1, 2, 3])):
            tail = f" after {attempt + 1} tries in {r.randint(1, 9999) / 1000:.3f} ms" if attempt and r.random() < 0.5 else ""
            yield self.line("NOTICE", "res_pjsip/pjsip_distributor.c",
                            f"Request '{method}' from '{frm}' failed for '{sip_host(ip)}:{port}' (callid: {callid}) - {ending}{tail}")

    def chansip_register(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0)
        ext = r.choice(["100", "1001", "201", str(r.randint(100, 9999))])
        for _ in range(r.randint(1, 4)):
            yield self.line("NOTICE", "chan_sip.c",
                            f"Registration from '\"{ext}\" <sip:{ext}@192.0.2.2>' failed for '{ip}:{r.choice([5060, ctx.port()])}' - {r.choice(SIP_ENDINGS_F2B)}",
                            func="handle_request_register")
        if r.random() < 0.2:
            yield self.line("NOTICE", "chan_sip.c", f"Sending fake auth rejection for device \"{ext}\"<sip:{ext}@192.0.2.2>;tag={ctx.hexid(8)}")

    def security_events(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.05)
        family = "IPV6" if ":" in ip else "IPV4"
        session = f"0x7f{ctx.hexid(10)}"
        account = r.choice(["100", "1001", "admin", str(r.randint(100, 9999))])

        def event(name, extra=""):
            return lambda t: (f"{self.date(t)} SECURITY[{r.choice(self.threads)}] res_security_log.c: SecurityEvent=\"{name}\","
                              f"EventTV=\"{iso_date(t, sep='T', frac=6)}+0000\",Severity=\"{'Error' if name != 'ChallengeSent' else 'Informational'}\","
                              f"Service=\"PJSIP\",EventVersion=\"{1 if name == 'ChallengeSent' else 2}\",AccountID=\"{account}\",SessionID=\"{session}\","
                              f"LocalAddress=\"{family}/UDP/192.0.2.2/5060\",RemoteAddress=\"{family}/UDP/{ip}/{r.choice([5060, 5062])}\"{extra}")

        if self.wazo:
            # Wazo's fail2ban channel has no SECURITY lines: the messages log's warnings instead.
            yield self.line("WARNING", "res_pjsip_pubsub.c", f"No registered subscribe handler for event presence from {account}")
            return
        yield event("ChallengeSent", f",Challenge=\"{ctx.hexid(8)}\"")
        kind = r.choice(["InvalidPassword", "ChallengeResponseFailed", "InvalidAccountID", "FailedACL"])
        extra = {"InvalidPassword": f",Challenge=\"{ctx.hexid(8)}\",ReceivedChallenge=\"{ctx.hexid(8)}\",ReceivedHash=\"{ctx.hexid(32)}\"",
                 "ChallengeResponseFailed": f",Challenge=\"{ctx.hexid(8)}\",Response=\"{ctx.hexid(32)}\",ExpectedResponse=\"\"",
                 "InvalidAccountID": "",
                 "FailedACL": ",ACLName=\"no_extension_match\""}[kind]
        yield event(kind, extra)
        if r.random() < 0.2:
            yield event("SuccessfulAuth", ",UsingPassword=\"1\"")

    def ami(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0) if r.random() < 0.8 else "127.0.0.1"
        for _ in range(r.randint(1, 5)):
            if ip == "127.0.0.1" or r.random() < 0.2:
                yield self.line("NOTICE", "manager.c", f"{ip} tried to authenticate with nonexistent user '{r.choice(['monitoring', 'admin', 'cxpanel'])}'")
            else:
                yield self.line("NOTICE", "manager.c", f"{ip} failed to authenticate as '{r.choice(['admin', 'manager', 'asterisk', 'root', 'wazo'])}'")
        if r.random() < 0.3:
            yield self.line("VERBOSE" if not self.wazo else "NOTICE", "manager.c", f"Manager 'wazo_ami' logged on from 127.0.0.1")

    def iax(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0)
        yield self.line("NOTICE", "chan_iax2.c", f"Host {ip} failed to authenticate as '{r.choice(['Fail2ban', 'trunk', '100'])}'")
        if r.random() < 0.5:
            yield self.line("NOTICE", "chan_iax2.c", f"Host {ip} failed MD5 authentication for '{r.choice(['trunk', '100'])}' ({ctx.hexid(32)} != {ctx.hexid(32)})")
        if r.random() < 0.5:
            yield self.line("NOTICE", "chan_iax2.c", f"No registration for peer '{r.choice(['trunk-b', 'x'])}' (from {ip})")

    def call_rejected(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.03)
        number = r.choice(["00972595555555", "9011441613941000", "100", "s", "0046812345678"])
        context = "xivo-initconfig" if self.wazo and r.random() < 0.7 else r.choice(["default", "from-extern", "public"])
        if r.random() < 0.3:
            # Asterisk >= 16.15 names the channel instead: no longer the Wazo rule's text.
            yield self.line("NOTICE", "res_pjsip_session.c", f"PJSIP/{ctx.hexid(8)}: Call (UDP:{sip_host(ip)}:5060) to extension '{number}' rejected because extension not found in context '{context}'.", call=True)
        else:
            yield self.line("NOTICE", "res_pjsip_session.c", f"Call from 'anonymous' (UDP:{sip_host(ip)}:{r.choice([5060, 5071])}) to extension '{number}' rejected because extension not found in context '{context}'.", call=True)
        if not self.wazo and r.random() < 0.4:
            yield self.line("NOTICE", "chan_sip.c", f"Call from '' ({ip}:5060) to extension '{number}' rejected because extension not found in context '{context}'.", call=True)
        if not self.wazo and r.random() < 0.1:
            yield self.line("NOTICE", "chan_sip.c", f"hacking attempt detected '{ip}'")
        if not self.wazo and r.random() < 0.1:
            yield self.line("WARNING", "chan_sip.c", f"\"Rejecting unknown SIP connection from {ip}:5060\"")

    def normal(self):
        ctx, r = self.ctx, self.ctx.rng
        ext = r.randint(1001, 1030)
        kind = r.random()
        if kind < 0.4:
            yield self.line("NOTICE", "res_pjsip_registrar.c", f"Registration for endpoint '{ext}' accepted from 10.0.0.{ext - 980}:5060 (contact updated)")
        elif kind < 0.6:
            yield self.line("NOTICE", "chan_pjsip.c", f"Call from 'endpoint {ext}' to 'trunk' answered after {r.randint(1, 9)} rings", call=True)
        elif kind < 0.75:
            yield self.line("NOTICE", "res_pjsip_outbound_registration.c",
                            "Temporal response '408' received from 'sip:trunk.example.net' on registration attempt to 'sip:4401@trunk.example.net', retrying in '60'")
        elif self.wazo:
            yield self.line("NOTICE", "cdr.c", "CDR simple logging enabled.")
        else:
            pid = f"PJSIP/{ext}-{ctx.hexid(8)}"
            yield self.line("VERBOSE", "pbx.c", f"Executing [s@default:1] Answer(\"{pid}\", \"\") in new stack", call=True)
            yield self.line("VERBOSE", "pbx.c", f"Executing [s@default:2] Playback(\"{pid}\", \"tt-monkeys\") in new stack", call=True)
            yield self.line("DEBUG", "res_pjsip/pjsip_options.c", f"Qualify of contact 'sip:{ext}@10.0.0.{ext - 980}:5060' on AOR '{ext}' scheduled")
            yield self.line("WARNING", "res_rtp_asterisk.c", "RTP Read too short")

    def run(self):
        interleave(self.ctx, self.spawn, active=16)


class WazoProvd:
    """/var/log/wazo-provd-fail2ban.log (Python logging `[%(asctime)s] %(message)s`)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.nat = [f"10.0.{ctx.rng.randint(0, 3)}.{ctx.rng.randint(2, 254)}" for _ in range(60)]

    def date(self, t):
        return "[" + iso_date(t, frac=3, frac_sep=",") + "]"

    def line(self, message):
        return lambda t: f"{self.date(t)} {message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = r.choice(self.nat) if r.random() < 0.6 else ctx.attacker(v6=0.04)
        mac = ctx.hexid(12)
        if r.random() < 0.5:
            yield self.line(f"New device created automatically from {ip}: {ctx.hexid(32)}")
        for _ in range(r.choice([1, 1, 1, 3, 10])):
            name = r.choice([f"{mac}.cfg", f"{mac}-phone.cfg", f"SEP{mac.upper()}.cnf.xml", f"y0000000000{r.randint(0, 99):02d}.cfg"])
            yield self.line(f"Sensitive file requested from {ip}: {name}")
        if r.random() < 0.002:
            # A device id that is itself an address, and a line cut by a crash.
            yield self.line(f"New device created automatically from 10.0.0.9: from 203.0.113.9: {ctx.hexid(8)}")
            yield lambda t: self.date(t)[:13]

    def run(self):
        interleave(self.ctx, self.spawn, active=6)


# ------------------------------------------------------------------------------------ recidive

JAILS = ["sshd", "asterisk-wazo", "wazo-provd", "postfix", "dovecot", "nginx-http-auth", "apache-auth"]


class Recidive:
    """/var/log/fail2ban.log: Found, Ban, Unban, already banned, Restore Ban, restarts, a
    traceback now and then (undated lines)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.pid = ctx.rng.randint(400, 2000)

    def line(self, logger, level, message):
        pid = self.pid
        return lambda t: f"{iso_date(t, frac=3, frac_sep=',')} {logger:<24} [{pid}]: {level:<8}{message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        kind = r.random()
        jail = r.choice(JAILS)
        ip = ctx.attacker(v6=0.03)
        if kind < 0.75:
            for _ in range(r.randint(1, 5)):
                yield lambda t, jail=jail, ip=ip: self.line("fail2ban.filter", "INFO", f"[{jail}] Found {ip} - {iso_date(t - 1)}")(t)
            if r.random() < 0.5:
                yield self.line("fail2ban.actions", "NOTICE", f"[{jail}] Ban {ip}")
                if r.random() < 0.2:
                    yield self.line("fail2ban.actions", "NOTICE", f"[recidive] Ban {ip}")
                if r.random() < 0.1:
                    yield self.line("fail2ban.actions", "WARNING", f"[{jail}] {ip} already banned")
                yield self.line("fail2ban.actions", "NOTICE", f"[{jail}] Unban {ip}")
        elif kind < 0.80:
            yield self.line("fail2ban.filter", "INFO", f"[{jail}] Ignore 10.0.0.5 by ip")
        elif kind < 0.81:
            yield self.line("fail2ban.server", "INFO", "Shutdown in progress...")
            self.pid = r.randint(400, 30000)
            yield self.line("fail2ban.server", "INFO", "--------------------------------------------------")
            yield self.line("fail2ban.server", "INFO", "Starting Fail2ban v1.0.2")
            for j in JAILS:
                yield self.line("fail2ban.jail", "INFO", f"Jail '{j}' started")
            for _ in range(r.randint(0, 4)):
                yield self.line("fail2ban.actions", "NOTICE", f"[{r.choice(JAILS)}] Restore Ban {ctx.attacker()}")
        elif kind < 0.815:
            yield self.line("fail2ban.utils", "ERROR", f"7f{ctx.hexid(10)} -- exec: nft add element inet f2b-table addr-set-{jail} {{ {ip} }}")
            yield self.line("fail2ban.utils", "ERROR", f"7f{ctx.hexid(10)} -- stderr: 'Error: Could not process rule: No such file or directory'")
            yield lambda t: "Traceback (most recent call last):"
            yield lambda t: '  File "/usr/lib/python3/dist-packages/fail2ban/server/actions.py", line 0, in _executeActions'
            yield lambda t: "    ... Ban 203.0.113.1"
        else:
            yield self.line("fail2ban.filter", "INFO", f"[{jail}] Found {ip} - {iso_date(ctx.t - 5)}")

    def run(self):
        interleave(self.ctx, self.spawn, active=8)


# --------------------------------------------------------------------------------- mail: postfix, dovecot

class Postfix:
    """mail.log lines of Postfix's smtpd, submission, postscreen, qmgr, smtp and cleanup."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.host = "mail"
        self.pids = {d: ctx.rng.randint(1000, 30000) for d in ["qmgr", "pickup", "anvil", "postscreen"]}

    def line(self, daemon, message, pid=None):
        pid = pid or self.ctx.rng.randint(1000, 30000)
        return lambda t: f"{syslog_date(t)} {self.host} postfix/{daemon}[{pid}]: {message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.03)
        name = r.choice(["unknown", f"host-{ip.replace('.', '-')}.example.net", "mx.example.com"])
        client = f"{name}[{ip}]"
        pid = r.randint(1000, 30000)
        daemon = r.choice(["smtpd", "smtpd", "submission/smtpd"])
        kind = r.random()
        yield self.line(daemon, f"connect from {client}", pid)
        if kind < 0.25:
            code, reason = r.choice([
                ("554 5.7.1", f"<spam@{ip}>: Relay access denied"),
                ("450 4.7.1", f"Client host rejected: cannot find your hostname, [{ip}]"),
                ("550 5.1.1", "<nobody@example.org>: Recipient address rejected: User unknown in local recipient table"),
                ("504 5.5.2", "<localhost>: Helo command rejected: need fully-qualified hostname"),
                ("450 4.1.8", "<a@nx.invalid>: Sender address rejected: Domain not found"),
                ("554 5.7.1", f"Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}"),
                ("550 5.7.1", "<x@example.org>: Recipient address rejected: Access denied"),
            ])
            verb = r.choice(["RCPT", "RCPT", "EHLO", "MAIL"])
            yield self.line(daemon, f"NOQUEUE: reject: {verb} from {client}: {code} {reason}; from=<spam@example.com> to=<nobody@example.org> proto=ESMTP helo=<{r.choice(['localhost', 'User', name])}>", pid)
        elif kind < 0.5:
            mech = r.choice(["LOGIN", "PLAIN", "login", "CRAM-MD5"])
            for _ in range(r.randint(1, 3)):
                msg = r.choice(["UGFzc3dvcmQ6", "authentication failure", "Connection lost to authentication server", "Invalid authentication mechanism"]) if r.random() < 0.3 else "UGFzc3dvcmQ6"
                yield self.line(daemon, f"warning: {client}: SASL {mech} authentication failed: {msg}", pid)
            yield self.line(daemon, f"lost connection after AUTH from {client}", pid)
        elif kind < 0.6:
            yield self.line(daemon, f"improper command pipelining after CONNECT from {client}: GET / HTTP/1.1\\r\\nHost: {ip}\\r\\n", pid)
        elif kind < 0.65:
            yield self.line(daemon, f"too many errors after RCPT from {client}", pid)
        elif kind < 0.72:
            yield lambda t: f"{syslog_date(t)} {self.host} postfix/postscreen[{self.pids['postscreen']}]: PREGREET 11 after 0.1 from [{ip}]:{ctx.port()}: EHLO User\\r\\n"
            yield lambda t: f"{syslog_date(t)} {self.host} postfix/postscreen[{self.pids['postscreen']}]: HANGUP after 0.{r.randint(1, 9)} from [{ip}]:{ctx.port()} in tests after SMTP handshake"
        else:
            qid = ctx.hexid(10).upper()
            yield self.line("cleanup", f"{qid}: message-id=<{ctx.hexid(16)}@{name}>")
            yield self.line("qmgr", f"{qid}: from=<news@example.com>, size={r.randint(900, 90000)}, nrcpt=1 (queue active)", self.pids["qmgr"])
            yield self.line("local", f"{qid}: to=<alice@example.org>, relay=local, delay=0.1, status=sent (delivered to mailbox)")
            yield self.line("qmgr", f"{qid}: removed", self.pids["qmgr"])
        auth = r.choice(["", " auth=0/1", " auth=0/2", " auth=1"]) if kind < 0.5 else ""
        yield self.line(daemon, f"disconnect from {client} ehlo=1{auth} quit=1 commands=2/3", pid)

    def run(self):
        interleave(self.ctx, self.spawn, active=14)


class Dovecot:
    """Dovecot through syslog: logins, auth failures (passdb, pam), aborted logins."""

    def __init__(self, ctx):
        self.ctx = ctx

    def line(self, message, daemon="dovecot"):
        return lambda t: f"{syslog_date(t)} mail {daemon}: {message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.03)
        proto = r.choice(["imap", "pop3", "submission", "managesieve"])
        user = r.choice(USERS + ["alice@example.org", "info@example.org"])
        session = ctx.hexid(16)
        kind = r.random()
        if kind < 0.3:
            worker = r.randint(1000, 30000)
            for _ in range(r.randint(1, 3)):
                k = r.randrange(4)
                if k == 0:
                    yield self.line(f"auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser={user} rhost={ip}")
                elif k == 1:
                    yield self.line(f"auth-worker({worker}): pam({user},{ip},<{session}>): pam_authenticate() failed: Authentication failure (password mismatch?)")
                elif k == 2:
                    yield self.line(f"auth: passwd-file({user},{ip},<{session}>): unknown user")
                else:
                    yield self.line(f"auth-worker({worker}): sql({user},{ip},<{session}>): Password mismatch")
            yield self.line(f"{proto}-login: Disconnected (auth failed, {r.randint(1, 3)} attempts in {r.randint(1, 12)} secs): user=<{user}>, method=PLAIN, rip={ip}, lip=192.0.2.2, TLS, session=<{session}>")
        elif kind < 0.45:
            yield self.line(f"{proto}-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<{user}>, method=LOGIN, rip={ip}, lip=192.0.2.2, session=<{session}>")
        elif kind < 0.6:
            why = r.choice(["no auth attempts in 0 secs", "disconnected before auth was ready, waited 0 secs", "client didn't finish SASL auth, waited 1 secs"])
            yield self.line(f"{proto}-login: {r.choice(['Disconnected', 'Aborted login'])} ({why}): user=<>, rip={ip}, lip=192.0.2.2, TLS handshaking: SSL_accept() failed: error:0A00006C:SSL routines::bad key share, session=<{session}>")
        elif kind < 0.65:
            yield self.line(f"{proto}-login: Disconnected: Connection closed (tried to use disallowed plaintext auth): user=<>, rip={ip}, lip=192.0.2.2, session=<{session}>")
        else:
            staff = r.choice(STAFF)
            yield self.line(f"{proto}-login: Login: user=<{staff}>, method=PLAIN, rip=10.0.0.{r.randint(2, 40)}, lip=192.0.2.2, mpid={r.randint(1000, 30000)}, TLS, session=<{session}>")
            yield self.line(f"{proto}({staff})<{r.randint(1000, 30000)}><{session}>: Logged out in={r.randint(10, 9999)} out={r.randint(10, 99999)} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0")

    def run(self):
        interleave(self.ctx, self.spawn, active=10)


# ------------------------------------------------------------------------------- web: nginx, apache

PATHS = ["/admin", "/", "/private/", "/wp-login.php", "/phpmyadmin/", "/manager/html", "/api/v1/login"]


class NginxAuth:
    """nginx's error.log: basic-auth failures, TLS handshake errors, missing files."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.workers = [ctx.rng.randint(1000, 30000) for _ in range(4)]
        self.conn = ctx.rng.randint(1, 100000)

    def line(self, level, message):
        self.conn += self.ctx.rng.randint(1, 30)
        worker, conn = self.ctx.rng.choice(self.workers), self.conn
        return lambda t: f"{utc(t).strftime('%Y/%m/%d %H:%M:%S')} [{level}] {worker}#{worker}: *{conn} {message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.05)
        server = r.choice(["example.org", "pbx.example.org", "_"])
        path = r.choice(PATHS)
        method = r.choice(["GET", "GET", "POST", "HEAD"])
        request = f'{method} {path} HTTP/{r.choice(["1.1", "1.0", "2.0"])}'
        host = r.choice([server, ip, "localhost:8080"])
        referrer = f', referrer: "https://{server}{r.choice(PATHS)}"' if r.random() < 0.2 else ""
        kind = r.random()
        if kind < 0.45:
            user = r.choice(USERS)
            for _ in range(r.randint(1, 4)):
                if r.random() < 0.6:
                    yield self.line("error", f'user "{user}": password mismatch, client: {ip}, server: {server}, request: "{request}", host: "{host}"{referrer}')
                else:
                    yield self.line("error", f'user "{user}" was not found in "/etc/nginx/.htpasswd", client: {ip}, server: {server}, request: "{request}", host: "{host}"{referrer}')
        elif kind < 0.5:
            yield self.line("error", f'user "admin": password mismatch, client: {ip}, server: {server}, request: "GET /a b HTTP/1.1", host: "{host}"')
        elif kind < 0.6:
            reason = r.choice(["(SSL: error:0A00010B:SSL routines::wrong version number)",
                               "(SSL: error:1408F092:SSL routines:ssl3_get_record:data length too long)",
                               "(SSL: error:14094085:SSL routines:ssl3_read_bytes:record too short)",
                               "(SSL: error:0A000102:SSL routines::unsupported protocol)"])
            yield self.line("crit", f"SSL_do_handshake() failed {reason} while SSL handshaking, client: {ip}, server: 0.0.0.0:443")
        elif kind < 0.8:
            yield self.line("error", f'no user/password was provided for basic authentication, client: {ip}, server: {server}, request: "{request}", host: "{host}"')
        elif kind < 0.95:
            yield self.line("error", f'open() "/var/www/html{path}index.php" failed (2: No such file or directory), client: {ip}, server: {server}, request: "{request}", host: "{host}"')
        else:
            yield self.line("warn", f'a client request body is buffered to a temporary file /var/lib/nginx/body/00000000{r.randint(10, 99)}, client: {ip}, server: {server}, request: "POST /upload HTTP/1.1", host: "{host}"')

    def run(self):
        interleave(self.ctx, self.spawn, active=8)


class ApacheAuth:
    """Apache 2.4's error.log (and a few 2.2-style lines): auth_basic, auth_digest, authz."""

    def __init__(self, ctx):
        self.ctx = ctx

    def date(self, t, micro=True):
        d = utc(t)
        frac = f".{d.microsecond:06d}" if micro else ""
        return f"[{DAYS[d.weekday()]} {MONTHS[d.month - 1]} {d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}{frac} {d.year}]"

    def line(self, module, message, ip, port=None):
        r = self.ctx.rng
        pid, tid = r.randint(1000, 30000), r.randint(139000000000000, 140999999999999)
        client = f"[client {ip}:{port}] " if port else (f"[client {ip}] " if ip else "")
        return lambda t: f"{self.date(t)} [{module}] [pid {pid}:tid {tid}] {client}{message}"

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.05)
        port = ctx.port()
        user = r.choice(USERS)
        path = r.choice(PATHS)
        kind = r.random()
        if kind < 0.25:
            for _ in range(r.randint(1, 3)):
                yield self.line("auth_basic:error", f'AH01617: user {user}: authentication failure for "{path}": Password Mismatch', ip, port)
        elif kind < 0.4:
            yield self.line("auth_basic:error", f"AH01618: user {user} not found: {path}", ip, port)
        elif kind < 0.5:
            yield self.line("authz_core:error", f"AH01630: client denied by server configuration: /var/www{path}", ip, port)
        elif kind < 0.55:
            yield self.line("auth_digest:error", f"AH01790: user `{user}' in realm `Private' not found: {path}", ip, port)
        elif kind < 0.58:
            yield self.line("auth_digest:error", f"AH01793: invalid qop `auth-int' received: {path}", ip, port)
        elif kind < 0.6:
            yield self.line("auth_digest:error", f"AH01776: invalid nonce {ctx.hexid(20)} received - length is not 52", ip, port)
        elif kind < 0.63:
            # mod_evasive's denial: not an authentication failure in normal mode.
            yield self.line("evasive20:error", "client denied by server configuration: /var/www/index.html", ip, port)
        elif kind < 0.66:
            d = lambda t: "[" + utc(t).strftime("%a %b %d %H:%M:%S %Y") + "]"
            yield lambda t: f"{d(t)} [error] [client {ip}] user {user} not found: {path}"
            yield lambda t: f"{d(t)} [error] [client {ip}] File does not exist: /var/www/favicon.ico"
        elif kind < 0.68:
            yield self.line("ssl:error", f"AH02032: Hostname {ip} provided via SNI and hostname example.org provided via HTTP have no compatible SSL setup", ip, port)
        elif kind < 0.85:
            yield self.line("core:error", f"AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1", ip, port)
        elif kind < 0.95:
            yield self.line("php:error", f"PHP Warning:  Undefined variable $user in /var/www/html/index.php on line {r.randint(1, 300)}", ip, port)
        else:
            yield self.line("mpm_event:notice", "AH00489: Apache/2.4.57 (Debian) OpenSSL/3.0.11 configured -- resuming normal operations", None)

    def run(self):
        interleave(self.ctx, self.spawn, active=8)


class PamGeneric:
    """auth.log lines of PAM's `authentication failure` from many services."""

    def __init__(self, ctx):
        self.ctx = ctx

    def spawn(self):
        ctx, r = self.ctx, self.ctx.rng
        ip = ctx.attacker(v6=0.04)
        service, tty = r.choice([("sshd", "ssh"), ("vsftpd", "ftp"), ("proftpd", "ssh"), ("dovecot", "dovecot"),
                                 ("login", "tty1"), ("su", "pts/0"), ("sudo", "/dev/pts/1"), ("cockpit-session", "")])
        pid = r.randint(1000, 30000)
        user = r.choice(USERS)
        pam = r.choice(["pam_unix", "pam_unix", "pam_ldap", "pam_sss"])
        prefix = lambda t: f"{syslog_date(t)} host {service}[{pid}]: "
        if service in ("su", "sudo", "login"):
            yield lambda t: prefix(t) + f"{pam}({service}:auth): authentication failure; logname={r.choice(STAFF)} uid=1000 euid=0 tty={tty} ruser={r.choice(STAFF)} rhost=  user=root"
        else:
            for _ in range(r.randint(1, 3)):
                extra = f"  user={user}" if r.random() < 0.5 else ""
                yield lambda t: prefix(t) + f"{pam}({service}:auth): authentication failure; logname= uid=0 euid=0 tty={tty} ruser= rhost={ip}{extra}"
        if r.random() < 0.3:
            yield lambda t: prefix(t) + f"{pam}({service}:auth): check pass; user unknown"
        if r.random() < 0.3:
            yield lambda t: prefix(t) + f"pam_unix({service}:session): session opened for user {r.choice(STAFF)}(uid=1000) by (uid=0)"

    def run(self):
        interleave(self.ctx, self.spawn, active=8)


# ------------------------------------------------------------------------ generic: from the samples

DATE_FIELDS = set("aAbBdHIjmMpSyYfzZ")


def title_like(text, value):
    """`value` in the letter case of `text` (Jan, JAN, jan)."""
    if text.isupper():
        return value.upper()
    if text.islower():
        return value.lower()
    return value


class DateRenderer:
    """Rewrites the date fail2ban's detector finds in one sample line, at any time, in the same
    format: from the named groups of the template's regex (their spans in the line), or the
    digits of an epoch, or TAI64N."""

    def __init__(self, line, match, template):
        self.line = line
        self.start, self.end = match.span(1)
        self.kind = type(template).__name__
        self.fields = []
        self.offset = 0
        self.has_seconds = True
        self.has_date = True
        if self.kind == "DatePatternRegex":
            groups = match.groupdict()
            for name, value in groups.items():
                if name in DATE_FIELDS and value is not None:
                    s, e = match.span(name)
                    if s >= 0:
                        self.fields.append((s, e, name, value))
            self.fields.sort()
            names = {f[2] for f in self.fields}
            self.has_seconds = "S" in names
            self.has_date = bool(names & set("bBdmjyY"))
            if not names & set("HIMSbBdmjyY"):
                raise ValueError("no date fields")
        elif self.kind == "DateEpoch":
            text = match.group(template._grpIdx)
            s = match.start(template._grpIdx)
            self.fields = [(s, s + len(text), "epoch", text)]
        elif self.kind == "DateTai64n":
            s, e = match.span(1)
            self.fields = [(s, e, "tai64n", match.group(1))]
        else:
            raise ValueError(self.kind)

    def zone_offset(self, parsed):
        """The text's wall clock minus UTC, when it names its zone."""
        values = {f[2]: f[3] for f in self.fields}
        if "z" not in values and "Z" not in values:
            return 0
        d = utc(parsed)
        try:
            year = int(values["Y"]) if "Y" in values else (2000 + int(values["y"]) if "y" in values else d.year)
            if "m" in values:
                month = int(values["m"])
            elif "b" in values:
                month = [m.lower() for m in MONTHS].index(values["b"][:3].lower()) + 1
            elif "B" in values:
                month = [m.lower() for m in MONTH_NAMES].index(values["B"].lower()) + 1
            else:
                month = d.month
            day = int(values.get("d", d.day))
            hour = int(values.get("H", d.hour))
            if "I" in values:
                hour = int(values["I"]) % 12 + (12 if values.get("p", "").upper().startswith("P") else 0)
            minute = int(values.get("M", d.minute))
            second = int(values.get("S", d.second))
            wall = datetime.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=datetime.timezone.utc).timestamp()
        except (ValueError, KeyError):
            return 0
        offset = round((wall - parsed) / 60.0) * 60
        return offset if abs(offset) <= 14 * 3600 else 0

    def field(self, name, orig, t):
        if name == "epoch":
            whole, _, frac = orig.partition(".")
            if len(whole) >= 16:
                text = f"{int(t * 1e6):d}"
            elif len(whole) >= 13:
                text = f"{int(t * 1e3):d}"
            else:
                text = f"{int(t):d}"
            if frac:
                text += "." + f"{t - int(t):.6f}"[2:2 + len(frac)]
            return text
        if name == "tai64n":
            return "@" + f"{0x4000000000000000 + int(t):016x}" + f"{int((t - int(t)) * 1e9):08x}"
        d = utc(t + self.offset)

        def num(value, width):
            if len(orig) == 1 or (len(orig) < width and not orig.startswith("0")):
                return str(value)
            if orig.startswith(" "):
                return f"{value:{width}d}"
            return f"{value:0{width}d}"

        if name == "Y":
            return f"{d.year:04d}"
        if name == "y":
            return f"{d.year % 100:02d}"
        if name == "m":
            return num(d.month, 2)
        if name == "d":
            if len(orig) == 2 and orig[0] not in " 0" and d.day < 10:
                # "21" -> " 2" in syslog's `%e` after a month name, "02" elsewhere.
                before = self.line[:self.line.find(orig)].rstrip(" ")
                return f"{d.day:2d}" if before[-1:].isalpha() else f"{d.day:02d}"
            return num(d.day, 2)
        if name == "H":
            return num(d.hour, 2)
        if name == "I":
            return num((d.hour + 11) % 12 + 1, 2)
        if name == "p":
            return title_like(orig, "AM" if d.hour < 12 else "PM")
        if name == "M":
            return num(d.minute, 2)
        if name == "S":
            return num(d.second, 2)
        if name == "f":
            return (f"{d.microsecond:06d}" + "0" * 12)[:len(orig)]
        if name == "j":
            return num(d.timetuple().tm_yday, 3)
        if name == "b":
            return title_like(orig, MONTHS[d.month - 1])
        if name == "B":
            return title_like(orig, MONTH_NAMES[d.month - 1])
        if name == "a":
            return title_like(orig, DAYS[d.weekday()])
        if name == "A":
            return title_like(orig, DAY_NAMES[d.weekday()])
        return orig  # z, Z: the zone stays as written

    def render(self, t, line=None):
        """`line` (the sample, or the sample with its addresses renumbered but its date where it
        was) with the date at time `t`."""
        line = self.line if line is None else line
        out, at = [], 0
        for s, e, name, orig in self.fields:
            out.append(line[at:s])
            out.append(self.field(name, orig, t))
            at = e
        out.append(line[at:])
        return "".join(out)


class Samples:
    """fail2ban's annotated samples for a filter, as blocks of lines with date renderers."""

    def __init__(self, name, spec, fail2ban_dir):
        self.name = name
        self.blocks = self.read(name)
        self.detector = self.date_detector(spec, fail2ban_dir)
        self.dropped = 0
        self.prepare()

    @staticmethod
    def read(name):
        path = os.path.join(SAMPLES, name)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            raw = f.read().split("\n")
        blocks, block, skip, annotation = [], [], False, None
        for line in raw:
            line = line.rstrip("\r")
            if line.startswith("#"):
                body = line.lstrip("#").strip()
                kind, _, value = body.partition(":")
                if kind == "filterOptions":
                    try:
                        options = json.loads(value)
                    except ValueError:
                        options = {}
                    sets = options if isinstance(options, list) else [options]
                    # Lines for journal-like log types are not lines of a log file.
                    skip = not any(s.get("logtype", "file") == "file" and "test.prefix-line" not in s for s in sets)
                    if block:
                        blocks.append(block)
                        block = []
                elif kind == "failJSON":
                    try:
                        annotation = json.loads(value)
                    except ValueError:
                        annotation = {}
                elif block and kind not in ("fileOptions", "addFILE"):
                    blocks.append(block)
                    block = []
                continue
            if not line.strip():
                if block:
                    blocks.append(block)
                    block = []
                annotation = None
                continue
            if not skip:
                block.append((line, annotation or {}))
            annotation = None
        if block:
            blocks.append(block)
        return blocks

    @staticmethod
    def date_detector(spec, fail2ban_dir):
        from fail2ban.client.fail2banregex import Fail2banRegex, get_opt_parser
        opts, _ = get_opt_parser().parse_args(["-c", fail2ban_dir, "x", spec])
        with contextlib.redirect_stdout(sys.stderr):
            regex = Fail2banRegex(opts)
            if not regex.readRegex(spec, "fail"):
                raise SystemExit(f"fail2ban cannot read the filter {spec}")
        return regex._filter.dateDetector

    def parse(self, line):
        match, template = self.detector.matchTime(line)
        if not match or template is None:
            return None, None
        got = self.detector.getTime(line, (match, template))
        return (match, template), (got[0] if got else None)

    def prepare(self):
        """A renderer per dated sample line, kept only when fail2ban reads the rewritten date
        back as the time it was written for."""
        probe = time.time() - 5 * 86400 + 12345.678
        out = []
        for block in self.blocks:
            lines = []
            for line, annotation in block:
                found, parsed = self.parse(line)
                if found is None:
                    lines.append((line, annotation, None))
                    continue
                try:
                    renderer = DateRenderer(line, *found)
                except ValueError:
                    self.dropped += 1
                    continue
                if parsed is not None:
                    renderer.offset = renderer.zone_offset(parsed)
                if not self.checks(renderer, probe) or not self.checks(renderer, probe - 40 * 86400 + 7777.25):
                    self.dropped += 1
                    continue
                lines.append((line, annotation, renderer))
            if lines:
                out.append(lines)
        self.blocks = out

    def checks(self, renderer, t):
        _, parsed = self.parse(renderer.render(t))
        if parsed is None:
            return False
        if not renderer.has_date:
            return (parsed - t) % 86400 < 1 or (parsed - t) % 86400 > 86399
        step = 1.0 if renderer.has_seconds else 60.0
        return abs(parsed - t) < step


IPV4 = re.compile(r"(?<![\w.\-])(\d{1,3}(?:\.\d{1,3}){3})(?!\.?\d)(?![\w\-])")
IPV6 = re.compile(r"(?<![\w:.])([0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})(?![\w:.])")
PID = re.compile(r"(?<=[A-Za-z\-_.)])\[(\d{2,7})\]")


class Generic:
    """Any filter, from its sample lines: each block of samples is a session, replayed with its
    addresses renumbered (a busy attacker comes back), its PIDs renumbered (and reused), its
    dates rewritten at the time it is written; noise and undated lines between sessions."""

    def __init__(self, ctx, name, spec, fail2ban_dir):
        self.ctx = ctx
        self.samples = Samples(name, spec, fail2ban_dir)
        if self.samples.dropped:
            print(f"{name}: {self.samples.dropped} sample line(s) with a date that cannot be rewritten left out", file=sys.stderr)
        if not self.samples.blocks:
            raise SystemExit(f"{name}: no usable sample lines")
        self.dated = [entry for block in self.samples.blocks for entry in block if entry[2] is not None]
        self.pid = ctx.rng.randint(1000, 30000)

    def renumber(self, line, annotation, hosts, pids):
        ctx = self.ctx
        host = annotation.get("host")
        if isinstance(host, str) and host and not self.is_ip(host) and re.search(r"[A-Za-z]", host):
            # A name fail2ban would resolve: an address instead (no DNS in a benchmark).
            new = hosts.setdefault(host, ctx.attacker(v6=0))
            line = re.sub(r"(?<![\w.\-])" + re.escape(host) + r"(?![\w\-]|\.\w)", new, line)

        def v4(m):
            text = m.group(1)
            if not self.is_ip(text):
                return text
            return hosts.setdefault(text, ctx.attacker(v6=0))

        def v6(m):
            text = m.group(1)
            if not self.is_ip(text) or ":" not in text:
                return text
            return hosts.setdefault(text, ctx.rng.choice(ctx.attackers6))

        def pid(m):
            return "[" + str(pids.setdefault(m.group(1), self.next_pid())) + "]"

        line = IPV4.sub(v4, line)
        line = IPV6.sub(v6, line)
        return PID.sub(pid, line)

    @staticmethod
    def is_ip(text):
        try:
            ipaddress.ip_address(text)
            return True
        except ValueError:
            return False

    def next_pid(self):
        self.pid += 1 + int(self.ctx.rng.expovariate(0.3))
        if self.pid >= 32768:
            self.pid = 300 + self.pid - 32768
        return self.pid

    def session(self):
        block = self.ctx.rng.choice(self.samples.blocks)
        hosts, pids = {}, {}
        for line, annotation, renderer in block:
            # The address and PID renumbering keeps the date where it is: render on the
            # renumbered line only when it does not move the date.
            new = self.renumber(line, annotation, hosts, pids)
            if renderer is None:
                yield lambda t, new=new: new
            elif new[:renderer.end] == line[:renderer.end] and len(new) >= renderer.end:
                yield lambda t, r=renderer, new=new: r.render(t, new)
            else:
                yield lambda t, r=renderer, new=new: self.rerender(r, new, t)

    def rerender(self, renderer, new, t):
        """The date of a line whose renumbering moved it: found again by fail2ban's detector."""
        found, _ = self.samples.parse(new)
        if found is None:
            return renderer.render(t)
        try:
            other = DateRenderer(new, *found)
        except ValueError:
            return renderer.render(t)
        other.offset = renderer.offset
        return other.render(t)

    SYSLOG_NOISE = ["CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                    "CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
                    "systemd[1]: Started session-{pid}.scope - Session {pid} of User alice.",
                    "systemd[1]: logrotate.service: Deactivated successfully.",
                    "kernel: [{pid}.123456] audit: type=1400 audit({epoch}.123:{pid}): apparmor=\"STATUS\" operation=\"profile_load\"",
                    "rsyslogd: [origin software=\"rsyslogd\" swVersion=\"8.2302.0\" x-pid=\"{pid}\"] rsyslogd was HUPed",
                    "dhclient[{pid}]: DHCPACK of 10.0.0.9 from 10.0.0.1 (xid=0x{hex})",
                    "systemd-logind[411]: New session {pid} of user alice."]
    PLAIN_NOISE = ["INFO connection established", "request completed in {pid} ms", "GET /index.html 200",
                   "debug: cache hit ratio 0.{pid}", "notice: configuration reloaded", "worker {pid} started"]
    UNDATED_NOISE = ["    at org.example.Server.handle(Server.java:{pid})", "\tpreviously logged {pid} times",
                     "--- last message repeated {pid} times ---", "Traceback (most recent call last):"]

    def noise(self, t):
        r = self.ctx.rng
        fill = {"pid": r.randint(100, 32000), "hex": self.ctx.hexid(8), "epoch": int(t)}
        if r.random() < 0.04:
            return r.choice(self.UNDATED_NOISE).format(**fill)
        line, _, renderer = r.choice(self.dated)
        rest = line[renderer.end:]
        syslog = re.match(r"(\s+\S+\s+)\S+?(?:\[\d+\])?:\s", rest)
        if syslog and renderer.fields[0][2] in "bBmdY":
            message = syslog.group(1) + r.choice(self.SYSLOG_NOISE).format(**fill)
        else:
            # What follows the date up to the first blank ("] ", ":603): "), then the noise.
            keep = re.match(r"\S*\s?", rest).group(0) or " "
            if not keep[-1:].isspace():
                keep += " "
            message = keep + r.choice(self.PLAIN_NOISE).format(**fill)
        text = renderer.render(t, line[:renderer.end] + message)
        return text if not text.startswith("#") else None

    def run(self):
        interleave(self.ctx, self.session, active=6, noise=self.noise, noise_p=0.3)


DEDICATED = {
    "sshd": lambda ctx: Sshd(ctx),
    "asterisk": lambda ctx: Asterisk(ctx, wazo=False),
    "asterisk-wazo": lambda ctx: Asterisk(ctx, wazo=True),
    "wazo-provd": lambda ctx: WazoProvd(ctx),
    "recidive": lambda ctx: Recidive(ctx),
    "postfix": lambda ctx: Postfix(ctx),
    "dovecot": lambda ctx: Dovecot(ctx),
    "nginx-http-auth": lambda ctx: NginxAuth(ctx),
    "apache-auth": lambda ctx: ApacheAuth(ctx),
    "pam-generic": lambda ctx: PamGeneric(ctx),
}


def default_end():
    """Today's midnight UTC minus two hours: in the past, and the same all day."""
    now = time.time()
    return float(int(now // 86400) * 86400 - 7200)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filter", help="filter name (options in brackets are allowed with --generic)")
    parser.add_argument("lines", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("out")
    parser.add_argument("--end", type=float, default=None, help="epoch of the last line (about)")
    parser.add_argument("--generic", action="store_true", help="build from fail2ban's samples even for a dedicated filter")
    parser.add_argument("--fail2ban-dir", default="/etc/fail2ban", help="where the filter is (for its date pattern)")
    args = parser.parse_args()
    end = args.end if args.end is not None else default_end()
    rng = random.Random(f"{args.filter}/{args.seed}")
    name = args.filter.split("[")[0]
    with open(args.out, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        if name in DEDICATED and not args.generic:
            ctx = Ctx(rng, args.lines, end, rate=1.5, out=out)
            DEDICATED[name](ctx).run()
        else:
            ctx = Ctx(rng, args.lines, end, rate=0.5, out=out)
            Generic(ctx, name, args.filter, args.fail2ban_dir).run()


if __name__ == "__main__":
    main()
