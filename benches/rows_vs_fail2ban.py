#!/usr/bin/python3
"""Row for row: `fail2ban-regex -o row LOG FILTER` (one failure per row: host, time, captures)
against `BIN regex --json LOG FILTER`, as multisets of (host, time) and of (host, time, captures).

Two ways to run it:
  rows_vs_fail2ban.py BIN LOG FILTER [--fail2ban-dir DIR] [--jobs 1,2,3]
      one log (the contract of /work/shared/tools/rows_vs_fail2ban.py: the last line is
      `rows: fail2ban N, bantop M, only fail2ban X, only bantop Y (exit E)`).
  rows_vs_fail2ban.py BIN [--lines N] [--big-lines N] [--seed S] [--only CASE,...] [--jobs 1,2,3]
                          [--parallel P] [--json OUT] [--keep DIR]
      every filter of Debian's /etc/fail2ban/filter.d and Wazo's two filters (in a copy of
      demo/fail2ban): a log from benches/gen_logs.py for each (its own generator where there is
      one, else one built from fail2ban's samples; the dedicated ones also get a samples-built
      log, and the filters with modes are run in their other modes too), one line per case:
      lines, failures each side, `agree` or the first differences (the line, fail2ban's row,
      bantop's object). sshd and asterisk get --big-lines lines (default 1,000,000), the others
      --lines (default 100,000). --only takes case names as printed: `sshd`,
      `sshd[mode=ddos]`, `sshd (samples)`.

Captures compared: every capture fail2ban reports that is not None (its `users` set as a sorted
list), against bantop's object without its own members `lineno`, `host`, `time`, `attempts`
and `fid` (the failregex index; a filter's `<F-ID>` shows as the host on both sides). Both run
with TZ=UTC. With --jobs, bantop runs once per count and its outputs must be identical.
exit status: 0 when every case agrees (and the outputs for all --jobs are identical), 1 otherwise.
"""
import argparse
import ast
import collections
import concurrent.futures
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen_logs  # noqa: E402

ENV = dict(os.environ, TZ="UTC")
# Filter files that are only included by others.
NOT_FILTERS = {"common", "apache-common", "botsearch-common", "exim-common", "selinux-common"}
BIG = {"sshd", "asterisk"}
# Other modes worth running on the same log: (filter, options).
MODES = {
    "sshd": ["mode=ddos", "mode=aggressive"],
    "postfix": ["mode=aggressive", "mode=auth", "mode=ddos"],
    "dovecot": ["mode=aggressive"],
    "nginx-http-auth": ["mode=aggressive"],
    "apache-auth": ["mode=aggressive"],
}
BANTOP_OWN = {"lineno", "fid", "host", "time", "attempts"}


def fail2ban_rows(log, spec, confdir):
    """fail2ban's failures in line order: (key, raw row text)."""
    out = subprocess.run(["fail2ban-regex", "-c", confdir, "-o", "row", log, spec],
                         capture_output=True, text=True, env=ENV, errors="surrogateescape")
    rows = []
    for raw in out.stdout.splitlines():
        line = raw.strip().rstrip(",").replace("\t", " ")
        if not line.startswith("["):
            continue
        try:
            row = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            continue
        captures = {}
        for key, value in row[2].items():
            if value is None or key == "fid":
                continue
            if isinstance(value, (set, frozenset, list, tuple)):
                value = sorted(str(v) for v in value)
            elif key == "attempts" and str(value) == "1":
                continue
            else:
                value = str(value)
            captures[key] = value
        time_ = float(row[1]) if row[1] is not None else None
        rows.append(((str(row[0]), time_, json.dumps(captures, sort_keys=True)), raw))
    return rows, out


def bantop_rows(binary, log, spec, confdir, jobs):
    """bantop's failures in line order: (key, raw JSON line, lineno); and the raw output."""
    command = [binary, "--fail2ban-dir", confdir, "regex", "--json"]
    if jobs:
        command += ["--jobs", str(jobs)]
    out = subprocess.run(command + [log, spec], capture_output=True, env=ENV)
    rows = []
    for raw in out.stdout.decode("utf-8", "surrogateescape").splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        captures = {}
        for key, value in obj.items():
            if key in BANTOP_OWN or value is None:
                continue
            captures[key] = sorted(str(v) for v in value) if isinstance(value, list) else str(value)
        time_ = float(obj["time"]) if obj.get("time") is not None else None
        rows.append(((str(obj.get("host")), time_, json.dumps(captures, sort_keys=True)), raw, obj.get("lineno")))
    return rows, out


def short(key):
    return (key[0], key[1])


def locate(ours, theirs, log_lines):
    """The first differences with the log line each comes from. bantop's objects carry their
    line; a row only fail2ban reports is looked for between the lines of its neighbours that
    both report (the first line there naming its host)."""
    a = [k for k, _ in theirs]
    b = [k for k, _, _ in ours]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lo = ours[j1 - 1][2] if j1 > 0 else 1
        hi = ours[j2][2] if j2 < len(ours) else len(log_lines)
        for i in range(i1, i2):
            key, raw = theirs[i]
            # A row whose captures differ: the line of bantop's row with the same host and time.
            twin = next((ours[j][2] for j in range(j1, j2) if short(ours[j][0]) == short(key)), None)
            where = twin or next((n for n in range(lo, hi + 1) if 0 < n <= len(log_lines) and key[0] in log_lines[n - 1]), None)
            found.append({"side": "fail2ban only", "lineno": where,
                          "line": log_lines[where - 1] if where else None, "fail2ban": raw.strip()})
        for j in range(j1, j2):
            key, raw, lineno = ours[j]
            found.append({"side": "bantop only", "lineno": lineno,
                          "line": log_lines[lineno - 1] if lineno and lineno <= len(log_lines) else None, "bantop": raw})
        if len(found) >= 6:
            break
    return found[:6]


def compare(binary, log, spec, confdir, jobs_list):
    """One log, one filter: the result as a dict (and everything printable)."""
    started = time.time()
    theirs, f2b = fail2ban_rows(log, spec, confdir)
    f2b_seconds = time.time() - started
    outputs, ours, bantop, bantop_seconds = [], None, None, None
    for jobs in jobs_list or [None]:
        started = time.time()
        rows, out = bantop_rows(binary, log, spec, confdir, jobs)
        if bantop_seconds is None:
            bantop_seconds = time.time() - started
        outputs.append(out.stdout)
        if ours is None:
            ours, bantop = rows, out
    f2b_count = collections.Counter(short(k) for k, _ in theirs)
    our_count = collections.Counter(short(k) for k, _, _ in ours)
    f2b_full = collections.Counter(k for k, _ in theirs)
    our_full = collections.Counter(k for k, _, _ in ours)
    with open(log, "rb") as f:
        log_lines = f.read().decode("utf-8", "surrogateescape").split("\n")
    result = {
        "filter": spec,
        "lines": len(log_lines) - (1 if log_lines and log_lines[-1] == "" else 0),
        "fail2ban": sum(f2b_count.values()),
        "bantop": sum(our_count.values()),
        "only_fail2ban": sum((f2b_count - our_count).values()),
        "only_bantop": sum((our_count - f2b_count).values()),
        "captures_differ": sum((f2b_full - our_full).values()),
        "bantop_exit": bantop.returncode,
        "fail2ban_exit": f2b.returncode,
        "jobs_same": all(o == outputs[0] for o in outputs),
        "fail2ban_seconds": round(f2b_seconds, 2),
        "bantop_seconds": round(bantop_seconds, 3),
    }
    if bantop.returncode != 0:
        result["bantop_error"] = bantop.stderr.decode("utf-8", "replace").strip()[-500:]
    if f2b.returncode != 0:
        result["fail2ban_error"] = f2b.stderr.strip()[-500:]
    result["agree"] = (result["only_fail2ban"] == 0 and result["only_bantop"] == 0 and result["captures_differ"] == 0
                       and bantop.returncode == 0 and f2b.returncode == 0)
    if not result["agree"] and bantop.returncode == 0:
        result["differences"] = locate(ours, theirs, log_lines)
    result["examples"] = (list(f2b_count - our_count)[:3], list(our_count - f2b_count)[:3])
    return result


def describe(result):
    status = "agree" if result["agree"] else "DIFFER"
    if result.get("bantop_error"):
        status = "bantop error: " + result["bantop_error"].splitlines()[-1]
    if not result["jobs_same"]:
        status += ", OUTPUT DIFFERS BETWEEN --jobs"
    text = (f"{result['filter']:<44} {result['lines']:>8} lines  fail2ban {result['fail2ban']:>7}  bantop {result['bantop']:>7}  "
            f"{status}")
    if not result["agree"] and not result.get("bantop_error"):
        text += f" (only fail2ban {result['only_fail2ban']}, only bantop {result['only_bantop']}, captures differ {result['captures_differ']})"
        for d in result.get("differences", [])[:4]:
            text += f"\n    {d['side']} at line {d['lineno']}: {d['line']!r}\n      " + (d.get("fail2ban") or d.get("bantop") or "")
    return text


def cases(args):
    """(label, generator name, generic?, spec, conf dir, lines) for every filter and mode."""
    out = []
    names = sorted(f[:-5] for f in os.listdir("/etc/fail2ban/filter.d") if f.endswith(".conf"))
    names = [n for n in names if n not in NOT_FILTERS]
    for name in names + ["asterisk-wazo", "wazo-provd"]:
        conf = args.wazo_dir if name in ("asterisk-wazo", "wazo-provd") else "/etc/fail2ban"
        dedicated = name in gen_logs.DEDICATED
        lines = args.big_lines if name in BIG else args.lines
        out.append((name, name, False, name, conf, lines))
        for mode in MODES.get(name, []):
            out.append((f"{name}[{mode}]", name, False, f"{name}[{mode}]", conf, lines))
        if dedicated and os.path.exists(os.path.join(gen_logs.SAMPLES, name)):
            out.append((f"{name} (samples)", name, True, name, conf, args.lines))
    if args.only:
        wanted = set(args.only.split(","))
        out = [c for c in out if c[0] in wanted]
    return out


def run_case(case, args, workdir, logs):
    label, name, generic, spec, conf, lines = case
    log = os.path.join(workdir, f"{name}{'.samples' if generic else ''}.{lines}.log")
    # One log per generator and size, shared by the modes.
    key = log
    if key not in logs:
        command = [sys.executable, os.path.join(HERE, "gen_logs.py"), name, str(lines), str(args.seed), log,
                   "--fail2ban-dir", conf]
        if args.end is not None:
            command += ["--end", str(args.end)]
        if generic:
            command.append("--generic")
        gen = subprocess.run(command, capture_output=True, text=True, env=ENV)
        if gen.returncode != 0:
            return {"filter": label, "agree": False, "lines": 0, "fail2ban": 0, "bantop": 0, "jobs_same": True,
                    "generator_error": gen.stderr.strip()[-500:]}
        logs[key] = True
    result = compare(args.binary, log, spec, conf, args.jobs)
    result["filter"] = label
    return result


def wazo_copy(tmp):
    """demo/fail2ban in a scratch directory (the Wazo filters and the stock ones they use)."""
    target = os.path.join(tmp, "wazo-fail2ban")
    shutil.copytree(os.path.join(ROOT, "demo", "fail2ban"), target)
    return target


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("binary")
    parser.add_argument("log", nargs="?")
    parser.add_argument("filter", nargs="?")
    parser.add_argument("--fail2ban-dir", default="/etc/fail2ban")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--big-lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=float, default=None)
    parser.add_argument("--only", default=None)
    parser.add_argument("--jobs", default="", help="comma-separated thread counts for bantop")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--json", default=None, help="write every case's result here")
    parser.add_argument("--keep", default=None, help="keep the generated logs in this directory")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.jobs = [int(j) for j in args.jobs.split(",") if j]

    if args.log:
        if not args.filter:
            parser.error("LOG needs a FILTER")
        result = compare(args.binary, args.log, args.filter, args.fail2ban_dir, args.jobs)
        print(describe(result))
        print("examples fail2ban only: %s; bantop only: %s" % result["examples"])
        print("rows: fail2ban %d, bantop %d, only fail2ban %d, only bantop %d (exit %d)"
              % (result["fail2ban"], result["bantop"], result["only_fail2ban"], result["only_bantop"], result["bantop_exit"]))
        sys.exit(0 if result["agree"] and result["jobs_same"] else 1)

    tmp = tempfile.mkdtemp(prefix="rows-vs-fail2ban-")
    try:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        args.wazo_dir = wazo_copy(tmp)
        todo = cases(args)
        # Cases sharing a log run one after the other (the first writes it).
        groups = collections.OrderedDict()
        for case in todo:
            groups.setdefault((case[1], case[2], case[5]), []).append(case)

        def run_group(group):
            logs = {}
            return [run_case(case, args, workdir, logs) for case in group]

        started = time.time()
        results = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            for group_results in pool.map(run_group, groups.values()):
                for result in group_results:
                    print(describe(result) if "generator_error" not in result
                          else f"{result['filter']}: generator failed: {result['generator_error']}", flush=True)
                    results.append(result)
        agree = sum(1 for r in results if r["agree"] and r["jobs_same"])
        filters = {r["filter"].split("[")[0].split(" ")[0] for r in results}
        filters_agree = {f for f in filters
                         if all(r["agree"] and r["jobs_same"] for r in results if r["filter"].split("[")[0].split(" ")[0] == f)}
        print(f"cases: {agree}/{len(results)} agree; filters: {len(filters_agree)}/{len(filters)} agree fully; "
              f"{sum(r.get('lines', 0) for r in results)} lines in {time.time() - started:.0f} s")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=str)
        sys.exit(0 if agree == len(results) else 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
