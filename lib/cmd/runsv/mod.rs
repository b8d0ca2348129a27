//! runsv: supervises one service directory (and its log service) exactly as
//! runit 2.1.2's runsv does. See doc/runit/runsv.md, doc/runit/supervise.md.
//!
//! [`machine`] decides; this module is the I/O shell: start-up, the poll
//! loop, processes, FIFOs and files.
//!
//! One deliberate difference in mechanism, not in what clients see: runit
//! throttles a service that ran for less than a second with a blocking
//! `sleep(1)` that freezes the whole supervisor. Here the restart is deferred by
//! a deadline in the poll loop instead, so the service restarts at the same
//! moment, while commands, signals and the other service are still served.
//!
//! Beyond runit, switched on only by files in the service directory
//! (lib/svext.rs, man/runsv.8): a readiness pipe (`notification-fd`, whose
//! read end joins the poll set until its newline or EOF, recorded in
//! `supervise/ready` by lib/ready.rs), another down signal, a process group,
//! KILL deadlines (`timeout-kill`, `timeout-finish`: deadlines of this poll
//! loop, no extra process) and a growing restart delay (`restart-backoff`).

pub mod leftover;
pub mod machine;

use crate::fifo;
use crate::lock;
use crate::msg::{self, Voice};
use crate::poll;
use crate::proc;
use crate::ready;
use crate::sig::Signals;
use crate::spawn::Spawn;
use crate::status::{self, Status, Want};
use crate::svdir;
use crate::svext::{self, Ext};
use crate::sys;
use crate::tai::Tai64n;
use machine::{Effects, Machine, Program, Service, Which};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::sys::stat::Mode;
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

const EXIT_FATAL: i32 = msg::EXIT_TEMPORARY;
/// How long runsv waits before writing files that could not be written again.
const STATUS_RETRY: Duration = Duration::from_secs(1);
/// A descriptor number that is never open: what a child gets as its log pipe
/// end once runsv has closed the pipe on exit (doc/runit/quirks.md #5).
const CLOSED_FD: RawFd = -2;

/// The descriptors runsv holds for one service's `supervise/` directory.
/// Only `control_rd` is ever read; the others are held open for their effect
/// (the lock, a writer so the FIFO never reports EOF, a reader on `ok`).
#[derive(Default)]
#[allow(dead_code)]
struct SuperviseFds {
    control_rd: Option<OwnedFd>,
    control_wr: Option<OwnedFd>,
    ok: Option<OwnedFd>,
    lock: Option<File>,
}

/// The I/O side: everything [`Machine`] asks for goes through here.
struct Shell {
    voice: Voice,
    has_log: bool,
    /// The pipe from the main service's stdout to the log's stdin.
    logpipe: Option<(OwnedFd, OwnedFd)>,
    /// The pid last recorded in each `identity` file (main, log).
    identified: [u32; 2],
    /// Whether each service's files could not be written at the last update
    /// (main, log), and when to try again.
    stale: [bool; 2],
    /// The `stat` text and `status` record last written for each service
    /// (main, log), when that write succeeded: an update that would write
    /// the same bytes again is skipped if the files still hold them (an `x`
    /// or TERM to runsv once its service is down). runit rewrites them; only
    /// their mtime differs. Reading two small files costs far less than
    /// creating and renaming two (doc/differences.md §2.8).
    written: [Option<(String, [u8; status::STATUS_LEN])>; 2],
    retry_at: Option<Instant>,
    /// Set while retrying: the warnings were said the first time.
    quiet: bool,
    /// Beyond runit: each service's readiness pipe (read end, the run's pid)
    /// while its run has not said it is ready (main, log).
    notify: [Option<(OwnedFd, i32)>; 2],
    /// The extension-file warnings said at the last start (main, log): a
    /// crash loop does not repeat them at every restart.
    ext_warned: [Vec<Vec<String>>; 2],
    fd_limit: u64,
}

/// Entry point: `runsv dir`.
pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    if args.len() != 2 {
        msg::usage(msg::arg0(&args), " dir", 1);
    }
    let voice = Voice::new([b"runsv ", args[1].as_encoded_bytes(), b": "].concat());
    run(voice, &args[1])
}

/// runsv's start-up sequence, in runit's order (doc/runit/supervise.md §2), then the loop.
fn run(voice: Voice, dir: &OsString) -> i32 {
    let mut signals = match Signals::new(&[Signal::SIGCHLD, Signal::SIGTERM]) {
        Ok(s) => s,
        Err(e) => voice.fatal_err(&["unable to create selfpipe"], e, EXIT_FATAL),
    };
    if let Err(e) = nix::unistd::chdir(dir.as_os_str()) {
        voice.fatal_err(&["unable to change to directory"], e, EXIT_FATAL);
    }
    let now = (Tai64n::now(), Instant::now());
    let want = |down_file: &str| {
        if svdir::exists(down_file) {
            Want::Down
        } else {
            Want::Up
        }
    };
    let main = Service::new(want("down"), now);
    let mut log = None;
    let mut logpipe = None;
    match svdir::log_dir() {
        Ok(true) => {
            log = Some(Service::new(want("log/down"), now));
            match nix::unistd::pipe2(OFlag::O_CLOEXEC) {
                Ok(p) => logpipe = Some(p),
                Err(e) => voice.fatal_err(&["unable to create log pipe"], e, EXIT_FATAL),
            }
        }
        Ok(false) => {}
        Err(svdir::LogDirError::NotADirectory) => voice.warn(&["./log: not a directory."]),
        Err(svdir::LogDirError::Stat(e)) => voice.warn_err(&["unable to stat() ./log: "], e),
    }
    let has_log = log.is_some();
    let mut shell = Shell {
        voice,
        has_log,
        logpipe,
        identified: [0; 2],
        stale: [false; 2],
        written: [None, None],
        retry_at: None,
        quiet: false,
        notify: [None, None],
        ext_warned: [Vec::new(), Vec::new()],
        fd_limit: svext::fd_limit(),
    };
    let mut machine = Machine::new(main, log);

    let mut main_fds = shell.open_supervise(Which::Main);
    let mut log_fds = has_log.then(|| shell.open_supervise(Which::Log));
    // Beyond runit: nothing a killed runsv left running is started twice.
    leftover::stop_all(&shell.voice, has_log);
    shell.open_control(Which::Main, &mut main_fds);
    machine.update(Which::Main, &mut shell);
    if let Some(fds) = log_fds.as_mut() {
        shell.open_control(Which::Log, fds);
        machine.update(Which::Log, &mut shell);
    }
    shell.open_ok(Which::Main, &mut main_fds);
    if let Some(fds) = log_fds.as_mut() {
        shell.open_ok(Which::Log, fds);
    }

    // The main loop, in runit's order (doc/runit/runsv.md §3).
    loop {
        let deadline = [
            machine.start_due(&mut shell),
            shell.retry_at,
            machine.kill_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        let main_control = main_fds.control_rd.as_ref();
        let log_control = log_fds.as_ref().and_then(|l| l.control_rd.as_ref());
        let mut fds: Vec<BorrowedFd> = vec![signals.as_fd()];
        fds.extend(main_control.map(|f| f.as_fd()));
        fds.extend(log_control.map(|f| f.as_fd()));
        let watched = fds.len();
        fds.extend(shell.notify.iter().flatten().map(|(fd, _)| fd.as_fd()));
        let ready = poll::readable(&fds, deadline);
        let notify_ready = ready.get(watched..).unwrap_or(&[]).to_vec();
        drop(fds);
        // The signalfd and each control FIFO are read only when poll found
        // them readable, and children are reaped only after a SIGCHLD (one
        // that comes after the read ends the next poll at once): a wake
        // costs no system call that can only fail.
        let main_ready = main_control.is_some() && ready.get(1) == Some(&true);
        let log_at = 1 + usize::from(main_control.is_some());
        let log_ready = log_control.is_some() && ready.get(log_at) == Some(&true);

        let signalled = if ready.first() == Some(&true) {
            signals.drain()
        } else {
            Vec::new()
        };
        let term = signalled.contains(&Signal::SIGTERM);
        if signalled.contains(&Signal::SIGCHLD) {
            while let Some(r) = proc::reap_one() {
                machine.reaped(r.pid, r.wstatus, &mut shell);
            }
        }
        machine.fire_timers(&mut shell);
        shell.read_notifications(&notify_ready, &mut machine);
        if let Some(c) = main_control
            .filter(|_| main_ready)
            .and_then(fifo::read_byte)
        {
            machine.command(Which::Main, c, &mut shell);
        }
        if let Some(c) = log_control.filter(|_| log_ready).and_then(fifo::read_byte) {
            machine.command(Which::Log, c, &mut shell);
        }
        shell.retry_stale(&mut machine);
        if term {
            machine.command(Which::Main, b'x', &mut shell);
        }
        if machine.exit_step(&mut shell) {
            // Straight out: the kernel closes every descriptor at exit, at
            // less cost than a system call for each (a container's stop
            // ends a dozen runsv processes at once).
            std::process::exit(0);
        }
    }
}

/// Whether `dir`'s `stat` and `status` hold exactly `stat` and `record`.
fn files_hold(dir: &str, stat: &str, record: &[u8; status::STATUS_LEN]) -> bool {
    let holds = |name: &str, want: &[u8]| {
        let mut buf = [0u8; 64];
        let Ok(file) = crate::open::read(format!("{dir}{name}")) else {
            return false;
        };
        // One read: both files are far shorter than the buffer, and are
        // replaced whole (by rename), never written in place by runsv.
        matches!(nix::unistd::read(file.as_raw_fd(), &mut buf), Ok(n) if &buf[..n] == want)
    };
    holds("status", record) && holds("stat", stat.as_bytes())
}

fn dir_of(which: Which) -> &'static str {
    match which {
        Which::Main => "supervise/",
        Which::Log => "log/supervise/",
    }
}

impl Shell {
    /// Beyond runit: files that could not be written (a full or read-only
    /// file system) are written again every [`STATUS_RETRY`], silently, so
    /// that `status` is right again soon after the fault goes away, not only
    /// at the service's next change (runit's `sv up` trusts a stale record
    /// and sends nothing).
    fn retry_stale(&mut self, machine: &mut Machine) {
        if self.retry_at.is_none_or(|t| Instant::now() < t) {
            return;
        }
        self.retry_at = None;
        self.quiet = true;
        for which in [Which::Main, Which::Log] {
            if self.stale[which as usize] {
                machine.update(which, self);
            }
        }
        self.quiet = false;
    }

    /// Beyond runit: reads the readiness pipes that poll found readable. A
    /// newline means ready; EOF or an error ends the wait without it. A pipe
    /// whose run is gone is closed.
    fn read_notifications(&mut self, readable: &[bool], machine: &mut Machine) {
        let mut polled = readable.iter();
        for which in [Which::Main, Which::Log] {
            let i = which as usize;
            let Some((fd, pid)) = self.notify[i].as_ref() else {
                continue;
            };
            let (pid, is_readable) = (*pid, polled.next().copied().unwrap_or(false));
            if machine.svc(which).pid != pid {
                self.notify[i] = None;
                continue;
            }
            if !is_readable {
                continue;
            }
            let mut buf = [0u8; 512];
            match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
                Ok(n) if n > 0 && !buf[..n].contains(&b'\n') => {}
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                Ok(n) => {
                    self.notify[i] = None;
                    if n > 0 {
                        machine.ready(which, pid, self);
                    }
                }
                Err(_) => self.notify[i] = None,
            }
        }
    }

    /// The read end (non-blocking, for the poll loop) and the write end
    /// (blocking, as the service expects) of a readiness pipe.
    fn notify_pipe(&self) -> Result<(OwnedFd, OwnedFd), Errno> {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        nix::fcntl::fcntl(r.as_raw_fd(), nix::fcntl::F_SETFL(OFlag::O_NONBLOCK))?;
        Ok((r, w))
    }

    fn fatal(&self, parts: &[&str], e: Errno) -> ! {
        self.voice.fatal_err(parts, e, EXIT_FATAL)
    }

    /// Makes or resolves `supervise` (the symlink case included) and takes its lock:
    /// non-blocking for the main service, blocking for the log (runit's choice).
    fn open_supervise(&self, which: Which) -> SuperviseFds {
        let (path, base) = match which {
            Which::Main => ("supervise", ""),
            Which::Log => ("log/supervise", "log/"),
        };
        if nix::unistd::mkdir(path, Mode::from_bits_truncate(0o700)).is_err() {
            match nix::fcntl::readlink(path) {
                Ok(target) => {
                    if target.len() >= 256 {
                        self.voice.fatal(
                            &["unable to readlink ./", path, ": name too long"],
                            EXIT_FATAL,
                        );
                    }
                    // A relative target is relative to the directory holding the link.
                    let absolute = target.as_encoded_bytes().first() == Some(&b'/');
                    let mut full = OsString::from(if absolute { "" } else { base });
                    full.push(&target);
                    // Only the last component is created: no mkdir -p, as runit.
                    let _ = nix::unistd::mkdir(full.as_os_str(), Mode::from_bits_truncate(0o700));
                }
                Err(Errno::ENOENT) | Err(Errno::EINVAL) => {}
                Err(e) => self.fatal(&["unable to readlink ./", path], e),
            }
        }
        let lock_path = format!("{path}/lock");
        let file = match lock::open_lockfile(&lock_path) {
            Ok(f) => f,
            Err(e) => self.fatal(&["unable to open ", &lock_path], e),
        };
        let locked = match which {
            Which::Main => lock::try_exclusive(&file),
            Which::Log => lock::exclusive(&file),
        };
        if let Err(e) = locked {
            self.fatal(&["unable to lock ", &lock_path], e);
        }
        SuperviseFds {
            lock: Some(file),
            ..SuperviseFds::default()
        }
    }

    /// Creates the control FIFO and holds both of its ends open, so that
    /// clients never block and runsv never sees EOF.
    fn open_control(&self, which: Which, fds: &mut SuperviseFds) {
        let path = format!("{}control", dir_of(which));
        let _ = fifo::make(&path);
        match fifo::is_fifo(&path) {
            Ok(true) => {}
            Ok(false) => self
                .voice
                .fatal(&[&path, " exists but is not a fifo"], EXIT_FATAL),
            Err(e) => self.fatal(&["unable to stat ", &path], e),
        }
        let open = |access| {
            fifo::open(&path, access).unwrap_or_else(|e| self.fatal(&["unable to open ", &path], e))
        };
        fds.control_rd = Some(open(OFlag::O_RDONLY));
        fds.control_wr = Some(open(OFlag::O_WRONLY));
    }

    /// Creates `ok` and holds it open for reading, never reading it: clients
    /// open it for writing to learn that runsv is alive. Opened last.
    fn open_ok(&self, which: Which, fds: &mut SuperviseFds) {
        let path = format!("{}ok", dir_of(which));
        let _ = fifo::make(&path);
        match fifo::open(&path, OFlag::O_RDONLY) {
            Ok(fd) => fds.ok = Some(fd),
            Err(e) => self.fatal(&["unable to read ", &path], e),
        }
    }

    /// The log pipe end `end` (0 read, 1 write), or a never-open number once closed.
    fn logpipe_fd(&self, end: usize) -> RawFd {
        match (&self.logpipe, end) {
            (Some((r, _)), 0) => r.as_raw_fd(),
            (Some((_, w)), _) => w.as_raw_fd(),
            (None, _) => CLOSED_FD,
        }
    }

    /// Points the child's stdout at the log pipe when there is a log service.
    fn with_log_stdout(&self, spawn: Spawn, what: &str) -> Spawn {
        if !self.has_log {
            return spawn;
        }
        spawn
            .fd(self.logpipe_fd(1), 1)
            .on_fd_error(self.voice.fatal_prefix_bytes(&[what]))
    }

    /// What to execute for a start of `which`.
    fn plan(&self, which: Which, program: Program) -> Result<Spawn, Errno> {
        let fatal = |what: &str| self.voice.fatal_prefix_bytes(&[what]);
        Ok(match (which, program) {
            (Which::Log, _) => Spawn::new("./run", &["./run"])?
                .fd(self.logpipe_fd(0), 0)
                .on_fd_error(fatal("unable to setup filedescriptor for ./log/run"))
                .chdir("./log", fatal("unable to change directory to ./log"))?
                .on_exec_error(fatal("unable to start log/./run"), EXIT_FATAL),
            (Which::Main, Program::Finish(w)) => {
                let (code, sig) = proc::finish_args(w);
                let s = Spawn::new("./finish", &["./finish", &code, &sig])?;
                // runit names ./run here too (doc/runit/quirks.md #5).
                self.with_log_stdout(s, "unable to setup filedescriptor for ./run")
                    .on_exec_error(fatal("unable to start ./finish"), EXIT_FATAL)
            }
            (Which::Main, Program::Run) => {
                let s = Spawn::new("./run", &["./run"])?;
                self.with_log_stdout(s, "unable to setup filedescriptor for ./run")
                    .on_exec_error(fatal("unable to start ./run"), EXIT_FATAL)
            }
        })
    }
}

impl Effects for Shell {
    fn now(&mut self) -> (Tai64n, Instant) {
        (Tai64n::now(), Instant::now())
    }

    /// A stat error other than "does not exist" counts as a script, so that
    /// [`Shell::control_script`] says it as runit does.
    fn has_control_script(&mut self, c: u8) -> bool {
        let path = format!("control/{}", c as char);
        !matches!(svdir::executable(&path), Ok(false) | Err(Errno::ENOENT))
    }

    /// Runs `control/<c>` if it is executable; true when it "handled" the
    /// command (`wstatus >> 8 == 0`, a kill by signal included).
    fn control_script(&mut self, c: u8) -> bool {
        let path = format!("control/{}", c as char);
        match svdir::executable(&path) {
            Ok(true) => {}
            Ok(false) | Err(Errno::ENOENT) => return false,
            Err(e) => {
                self.voice.warn_err(&["unable to stat ", &path], e);
                return false;
            }
        }
        let Ok(spawn) = Spawn::new(&path, &[&path]) else {
            return false;
        };
        // runit only warns when the log pipe cannot be the script's stdout
        // (closed on exit, doc/runit/quirks.md #5) and runs the script anyway.
        let spawn = if self.has_log {
            spawn.fd(self.logpipe_fd(1), 1).warn_on_fd_error(
                self.voice
                    .warning_prefix_bytes(&["unable to setup stdout for ", &path]),
            )
        } else {
            spawn
        };
        let spawn = spawn.on_exec_error(
            self.voice.fatal_prefix_bytes(&["unable to run control/?"]),
            EXIT_FATAL,
        );
        let pid = match spawn.start() {
            Ok(pid) => pid,
            Err(e) => {
                self.voice.warn_err(&["unable to fork for ", &path], e);
                return false;
            }
        };
        match proc::wait_for(pid) {
            Ok(w) => (w >> 8) == 0,
            Err(e) => {
                self.voice
                    .warn_err(&["unable to wait for child ", &path], e);
                false
            }
        }
    }

    /// Only ever a child of ours, not yet reaped.
    fn signal(&mut self, pid: i32, sig: Signal) {
        proc::signal_child(pid, sig);
    }

    fn signal_group(&mut self, pgid: i32, sig: Signal) {
        proc::signal_child_group(pgid, sig);
    }

    /// Reads the extension files; a warning already said at the last start
    /// is not repeated.
    fn ext(&mut self, which: Which) -> Ext {
        let base = match which {
            Which::Main => "",
            Which::Log => "log/",
        };
        let (ext, warnings) = svext::read(base, self.fd_limit);
        for w in &warnings {
            if !self.ext_warned[which as usize].contains(w) {
                let parts: Vec<&str> = w.iter().map(String::as_str).collect();
                self.voice.warn(&parts);
            }
        }
        self.ext_warned[which as usize] = warnings;
        ext
    }

    /// One attempt; the machine tries again after `FORK_RETRY`.
    fn start(&mut self, which: Which, program: Program, ext: &Ext) -> Option<i32> {
        let notify = match (program, ext.notification_fd) {
            (Program::Run, Some(n)) => match self.notify_pipe() {
                Ok(p) => Some((p, n)),
                Err(e) => {
                    self.voice
                        .warn_err(&["unable to create notification pipe"], e);
                    None
                }
            },
            _ => None,
        };
        let what = match which {
            Which::Main => "unable to setup notification-fd for ./run",
            Which::Log => "unable to setup notification-fd for ./log/run",
        };
        let started = self.plan(which, program).and_then(|s| {
            let s = s.new_process_group(ext.group);
            match &notify {
                Some(((_, w), n)) => s
                    .fd(w.as_raw_fd(), *n)
                    .on_fd_error(self.voice.fatal_prefix_bytes(&[what])),
                None => s,
            }
            .start()
        });
        match started {
            Ok(pid) => {
                let pid = pid.as_raw();
                if program == Program::Run {
                    let dir = dir_of(which);
                    match notify {
                        Some(((r, _w), _)) => {
                            ready::write(
                                dir,
                                &ready::Record {
                                    pid: pid as u32,
                                    ready: None,
                                },
                            );
                            self.notify[which as usize] = Some((r, pid));
                        }
                        None => {
                            ready::remove(dir);
                            self.notify[which as usize] = None;
                        }
                    }
                }
                Some(pid)
            }
            Err(e) => {
                self.voice.warn_err(&["unable to fork, sleeping"], e);
                None
            }
        }
    }

    fn mark_ready(&mut self, which: Which, pid: i32, at: Tai64n) {
        let record = ready::Record {
            pid: pid as u32,
            ready: Some(at),
        };
        ready::write(dir_of(which), &record);
    }

    fn write_status(&mut self, which: Which, record: &Status, stat: &str, with_pid: bool) -> bool {
        // The identity first, so that a status naming a process always has it.
        let slot = &mut self.identified[which as usize];
        if record.pid != 0
            && record.pid != *slot
            && status::write_identity(dir_of(which), record.pid)
        {
            *slot = record.pid;
        }
        let encoded = record.encode();
        let slot = &mut self.written[which as usize];
        let same = slot
            .as_ref()
            .is_some_and(|(s, r)| s == stat && *r == encoded);
        // Skipped only while the files still hold those bytes: a file
        // removed or overwritten meanwhile is written again, as runit would.
        if !with_pid && same && files_hold(dir_of(which), stat, &encoded) {
            return false;
        }
        *slot = None;
        let pid = with_pid.then_some(record.pid);
        let outcome = status::write_files(dir_of(which), pid, stat, &encoded);
        let failed = !outcome.warnings.is_empty() || (with_pid && !outcome.pid_written);
        self.stale[which as usize] = failed;
        if !failed {
            self.written[which as usize] = Some((stat.to_string(), encoded));
        }
        if failed && self.retry_at.is_none() {
            self.retry_at = Some(Instant::now() + STATUS_RETRY);
        }
        let said = if self.quiet {
            &[][..]
        } else {
            &outcome.warnings[..]
        };
        for w in said {
            match w.errno {
                Some(e) => self.voice.warn_err(&[&w.text], e),
                None => self.voice.warn(&[&w.text]),
            }
        }
        outcome.pid_written
    }

    fn status_failed(&mut self, which: Which) -> bool {
        self.stale[which as usize]
    }

    fn finish_exists(&mut self) -> bool {
        svdir::readable("finish")
    }

    /// Closes the log pipe. A `u` for the log after `x` brings the exit
    /// step back here with the pipe already closed: runit closes it again
    /// and warns for each end (doc/runit/quirks.md #5).
    fn close_log_pipe(&mut self) {
        if self.logpipe.take().is_none() {
            for end in ["unable to close logpipe[1]", "unable to close logpipe[0]"] {
                self.voice.warn_err(&[end], Errno::EBADF);
            }
        }
    }
}
