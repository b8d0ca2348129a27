//! svlogd in a broken world (issue 12's faults): a clock stepped backwards,
//! SIGKILL during a processor run, too few file descriptors. Ours must say
//! what went wrong in runit's words, lose no line, leave no `.u` file behind
//! for good, and never spin; Debian's svlogd runs the same scenarios where
//! its outcome is runit's contract.
use crate::common;
use crate::svlogd_support;

use common::{ours, theirs_or_skip, wait_for, wait_until, Proc, TestDir};
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The lines of the finished files (`.s`) in name order, then `current`'s.
fn finished_lines(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for n in names(d)
        .into_iter()
        .filter(|n| n.ends_with(".s") || n == "current")
    {
        let text = fs::read_to_string(d.join(&n)).unwrap_or_default();
        out.extend(text.lines().map(str::to_string));
    }
    // `current` sorts after the `@` names.
    out
}

fn svlogd(bin: &Path, dir: &TestDir, stdin: Stdio) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.arg0("svlogd")
        .arg("d")
        .current_dir(&dir.path)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("err")).unwrap());
    Proc::start(cmd)
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned()
}

/// A clock stepped backwards looks like old files named in the future. The
/// processor's `.u` is then the oldest name in the directory: runit 2.1.2
/// could delete it as the oldest file and spin restarting its processor;
/// ours processes it, exits at the end of input, and leaves no `.u`.
fn clock_back(bin: &Path, test: &str) -> Option<(Vec<String>, String)> {
    let dir = TestDir::new(test);
    let d = dir.join("d");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("config"), "s300\nn2\n!tr a-z A-Z\n").unwrap();
    for i in 0..3 {
        fs::write(d.join(format!("@40000001000000000000000{i}.s")), "FUTURE\n").unwrap();
    }
    let mut input = String::new();
    for i in 0..200 {
        input.push_str(&format!("line {i:04}\n"));
    }
    fs::write(dir.join("input"), &input).unwrap();
    let mut p = svlogd(bin, &dir, fs::File::open(dir.join("input")).unwrap().into());
    let done = wait_until(Duration::from_secs(30), || p.try_exit().is_some());
    if !done {
        return None;
    }
    Some((names(&d), read(&dir.join("err"))))
}

#[test]
fn clock_stepped_back_processes_without_spinning() {
    let (files, err) = clock_back(&ours("svlogd"), "clockback-ours")
        .expect("ours did not finish: it spins with the clock stepped back");
    assert!(
        !files.iter().any(|n| n.ends_with(".u") || n.ends_with(".t")),
        "leftovers: {files:?}"
    );
    assert_eq!(err, "", "unexpected messages");
    // n2: the two newest names (the future ones) stay.
    let future = files
        .iter()
        .filter(|n| n.starts_with("@4000000100"))
        .count();
    assert_eq!(future, 2, "{files:?}");
    if let Some(theirs) = theirs_or_skip("svlogd", "clockback") {
        match clock_back(&theirs, "clockback-theirs") {
            None => eprintln!("Debian's svlogd spins with the clock stepped back (killed)"),
            Some((f, _)) => eprintln!("Debian's svlogd finished; files: {f:?}"),
        }
    }
}

/// SIGKILL while the processor runs: the next svlogd (on the same pipe)
/// processes the `.u` left behind, and every line ends up exactly once in
/// the finished files.
#[test]
fn sigkill_during_a_processor_run_leaves_no_u() {
    let dir = TestDir::new("kill-processor");
    let d = dir.join("d");
    fs::create_dir(&d).unwrap();
    // The first run of the processor hangs (until the test ends).
    fs::write(dir.join("slow"), "").unwrap();
    fs::write(
        d.join("config"),
        "s500\nn0\n!if test -e ../slow; then rm ../slow; exec sleep 60; fi; tr a-z A-Z\n",
    )
    .unwrap();
    // Close-on-exec: no child may hold the write end.
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let mut w = fs::File::from(w);
    let dup = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
    let first = svlogd(&ours("svlogd"), &dir, dup(&r));
    let mut sent = Vec::new();
    let mut send = |w: &mut fs::File, from: usize, to: usize| {
        for i in from..to {
            let l = format!("line {i:04}");
            w.write_all(format!("{l}\n").as_bytes()).unwrap();
            sent.push(l.to_uppercase());
        }
    };
    send(&mut w, 0, 60);
    wait_for("the processor running (and hanging) on a .u", || {
        let n = names(&d);
        n.iter().any(|x| x.ends_with(".u")) && !dir.join("slow").exists()
    });
    first.signal(libc::SIGKILL);
    wait_for("svlogd gone", || !common::alive(first.pid()));
    let mut second = svlogd(&ours("svlogd"), &dir, dup(&r));
    drop(r);
    send(&mut w, 60, 100);
    drop(w);
    assert!(
        wait_until(Duration::from_secs(20), || second.try_exit().is_some()),
        "svlogd did not finish"
    );
    let files = names(&d);
    assert!(
        !files.iter().any(|n| n.ends_with(".u") || n.ends_with(".t")),
        "leftovers: {files:?}"
    );
    // Processed files are upper case; current is not processed yet.
    let got: Vec<String> = finished_lines(&d)
        .into_iter()
        .map(|l| l.to_uppercase())
        .collect();
    assert_eq!(got, sent, "lines lost, doubled or out of order: {files:?}");
    assert_eq!(read(&dir.join("err")), "", "unexpected messages");
    drop(first);
}

/// Too few file descriptors: ours reports and behaves as Debian's does for
/// each limit (same files, same messages, same exit code).
#[test]
fn few_file_descriptors_as_runit() {
    let theirs = theirs_or_skip("svlogd", "nofile");
    let mut input = String::new();
    for i in 0..100 {
        input.push_str(&format!("line {i:04}\n"));
    }
    for limit in 4..=12 {
        let run = |bin: &Path, name: &str| {
            let dir = TestDir::new(name);
            let d = dir.join("d");
            fs::create_dir(&d).unwrap();
            fs::write(d.join("config"), "s300\nn3\n").unwrap();
            fs::write(dir.join("input"), &input).unwrap();
            let mut cmd = Command::new("/usr/bin/prlimit");
            cmd.arg(format!("--nofile={limit}:{limit}"))
                .arg(bin)
                .arg("d")
                .current_dir(&dir.path)
                .stdin(fs::File::open(dir.join("input")).unwrap())
                .stdout(Stdio::null())
                .stderr(fs::File::create(dir.join("err")).unwrap());
            let mut p = Proc::start(cmd);
            let mut status = None;
            // With 6 or 7 both pause forever, retrying every 3 seconds.
            let done = wait_until(Duration::from_secs(6), || {
                status = p.try_exit();
                status.is_some()
            });
            let code = status.and_then(|s| s.code());
            let err = svlogd_support::mask_stamps(read(&dir.join("err")).as_bytes());
            // The number of retries depends on timing: each line once.
            let mut lines: Vec<String> = String::from_utf8_lossy(&err)
                .lines()
                .map(str::to_string)
                .collect();
            lines.dedup();
            (done, code, lines, svlogd_support::dump_dir(&d))
        };
        let o = run(&ours("svlogd"), &format!("nofile-{limit}-ours"));
        let Some(theirs) = &theirs else {
            continue;
        };
        let t = run(theirs, &format!("nofile-{limit}-theirs"));
        // Too few to load the program at all: not svlogd's doing.
        let loader = "error while loading shared libraries";
        if o.2.iter().chain(&t.2).any(|l| l.contains(loader)) {
            continue;
        }
        assert_eq!(o, t, "limit {limit}: ours (left) and Debian's differ");
    }
}

/// svlogd as user nobody (uid and gid 65534) in `dir`, log directory `d`.
fn svlogd_as_nobody(bin: &Path, dir: &TestDir, stdin: Stdio) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.arg0("svlogd")
        .arg("d")
        .uid(65534)
        .gid(65534)
        .current_dir(&dir.path)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("err")).unwrap());
    Proc::start(cmd)
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn distinct_lines(s: &str) -> Vec<String> {
    let masked = svlogd_support::mask_stamps(s.as_bytes());
    let mut v: Vec<String> = String::from_utf8_lossy(&masked)
        .lines()
        .map(str::to_string)
        .collect();
    v.dedup();
    v
}

/// The log directory made unwritable while svlogd runs (as a user, so that
/// permissions count): rotation pauses with runit's message, and once the
/// directory is writable again every line is there, in order.
fn unwritable(bin: &Path, test: &str) -> Vec<String> {
    let dir = TestDir::new(test);
    let d = dir.join("d");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("config"), "s300\nn0\n").unwrap();
    nix::unistd::chown(&d, Some(65534.into()), Some(65534.into())).unwrap();
    let mut p = svlogd_as_nobody(bin, &dir, Stdio::piped());
    let mut stdin = p.child.stdin.take().unwrap();
    let line = |i: usize| format!("line {i:04}\n");
    for i in 0..10 {
        stdin.write_all(line(i).as_bytes()).unwrap();
    }
    wait_for("the first lines", || {
        fs::metadata(d.join("current")).is_ok_and(|m| m.len() == 100)
    });
    chmod(&d, 0o555);
    for i in 10..50 {
        stdin.write_all(line(i).as_bytes()).unwrap();
    }
    let pausing = "svlogd: pausing: unable to rename current: d: access denied\n";
    wait_for("the pausing message", || {
        read(&dir.join("err")).contains(pausing)
    });
    chmod(&d, 0o755);
    drop(stdin);
    assert!(
        wait_until(Duration::from_secs(20), || p.try_exit().is_some()),
        "{test}: svlogd did not finish"
    );
    let want: Vec<String> = (0..50).map(|i| line(i).trim_end().to_string()).collect();
    assert_eq!(finished_lines(&d), want, "{test}: lines lost or doubled");
    distinct_lines(&read(&dir.join("err")))
}

#[test]
fn unwritable_directory_pauses_then_recovers() {
    let ours_err = unwritable(&ours("svlogd"), "unwritable-ours");
    assert_eq!(
        ours_err,
        ["svlogd: pausing: unable to rename current: d: access denied"]
    );
    if let Some(theirs) = theirs_or_skip("svlogd", "unwritable") {
        assert_eq!(ours_err, unwritable(&theirs, "unwritable-theirs"));
    }
}

/// An unreadable `config` (as a user): runit's warning, then the defaults.
fn unreadable_config(bin: &Path, test: &str) -> (Vec<String>, String) {
    let dir = TestDir::new(test);
    let d = dir.join("d");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("config"), "s100\n").unwrap();
    chmod(&d.join("config"), 0o000);
    nix::unistd::chown(&d, Some(65534.into()), Some(65534.into())).unwrap();
    let mut input = String::new();
    for i in 0..30 {
        input.push_str(&format!("line {i:04}\n"));
    }
    fs::write(dir.join("input"), &input).unwrap();
    let mut p = svlogd_as_nobody(bin, &dir, fs::File::open(dir.join("input")).unwrap().into());
    let _ = p.wait_exit();
    (
        distinct_lines(&read(&dir.join("err"))),
        svlogd_support::dump_dir(&d),
    )
}

#[test]
fn unreadable_config_warns_and_uses_defaults() {
    let (err, dump) = unreadable_config(&ours("svlogd"), "noconfig-ours");
    assert_eq!(
        err,
        ["svlogd: warning: unable to read config: d: access denied"]
    );
    // The defaults: no rotation at 100 bytes.
    assert!(!dump.contains("== @"), "{dump}");
    if let Some(theirs) = theirs_or_skip("svlogd", "noconfig") {
        assert_eq!((err, dump), unreadable_config(&theirs, "noconfig-theirs"));
    }
}

/// The log directory removed while svlogd runs: the next rotation pauses
/// with runit's message, retrying every 3 seconds, as Debian's does (runit
/// keeps the directory open, so a new directory of the same name does not
/// help either; the lines written since the removal are gone with it).
fn removed(bin: &Path, test: &str) -> Vec<String> {
    let dir = TestDir::new(test);
    let d = dir.join("d");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("config"), "s300\nn0\n").unwrap();
    let p = svlogd(bin, &dir, Stdio::piped());
    let mut p = p;
    let mut stdin = p.child.stdin.take().unwrap();
    stdin.write_all(b"first line\n").unwrap();
    wait_for("current", || {
        fs::metadata(d.join("current")).is_ok_and(|m| m.len() > 0)
    });
    fs::remove_dir_all(&d).unwrap();
    for i in 0..40 {
        stdin
            .write_all(format!("line {i:04}\n").as_bytes())
            .unwrap();
    }
    let pausing = "svlogd: pausing: unable to rename current: d: file does not exist\n";
    wait_for("the pausing message", || {
        read(&dir.join("err")).contains(pausing)
    });
    distinct_lines(&read(&dir.join("err")))
}

#[test]
fn removed_directory_pauses_as_runit() {
    let ours_err = removed(&ours("svlogd"), "removed-ours");
    assert_eq!(
        ours_err,
        ["svlogd: pausing: unable to rename current: d: file does not exist"]
    );
    if let Some(theirs) = theirs_or_skip("svlogd", "removed") {
        assert_eq!(ours_err, removed(&theirs, "removed-theirs"));
    }
}
