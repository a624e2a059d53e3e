#!/usr/bin/python3
"""Speed of `bantop regex` against `fail2ban-regex` on every Debian filter, one generated log
each (benches/gen_logs.py, seeded), and whether both find the same number of failures (bantop's
`--json` objects, fail2ban-regex's `-o row` rows; benches/rows_vs_fail2ban.py compares them row
for row).

usage: benches/filters_vs_fail2ban.py [LINES] [FILTER...]   (default 100,000 lines, all filters)
Prints a markdown table (filter, lines, failures each side, seconds each side, ratio) sorted by
ratio, then the lowest and median ratio. Needs fail2ban and a release build (cargo build
--release). bantop runs with its default threads (one per core); its time is the best of three
runs, fail2ban-regex runs once: these machines are noisy and fail2ban-regex is slow.
"""
import os, subprocess, sys, tempfile, time, statistics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANTOP = os.path.join(ROOT, 'target', 'release', 'bantop')
FILTERS = '/etc/fail2ban/filter.d'


def timed(command):
    start = time.monotonic()
    out = subprocess.run(command, capture_output=True, text=True)
    return time.monotonic() - start, out.stdout + out.stderr


def main():
    args = sys.argv[1:]
    lines = int(args.pop(0)) if args and args[0].isdigit() else 100000
    names = args or sorted(f[:-5] for f in os.listdir(FILTERS)
                           if f.endswith('.conf') and not f[:-5].endswith('common'))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            log = os.path.join(tmp, name + '.log')
            gen = subprocess.run([sys.executable, os.path.join(ROOT, 'benches', 'gen_logs.py'),
                                  name, str(lines), '1', log], capture_output=True, text=True)
            if gen.returncode != 0 or not os.path.exists(log):
                rows.append((name, 0, None, None, None, None, 'no log: ' + (gen.stderr.strip().splitlines() or ['?'])[-1][:60]))
                continue
            count = sum(1 for _ in open(log, 'rb'))
            ours = []
            for _ in range(3):
                seconds, text = timed([BANTOP, '--fail2ban-dir', '/etc/fail2ban', 'regex', log, name])
                ours.append(seconds)
            _, json_lines = timed([BANTOP, '--fail2ban-dir', '/etc/fail2ban', 'regex', '--json', log, name])
            b_failures = sum(1 for l in json_lines.splitlines() if l.startswith('{'))
            f_seconds, f_text = timed(['fail2ban-regex', '-o', 'row', log, name])
            f_failures = sum(1 for l in f_text.splitlines() if l.startswith('['))
            rows.append((name, count, b_failures, f_failures, min(ours), f_seconds, ''))
            os.remove(log)
    print('| filter | lines | failures bantop | failures fail2ban | bantop s | fail2ban-regex s | ratio | note |')
    print('|---|---:|---:|---:|---:|---:|---:|---|')
    ratios = []
    def ratio(row):
        return row[5] / row[4] if row[4] else 0.0
    for row in sorted(rows, key=ratio):
        name, count, b, f, bs, fs, note = row
        if bs is None:
            print('| %s | | | | | | | %s |' % (name, note)); continue
        r = ratio(row); ratios.append(r)
        if b != f: note = (note + ' DIFFERENT COUNTS').strip()
        print('| %s | %d | %d | %d | %.3f | %.2f | %.0fx | %s |' % (name, count, b, f, bs, fs, r, note))
    if ratios:
        print('\nlowest %.0fx, median %.0fx, highest %.0fx over %d filters (%d cores)'
              % (min(ratios), statistics.median(ratios), max(ratios), len(ratios), os.cpu_count()))


if __name__ == '__main__':
    main()
