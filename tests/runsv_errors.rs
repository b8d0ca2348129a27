//! runsv on bad input: runit's message and exit code, never a panic; and the
//! state a `run` script starts in.

mod common;

use common::*;
use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::Duration;

/// Runs `runsv ARGS` (argv[0] = "runsv") in `dir` to completion.
fn runsv_once(bin: &Path, dir: &Path, args: &[&str], user: Option<u32>) -> (String, String, i32) {
    let mut cmd = clean_command(bin);
    cmd.arg0("runsv").args(args).current_dir(dir);
    if let Some(uid) = user {
        cmd.uid(uid).gid(uid);
    }
    text(&run(cmd))
}

/// The same start-up failure under runit's runsv and ours.
fn same_failure(
    name: &str,
    args: &[&str],
    user: Option<u32>,
    setup: impl Fn(&Path),
) -> (String, String, i32) {
    let ours_out = {
        let d = TestDir::new(name);
        setup(&d.path);
        runsv_once(&ours("runsv"), &d.path, args, user)
    };
    if let Some(theirs_bin) = theirs_or_skip("runsv", name) {
        let d = TestDir::new(name);
        setup(&d.path);
        let reference = runsv_once(&theirs_bin, &d.path, args, user);
        assert_eq!(ours_out, reference, "{name}: ours (left) vs runit (right)");
    }
    ours_out
}

#[test]
fn usage_without_or_with_extra_arguments() {
    let (o, e, c) = same_failure("usage0", &[], None, |_| {});
    assert_eq!((o.as_str(), e.as_str(), c), ("", "usage: runsv dir\n\n", 1));
    let (_, e, c) = same_failure("usage2", &["a", "b"], None, |_| {});
    assert_eq!((e.as_str(), c), ("usage: runsv dir\n\n", 1));
}

#[test]
fn missing_directory() {
    let (_, e, c) = same_failure("nodir", &["nosuch"], None, |_| {});
    assert_eq!(
        e,
        "runsv nosuch: fatal: unable to change to directory: file does not exist\n"
    );
    assert_eq!(c, 111);
}

#[test]
fn dangling_supervise_symlink_with_missing_parent() {
    let (_, e, c) = same_failure("dangling", &["s"], None, |d| {
        fs::create_dir_all(d.join("s")).unwrap();
        script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
        symlink("/nonexistent-runit-rs/parent/sv", d.join("s/supervise")).unwrap();
    });
    assert_eq!(
        e,
        "runsv s: fatal: unable to open supervise/lock: file does not exist\n"
    );
    assert_eq!(c, 111);
}

#[test]
fn dangling_supervise_symlink_gets_its_target_created() {
    let d = TestDir::new("dangling-ok");
    fs::create_dir_all(d.join("s")).unwrap();
    script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    symlink("../sup", d.join("s/supervise")).unwrap();
    let mut cmd = clean_command(ours("runsv"));
    cmd.arg("s").current_dir(&d.path);
    let _runsv = Proc::start(cmd);
    wait_for("ok in the symlink target", || runsv_alive(&d.join("s")));
    assert!(d.join("sup/status").exists());
}

#[test]
fn unwritable_service_directory() {
    // As nobody in a root-owned directory: supervise/ cannot be created.
    let (_, e, c) = same_failure("unwritable", &["s"], Some(65534), |d| {
        fs::create_dir_all(d.join("s")).unwrap();
        script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    });
    assert_eq!(
        e,
        "runsv s: fatal: unable to open supervise/lock: file does not exist\n"
    );
    assert_eq!(c, 111);
}

#[test]
fn second_runsv_on_the_same_directory() {
    let d = TestDir::new("twice");
    fs::create_dir_all(d.join("s")).unwrap();
    script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    let mut cmd = clean_command(ours("runsv"));
    cmd.arg("s").current_dir(&d.path);
    let _first = Proc::start(cmd);
    wait_for("first runsv", || runsv_alive(&d.join("s")));
    let expect = "runsv s: fatal: unable to lock supervise/lock: temporary failure\n";
    let (_, e, c) = runsv_once(&ours("runsv"), &d.path, &["s"], None);
    assert_eq!((e.as_str(), c), (expect, 111));
    // runit's runsv is kept out by our lock, and the other way round.
    if let Some(theirs_bin) = theirs_or_skip("runsv", "lock interop") {
        let (_, e, c) = runsv_once(&theirs_bin, &d.path, &["s"], None);
        assert_eq!((e.as_str(), c), (expect, 111));
    }
}

#[test]
fn control_exists_but_is_not_a_fifo() {
    let (_, e, c) = same_failure("notfifo", &["s"], None, |d| {
        fs::create_dir_all(d.join("s/supervise")).unwrap();
        fs::write(d.join("s/supervise/control"), "").unwrap();
        script(d.join("s/run"), "#!/bin/sh\nexec sleep 1000\n");
    });
    assert_eq!(
        e,
        "runsv s: fatal: supervise/control exists but is not a fifo\n"
    );
    assert_eq!(c, 111);
}

/// Starts our runsv on `s` in a fresh dir, returning it running.
fn started(name: &str, setup: impl Fn(&Path)) -> (TestDir, Proc) {
    let d = TestDir::new(name);
    fs::create_dir_all(d.join("s")).unwrap();
    setup(&d.join("s"));
    let mut cmd = clean_command(ours("runsv"));
    cmd.arg("s")
        .current_dir(&d.path)
        .stderr(std::process::Stdio::piped());
    let p = Proc::start(cmd);
    wait_for("runsv up", || runsv_alive(&d.join("s")));
    (d, p)
}

fn stderr_contains(p: &mut Proc, needle: &str) -> String {
    // Read what runsv printed so far without blocking forever.
    use std::io::Read;
    let err = p.child.stderr.as_mut().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(err);
    let _ = nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    );
    let mut all = String::new();
    wait_for(needle, || {
        let mut buf = [0u8; 4096];
        if let Ok(n) = err.read(&mut buf) {
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        all.contains(needle)
    });
    all
}

#[test]
fn missing_run_is_retried_with_runits_message() {
    let (_d, mut p) = started("norun", |_| {});
    let err = stderr_contains(&mut p, "unable to start ./run");
    assert!(
        err.contains("runsv s: fatal: unable to start ./run: file does not exist\n"),
        "{err}"
    );
    assert!(alive(p.pid()));
}

#[test]
fn non_executable_run() {
    let (_d, mut p) = started("noexec", |s| {
        fs::write(s.join("run"), "#!/bin/sh\n").unwrap()
    });
    let err = stderr_contains(&mut p, "unable to start ./run");
    assert!(
        err.contains("runsv s: fatal: unable to start ./run: access denied\n"),
        "{err}"
    );
    assert!(alive(p.pid()));
}

#[test]
fn garbage_on_the_control_fifo_is_ignored() {
    let (d, p) = started("garbage", |s| {
        script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n")
    });
    let s = d.join("s");
    wait_for("running", || state_pid(&s).is_some_and(|(st, _)| st == 1));
    let before = state_pid(&s).unwrap();
    let mut ctl = fs::OpenOptions::new()
        .write(true)
        .open(s.join("supervise/control"))
        .unwrap();
    let garbage: Vec<u8> = (0u8..=255)
        .filter(|b| !b"udoxtkpchaiq12".contains(b))
        .collect();
    for _ in 0..20 {
        ctl.write_all(&garbage).unwrap();
    }
    drop(ctl);
    // A status write after the garbage proves every byte was consumed.
    fs::OpenOptions::new()
        .write(true)
        .open(s.join("supervise/control"))
        .unwrap()
        .write_all(b"p")
        .unwrap();
    wait_for("paused after the garbage", || {
        common::status(&s).is_some_and(|st| st.paused)
    });
    assert_eq!(state_pid(&s).unwrap(), before);
    assert!(alive(p.pid()));
}

fn proc_field(pid: u32, field: &str) -> String {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

#[test]
fn run_starts_clean() {
    let d = TestDir::new("clean");
    let s = d.join("s");
    fs::create_dir_all(&s).unwrap();
    script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n");
    script(s.join("log/run"), "#!/bin/sh\nexec sleep 1000\n");
    // Start runsv with SIGPIPE ignored, as a careless parent might.
    let mut cmd = clean_command("/bin/sh");
    cmd.args([
        "-c",
        &format!("trap '' PIPE; exec {} s", ours("runsv").display()),
    ])
    .current_dir(&d.path);
    let _p = Proc::start(cmd);
    for svc in [s.clone(), s.join("log")] {
        wait_for("running", || {
            state_pid(&svc).is_some_and(|(st, pid)| st == 1 && pid != 0)
        });
        let pid = state_pid(&svc).unwrap().1;
        wait_for("exec'd sleep", || {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
        });
        assert_eq!(
            proc_field(pid, "SigBlk"),
            "0000000000000000",
            "blocked signals"
        );
        let ign = u64::from_str_radix(&proc_field(pid, "SigIgn"), 16).unwrap();
        assert_eq!(ign & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE ignored");
        for fd in fs::read_dir(format!("/proc/{pid}/fd")).unwrap().flatten() {
            let target = fs::read_link(fd.path()).unwrap_or_default();
            let t = target.to_string_lossy();
            assert!(!t.contains("supervise"), "fd {:?} -> {t}", fd.file_name());
            assert!(!t.contains("signalfd"), "fd {:?} -> {t}", fd.file_name());
        }
    }
}

#[test]
fn sigterm_with_a_stubborn_service_waits() {
    // A service that ignores TERM keeps runsv in its exit sequence.
    let (d, p) = started("stubborn", |s| {
        script(
            s.join("run"),
            "#!/bin/sh\ntrap '' TERM\necho up > trapped\nexec sleep 1000\n",
        );
    });
    let s = d.join("s");
    // TERM is ignored only once the trap is set.
    wait_for("trap set", || {
        fs::read_to_string(s.join("trapped")).is_ok_and(|t| t == "up\n")
    });
    p.signal(libc::SIGTERM);
    wait_for("got TERM", || {
        fs::read_to_string(s.join("supervise/stat"))
            .is_ok_and(|t| t == "run, got TERM, want exit\n")
    });
    assert!(!wait_until(Duration::from_millis(300), || !alive(p.pid())));
    // k finishes it.
    fs::OpenOptions::new()
        .write(true)
        .open(s.join("supervise/control"))
        .unwrap()
        .write_all(b"k")
        .unwrap();
    wait_for("runsv exits", || !alive(p.pid()));
}

#[test]
fn dispositions_ignored_by_the_parent_pass_through_like_runit() {
    // runit passes on what it inherited ignored (nohup's SIGHUP, a background
    // job's SIGINT), except that our children never get SIGPIPE ignored.
    let d = TestDir::new("passthrough");
    let s = d.join("s");
    fs::create_dir_all(&s).unwrap();
    script(s.join("run"), "#!/bin/sh\nexec sleep 1000\n");
    let mut cmd = clean_command("/bin/sh");
    cmd.args([
        "-c",
        &format!("trap '' HUP INT PIPE; exec {} s", ours("runsv").display()),
    ])
    .current_dir(&d.path);
    let _p = Proc::start(cmd);
    wait_for("running", || {
        state_pid(&s).is_some_and(|(st, pid)| st == 1 && pid != 0)
    });
    let pid = state_pid(&s).unwrap().1;
    wait_for("exec'd sleep", || {
        fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    let ign = u64::from_str_radix(&proc_field(pid, "SigIgn"), 16).unwrap();
    let bit = |sig: i32| 1u64 << (sig - 1);
    assert_eq!(
        ign & (bit(libc::SIGHUP) | bit(libc::SIGINT)),
        bit(libc::SIGHUP) | bit(libc::SIGINT)
    );
    assert_eq!(ign & bit(libc::SIGPIPE), 0);
}
