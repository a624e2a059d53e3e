#!/usr/bin/python3
"""Compares `BIN jails --json` with fail2ban's own reading of a configuration (`fail2ban-client -d`).

Each case is a jail.local file, laid over Debian's stock /etc/fail2ban (jail.conf, jail.d,
filter.d, action.d, paths-*) in a temporary directory. fail2ban-client -d gives, per jail that
starts: backend, failregex/ignoreregex/prefregex/datepattern/maxlines/journalmatch, maxretry,
maxmatches, findtime, bantime (and bantime.*), ignoreip, ignoreself, ignorecommand, usedns,
actions (actname), and a 'config-error' line for each jail it skips. bantop must start the same
jails with the same values, and report the skipped ones as skipped.

A case may come with a companion directory CASE.d/ (e.g. 20-x.local.d/ next to 20-x.local): its
contents are copied into the configuration directory too (jail.d/*.conf, filter.d/x.conf, ...),
over the base and before the case file is laid as jail.local. Given a directory, only its
*.local files are cases.

usage: jails_vs_fail2ban.py BIN CASE_FILE_OR_DIR... [--verbose] [--base DIR]
  --base DIR  configuration the cases are laid over (default /etc/fail2ban)
exit status: 0 when every usable case agrees, 1 when one disagrees or bantop fails, 2 on bad usage
last line: `jails: A/T cases agree (P%), J/JT jails agree; ...; fields: F ok/compared, ...`
"""
import ast, json, os, shutil, subprocess, sys, tempfile, collections

sys.path.insert(0, '/usr/lib/python3/dist-packages')
from fail2ban.server.mytime import MyTime  # noqa: E402

FIELDS = ['backend', 'failregex', 'ignoreregex', 'prefregex', 'datepattern', 'maxlines',
          'journalmatch', 'maxretry', 'maxmatches', 'findtime', 'bantime', 'bantime.increment',
          'bantime.factor', 'bantime.formula', 'bantime.multipliers', 'bantime.maxtime',
          'bantime.rndtime', 'bantime.overalljails', 'ignoreip', 'ignoreself', 'ignorecommand',
          'usedns', 'actions']


def seconds(v):
    try:
        return int(MyTime.str2seconds(str(v)))
    except Exception:
        return str(v)


def reference(confdir):
    """fail2ban's view: {jail: {field: value}}, {skipped jail: reason}, or an error string."""
    p = subprocess.run(['fail2ban-client', '-c', confdir, '-d'], capture_output=True, text=True,
                       timeout=60)
    jails, skipped, started = {}, {}, []
    for line in p.stdout.splitlines():
        if not line.startswith('['):
            continue
        try:
            cmd = ast.literal_eval(line)
        except Exception:
            continue
        if cmd[0] == 'config-error':
            msg = cmd[1]
            name = msg.split("'")[1] if "'" in msg else msg
            skipped[name] = msg
            continue
        if cmd[0] == 'add':
            jails[cmd[1]] = {'backend': cmd[2], 'failregex': [], 'ignoreregex': [],
                             'journalmatch': [], 'ignoreip': [], 'actions': []}
            continue
        if cmd[0] == 'start':
            started.append(cmd[1])
            continue
        if cmd[0] not in ('set', 'multi-set') or len(cmd) < 3 or cmd[1] not in jails:
            continue
        j, key, args = jails[cmd[1]], cmd[2], cmd[3:]
        if key in ('addfailregex', 'addignoreregex'):
            vals = args[0] if cmd[0] == 'multi-set' else [args[0]]
            j[key[3:]].extend(vals)
        elif key == 'addjournalmatch':
            j['journalmatch'].append(' '.join(str(a) for a in args))
        elif key == 'addignoreip':
            j['ignoreip'].extend(str(a) for a in args)
        elif key == 'addaction':
            j['actions'].append(args[0])
        elif key in ('findtime', 'bantime', 'bantime.maxtime', 'bantime.rndtime'):
            j[key] = seconds(args[0])
        elif key in ('maxretry', 'maxmatches', 'maxlines'):
            j[key] = int(args[0]) if args[0] is not None else None
        elif key in ('bantime.increment', 'bantime.overalljails', 'ignoreself'):
            j[key] = args[0] if isinstance(args[0], bool) else str(args[0]).lower() in ('true', '1', 'yes', 'on')
        elif key == 'action' or key.startswith('add') or key in ('logencoding',):
            pass
        else:
            j[key] = args[0] if len(args) == 1 else list(args)
    for name in list(jails):
        if name not in started:
            skipped.setdefault(name, 'not started')
            del jails[name]
    if p.returncode != 0 and not jails:
        return None, skipped, (p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]
    return jails, skipped, None


def norm_bantop(obj):
    """bantop's `jails --json`: {"jails": [...], "skipped": [...]} -> same shape as reference."""
    jails = {}
    for j in obj.get('jails', []):
        if j.get('enabled') is False:
            continue
        d = {}
        for f in FIELDS:
            key = f.replace('.', '_')
            v = j.get(f, j.get(key))
            if f.startswith('bantime.') and v is None and isinstance(j.get('bantime_increment'), dict):
                inc = j['bantime_increment']
                v = inc.get(f.split('.', 1)[1], inc.get('enabled') if f == 'bantime.increment' else None)
            if f in ('findtime', 'bantime', 'bantime.maxtime', 'bantime.rndtime') and v is not None:
                v = seconds(v)
            d[f] = v
        jails[j['name']] = d
    skipped = {s['name'] if isinstance(s, dict) else s: s for s in obj.get('skipped', [])}
    return jails, skipped


def compare(ref, ours, stats):
    diffs = []
    for name in sorted(set(ref) | set(ours)):
        if name not in ours:
            diffs.append('%s: fail2ban starts it, bantop does not' % name); continue
        if name not in ref:
            diffs.append('%s: bantop starts it, fail2ban does not' % name); continue
        ok = True
        for f in FIELDS:
            if f not in ref[name]:
                continue  # fail2ban did not set it: nothing to compare
            a, b = ref[name][f], ours[name].get(f)
            if isinstance(a, list) and isinstance(b, list) and f not in ('failregex', 'ignoreregex', 'actions', 'ignoreip', 'journalmatch'):
                a, b = sorted(map(str, a)), sorted(map(str, b))
            if a in ('', None, []) and b in ('', None, []):
                stats[f][0] += 1; continue
            if a == b or str(a) == str(b):
                stats[f][0] += 1
            else:
                stats[f][1] += 1; ok = False
                diffs.append('%s.%s: fail2ban %r, bantop %r' % (name, f, a, b))
        stats['_jails'][0 if ok else 1] += 1
    return diffs


def main():
    argv, args, base = sys.argv[1:], [], '/etc/fail2ban'
    while argv:
        a = argv.pop(0)
        if a == '--base' and argv:
            base = argv.pop(0)
        elif a.startswith('--base='):
            base = a.split('=', 1)[1]
        elif not a.startswith('--'):
            args.append(a)
    verbose = '--verbose' in sys.argv
    if len(args) < 2 or not os.path.isdir(base):
        sys.stderr.write(__doc__.split('usage: ', 1)[1])
        sys.exit(2)
    binary, cases = args[0], []
    for a in args[1:]:
        if os.path.isdir(a):
            # cases only: skip README.md and the companion CASE.d/ directories
            cases += sorted(os.path.join(a, f) for f in os.listdir(a)
                            if f.endswith('.local') and os.path.isfile(os.path.join(a, f)))
        else:
            cases.append(a)
    stats = collections.defaultdict(lambda: [0, 0])
    agree = total = unusable = 0
    for case in cases:
        tmp = tempfile.mkdtemp(prefix='jailcase-')
        conf = os.path.join(tmp, 'conf')
        shutil.copytree(base, conf, symlinks=True)
        if os.path.isdir(case + '.d'):
            shutil.copytree(case + '.d', conf, symlinks=True, dirs_exist_ok=True)
        shutil.copy(case, os.path.join(conf, 'jail.local'))
        try:
            ref, ref_skipped, err = reference(conf)
        except subprocess.TimeoutExpired:
            ref, ref_skipped, err = None, {}, 'fail2ban-client timed out'
        if ref is None:
            unusable += 1
            if verbose:
                print('%-12s fail2ban itself refuses: %s' % (os.path.basename(case), err))
            shutil.rmtree(tmp); continue
        total += 1
        try:
            p = subprocess.run([binary, 'jails', '--json', '--fail2ban-dir', conf],
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:  # bantop missing, not runnable, hung
            p = subprocess.CompletedProcess([binary], 127, '', str(e))
        try:
            ours, ours_skipped = norm_bantop(json.loads(p.stdout))
            diffs = compare(ref, ours, stats)
            # The jails fail2ban skips (a `config-error` line) must be reported as skipped.
            ref_errors = {n for n, why in ref_skipped.items() if 'skipped' in str(why)}
            for name in sorted(ref_errors ^ set(ours_skipped)):
                side = 'fail2ban skips it, bantop does not say so' if name in ref_errors \
                    else 'bantop says skipped, fail2ban does not skip it'
                diffs.append('%s: %s' % (name, side))
        except Exception as e:
            diffs = ['bantop exit %d: %s' % (p.returncode, (p.stderr.strip() or str(e))[:300])]
            stats['_jails'][1] += len(ref)
        if not diffs and p.returncode != 0:
            diffs = ['bantop exit %d: %s' % (p.returncode, p.stderr.strip()[:300])]
        if not diffs:
            agree += 1
        label = 'ok' if not diffs else 'DIFF'
        print('%-12s %3d jails  %s' % (os.path.basename(case), len(ref), label))
        if diffs and verbose:
            for d in diffs[:12]:
                print('    ' + d[:400])
        shutil.rmtree(tmp)
    fields = ', '.join('%s %d/%d' % (f, stats[f][0], sum(stats[f])) for f in FIELDS if sum(stats[f]))
    jt = sum(stats['_jails'])
    print('jails: %d/%d cases agree (%.1f%%), %d/%d jails agree; %d cases fail2ban itself refuses; fields: %s'
          % (agree, total, 100.0 * agree / max(total, 1), stats['_jails'][0], jt, unusable, fields))
    return 0 if agree == total else 1


if __name__ == '__main__':
    sys.exit(main())
