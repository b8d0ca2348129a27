//! Worlds for sv's differential tests: a directory of services, each
//! supervised by one runsv (Debian's or ours), and the sv that drives them.
//! The same scenario runs in two worlds, one driven by Debian's sv and one by
//! ours, and every step's stdout, stderr and exit code must agree once pids
//! and seconds are masked.

use crate::common::{
    self, clean_command, mask_sv, runsv_alive, script, text, wait_for, Proc, TestDir,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct World {
    pub dir: TestDir,
    pub sv: PathBuf,
    procs: Vec<Proc>,
}

/// A service `run` that stays up.
pub const SLEEPER: &str = "#!/bin/sh\nexec sleep 1000\n";
/// A service that ignores TERM (so only `k` stops it).
pub const STUBBORN: &str = "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n";

impl World {
    pub fn new(name: &str, sv: &Path) -> World {
        World {
            dir: TestDir::new(name),
            sv: sv.to_path_buf(),
            procs: Vec::new(),
        }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// Creates service `name` with `run` (and a log service if `log`).
    pub fn service(&self, name: &str, run: &str, log: bool) {
        script(self.path(name).join("run"), run);
        if log {
            script(self.path(name).join("log/run"), SLEEPER);
        }
    }

    /// Starts `runsv name` and waits until it is ready.
    pub fn supervise(&mut self, runsv: &Path, name: &str) {
        let mut c = clean_command(runsv);
        c.arg(name).current_dir(&self.dir.path);
        c.stdin(std::process::Stdio::null());
        let p = Proc::start(c);
        let dir = self.path(name);
        wait_for("runsv ready", || runsv_alive(&dir));
        if dir.join("log").is_dir() {
            let log = dir.join("log");
            wait_for("log runsv ready", || runsv_alive(&log));
        }
        self.procs.push(p);
    }

    /// Waits until service `name` is running (state byte 1, pid set).
    /// Waits until the service runs and its script has exec'd `sleep`: every
    /// run script here sets its traps first, so from then on they hold.
    pub fn wait_running(&self, name: &str) {
        let dir = self.path(name);
        wait_for("service running", || {
            common::state_pid(&dir).is_some_and(|(s, p)| {
                s == 1
                    && p != 0
                    && std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == "sleep")
            })
        });
    }

    /// Waits until the service's last change lies in an earlier whole second
    /// than now. A `t`-type wait (restart) started in the same second as the
    /// service may pass on the old status (doc/runit/sv.md §5.2); after this it
    /// cannot, so the scenario no longer depends on that race.
    pub fn wait_past_second(&self, name: &str) {
        let dir = self.path(name);
        wait_for("a second boundary", || {
            common::status(&dir).is_some_and(|st| runit::tai::Tai64n::now().secs > st.secs())
        });
    }

    /// A service whose runsv ran once and exited: `supervise/` stays behind.
    pub fn dead_service(&mut self, runsv: &Path, name: &str) {
        self.service(name, SLEEPER, false);
        let mut c = clean_command(runsv);
        c.arg(name).current_dir(&self.dir.path);
        c.stdin(std::process::Stdio::null());
        let mut p = Proc::start(c);
        let dir = self.path(name);
        wait_for("runsv ready", || runsv_alive(&dir));
        self.wait_running(name);
        fs::write(dir.join("supervise/control"), "x").expect("send x");
        p.wait_exit();
    }

    /// Keeps `path` (a FIFO) open for reading, as a runsv would.
    pub fn hold_fifo(&mut self, path: &str) {
        let mut c = clean_command("/bin/sh");
        c.arg("-c")
            .arg(format!("exec 3<>'{path}'; exec sleep 1000"))
            .current_dir(&self.dir.path);
        let p = Proc::start(c);
        let fifo = self.path(path);
        wait_for("fifo held", || {
            fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
                .is_ok()
        });
        self.procs.push(p);
    }

    /// A command running this world's sv from the world's directory.
    pub fn sv_command(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = clean_command(program);
        c.args(args).current_dir(&self.dir.path);
        c.env("SVDIR", &self.dir.path);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// Runs this world's sv and returns masked (stdout, stderr, exit code).
    pub fn sv(&self, args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
        masked(common::run(self.sv_command(&self.sv.clone(), args, env)))
    }

    /// Runs sv under another name (LSB mode): `<dir>/lsb/<name>` links to sv.
    pub fn lsb(&self, name: &str, args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
        let link = self.path("lsb").join(name);
        if !link.exists() {
            fs::create_dir_all(self.path("lsb")).expect("mkdir lsb");
            std::os::unix::fs::symlink(&self.sv, &link).expect("symlink");
        }
        masked(common::run(self.sv_command(&link, args, env)))
    }
}

pub fn masked(o: std::process::Output) -> (String, String, i32) {
    let (out, err, rc) = text(&o);
    (mask_sv(&out), mask_sv(&err), rc)
}

/// One step of a scenario, run in both worlds.
pub enum Step<'a> {
    /// sv with these arguments (and extra environment).
    Sv(&'a [&'a str], &'a [(&'a str, &'a str)]),
    /// sv called as `lsb/<name>`.
    Lsb(&'a str, &'a [&'a str]),
    /// A change to both worlds that is not compared (e.g. a file created).
    Do(&'a (dyn Fn(&World) + Sync)),
}

/// Runs `steps` in our world and, when Debian's runit is installed, in
/// `theirs` (Debian's sv), the two sides of each step at the same time, and
/// asserts identical results. Without a reference only ours runs the steps.
/// Returns each side's transcript (`crate::golden::sv_call` per step), for
/// the caller to check against the expected result: (theirs, ours).
pub fn compare(theirs: Option<&World>, ours: &World, steps: &[Step]) -> (Option<String>, String) {
    let mut transcripts = (theirs.map(|_| String::new()), String::new());
    for (i, step) in steps.iter().enumerate() {
        let one = |w: &World| match step {
            Step::Sv(args, env) => {
                let shown = if env.is_empty() {
                    String::new()
                } else {
                    format!(" env {env:?}")
                };
                Some((format!("sv {args:?}{shown}"), w.sv(args, env)))
            }
            Step::Lsb(name, args) => Some((format!("lsb/{name} {args:?}"), w.lsb(name, args, &[]))),
            Step::Do(f) => {
                f(w);
                None
            }
        };
        let (a, b) = std::thread::scope(|s| {
            let t = theirs.map(|theirs| s.spawn(|| one(theirs)));
            let o = one(ours);
            (t.and_then(|t| t.join().expect("theirs")), o)
        });
        if let (Some((what, a)), Some((_, b))) = (&a, &b) {
            assert_eq!(a, b, "step {i}: {what}: runit's sv (left) vs ours (right)");
        }
        if let (Some(t), Some((what, a))) = (transcripts.0.as_mut(), &a) {
            t.push_str(&crate::golden::sv_call(what, a));
        }
        if let Some((what, b)) = &b {
            transcripts.1.push_str(&crate::golden::sv_call(what, b));
        }
    }
    transcripts
}

/// Debian's sv and runsv, or None (test skipped visibly).
pub fn debian(test: &str) -> Option<(PathBuf, PathBuf)> {
    let sv = common::theirs_or_skip("sv", test)?;
    let runsv = common::theirs_or_skip("runsv", test)?;
    Some((sv, runsv))
}

/// The runsvs every scenario runs under: Debian's (when installed) and ours.
pub fn runsvs(debian_runsv: Option<&Path>) -> Vec<(&'static str, PathBuf)> {
    let debian = debian_runsv.map(|r| ("debian", r.to_path_buf()));
    debian
        .into_iter()
        .chain([("ours", common::ours("runsv"))])
        .collect()
}

use std::os::unix::fs::OpenOptionsExt;
