//! issue 12, faults injected: runsv and runsvdir in a broken world say what
//! went wrong in runit's words, keep supervising, and recover when the fault
//! goes away. Every scenario runs in a private PID (and mount) namespace.
use crate::common;
use crate::reference;

use common::{clean_command, TestDir};
use std::path::Path;

fn can_unshare(test: &str) -> bool {
    let ok = Path::new("/usr/bin/unshare").exists() && nix::unistd::geteuid().is_root();
    if !ok {
        reference::unavailable(test, "needs root and unshare");
    }
    ok
}

/// Runs `script` (a file in tests/it/reliab_support) with `args` as PID 1 of a
/// new PID and mount namespace, from a fresh directory; returns its stdout.
fn in_namespace(tag: &str, script: &str, args: &[&Path], extra: &[&str]) -> String {
    in_namespace_with(tag, script, args, extra, &common::test_path())
}

fn in_namespace_with(
    tag: &str,
    script: &str,
    args: &[&Path],
    extra: &[&str],
    path_var: &str,
) -> String {
    // Fork failures under RLIMIT_NPROC and full file systems, with time
    // windows: one scenario at a time (tests/it/README.md).
    let _serial = common::serial();
    let t = TestDir::new(&format!("reliab-faults-{tag}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/reliab_support")
        .join(script);
    let mut c = clean_command("/usr/bin/unshare");
    c.args(common::PID_NAMESPACE)
        .args(common::PRIVATE_MOUNTS)
        .arg("--kill-child")
        .env("PATH", path_var)
        .arg("/bin/sh")
        .arg(path)
        .args(args)
        .args(extra)
        .current_dir(&t.path);
    let (out, err, rc) = common::text(&common::run(c));
    assert_eq!(rc, 0, "{tag}: script failed: {err}");
    out
}

/// `supervise/` on a full file system (no inode, no block left) or made
/// read-only under a running runsv.
fn supervise_fault(mode: &str) {
    if !can_unshare("supervise_fault") {
        return;
    }
    let theirs = reference::runit_all(["runsv", "sv"], &format!("supervise_fault {mode}"));
    let ours = (common::ours("runsv"), common::ours("sv"));
    let words = if mode == "full" {
        "out of disk space"
    } else {
        "read-only file system"
    };
    let warnings = format!(
        "runsv s: warning: unable to open supervise/stat.new: {words}\n\
         runsv s: warning: unable to open supervise/stat.new: {words}\n\
         runsv s: warning: unable to open supervise/pid.new: {words}\n\
         runsv s: warning: unable to open supervise/pid.new: {words}\n\
         runsv s: warning: unable to open supervise/pid.new: {words}\n"
    );
    // runit's sv trusts the stale record; ours rewrites it (runsv.8).
    let report = |recovered: u8| {
        format!(
            "sv down: 0\nservice stopped: 0\nstatus while faulty: run: ./s: (pid N) Ns\n\
             u sent: 0\nservice started again: 0\nstatus right again without a change: {recovered}\n\
             ok: run: ./s: (pid N) Ns\nstatus names the service: yes\nrunsv exit 0\n{warnings}"
        )
    };
    let got = in_namespace(
        &format!("{mode}-ours"),
        "supervise_fault.sh",
        &[&ours.0, &ours.1],
        &[mode],
    );
    assert_eq!(got, report(0), "ours, supervise/ {mode}");
    if let Some([runsv, sv]) = theirs {
        let got = in_namespace(
            &format!("{mode}-runit"),
            "supervise_fault.sh",
            &[&runsv, &sv],
            &[mode],
        );
        assert_eq!(got, report(1), "runit, supervise/ {mode}");
    }
}

#[test]
fn supervise_on_a_full_file_system() {
    supervise_fault("full");
}

#[test]
fn supervise_on_a_read_only_file_system() {
    supervise_fault("ro");
}

/// RLIMIT_NPROC counts every process of a uid: one unused uid per test, as
/// the tests run side by side.
const NPROC_UID_RUNSV: &str = "54321";
const NPROC_UID_RUNSVDIR: &str = "54322";

/// Fork failing (RLIMIT_NPROC reached, as a non-root user): runsv says so in
/// runit's words and tries again 5 s later, and meanwhile still obeys
/// commands (runit's sleeps in the supervisor: its `sv down` waits).
#[test]
fn runsv_with_fork_failing() {
    if !can_unshare("runsv_with_fork_failing") {
        return;
    }
    let warning = "runsv s: warning: unable to fork, sleeping: temporary failure\n";
    let ours = (common::ours("runsv"), common::ours("sv"));
    let got = in_namespace(
        "nproc-ours",
        "nproc.sh",
        &[&ours.0, &ours.1],
        &[NPROC_UID_RUNSV],
    );
    assert_eq!(
        got,
        format!(
            "fork failed: 0\nd seen within 2 s: yes\nstarted once a process is gone: 0\n\
             run: ./s: (pid N) Ns\nrunsv exit 0\n{warning}"
        )
    );
    if let Some([runsv, sv]) = reference::runit_all(["runsv", "sv"], "runsv_with_fork_failing") {
        let got = in_namespace(
            "nproc-runit",
            "nproc.sh",
            &[&runsv, &sv],
            &[NPROC_UID_RUNSV],
        );
        // runit was asleep: the `d` was not seen in time.
        assert!(
            got.starts_with("fork failed: 0\nd seen within 2 s: no\n"),
            "{got}"
        );
        assert!(got.ends_with(warning), "{got}");
    }
}

/// runsvdir as a non-root user at its RLIMIT_NPROC: it cannot fork runsv,
/// then runsv cannot fork the service; each says so in runit's words, and
/// once processes are gone there is one runsv and one service.
#[test]
fn runsvdir_with_fork_failing() {
    if !can_unshare("runsvdir_with_fork_failing") {
        return;
    }
    let lines = "runsv s: warning: unable to fork, sleeping: temporary failure\n\
                 runsvdir sv: warning: unable to fork for s: temporary failure\n";
    let report = "runsvdir's fork failed: 0\nrunsv's fork failed: 0\nservice started: 0\n\
                  runsv: 1, service: 1\n";
    let got = in_namespace(
        "nproc-rsd-ours",
        "nproc_runsvdir.sh",
        &[&common::ours("runsvdir")],
        &[NPROC_UID_RUNSVDIR],
    );
    assert_eq!(got, format!("{report}{lines}"));
    if let Some(runsvdir) = reference::runit("runsvdir", "runsvdir_with_fork_failing") {
        let got = in_namespace_with(
            "nproc-rsd-runit",
            "nproc_runsvdir.sh",
            &[&runsvdir],
            &[NPROC_UID_RUNSVDIR],
            &common::runit_path(),
        );
        assert!(got.starts_with(report), "{got}");
        for l in lines.lines() {
            assert!(got.contains(l), "runit: {got}");
        }
    }
}

const NPROC_UID_SVLOGD: &str = "54323";

/// svlogd as a non-root user at its RLIMIT_NPROC: the fork for its processor
/// fails, svlogd pauses in runit's words and tries again, and once a process
/// of the user is gone the rotated files are processed, every line once.
#[test]
fn svlogd_with_fork_failing() {
    if !can_unshare("svlogd_with_fork_failing") {
        return;
    }
    let ours = in_namespace(
        "nproc-svlogd-ours",
        "nproc_svlogd.sh",
        &[&common::ours("svlogd")],
        &[NPROC_UID_SVLOGD],
    );
    let want = "fork failed: 0\nprocessed once a process is gone: 0\nsvlogd exit 0\n\
                svlogd: pausing: unable to fork for processor: d: ...\n\
                300 lines, 0 not exactly once\n";
    assert_eq!(ours, want);
    if let Some(svlogd) = reference::runit("svlogd", "svlogd_with_fork_failing") {
        let theirs = in_namespace_with(
            "nproc-svlogd-runit",
            "nproc_svlogd.sh",
            &[&svlogd],
            &[NPROC_UID_SVLOGD],
            &common::runit_path(),
        );
        assert_eq!(theirs, want, "Debian's svlogd");
    }
}

/// runsvdir under a tight RLIMIT_NOFILE: it cannot open its directory, says
/// so in runit's words and, as runit's, scans again once the directory
/// changes. Ours holds two descriptors more than runit's (its signalfd and
/// inotify), so it is tried at a limit two higher.
#[test]
fn runsvdir_with_few_descriptors() {
    if !can_unshare("runsvdir_with_few_descriptors") {
        return;
    }
    let want = "warned: 0\nstarted once the directory changed: 0\n\
                runsvdir sv: warning: unable to open directory sv: \
                process cannot open more files\n";
    let ours = in_namespace(
        "nofile-rsd-ours",
        "nofile_runsvdir.sh",
        &[&common::ours("runsvdir")],
        &["6"],
    );
    assert_eq!(ours, want);
    if let Some(runsvdir) = reference::runit("runsvdir", "runsvdir_with_few_descriptors") {
        let theirs = in_namespace_with(
            "nofile-rsd-runit",
            "nofile_runsvdir.sh",
            &[&runsvdir],
            &["4"],
            &common::runit_path(),
        );
        assert_eq!(theirs, want, "Debian's runsvdir");
    }
}

/// runsv under a tight RLIMIT_NOFILE: ours needs one descriptor less than
/// runit's (a signalfd, not a self-pipe), so wherever runit's runs, ours runs
/// too, and with the limit one lower ours still supervises (a status write
/// that finds no descriptor is a warning, and is tried again).
#[test]
fn runsv_with_few_descriptors() {
    let t = TestDir::new("reliab-faults-nofile");
    common::script(t.join("s/run"), "#!/bin/sh\nexec sleep 1009\n");
    common::script(t.join("s/log/run"), "#!/bin/sh\nexec cat >/dev/null\n");
    let svc = t.join("s");
    let start = |n: u32| {
        // Only 0, 1 and 2: descriptors the test inherited would count.
        let mut c = clean_command("/bin/bash");
        c.arg("-c")
            .arg(
                "for f in /proc/$$/fd/*; do n=${f##*/}; [ $n -gt 2 ] && eval \"exec $n>&-\"; done; \
                 exec /usr/bin/prlimit --nofile=$0 \"$1\" s",
            )
            .arg(n.to_string())
            .arg(common::ours("runsv"))
            .current_dir(&t.path)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(t.join(format!("err{n}"))).unwrap());
        common::Proc::start(c)
    };
    for n in [15, 14] {
        let p = start(n);
        // By the processes: at 14 no status write finds a descriptor.
        let canon = svc.canonicalize().unwrap();
        let up = || runs(b"sleep\x001009\x00", &canon) && runs(b"cat\x00", &canon.join("log"));
        assert!(
            common::wait_until(common::DEADLINE, up),
            "nofile {n}: not running: {}",
            std::fs::read_to_string(t.join(format!("err{n}"))).unwrap_or_default()
        );
        // Controllable: `x` through the FIFO, and runsv exits.
        std::fs::write(svc.join("supervise/control"), "x").unwrap();
        let mut p = p;
        assert_eq!(p.wait_exit().code(), Some(0), "nofile {n}");
        let err = std::fs::read_to_string(t.join(format!("err{n}"))).unwrap();
        for line in err.lines() {
            assert!(
                line.starts_with("runsv s: warning: unable to open ")
                    && line.ends_with(": process cannot open more files"),
                "nofile {n}: {line}"
            );
        }
        if n == 15 {
            assert_eq!(
                err, "",
                "nofile 15: runit's runsv needs 15 and says nothing"
            );
        }
        let _ = std::fs::remove_dir_all(svc.join("supervise"));
        let _ = std::fs::remove_dir_all(svc.join("log/supervise"));
    }
}

/// Whether a process runs `argv` (NUL-separated) in directory `cwd`.
fn runs(argv: &[u8], cwd: &Path) -> bool {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return false;
    };
    rd.flatten().any(|e| {
        let p = e.path();
        std::fs::read(p.join("cmdline")).is_ok_and(|c| c == argv)
            && std::fs::read_link(p.join("cwd")).is_ok_and(|d| d == cwd)
    })
}
