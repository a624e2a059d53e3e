#!/usr/bin/env python3
"""A stand-in for a remote bantop in the fleet benchmark: answers --version, jails --json and
status --json like bantop, and `events --json` streams RATE failures a second for SECONDS
seconds from START (FAKE_RATE, FAKE_SECONDS, FAKE_START in the environment), then stays open. What the merged view
receives is what an attacked PBX would send; the remote's own matching is not measured."""
import json
import os
import sys
import time

VERSION = os.environ.get("FAKE_VERSION", "0.1.0")


def events():
    rate = int(os.environ.get("FAKE_RATE", "1000"))
    seconds = int(os.environ.get("FAKE_SECONDS", "20"))
    out = sys.stdout
    # Every host starts at the same moment (FAKE_START, epoch seconds), once all are connected.
    start = float(os.environ.get("FAKE_START", "0")) or time.time()
    time.sleep(max(0.0, start - time.time()))
    sent = 0
    for second in range(seconds):
        batch = []
        for n in range(rate):
            ip = f"198.51.{(sent // 250) % 250}.{sent % 250 + 1}"
            now = start + second + n / rate
            line = f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(now))}] NOTICE[2418] manager.c: {ip} failed to authenticate as 'admin{n % 50}'"
            batch.append(json.dumps({"user": f"admin{n % 50}", "type": "failure", "jail": "asterisk", "ip": ip, "time": now, "line": line, "state": "counted", "count": 1 + n % 5, "maxretry": 5, "country": None}))
            sent += 1
        out.write("\n".join(batch) + "\n")
        out.flush()
        left = start + second + 1 - time.time()
        if left > 0:
            time.sleep(left)
    # Idle, but ends once the stream's reader is gone (a line now and then finds out).
    while True:
        time.sleep(5)
        out.write(json.dumps({"type": "source", "jail": "asterisk", "path": "fake", "status": "idle"}) + "\n")
        out.flush()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--") or a in ("--version",)]
    if sys.argv[1:2] == ["--version"]:
        print(f"bantop {VERSION} (git fake)")
    elif args[:1] == ["jails"]:
        print(json.dumps({"jails": [{"name": "asterisk", "maxretry": 5, "findtime": 600, "bantime": 3600, "ignoreip": ["127.0.0.1/8"]}]}))
    elif args[:1] == ["status"]:
        print(json.dumps({"answered": True, "error": None, "jails": [{"name": "asterisk", "bans": [], "ignoreip": ["127.0.0.1/8"]}]}))
    elif args[:1] == ["events"]:
        events()
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
