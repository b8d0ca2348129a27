//! runsvdir as PID 1 of a PID namespace (`unshare --pid --fork --mount-proc`),
//! the way a container runs it: orphans are reaped at once, and with
//! `--graceful` a SIGTERM from outside stops every service in order.
use crate::common;
use crate::runsvdir_util;

use common::{clean_command, script, test_path, wait_until, Proc, TestDir};
use runsvdir_util::*;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Starts our runsvdir with `args` as PID 1 of a new PID namespace; returns
/// the unshare process and runsvdir's pid as seen from here.
fn start_pid1(cwd: &Path, args: &[&str]) -> Option<(Proc, i32)> {
    if !Path::new("/usr/bin/unshare").exists() {
        crate::reference::unavailable("runsvdir_pid1", "unshare is not installed");
        return None;
    }
    let mut c = clean_command("/usr/bin/unshare");
    c.args(common::PID_NAMESPACE)
        .arg(common::ours("runsvdir"))
        .args(args)
        .env("PATH", test_path())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(cwd.join("stderr")).unwrap());
    let p = Proc::start(c);
    let mut pid1 = 0;
    let found = wait_until(SLOW, || {
        pid1 = children(p.pid()).first().copied().unwrap_or(0);
        pid1 != 0 && argv(pid1).first().is_some_and(|a| a.ends_with("runsvdir"))
    });
    if !found {
        crate::reference::unavailable(
            "runsvdir_pid1",
            &format!(
                "could not start a PID namespace: {}",
                read_text(&cwd.join("stderr"))
            ),
        );
        return None;
    }
    Some((p, pid1))
}

fn zombies_of(pid: i32) -> Vec<i32> {
    children(pid)
        .into_iter()
        .filter(|&c| stat_state(c) == Some('Z'))
        .collect()
}

fn stat_state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s[s.rfind(')')? + 1..].trim_start().chars().next()
}

#[test]
fn orphans_are_reaped_promptly() {
    let t = TestDir::new("rsd-pid1-orphans");
    let done = t.join("orphans-done");
    script(
        t.join("sv/a/run"),
        &format!(
            "#!/bin/sh\nfor i in 1 2 3 4 5; do ( sh -c 'sleep 0.2; echo x >> {}' & ); done\nexec sleep 1000\n",
            done.display()
        ),
    );
    let Some((_p, pid1)) = start_pid1(&t.path, &["sv"]) else {
        return;
    };
    assert!(
        wait_until(SLOW, || read_text(&done).lines().count() == 5),
        "orphans did not run"
    );
    // Each orphan exits right after its write; runit would leave the
    // zombies for up to 5 s (how soon ours reaps is not asserted).
    let reaped = wait_until(SLOW, || zombies_of(pid1).is_empty());
    assert!(reaped, "zombies left: {:?}", zombies_of(pid1));
}

/// A service that logs its TERM, with a finish script and a log service.
fn polite_service(t: &TestDir, name: &str) {
    let dir = t.join("sv").join(name);
    script(
        dir.join("run"),
        &format!(
            "#!/bin/sh\nexec 2>&1\necho {name} started\ntrap 'echo {name} got TERM; exit 0' TERM\nwhile :; do sleep 0.05; done\n"
        ),
    );
    script(
        dir.join("finish"),
        &format!(
            "#!/bin/sh\necho finished >> {}\n",
            t.join(format!("{name}.finish")).display()
        ),
    );
    script(
        dir.join("log/run"),
        &format!(
            "#!/bin/sh\nexec cat >> {}\n",
            t.join(format!("{name}.log")).display()
        ),
    );
}

#[test]
fn graceful_sigterm_stops_every_service() {
    let t = TestDir::new("rsd-pid1-graceful");
    polite_service(&t, "a");
    polite_service(&t, "b");
    let Some((mut p, pid1)) = start_pid1(&t.path, &["--graceful=5", "-P", "sv"]) else {
        return;
    };
    for n in ["a", "b"] {
        assert!(wait_until(SLOW, || read_text(&t.join(format!("{n}.log")))
            .contains("started")));
    }
    // Stopped by TERM within the grace time: each finish ran and each log
    // ends with the TERM the service got (a KILL would not have logged it).
    terminate_and_time(&mut p, pid1);
    for n in ["a", "b"] {
        assert_eq!(
            read_text(&t.join(format!("{n}.finish"))),
            "finished\n",
            "{n}'s finish"
        );
        assert_eq!(
            read_text(&t.join(format!("{n}.log"))),
            format!("{n} started\n{n} got TERM\n")
        );
    }
}

#[test]
fn graceful_kills_what_ignores_term_after_the_grace_time() {
    let t = TestDir::new("rsd-pid1-stubborn");
    polite_service(&t, "a");
    script(
        t.join("sv/stubborn/run"),
        &format!(
            "#!/bin/sh\ntrap '' TERM\necho up > {}\nexec sleep 1000\n",
            t.join("stubborn.up").display()
        ),
    );
    script(
        t.join("sv/stubborn/finish"),
        &format!(
            "#!/bin/sh\necho \"$1 $2\" >> {}\n",
            t.join("stubborn.finish").display()
        ),
    );
    let Some((mut p, pid1)) = start_pid1(&t.path, &["--graceful=2", "sv"]) else {
        return;
    };
    assert!(wait_until(SLOW, || read_text(&t.join("a.log")).contains("started")));
    // Only once the trap is set does TERM stop being fatal to it.
    assert!(wait_until(SLOW, || read_text(&t.join("stubborn.up")) == "up\n"));
    let took = terminate_and_time(&mut p, pid1);
    // Not before the grace time (a lower bound holds on a loaded machine).
    assert!(took >= Duration::from_secs(2), "took {took:?}");
    assert_eq!(read_text(&t.join("stubborn.finish")), "-1 9\n");
    assert_eq!(read_text(&t.join("a.log")), "a started\na got TERM\n");
}

/// Without the flag, SIGTERM stays runit's: exit 0 at once, nothing stopped.
#[test]
fn plain_sigterm_as_pid1_exits_at_once() {
    let t = TestDir::new("rsd-pid1-plain");
    polite_service(&t, "a");
    let Some((mut p, pid1)) = start_pid1(&t.path, &["sv"]) else {
        return;
    };
    assert!(wait_until(SLOW, || read_text(&t.join("a.log")).contains("started")));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid1),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(p.wait_exit().code(), Some(0));
    assert!(!t.join("a.finish").exists());
}

/// SIGTERM to the namespace's init (as `docker stop` sends it from outside);
/// asserts exit 0 and returns how long the stop took.
fn terminate_and_time(p: &mut common::Proc, pid1: i32) -> Duration {
    let sent = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid1),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = p.wait_exit();
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(0));
    took
}
