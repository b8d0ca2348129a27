//! Helpers shared by the chpst tests: links named after a personality to our
//! chpst and to Debian's, a probe that prints the process state, and a runner
//! that runs one scenario under both and compares.

use crate::common::{self, clean_command, ours, TestDir};
use crate::reference;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What a scenario printed: stdout, stderr, exit code.
pub type Out = (String, String, i32);

/// A shell command printing the state chpst changes: credentials,
/// capabilities, signals, limits, nice value, session, cwd, root, open
/// descriptors and the environment (in order). `$$` is the probe itself,
/// since chpst execs it in place; its status is read by grep for itself
/// (`/proc/self`): a shell blocks all signals while it waits for a child.
pub const PROBE: &str = r#"grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|SigIgn|SigBlk|NoNewPrivs)' /proc/self/status
cat /proc/$$/limits
set -- $(cat /proc/$$/stat | sed 's/.*) //')
echo "nice=${17} session_leader=$([ "$4" = $$ ] && echo yes || echo no)"
echo "cwd=$(pwd -P) root=$(readlink /proc/$$/root)"
for f in /proc/$$/fd/*; do echo "fd ${f##*/} $(readlink "$f" | sed 's/\[[0-9]*\]/[N]/')"; done
env | grep -v '^RUNIT_RS_TEST_TAG='"#;

/// The two binaries under one basename: `dir/ours/<name>` and
/// `dir/theirs/<name>`, links to our chpst and Debian's. Without Debian's
/// runit (a visible note, a failure under RUNIT_RS_REQUIRE_REFERENCE=1)
/// there is only ours: see `crate::reference`.
pub struct Pair {
    pub ours: PathBuf,
    pub theirs: Option<PathBuf>,
    test: String,
}

impl Pair {
    pub fn new(t: &TestDir, name: &str, test: &str) -> Pair {
        let theirs = reference::runit("chpst", test);
        Pair {
            ours: link(t, "ours", name, shared_copy()),
            theirs: theirs.map(|theirs| link(t, "theirs", name, &theirs)),
            test: test.to_string(),
        }
    }

    /// Ours, and Debian's when installed.
    pub fn bins(&self) -> Vec<&Path> {
        std::iter::once(self.ours.as_path())
            .chain(self.theirs.as_deref())
            .collect()
    }

    /// Runs the scenario built by `cmd` (given the binary) under ours and,
    /// when installed, Debian's; asserts that they behave the same; returns
    /// ours, for the caller to check against the expected result.
    pub fn same(&self, what: &str, cmd: impl Fn(&Path) -> Command) -> Out {
        let run = |bin: &Path| untagged(common::text(&common::run(cmd(bin))));
        reference::same(
            &format!("{} ({what})", self.test),
            self.theirs.as_deref(),
            || run(&self.ours),
            run,
        )
    }

    /// `binary args...` in a clean environment, in directory `cwd`.
    pub fn same_args(&self, what: &str, cwd: &Path, args: &[&str]) -> Out {
        self.same(what, |bin| {
            let mut c = clean_command(bin);
            c.args(args).current_dir(cwd);
            c
        })
    }
}

/// Output without the harness's per-process tag variable (from `env`).
fn untagged(mut out: Out) -> Out {
    out.0 = out
        .0
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("RUNIT_RS_TEST_TAG="))
        .collect();
    out
}

/// One copy of our chpst per test process, outside the build tree, so that
/// tests dropping to nobody can run it wherever the build tree is. Other
/// test threads fork meanwhile and may briefly hold the copy's write
/// descriptor (ETXTBSY): the copy is run until it runs once before use.
pub fn shared_copy() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let base = std::env::temp_dir().join("runit-rs-tests");
        remove_stale_copies(&base);
        let dir = base.join(format!("chpst-bin-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        open_up(dir.parent().unwrap(), 0o755);
        open_up(&dir, 0o755);
        let p = dir.join("chpst");
        fs::copy(ours("chpst"), &p).unwrap();
        open_up(&p, 0o755);
        let runs = || {
            Command::new(&p)
                .arg("true")
                .status()
                .is_ok_and(|s| s.success())
        };
        assert!(
            common::wait_until(common::DEADLINE, runs),
            "the copy of chpst never ran"
        );
        p
    })
}

/// Copies left by test processes that are gone.
fn remove_stale_copies(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("chpst-bin-") else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// `t/<side>/<name>` -> `target`.
pub fn link(t: &TestDir, side: &str, name: &str, target: &Path) -> PathBuf {
    let dir = t.join(side);
    fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = fs::remove_file(&p);
    symlink(target, &p).unwrap();
    p
}

/// Runs `bin args...` through `sh -c` so that the shell can prepare the
/// process first (`prep`, e.g. `exec <&-` or `trap '' PIPE`). The binary is
/// `$1`; the shell's own name is `sh` for both sides.
pub fn via_shell(bin: &Path, prep: &str, args: &str) -> Command {
    let mut c = clean_command("/bin/sh");
    c.arg("-c")
        .arg(format!("{prep}\nexec \"$1\" {args}"))
        .arg("sh")
        .arg(bin);
    c
}

/// Runs `bin args...` as a child of a shell, so that it is not a process
/// group leader (setsid works) and is in the test directory `cwd`.
pub fn as_child(bin: &Path, cwd: &Path, args: &str) -> Command {
    let mut c = clean_command("/bin/sh");
    c.arg("-c")
        .arg(format!("\"$1\" {args}; exit $?"))
        .arg("sh")
        .arg(bin)
        .current_dir(cwd);
    c
}

/// Makes `path` world-traversable/readable (tests that drop to nobody).
pub fn open_up(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A minimal root directory: `/bin/sh` (dash), `/bin/id` and their
/// libraries, plus whatever `etc` files are given.
pub fn mini_root(t: &TestDir, etc: &[(&str, &str)]) -> PathBuf {
    let root = t.join("root");
    for (bin, inside) in [("/bin/dash", "bin/sh"), ("/usr/bin/id", "bin/id")] {
        copy_with_libs(&root, Path::new(bin), inside);
    }
    for (name, content) in etc {
        let p = root.join("etc").join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    open_up(&root, 0o755);
    root
}

fn copy_with_libs(root: &Path, bin: &Path, inside: &str) {
    let dest = root.join(inside);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::copy(bin, &dest).unwrap();
    let ldd = Command::new("ldd").arg(bin).output().unwrap();
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let lib = line
            .split_whitespace()
            .find(|w| w.starts_with('/'))
            .map(PathBuf::from);
        if let Some(lib) = lib {
            let d = root.join(lib.strip_prefix("/").unwrap());
            fs::create_dir_all(d.parent().unwrap()).unwrap();
            if !d.exists() {
                fs::copy(&lib, &d).unwrap();
            }
        }
    }
}

/// Starts ours and Debian's (when installed) with `args` (`-l lk ...`, `setlock -n lk ...`),
/// each appending its pid to `waited`, while `holder` holds `lk`: both must
/// block with the lock file open, and both run once the holder is gone.
pub fn both_wait_for_lock(t: &TestDir, bins: &[&Path], args: &[&str], holder: common::Proc) {
    let mut waiters = Vec::new();
    for bin in bins {
        let mut c = clean_command(bin);
        c.args(args)
            .args(["sh", "-c", "echo $$ >> waited"])
            .current_dir(&t.path);
        waiters.push(common::Proc::start(c));
    }
    for w in &waiters {
        let fd3 = format!("/proc/{}/fd/3", w.pid());
        common::wait_for("waiter opened the lock", || {
            fs::read_link(&fd3).is_ok_and(|l| l == t.join("lk"))
        });
    }
    assert!(!t.join("waited").exists());
    drop(holder);
    for w in &mut waiters {
        assert!(w.wait_exit().success());
    }
    let waited = fs::read_to_string(t.join("waited")).unwrap_or_default();
    assert_eq!(waited.lines().count(), bins.len());
}
