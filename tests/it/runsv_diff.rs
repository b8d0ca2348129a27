//! Differential tests: the same scenario under Debian's runsv and ours, driven
//! by Debian's sv, must leave the same supervise/ files (time and pids masked)
//! and give the same `sv status` lines. Without Debian's runit, ours alone
//! runs each scenario, driven by our sv. Either way ours must give the
//! scenario's golden file, `golden/runsv_diff/<scenario>.txt`, recorded from
//! Debian's runit (re-record: `crate::golden`).

use crate::common;
use crate::golden::Golden;

use common::*;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// One service directory `s` supervised by one runsv (dropped in this
/// order: runsv stopped first, then its directory removed).
struct Svc {
    runsv: Proc,
    dir: TestDir,
}

impl Svc {
    fn start(runsv: &Path, name: &str, setup: impl Fn(&Path)) -> Svc {
        let dir = TestDir::new(name);
        let s = dir.join("s");
        fs::create_dir_all(&s).unwrap();
        setup(&s);
        let mut cmd = clean_command(runsv);
        cmd.arg("s").current_dir(dir.path.clone());
        let runsv = Proc::start(cmd);
        let svc = Svc { dir, runsv };
        wait_for("supervise/ok", || runsv_alive(&svc.path()));
        svc
    }

    fn path(&self) -> PathBuf {
        self.dir.join("s")
    }

    /// Runs Debian's sv (ours when Debian's runit is not installed) with
    /// SVDIR = the test directory.
    fn sv(&self, args: &[&str]) -> (String, String, i32) {
        let sv = theirs("sv").unwrap_or_else(|| ours("sv"));
        let mut cmd = clean_command(sv);
        cmd.args(args)
            .env("SVDIR", &self.dir.path)
            .current_dir(&self.dir.path);
        text(&run(cmd))
    }

    fn stat(&self, sub: &str) -> String {
        fs::read_to_string(self.path().join(sub).join("supervise/stat")).unwrap_or_default()
    }

    /// Waits until `stat` reads `want` and `status` (written after it) agrees.
    fn wait_stat(&self, sub: &str, want: &str) {
        let state = match want.split(',').next().unwrap_or("").trim() {
            "run" => 1,
            "finish" => 2,
            _ => 0,
        };
        // `status` is replaced after `stat` in one update: until it is no
        // older than `stat`, it may still be the previous update's.
        let sup = self.path().join(sub).join("supervise");
        let mtime = |f: &str| fs::metadata(sup.join(f)).and_then(|m| m.modified()).ok();
        wait_for(&format!("{sub} stat {want:?}"), || {
            self.stat(sub) == want
                && state_pid(&self.path().join(sub)).is_some_and(|(st, _)| st == state)
                && mtime("status") >= mtime("stat")
        });
    }

    /// Waits until the status record's want byte is `want`.
    fn wait_want(&self, want: u8) {
        wait_for("want byte", || {
            common::status(&self.path()).is_some_and(|st| st.want == want)
        });
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    /// Everything a client can see, with times and pids masked.
    fn snapshot(&self) -> String {
        let mut out = String::new();
        for sub in ["", "log"] {
            let sup = self.path().join(sub).join("supervise");
            let Ok(entries) = fs::read_dir(&sup) else {
                continue;
            };
            // `identity` is ours alone (runsv.8): no runit program reads it.
            let mut names: Vec<_> = entries
                .flatten()
                .map(|e| e.file_name())
                .filter(|n| n != "identity")
                .collect();
            names.sort();
            for n in names {
                let p = sup.join(&n);
                let md = fs::symlink_metadata(&p).unwrap();
                let kind = if md.file_type().is_fifo() {
                    "fifo"
                } else if md.is_dir() {
                    "dir"
                } else {
                    "file"
                };
                let mode = md.permissions().mode() & 0o7777;
                let n = n.to_string_lossy();
                let content = match n.as_ref() {
                    "status" => format!("{:?}", masked_status(&fs::read(&p).unwrap())),
                    "pid" => mask_digits(&fs::read_to_string(&p).unwrap()),
                    "stat" => fs::read_to_string(&p).unwrap(),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "{sub}/supervise/{n} {kind} {mode:o} {content:?}\n"
                ));
            }
        }
        let (o, e, c) = self.sv(&["status", "s"]);
        out.push_str(&format!("sv status: {} {} {c}\n", mask_sv(&o), e));
        out
    }
}

/// Every run of digits as one `N` (the pid file's text).
fn mask_digits(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('N') {
            out.push('N');
        }
    }
    out
}

fn run_script(s: &Path, body: &str) {
    script(s.join("run"), body);
}

const SLEEPER: &str = "#!/bin/sh\nexec sleep 1000\n";

/// Runs `scenario` under our runsv and, when installed, Debian's, and
/// requires the same result (`crate::reference::same`) and the golden one.
fn differential(name: &str, setup: impl Fn(&Path), scenario: impl Fn(&Svc) -> String) {
    let golden = Golden::new("runsv_diff", name);
    let mine = crate::reference::same(
        &format!("scenario {name}"),
        crate::reference::runit_all(["runsv", "sv"], name),
        || scenario(&Svc::start(&ours("runsv"), &format!("{name}-ours"), &setup)),
        |[theirs_runsv, _]| {
            let theirs = scenario(&Svc::start(&theirs_runsv, &format!("{name}-runit"), &setup));
            golden.reference(&theirs);
            theirs
        },
    );
    golden.check("our runsv", &mine);
}

#[test]
fn start_up_files() {
    differential(
        "start",
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            svc.snapshot()
        },
    );
}

#[test]
fn down_and_up() {
    differential(
        "downup",
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            let mut out = String::new();
            let (o, e, c) = svc.sv(&["down", "s"]);
            out += &format!("{o}{e}{c}\n");
            svc.wait_stat("", "down\n");
            out += &svc.snapshot();
            svc.sv(&["up", "s"]);
            svc.wait_stat("", "run\n");
            out += &svc.snapshot();
            out
        },
    );
}

/// A service with a `down` file: down at start, then `sv CMD` starts it.
fn started_from_down_file(name: &str, cmd: &'static str, then: &'static str) {
    differential(
        name,
        |s| {
            run_script(s, SLEEPER);
            fs::write(s.join("down"), "").unwrap();
        },
        |svc| {
            svc.wait_stat("", "down\n");
            let mut out = svc.snapshot();
            svc.sv(&[cmd, "s"]);
            svc.wait_stat("", then);
            out += &svc.snapshot();
            out
        },
    );
}

#[test]
fn once() {
    started_from_down_file("once", "once", "run, want down\n");
}

#[test]
fn pause_and_cont() {
    differential(
        "pause",
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            svc.sv(&["pause", "s"]);
            svc.wait_stat("", "run, paused\n");
            let mut out = svc.snapshot();
            let pid = state_pid(&svc.path()).unwrap().1;
            wait_for("stopped", || proc_state(pid) == 'T');
            svc.sv(&["cont", "s"]);
            svc.wait_stat("", "run\n");
            wait_for("continued", || proc_state(pid) != 'T');
            out += &svc.snapshot();
            out
        },
    );
}

fn proc_state(pid: u32) -> char {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .and_then(|r| r.trim_start().chars().next())
        })
        .unwrap_or('?')
}

/// `sv CMD` stops the service's process; runsv starts a new one.
fn restarts_after(cmd: &'static str) {
    differential(
        cmd,
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            let pid = state_pid(&svc.path()).unwrap().1;
            svc.sv(&[cmd, "s"]);
            wait_for("restart with new pid", || {
                state_pid(&svc.path()).is_some_and(|(st, p)| st == 1 && p != pid)
            });
            svc.wait_stat("", "run\n");
            svc.snapshot()
        },
    );
}

#[test]
fn term_restarts() {
    restarts_after("term");
}

#[test]
fn kill_restarts() {
    restarts_after("kill");
}

#[test]
fn exit_command() {
    differential(
        "exit",
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            let (o, e, c) = svc.sv(&["exit", "s"]);
            let mut out = format!("{o}{e}{c}\n");
            let pid = svc.runsv.pid();
            wait_for("runsv exits", || !alive(pid));
            out += &svc.snapshot();
            out
        },
    );
}

#[test]
fn sigterm_to_runsv_is_exit() {
    differential(
        "sigterm",
        |s| run_script(s, SLEEPER),
        |svc| {
            svc.wait_stat("", "run\n");
            svc.runsv.signal(libc::SIGTERM);
            let pid = svc.runsv.pid();
            wait_for("runsv exits", || !alive(pid));
            svc.snapshot()
        },
    );
}

#[test]
fn crash_loop() {
    // Counts restarts in a time window (tests/it/README.md).
    let _serial = common::serial();
    differential(
        "crash",
        |s| run_script(s, "#!/bin/sh\necho x >> starts\nexit 3\n"),
        |svc| {
            wait_for("three starts", || svc.file("starts").lines().count() >= 3);
            svc.sv(&["down", "s"]);
            svc.wait_want(b'd');
            svc.wait_stat("", "down\n");
            let mut snap = svc.snapshot();
            // The one-second throttle: three starts take at least two seconds.
            let n = svc.file("starts").lines().count();
            snap += &format!("starts within bound: {}\n", (3..=5).contains(&n));
            snap
        },
    );
}

#[test]
fn finish_after_exit_code() {
    differential(
        "finish-code",
        |s| {
            run_script(s, "#!/bin/sh\nexit 3\n");
            script(s.join("finish"), "#!/bin/sh\necho \"$@\" >> finished\n");
            fs::write(s.join("down"), "").unwrap();
        },
        |svc| {
            svc.sv(&["once", "s"]);
            wait_for("finish ran", || !svc.file("finished").is_empty());
            svc.wait_stat("", "down\n");
            format!("{}{}", svc.file("finished"), svc.snapshot())
        },
    );
}

#[test]
fn finish_after_signal() {
    differential(
        "finish-signal",
        |s| {
            run_script(s, SLEEPER);
            script(s.join("finish"), "#!/bin/sh\necho \"$@\" >> finished\n");
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.sv(&["down", "s"]);
            wait_for("finish ran", || !svc.file("finished").is_empty());
            svc.wait_stat("", "down\n");
            format!("{}{}", svc.file("finished"), svc.snapshot())
        },
    );
}

#[test]
fn finish_state_is_visible() {
    differential(
        "finishing",
        |s| {
            run_script(s, SLEEPER);
            script(s.join("finish"), "#!/bin/sh\nexec sleep 1000\n");
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.sv(&["down", "s"]);
            svc.wait_stat("", "finish, want down\n");
            wait_for("finish pid", || {
                state_pid(&svc.path()).is_some_and(|(_, p)| p != 0)
            });
            svc.snapshot()
        },
    );
}

#[test]
fn down_file_at_start() {
    started_from_down_file("downfile", "up", "run\n");
}

#[test]
fn log_service() {
    differential(
        "log",
        |s| {
            run_script(s, "#!/bin/sh\necho hello\necho world\nexec sleep 1000\n");
            script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.wait_stat("log", "run\n");
            wait_for("log got lines", || svc.file("log/out") == "hello\nworld\n");
            let mut out = svc.snapshot();
            // The log survives restarts of the main service.
            let log_pid = state_pid(&svc.path().join("log")).unwrap().1;
            svc.sv(&["term", "s"]);
            wait_for("log got lines again", || {
                svc.file("log/out") == "hello\nworld\nhello\nworld\n"
            });
            out += &format!(
                "same log pid: {}\n",
                state_pid(&svc.path().join("log")).unwrap().1 == log_pid
            );
            // Exit: main stops first, then the log gets EOF and runsv exits.
            svc.sv(&["exit", "s"]);
            let pid = svc.runsv.pid();
            wait_for("runsv exits", || !alive(pid));
            out += &svc.snapshot();
            out
        },
    );
}

#[test]
fn log_down_file() {
    differential(
        "logdown",
        |s| {
            run_script(s, SLEEPER);
            script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
            fs::write(s.join("log/down"), "").unwrap();
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.wait_stat("log", "down\n");
            let mut out = svc.snapshot();
            svc.sv(&["up", "s/log"]);
            svc.wait_stat("log", "run\n");
            out += &svc.snapshot();
            out
        },
    );
}

#[test]
fn control_override_scripts() {
    differential(
        "control",
        |s| {
            run_script(s, SLEEPER);
            // control/t handles the stop itself (exit 0): no TERM is sent.
            script(
                s.join("control/t"),
                "#!/bin/sh\necho t >> ../controlled\nexit 0\n",
            );
            script(
                s.join("control/h"),
                "#!/bin/sh\necho h >> ../controlled\nexit 0\n",
            );
            script(s.join("control/d"), "#!/bin/sh\necho d >> ../controlled\n");
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.sv(&["hup", "s"]);
            wait_for("control/h ran", || svc.file("../controlled").contains('h'));
            svc.sv(&["down", "s"]);
            wait_for("control/d ran", || svc.file("../controlled").contains('d'));
            svc.wait_stat("", "run, want down\n");
            let out = format!("{}{}", svc.file("../controlled"), svc.snapshot());
            let _ = fs::remove_file(svc.path().join("../controlled"));
            out
        },
    );
}

#[test]
fn kill_while_finishing_runs_finish_twice() {
    // runit's quirk (doc/runit/quirks.md #1): `k` during finish records "down" without killing
    // finish, so when finish exits it is taken for a run exit.
    differential(
        "k-finish",
        |s| {
            run_script(s, SLEEPER);
            script(
                s.join("finish"),
                "#!/bin/sh\necho \"$@\" >> finished\nexec sleep 0.3\n",
            );
        },
        |svc| {
            svc.wait_stat("", "run\n");
            svc.sv(&["down", "s"]);
            svc.wait_stat("", "finish, want down\n");
            // Once finish has written its line (on a loaded machine the `k`
            // could otherwise come first).
            wait_for("finish once", || svc.file("finished").lines().count() == 1);
            use std::io::Write;
            fs::OpenOptions::new()
                .write(true)
                .open(svc.path().join("supervise/control"))
                .unwrap()
                .write_all(b"k")
                .unwrap();
            wait_for("finish twice", || svc.file("finished").lines().count() == 2);
            svc.wait_stat("", "down\n");
            format!("{}{}", svc.file("finished"), svc.snapshot())
        },
    );
}

#[test]
fn log_finish_is_never_run() {
    differential(
        "logfinish",
        |s| {
            run_script(s, SLEEPER);
            script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
            script(
                s.join("log/finish"),
                "#!/bin/sh\necho ran >> ../logfinished\n",
            );
            script(
                s.join("log/control/t"),
                "#!/bin/sh\necho ran >> ../logcontrolled\n",
            );
        },
        |svc| {
            svc.wait_stat("log", "run\n");
            let log = svc.path().join("log");
            let old = state_pid(&log).map(|(_, p)| p);
            svc.sv(&["term", "s/log"]);
            // A new log process: the old `run` stat alone could be seen
            // before runsv has read the `t`.
            wait_for("log restarted", || {
                svc.stat("log") == "run\n"
                    && state_pid(&log).is_some_and(|(s, p)| s == 1 && Some(p) != old)
                    && svc.file("log/out").is_empty()
            });
            svc.sv(&["exit", "s"]);
            let pid = svc.runsv.pid();
            wait_for("runsv exits", || !alive(pid));
            format!(
                "finish ran: {:?}, control ran: {:?}\n{}",
                svc.file("logfinished"),
                svc.file("logcontrolled"),
                svc.snapshot()
            )
        },
    );
}

#[test]
fn control_u_runs_before_every_start() {
    differential(
        "control-u",
        |s| {
            run_script(s, "#!/bin/sh\necho run >> ../events\nexit 0\n");
            script(
                s.join("control/u"),
                "#!/bin/sh\necho control-u >> ../events\n",
            );
            fs::write(s.join("down"), "").unwrap();
        },
        |svc| {
            svc.sv(&["once", "s"]);
            wait_for("ran once", || svc.file("../events").lines().count() >= 2);
            svc.wait_stat("", "down\n");
            svc.sv(&["once", "s"]);
            wait_for("ran twice", || svc.file("../events").lines().count() >= 4);
            svc.wait_stat("", "down\n");
            let out = svc.file("../events");
            let _ = fs::remove_file(svc.path().join("../events"));
            out
        },
    );
}

#[test]
fn log_supervise_symlink() {
    differential(
        "logsymlink",
        |s| {
            run_script(s, SLEEPER);
            script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
            std::os::unix::fs::symlink("../../logsup", s.join("log/supervise")).unwrap();
        },
        |svc| {
            svc.wait_stat("log", "run\n");
            svc.wait_stat("", "run\n");
            format!(
                "target made: {}\n{}",
                svc.path().join("../logsup/status").exists(),
                svc.snapshot()
            )
        },
    );
}
