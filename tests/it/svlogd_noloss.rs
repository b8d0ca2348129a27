//! No line lost and none doubled: many numbered lines through svlogd with
//! frequent rotation and a processor, quietly and again while SIGALRM and
//! SIGHUP keep arriving. `SVLOGD_NOLOSS_LINES` scales it up (the soak script
//! runs ten million).
use crate::common;

use common::{ours, wait_for, Proc, TestDir};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn line_count() -> usize {
    std::env::var("SVLOGD_NOLOSS_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000)
}

fn line(i: usize) -> String {
    format!("line {i:09} of the no-loss run, some padding here\n")
}

/// All log lines of a directory in order: old files by name, then current.
/// A processor's output (`.s`) and unprocessed files (`.u`) both count;
/// processor leftovers (`.t`) do not.
fn collected(d: &Path) -> Vec<u8> {
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 27 && n.starts_with('@') && !n.ends_with(".t"))
        .collect();
    names.sort();
    names.push("current".into());
    let mut all = Vec::new();
    for n in names {
        all.extend_from_slice(&fs::read(d.join(n)).unwrap_or_default());
    }
    all
}

fn check_lines(d: &Path, n: usize) {
    let all = collected(d);
    let mut expected = Vec::with_capacity(all.len());
    for i in 0..n {
        expected.extend_from_slice(line(i).as_bytes());
    }
    if all != expected {
        let got: Vec<&[u8]> = all.split(|&b| b == b'\n').collect();
        let want: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
        let first = got.iter().zip(want.iter()).position(|(a, b)| a != b);
        panic!(
            "lines differ: got {} lines, want {}; first difference at line {:?}: {:?}",
            got.len(),
            want.len(),
            first,
            first.map(|k| String::from_utf8_lossy(got[k]).into_owned())
        );
    }
}

fn run(test: &str, storm: bool) {
    let n = line_count();
    let dir = TestDir::new(test);
    fs::create_dir(dir.join("d")).unwrap();
    // Rotation every 100 kB (1 MB in the soak run) and a processor that
    // copies the file: every line passes through .u, .t and .s.
    let size = if n > 1_000_000 { 1_000_000 } else { 100_000 };
    fs::write(dir.join("d/config"), format!("s{size}\nn0\n!cat\n")).unwrap();
    let mut cmd = Command::new(ours("svlogd"));
    cmd.arg("d").current_dir(&dir.path);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut p = Proc::start(cmd);
    let mut stdin = p.child.stdin.take().unwrap();
    // Signals are blocked (handled) only once the directory is open.
    wait_for("current", || dir.join("d/current").exists());
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut block = String::with_capacity(64 * 1024);
            let mut ok = true;
            for i in 0..n {
                block.push_str(&line(i));
                if block.len() > 60_000 {
                    ok = ok && stdin.write_all(block.as_bytes()).is_ok();
                    block.clear();
                    if storm {
                        // Let the signals fall between the blocks.
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            ok = ok && stdin.write_all(block.as_bytes()).is_ok();
            drop(stdin);
            done.store(true, Ordering::SeqCst);
            ok
        })
    };
    let mut status = None;
    if storm {
        let mut k = 0;
        while !done.load(Ordering::SeqCst) {
            p.signal(if k % 3 == 2 {
                libc::SIGHUP
            } else {
                libc::SIGALRM
            });
            k += 1;
            std::thread::sleep(Duration::from_millis(5));
            status = p.try_exit();
            if status.is_some() {
                break;
            }
        }
        eprintln!("{k} signals sent");
        assert!(
            k > 10,
            "the storm was too short to mean anything ({k} signals)"
        );
    }
    assert!(writer.join().unwrap(), "svlogd stopped reading");
    wait_for("svlogd exit", || {
        status = status.or_else(|| p.try_exit());
        status.is_some()
    });
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    check_lines(&dir.join("d"), n);
}

#[test]
fn every_line_once_in_order_with_rotation_and_processor() {
    run("noloss", false);
}

#[test]
fn every_line_once_under_alarm_and_hangup_storm() {
    run("noloss-storm", true);
}
