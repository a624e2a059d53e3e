//! Issue 4's measurements, against the real `bantop` binary: latency from a line appended to a
//! followed log to its JSON event on stdout (p50 and p99), peak memory under a flood of lines
//! from distinct addresses, and start-up to the first frame of the TUI with a large log
//! configured (next to the same with an empty log, as a ratio), and the CPU time `bantop
//! events` and the TUI use with ten idle logs (issue 15). `cargo bench --bench live_sources`
//! runs the full sizes (1,000 lines; 10M lines from 1M addresses; 1 GB; 10 s idle); under
//! `cargo test` a small run checks that the measurements work.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bantop");

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (latency_lines, flood_lines, flood_addresses, big_log, idle_time) = if full {
        (
            1000,
            10_000_000,
            1_000_000,
            1 << 30,
            Duration::from_secs(10),
        )
    } else {
        (20, 20_000, 2_000, 8 << 20, Duration::from_secs(2))
    };
    // BANTOP_BENCH=flood (or latency, startup, idle) runs one measurement only.
    let only = std::env::var("BANTOP_BENCH").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only == name;
    if run("latency") {
        latency(latency_lines);
    }
    if run("flood") {
        flood(flood_lines, flood_addresses);
    }
    if run("startup") {
        startup(big_log);
    }
    if run("idle") {
        idle(idle_time);
    }
}

/// A configuration whose only jail is wazo-provd reading `log`, with `maxretry` as given.
fn configuration(dir: &Path, log: &Path, maxretry: u64) -> PathBuf {
    let conf = dir.join("conf");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(demo)
            .arg(&conf)
            .status()
            .is_ok_and(|s| s.success())
    );
    let local = format!(
        "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\nmaxretry = {maxretry}\n",
        log.display()
    );
    std::fs::write(conf.join("jail.local"), local).unwrap_or_else(|e| panic!("{e}"));
    conf
}

fn line(n: u64, address: u64, stamp: &str) -> String {
    format!(
        "[{stamp}] Sensitive file requested from 10.{}.{}.{}: file-{n}.cfg\n",
        address / 65536 % 256,
        address / 256 % 256,
        address % 256
    )
}

fn stamp() -> String {
    chrono::Local::now()
        .format("%Y-%m-%d %H:%M:%S,%3f")
        .to_string()
}

fn events(conf: &Path, from_start: bool) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut command = Command::new(BIN);
    command
        .arg("--fail2ban-dir")
        .arg(conf)
        .args(["events", "--json"]);
    if from_start {
        command.arg("--from-start");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    (child, BufReader::new(stdout))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn latency(lines: u64) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    std::fs::write(&log, "").unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(dir.path(), &log, 1_000_000);
    let (mut child, mut stdout) = events(&conf, false);
    let mut buffer = String::new();
    while !buffer.contains("\"opened\"") {
        buffer.clear();
        stdout
            .read_line(&mut buffer)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut samples = Vec::new();
    for n in 0..lines {
        let text = line(n, n, &stamp());
        let marker = format!("file-{n}.cfg");
        let start = Instant::now();
        file.write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        loop {
            buffer.clear();
            stdout
                .read_line(&mut buffer)
                .unwrap_or_else(|e| panic!("{e}"));
            if buffer.contains(&marker) {
                break;
            }
        }
        samples.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    samples.sort();
    println!(
        "latency, line appended -> JSON event, {lines} lines: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 < 20 ms)",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

fn flood(lines: u64, addresses: u64) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    {
        let mut file =
            BufWriter::new(std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}")));
        let stamp = stamp();
        for n in 0..lines {
            file.write_all(line(n, n % addresses, &stamp).as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let size = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let conf = configuration(dir.path(), &log, 1_000_000);
    let start = Instant::now();
    let (mut child, stdout) = events(&conf, true);
    let mut failures = 0u64;
    for event in stdout.lines().map_while(Result::ok) {
        if event.starts_with("{\"count\"") || event.contains("\"type\":\"failure\"") {
            failures += 1;
            if failures == lines {
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let _ = child.kill();
    println!(
        "flood, {lines} lines ({} MB) from {addresses} addresses through `bantop events --json --from-start`: {failures} failures in {:.1} s ({:.0} lines/s), peak RSS {peak} (target < 200 MB)",
        size / 1_000_000,
        elapsed.as_secs_f64(),
        failures as f64 / elapsed.as_secs_f64()
    );
}

/// Time from start to the first frame of the TUI in tmux, with `log` configured.
fn first_frame(conf: &Path, name: &str) -> Duration {
    let socket = format!("bantop-bench-{}-{name}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux: {e}"))
    };
    let start = Instant::now();
    tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "40",
        BIN,
        "--fail2ban-dir",
        &conf.to_string_lossy(),
        "--socket",
        "/nonexistent",
    ]);
    let mut elapsed = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(10) {
        let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
        if String::from_utf8_lossy(&screen.stdout).contains("bantop │ live") {
            elapsed = start.elapsed();
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    tmux(&["kill-server"]);
    elapsed
}

fn startup(bytes: u64) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let big = dir.path().join("big.log");
    {
        // A day of lines, oldest first: only the tail is within findtime.
        let mut file =
            BufWriter::new(std::fs::File::create(&big).unwrap_or_else(|e| panic!("{e}")));
        let per_line = line(0, 0, &stamp()).len() as u64;
        let count = bytes / per_line;
        let now = chrono::Local::now();
        for n in 0..count {
            let at = now - chrono::Duration::seconds(86_400 - (n * 86_400 / count.max(1)) as i64);
            file.write_all(
                line(
                    n,
                    n % 65_536,
                    &at.format("%Y-%m-%d %H:%M:%S,%3f").to_string(),
                )
                .as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    let big_dir = dir.path().join("big");
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir_all(&big_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&empty_dir).unwrap_or_else(|e| panic!("{e}"));
    let big_conf = configuration(&big_dir, &big, 10);
    let empty_conf = configuration(&empty_dir, &empty, 10);
    let baseline = first_frame(&empty_conf, "empty");
    let with_big = first_frame(&big_conf, "big");
    let size = std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0);
    println!(
        "start-up to first frame (tmux, incl. its own start): {:.0} ms with a {} MB log, {:.0} ms with an empty one, ratio {:.2} (target < 200 ms)",
        with_big.as_secs_f64() * 1e3,
        size / 1_000_000,
        baseline.as_secs_f64() * 1e3,
        with_big.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
}

/// The CPU time (user + system) `pid` has used so far, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (in parentheses), utime and stime are the 12th and 13th fields.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(100);
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

/// A configuration whose jails are ten wazo-provd jails, each on its own idle log in `dir`.
fn ten_idle_logs(dir: &Path) -> PathBuf {
    let conf = configuration(dir, &dir.join("unused.log"), 10);
    let mut local = "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nenabled = false\n".to_string();
    for n in 0..10 {
        let log = dir.join(format!("idle-{n}.log"));
        std::fs::write(&log, line(n, n, &stamp())).unwrap_or_else(|e| panic!("{e}"));
        local.push_str(&format!(
            "[idle-{n}]\nenabled = true\nfilter = wazo-provd\nlogpath = {}\nbackend = polling\n",
            log.display()
        ));
    }
    std::fs::write(conf.join("jail.local"), local).unwrap_or_else(|e| panic!("{e}"));
    conf
}

/// CPU seconds used over `time` by `bantop events` and by the TUI, each following ten logs
/// that nobody writes to.
fn idle(time: Duration) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conf = ten_idle_logs(dir.path());
    let (mut child, mut stdout) = events(&conf, false);
    let mut buffer = String::new();
    let mut opened = 0;
    while opened < 10 {
        buffer.clear();
        if stdout.read_line(&mut buffer).unwrap_or(0) == 0 {
            break;
        }
        opened += usize::from(buffer.contains("\"opened\""));
    }
    let before = cpu_time(child.id());
    std::thread::sleep(time);
    let events_cpu = cpu_time(child.id()) - before;
    let _ = child.kill();
    let _ = child.wait();

    let socket = format!("bantop-bench-{}-idle", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux: {e}"))
    };
    let conf_text = conf.to_string_lossy();
    tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "40",
        BIN,
        "--fail2ban-dir",
        &conf_text,
        "--socket",
        "/nonexistent",
    ]);
    let pane = tmux(&["list-panes", "-t", "t", "-F", "#{pane_pid}"]);
    let pid: u32 = String::from_utf8_lossy(&pane.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    // Let it start and read its logs before measuring.
    std::thread::sleep(Duration::from_secs(2));
    let before = cpu_time(pid);
    std::thread::sleep(time);
    let tui_cpu = cpu_time(pid) - before;
    tmux(&["kill-server"]);
    let percent = |cpu: Duration| 100.0 * cpu.as_secs_f64() / time.as_secs_f64();
    println!(
        "idle, ten followed logs nobody writes to, {:.0} s: `bantop events` {:.3} s CPU ({:.2}% of a core), TUI {:.3} s CPU ({:.2}% of a core) (target < 0.5%)",
        time.as_secs_f64(),
        events_cpu.as_secs_f64(),
        percent(events_cpu),
        tui_cpu.as_secs_f64(),
        percent(tui_cpu)
    );
}
