//! A phusion/baseimage-shaped /etc/service tree runs unchanged under
//! runit-rs, end to end: booted with `runsvdir -P` under a small init in a PID
//! namespace, shut down the way phusion's my_init does, and compared with the
//! same tree under Debian's runit binaries.

use crate::common;

use common::*;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// my_init's force-stop timeout. phusion's default is larger; the stubborn
/// service costs exactly this long, so the test keeps it short.
const KILL_TIMEOUT: u32 = 3;
/// Lines the `app` service prints.
const APP_LINES: usize = 500;

/// Which suite's binaries are first in PATH.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Suite {
    Ours,
    Runit,
}

impl Suite {
    fn path(self) -> String {
        match self {
            Suite::Ours => test_path(),
            Suite::Runit => runit_path(),
        }
    }
}

struct Tree {
    dir: TestDir,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let dir = TestDir::new(name);
        let t = Tree { dir };
        t.build();
        t
    }

    fn root(&self) -> PathBuf {
        self.dir.path.clone()
    }

    fn service(&self, name: &str) -> PathBuf {
        self.dir.join("etc/service").join(name)
    }

    fn build(&self) {
        let root = self.root();
        let sv = |n: &str| self.service(n);
        let svlogd_run = "#!/bin/sh\nexec svlogd -tt ./main\n";
        let log = |n: &str, config: &str| {
            script(sv(n).join("log/run"), svlogd_run);
            fs::create_dir_all(sv(n).join("log/main")).unwrap();
            fs::write(sv(n).join("log/main/config"), config).unwrap();
        };
        // Drops to nobody with chpst, prints a known set of lines, then idles.
        script(
            sv("app").join("run"),
            &format!(
                "#!/bin/sh\nexec 2>&1\nexec chpst -u nobody sh -c 'echo \"app runs as $(id -un)\"; \
                 i=1; while [ $i -le {APP_LINES} ]; do echo \"app line $i\"; i=$((i+1)); done; exec sleep 1000'\n"
            ),
        );
        log("app", "s4096\nn20\n");
        // Prints until stopped; every line it printed is also in `truth`.
        script(
            sv("ticker").join("run"),
            &format!(
                "#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo \"tick $i\"; echo \"tick $i\" >> {}/truth; sleep 0.01; done\n",
                root.display()
            ),
        );
        log("ticker", "s100000\nn5\n");
        // Down at boot.
        script(sv("idle").join("run"), "#!/bin/sh\nexec sleep 1000\n");
        fs::write(sv("idle").join("down"), "").unwrap();
        // A finish script that records its arguments.
        script(
            sv("worker").join("run"),
            "#!/bin/sh\necho worker up\nexec sleep 1000\n",
        );
        script(
            sv("worker").join("finish"),
            &format!(
                "#!/bin/sh\necho \"finish $*\" >> {}/finished\n",
                root.display()
            ),
        );
        log("worker", "s100000\n");
        // Starts late.
        script(
            sv("late").join("run"),
            "#!/bin/sh\nsleep 1\necho late up\nexec sleep 1000\n",
        );
        log("late", "s100000\n");
        // Ignores SIGTERM: only the kill after the timeout stops it.
        script(
            sv("stubborn").join("run"),
            "#!/bin/sh\ntrap '' TERM\necho up > trapped\nexec sleep 1000\n",
        );
        // The init: runsvdir -P, and my_init's shutdown on SIGTERM.
        script(
            root.join("init"),
            &format!(
                r#"#!/bin/sh
S={root}/etc/service
runsvdir -P $S &
RSD=$!
shutdown() {{
  sv -w {KILL_TIMEOUT} force-stop $S/* > {root}/shutdown.out 2>&1
  while sv status $S/* | grep -q '^run:'; do sleep 0.1; done
  kill -TERM $RSD
  wait $RSD
  echo "runsvdir exit $?" >> {root}/shutdown.out
  kill -TERM -1 2>/dev/null
  # Reap until nothing but this init is left.
  i=0
  while [ $i -lt 200 ]; do
    wait
    left=$(ls /proc | grep -E '^[0-9]+$' | grep -vx 1 | grep -vx $$ | while read p; do [ -r /proc/$p/stat ] && echo $p; done)
    [ -z "$left" ] && break
    sleep 0.05; i=$((i+1))
  done
  ps -e -o pid=,stat=,args= 2>/dev/null | grep -v -E "ps -e|grep|^ *1 " > {root}/leftover || true
  echo done >> {root}/shutdown.out
  exit 0
}}
trap shutdown TERM
while :; do sleep 1 & wait $!; done
"#,
                root = root.display()
            ),
        );
    }

    /// Boots the tree under `unshare --pid --fork --mount-proc`.
    fn boot(&self, suite: Suite) -> Proc {
        let mut cmd = Command::new("unshare");
        cmd.args(common::PID_NAMESPACE)
            .arg(self.root().join("init"))
            .env_clear()
            .env("PATH", suite.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = cmd.arg0("unshare");
        Proc::start(cmd)
    }

    fn file(&self, p: impl AsRef<Path>) -> String {
        fs::read_to_string(self.root().join(p)).unwrap_or_default()
    }

    /// All of a log directory's lines: rotated files in order, then `current`.
    fn log_lines(&self, service: &str) -> Vec<String> {
        let dir = self.service(service).join("log/main");
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map(|r| {
                r.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.retain(|n| n.starts_with('@'));
        names.sort();
        names.push("current".into());
        names
            .iter()
            .flat_map(|n| {
                fs::read_to_string(dir.join(n))
                    .unwrap_or_default()
                    .lines()
                    .map(strip_stamp)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Waits until every service that should run is up and has logged.
    fn wait_up(&self) {
        for s in ["app", "ticker", "worker", "late", "stubborn"] {
            wait_for(&format!("{s} running"), || {
                state_pid(&self.service(s)).is_some_and(|(st, _)| st == 1)
            });
        }
        wait_for("app logged", || {
            self.log_lines("app").len() == APP_LINES + 1
        });
        wait_for("late logged", || {
            self.log_lines("late").contains(&"late up".to_string())
        });
        wait_for("worker logged", || {
            self.log_lines("worker").contains(&"worker up".to_string())
        });
        wait_for("ticker logged", || self.log_lines("ticker").len() > 5);
        // TERM is ignored only once the stubborn service's trap is set.
        wait_for("stubborn trapped", || {
            self.file("etc/service/stubborn/trapped") == "up\n"
        });
    }

    /// `sv status` of every service with that suite's sv, pids and seconds masked.
    fn status(&self, suite: Suite) -> String {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cd etc/service && sv status *"])
            .current_dir(self.root())
            .env_clear()
            .env("SVDIR", self.root().join("etc/service"))
            .env("PATH", suite.path());
        mask_sv(&text(&run(cmd)).0)
    }

    /// Sends SIGTERM to the namespace's PID 1, as `docker stop` does.
    fn stop(&self, unshare: &mut Proc) {
        let children = fs::read_to_string(format!("/proc/{0}/task/{0}/children", unshare.pid()))
            .unwrap_or_default();
        let init: i32 = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .expect("init pid");
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(init),
            nix::sys::signal::Signal::SIGTERM,
        );
        let mut status = None;
        assert!(
            wait_until(std::time::Duration::from_secs(40), || {
                status = unshare.try_exit();
                status.is_some()
            }),
            "the container did not stop"
        );
        assert!(status.unwrap().success(), "init exit status");
    }
}

/// Drops svlogd -tt's `YYYY-MM-DD_HH:MM:SS.xxxxx ` prefix.
fn strip_stamp(line: &str) -> String {
    let b = line.as_bytes();
    match line.split_once(' ') {
        Some((stamp, rest))
            if b.len() > 20 && b[4] == b'-' && b[10] == b'_' && stamp.len() < 32 =>
        {
            rest.to_string()
        }
        _ => line.to_string(),
    }
}

fn can_run(name: &str) -> bool {
    if !Path::new("/usr/bin/unshare").exists() || !nix::unistd::geteuid().is_root() {
        crate::reference::unavailable(name, "needs root and unshare");
        return false;
    }
    true
}

#[test]
fn boots_logs_and_shuts_down_like_my_init() {
    if !can_run("phusion tree") {
        return;
    }
    // A whole phusion tree in a PID namespace (tests/it/README.md).
    let _serial = common::serial();
    let tree = Tree::new("phusion");
    let mut container = tree.boot(Suite::Ours);
    tree.wait_up();
    let status = tree.status(Suite::Ours);
    for s in ["app", "ticker", "worker", "late", "stubborn"] {
        assert!(
            status.contains(&format!("run: {s}: (pid N) Ns")),
            "{s} in:\n{status}"
        );
    }
    assert!(status.contains("down: idle: Ns\n"), "{status}");
    tree.stop(&mut container);

    let shutdown = tree.file("shutdown.out");
    let killed = shutdown
        .lines()
        .any(|l| l.starts_with("kill: run: ") && l.contains("/stubborn: (pid "));
    assert!(
        killed,
        "the stubborn service is killed after the timeout:\n{shutdown}"
    );
    assert!(shutdown.contains("runsvdir exit 0"), "{shutdown}");
    assert!(shutdown.ends_with("done\n"), "{shutdown}");
    assert_eq!(tree.file("finished"), "finish -1 15\n");
    assert_eq!(tree.file("leftover"), "", "processes left at the end");
    // Every line is in the logs, once, in order.
    let app = tree.log_lines("app");
    assert_eq!(app[0], "app runs as nobody");
    for (i, line) in app[1..].iter().enumerate() {
        assert_eq!(line, &format!("app line {}", i + 1));
    }
    let truth: Vec<String> = tree.file("truth").lines().map(str::to_string).collect();
    let ticked = tree.log_lines("ticker");
    assert!(truth.len() > 5);
    assert!(
        ticked.len() >= truth.len() && ticked[..truth.len()] == truth[..],
        "ticker lost lines"
    );
    for s in ["app", "ticker", "worker", "late"] {
        let st = fs::read_to_string(tree.service(s).join("log/supervise/stat")).unwrap_or_default();
        assert_eq!(st, "down\n", "{s}'s log service stopped");
    }
}

#[test]
fn same_status_and_logs_under_debians_runit() {
    if !can_run("phusion swap") {
        return;
    }
    let _serial = common::serial();
    for p in ["runsvdir", "runsv", "sv", "chpst", "svlogd"] {
        if theirs_or_skip(p, "phusion swap").is_none() {
            return;
        }
    }
    let boot = |suite: Suite| {
        let tree = Tree::new(&format!("swap-{suite:?}"));
        let mut container = tree.boot(suite);
        tree.wait_up();
        let status = tree.status(suite);
        tree.stop(&mut container);
        let logs: Vec<(String, Vec<String>)> = ["app", "worker", "late"]
            .iter()
            .map(|s| (s.to_string(), tree.log_lines(s)))
            .collect();
        let files: Vec<usize> = ["app", "worker", "late"]
            .iter()
            .map(|s| {
                fs::read_dir(tree.service(s).join("log/main"))
                    .map(|r| r.count())
                    .unwrap_or(0)
            })
            .collect();
        (status, logs, files, tree.file("finished"))
    };
    let (theirs, ours_result) = std::thread::scope(|scope| {
        let t = scope.spawn(|| boot(Suite::Runit));
        let o = boot(Suite::Ours);
        (t.join().expect("runit side"), o)
    });
    assert_eq!(ours_result.0, theirs.0, "sv status lines");
    assert_eq!(ours_result.1, theirs.1, "log lines");
    assert_eq!(ours_result.2, theirs.2, "log file counts");
    assert_eq!(ours_result.3, theirs.3, "finish arguments");
}
