//! A full disk: on a small tmpfs svlogd reports the error as runit does,
//! waits, and goes on with no line lost once space is freed; with `N` below
//! `n` it deletes the oldest files instead. Both binaries run each scenario.
mod common;
mod svlogd_support;

use common::{ours, theirs_or_skip, wait_for, Proc, TestDir};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A tmpfs mounted for one test, unmounted on drop (even after a failure).
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(path: PathBuf, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("SKIPPED: cannot mount a tmpfs (not root?)");
            return None;
        }
        Some(Tmpfs { path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn line(i: usize) -> String {
    format!("disk full test line {i:07} with a little padding\n")
}

/// The log lines of a directory in file order.
fn logged(d: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 27 && n.starts_with('@'))
        .collect();
    names.sort();
    names.push("current".into());
    let mut all = String::new();
    for n in names {
        all.push_str(&String::from_utf8_lossy(
            &fs::read(d.join(n)).unwrap_or_default(),
        ));
    }
    all.lines().map(|l| format!("{l}\n")).collect()
}

/// Starts `bin d` in `mnt`, feeding `lines` lines from a thread.
fn start(
    bin: &Path,
    mnt: &Path,
    err: &Path,
    lines: usize,
) -> (Proc, std::thread::JoinHandle<bool>) {
    let mut cmd = Command::new(bin);
    cmd.arg("d").current_dir(mnt);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(fs::File::create(err).unwrap());
    let mut p = Proc::start(cmd);
    let mut stdin = p.child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut ok = true;
        for i in 0..lines {
            ok = ok && stdin.write_all(line(i).as_bytes()).is_ok();
        }
        ok
    });
    (p, writer)
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned()
}

const PAUSING: &str = "svlogd: pausing: unable to write to current: d: out of disk space\n";

/// Fills the disk, waits for the pause message, frees space, checks all lines.
fn pause_and_resume(bin: &Path, test: &str) -> String {
    let dir = TestDir::new(test);
    let Some(fsys) = Tmpfs::mount(dir.join("mnt"), "1m") else {
        return PAUSING.into();
    };
    let mnt = fsys.path.clone();
    fs::create_dir(mnt.join("d")).unwrap();
    fs::write(mnt.join("d/config"), "s100000\nn0\n").unwrap();
    fs::write(mnt.join("filler"), vec![b'x'; 700 * 1024]).unwrap();
    let n = 12_000; // about 600 kB of log
    let err = dir.join("err");
    let (mut p, writer) = start(bin, &mnt, &err, n);
    wait_for("the pausing message", || read(&err).contains(PAUSING));
    fs::remove_file(mnt.join("filler")).unwrap();
    assert!(writer.join().unwrap(), "svlogd stopped reading");
    let status = wait_exit(&mut p);
    assert_eq!(status, Some(0));
    let got = logged(&mnt.join("d"));
    let want: Vec<String> = (0..n).map(line).collect();
    assert!(
        got == want,
        "{test}: lines lost or doubled: {} logged, {} sent",
        got.len(),
        want.len()
    );
    let e = read(&err);
    assert!(
        e.lines().all(|l| format!("{l}\n") == PAUSING),
        "unexpected messages: {e}"
    );
    PAUSING.into()
}

fn wait_exit(p: &mut Proc) -> Option<i32> {
    // The stdin writer has finished; svlogd may still sleep 3 s in a retry.
    let mut status = None;
    assert!(common::wait_until(Duration::from_secs(20), || {
        status = p.try_exit();
        status.is_some()
    }));
    status.and_then(|s| s.code())
}

#[test]
fn full_disk_pauses_then_goes_on_without_loss() {
    pause_and_resume(&ours("svlogd"), "diskfull-ours");
    if let Some(theirs) = theirs_or_skip("svlogd", "diskfull") {
        pause_and_resume(&theirs, "diskfull-theirs");
    }
}

/// With `N` below `n`, a full disk deletes the oldest files: the newest
/// lines all survive, in order.
fn delete_oldest(bin: &Path, test: &str) -> (usize, String) {
    let dir = TestDir::new(test);
    let Some(fsys) = Tmpfs::mount(dir.join("mnt"), "64k") else {
        return (0, String::new());
    };
    let mnt = fsys.path.clone();
    fs::create_dir(mnt.join("d")).unwrap();
    fs::write(mnt.join("d/config"), "s8000\nn20\nN2\n").unwrap();
    let n = 3000; // about 150 kB through a 64 kB disk
    let err = dir.join("err");
    let (mut p, writer) = start(bin, &mnt, &err, n);
    assert!(writer.join().unwrap(), "svlogd stopped reading");
    assert_eq!(wait_exit(&mut p), Some(0));
    let got = logged(&mnt.join("d"));
    let first = n - got.len();
    let want: Vec<String> = (first..n).map(line).collect();
    assert!(
        got == want,
        "{test}: the newest lines are not all there in order"
    );
    let e = read(&err);
    let deletes = e
        .matches("svlogd: warning: out of disk space, delete: d/@")
        .count();
    assert!(deletes > 0, "{test}: no deletion reported: {e}");
    let masked = String::from_utf8_lossy(&svlogd_support::mask_stamps(e.as_bytes())).into_owned();
    (deletes, masked)
}

#[test]
fn full_disk_deletes_oldest_down_to_n() {
    let (_, ours_err) = delete_oldest(&ours("svlogd"), "diskdel-ours");
    if let Some(theirs) = theirs_or_skip("svlogd", "diskdel") {
        let (_, their_err) = delete_oldest(&theirs, "diskdel-theirs");
        // Same kind of messages (the count depends on write sizes).
        let kinds = |s: &str| {
            let mut v: Vec<String> = s.lines().map(|l| l.to_string()).collect();
            v.dedup();
            v
        };
        assert_eq!(kinds(&ours_err), kinds(&their_err));
    }
}
