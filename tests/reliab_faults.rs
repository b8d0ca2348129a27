//! issue 12, faults injected: runsv and runsvdir in a broken world say what
//! went wrong in runit's words, keep supervising, and recover when the fault
//! goes away. Every scenario runs in a private PID (and mount) namespace.
mod common;

use common::{clean_command, TestDir};
use std::path::Path;

fn can_unshare(test: &str) -> bool {
    let ok = Path::new("/usr/bin/unshare").exists() && nix::unistd::geteuid().is_root();
    if !ok {
        eprintln!("SKIPPED {test}: needs root and unshare");
    }
    ok
}

/// Runs `script` (a file in tests/reliab_support) with `args` as PID 1 of a
/// new PID and mount namespace, from a fresh directory; returns its stdout.
fn in_namespace(tag: &str, script: &str, args: &[&Path], extra: &[&str]) -> String {
    let t = TestDir::new(&format!("reliab-faults-{tag}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reliab_support")
        .join(script);
    let mut c = clean_command("/usr/bin/unshare");
    c.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "--mount",
        "--propagation",
        "private",
    ])
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
    let theirs = common::theirs("runsv").zip(common::theirs("sv"));
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
    match theirs {
        Some((runsv, sv)) => {
            let got = in_namespace(
                &format!("{mode}-runit"),
                "supervise_fault.sh",
                &[&runsv, &sv],
                &[mode],
            );
            assert_eq!(got, report(1), "runit, supervise/ {mode}");
        }
        None => eprintln!("SKIPPED the reference half: Debian's runit is not installed"),
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
