//! my_init's extras (ours only: the reference has none), each behind a flag
//! and an environment variable, with the defaults unchanged (the defaults
//! are checked against the reference in my_init_shutdown.rs).
mod common;
mod my_init_support;
mod phusion_support;

use my_init_support::*;

#[test]
fn main_command_killed_by_a_signal() {
    let t = Tree::new("my_init-extra-signal-code");
    t.mkdir("service");
    for (sc, name) in [
        (
            Scenario::new(&["--main-signal-exit-code", "--", "sh", "-c", "kill -TERM $$"]),
            "flag",
        ),
        (
            Scenario::new(&["--", "sh", "-c", "kill -TERM $$"])
                .env("MY_INIT_SIGNAL_EXIT_CODE", "1"),
            "env",
        ),
    ] {
        let out = run_one(&t, &Which::Ours, &sc);
        assert_eq!(out.code, Some(143), "{name}: {}", out.stderr);
        assert!(
            out.own_lines()
                .contains(&"*** sh exited with status 143.".to_string()),
            "{name}: {}",
            out.stderr
        );
    }
    let out = run_one(
        &t,
        &Which::Ours,
        &Scenario::new(&[
            "--skip-runit",
            "--main-signal-exit-code",
            "--",
            "sh",
            "-c",
            "kill -KILL $$",
        ]),
    );
    assert_eq!(out.code, Some(137));
    // A normal exit code is unchanged.
    let out = run_one(
        &t,
        &Which::Ours,
        &Scenario::new(&[
            "--skip-runit",
            "--main-signal-exit-code",
            "--",
            "sh",
            "-c",
            "exit 3",
        ]),
    );
    assert_eq!(out.code, Some(3));
}

#[test]
fn wait_for_services_before_the_main_command() {
    let t = Tree::new("my_init-extra-wait");
    // Up only once its ./check passes, a moment after it starts.
    t.service(
        "slow",
        "#!/bin/sh\necho slow up >> /etc/trace\n(sleep 0.3; : > /etc/slow-ready) &\nexec sleep 1000\n",
    )
    .exe("service/slow/check", "#!/bin/sh\nexec test -e /etc/slow-ready\n")
    .service("fast", "#!/bin/sh\nexec sleep 1000\n");
    let main = "if [ -e /etc/slow-ready ]; then echo main saw ready >> /etc/trace; else echo main too early >> /etc/trace; fi";
    for sc in [
        Scenario::new(&["--wait-for-services", "--", "sh", "-c", main]),
        Scenario::new(&["--", "sh", "-c", main]).env("MY_INIT_WAIT_FOR_SERVICES", "1"),
    ] {
        let out = run_one(&t, &Which::Ours, &sc);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert_eq!(out.trace_lines(), ["slow up", "main saw ready"]);
    }
    // A service that never comes up: the timeout ends the boot, exit 1,
    // and the main command never runs.
    let t = Tree::new("my_init-extra-wait-timeout");
    t.service("never", "#!/bin/sh\nexec sleep 1000\n")
        .exe("service/never/check", "#!/bin/sh\nexit 1\n");
    let sc = Scenario::new(&["--wait-for-services", "--", "sh", "-c", main])
        .env("MY_INIT_WAIT_FOR_SERVICES_TIMEOUT", "1");
    let out = run_one(&t, &Which::Ours, &sc);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.trace(), "");
    assert!(
        out.own_lines().contains(
            &"*** Timed out waiting for services to be up: /etc/service/never".to_string()
        ),
        "{}",
        out.stderr
    );
}
