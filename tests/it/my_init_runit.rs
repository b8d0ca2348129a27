//! my_init over runit: the same scenarios over our runsvdir/runsv/sv
//! (bind-mounted over Debian's inside the namespace), `docker exec` into a
//! running container, and log lines at shutdown.
use crate::common;
use crate::my_init_support;
use crate::reference;

use my_init_support::*;
use nix::sys::signal::Signal;

fn polite(name: &str) -> String {
    format!(
        "#!/bin/sh\nexec 2>/dev/null\ntrap 'echo {name} got TERM >> /etc/trace; kill $!; exit 0' TERM\nsleep 1000 &\necho {name} up >> /etc/trace\nwait $!\n"
    )
}

fn hooked_tree(name: &str) -> Tree {
    let t = Tree::new(name);
    t.exe(
        "my_init.pre_shutdown.d/10-pre",
        "#!/bin/sh\necho pre >> /etc/trace\n",
    )
    .exe(
        "my_init.post_shutdown.d/10-post",
        "#!/bin/sh\necho post >> /etc/trace\n",
    );
    t
}

#[test]
fn docker_stop_over_our_runit() {
    let t = hooked_tree("my_init-our-runit-stop");
    for s in ["a", "b", "c"] {
        t.service(s, &polite(s));
    }
    let sc = Scenario::new(&[]).over_our_runit().unordered().during(|r| {
        r.wait_trace("a up");
        r.wait_trace("b up");
        r.wait_trace("c up");
        r.signal(Signal::SIGTERM);
    });
    let out = differential(&t, sc, "docker_stop_over_our_runit");
    assert_eq!(out.code, Some(2));
    let trace = out.trace_lines();
    assert_eq!(trace[3], "pre");
    let mut stopped = trace[4..7].to_vec();
    stopped.sort();
    assert_eq!(stopped, ["a got TERM", "b got TERM", "c got TERM"]);
    assert_eq!(trace[7..], ["post"]);
    assert_eq!(
        out.own_lines(),
        [
            "*** Booting runit daemon...",
            "*** Runit started as PID N",
            "*** Running /etc/my_init.pre_shutdown.d/10-pre...",
            "*** Shutting down runit daemon (PID N)...",
            "*** Running /etc/my_init.post_shutdown.d/10-post...",
            "*** Init system aborted.",
            "*** Killing all processes...",
        ]
    );
}

/// With no post-shutdown script, ours tells each runsv `x` where the
/// reference's force-stop says `d`: the same stop for the service, and runsv
/// then exits by itself. Not where it would show: a service with `control/`
/// scripts still gets `d` (its `control/d` runs, its `control/x` does not,
/// as in the reference), and a finish script that says `sv d` to its own
/// service (runsv then stays) is seen down at once, not at
/// KILL_PROCESS_TIMEOUT (600 s here, far past the run's deadline).
#[test]
fn stop_without_post_hooks_over_our_runit() {
    let t = Tree::new("my_init-our-runit-exit-early");
    t.service("plain", &polite("plain"))
        .exe(
            "service/plain/finish",
            "#!/bin/sh\necho plain finished >> /etc/trace\n",
        )
        .service("custom", &polite("custom"))
        .exe(
            "service/custom/control/d",
            "#!/bin/sh\necho custom control d >> /etc/trace\n",
        )
        .exe(
            "service/custom/control/x",
            "#!/bin/sh\necho custom control x >> /etc/trace\n",
        )
        .service("stays", &polite("stays"))
        .exe(
            "service/stays/finish",
            "#!/bin/sh\nsv d . >/dev/null; echo stays sv $? >> /etc/trace\necho stays finished >> /etc/trace\n",
        )
        .service("idle", &polite("idle"))
        .file("service/idle/down", "");
    let sc = Scenario::new(&[])
        .over_our_runit()
        .unordered()
        .env("KILL_PROCESS_TIMEOUT", "600")
        .during(|r| {
            for s in ["plain", "custom", "stays"] {
                r.wait_trace(&format!("{s} up"));
            }
            r.signal(Signal::SIGTERM);
        });
    let out = differential(&t, sc, "stop_without_post_hooks_over_our_runit");
    assert_eq!(out.code, Some(2));
    let mut trace = out.trace_lines();
    trace.sort();
    assert_eq!(
        trace,
        [
            "custom control d",
            "custom got TERM",
            "custom up",
            "plain finished",
            "plain got TERM",
            "plain up",
            "stays finished",
            "stays got TERM",
            "stays sv 0",
            "stays up",
        ]
    );
    assert_lines(
        &out,
        &[
            "*** Booting runit daemon...",
            "*** Runit started as PID N",
            "*** Shutting down runit daemon (PID N)...",
            "*** Init system aborted.",
            "*** Killing all processes...",
        ],
    );
}

#[test]
fn stubborn_service_over_our_runit() {
    let t = hooked_tree("my_init-our-runit-stubborn");
    t.service(
        "stubborn",
        "#!/bin/sh\nexec 2>/dev/null\ntrap 'echo stubborn got TERM >> /etc/trace' TERM\necho stubborn up >> /etc/trace\nwhile :; do sleep 1000 & wait $!; done\n",
    );
    let sc = Scenario::new(&[
        "--",
        "sh",
        "-c",
        "until grep -q 'stubborn up' /etc/trace; do sleep 0.02; done",
    ])
    .over_our_runit()
    .env("KILL_PROCESS_TIMEOUT", "1")
    .ignore("*** Not all processes have exited in time");
    let out = differential(&t, sc, "stubborn_service_over_our_runit");
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.trace_lines(),
        ["stubborn up", "pre", "stubborn got TERM", "post"]
    );
}

#[test]
fn docker_exec_sees_the_environment_and_its_orphans_are_reaped() {
    let t = Tree::new("my_init-exec");
    t.env_var("GREETING", "hello world")
        .service("a", &polite("a"));
    let sc = Scenario::new(&[]).during(|r| {
        r.wait_trace("a up");
        let o = r.exec(&[
            "/bin/sh",
            "-c",
            ". /etc/container_environment.sh; echo \"$GREETING\"; (sleep 0.01 &); echo exec done >> /etc/trace",
        ]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "hello world\n");
        r.wait_trace("exec done");
        let clean = common::wait_until(std::time::Duration::from_secs(10), || {
            r.zombies().is_empty()
        });
        assert!(clean, "zombies left: {:?}", r.zombies());
        r.signal(Signal::SIGTERM);
    });
    let out = differential(&t, sc, "docker_exec");
    assert_eq!(out.code, Some(2));
    assert_eq!(out.trace_lines(), ["a up", "exec done", "a got TERM"]);
}

#[test]
fn log_lines_survive_the_shutdown() {
    // A service that writes a burst on TERM; its log service must have read
    // the pipe to the end before the kill-all. Ours is held to it; the
    // reference is only reported (it may lose lines).
    let t = Tree::new("my_init-log-lines");
    t.service(
        "talker",
        "#!/bin/sh\nexec 2>&1\ntrap 'i=0; while [ $i -lt 300 ]; do echo bye $i; i=$((i+1)); done; echo last; kill $!; exit 0' TERM\nsleep 1000 &\necho talker up >> /etc/trace\nwait $!\n",
    )
    .exe("service/talker/log/run", "#!/bin/sh\nexec svlogd main\n")
    .mkdir("service/talker/log/main");
    let sc = Scenario::new(&[]).over_our_runit().during(|r| {
        r.wait_trace("talker up");
        r.signal(Signal::SIGTERM);
    });
    let ours = run_one(&t, &Which::Ours, &sc);
    assert_eq!(ours.code, Some(2));
    let log = ours.read_str("service/talker/log/main/current");
    assert!(
        log.ends_with("bye 299\nlast\n"),
        "ours lost log lines:\n{log}"
    );
    if let Some(reference) = reference::phusion("my_init", "log_lines") {
        let theirs = run_one(&t, &Which::Reference(reference), &sc);
        let log = String::from_utf8_lossy(
            &std::fs::read(theirs.etc.join("service/talker/log/main/current")).unwrap_or_default(),
        )
        .into_owned();
        eprintln!(
            "reference: {} of 301 shutdown lines logged",
            log.lines()
                .filter(|l| l.starts_with("bye") || *l == "last")
                .count()
        );
    }
}

#[test]
fn what_is_left_for_the_post_shutdown_hook() {
    // Ours stops every runsv (so that logs drain) before the post-shutdown
    // hooks; the reference leaves them (and svlogd) to the kill-all.
    let (ours, theirs) = seen_by_a_post_hook("my_init-left-at-post", true);
    assert_eq!(ours, ["my_init"]);
    if let Some(left) = theirs {
        assert!(
            left.contains(&"runsv".to_string()) && left.contains(&"svlogd".to_string()),
            "{left:?}"
        );
    }
}

#[test]
fn a_runsv_without_a_log_is_left_for_the_post_shutdown_hook() {
    // Without a log service, the reference leaves runsv to the kill-all,
    // so a post-shutdown hook sees it; so does ours. (With no hook to see
    // it, ours sends each runsv the kill-all's word, `x`, as soon as its
    // service is down: services.rs.)
    let (ours, theirs) = seen_by_a_post_hook("my_init-runsv-at-post", false);
    assert_eq!(ours, ["my_init", "runsv"]);
    if let Some(left) = theirs {
        assert!(left.contains(&"runsv".to_string()), "{left:?}");
    }
}

/// A service (with a log service or not) stopped by a TERM to ours and to
/// the reference (when installed), with a post-shutdown hook that lists
/// the processes it sees: what each hook saw ([`left_at_post`]). The
/// common outcome is checked here.
fn seen_by_a_post_hook(name: &str, logged: bool) -> (Vec<String>, Option<Vec<String>>) {
    let t = Tree::new(name);
    t.service("a", &polite("a")).exe(
        "my_init.post_shutdown.d/10-ps",
        "#!/bin/sh\nps -e -o comm= > /etc/ps-at-post\necho post >> /etc/trace\n",
    );
    if logged {
        t.exe("service/a/log/run", "#!/bin/sh\nexec svlogd main\n")
            .mkdir("service/a/log/main");
    }
    let sc = Scenario::new(&["--quiet"]).during(|r| {
        r.wait_trace("a up");
        r.signal(Signal::SIGTERM);
    });
    let check = |out: &Outcome| {
        assert_eq!(out.code, Some(2));
        assert_eq!(out.trace_lines(), ["a up", "a got TERM", "post"]);
        // --quiet: only the warning.
        assert_lines(out, &["*** Init system aborted."]);
    };
    let ours = run_one(&t, &Which::Ours, &sc);
    check(&ours);
    let theirs = reference::phusion("my_init", name).map(|reference| {
        let theirs = run_one(&t, &Which::Reference(reference), &sc);
        check(&theirs);
        left_at_post(&theirs)
    });
    (left_at_post(&ours), theirs)
}

/// The processes the post-shutdown hook saw, but for itself and its ps.
fn left_at_post(out: &Outcome) -> Vec<String> {
    let mut v: Vec<String> = out
        .read_str("ps-at-post")
        .lines()
        .map(str::trim)
        .filter(|c| !["ps", "10-ps", "sh"].contains(c))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn no_service_directory_and_linked_services() {
    // No /etc/service at all: runsvdir complains (its own words) and the
    // shutdown has nothing to stop.
    let t = hooked_tree("my_init-no-service-dir");
    let sc = Scenario::new(&["--", "sh", "-c", "echo main >> /etc/trace"])
        .ignore("runsvdir /etc/service: warning:");
    let out = differential(&t, sc, "no service directory");
    assert_eq!(out.code, Some(0));
    assert_eq!(out.trace_lines(), ["main", "pre", "post"]);
    // Services linked in from /etc/sv (as images often do), one of them down.
    let t = hooked_tree("my_init-linked-services");
    t.exe("sv/a/run", &polite("a"))
        .exe("sv/b/run", &polite("b"))
        .file("sv/b/down", "")
        .mkdir("service");
    for s in ["a", "b"] {
        std::os::unix::fs::symlink(format!("/etc/sv/{s}"), t.tmpl.join("service").join(s))
            .expect("symlink");
    }
    let sc = Scenario::new(&[]).during(|r| {
        r.wait_trace("a up");
        r.signal(Signal::SIGTERM);
    });
    let out = differential(&t, sc, "linked services");
    assert_eq!(out.code, Some(2));
    assert_eq!(out.trace_lines(), ["a up", "pre", "a got TERM", "post"]);
}
