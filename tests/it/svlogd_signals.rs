//! Differential tests with signals and a processor: the same scenario under
//! Debian's svlogd and ours, step by step, gives the same log directories and
//! the same messages (TAI64N names and stamps masked).
use crate::common;
use crate::svlogd_support;

use crate::golden::Golden;
use common::{ours, theirs_or_skip, wait_for};
use std::fs;
use std::path::Path;
use svlogd_support::{logged_bytes, Run};

const ALRM: i32 = libc::SIGALRM;
const HUP: i32 = libc::SIGHUP;
const TERM: i32 = libc::SIGTERM;

fn has_pending(d: &Path) -> bool {
    fs::read_dir(d).unwrap().flatten().any(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.len() == 27 && (n.ends_with(".u") || n.ends_with(".t"))
    })
}

/// Waits until `name` holds `bytes` in its log files and no processor work
/// is left: no `.u` file pending, and (under -v) a `processed:` line for
/// every file handed to the processor, which runit prints only after reaping
/// it, so that a signal sent next cannot overtake that line.
fn settle(r: &Run, name: &str, bytes: u64) {
    let d = r.path(name);
    let handed = format!("rename: {name}/current @");
    let done = format!("processed: {name}/@");
    wait_for(&format!("{name} settles at {bytes} bytes"), || {
        let err = r.err();
        let count = |f: &dyn Fn(&str) -> bool| err.lines().filter(|l| f(l)).count();
        !has_pending(&d)
            && logged_bytes(&d) == bytes
            && count(&|l| l.contains(&handed) && l.contains(".u ")) == count(&|l| l.contains(&done))
    });
}

fn current_empty(r: &Run, name: &str) {
    let p = r.path(name).join("current");
    wait_for("current emptied by rotation", || {
        fs::metadata(&p).map(|m| m.len() == 0).unwrap_or(false) && !has_pending(&r.path(name))
    });
}

/// stderr lines whose order or count depends on timing in runit itself
/// (the processor's child prints "processing:"; SIGCHLDs may merge).
fn stable(dump: &str) -> String {
    dump.lines()
        .filter(|l| !l.contains("info: processing:") && !l.contains("sigchild received."))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Runs `scenario` with ours and, when installed, with Debian's svlogd: the
/// stable part of both must be the same, and equal the golden file
/// `golden/svlogd_signals/<test>.txt` recorded from Debian's (re-record:
/// `crate::golden`), so ours is checked without the reference too.
fn compare(test: &str, scenario: impl Fn(&Path) -> String) -> String {
    let golden = Golden::new("svlogd_signals", test);
    let a = scenario(&ours("svlogd"));
    if let Some(theirs) = theirs_or_skip("svlogd", test) {
        let b = scenario(&theirs);
        assert_eq!(
            stable(&a),
            stable(&b),
            "{test}: ours (left) and runit's (right) differ"
        );
        golden.reference(&stable(&b));
    }
    golden.check("ours", &stable(&a));
    a
}

fn processor_alrm_hup(bin: &Path) -> String {
    let mut r = Run::start(bin, "proc-alrm-hup", &["-v"], &["d", "e"], |dir| {
        fs::write(
            dir.join("d/config"),
            "s200\n!tr a-z A-Z; echo state-$(wc -c <&4) >&5\n",
        )
        .unwrap();
        fs::write(dir.join("e/config"), "s300\nn3\n").unwrap();
    });
    let (mut d, mut e) = (0u64, 0u64);
    for i in 1..=30 {
        let line = format!("hello world line {i}\n");
        r.write(line.as_bytes());
        d += line.len() as u64;
        e += line.len() as u64;
    }
    settle(&r, "d", d);
    settle(&r, "e", e);
    r.signal(ALRM);
    r.wait_err("sigalarm received.", 1);
    current_empty(&r, "d");
    current_empty(&r, "e");
    r.write(b"after alrm\n");
    d += 11;
    e += 11;
    settle(&r, "d", d);
    settle(&r, "e", e);
    fs::write(r.path("e/config"), "s100\n-*x*\n").unwrap();
    r.signal(HUP);
    r.wait_err("append: e/current", 1);
    for i in 1..=10 {
        let a = format!("line {i} x\n");
        let b = format!("more {i}\n");
        r.write(a.as_bytes());
        r.write(b.as_bytes());
        d += (a.len() + b.len()) as u64;
        e += b.len() as u64;
    }
    settle(&r, "d", d);
    settle(&r, "e", e);
    r.signal(ALRM);
    r.wait_err("sigalarm received.", 2);
    current_empty(&r, "d");
    current_empty(&r, "e");
    r.write(b"partial");
    let code = r.finish();
    r.dump(code)
}

#[test]
fn processor_alarm_and_hangup() {
    compare("proc-alrm-hup", processor_alrm_hup);
}

fn failing_processor(bin: &Path) -> String {
    let mut r = Run::start(bin, "proc-fail", &["-v"], &["d"], |dir| {
        fs::write(
            dir.join("d/config"),
            "!if test -e failed; then tr a-z A-Z; cat <&4; echo new >&5; else touch failed; exit 3; fi\n",
        )
        .unwrap();
        fs::write(dir.join("d/state"), "old state\n").unwrap();
    });
    r.write(b"one\ntwo\n");
    settle(&r, "d", 8);
    r.signal(ALRM);
    r.wait_err("processed: d/", 1);
    settle(&r, "d", 18);
    let code = r.finish();
    r.dump(code)
}

#[test]
fn processor_failure_restarts() {
    compare("proc-fail", failing_processor);
}

fn time_rotation(bin: &Path) -> String {
    let mut r = Run::start(bin, "time-rot", &["-v"], &["d"], |dir| {
        fs::write(dir.join("d/config"), "t1\n").unwrap();
    });
    r.write(b"one\n");
    r.wait_err("rename: d/current", 1);
    r.write(b"two\nthree\n");
    r.wait_err("rename: d/current", 2);
    let code = r.finish();
    r.dump(code)
}

#[test]
fn time_based_rotation() {
    compare("time-rot", time_rotation);
}

fn term_mid_line(bin: &Path, args: &[&str], before: &[u8], logged: u64, after: &[u8]) -> String {
    let mut r = Run::start(bin, "term", args, &["d"], |_| {});
    r.write(before);
    r.wait_bytes("d", logged);
    r.signal(TERM);
    r.wait_err("sigterm received.", 1);
    r.write(after);
    let code = r.proc.wait_exit().code().unwrap_or(-1);
    r.dump(code)
}

#[test]
fn sigterm_drops_the_line_in_progress() {
    compare("term", |bin| {
        term_mid_line(bin, &["-v"], b"first\nabc", 6, b"def\nmore\n")
    });
}

#[test]
fn sigterm_finishes_an_overlong_line() {
    compare("term-long", |bin| {
        term_mid_line(
            bin,
            &["-v", "-l", "5"],
            b"first\nabcdefgh",
            14,
            b"ij\nmore\n",
        )
    });
}

fn term_between_lines(bin: &Path) -> String {
    let mut r = Run::start(bin, "term2", &["-tt"], &["d"], |_| {});
    r.write(b"first\nsecond\n");
    settle(&r, "d", 2 * 26 + 13);
    r.signal(TERM);
    let code = r.proc.wait_exit().code().unwrap_or(-1);
    r.dump(code)
}

#[test]
fn sigterm_between_lines_exits_at_once() {
    compare("term2", term_between_lines);
}

fn lock_conflict(bin: &Path) -> String {
    let mut r = Run::start(bin, "lock", &["-v"], &["d", "e", "d"], |dir| {
        fs::write(dir.join("e/current"), "unclean").unwrap();
    });
    r.write(b"x\n");
    r.wait_bytes("e", 9);
    let code = r.finish();
    r.dump(code)
}

#[test]
fn same_directory_twice_and_unclean_current() {
    compare("lock", lock_conflict);
}
