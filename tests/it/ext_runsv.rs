//! Beyond runit (issue 15): runsv's and sv's service-directory extension
//! files, with real processes: readiness (`notification-fd`), stop
//! escalation (`down-signal`, `down-signal-group`, `timeout-kill`,
//! `timeout-finish`) and `restart-backoff`. Plus a differential check that
//! the tree without those files still matches Debian's runit.

use crate::common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One service directory `s` under our runsv, its stderr kept in `runsv.err`.
struct Tree {
    dir: TestDir,
    _runsv: Proc,
}

impl Tree {
    fn new(name: &str, setup: impl Fn(&Path)) -> Tree {
        Tree::under(&ours("runsv"), name, setup)
    }

    fn under(runsv: &Path, name: &str, setup: impl Fn(&Path)) -> Tree {
        let dir = TestDir::new(name);
        let s = dir.join("s");
        fs::create_dir_all(&s).unwrap();
        setup(&s);
        let err = fs::File::create(dir.join("runsv.err")).unwrap();
        let mut cmd = clean_command(runsv);
        cmd.arg("s")
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stderr(err);
        let runsv = Proc::start(cmd);
        let t = Tree { dir, _runsv: runsv };
        wait_for("runsv ready", || runsv_alive(&t.s()));
        t
    }

    fn s(&self) -> PathBuf {
        self.dir.join("s")
    }

    fn sv(&self, sv: &Path, args: &[&str]) -> (String, String, i32) {
        let mut cmd = clean_command(sv);
        cmd.args(args)
            .env("SVDIR", &self.dir.path)
            .current_dir(&self.dir.path);
        let (o, e, c) = text(&run(cmd));
        (mask_sv(&o), mask_sv(&e), c)
    }

    fn ours(&self, args: &[&str]) -> (String, String, i32) {
        self.sv(&ours("sv"), args)
    }

    fn control(&self, c: &str) {
        fs::write(self.s().join("supervise/control"), c).unwrap();
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.s().join(name)).unwrap_or_default()
    }

    fn errors(&self) -> String {
        fs::read_to_string(self.dir.join("runsv.err")).unwrap_or_default()
    }

    /// Waits for state run with a pid other than `old`, and returns it.
    fn running(&self, old: u32) -> u32 {
        let mut pid = 0;
        wait_for("run", || {
            state_pid(&self.s()).is_some_and(|(st, p)| {
                pid = p;
                st == 1 && p != 0 && p != old
            })
        });
        pid
    }

    fn down(&self) {
        wait_for("down", || {
            state_pid(&self.s()).is_some_and(|(st, p)| st == 0 && p == 0)
        });
    }
}

fn write(s: &Path, name: &str, text: &str) {
    fs::write(s.join(name), text).unwrap();
}

/// A run that says it is ready once the file `go` exists (in `s`).
const READY_ON_GO: &str = "#!/bin/sh\necho started >> starts\n\
    while [ ! -e go ]; do sleep 0.02; done\necho >&3\nexec sleep 1000\n";

/// The `ready` record's words: the pid, and whether a time follows.
fn ready_record(t: &Tree) -> (u32, bool) {
    let text = t.file("supervise/ready");
    let mut f = text.split_whitespace();
    let pid = f.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (pid, f.next().is_some_and(|l| l.starts_with('@')))
}

#[test]
fn bad_contents_warn_in_runit_words_and_are_ignored() {
    let t = Tree::new("ext-bad", |s| {
        script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n");
        write(s, "notification-fd", "1\n");
        write(s, "down-signal", "SIGFOO\n");
        write(s, "timeout-kill", "-5\n");
        write(s, "timeout-finish", "soon\n");
        write(s, "restart-backoff", "99999999999999\n");
    });
    let pid = t.running(0);
    let want = "runsv s: warning: ignoring notification-fd: 1 is standard input, output or error\n\
        runsv s: warning: ignoring down-signal: unknown signal: SIGFOO\n\
        runsv s: warning: ignoring timeout-kill: not a number of milliseconds up to 4294967295: -5\n\
        runsv s: warning: ignoring timeout-finish: not a number of milliseconds up to 4294967295: soon\n\
        runsv s: warning: ignoring restart-backoff: not a number of milliseconds up to 4294967295: 99999999999999\n";
    wait_for("warnings", || t.errors() == want);
    assert!(!t.s().join("supervise/ready").exists(), "no readiness");
    // The fallbacks are runit's: TERM stops it, sv up does not wait.
    assert_eq!(
        t.ours(&["-w", "5", "down", "s"]).0,
        "ok: down: s: Ns, normally up\n"
    );
    assert!(!alive(pid as i32));
    assert_eq!(
        t.ours(&["-w", "5", "up", "s"]).0,
        "ok: run: s: (pid N) Ns\n"
    );
    // A restart does not repeat the warnings; the supervisor is alive.
    assert_eq!(t.errors(), want);
    assert!(runsv_alive(&t.s()));
}

#[test]
fn a_huge_or_negative_notification_fd_is_ignored() {
    for (name, text) in [("huge", "99999999"), ("negative", "-3"), ("word", "three")] {
        let t = Tree::new(&format!("ext-fd-{name}"), |s| {
            script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n");
            write(s, "notification-fd", text);
        });
        t.running(0);
        wait_for("warning", || {
            t.errors().starts_with(
                "runsv s: warning: ignoring notification-fd: not a descriptor number from 3 to ",
            ) && t.errors().ends_with(&format!(": {text}\n"))
        });
        assert_eq!(
            t.ours(&["-w", "5", "up", "s"]).0,
            "ok: run: s: (pid N) Ns\n"
        );
    }
}

#[test]
fn readiness_across_restarts() {
    let t = Tree::new("ext-ready", |s| {
        script(s.join("run"), READY_ON_GO);
        write(s, "notification-fd", "3\n");
    });
    let pid = t.running(0);
    wait_for("starts", || t.file("starts").lines().count() == 1);
    assert_eq!(ready_record(&t), (pid, false));
    assert!(t.ours(&["json", "s"]).0.contains(",\"ready\":false,"));
    fs::write(t.s().join("go"), "").unwrap();
    wait_for("ready", || ready_record(&t) == (pid, true));
    assert_eq!(
        t.ours(&["-w", "5", "check", "s"]),
        ("ok: run: s: (pid N) Ns\n".into(), String::new(), 0)
    );
    let json = t.ours(&["json", "s"]).0;
    assert!(
        json.contains(",\"ready\":true,\"ready_seconds\":"),
        "{json}"
    );
    // Restarted: not ready until the new run says so.
    fs::remove_file(t.s().join("go")).unwrap();
    t.control("k");
    let new = t.running(pid);
    wait_for("ready record of the new run", || {
        ready_record(&t) == (new, false)
    });
    assert_eq!(
        t.ours(&["-w", "1", "check", "s"]),
        ("timeout: run: s: (pid N) Ns\n".into(), String::new(), 1)
    );
    fs::write(t.s().join("go"), "").unwrap();
    assert_eq!(
        t.ours(&["-w", "5", "check", "s"]).0,
        "ok: run: s: (pid N) Ns\n"
    );
    assert_eq!(ready_record(&t), (new, true));
}

#[test]
fn sv_wait_up_times_out_for_a_service_that_never_becomes_ready() {
    let t = Tree::new("ext-never", |s| {
        script(s.join("run"), READY_ON_GO);
        write(s, "notification-fd", "3\n");
        write(s, "down", "");
    });
    let started = Instant::now();
    let got = t.ours(&["-w", "2", "up", "s"]);
    // runit's words and code for a wait that timed out (as with a failing ./check).
    assert_eq!(
        got,
        (
            "timeout: run: s: (pid N) Ns, normally down\n".into(),
            String::new(),
            1
        )
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    // `sv up` without -w does not wait at all.
    assert_eq!(t.ours(&["up", "s"]), (String::new(), String::new(), 0));
}

#[test]
fn readiness_with_a_log_service() {
    let t = Tree::new("ext-ready-log", |s| {
        script(
            s.join("run"),
            "#!/bin/sh\necho before ready\necho >&3\necho after ready\nexec sleep 1000\n",
        );
        write(s, "notification-fd", "3\n");
        script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
    });
    assert_eq!(
        t.ours(&["-w", "5", "up", "s"]).0,
        "ok: run: s: (pid N) Ns\n"
    );
    let pid = t.running(0);
    assert_eq!(ready_record(&t), (pid, true));
    wait_for("both lines logged", || {
        t.file("log/out") == "before ready\nafter ready\n"
    });
    // The log service has no notification-fd: no record, runit's rules.
    assert!(!t.s().join("log/supervise/ready").exists());
    let json = t.ours(&["json", "s"]).0;
    let log_part = json.split("\"log\":").nth(1).unwrap();
    assert!(!log_part.contains("ready"), "{json}");
}

#[test]
fn down_signal_and_timeout_kill() {
    // A service that ignores TERM and INT: down-signal INT, KILL after 300 ms.
    let t = Tree::new("ext-kill", |s| {
        script(
            s.join("run"),
            "#!/bin/sh\ntrap 'echo INT >> got' INT\ntrap '' TERM\necho > armed\n\
             while :; do sleep 0.05; done\n",
        );
        write(s, "down-signal", "int\n");
        write(s, "timeout-kill", "300\n");
    });
    let pid = t.running(0);
    wait_for("traps set", || t.s().join("armed").exists());
    let (out, _, rc) = t.ours(&["-w", "10", "down", "s"]);
    assert_eq!((out.as_str(), rc), ("ok: down: s: Ns, normally up\n", 0));
    assert!(!alive(pid as i32));
    assert!(t.file("got").contains("INT"), "the down signal was INT");
    assert_eq!(t.errors(), "");
}

#[test]
fn timeout_finish_kills_a_hanging_finish() {
    let t = Tree::new("ext-finish", |s| {
        script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n");
        script(
            s.join("finish"),
            "#!/bin/sh\necho $$ > finishing\nexec sleep 1000\n",
        );
        write(s, "timeout-finish", "300\n");
    });
    t.running(0);
    t.control("d");
    wait_for("finish started", || !t.file("finishing").is_empty());
    t.down();
    let finish: i32 = t.file("finishing").trim().parse().unwrap();
    wait_for("finish gone", || !alive(finish));
}

#[test]
fn down_signal_group_stops_a_shells_children() {
    // The shell's child ignores TERM; the group gets TERM, then KILL.
    let t = Tree::new("ext-group", |s| {
        script(
            s.join("run"),
            "#!/bin/sh\n(trap '' TERM; exec sleep 1000) &\necho $! > child\n\
             sleep 1000 &\necho $! >> child\nwait\n",
        );
        fs::write(s.join("down-signal-group"), "").unwrap();
        write(s, "timeout-kill", "300\n");
    });
    let pid = t.running(0);
    wait_for("children started", || t.file("child").lines().count() == 2);
    let children: Vec<i32> = t
        .file("child")
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let comm = |p: i32| fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
    for &c in &children {
        wait_for("child exec'd (its trap set)", || comm(c) == "sleep\n");
    }
    let pgid = |p: i32| nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(p))).ok();
    assert_eq!(
        pgid(pid as i32).map(|g| g.as_raw()),
        Some(pid as i32),
        "a group leader"
    );
    assert_eq!(
        t.ours(&["-w", "10", "down", "s"]).0,
        "ok: down: s: Ns, normally up\n"
    );
    for c in children {
        wait_for("child gone", || !alive(c));
    }
}

/// Start times (seconds since the first) of a service that appends
/// `date +%s.%N` to `starts`, once `n` starts were seen.
fn start_offsets(t: &Tree, n: usize) -> Vec<f64> {
    let deadline = Duration::from_secs(30);
    assert!(
        wait_until(deadline, || t.file("starts").lines().count() >= n),
        "{n} starts"
    );
    let times: Vec<f64> = t
        .file("starts")
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    times.iter().map(|x| x - times[0]).collect()
}

#[test]
fn restart_backoff_for_a_service_that_fails_at_once() {
    let t = Tree::new("ext-backoff", |s| {
        script(s.join("run"), "#!/bin/sh\ndate +%s.%N >> starts\nexit 1\n");
        write(s, "restart-backoff", "3000\n");
    });
    // Delays 1, 2, 3 s: starts near 0, 1, 3, 6 s.
    let at = start_offsets(&t, 4);
    let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    eprintln!("restart gaps: {gaps:?}");
    assert!(gaps[1] > gaps[0] + 0.5, "the delay grows: {gaps:?}");
    assert!(gaps[2] > gaps[0] + 1.0, "and grows on: {gaps:?}");
    assert!(t.errors().is_empty());
}

#[test]
fn restart_backoff_for_a_service_that_runs_a_while() {
    // Runs 1.2 s each time: runit restarts such a run at once, back-off
    // waits 1 s, then 2 s (the maximum).
    let t = Tree::new("ext-backoff-while", |s| {
        script(
            s.join("run"),
            "#!/bin/sh\ndate +%s.%N >> starts\nsleep 1.2\nexit 1\n",
        );
        write(s, "restart-backoff", "2000\n");
    });
    let at = start_offsets(&t, 3);
    let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    eprintln!("restart gaps: {gaps:?}");
    assert!(gaps[0] > 2.0, "ran 1.2 s, then waited: {gaps:?}");
    assert!(gaps[1] > gaps[0] + 0.5, "the delay grows: {gaps:?}");
}

/// The example tree of scripts/demo/beyond-runit without its extension
/// files: Debian's runsv and ours give the same sv output and files.
#[test]
fn without_the_files_the_tree_matches_runit() {
    let name = "without_the_files_the_tree_matches_runit";
    let (Some(runsv), Some(sv)) = (theirs_or_skip("runsv", name), theirs_or_skip("sv", name))
    else {
        return;
    };
    let scenario = |runsv: &Path, tag: &str| {
        let t = Tree::under(runsv, &format!("ext-diff-{tag}"), |s| {
            script(s.join("run"), "#!/bin/sh\necho up\nexec sleep 1000\n");
            script(s.join("finish"), "#!/bin/sh\nexit 0\n");
            script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
        });
        t.running(0);
        let mut out = String::new();
        for args in [
            &["-w", "5", "up", "s"][..],
            &["status", "s"],
            &["-w", "5", "down", "s"],
            &["-w", "5", "check", "s"],
            &["-w", "5", "up", "s"],
        ] {
            let (o, e, c) = t.sv(&sv, args);
            out += &format!("$ sv {}\n{o}{e}exit {c}\n", args.join(" "));
        }
        let mut files: Vec<String> = fs::read_dir(t.s().join("supervise"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "identity")
            .collect();
        files.sort();
        out += &format!("supervise/: {files:?}\n");
        out += &format!(
            "status: {:?}\n",
            status_bytes(&t.s()).map(|b| masked_status(&b))
        );
        out
    };
    let reference = scenario(&runsv, "runit");
    let ours_result = scenario(&ours("runsv"), "ours");
    assert_eq!(
        ours_result, reference,
        "ours (left) differs from runit (right)"
    );
}
