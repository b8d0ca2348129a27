//! my_init's extras (ours only: the reference has none), each behind a flag
//! and an environment variable, with the defaults unchanged (the defaults
//! are checked against the reference in my_init_shutdown.rs).
use crate::my_init_support;

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
    // KILL gives 128+9; a normal exit code is unchanged.
    for (script, code) in [("kill -KILL $$", 137), ("exit 3", 3)] {
        let args = [
            "--skip-runit",
            "--main-signal-exit-code",
            "--",
            "sh",
            "-c",
            script,
        ];
        let out = run_one(&t, &Which::Ours, &Scenario::new(&args));
        assert_eq!(out.code, Some(code), "{script}");
    }
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

/// A job service that marks itself once-only, runs and exits with `exit`;
/// its finish script records the exit for my_init.
fn job_tree(name: &str, exit: &str) -> Tree {
    let t = Tree::new(name);
    t.service(
        "job",
        &format!("#!/bin/sh\nsv o /etc/service/job >/dev/null\nuntil sv status /etc/service/job | grep -q 'want down'; do sleep 0.02; done\nuntil [ -e /etc/go ]; do sleep 0.02; done\necho job ran >> /etc/trace\n{exit}\n"),
    )
    .exe(
        "service/job/finish",
        "#!/bin/sh\necho \"$1 $2\" > exitcode\n",
    )
    .service(
        "other",
        "#!/bin/sh\nexec 2>/dev/null\ntrap 'echo other got TERM >> /etc/trace; kill $!; exit 0' TERM\nsleep 1000 &\necho other up >> /etc/trace\nwait $!\n",
    )
    .exe("my_init.pre_shutdown.d/10-pre", "#!/bin/sh\necho pre >> /etc/trace\n");
    t
}

#[test]
fn follow_service_ends_the_container_with_its_code() {
    for (exit, code, how) in [
        ("exit 3", 3, "flag"),
        ("kill -TERM $$", 143, "env"),
        ("exit 0", 0, "flag"),
    ] {
        let t = job_tree("my_init-extra-follow", exit);
        let sc = if how == "flag" {
            Scenario::new(&["--follow-service", "job"])
        } else {
            Scenario::new(&[]).env("MY_INIT_FOLLOW_SERVICE", "job")
        };
        let sc = sc.during(|r| {
            r.wait_trace("other up");
            std::fs::write(r.etc.join("go"), "").expect("go");
        });
        let out = run_one(&t, &Which::Ours, &sc);
        assert_eq!(out.code, Some(code), "{exit}: {}", out.stderr);
        assert_eq!(
            out.trace_lines(),
            ["other up", "job ran", "pre", "other got TERM"],
            "{exit}"
        );
    }
}

#[test]
fn unprivileged_container() {
    // my_init as nobody (through our setuser, so that it is still PID 1):
    // the environment files cannot be written. The reference dies there;
    // ours does too, unless --unprivileged makes it a warning.
    let t = Tree::new("my_init-extra-unprivileged");
    t.env_var("GREETING", "hi").mkdir("service").exe(
        "my_init.d/10",
        "#!/bin/sh\necho startup $(id -u) >> /etc/trace\n",
    );
    let as_nobody = |args: &[&str]| -> Vec<std::path::PathBuf> {
        let mut v = vec![
            std::path::PathBuf::from(env!("CARGO_BIN_EXE_setuser")),
            "nobody".into(),
        ];
        v.extend(ours_argv());
        v.extend(args.iter().map(std::path::PathBuf::from));
        v
    };
    let main = ["--", "sh", "-c", "echo main $GREETING >> /etc/trace"];
    let mut args = vec!["--unprivileged", "--skip-runit"];
    args.extend(main);
    let out = run_one(&t, &Which::Reference(as_nobody(&args)), &Scenario::new(&[]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.trace_lines(), ["startup 65534", "main hi"]);
    assert!(
        out.stderr.contains("container_environment"),
        "{}",
        out.stderr
    );
    let mut args = vec!["--skip-runit"];
    args.extend(main);
    let out = run_one(&t, &Which::Reference(as_nobody(&args)), &Scenario::new(&[]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.trace(), "");
}
