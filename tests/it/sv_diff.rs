//! Our sv against Debian's sv, each driving its own copy of the same services
//! under the same runsv (Debian's, then ours): every step must give the same
//! stdout, stderr and exit code with pids and seconds masked, and the same as
//! the scenario's golden file, `golden/sv_diff/<test>.txt`, recorded from
//! Debian's sv under Debian's runsv (re-record: `crate::golden`).

use crate::common;
use crate::golden::Golden;
use crate::sv_common;

use std::fs;
use std::path::Path;
use sv_common::{compare, debian, runsvs, Step, World, SLEEPER, STUBBORN};

/// A service that ignores every signal the one-letter commands send but TERM.
const DEAF: &str = "#!/bin/sh\ntrap '' HUP ALRM INT QUIT USR1 USR2 CONT\nexec sleep 1000\n";

/// Waits until runsv has reaped the service `force-stop` killed: sv prints
/// its `kill:` line and exits without waiting for that, so a `status` right
/// after it may still read the running record.
fn killed(w: &World, name: &str) {
    let dir = w.path(name);
    common::wait_for("service killed", || {
        common::state_pid(&dir).is_some_and(|(state, pid)| state == 0 && pid == 0)
    });
}

/// Runs `scenario` under both runsvs (ours alone without Debian's runit: the
/// other world is set up, but only ours runs the steps). Every transcript,
/// whichever sv and runsv, must equal the golden one; Debian's sv under
/// Debian's runsv is the one recorded.
fn both(test: &str, scenario: fn(&Path, &mut World, &mut World) -> Vec<Step<'static>>) {
    let golden = Golden::new("sv_diff", test);
    let debian = debian(test);
    let their_sv = debian.as_ref().map(|d| d.0.clone());
    let their_runsv = debian.as_ref().map(|d| d.1.as_path());
    for (flavour, runsv) in runsvs(their_runsv) {
        let sv = their_sv.clone().unwrap_or_else(|| common::ours("sv"));
        let mut theirs = World::new(&format!("{test}-{flavour}-theirs"), &sv);
        let mut ours = World::new(&format!("{test}-{flavour}-ours"), &common::ours("sv"));
        let steps = scenario(&runsv, &mut theirs, &mut ours);
        let (t, o) = compare(debian.as_ref().map(|_| &theirs), &ours, &steps);
        match (flavour, t) {
            ("debian", Some(t)) => golden.reference(&t),
            (_, Some(t)) => golden.check(&format!("runit's sv under {flavour} runsv"), &t),
            (_, None) => {}
        }
        golden.check(&format!("our sv under {flavour} runsv"), &o);
    }
}

/// Sets up the same services in both worlds.
fn setup(worlds: [&mut World; 2], f: impl Fn(&mut World)) {
    for w in worlds {
        f(w);
    }
}

fn basic(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("a", SLEEPER, false);
        w.service("b", SLEEPER, true);
        w.service("c", SLEEPER, false);
        fs::write(w.path("c/down"), "").unwrap();
        w.service("nosup", SLEEPER, false);
        w.supervise(runsv, "a");
        w.supervise(runsv, "b");
        w.supervise(runsv, "c");
        w.dead_service(runsv, "dead");
        w.wait_running("a");
        w.wait_running("b");
        w.wait_running("b/log");
    });
    vec![
        Step::Sv(
            &["status", "a", "b", "c", "dead", "nosup", "missing", ""],
            &[],
        ),
        Step::Sv(
            &["-v", "status", "a", "./a", "a/", "b/log", "b/log/", ".a"],
            &[],
        ),
        Step::Sv(&["stat", "a"], &[]),
        Step::Sv(&["s", "c"], &[]),
        Step::Sv(&["status", "a"], &[("SVDIR", "/nonexistent")]),
        Step::Sv(&["status", "a"], &[("SVDIR", "/etc/passwd")]),
        Step::Sv(&["-v", "up", "a/", "./a"], &[("SVDIR", "/nonexistent")]),
        Step::Sv(&["-v", "down", "c/"], &[("SVDIR", "/nonexistent")]),
        Step::Sv(&["-v", "up", "c/"], &[("SVDIR", "/nonexistent")]),
        Step::Sv(&["-v", "up", "c"], &[]),
        Step::Sv(&["-v", "up", "c"], &[]),
        Step::Sv(&["-w", "5", "down", "c"], &[]),
        Step::Sv(&["-v", "down", "c"], &[]),
        // `-v once` on a down service is met at once when the status dates
        // from sv's own second, else once runsv has started it (sv.md §5.1):
        // from the next second on, always the latter.
        Step::Do(&|w: &World| w.wait_past_second("c")),
        Step::Sv(&["-v", "once", "c"], &[]),
        Step::Sv(&["status", "c"], &[]),
        Step::Sv(&["-v", "d", "c"], &[]),
        Step::Sv(&["-v", "pause", "a"], &[]),
        Step::Sv(&["status", "a"], &[]),
        Step::Sv(&["-v", "cont", "a"], &[]),
        Step::Sv(&["check", "a", "b", "c"], &[]),
        Step::Sv(&["shutdown", "dead"], &[]),
        Step::Sv(&["up", "dead"], &[]),
        Step::Sv(&["-v", "exit", "dead"], &[]),
        Step::Sv(&["x", "dead"], &[]),
        Step::Sv(&["force-stop", "dead"], &[]),
        Step::Sv(&["up", "nosup", "missing"], &[]),
        Step::Sv(&["exit", "nosup"], &[]),
        Step::Sv(&["check", "nosup"], &[]),
        Step::Sv(&["stop", "c", "missing", "dead"], &[]),
        Step::Sv(&["-w", "5", "stop", "a", "b"], &[]),
        Step::Sv(&["status", "a", "b"], &[]),
        Step::Sv(&["-w", "5", "start", "a", "b"], &[]),
        Step::Sv(&["-v", "down", "b/log"], &[]),
        Step::Sv(&["status", "b"], &[]),
        Step::Sv(&["-v", "u", "b/log"], &[]),
        Step::Sv(&["status", "b", "b/log"], &[]),
    ]
}

fn usage(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("a", DEAF, false);
        w.supervise(runsv, "a");
        w.wait_running("a");
    });
    vec![
        Step::Sv(&[], &[]),
        Step::Sv(&["status"], &[]),
        Step::Sv(&["-v"], &[]),
        Step::Sv(&["-x", "status", "a"], &[]),
        Step::Sv(&["-V", "status", "a"], &[]),
        Step::Sv(&["-w"], &[]),
        Step::Sv(&["-vw"], &[]),
        Step::Sv(&["--json", "status", "a"], &[]),
        Step::Sv(&["-v", "--json", "status", "a"], &[]),
        Step::Sv(&["jsonx", "a"], &[]),
        Step::Sv(&["bogus", "a"], &[]),
        Step::Sv(&["rest", "a"], &[]),
        Step::Sv(&["force", "a"], &[]),
        Step::Sv(&["", "a"], &[]),
        Step::Sv(&["--", "status", "a"], &[]),
        Step::Sv(&["-", "a"], &[]),
        Step::Sv(&["-wxyz", "-v", "hup", "a"], &[]),
        Step::Sv(&["-w", "-5", "-v", "hup", "a"], &[]),
        Step::Sv(&["hup", "-w", "1", "a"], &[]),
        Step::Sv(&["-v", "alarm", "a"], &[("SVWAIT", "junk")]),
    ]
}

fn signals(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("d", DEAF, false);
        w.supervise(runsv, "d");
        w.wait_running("d");
    });
    let mut steps = Vec::new();
    for cmd in [
        "hup",
        "alarm",
        "interrupt",
        "quit",
        "1",
        "2",
        "reload",
        "h",
        "a",
        "i",
        "q",
    ] {
        steps.push(Step::Sv(Box::leak(Box::new(["-v", cmd, "d"])), &[]));
    }
    steps.push(Step::Sv(&["hup", "d"], &[]));
    steps.push(Step::Sv(&["status", "d"], &[]));
    steps
}

fn restarts(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("r", SLEEPER, false);
        w.service("down", SLEEPER, false);
        fs::write(w.path("down/down"), "").unwrap();
        w.supervise(runsv, "r");
        w.supervise(runsv, "down");
        w.wait_running("r");
    });
    vec![
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "restart", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "try-restart", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "force-restart", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "force-reload", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "-v", "term", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "-v", "kill", "r"], &[]),
        Step::Sv(&["try-restart", "down"], &[]),
        Step::Sv(&["force-reload", "down"], &[]),
        Step::Sv(&["-w", "5", "force-stop", "r"], &[]),
        Step::Sv(&["-w", "5", "Down", "r"], &[]),
        Step::Sv(&["-w", "5", "start", "r"], &[]),
        Step::Do(&|w: &World| w.wait_past_second("r")),
        Step::Sv(&["-w", "5", "T", "r"], &[]),
        Step::Sv(&["-w", "5", "stop", "r", "down"], &[]),
        Step::Sv(&["status", "r", "down"], &[]),
    ]
}

fn timeouts(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("t", STUBBORN, false);
        w.supervise(runsv, "t");
        w.wait_running("t");
    });
    vec![
        Step::Sv(&["-w", "0", "down", "t"], &[]),
        Step::Sv(&["status", "t"], &[]),
        Step::Sv(&["-w", "1", "force-stop", "t", "missing"], &[]),
        Step::Sv(&["-w", "5", "start", "t"], &[]),
        Step::Sv(&["stop", "t"], &[("SVWAIT", "0")]),
        Step::Sv(&["force-stop", "-w", "1", "t"], &[("SVWAIT", "1")]),
        Step::Do(&|w: &World| killed(w, "t")),
        Step::Sv(&["status", "t"], &[]),
    ]
}

fn exits(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        for s in ["e1", "e2", "e3", "e4"] {
            w.service(s, SLEEPER, s == "e2");
            w.supervise(runsv, s);
        }
        w.service("t", STUBBORN, false);
        w.supervise(runsv, "t");
        w.wait_running("t");
    });
    vec![
        Step::Sv(&["-w", "5", "shutdown", "e1"], &[]),
        Step::Sv(&["-w", "5", "force-shutdown", "e2"], &[]),
        Step::Sv(&["-w", "5", "exit", "e3"], &[]),
        Step::Sv(&["-w", "5", "X", "e4", "e3"], &[]),
        Step::Sv(&["status", "e1", "e2", "e3", "e4"], &[]),
        Step::Sv(&["-w", "1", "force-shutdown", "t"], &[]),
    ]
}

fn check_script(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("k", SLEEPER, false);
        common::script(
            w.path("k/check"),
            "#!/bin/sh\necho checking >&2\ntest -e ready\n",
        );
        fs::write(w.path("k/down"), "").unwrap();
        w.service("kx", SLEEPER, false);
        fs::write(w.path("kx/check"), "#!/bin/sh\nexit 1\n").unwrap();
        w.service("kl", SLEEPER, false);
        std::os::unix::fs::symlink("check", w.path("kl/check")).unwrap();
        for s in ["k", "kx", "kl"] {
            w.supervise(runsv, s);
        }
        w.wait_running("kx");
        w.wait_running("kl");
    });
    vec![
        Step::Sv(&["check", "k"], &[]),
        // Started first, so that every one of runit's polls runs the script
        // (whether the first poll sees the service up would be a race).
        Step::Sv(&["up", "k"], &[]),
        Step::Do(&|w: &World| w.wait_running("k")),
        Step::Sv(&["-w", "1", "start", "k"], &[]),
        Step::Sv(&["-w", "0", "check", "k"], &[]),
        Step::Do(&|w: &World| fs::write(w.path("k/ready"), "").unwrap()),
        Step::Sv(&["check", "k"], &[]),
        Step::Sv(&["-w", "5", "restart", "k"], &[]),
        Step::Sv(&["check", "kx", "kl"], &[]),
        Step::Sv(&["-w", "1", "up", "kl"], &[]),
        Step::Sv(&["-w", "1", "-v", "up", "kx"], &[]),
    ]
}

fn lsb(runsv: &Path, a: &mut World, b: &mut World) -> Vec<Step<'static>> {
    setup([a, b], |w| {
        w.service("a", DEAF, false);
        w.service("b", SLEEPER, true);
        w.service("t", STUBBORN, false);
        w.supervise(runsv, "a");
        w.supervise(runsv, "b");
        w.supervise(runsv, "t");
        w.dead_service(runsv, "dead");
        w.wait_running("a");
        w.wait_running("b");
        w.wait_running("b/log");
        w.wait_running("t");
    });
    vec![
        Step::Lsb("a", &["status"]),
        Step::Lsb("a", &[]),
        Step::Lsb("a", &["stat"]),
        Step::Lsb("a", &["bogus"]),
        Step::Lsb("a", &["-x", "status"]),
        Step::Lsb("a", &["-V"]),
        Step::Lsb("a", &["--json", "status"]),
        Step::Lsb("b", &["status", "ignored", "words"]),
        Step::Lsb("dead", &["status"]),
        Step::Lsb("missing", &["status"]),
        Step::Lsb("missing", &["start"]),
        Step::Lsb("dead", &["start"]),
        Step::Lsb("dead", &["shutdown"]),
        Step::Lsb("a", &["-w", "5", "stop"]),
        Step::Lsb("a", &["status"]),
        Step::Lsb("a", &["start"]),
        Step::Lsb("a", &["reload"]),
        Step::Do(&|w| w.wait_past_second("a")),
        Step::Lsb("a", &["restart"]),
        Step::Lsb("a", &["-v", "down"]),
        Step::Lsb("b", &["stop"]),
        Step::Lsb("b", &["status"]),
        Step::Lsb("b", &["check"]),
        Step::Lsb("t", &["-w", "1", "stop"]),
        Step::Lsb("t", &["-w", "1", "force-stop"]),
        Step::Do(&|w: &World| killed(w, "t")),
        Step::Lsb("t", &["status"]),
    ]
}

#[test]
fn sv_diff_basic() {
    both("sv_diff_basic", basic);
}

#[test]
fn sv_diff_usage() {
    both("sv_diff_usage", usage);
}

#[test]
fn sv_diff_signals() {
    both("sv_diff_signals", signals);
}

#[test]
fn sv_diff_restarts() {
    both("sv_diff_restarts", restarts);
}

#[test]
fn sv_diff_timeouts() {
    both("sv_diff_timeouts", timeouts);
}

#[test]
fn sv_diff_exits() {
    both("sv_diff_exits", exits);
}

#[test]
fn sv_diff_check_script() {
    both("sv_diff_check_script", check_script);
}

#[test]
fn sv_diff_lsb() {
    both("sv_diff_lsb", lsb);
}
