//! Helpers for runsvdir tests: building service trees, starting runsvdir
//! (ours or Debian's) and looking at the runsv processes it started.

use crate::common::{clean_command, ours, runit_path, script, test_path, theirs, wait_until, Proc};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// runit notices changes within about 5 s, plus 1 s; leave room for a busy machine.
pub const SLOW: Duration = Duration::from_secs(20);

/// Which implementation: runsvdir binary and the PATH its runsv is found in.
#[derive(Clone, Debug)]
pub struct Impl {
    pub runsvdir: PathBuf,
    pub path: String,
    pub label: &'static str,
}

pub fn ours_impl() -> Impl {
    Impl {
        runsvdir: ours("runsvdir"),
        path: test_path(),
        label: "ours",
    }
}

/// Debian's runsvdir with Debian's runsv, or None (skip note printed).
pub fn theirs_impl(test: &str) -> Option<Impl> {
    crate::common::theirs_or_skip("runsvdir", test)?;
    Some(Impl {
        runsvdir: theirs("runsvdir")?,
        path: runit_path(),
        label: "runit",
    })
}

/// A service whose `run` records its start in `<name>.started` next to the
/// service directory's parent, then sleeps.
pub fn service(dir: &Path, name: &str) {
    let marker = dir.parent().unwrap().join(format!("{name}.started"));
    script(
        dir.join(name).join("run"),
        &format!(
            "#!/bin/sh\necho $$ >> '{}'\nexec sleep 1000\n",
            marker.display()
        ),
    );
}

/// A service directory built elsewhere and renamed into `dir` in one step.
pub fn service_renamed_in(dir: &Path, name: &str) {
    let staging = dir.parent().unwrap().join(format!("staging-{name}"));
    service(&staging, name);
    fs::rename(staging.join(name), dir.join(name)).unwrap();
    let _ = fs::remove_dir(&staging);
}

/// Starts runsvdir with `args` from `cwd`, stderr captured to a file.
pub fn start(imp: &Impl, cwd: &Path, args: &[&str]) -> (Proc, PathBuf) {
    let err = cwd.join(format!("stderr-{}", imp.label));
    let mut c: Command = clean_command(&imp.runsvdir);
    c.env("PATH", &imp.path)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err).unwrap());
    (Proc::start(c), err)
}

/// The children of `pid` (from /proc/PID/task/PID/children).
pub fn children(pid: i32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

pub fn argv(pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// (name, pid) of every live runsv child of `pid`, sorted by name.
pub fn runsvs(pid: i32) -> Vec<(String, i32)> {
    let mut v: Vec<(String, i32)> = children(pid)
        .into_iter()
        .filter(|&c| crate::common::alive(c))
        .filter_map(|c| {
            let a = argv(c);
            (a.first().map(|s| s.ends_with("runsv")) == Some(true) && a.len() == 2)
                .then(|| (a[1].clone(), c))
        })
        .collect();
    v.sort();
    v
}

pub fn runsv_names(pid: i32) -> Vec<String> {
    runsvs(pid).into_iter().map(|(n, _)| n).collect()
}

/// Waits (slowly: runit polls) until the runsv children are exactly `names`.
pub fn wait_names(pid: i32, names: &[&str]) -> bool {
    wait_until(SLOW, || runsv_names(pid) == names)
}

/// Field `n` (1-based, as in proc(5)) of /proc/PID/stat.
pub fn stat_field(pid: i32, n: usize) -> Option<i64> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    rest.split_whitespace().nth(n - 3)?.parse().ok()
}

pub fn read_text(p: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(p) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

/// Distinct lines of a text, sorted: runit repeats some warnings on every
/// scan and its scans are less frequent than ours.
pub fn distinct_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

/// Runs `f` for each implementation in parallel and returns the results.
pub fn both<T: Send>(imps: &[Impl], f: impl Fn(&Impl) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = imps.iter().map(|imp| s.spawn(|| f(imp))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scenario thread panicked"))
            .collect()
    })
}
