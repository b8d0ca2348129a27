//! Our sv's waits for a service to stop or runsv to exit end when the state
//! changes, not at runit's next 420 ms poll, and its timeouts come no later than runit's. Also the `json` command.

mod common;
mod sv_common;

use std::path::Path;
use std::time::{Duration, Instant};
use sv_common::{World, SLEEPER, STUBBORN};

/// Waits until the current run of `name` started over a second ago, so that
/// runsv's restart throttle does not delay the next start.
fn settle(w: &World, name: &str) {
    let dir = w.path(name);
    common::wait_for("service older than 1 s", || {
        let Some(st) = common::status(&dir) else {
            return false;
        };
        let now = runit::tai::Tai64n::now().secs;
        st.state() == Some(runit::status::State::Run) && now >= st.secs() + 2
    });
}

fn timed(w: &World, args: &[&str]) -> (String, Duration) {
    let t = Instant::now();
    let (out, err, rc) = w.sv(args, &[]);
    let took = t.elapsed();
    assert_eq!((err.as_str(), rc), ("", 0), "sv {args:?}: {out}");
    (out, took)
}

fn fast_waits(runsv: &Path, tag: &str) {
    let mut w = World::new(&format!("sv_wait_fast-{tag}"), &common::ours("sv"));
    w.service("a", SLEEPER, false);
    w.supervise(runsv, "a");
    settle(&w, "a");
    // Generous bounds for a loaded machine; runit needs at least 420 ms.
    let limit = Duration::from_millis(300);
    let (out, took) = timed(&w, &["-w", "10", "stop", "a"]);
    assert_eq!(out, "ok: down: a: Ns, normally up\n");
    assert!(took < limit, "stop took {took:?}");
    // A running service is judged up only at runit's moments (wait.rs).
    let (out, _) = timed(&w, &["-w", "10", "start", "a"]);
    assert_eq!(out, "ok: run: a: (pid N) Ns\n");
    settle(&w, "a");
    let (out, _) = timed(&w, &["-w", "10", "restart", "a"]);
    assert_eq!(out, "ok: run: a: (pid N) Ns\n");
    // runsv's own throttle holds a child that ran under a second.
    settle(&w, "a");
    let (out, took) = timed(&w, &["-w", "10", "shutdown", "a"]);
    assert_eq!(out, "ok: a: runsv not running\n");
    assert!(took < limit, "shutdown took {took:?}");
}

#[test]
fn sv_wait_fast_with_our_runsv() {
    fast_waits(&common::ours("runsv"), "ours");
}

#[test]
fn sv_wait_fast_with_debian_runsv() {
    if let Some(runsv) = common::theirs_or_skip("runsv", "sv_wait_fast_with_debian_runsv") {
        fast_waits(&runsv, "debian");
    }
}

#[test]
fn sv_wait_timeout_no_later_than_runit() {
    let mut w = World::new("sv_wait_timeout", &common::ours("sv"));
    w.service("t", STUBBORN, false);
    w.supervise(&common::ours("runsv"), "t");
    w.wait_running("t");
    let t = Instant::now();
    let (out, _, rc) = w.sv(&["-w", "1", "down", "t"], &[]);
    let took = t.elapsed();
    assert_eq!(
        (out.as_str(), rc),
        ("timeout: run: t: (pid N) Ns, want down, got TERM\n", 1)
    );
    // runit reports it at its third poll, 1.26 s after the start.
    assert!(took >= Duration::from_millis(1000), "too early: {took:?}");
    assert!(
        took < Duration::from_millis(1260 + 200),
        "later than runit: {took:?}"
    );
}

#[test]
fn sv_wait_json() {
    let mut w = World::new("sv_wait_json", &common::ours("sv"));
    w.service("a", SLEEPER, false);
    w.service("b", SLEEPER, true);
    std::fs::write(w.path("b/down"), "").unwrap();
    w.supervise(&common::ours("runsv"), "a");
    w.supervise(&common::ours("runsv"), "b");
    w.wait_running("a");
    w.wait_running("b/log");
    let (out, err, rc) = w.sv(&["json", "a", "b", "missing"], &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("{\"service\":\"a\",\"state\":\"run\",\"pid\":"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(
        ",\"normally\":\"up\",\"paused\":false,\"want\":\"up\",\"got_term\":false,\"log\":null}"
    ));
    assert!(
        lines[1].starts_with("{\"service\":\"b\",\"state\":\"down\",\"pid\":0,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("\"normally\":\"down\""));
    assert!(lines[1].contains(",\"log\":{\"service\":\"b/log\",\"state\":\"run\""));
    assert_eq!(
        lines[2],
        "{\"service\":\"missing\",\"error\":\"unable to change to service directory: file does not exist\"}"
    );
    assert_eq!((err.as_str(), rc), ("", 1));
    // LSB mode: the init-script codes of `status`.
    assert_eq!(w.lsb("a", &["json"], &[]).2, 0);
    assert_eq!(w.lsb("missing", &["json"], &[]).2, 1);
    // Anything else starting with `j` stays a usage error, as in runit.
    assert_eq!(w.sv(&["jx", "a"], &[]).2, 100);
}

#[test]
fn sv_man_page_names_every_option_and_command() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/sv.8")).unwrap();
    for word in [
        "\\-v",
        "\\-w",
        "\\-V",
        "status",
        "up",
        "down",
        "once",
        "pause",
        "cont",
        "hup",
        "alarm",
        "interrupt",
        "quit",
        "term",
        "kill",
        "exit",
        "start",
        "stop",
        "reload",
        "restart",
        "shutdown",
        "force-stop",
        "force-reload",
        "force-restart",
        "force-shutdown",
        "try-restart",
        "check",
        "json",
        "SVDIR",
        "SVWAIT",
    ] {
        assert!(page.contains(word), "man/sv.8 does not mention {word}");
    }
}
