//! runsv's complaints about a broken service directory that it survives,
//! found by the differential sweep against Debian's runit 2.1.2 (the audit
//! branch): the first line runsv writes is asserted for ours and compared
//! with Debian's runsv when it is installed.

use crate::common;
use crate::reference;

use common::{clean_command, script, wait_until, Proc, TestDir};
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Runs `runsv s` in a fresh directory prepared by `setup` and returns the
/// first line it writes to stderr (it keeps running; it is killed after).
fn first_line(runsv: &Path, name: &str, setup: &dyn Fn(&Path)) -> String {
    let d = TestDir::new(name);
    setup(&d.path);
    let err = d.join("stderr");
    let mut c = clean_command(runsv);
    c.arg("s")
        .current_dir(&d.path)
        .stdin(Stdio::null())
        .stderr(fs::File::create(&err).unwrap());
    let _p = Proc::start(c);
    let mut text = String::new();
    wait_until(Duration::from_secs(10), || {
        text = fs::read_to_string(&err).unwrap_or_default();
        text.contains('\n')
    });
    text.lines().next().unwrap_or("").to_string()
}

/// Runs `scenario` with our runsv and, when installed, with Debian's, which
/// must give the same; returns ours (for the caller's expected result).
fn both<T: PartialEq + std::fmt::Debug>(test: &str, scenario: impl Fn(&Path) -> T) -> T {
    reference::same(
        test,
        reference::runit("runsv", test),
        || scenario(&common::ours("runsv")),
        |theirs| scenario(&theirs),
    )
}

fn same_line(test: &str, setup: &dyn Fn(&Path), expected: &str) {
    assert_eq!(both(test, |runsv| first_line(runsv, test, setup)), expected);
}

#[test]
fn audit_runsv_run_without_interpreter() {
    same_line(
        "audit_runsv_run_without_interpreter",
        &|d| script(d.join("s/run"), "echo no shebang\n"),
        "runsv s: fatal: unable to start ./run: exec format error",
    );
}

#[test]
fn audit_runsv_run_is_a_directory() {
    same_line(
        "audit_runsv_run_is_a_directory",
        &|d| fs::create_dir_all(d.join("s/run")).unwrap(),
        "runsv s: fatal: unable to start ./run: access denied",
    );
}

#[test]
fn audit_runsv_status_is_a_directory() {
    same_line(
        "audit_runsv_status_is_a_directory",
        &|d| {
            script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
            fs::create_dir_all(d.join("s/supervise/status")).unwrap();
        },
        "runsv s: warning: unable to rename status.new to supervise/status: is a directory",
    );
}

#[test]
fn audit_runsv_log_is_a_file() {
    same_line(
        "audit_runsv_log_is_a_file",
        &|d| {
            script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
            fs::write(d.join("s/log"), "").unwrap();
        },
        "runsv s: warning: ./log: not a directory.",
    );
}

#[test]
fn audit_runsv_finish_not_executable() {
    same_line(
        "audit_runsv_finish_not_executable",
        &|d| {
            script(d.join("s/run"), "#!/bin/sh\nexit 0\n");
            fs::write(d.join("s/finish"), "#!/bin/sh\n").unwrap();
        },
        "runsv s: fatal: unable to start ./finish: access denied",
    );
}

/// Starts `runsv s` (down, with a log) in a fresh directory prepared by
/// `setup`, sends `x` and, once the log is told to exit, `u`; returns the
/// first `lines` lines of stderr, and the directory and runsv, still running,
/// for the caller to look at what the start left.
fn up_after_exit(
    runsv: &Path,
    name: &str,
    setup: &dyn Fn(&Path),
    lines: usize,
) -> (Vec<String>, TestDir, Proc) {
    let d = TestDir::new(name);
    script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    script(d.join("s/log/run"), "#!/bin/sh\nexec sleep 1000\n");
    fs::write(d.join("s/down"), "").unwrap();
    setup(&d.join("s"));
    let err = d.join("stderr");
    let mut c = clean_command(runsv);
    c.arg("s")
        .current_dir(&d.path)
        .stdin(Stdio::null())
        .stderr(fs::File::create(&err).unwrap());
    let p = Proc::start(c);
    let stat = |p: &str| fs::read_to_string(d.join(p)).unwrap_or_default();
    let send = |b: &[u8]| {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(d.join("s/supervise/control"))
            .unwrap();
        f.write_all(b).unwrap();
    };
    common::wait_for("log running", || stat("s/log/supervise/stat") == "run\n");
    send(b"x");
    common::wait_for("log told to exit", || {
        stat("s/log/supervise/stat") == "run, want exit\n"
    });
    send(b"u");
    let mut text = String::new();
    common::wait_for("the failed start", || {
        text = fs::read_to_string(&err).unwrap_or_default();
        text.lines().count() >= lines
    });
    (text.lines().take(lines).map(str::to_string).collect(), d, p)
}

/// `u` after `x` cancels the exit, but the log pipe is already closed: the
/// new `./run` cannot get its standard output, nor the `./finish` after it
/// (doc/runit/quirks.md #5). The first `lines` lines of stderr and the log's
/// `stat`.
fn run_after_exit(runsv: &Path, name: &str, finish: bool, lines: usize) -> (Vec<String>, String) {
    let setup = |s: &Path| {
        if finish {
            script(s.join("finish"), "#!/bin/sh\nexit 0\n");
        }
    };
    let (text, d, _runsv) = up_after_exit(runsv, name, &setup, lines);
    let log_stat = fs::read_to_string(d.join("s/log/supervise/stat")).unwrap_or_default();
    (text, log_stat)
}

const NO_PIPE: &str =
    "runsv s: fatal: unable to setup filedescriptor for ./run: file descriptor not open";

fn same_up_after_exit(test: &str, finish: bool, lines: usize) {
    assert_eq!(
        both(test, |runsv| run_after_exit(runsv, test, finish, lines)),
        (
            vec![NO_PIPE.to_string(); lines],
            "run, want exit\n".to_string()
        )
    );
}

#[test]
fn audit_runsv_up_after_exit_has_no_log_pipe() {
    same_up_after_exit("audit_runsv_up_after_exit_has_no_log_pipe", false, 1);
}

/// The `./finish` that follows the failed `./run` fails too, and runit's
/// message still says `./run`.
#[test]
fn audit_runsv_finish_after_exit_says_run() {
    same_up_after_exit("audit_runsv_finish_after_exit_says_run", true, 2);
}

/// A `u` for the log after `x`: the exit step sets the log's want back to
/// exit and closes the already closed pipe again, with a warning for each
/// end (doc/runit/quirks.md #5).
fn log_up_after_exit(runsv: &Path, name: &str) -> Vec<String> {
    let d = TestDir::new(name);
    script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    script(d.join("s/log/run"), "#!/bin/sh\nexec sleep 1000\n");
    fs::write(d.join("s/down"), "").unwrap();
    let err = d.join("stderr");
    let mut c = clean_command(runsv);
    c.arg("s")
        .current_dir(&d.path)
        .stdin(Stdio::null())
        .stderr(fs::File::create(&err).unwrap());
    let _p = Proc::start(c);
    let stat = |p: &str| fs::read_to_string(d.join(p)).unwrap_or_default();
    let send = |fifo: &str, b: &[u8]| {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(d.join(fifo))
            .unwrap();
        f.write_all(b).unwrap();
    };
    common::wait_for("log running", || stat("s/log/supervise/stat") == "run\n");
    send("s/supervise/control", b"x");
    common::wait_for("log told to exit", || {
        stat("s/log/supervise/stat") == "run, want exit\n"
    });
    send("s/log/supervise/control", b"u");
    let mut text = String::new();
    common::wait_for("the warnings", || {
        text = fs::read_to_string(&err).unwrap_or_default();
        text.lines().count() >= 2
    });
    text.lines().take(2).map(str::to_string).collect()
}

#[test]
fn audit_runsv_log_up_after_exit_closes_again() {
    let test = "audit_runsv_log_up_after_exit_closes_again";
    assert_eq!(
        both(test, |runsv| log_up_after_exit(runsv, test)),
        [
            "runsv s: warning: unable to close logpipe[1]: file descriptor not open",
            "runsv s: warning: unable to close logpipe[0]: file descriptor not open",
        ]
    );
}

/// `u` after `x` with a `control/u`: the script cannot get the closed log
/// pipe as stdout, which runit only warns about before running it anyway;
/// then `./run` fails (doc/runit/quirks.md #5). Returns the first two lines
/// of stderr and whether the script ran.
fn control_after_exit(runsv: &Path, name: &str) -> (Vec<String>, bool) {
    let setup = |s: &Path| script(s.join("control/u"), "#!/bin/sh\n: > ../ran\nexit 0\n");
    let (text, d, _runsv) = up_after_exit(runsv, name, &setup, 2);
    (text, d.join("ran").exists())
}

#[test]
fn audit_runsv_control_script_without_log_pipe_warns() {
    let test = "audit_runsv_control_script_without_log_pipe_warns";
    assert_eq!(
        both(test, |runsv| control_after_exit(runsv, test)),
        (
            vec![
                "runsv s: warning: unable to setup stdout for control/u: file descriptor not open"
                    .to_string(),
                NO_PIPE.to_string()
            ],
            true
        )
    );
}

/// Starts `runsv s` (a service that runs), overwrites `supervise/status`
/// and `stat` with garbage, sends `u` (which changes nothing) and returns
/// what the two files hold then (the record's flags and state bytes, after
/// its time and pid).
fn rewrite_after_corruption(runsv: &Path, name: &str) -> (Vec<u8>, String) {
    let d = TestDir::new(name);
    script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    let mut c = clean_command(runsv);
    c.arg("s")
        .current_dir(&d.path)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let _p = Proc::start(c);
    let sup = d.join("s/supervise");
    common::wait_for("the service running", || {
        common::state_pid(&d.join("s")).is_some_and(|(state, pid)| state == 1 && pid != 0)
    });
    fs::write(sup.join("status"), b"garbage").unwrap();
    fs::write(sup.join("stat"), b"garbage\n").unwrap();
    {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(sup.join("control"))
            .unwrap();
        f.write_all(b"u").unwrap();
    }
    let mut got = (Vec::new(), String::new());
    common::wait_for("the files written again", || {
        got = (
            fs::read(sup.join("status")).unwrap_or_default(),
            fs::read_to_string(sup.join("stat")).unwrap_or_default(),
        );
        got.0.len() == 20
    });
    (got.0[16..].to_vec(), got.1)
}

/// An update that changes nothing still writes the files when they no
/// longer hold what runsv wrote (ours skips rewriting identical files,
/// doc/differences.md §2.8), as runit's always does.
#[test]
fn audit_runsv_a_corrupted_status_is_written_again() {
    let test = "audit_runsv_a_corrupted_status_is_written_again";
    // Not paused, want up, no TERM, state run; `stat` says run.
    assert_eq!(
        both(test, |runsv| rewrite_after_corruption(runsv, test)),
        (vec![0, b'u', 0, 1], "run\n".to_string())
    );
}
