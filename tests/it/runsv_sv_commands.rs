//! Debian's sv drives our runsv with every command it has, with the same
//! output and exit codes as against Debian's runsv, and as in the golden
//! transcript `golden/runsv_sv_commands/every_sv_command.txt`, recorded from
//! Debian's sv and runsv (re-record: `crate::golden`). Without Debian's
//! runit, our sv drives our runsv and must give that transcript.

use crate::common;
use crate::golden::Golden;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};

struct Tree {
    dir: TestDir,
    _runsv: Proc,
    runsv_pid: i32,
}

impl Tree {
    fn start(runsv: &Path, name: &str) -> Tree {
        let dir = TestDir::new(name);
        let s = dir.join("s");
        script(
            s.join("run"),
            "#!/bin/sh\necho started >> ../starts\nexec sleep 1000\n",
        );
        script(s.join("log/run"), "#!/bin/sh\nexec cat > out\n");
        let mut cmd = clean_command(runsv);
        cmd.arg("s").current_dir(&dir.path);
        let p = Proc::start(cmd);
        let pid = p.pid();
        let t = Tree {
            dir,
            _runsv: p,
            runsv_pid: pid,
        };
        t.settle_run(0);
        t
    }

    fn s(&self) -> PathBuf {
        self.dir.join("s")
    }

    fn sv(&self, args: &[&str]) -> String {
        // Debian's sv; ours when Debian's runit is not installed.
        let mut cmd = clean_command(theirs("sv").unwrap_or_else(|| ours("sv")));
        cmd.args(args)
            .env("SVDIR", &self.dir.path)
            .current_dir(&self.dir.path);
        let (o, e, c) = text(&run(cmd));
        format!(
            "$ sv {}\n{}{}exit {c}\n",
            args.join(" "),
            mask_sv(&o),
            mask_sv(&e)
        )
    }

    fn stat(&self) -> String {
        fs::read_to_string(self.s().join("supervise/stat")).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        state_pid(&self.s()).map(|(_, p)| p).unwrap_or(0)
    }

    /// Waits for "run" with a pid other than `old` (0: any pid).
    fn settle_run(&self, old: u32) {
        wait_for("run", || {
            self.stat() == "run\n"
                && state_pid(&self.s()).is_some_and(|(st, p)| st == 1 && p != 0 && p != old)
        });
    }

    /// Waits for `stat` and a status record that agrees with it: state,
    /// want and paused bytes. runsv replaces `status` after `stat`, and sv
    /// sends no `u` while the record's want byte already reads `u` (sv.md §4):
    /// the next step must not read the previous record.
    fn settle(&self, stat: &str) {
        wait_for(stat, || self.stat() == stat);
        let run = stat.starts_with("run");
        let want = if stat.contains("want down") || (!run && !stat.contains("want up")) {
            b'd'
        } else {
            b'u'
        };
        wait_for("status agrees", || {
            status(&self.s()).is_some_and(|st| {
                st.state == u8::from(run) && st.want == want && st.paused == stat.contains("paused")
            })
        });
    }
}

/// The command sequence; each step names what to wait for afterwards.
fn scenario(t: &Tree) -> String {
    let mut out = String::new();
    let mut step = |args: &[&str], after: &str| {
        let old = t.pid();
        out += &t.sv(args);
        match after {
            "new" => t.settle_run(old),
            "gone" => wait_for("runsv exits", || !alive(t.runsv_pid)),
            "" => {}
            s => t.settle(s),
        }
    };
    step(&["status", "s"], "");
    step(&["up", "s"], "run\n");
    step(&["-v", "down", "s"], "down\n");
    step(&["-v", "up", "s"], "run\n");
    step(&["once", "s"], "run, want down\n");
    step(&["up", "s"], "run\n");
    step(&["-v", "pause", "s"], "run, paused\n");
    step(&["-v", "cont", "s"], "run\n");
    for sig in [
        "hup",
        "alarm",
        "interrupt",
        "quit",
        "1",
        "2",
        "term",
        "kill",
    ] {
        step(&[sig, "s"], "new");
    }
    step(&["-w", "5", "stop", "s"], "down\n");
    step(&["-w", "5", "start", "s"], "run\n");
    step(&["-w", "5", "reload", "s"], "new");
    step(&["-w", "5", "check", "s"], "run\n");
    step(&["-w", "5", "try-restart", "s"], "new");
    step(&["-w", "5", "force-reload", "s"], "new");
    step(&["-w", "5", "force-stop", "s"], "down\n");
    step(&["-w", "5", "check", "s"], "down\n");
    step(&["-w", "5", "restart", "s"], "new");
    step(&["-w", "5", "force-restart", "s"], "new");
    step(&["status", "s", "s/log"], "");
    step(&["-w", "5", "shutdown", "s/log"], "");
    step(&["-w", "5", "force-shutdown", "s"], "gone");
    step(&["status", "s"], "");
    step(&["up", "s"], "");
    step(&["-w", "1", "exit", "s"], "");
    out
}

#[test]
fn every_sv_command_against_both_runsvs() {
    let name = "every sv command";
    let golden = Golden::new("runsv_sv_commands", name);
    let reference = crate::reference::runit_all(["runsv", "sv"], name);
    // The two sides are independent: run them at the same time.
    let (reference, ours_out) = std::thread::scope(|scope| {
        let theirs = reference
            .map(|[runsv, _]| scope.spawn(move || scenario(&Tree::start(&runsv, "svcmd-runit"))));
        let mine = scenario(&Tree::start(&ours("runsv"), "svcmd-ours"));
        (theirs.map(|t| t.join().expect("runit side")), mine)
    });
    if let Some(reference) = reference {
        golden.reference(&reference);
        assert_eq!(ours_out, reference);
    }
    golden.check("our runsv", &ours_out);
    if std::env::var_os("SHOW_OUTPUT").is_some() {
        eprintln!("{ours_out}");
    }
}
