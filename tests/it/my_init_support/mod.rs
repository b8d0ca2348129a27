//! The harness for my_init's differential tests.
//!
//! A test builds a template /etc ([`Tree`]): the few host files the programs
//! need (passwd, group, the loader cache, nsswitch.conf) plus what the
//! scenario wants (container_environment/, my_init.d/, rc.local, service/,
//! the shutdown hook directories). Each run copies the template and starts
//! the program as PID 1 of a fresh PID and mount namespace with the copy
//! bind-mounted over /etc:
//!
//! `unshare --pid --fork --mount-proc --mount sh -c 'mount --bind COPY /etc; exec env -i ENV... my_init ARGS'`
//!
//! so my_init writes its environment dumps there and its last step, a
//! kill(-1), reaches nothing outside. `env -i` hands my_init exactly the
//! environment the test gives, in that order (the dumps are compared byte for
//! byte). Scripts record what they see in `/etc/trace` (one line per event)
//! and `/etc/dump-*` files (`/proc/$$/environ`: the environment exactly as
//! my_init passed it).
//!
//! [`differential`] runs ours and, when present, phusion's Python my_init on
//! the same template and inputs and asserts that they agree on: stderr
//! (pids masked), the exit code, the trace, every dump, the environment
//! files with their bytes, modes and owners. It returns ours' outcome for
//! the test's own assertions, which always run.
//!
//! Set `MY_INIT_UNDER_TEST=reference` to run the reference in ours' place
//! (to check the harness itself), or to a path to test another binary; set
//! `MY_INIT_TESTS_OUR_RUNIT=1` to run every scenario over our runit.

use crate::common::{self, wait_until, Proc, TestDir};
use crate::reference;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long a whole run may take before the test gives up on it.
pub const RUN_DEADLINE: Duration = Duration::from_secs(40);

/// The environment every run starts with unless the test says otherwise:
/// short timeouts keep the suite fast; a locale keeps Python's locale
/// coercion from adding LC_CTYPE to the reference's environment.
pub fn base_env() -> Vec<(String, String)> {
    [
        (
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ),
        ("LANG", "C.UTF-8"),
        // Debian's runsvdir may sleep up to 5 s before it sees a TERM that
        // arrives just before its poll: a shorter timeout would make the
        // "runit daemon did not shut down in time" line a matter of luck.
        ("KILL_PROCESS_TIMEOUT", "6"),
        // Debian's runsv and runsvdir can take seconds to act on the
        // kill-all's TERM (the same race): a short timeout would make
        // "Not all processes have exited in time" a matter of luck.
        ("KILL_ALL_PROCESSES_TIMEOUT", "8"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A template /etc for one scenario.
pub struct Tree {
    pub dir: TestDir,
    pub tmpl: PathBuf,
    runs: std::cell::Cell<usize>,
}

impl Tree {
    pub fn new(name: &str) -> Tree {
        let dir = TestDir::new(name);
        let tmpl = dir.join("etc");
        fs::create_dir_all(&tmpl).expect("create etc template");
        fs::set_permissions(&tmpl, fs::Permissions::from_mode(0o755)).expect("chmod etc");
        for f in ["passwd", "group", "ld.so.cache", "nsswitch.conf"] {
            let from = Path::new("/etc").join(f);
            if from.exists() {
                fs::copy(&from, tmpl.join(f)).expect("copy /etc file");
            }
        }
        fs::write(tmpl.join("trace"), "").expect("create trace");
        fs::set_permissions(tmpl.join("trace"), fs::Permissions::from_mode(0o666))
            .expect("chmod trace");
        Tree {
            dir,
            tmpl,
            runs: std::cell::Cell::new(0),
        }
    }

    /// Writes `bytes` at `rel` under the template /etc (directories made).
    pub fn file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Tree {
        let p = self.tmpl.join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).expect("mkdir");
        }
        fs::write(&p, bytes).expect("write file");
        self
    }

    /// Writes an executable script at `rel`.
    pub fn exe(&self, rel: &str, body: &str) -> &Tree {
        common::script(self.tmpl.join(rel), body);
        self
    }

    pub fn mkdir(&self, rel: &str) -> &Tree {
        fs::create_dir_all(self.tmpl.join(rel)).expect("mkdir");
        self
    }

    pub fn chmod(&self, rel: &str, mode: u32) -> &Tree {
        fs::set_permissions(self.tmpl.join(rel), fs::Permissions::from_mode(mode)).expect("chmod");
        self
    }

    /// A service `/etc/service/NAME` whose `run` is `body` (a sh script).
    pub fn service(&self, name: &str, body: &str) -> &Tree {
        self.exe(&format!("service/{name}/run"), body)
    }

    /// A container_environment variable file.
    pub fn env_var(&self, name: &str, value: impl AsRef<[u8]>) -> &Tree {
        self.file(&format!("container_environment/{name}"), value)
    }

    fn fresh_copy(&self, label: &str) -> PathBuf {
        let n = self.runs.get();
        self.runs.set(n + 1);
        let root = self.dir.join(format!("run{n}-{label}"));
        fs::create_dir_all(&root).expect("mkdir run");
        let etc = root.join("etc");
        // runit's runsvdir does not trust a service directory modified in
        // the current second and looks again a second later: date it back,
        // so that a run does not begin with that second.
        let service = self.tmpl.join("service");
        if service.is_dir() {
            let past = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64 - 10)
                .unwrap_or(0);
            let tv = nix::sys::time::TimeVal::new(past, 0);
            let _ = nix::sys::stat::utimes(&service, &tv, &tv);
        }
        let ok = Command::new("cp")
            .arg("-a")
            .arg(&self.tmpl)
            .arg(&etc)
            .status()
            .expect("cp")
            .success();
        assert!(ok, "cp -a of the template failed");
        etc
    }
}

/// Which my_init a run starts.
#[derive(Clone, Debug)]
pub enum Which {
    Ours,
    Reference(Vec<PathBuf>),
}

/// The program (and leading arguments) for ours.
pub fn ours_argv() -> Vec<PathBuf> {
    match std::env::var_os("MY_INIT_UNDER_TEST") {
        Some(v) if v == "reference" => {
            reference::phusion("my_init", "MY_INIT_UNDER_TEST").expect("reference")
        }
        Some(v) => vec![PathBuf::from(v)],
        None => {
            let p = common::ours("my_init");
            assert!(
                p.exists(),
                "our my_init is not built ({}): nothing to test",
                p.display()
            );
            vec![p]
        }
    }
}

/// One scenario: arguments, environment, and what to do while it runs.
pub struct Scenario<'a> {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub during: Box<dyn Fn(&Running) + 'a>,
    /// Compare the traces as sorted lines (services start in parallel).
    pub unordered: bool,
    /// stderr lines containing one of these are left out of the comparison
    /// (timing-dependent lines, each justified where it is set).
    pub ignore: Vec<String>,
    /// Run over our runsvdir, runsv and sv, bind-mounted over Debian's in
    /// the namespace (both my_inits start /usr/bin/runsvdir).
    pub our_runit: bool,
    /// Shell commands run as root in the namespace before my_init starts
    /// (after /etc is mounted), e.g. to mount a tmpfs over a system path.
    pub setup: String,
}

impl<'a> Scenario<'a> {
    pub fn new(args: &[&str]) -> Scenario<'a> {
        Scenario {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: base_env(),
            during: Box::new(|_| {}),
            unordered: false,
            ignore: Vec::new(),
            our_runit: std::env::var_os("MY_INIT_TESTS_OUR_RUNIT").is_some_and(|v| v == "1"),
            setup: String::new(),
        }
    }

    pub fn setup(mut self, shell: &str) -> Scenario<'a> {
        self.setup = shell.to_string();
        self
    }

    pub fn over_our_runit(mut self) -> Scenario<'a> {
        self.our_runit = true;
        self
    }

    pub fn unordered(mut self) -> Scenario<'a> {
        self.unordered = true;
        self
    }

    pub fn ignore(mut self, fragment: &str) -> Scenario<'a> {
        self.ignore.push(fragment.to_string());
        self
    }

    /// Sets (or replaces) one variable of my_init's environment.
    pub fn env(mut self, k: &str, v: &str) -> Scenario<'a> {
        match self.env.iter_mut().find(|(n, _)| n == k) {
            Some(e) => e.1 = v.to_string(),
            None => self.env.push((k.to_string(), v.to_string())),
        }
        self
    }

    /// Replaces the whole environment.
    pub fn env_exactly(mut self, vars: &[(&str, &str)]) -> Scenario<'a> {
        self.env = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    pub fn during(mut self, f: impl Fn(&Running) + 'a) -> Scenario<'a> {
        self.during = Box::new(f);
        self
    }
}

/// A running namespace, handed to a scenario's `during`.
pub struct Running {
    pub etc: PathBuf,
    /// PID 1 of the namespace, as seen from outside.
    pub pid1: i32,
}

impl Running {
    /// What `docker stop` and `docker kill -s` do: a signal to PID 1,
    /// once it is asleep (waiting for its children). The reference has a
    /// window between starting a child and waiting for it in which a TERM
    /// skips stopping that child; the tests do not aim at that window.
    pub fn signal(&self, sig: Signal) {
        wait_until(Duration::from_secs(5), || {
            fs::read_to_string(format!("/proc/{}/stat", self.pid1))
                .map(|s| {
                    s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('S')
                })
                .unwrap_or(true)
        });
        let _ = kill(Pid::from_raw(self.pid1), sig);
    }

    pub fn trace(&self) -> String {
        fs::read_to_string(self.etc.join("trace")).unwrap_or_default()
    }

    /// Waits until the trace has a line equal to `line`.
    pub fn wait_trace(&self, line: &str) {
        let ok = wait_until(Duration::from_secs(20), || {
            self.trace().lines().any(|l| l == line)
        });
        assert!(
            ok,
            "timed out waiting for trace line {line:?}; trace:\n{}",
            self.trace()
        );
    }

    /// Waits until `count` lines of the trace start with `prefix`.
    pub fn wait_trace_count_prefix(&self, prefix: &str, count: usize) {
        let ok = wait_until(Duration::from_secs(20), || {
            self.trace()
                .lines()
                .filter(|l| l.starts_with(prefix))
                .count()
                >= count
        });
        assert!(
            ok,
            "timed out waiting for {count} x {prefix:?}...; trace:\n{}",
            self.trace()
        );
    }

    /// What `docker exec` does: `cmd` inside the namespace (nsenter).
    pub fn exec(&self, cmd: &[&str]) -> std::process::Output {
        let mut c = Command::new("/usr/bin/nsenter");
        c.env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .arg("--target")
            .arg(self.pid1.to_string())
            .args(["--pid", "--mount", "--"])
            .args(cmd);
        common::run(c)
    }

    /// The processes of the namespace (outside pids): (pid, state, comm).
    pub fn processes(&self) -> Vec<(i32, char, String)> {
        ns_processes(self.pid1)
    }

    /// Sends `sig` to the namespace's process named `comm` (runsvdir, ...).
    pub fn signal_process(&self, comm: &str, sig: Signal) {
        let target = self
            .processes()
            .into_iter()
            .find(|p| p.2 == comm)
            .unwrap_or_else(|| panic!("{comm} in the namespace"));
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(target.0), sig);
    }

    /// Zombies in the namespace (none may last while my_init runs).
    pub fn zombies(&self) -> Vec<(i32, char, String)> {
        self.processes()
            .into_iter()
            .filter(|p| p.1 == 'Z')
            .collect()
    }
}

/// Every process whose PID namespace is PID 1's.
pub fn ns_processes(pid1: i32) -> Vec<(i32, char, String)> {
    let Ok(ns) = fs::read_link(format!("/proc/{pid1}/ns/pid")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pid in common::all_pids() {
        if fs::read_link(format!("/proc/{pid}/ns/pid")).ok().as_ref() != Some(&ns) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map(|(c, _)| c.to_string())
            .unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .chars()
            .next()
            .unwrap_or('?');
        out.push((pid, state, comm));
    }
    out
}

/// What a run left behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub which: String,
    /// The signals ignored on entry (inherited from the test process), as
    /// /proc shows them: a child "started clean" has exactly these.
    pub inherited_sigign: u64,
    pub unordered: bool,
    pub ignore: Vec<String>,
    /// my_init's exit code (None: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub etc: PathBuf,
}

impl Outcome {
    /// stderr with pids masked (`PID 4` -> `PID N`).
    pub fn masked_stderr(&self) -> String {
        let masked = mask_pids(&self.stderr);
        if self.ignore.is_empty() {
            return masked;
        }
        masked
            .split_inclusive('\n')
            .filter(|l| !self.ignore.iter().any(|f| l.contains(f.as_str())))
            .collect()
    }

    /// The masked stderr lines.
    pub fn lines(&self) -> Vec<String> {
        self.masked_stderr().lines().map(str::to_string).collect()
    }

    /// Only the `*** ` lines my_init itself wrote.
    pub fn own_lines(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with("*** "))
            .collect()
    }

    pub fn trace(&self) -> String {
        fs::read_to_string(self.etc.join("trace")).unwrap_or_default()
    }

    pub fn trace_lines(&self) -> Vec<String> {
        self.trace().lines().map(str::to_string).collect()
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.etc.join(rel)).unwrap_or_else(|e| panic!("{}: read {rel}: {e}", self.which))
    }

    pub fn read_str(&self, rel: &str) -> String {
        String::from_utf8_lossy(&self.read(rel)).into_owned()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.etc.join(rel).exists()
    }

    /// A dump written from `/proc/$$/environ`, as NAME=value strings.
    pub fn dump(&self, name: &str) -> Vec<String> {
        self.read(&format!("dump-{name}"))
            .split(|&b| b == 0)
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// The file's mode bits, uid and gid.
    pub fn mode_owner(&self, rel: &str) -> (u32, u32, u32) {
        let m = fs::metadata(self.etc.join(rel)).expect("metadata");
        (m.mode() & 0o7777, m.uid(), m.gid())
    }

    /// Everything the comparison looks at, by name.
    pub fn observed(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("exit code".into(), format!("{:?}", self.code));
        m.insert("stderr".into(), self.masked_stderr());
        m.insert("stdout".into(), self.stdout.clone());
        let mut trace = self.trace_lines();
        if self.unordered {
            trace.sort();
        }
        m.insert("trace".into(), trace.join("\n"));
        for rel in ["container_environment.sh", "container_environment.json"] {
            let p = self.etc.join(rel);
            m.insert(rel.into(), describe_file(&p));
        }
        let envdir = self.etc.join("container_environment");
        if envdir.is_dir() {
            let mut names: Vec<_> = fs::read_dir(&envdir)
                .expect("read container_environment")
                .flatten()
                .map(|e| e.file_name())
                .collect();
            names.sort();
            for n in names {
                let key = format!("container_environment/{}", n.to_string_lossy());
                m.insert(key, describe_file(&envdir.join(&n)));
            }
        }
        if let Ok(entries) = fs::read_dir(&self.etc) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("dump-") {
                    m.insert(n.clone(), describe_file(&e.path()));
                }
            }
        }
        m
    }
}

/// A file's mode, owner and exact bytes (escaped), or `absent`.
fn describe_file(p: &Path) -> String {
    match (fs::symlink_metadata(p), fs::read(p)) {
        (Ok(m), Ok(bytes)) => format!(
            "mode {:o} owner {}:{} bytes {:?}",
            m.mode() & 0o7777,
            m.uid(),
            m.gid(),
            bytes.escape_ascii().to_string()
        ),
        _ => "absent".into(),
    }
}

/// `PID 123` -> `PID N` (my_init's own lines carry runsvdir's and children's pids).
pub fn mask_pids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("PID ") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Runs `which` on a fresh copy of the template.
pub fn run_one(tree: &Tree, which: &Which, sc: &Scenario) -> Outcome {
    let (label, argv) = match which {
        Which::Ours => ("ours".to_string(), ours_argv()),
        Which::Reference(v) => ("reference".to_string(), v.clone()),
    };
    let etc = tree.fresh_copy(&label);
    let started = std::time::Instant::now();
    let mut c = Command::new("/usr/bin/unshare");
    c.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .args(common::PID_NAMESPACE)
        .args(common::PRIVATE_MOUNTS)
        .args(["/bin/sh", "-c"])
        .arg(format!(
            "mount --bind \"$1\" /etc{} && {{ {}; }} && cd / && umask 022 && shift && exec /usr/bin/env -i \"$@\"",
            runit_mounts(sc.our_runit),
            if sc.setup.is_empty() { ":" } else { &sc.setup }
        ))
        .arg("sh")
        .arg(&etc);
    for (k, v) in &sc.env {
        c.arg(format!("{k}={v}"));
    }
    c.args(&argv).args(&sc.args);
    c.current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = Proc::start(c);
    let inherited_sigign = sigign(p.pid());
    let ns = NsGuard::find(p.pid());
    let readers = Readers::start(&mut p);
    if let Some(pid1) = ns.pid1 {
        // The namespace is ready once PID 1 has mounted /etc and exec'd.
        let ok = wait_until(Duration::from_secs(10), || {
            fs::read_link(format!("/proc/{pid1}/exe"))
                .map(|e| {
                    let name = e.file_name().map(|n| n.to_string_lossy().into_owned());
                    !matches!(name.as_deref(), Some("sh" | "dash" | "bash" | "env"))
                })
                .unwrap_or(true)
        });
        assert!(ok, "{label}: the namespace did not start its program");
        let running = Running {
            etc: etc.clone(),
            pid1,
        };
        (sc.during)(&running);
    }
    let mut status = None;
    let finished = wait_until(RUN_DEADLINE, || {
        status = p.try_exit();
        status.is_some()
    });
    let (stdout, stderr) = if finished {
        readers.finish()
    } else {
        drop(ns);
        drop(p);
        let (o, e) = readers.finish();
        panic!(
            "{label}: my_init did not exit within {RUN_DEADLINE:?}\nstdout:\n{o}\nstderr:\n{e}\ntrace:\n{}",
            fs::read_to_string(etc.join("trace")).unwrap_or_default()
        );
    };
    let status = status.expect("status");
    eprintln!(
        "{label}: {:?} in {} ms",
        sc.args,
        started.elapsed().as_millis()
    );
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().or_else(|| status.signal().map(|s| -s));
    Outcome {
        which: label,
        inherited_sigign,
        unordered: sc.unordered,
        ignore: sc.ignore.clone(),
        code,
        stdout,
        stderr,
        etc,
    }
}

/// A process's ignored signals (`SigIgn:` of /proc/PID/status).
fn sigign(pid: i32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigIgn:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

/// The bind mounts that put our runit programs over Debian's.
fn runit_mounts(ours: bool) -> String {
    if !ours {
        return String::new();
    }
    ["runsvdir", "runsv", "sv", "svlogd"]
        .iter()
        .map(|p| {
            format!(
                " && mount --bind {} /usr/bin/{p}",
                common::ours(p).display()
            )
        })
        .collect()
}

/// Kills the namespace (its PID 1) when a run ends or a test fails.
struct NsGuard {
    pid1: Option<i32>,
}

impl NsGuard {
    /// PID 1 of the namespace: the child unshare forks.
    fn find(unshare: i32) -> NsGuard {
        let mut pid1 = None;
        wait_until(Duration::from_secs(10), || {
            pid1 = fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse().ok()));
            // A quick program may be over (and unshare a zombie) already.
            pid1.is_some() || !common::alive(unshare)
        });
        NsGuard { pid1 }
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.pid1 {
            // Only while it is still the namespace's init we started: its
            // parent is gone or is unshare, checked by the ns link existing.
            if fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok() {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

/// stdout and stderr read on threads, so that a chatty run never blocks.
struct Readers {
    out: std::thread::JoinHandle<Vec<u8>>,
    err: std::thread::JoinHandle<Vec<u8>>,
}

impl Readers {
    fn start(p: &mut Proc) -> Readers {
        use std::io::Read;
        let mut o = p.child.stdout.take().expect("stdout");
        let mut e = p.child.stderr.take().expect("stderr");
        Readers {
            out: std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = o.read_to_end(&mut v);
                v
            }),
            err: std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = e.read_to_end(&mut v);
                v
            }),
        }
    }

    fn finish(self) -> (String, String) {
        let o = self.out.join().unwrap_or_default();
        let e = self.err.join().unwrap_or_default();
        (
            String::from_utf8_lossy(&o).into_owned(),
            String::from_utf8_lossy(&e).into_owned(),
        )
    }
}

/// Runs ours and, when present, the reference; asserts they agree on
/// everything [`Outcome::observed`] lists; returns ours.
pub fn differential(tree: &Tree, sc: Scenario, test: &str) -> Outcome {
    let ours = run_one(tree, &Which::Ours, &sc);
    if let Some(reference) = reference::phusion("my_init", test) {
        let theirs = run_one(tree, &Which::Reference(reference), &sc);
        compare(&ours, &theirs, test);
    }
    ours
}

/// Asserts two outcomes agree, naming every difference.
pub fn compare(ours: &Outcome, theirs: &Outcome, test: &str) {
    let (a, b) = (ours.observed(), theirs.observed());
    let mut diffs = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            diffs.push(format!(
                "--- {key}\n  ours:      {}\n  reference: {}",
                x.map(String::as_str).unwrap_or("(missing)"),
                y.map(String::as_str).unwrap_or("(missing)")
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{test}: ours and phusion's my_init differ:\n{}",
        diffs.join("\n")
    );
}

/// Asserts that `lines` (masked stderr) are exactly `expected`.
#[track_caller]
pub fn assert_lines(out: &Outcome, expected: &[&str]) {
    let got = out.lines();
    assert_eq!(
        got,
        expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "{}: stderr lines\nfull stderr:\n{}",
        out.which,
        out.stderr
    );
}
