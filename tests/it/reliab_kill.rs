//! issue 12, faults injected: SIGKILL of runsv while it writes its status
//! (the record is never torn), and of runsvdir (its runsv's go on, and a
//! new runsvdir starts nothing twice).
use crate::common;

use common::{clean_command, runsv_alive, script, wait_for, Proc, TestDir};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small xorshift generator: random moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The record must be whole: 20 bytes with a state, want and flags runsv
/// can write.
fn whole(record: &[u8]) -> bool {
    // Flags 0 or 1: the record is what encoding its decoding gives back.
    runit::status::Status::decode(record).is_some_and(|st| {
        st.encode()[..] == *record && (st.wants_up() || st.wants_down()) && st.state().is_some()
    })
}

#[test]
fn status_is_never_torn_when_runsv_is_killed() {
    let t = TestDir::new("reliab-kill-status");
    let svc = t.join("s");
    script(svc.join("run"), "#!/bin/sh\nexec sleep 1010\n");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    eprintln!("seed {seed}");
    for round in 0..40 {
        let mut c = clean_command(common::ours("runsv"));
        c.arg("s")
            .current_dir(&t.path)
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        let mut p = Proc::start(c);
        wait_for("runsv ready", || runsv_alive(&svc));
        // Commands that each rewrite the status, for a random while.
        let mut control = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(svc.join("supervise/control"))
            .expect("control");
        let until = Instant::now() + Duration::from_micros(rng.below(30_000));
        while Instant::now() < until {
            let _ = control.write_all(b"pc");
        }
        p.signal(libc::SIGKILL);
        p.wait_exit();
        let record = std::fs::read(svc.join("supervise/status")).unwrap_or_default();
        assert!(
            whole(&record),
            "round {round} (seed {seed}): torn status {record:?}"
        );
        if let Ok(text) = std::fs::read_to_string(svc.join("supervise/identity")) {
            assert!(
                runit::status::Identity::parse(&text).is_some(),
                "round {round}: torn identity {text:?}"
            );
        }
    }
}

/// SIGKILL of runsvdir: the runsv's it started keep their services, and a
/// new runsvdir starts no second runsv nor service (their locks are held).
fn kill_runsvdir(runsvdir: &Path, path_var: &str, tag: &str) -> String {
    let t = TestDir::new(&format!("reliab-kill-runsvdir-{tag}"));
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/reliab_support/kill_runsvdir.sh");
    let mut c = clean_command("/usr/bin/unshare");
    c.args(common::PID_NAMESPACE)
        .args(["--kill-child", "/bin/sh"])
        .arg(script)
        .arg(runsvdir)
        .env("PATH", path_var)
        .current_dir(&t.path);
    let (out, err, rc) = common::text(&common::run(c));
    assert_eq!(rc, 0, "{tag}: {err}");
    out
}

#[test]
fn a_new_runsvdir_starts_nothing_twice() {
    if !Path::new("/usr/bin/unshare").exists() || !nix::unistd::geteuid().is_root() {
        crate::reference::unavailable(
            "a_new_runsvdir_starts_nothing_twice",
            "needs root and unshare",
        );
        return;
    }
    let mut want =
        String::from("services up: 0\nrunsv's still there: yes\nservices unchanged: yes\n");
    for s in ["a", "b", "c"] {
        want.push_str(&format!(
            "runsv {s}: fatal: unable to lock supervise/lock: temporary failure\n"
        ));
    }
    let ours = kill_runsvdir(&common::ours("runsvdir"), &common::test_path(), "ours");
    assert_eq!(ours, want, "ours");
    if let Some(theirs) = crate::reference::runit("runsvdir", "a_new_runsvdir_starts_nothing_twice")
    {
        let theirs = kill_runsvdir(&theirs, &common::runit_path(), "runit");
        assert_eq!(theirs, want, "runit");
    }
}
