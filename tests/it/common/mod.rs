//! The harness for tests that start real processes.
//!
//! - [`TestDir`]: a fresh directory per test, removed on success, kept on
//!   failure or when `KEEP_TEST_DIRS` is set.
//! - [`Proc`]: a started program in its own process group, tagged through its
//!   environment; dropping it kills the group, reaps the child and sweeps
//!   `/proc` for any tagged process that escaped (setsid), even on panic.
//! - [`wait_until`]: polling with a deadline, never a fixed sleep.
//! - [`ours`] / [`theirs`]: our binaries and Debian's runit ones (whether
//!   a reference is installed is `crate::reference`'s answer).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Default deadline for a probe: failures are slow, passes are fast.
pub const DEADLINE: Duration = Duration::from_secs(10);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(name: &str) -> String {
    format!(
        "{}-{}-{}",
        name,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Polls `probe` every few milliseconds until it returns true or `timeout`
/// passes. Returns whether it became true.
pub fn wait_until(timeout: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if probe() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Like [`wait_until`] with the default deadline, panicking with `what` on timeout.
pub fn wait_for(what: &str, probe: impl FnMut() -> bool) {
    assert!(wait_until(DEADLINE, probe), "timed out waiting for: {what}");
}

/// The serial group. The integration tests are one binary whose tests run as
/// threads, four at a time (`--test-threads=4` in scripts/test.sh), each
/// beside any other. A test that starts a whole process tree in a PID
/// namespace, or whose expected result depends on a time window, holds this
/// guard for its duration (`let _serial = common::serial();`), so that no
/// two of them overlap; the others run beside them. tests/it/README.md lists
/// the holders and why.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A holder that failed poisons the lock; the next one runs anyway.
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh directory for one test.
pub struct TestDir {
    pub path: PathBuf,
}

impl TestDir {
    pub fn new(name: &str) -> TestDir {
        let base = std::env::temp_dir().join("runit-rs-tests");
        let path = base.join(unique(name));
        fs::create_dir_all(&path).expect("create test dir");
        // World-traversable, so that tests dropping privileges can reach it.
        let _ = fs::set_permissions(&base, fs::Permissions::from_mode(0o755));
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o755));
        TestDir { path }
    }

    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("KEEP_TEST_DIRS").is_some() {
            eprintln!("test directory kept: {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes an executable script.
pub fn script(path: impl AsRef<Path>, body: &str) {
    let path = path.as_ref();
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create script dir");
    }
    fs::write(path, body).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod script");
}

/// Path of one of our binaries, built by cargo for integration tests.
pub fn ours(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/<name>
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join(name)
}

/// Path of Debian's runit binary `name`, if installed (no note: for a
/// second program after [`theirs_or_skip`] found the first).
pub fn theirs(name: &str) -> Option<PathBuf> {
    crate::reference::runit_path(name)
}

/// Debian's runit binary, or None after a visible note (a failure under
/// `RUNIT_RS_REQUIRE_REFERENCE=1`): see `crate::reference`.
#[track_caller]
pub fn theirs_or_skip(name: &str, test: &str) -> Option<PathBuf> {
    crate::reference::runit(name, test)
}

/// `unshare`'s options for a private PID namespace with its own /proc, the
/// way every test runs a PID 1 (`docker stop` is a TERM to it from outside).
pub const PID_NAMESPACE: [&str; 3] = ["--pid", "--fork", "--mount-proc"];
/// With [`PID_NAMESPACE`]: a private mount namespace, so bind mounts (a
/// private /etc) stay inside.
pub const PRIVATE_MOUNTS: [&str; 3] = ["--mount", "--propagation", "private"];

/// A clean environment: only PATH (ours first, so that programs we start find
/// our binaries), plus whatever the caller adds.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    c.env("PATH", test_path());
    c
}

/// PATH with our binaries' directory first.
pub fn test_path() -> String {
    format!(
        "{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        ours("runsv").parent().unwrap().display()
    )
}

/// PATH with Debian's runit binaries (and not ours).
pub fn runit_path() -> String {
    "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".to_string()
}

/// `sh -c SCRIPT` in a private mount namespace (root only), so that a test
/// can mount a tmpfs over a system directory without touching the real one.
pub fn private_mount_shell(script: &str) -> Command {
    let mut c = clean_command("/usr/bin/unshare");
    c.args([
        "--mount",
        "--propagation",
        "private",
        "/bin/sh",
        "-c",
        script,
    ]);
    c
}

/// A started process, killed with everything it started when dropped.
pub struct Proc {
    pub child: Child,
    tag: String,
}

const TAG_VAR: &str = "RUNIT_RS_TEST_TAG";

impl Proc {
    /// Starts `cmd` in a new process group, tagged for the final sweep.
    pub fn start(mut cmd: Command) -> Proc {
        let tag = unique("proc");
        cmd.env(TAG_VAR, &tag).process_group(0);
        let child = cmd.spawn().expect("spawn");
        Proc { child, tag }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Whether the process has exited (reaping it if so), with its status.
    pub fn try_exit(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the process to exit within the deadline.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut status = None;
        wait_for("process exit", || {
            status = self.try_exit();
            status.is_some()
        });
        status.unwrap()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY-free: libc::kill through nix.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::try_from(sig).unwrap(),
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::sys::wait::{waitid, Id, WaitPidFlag};
        use nix::unistd::Pid;
        // The group id is the leader's pid. Until the leader is reaped
        // (WNOWAIT: it stays a zombie), and while any member lives, the
        // kernel does not hand that number out again. Once the leader is
        // reaped (a test waited for it) and a process has its pid, that is
        // someone else's process, probably another test's group leader (pids
        // wrap at 32768 here): its group is not ours to kill.
        let pid = self.pid();
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        let reaped = waitid(Id::Pid(Pid::from_raw(pid)), flags).is_err();
        if !reaped || !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill_tagged(&self.tag);
    }
}

/// SIGKILLs every process whose environment carries `tag` (repeat until none).
pub fn kill_tagged(tag: &str) {
    let needle = format!("{TAG_VAR}={tag}");
    for _ in 0..50 {
        let pids = tagged_pids(&needle);
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every pid in /proc, as this process sees them.
pub fn all_pids() -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .collect()
}

fn tagged_pids(needle: &str) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == needle.as_bytes()))
        })
        .collect()
}

/// Runs a command to completion with a deadline, returning its output.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = Proc::start(cmd);
    let mut status = None;
    let ok = wait_until(Duration::from_secs(60), || {
        status = p.try_exit();
        status.is_some()
    });
    assert!(ok, "command did not finish within 60 s");
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    if let Some(mut o) = p.child.stdout.take() {
        let _ = o.read_to_end(&mut stdout);
    }
    if let Some(mut e) = p.child.stderr.take() {
        let _ = e.read_to_end(&mut stderr);
    }
    Output {
        status: status.unwrap(),
        stdout,
        stderr,
    }
}

/// stdout, stderr and exit code of an output, as text.
pub fn text(o: &Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

/// The 20 status bytes of a service directory's `supervise/status` (or None).
pub fn status_bytes(svdir: &Path) -> Option<Vec<u8>> {
    fs::read(svdir.join("supervise/status"))
        .ok()
        .filter(|b| b.len() == 20)
}

/// A service directory's `supervise/status`, decoded (or None).
pub fn status(svdir: &Path) -> Option<runit::status::Status> {
    status_bytes(svdir).and_then(|b| runit::status::Status::decode(&b))
}

/// State byte and pid of a service.
pub fn state_pid(svdir: &Path) -> Option<(u8, u32)> {
    status(svdir).map(|st| (st.state, st.pid))
}

/// Status bytes with the time and pid masked (time zero, pid 1 when there
/// is one), keeping whether a pid is present.
pub fn masked_status(b: &[u8]) -> Vec<u8> {
    let mut st = runit::status::Status::decode(b).expect("a 20-byte status record");
    st.time = runit::tai::Tai64n { secs: 0, nanos: 0 };
    st.pid = u32::from(st.pid != 0);
    st.encode().to_vec()
}

/// sv output with pids and seconds masked: `(pid 123) 4s` -> `(pid N) Ns`.
pub fn mask_sv(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if s[i..].starts_with("(pid ") {
            out.push_str("(pid N)");
            i += 5;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            i += 1; // ')'
            continue;
        }
        if b[i].is_ascii_digit() && (i == 0 || b[i - 1] == b' ') {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j < b.len()
                && b[j] == b's'
                && (j + 1 == b.len() || b[j + 1] == b',' || b[j + 1] == b'\n' || b[j + 1] == b';')
            {
                out.push_str("Ns");
                i = j + 1;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Whether `/proc/PID` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// Whether a writer can open `supervise/ok` (a runsv is alive there).
pub fn runsv_alive(svdir: &Path) -> bool {
    fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(svdir.join("supervise/ok"))
        .is_ok()
}

use std::os::unix::fs::OpenOptionsExt;
