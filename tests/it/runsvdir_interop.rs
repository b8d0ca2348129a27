//! Interop both ways (runit's runsv under our runsvdir, our runsv under
//! runit's), and what our runsvdir notices without a poll: a new service, a
//! switch of `current`, a directory that appears. How soon (milliseconds,
//! where runit takes up to 5 s) is measured by scripts/bench-runsvdir.sh, not
//! asserted here.
use crate::common;
use crate::runsvdir_util;

use common::{
    clean_command, ours, run, runit_path, runsv_alive, test_path, text, theirs, wait_until, TestDir,
};
use runsvdir_util::*;
use std::fs;
use std::time::{Duration, Instant};

/// Starts a tree with `imp`, checks the service runs and `sv status` sees it,
/// kills the runsv and sees it restarted, then HUP stops everything.
fn scenario(imp: &Impl, sv_bin: &std::path::Path) {
    let t = TestDir::new("rsd-interop");
    let sv = t.join("sv");
    service(&sv, "a");
    common::script(sv.join("a/log/run"), "#!/bin/sh\nexec cat >/dev/null\n");
    let (mut p, err) = start(imp, &t.path, &["sv"]);
    assert!(
        wait_until(SLOW, || t.join("a.started").exists()),
        "{}: service did not start",
        imp.label
    );
    assert!(wait_until(SLOW, || runsv_alive(&sv.join("a/log"))));
    // The service may run before runsv has written its status: poll.
    let mut out = String::new();
    let seen = wait_until(SLOW, || {
        let mut c = clean_command(sv_bin);
        c.arg("status").arg(sv.join("a"));
        let (o, _, code) = text(&run(c));
        out = o;
        code == 0 && out.starts_with("run: ")
    });
    assert!(seen, "{}: {out}", imp.label);
    let old = runsvs(p.pid())[0].1;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(old),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert!(
        wait_until(SLOW, || runsvs(p.pid())
            .iter()
            .any(|(n, pid)| n == "a" && *pid != old)),
        "{}: runsv not restarted",
        imp.label
    );
    p.signal(libc::SIGHUP);
    assert_eq!(p.wait_exit().code(), Some(111));
    assert!(wait_until(SLOW, || !runsv_alive(&sv.join("a"))));
    assert!(wait_until(SLOW, || !runsv_alive(&sv.join("a/log"))));
    let e = read_text(&err);
    assert!(!e.contains("fatal"), "{}: {e}", imp.label);
}

#[test]
fn runit_runsv_under_our_runsvdir() {
    if common::theirs_or_skip("runsv", "runit_runsv_under_our_runsvdir").is_none() {
        return;
    }
    let imp = Impl {
        runsvdir: ours("runsvdir"),
        path: runit_path(),
        label: "ours+runit-runsv",
    };
    scenario(&imp, &theirs("sv").unwrap());
}

#[test]
fn our_runsv_under_runit_runsvdir() {
    let Some(theirs_dir) = common::theirs_or_skip("runsvdir", "our_runsv_under_runit_runsvdir")
    else {
        return;
    };
    let imp = Impl {
        runsvdir: theirs_dir,
        path: test_path(),
        label: "runit+our-runsv",
    };
    let sv = theirs("sv").unwrap();
    scenario(&imp, &sv);
}

/// inotify: a service renamed into the directory runs at once (runit: ~2.7 s).
#[test]
fn new_service_starts_at_once() {
    let t = TestDir::new("rsd-pickup");
    let sv = t.join("sv");
    fs::create_dir_all(&sv).unwrap();
    let (p, _err) = start(&ours_impl(), &t.path, &["sv"]);
    assert!(wait_until(SLOW, || p.pid() > 0 && runsvs(p.pid()).is_empty()));
    // Measure from runsvdir's idle wait: it is asleep in poll.
    assert!(wait_until(SLOW, || fs::read_to_string(format!(
        "/proc/{}/stat",
        p.pid()
    ))
    .is_ok_and(|s| s
        .rsplit(')')
        .next()
        .is_some_and(|r| r.trim_start().starts_with('S')))));
    for name in ["x", "y", "z"] {
        service(&t.join("staging"), name);
        fs::rename(t.join("staging").join(name), sv.join(name)).unwrap();
        assert!(wait_until(SLOW, || t
            .join(format!("{name}.started"))
            .exists()));
    }
    assert!(wait_names(p.pid(), &["x", "y", "z"]));
}

/// A runsv that keeps failing is retried as runit does: once more a second
/// after the first start (the rescan after new services), then about every
/// 5 s; not in a loop. Lower bounds only (they hold on a loaded machine).
#[test]
fn failing_runsv_is_throttled() {
    // A time window (tests/it/README.md).
    let _serial = common::serial();
    let t = TestDir::new("rsd-throttle");
    service(&t.join("sv"), "a");
    let mut imp = ours_impl();
    imp.path = "/nonexistent".into();
    let (p, err) = start(&imp, &t.path, &["sv"]);
    let first = Instant::now();
    assert!(wait_until(SLOW, || read_text(&err).lines().count() >= 2));
    // A measurement window, not a synchronisation: nothing may happen in it.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(read_text(&err).lines().count(), 2);
    assert!(wait_until(SLOW, || read_text(&err).lines().count() >= 3));
    let third = first.elapsed();
    drop(p);
    assert!(third > Duration::from_secs(4), "{third:?}");
    assert!(read_text(&err)
        .starts_with("runsvdir sv: fatal: unable to start runsv a: file does not exist\n"));
}

/// runsvdir on a path through a `current` symlink (Debian's /etc/service)
/// follows a switch of that link: the old set's runsv processes get TERM,
/// the new set's start (ours at once, runit within ~5 s: the bench's).
#[test]
fn switching_current_is_noticed_at_once() {
    let t = TestDir::new("rsd-switch");
    let sets = t.join("runsvdir");
    service(&sets.join("one"), "a");
    service(&sets.join("two"), "b");
    std::os::unix::fs::symlink("one", sets.join("current")).unwrap();
    std::os::unix::fs::symlink("runsvdir/current", t.join("service")).unwrap();
    let (p, _err) = start(&ours_impl(), &t.path, &["service"]);
    assert!(wait_names(p.pid(), &["a"]));
    std::os::unix::fs::symlink("two", sets.join("current.new")).unwrap();
    fs::rename(sets.join("current.new"), sets.join("current")).unwrap();
    assert!(wait_until(SLOW, || sets.join("b.started").exists()));
    assert!(wait_names(p.pid(), &["b"]));
    assert!(wait_until(SLOW, || !runsv_alive(&sets.join("one/a"))));
}

/// A directory that does not exist yet is picked up once it appears (ours
/// at once, runit at its next retry, within a second or 5 s: the bench's).
#[test]
fn missing_dir_is_picked_up_when_created() {
    let t = TestDir::new("rsd-late-dir");
    let (p, err) = start(&ours_impl(), &t.path, &["later"]);
    assert!(wait_until(SLOW, || !read_text(&err).is_empty()));
    // Right after a retry, so that the next one is a second away.
    let n = read_text(&err).lines().count();
    assert!(wait_until(SLOW, || read_text(&err).lines().count() > n));
    service(&t.join("staging"), "a");
    fs::rename(t.join("staging"), t.join("later")).unwrap();
    assert!(wait_until(SLOW, || t.join("a.started").exists()));
    assert!(wait_names(p.pid(), &["a"]));
}
