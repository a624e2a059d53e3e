#!/usr/bin/env python3
"""Writes the demo's recorded logs (demo/logs/) for a Wazo PBX under attack.

The recordings are synthetic but follow the exact formats of a Wazo server (see
shared/wazo-facts.md): Asterisk's `fail2ban` log channel, wazo-provd's fail2ban log, and sshd
entries as `journalctl -o json` lines. A fixed seed makes the files reproducible: run
`python3 demo/generate_logs.py` after changing the scenario below, and commit the result.

Scenario (minutes after 17:00:00 UTC, 2026-01-19), 24 minutes:
  0-24  benign noise: LAN phones provisioning and registering, trunk notices, admin logins
  1     PJSIP REGISTER brute force from 203.0.113.5 (fast) ...
  3     the operator's own address 192.0.2.10 fails SIP twice and SSH three times
  4     ... from 198.51.100.23 (slow), 7: from IPv6 2001:db8:4::5
  1-2   SSH brute force from 198.51.100.7, again after its ban expires (13)
  2     provisioning scan from 198.51.100.77, again after its ban expires (13)
  9     AMI login attack from 192.0.2.11
  12    SIP scanner (no matching endpoint) from 203.0.113.77
  15    IAX2 failures from 192.0.2.13 (below the threshold)
  18    calls to xivo-initconfig from 203.0.113.200
  20    SSH root guessing from 203.0.113.45, provisioning scan from 203.0.113.99
  21    AMI logins with nonexistent users from 203.0.113.66 (no jail counts them)
"""

import json
import os
import random
from datetime import datetime, timedelta, timezone

START = datetime(2026, 1, 19, 17, 0, 0, tzinfo=timezone.utc)
END = START + timedelta(minutes=24)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs")
rng = random.Random(20260119)

asterisk, provd, journal = [], [], []


def at(minutes, seconds=0.0):
    return START + timedelta(minutes=minutes, seconds=seconds)


def ast(t, message, thread=None, call=None):
    thread = thread or rng.choice([2187, 2201, 2345, 2411, 2533])
    callid = f"[C-{call:08x}]" if call is not None else ""
    stamp = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 100:04d}"
    asterisk.append((t, f"[{stamp}] NOTICE[{thread}]{callid} {message}"))


def prov(t, message):
    stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
    provd.append((t, f"[{stamp}] {message}"))


def ssh(t, message, pid):
    entry = {
        "__CURSOR": f"s=4c1f0e4a2b;i={len(journal) + 0x1a2b3:x};b=9d2c;m={len(journal):x};t=0;x=0",
        "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1_000_000)),
        "__MONOTONIC_TIMESTAMP": str(int((t - START).total_seconds() * 1_000_000) + 86_400_000_000),
        "_BOOT_ID": "9d2c6f1e0b8a4c3d9e7f6a5b4c3d2e1f",
        "PRIORITY": "6",
        "SYSLOG_FACILITY": "4",
        "_UID": "0",
        "_GID": "0",
        "_TRANSPORT": "syslog",
        "_HOSTNAME": "pbx",
        "SYSLOG_IDENTIFIER": "sshd",
        "_COMM": "sshd",
        "_EXE": "/usr/sbin/sshd",
        "_SYSTEMD_UNIT": "ssh.service",
        "SYSLOG_PID": str(pid),
        "_PID": str(pid),
        "MESSAGE": message if isinstance(message, str) else list(message),
    }
    journal.append((t, json.dumps(entry, separators=(",", ":"))))


def callid():
    return f"{rng.getrandbits(48):012x}@{rng.choice(['pc33', 'sipvicious', 'friendly-scanner', '10.0.0.5'])}"


def pjsip_register(t, ip, user, port=5060, endings=("Failed to authenticate",)):
    """One failed REGISTER: about three matching lines, as Asterisk writes them."""
    host = f"[{ip}]" if ":" in ip else ip
    cid = callid()
    for n, ending in enumerate(endings):
        tries = f" after {n + 1} tries in {rng.uniform(1, 4):.3f} ms" if n else ""
        line = (f"res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"{user}\" <sip:{user}@{host}>' "
                f"failed for '{host}:{port}' (callid: {cid}) - {ending}{tries}")
        ast(t + timedelta(milliseconds=40 * n), line, thread=2411)


# --- benign noise -------------------------------------------------------------------------
ast(at(0, 1), "cdr.c: CDR simple logging enabled.", thread=2187)
t = at(0, 5)
while t < END:
    choice = rng.random()
    if choice < 0.35:
        ast(t, "res_pjsip_outbound_registration.c: Temporal response '408' received from "
               "'sip:trunk.example.net' on registration attempt to 'sip:4401@trunk.example.net', retrying in '60'", thread=2290)
    elif choice < 0.55:
        ast(t, "manager.c: 127.0.0.1 tried to authenticate with nonexistent user 'monitoring'", thread=2418)
    elif choice < 0.8:
        ext = rng.choice([1002, 1003, 1005, 1008])
        ast(t, f"res_pjsip_registrar.c: Registration for endpoint '{ext}' accepted from 10.0.0.{ext - 980}:5060 (contact updated)", thread=2345)
    else:
        ast(t, f"chan_pjsip.c: Call from 'endpoint {rng.choice([1002, 1003])}' to 'trunk' answered after {rng.randint(2, 9)} rings",
            thread=2533, call=rng.randint(1, 400))
    t += timedelta(seconds=rng.uniform(15, 70))

# A truncated line, as after a crash mid-write: the demo must count and skip it.
asterisk.append((at(6, 30.5), "[2026-01-19 17:0"))

# LAN phones provisioning on first boot (two failures each, below wazo-provd's threshold).
for i, minute in enumerate([0.5, 0.6, 5.2, 16.0]):
    ip = f"10.0.0.{21 + i}"
    t = at(minute)
    prov(t, f"New device created automatically from {ip}: {rng.getrandbits(128):032x}")
    prov(t + timedelta(milliseconds=7), f"Sensitive file requested from {ip}: {rng.getrandbits(48):012x}.cfg")

# A LAN phone with a stale password, once (the ACL quirk: "Not match Endpoint ACL" counts too).
pjsip_register(at(8, 12), "10.0.0.27", "1017", endings=("Not match Endpoint ACL",))

# Admin sessions by the operator, and other sshd noise.
ssh(at(0, 12), "Accepted publickey for admin from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:Jq3v2wJmQk7mB6p1Yx0dVnT4tG8rZc5sEoLhUiKaPfM", 812)
ssh(at(0, 12.2), "pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)", 812)
for minute in (6.5, 11, 17.5, 22):
    pid = rng.randint(3000, 9000)
    ssh(at(minute), f"Received disconnect from 10.0.0.5 port {rng.randint(40000, 60000)}:11: disconnected by user", pid)
    ssh(at(minute, 0.1), f"Disconnected from user backup 10.0.0.5 port {rng.randint(40000, 60000)}", pid)

# --- attacks ------------------------------------------------------------------------------
# PJSIP REGISTER brute force, fast, 203.0.113.5: 3 lines per attempt, 15 lines -> ban.
t = at(1, 3)
for n in range(12):
    pjsip_register(t, "203.0.113.5", str(1001 + n % 10), port=5070,
                   endings=("No matching endpoint found",) if n % 3 else ("Failed to authenticate",) * 3)
    t += timedelta(seconds=rng.uniform(2, 5))

# ... slow, 198.51.100.23.
t = at(4, 10)
for n in range(14):
    pjsip_register(t, "198.51.100.23", str(100 + n), port=5060, endings=("Failed to authenticate",) * 2)
    t += timedelta(seconds=rng.uniform(15, 25))

# ... IPv6, 2001:db8:4::5.
t = at(7, 2)
for n in range(9):
    pjsip_register(t, "2001:db8:4::5", "2000", port=5060, endings=("Failed to authenticate",) * 2)
    t += timedelta(seconds=rng.uniform(6, 12))

# The operator's own softphone with a wrong password, twice (6 of 15).
for k in range(2):
    pjsip_register(at(3, 20 + 9 * k), "192.0.2.10", "1001", endings=("Failed to authenticate",) * 3)

# AMI login attack.
t = at(9, 4)
for user in ["admin", "admin", "manager", "asterisk", "root", "wazo", "xivo", "admin", "cti", "monitor",
             "ami", "test", "user", "asterisk", "admin", "operator"]:
    ast(t, f"manager.c: 192.0.2.11 failed to authenticate as '{user}'", thread=2418)
    t += timedelta(seconds=rng.uniform(3, 7))

# SIP scanner: OPTIONS/INVITE with no matching endpoint.
t = at(12, 1)
for n in range(18):
    method = rng.choice(["OPTIONS", "INVITE", "REGISTER"])
    cid = callid()
    ast(t, f"res_pjsip/pjsip_distributor.c: Request '{method}' from '\"{n}\" <sip:{n}@203.0.113.77>' "
           f"failed for '203.0.113.77:5160' (callid: {cid}) - No matching endpoint found", thread=2411)
    t += timedelta(seconds=rng.uniform(1, 3))

# IAX2.
for k, message in enumerate(["chan_iax2.c: Host 192.0.2.13 failed to authenticate as 'Fail2ban'",
                             "chan_iax2.c: Host 192.0.2.13 failed MD5 authentication",
                             "chan_iax2.c: No registration for peer 'trunk-b' (from 192.0.2.13)"]):
    ast(at(15, 10 + 20 * k), message, thread=2201)

# Calls into xivo-initconfig from the internet.
t = at(18, 5)
for n in range(16):
    ast(t, f"res_pjsip_session.c: Call from 'anonymous' (UDP:203.0.113.200:5071) to extension "
           f"'9011972595{rng.randint(1000, 9999)}' rejected because extension not found in context 'xivo-initconfig'.",
        thread=2533, call=0x500 + n)
    t += timedelta(seconds=rng.uniform(4, 9))

# SSH brute force from 198.51.100.7, and again after the 10-minute ban expires.
for start in (at(1, 40), at(13, 0)):
    t = start
    for user in ["admin", "ubuntu", "test", "oracle", "pi", "postgres", "git"]:
        pid = rng.randint(3000, 9000)
        port = rng.randint(30000, 60000)
        ssh(t, f"Invalid user {user} from 198.51.100.7 port {port}", pid)
        ssh(t + timedelta(seconds=1.5), f"Failed password for invalid user {user} from 198.51.100.7 port {port} ssh2", pid)
        ssh(t + timedelta(seconds=2), f"Connection closed by invalid user {user} 198.51.100.7 port {port} [preauth]", pid)
        t += timedelta(seconds=rng.uniform(4, 8))
# One user name that is not valid UTF-8: journald stores MESSAGE as a byte array.
ssh(at(2, 45), b"Invalid user \xff\xfeadm from 198.51.100.7 port 41999", 4242)

# The operator mistypes a password three times (3 of 5).
for k in range(3):
    ssh(at(5, 2 + 6 * k), f"Failed password for admin from 192.0.2.10 port {50110 + k} ssh2", 5110 + k)

# Root guessing.
t = at(20, 3)
for k in range(6):
    ssh(t, f"Failed password for root from 203.0.113.45 port {rng.randint(30000, 60000)} ssh2", rng.randint(3000, 9000))
    t += timedelta(seconds=rng.uniform(8, 20))

# Provisioning scans: sensitive file names of several phone brands.
def provd_scan(ip, start, count):
    t = start
    for n in range(count):
        name = rng.choice([f"{rng.getrandbits(48):012x}.cfg", f"SEP{rng.getrandbits(48):012X}.cnf.xml",
                           f"{rng.getrandbits(48):012x}-phone.cfg", f"y0000000000{rng.randint(10, 99)}.cfg"])
        if n % 4 == 0:
            prov(t, f"New device created automatically from {ip}: {rng.getrandbits(128):032x}")
        prov(t + timedelta(milliseconds=5), f"Sensitive file requested from {ip}: {name}")
        t += timedelta(seconds=rng.uniform(0.3, 1.5))

provd_scan("198.51.100.77", at(2, 10), 14)
provd_scan("198.51.100.77", at(13, 20), 12)
provd_scan("203.0.113.99", at(20, 40), 12)

# AMI logins with user names that do not exist, from 203.0.113.66: Wazo's asterisk-wazo filter
# does not count them, fail2ban's stock asterisk filter does (a blind spot for `bantop report`).
# Fixed times and names: the lines above keep their random draws.
for k, user in enumerate(["admin", "manager", "asterisk", "wazo", "xivo", "root", "ami", "monitor"]):
    ast(at(21, 5 + 4 * k), f"manager.c: 203.0.113.66 tried to authenticate with nonexistent user '{user}'", thread=2418)

# --- write --------------------------------------------------------------------------------
os.makedirs(OUT, exist_ok=True)
for name, lines in [("asterisk-fail2ban.log", asterisk), ("wazo-provd-fail2ban.log", provd), ("sshd.journal.json", journal)]:
    lines.sort(key=lambda item: item[0])
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        for _, line in lines:
            f.write(line + "\n")
    print(f"{name}: {len(lines)} lines")
