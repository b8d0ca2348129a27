//! Nothing lost when svlogd is SIGKILLed: a service writes numbered lines
//! (`seq`, in chunks) into its log pipe under runsv, svlogd is SIGKILLed
//! several times a while apart (runsv starts it again each time), then the
//! log directory is read back and the gaps and repeats counted. Ours (under
//! our runsv) must lose nothing; Debian's svlogd (under Debian's runsv) is
//! measured the same way and reported. `SVLOGD_KILLS` sets the number of
//! kills (the soak script runs more).
use crate::common;

use common::*;
use std::collections::HashSet;
use std::fs;
use std::path::Path;

fn kills() -> usize {
    std::env::var("SVLOGD_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

/// Bytes logged before each kill (after the previous restart).
const BETWEEN_KILLS: u64 = 300_000;

#[derive(Debug)]
struct Outcome {
    kills: usize,
    sent: u64,
    lost: u64,
    repeated: u64,
    /// Lines that are not a number the service wrote (a torn line).
    torn: u64,
}

/// The log files in order: old ones by name (`.s` and `.u`), then current.
fn log_files(d: &Path) -> Vec<std::path::PathBuf> {
    let mut names: Vec<String> = fs::read_dir(d)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.len() == 27 && n.starts_with('@') && !n.ends_with(".t"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.push("current".into());
    names.into_iter().map(|n| d.join(n)).collect()
}

fn logged_size(d: &Path) -> u64 {
    log_files(d)
        .iter()
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Whether the line `last` has been logged: it ends `current` or, right
/// after a rotation, the newest old file.
fn logged_last(d: &Path, last: u64) -> bool {
    let want = format!("\n{last}\n");
    let files = log_files(d);
    files.iter().rev().take(2).any(|p| {
        let b = fs::read(p).unwrap_or_default();
        b.ends_with(want.as_bytes())
    })
}

/// Counts the numbered lines of the log files. A kill inside svlogd's
/// splice(2) (no size limit) can cut the line being moved in two, exactly:
/// its first part ends the unclean `current` (kept as `@….u`), the rest
/// begins the next file, no byte lost or repeated. Such a line, the number
/// after the file's last one, is counted once. A kill inside a write(2)
/// leaves a part that the next file repeats whole: counted as torn.
fn count(d: &Path, sent: u64, kills: usize) -> Outcome {
    let mut seen = HashSet::new();
    let (mut lines, mut torn) = (0u64, 0u64);
    let number = |l: &[u8]| {
        std::str::from_utf8(l)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|n| (1..=sent).contains(n))
    };
    // The cut part that ended the previous file, and the number before it.
    let mut cut: Option<(Vec<u8>, u64)> = None;
    for p in log_files(d) {
        let text = fs::read(&p).unwrap_or_default();
        let mut pieces: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let tail = pieces.pop().unwrap_or_default();
        let mut last = 0;
        for (k, l) in pieces.into_iter().enumerate() {
            if k == 0 {
                if let Some((part, before)) = cut.take() {
                    let joined = number(&[&part[..], l].concat());
                    if joined == Some(before + 1) {
                        lines += 1;
                        seen.insert(before + 1);
                        last = before + 1;
                        continue;
                    }
                    torn += 1;
                }
            }
            if l.is_empty() {
                continue;
            }
            match number(l) {
                Some(n) => {
                    lines += 1;
                    seen.insert(n);
                    last = n;
                }
                None => torn += 1,
            }
        }
        if let Some((_, _)) = cut.take() {
            torn += 1;
        }
        if !tail.is_empty() {
            cut = Some((tail.to_vec(), last));
        }
    }
    if cut.is_some() {
        torn += 1;
    }
    Outcome {
        kills,
        sent,
        lost: sent - seen.len() as u64,
        repeated: lines - seen.len() as u64,
        torn,
    }
}

/// The service: numbered lines in chunks until `../stop` exists, then the
/// last number in `../last`.
const PRODUCER: &str = r#"#!/bin/sh
i=1
while [ ! -e ../stop ]; do
    seq $i $((i + 1999))
    i=$((i + 2000))
done
echo $((i - 1)) >../last.new && mv ../last.new ../last
exec sleep 1000
"#;

fn scenario(runsv: &Path, svlogd: &Path, path: &str, test: &str, config: &str) -> Outcome {
    let dir = TestDir::new(test);
    let s = dir.join("s");
    let main = s.join("log/main");
    fs::create_dir_all(&main).unwrap();
    fs::write(main.join("config"), config).unwrap();
    script(s.join("run"), PRODUCER);
    script(
        s.join("log/run"),
        &format!("#!/bin/sh\nexec {} main\n", svlogd.display()),
    );
    let mut cmd = clean_command(runsv);
    cmd.env("PATH", path).arg("s").current_dir(&dir.path);
    let runsv = Proc::start(cmd);
    let log = s.join("log");
    let running = |not: u32| {
        let mut pid = 0;
        wait_for("svlogd running", || {
            pid = match state_pid(&log) {
                Some((1, p)) if p != 0 && p != not && alive(p as i32) => p,
                _ => 0,
            };
            pid != 0
        });
        pid
    };
    let mut pid = running(0);
    let n = kills();
    for _ in 0..n {
        let start = logged_size(&main);
        wait_for("the log to grow", || {
            logged_size(&main) >= start + BETWEEN_KILLS
        });
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        pid = running(pid);
    }
    fs::write(dir.join("stop"), "").unwrap();
    let mut sent = 0;
    wait_for("the service's last line number", || {
        sent = fs::read_to_string(dir.join("last"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        sent > 0
    });
    wait_for("the last line logged", || logged_last(&main, sent));
    drop(runsv);
    let out = count(&main, sent, n);
    eprintln!(
        "{test}: {} kills, {} lines sent: {} lost ({:.1} per kill), {} repeated ({:.1} per kill), {} torn",
        out.kills,
        out.sent,
        out.lost,
        out.lost as f64 / n.max(1) as f64,
        out.repeated,
        out.repeated as f64 / n.max(1) as f64,
        out.torn
    );
    out
}

#[test]
fn sigkill_loses_no_line() {
    // Rotation every 200 kB (so kills also land near rotations), none deleted.
    let config = "s200000\nn0\n";
    let ours_out = scenario(
        &ours("runsv"),
        &ours("svlogd"),
        &test_path(),
        "kill-ours",
        config,
    );
    // A kill inside a write(2) can leave part of the step written: those
    // lines come again (repeated; a line cut by the interrupted write shows
    // as torn or as a repeat), none is lost.
    assert_eq!(ours_out.lost, 0, "ours lost lines: {ours_out:?}");
    if let (Some(runsv), Some(svlogd)) = (
        theirs_or_skip("runsv", "kill"),
        theirs_or_skip("svlogd", "kill"),
    ) {
        // Debian's loses what it had read and not written: measured only.
        scenario(&runsv, &svlogd, &runit_path(), "kill-theirs", config);
    }
}

#[test]
fn sigkill_loses_no_line_without_rotation() {
    // No size limit: the complete lines go from a private copy of the pipe
    // into the file by splice(2), and only then are consumed from the pipe.
    let out = scenario(
        &ours("runsv"),
        &ours("svlogd"),
        &test_path(),
        "kill-s0",
        "s0\n",
    );
    assert_eq!(out.lost, 0, "ours lost lines: {out:?}");
}
