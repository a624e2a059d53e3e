#!/usr/bin/env python3
"""Writes a large Asterisk `full` log for the side-by-side speed comparison with fail2ban-regex
(benches/regex_vs_fail2ban.sh): LINES lines (default 1,000,000), about 20% failures of the kinds
Debian's stock `asterisk` filter catches (chan_sip registrations, PJSIP requests, security
events) among VERBOSE and DEBUG noise. Seeded: the same file every time.

Usage: asterisk_log.py OUT [LINES]
"""

import random
import sys

out, lines = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = random.Random(20260119)


def address():
    return f"{rng.choice([203, 198, 192])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


with open(out, "w") as f:
    for n in range(lines):
        second = n // 100
        stamp = f"[2026-01-19 {10 + second // 3600 % 12:02d}:{second // 60 % 60:02d}:{second % 60:02d}]"
        pid = rng.randint(1000, 9999)
        kind = rng.random()
        if kind < 0.07:
            line = f"{stamp} NOTICE[{pid}] chan_sip.c: Registration from '\"{rng.randint(100, 999)}\" <sip:{rng.randint(100, 999)}@{address()}>' failed for '{address()}:5060' - Wrong password"
        elif kind < 0.14:
            line = (f"{stamp} NOTICE[{pid}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"{rng.randint(100, 999)}\" <sip:{rng.randint(100, 999)}@x>' "
                    f"failed for '{address()}:5060' (callid: {rng.getrandbits(48):012x}) - Failed to authenticate")
        elif kind < 0.20:
            line = (f"{stamp} SECURITY[{pid}] res_security_log.c: SecurityEvent=\"InvalidPassword\",EventTV=\"2026-01-19T10:00:00.000+0000\",Severity=\"Error\","
                    f"Service=\"SIP\",EventVersion=\"2\",AccountID=\"{rng.randint(100, 999)}\",SessionID=\"0x7f{rng.getrandbits(24):06x}\","
                    f"LocalAddress=\"IPV4/UDP/192.0.2.2/5060\",RemoteAddress=\"IPV4/UDP/{address()}/5060\",Challenge=\"{rng.getrandbits(32):08x}\"")
        elif kind < 0.60:
            line = f"{stamp} VERBOSE[{pid}][C-{rng.getrandbits(32):08x}] pbx.c: Executing [s@default:{rng.randint(1, 9)}] Answer(\"PJSIP/{rng.randint(100, 999)}-{rng.getrandbits(32):08x}\", \"\") in new stack"
        else:
            line = f"{stamp} DEBUG[{pid}] res_pjsip/pjsip_options.c: Qualify of contact 'sip:{rng.randint(100, 999)}@10.0.0.{rng.randint(1, 254)}:5060' on AOR '{rng.randint(100, 999)}' scheduled"
        f.write(line + "\n")
