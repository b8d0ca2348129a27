//! my_init's startup against phusion's: which startup files run, in which
//! order, what stops the boot (a failing script, a script killed by a
//! signal), and TERM/INT while a script runs.
use crate::my_init_support;
use crate::reference;

use my_init_support::*;
use nix::sys::signal::Signal;

fn note(name: &str) -> String {
    format!("#!/bin/sh\necho {name} >> /etc/trace\n")
}

#[test]
fn scripts_in_sorted_order_then_rc_local() {
    let t = Tree::new("my_init-startup-order");
    t.exe("my_init.d/20-b", &note("20-b"))
        .exe("my_init.d/10-a", &note("10-a"))
        .exe("my_init.d/9-nine", &note("9-nine"))
        .exe("my_init.d/B-upper", &note("B-upper"))
        .exe("my_init.d/a-lower", &note("a-lower"))
        .exe("my_init.d/30-not-executable", &note("30-not-executable"))
        .chmod("my_init.d/30-not-executable", 0o644)
        .exe("my_init.d/40-dir/inner", &note("inner"))
        .chmod("my_init.d/40-dir", 0o755)
        .exe("my_init.d/.hidden", &note(".hidden"))
        .exe("rc.local", &note("rc.local"))
        .exe("targets/linked", &note("50-link"));
    std::os::unix::fs::symlink("/etc/targets/linked", t.tmpl.join("my_init.d/50-link"))
        .expect("symlink");
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "true"]),
        "scripts_in_sorted_order_then_rc_local",
    );
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.trace_lines(),
        [".hidden", "10-a", "20-b", "50-link", "9-nine", "B-upper", "a-lower", "rc.local"]
    );
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/.hidden...",
            "*** Running /etc/my_init.d/10-a...",
            "*** Running /etc/my_init.d/20-b...",
            "*** Running /etc/my_init.d/50-link...",
            "*** Running /etc/my_init.d/9-nine...",
            "*** Running /etc/my_init.d/B-upper...",
            "*** Running /etc/my_init.d/a-lower...",
            "*** Running /etc/rc.local...",
            "*** Running true...",
            "*** true exited with status 0.",
            "*** Killing all processes...",
        ],
    );
}

#[test]
fn a_failing_script_stops_the_boot() {
    let t = Tree::new("my_init-startup-fail");
    t.exe("my_init.d/10-a", &note("10-a"))
        .exe(
            "my_init.d/20-fail",
            "#!/bin/sh\necho 20-fail >> /etc/trace\necho complaint >&2\nexit 3\n",
        )
        .exe("my_init.d/30-c", &note("30-c"))
        .exe("rc.local", &note("rc.local"))
        .service(
            "svc",
            "#!/bin/sh\necho svc >> /etc/trace\nexec sleep 1000\n",
        );
    let out = differential(
        &t,
        Scenario::new(&["--", "sh", "-c", "echo main >> /etc/trace"]),
        "a_failing_script_stops_the_boot",
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(out.trace_lines(), ["10-a", "20-fail"]);
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/10-a...",
            "*** Running /etc/my_init.d/20-fail...",
            "complaint",
            "*** /etc/my_init.d/20-fail failed with status 3",
            "",
            "*** Killing all processes...",
        ],
    );
    // rc.local failing, quietly.
    let t = Tree::new("my_init-startup-rclocal-fail");
    t.exe("rc.local", "#!/bin/sh\nexit 255\n");
    let out = differential(
        &t,
        Scenario::new(&["--quiet", "--skip-runit", "true"]),
        "rc.local fails",
    );
    assert_eq!(out.code, Some(1));
    assert_lines(&out, &["*** /etc/rc.local failed with status 255", ""]);
}

#[test]
fn a_script_killed_by_a_signal() {
    // The reference reports WEXITSTATUS of a signalled status: 0.
    let t = Tree::new("my_init-startup-signalled");
    t.exe(
        "my_init.d/10-killed",
        "#!/bin/sh\necho 10-killed >> /etc/trace\nkill -KILL $$\n",
    )
    .exe("my_init.d/20-after", &note("20-after"));
    let out = differential(
        &t,
        Scenario::new(&["--skip-runit", "true"]),
        "a_script_killed_by_a_signal",
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(out.trace_lines(), ["10-killed"]);
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/10-killed...",
            "*** /etc/my_init.d/10-killed failed with status 0",
            "",
            "*** Killing all processes...",
        ],
    );
}

/// TERM or INT to PID 1 while a startup script runs: the script is stopped
/// with TERM, the boot is aborted, exit 2.
fn signal_at_boot(sig: Signal, name: &str) {
    let t = Tree::new(name);
    t.exe(
        "my_init.d/10-slow",
        "#!/bin/sh\ntrap 'echo slow got TERM >> /etc/trace; exit 0' TERM\necho slow started >> /etc/trace\nwhile :; do sleep 0.05; done\n",
    )
    .exe("my_init.d/20-after", &note("20-after"))
    .service("svc", "#!/bin/sh\necho svc >> /etc/trace\nexec sleep 1000\n")
    .exe("my_init.pre_shutdown.d/pre", &note("pre"))
    .exe("my_init.post_shutdown.d/post", &note("post"));
    let sc = Scenario::new(&[]).during(move |r| {
        r.wait_trace("slow started");
        r.signal(sig);
    });
    let out = differential(&t, sc, name);
    assert_eq!(out.code, Some(2));
    assert_eq!(out.trace_lines(), ["slow started", "slow got TERM"]);
    assert_lines(
        &out,
        &[
            "*** Running /etc/my_init.d/10-slow...",
            "*** An error occurred. Aborting.",
            "*** Shutting down /etc/my_init.d/10-slow (PID N)...",
            "*** Init system aborted.",
            "*** Killing all processes...",
        ],
    );
}

#[test]
fn term_at_boot() {
    signal_at_boot(Signal::SIGTERM, "my_init-boot-term");
}

#[test]
fn int_at_boot() {
    signal_at_boot(Signal::SIGINT, "my_init-boot-int");
}

/// Where ours differs on purpose: every child starts with default signal
/// dispositions. The reference's children inherit Python's ignored SIGPIPE
/// and SIGXFSZ (os.spawnvp does not reset them), and after a TERM or INT
/// also its ignored TERM and INT; runsv passes them on to every service.
#[test]
fn children_start_with_default_signal_dispositions() {
    let t = Tree::new("my_init-child-signals");
    let record = |who: &str| {
        format!(
            "#!/bin/sh\necho {who} $(grep '^SigIgn:' /proc/$$/status | cut -f2) >> /etc/trace\n"
        )
    };
    t.exe("my_init.d/10", &record("script"))
        .exe("my_init.pre_shutdown.d/10", &record("pre"))
        .exe("my_init.post_shutdown.d/10", &record("post"))
        .service("a", &format!("{}exec sleep 1000\n", record("service")));
    let sc = Scenario::new(&[]).during(|r| {
        r.wait_trace_count_prefix("service ", 1);
        r.signal(Signal::SIGTERM);
    });
    let out = run_one(&t, &Which::Ours, &sc);
    assert_eq!(out.code, Some(2));
    // Exactly what my_init itself was given (nothing, under docker).
    let clean = format!("{:016x}", out.inherited_sigign);
    assert_eq!(
        out.trace_lines(),
        [
            format!("script {clean}"),
            format!("service {clean}"),
            format!("pre {clean}"),
            format!("post {clean}"),
        ]
    );
    if let Some(reference) = reference::phusion("my_init", "child signals") {
        let theirs = run_one(&t, &Which::Reference(reference), &sc);
        // SIGPIPE and SIGXFSZ; then also TERM and INT once TERM arrived.
        let given = theirs.inherited_sigign;
        let pipe_xfsz = given | 1 << 12 | 1 << 24;
        let and_term_int = pipe_xfsz | 1 << 14 | 1 << 1;
        let mut trace = theirs.trace_lines();
        if sc.our_runit {
            // Our runsv starts services with SIGPIPE at its default.
            trace.retain(|l| !l.starts_with("service "));
        } else {
            assert_eq!(trace[1], format!("service {pipe_xfsz:016x}"));
            trace.remove(1);
        }
        assert_eq!(
            trace,
            [
                format!("script {pipe_xfsz:016x}"),
                format!("pre {and_term_int:016x}"),
                format!("post {and_term_int:016x}"),
            ]
        );
    }
}
