//! issue 12: one copy of a service, whatever is killed. A runsv SIGKILLed
//! under runsvdir leaves its service and log service running; the runsv that
//! runsvdir starts next must not start second copies (runit's does: the
//! copies are measured and printed for Debian's runit too). And a process a
//! stale record names but that is not the one recorded is never touched.
use crate::common;
use crate::runsvdir_util;

use common::{clean_command, script, wait_until, Proc, TestDir};
use runsvdir_util::{children, ours_impl, runsvs, theirs_impl, Impl, SLOW};
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn can_unshare() -> bool {
    let ok = Path::new("/usr/bin/unshare").exists() && nix::unistd::geteuid().is_root();
    if !ok {
        crate::reference::unavailable(
            "reliab_copies",
            "needs root and unshare for a private PID namespace",
        );
    }
    ok
}

/// `sh -c SCRIPT` as PID 1 of a new PID namespace, with `imp`'s PATH.
fn namespace(imp: &Impl, cwd: &Path, sh: &str) -> (Proc, i32) {
    let mut c = clean_command("/usr/bin/unshare");
    c.args(common::PID_NAMESPACE)
        .args(["/bin/sh", "-c", sh])
        .env("PATH", &imp.path)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(cwd.join("stderr")).unwrap());
    let p = Proc::start(c);
    let mut pid1 = 0;
    assert!(wait_until(SLOW, || {
        pid1 = children(p.pid()).first().copied().unwrap_or(0);
        pid1 != 0
    }));
    (p, pid1)
}

fn cmdline(pid: &str) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
}

/// Live processes running `argv` (NUL-separated) with `cwd` as directory.
fn copies(argv: &[u8], cwd: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return 0;
    };
    rd.flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .filter(|p| cmdline(p) == argv)
        .filter(|p| std::fs::read_link(format!("/proc/{p}/cwd")).ok().as_deref() == Some(cwd))
        .count()
}

fn running_pid(dir: &Path) -> Option<u32> {
    common::state_pid(dir).and_then(|(s, p)| (s == 1 && p != 0).then_some(p))
}

/// A service `a` (sleep 1001) with a log service (cat), under runsvdir in a
/// namespace; SIGKILL runsv; returns (main copies, log copies) once the new
/// runsv has both running again.
fn copies_after_runsv_kill(imp: &Impl) -> (usize, usize) {
    let t = TestDir::new(&format!("reliab-copies-{}", imp.label));
    let svc = t.join("sv/a");
    script(svc.join("run"), "#!/bin/sh\nexec sleep 1001\n");
    script(svc.join("log/run"), "#!/bin/sh\nexec cat >/dev/null\n");
    let (_p, pid1) = namespace(imp, &t.path, "exec runsvdir sv");
    let log = svc.join("log");
    let mut old = (0, 0);
    assert!(
        wait_until(SLOW, || {
            old = (
                running_pid(&svc).unwrap_or(0),
                running_pid(&log).unwrap_or(0),
            );
            old.0 != 0 && old.1 != 0
        }),
        "{}: service not started",
        imp.label
    );
    let runsv = runsvs(pid1)
        .into_iter()
        .find(|(n, _)| n == "a")
        .expect("runsv a")
        .1;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(runsv),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert!(
        wait_until(SLOW, || {
            running_pid(&svc).is_some_and(|p| p != old.0)
                && running_pid(&log).is_some_and(|p| p != old.1)
        }),
        "{}: service not restarted",
        imp.label
    );
    // The record names the new pid at the fork, before `run` execs: wait
    // for the programs themselves (pids of the namespace are not ours to
    // read: found by argv and directory) before counting.
    let canon = |p: PathBuf| p.canonicalize().unwrap();
    assert!(
        wait_until(SLOW, || {
            copies(b"sleep\x001001\x00", &canon(svc.clone())) > 0
                && copies(b"cat\x00", &canon(log.clone())) > 0
        }),
        "{}: the new service did not exec its program",
        imp.label
    );
    (
        copies(b"sleep\x001001\x00", &canon(svc.clone())),
        copies(b"cat\x00", &canon(log)),
    )
}

#[test]
fn one_copy_after_runsv_is_killed() {
    if !can_unshare() {
        return;
    }
    let theirs = theirs_impl("one_copy_after_runsv_is_killed (reference measure)");
    let (ours, runit) = std::thread::scope(|s| {
        let h = theirs
            .as_ref()
            .map(|imp| s.spawn(|| copies_after_runsv_kill(imp)));
        let o = copies_after_runsv_kill(&ours_impl());
        (o, h.map(|h| h.join().unwrap()))
    });
    eprintln!("copies after SIGKILL of runsv (main, log): ours {ours:?}, runit {runit:?}");
    assert_eq!(
        ours,
        (1, 1),
        "copies of (main, log) after SIGKILL of our runsv"
    );
}

/// A status and identity naming `pid` as service `dir`'s running process.
fn forge(dir: &Path, pid: u32, identity: Option<&str>) {
    let sup = dir.join("supervise");
    std::fs::create_dir_all(&sup).unwrap();
    let st = runit::status::Status {
        time: runit::tai::Tai64n::now(),
        pid,
        paused: false,
        want: b'u',
        got_term: false,
        state: 1,
    };
    std::fs::write(sup.join("status"), st.encode()).unwrap();
    if let Some(text) = identity {
        std::fs::write(sup.join("identity"), text).unwrap();
    }
}

/// The identity line a case writes for (pid, start time, boot id).
type IdentityLine = fn(u32, u64, &str) -> Option<String>;

/// A process named by a stale record is left alone unless the identity
/// matches; a matching one that ignores TERM is KILLed after the grace time.
#[test]
fn only_the_recorded_process_is_stopped() {
    let t = TestDir::new("reliab-copies-identity");
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let boot = boot.trim();
    let mut bystanders = Vec::new();
    let mut runsvs_ = Vec::new();
    // (name, identity line for the bystander's pid, whether it must be stopped)
    let cases: [(&str, IdentityLine, bool); 4] = [
        ("none", |_, _, _| None, false),
        (
            "start",
            |p, s, b| Some(format!("{p} {} {b}\n", s + 1)),
            false,
        ),
        (
            "boot",
            |p, s, _| Some(format!("{p} {s} 00000000-0000\n")),
            false,
        ),
        ("same", |p, s, b| Some(format!("{p} {s} {b}\n")), true),
    ];
    for (name, line, _) in &cases {
        let dir = t.join(name);
        script(dir.join("run"), "#!/bin/sh\nexec sleep 1002\n");
        // The bystander ignores TERM: only the KILL step can stop it.
        let mut c = clean_command("/bin/sh");
        c.args(["-c", "trap '' TERM; exec sleep 1003"]);
        let b = Proc::start(c);
        let pid = b.pid();
        assert!(wait_until(SLOW, || cmdline(&pid.to_string()) == b"sleep\x001003\x00"));
        let start = runsvdir_util::stat_field(pid, 22).unwrap() as u64;
        forge(&dir, pid as u32, line(pid as u32, start, boot).as_deref());
        bystanders.push(b);
    }
    for (name, _, _) in &cases {
        let mut c = clean_command(common::ours("runsv"));
        c.arg(name).current_dir(&t.path).stdin(Stdio::null());
        c.stderr(std::fs::File::create(t.join(format!("{name}.err"))).unwrap());
        runsvs_.push(Proc::start(c));
    }
    for (name, _, _) in &cases {
        let dir = t.join(name);
        assert!(
            wait_until(SLOW, || copies(
                b"sleep\x001002\x00",
                &dir.canonicalize().unwrap()
            ) == 1),
            "{name}: service not started"
        );
    }
    for ((name, _, stopped), b) in cases.iter().zip(bystanders.iter_mut()) {
        let exited = b.try_exit().is_some();
        assert_eq!(exited, *stopped, "{name}: bystander stopped?");
        let err = std::fs::read_to_string(t.join(format!("{name}.err"))).unwrap();
        let warned = format!(
            "runsv {name}: warning: ./run (pid {}) left running by a previous runsv: stopping it\n",
            b.pid()
        );
        assert_eq!(
            err,
            if *stopped { warned } else { String::new() },
            "{name}: stderr"
        );
    }
}
