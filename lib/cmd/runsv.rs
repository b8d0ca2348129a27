//! runsv: supervises one service directory (and its log service) exactly as
//! runit 2.1.2's runsv does. See spec/runsv.md and spec/supervise.md.
//!
//! One deliberate difference in mechanism, not in what clients see: runit
//! throttles a service that ran for less than a second with a blocking
//! `sleep(1)` that freezes the whole supervisor. Here the restart is deferred by
//! a deadline in the poll loop instead, so the service restarts at the same
//! moment, while commands, signals and the other service are still served.

use crate::fifo;
use crate::lock;
use crate::msg::{self, Voice};
use crate::poll;
use crate::proc;
use crate::sig::Signals;
use crate::spawn::Spawn;
use crate::status::{self, State, Status, Want};
use crate::svdir;
use crate::sys;
use crate::tai::Tai64n;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{kill, Signal};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

const EXIT_FATAL: i32 = msg::EXIT_TEMPORARY;
/// A service that ran for less than this is restarted only after this long.
const THROTTLE: Duration = Duration::from_secs(1);
/// How long runsv waits before retrying a failed fork.
const FORK_RETRY: Duration = Duration::from_secs(5);
/// A descriptor number that is never open: what a child gets as its log pipe
/// end once runsv has closed the pipe on exit (runit's quirk 7).
const CLOSED_FD: RawFd = -2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Main,
    Log,
}

/// One supervised service: the main one or the log one.
struct Service {
    /// `supervise/` or `log/supervise/`: prefix of every file path.
    dir: &'static str,
    pid: i32,
    state: State,
    want: Want,
    paused: bool,
    got_term: bool,
    /// Time of the last state change, as written to `status`.
    changed: Tai64n,
    /// Monotonic twin of `changed`, for the restart throttle.
    changed_at: Instant,
    /// Raw wait status of the last `./run`, for `./finish`'s arguments.
    wstatus: i32,
    /// No start before this moment (the one-second throttle).
    throttle_until: Option<Instant>,
    /// A start asked for (`u` or `o`) while throttled.
    start_pending: bool,
    control_rd: Option<OwnedFd>,
    control_wr: Option<OwnedFd>,
    ok_fd: Option<OwnedFd>,
    lock: Option<File>,
}

impl Service {
    fn new(dir: &'static str, want: Want) -> Service {
        Service {
            dir,
            pid: 0,
            state: State::Down,
            want,
            paused: false,
            got_term: false,
            changed: Tai64n::now(),
            changed_at: Instant::now(),
            wstatus: 0,
            throttle_until: None,
            start_pending: false,
            control_rd: None,
            control_wr: None,
            ok_fd: None,
            lock: None,
        }
    }

    fn record(&self) -> Status {
        Status {
            time: self.changed,
            pid: self.pid as u32,
            paused: self.paused,
            want: status::want_byte(self.want),
            got_term: self.got_term,
            state: self.state as u8,
        }
    }

    fn throttled(&self, now: Instant) -> bool {
        self.throttle_until.is_some_and(|t| now < t)
    }

    fn running(&self) -> bool {
        self.state == State::Run
    }
}

struct Runsv {
    voice: Voice,
    main: Service,
    log: Option<Service>,
    /// The pipe from the main service's stdout to the log's stdin.
    logpipe: Option<(OwnedFd, OwnedFd)>,
    /// runit keeps one "pid changed" flag for both services (supervise.md §4.3).
    pid_changed: bool,
    signals: Signals,
    term_received: bool,
}

/// Entry point: `runsv dir`.
pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "runsv".into());
    if args.len() != 2 {
        msg::usage(&argv0, " dir", 1);
    }
    let dir = args[1].clone();
    let voice = Voice::new(format!("runsv {}: ", dir.to_string_lossy()));
    let mut runsv = Runsv::start_up(voice, &dir);
    runsv.run()
}

impl Runsv {
    /// runsv's start-up sequence, in runit's order (supervise.md §2).
    fn start_up(voice: Voice, dir: &OsString) -> Runsv {
        let signals = match Signals::new(&[Signal::SIGCHLD, Signal::SIGTERM]) {
            Ok(s) => s,
            Err(e) => voice.fatal_err(&["unable to create selfpipe"], e, EXIT_FATAL),
        };
        if let Err(e) = nix::unistd::chdir(dir.as_os_str()) {
            voice.fatal_err(&["unable to change to directory"], e, EXIT_FATAL);
        }
        let want = |down_file: &str| {
            if svdir::exists(down_file) {
                Want::Down
            } else {
                Want::Up
            }
        };
        let main = Service::new("supervise/", want("down"));
        let mut log = None;
        let mut logpipe = None;
        match svdir::log_dir() {
            Ok(true) => {
                log = Some(Service::new("log/supervise/", want("log/down")));
                match nix::unistd::pipe2(OFlag::O_CLOEXEC) {
                    Ok(p) => logpipe = Some(p),
                    Err(e) => voice.fatal_err(&["unable to create log pipe"], e, EXIT_FATAL),
                }
            }
            Ok(false) => {}
            Err(svdir::LogDirError::NotADirectory) => voice.warn(&["./log: not a directory."]),
            Err(svdir::LogDirError::Stat(e)) => voice.warn_err(&["unable to stat() ./log: "], e),
        }
        let mut runsv = Runsv {
            voice,
            main,
            log,
            logpipe,
            pid_changed: true,
            signals,
            term_received: false,
        };
        runsv.open_supervise(Which::Main);
        if runsv.log.is_some() {
            runsv.open_supervise(Which::Log);
        }
        runsv.open_control(Which::Main);
        runsv.update(Which::Main);
        if runsv.log.is_some() {
            runsv.open_control(Which::Log);
            runsv.update(Which::Log);
        }
        runsv.open_ok(Which::Main);
        if runsv.log.is_some() {
            runsv.open_ok(Which::Log);
        }
        runsv
    }

    fn svc(&mut self, which: Which) -> &mut Service {
        match which {
            Which::Main => &mut self.main,
            Which::Log => self.log.as_mut().unwrap_or(&mut self.main),
        }
    }

    fn fatal(&self, parts: &[&str], e: Errno) -> ! {
        self.voice.fatal_err(parts, e, EXIT_FATAL)
    }

    /// Makes or resolves `supervise` (the symlink case included) and takes its lock:
    /// non-blocking for the main service, blocking for the log (runit's choice).
    fn open_supervise(&mut self, which: Which) {
        let (path, base) = match which {
            Which::Main => ("supervise", ""),
            Which::Log => ("log/supervise", "log/"),
        };
        if nix::unistd::mkdir(path, Mode::from_bits_truncate(0o700)).is_err() {
            match nix::fcntl::readlink(path) {
                Ok(target) => {
                    if target.len() >= 256 {
                        self.voice
                            .fatal(&["unable to readlink ./", path, ": name too long"], EXIT_FATAL);
                    }
                    let mut full = OsString::from(if target.to_string_lossy().starts_with('/') {
                        ""
                    } else {
                        base
                    });
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
        self.svc(which).lock = Some(file);
    }

    /// Creates the control FIFO and holds both of its ends open, so that
    /// clients never block and runsv never sees EOF.
    fn open_control(&mut self, which: Which) {
        let path = format!("{}control", self.svc(which).dir);
        let _ = fifo::make(&path);
        match fifo::is_fifo(&path) {
            Ok(true) => {}
            Ok(false) => self
                .voice
                .fatal(&[&path, " exists but is not a fifo"], EXIT_FATAL),
            Err(e) => self.fatal(&["unable to stat ", &path], e),
        }
        let rd = fifo::open(&path, OFlag::O_RDONLY).unwrap_or_else(|e| self.fatal(&["unable to open ", &path], e));
        let wr = fifo::open(&path, OFlag::O_WRONLY).unwrap_or_else(|e| self.fatal(&["unable to open ", &path], e));
        let svc = self.svc(which);
        svc.control_rd = Some(rd);
        svc.control_wr = Some(wr);
    }

    /// Creates `ok` and holds it open for reading, never reading it: clients
    /// open it for writing to learn that runsv is alive. Opened last.
    fn open_ok(&mut self, which: Which) {
        let path = format!("{}ok", self.svc(which).dir);
        let _ = fifo::make(&path);
        match fifo::open(&path, OFlag::O_RDONLY) {
            Ok(fd) => self.svc(which).ok_fd = Some(fd),
            Err(e) => self.fatal(&["unable to read ", &path], e),
        }
    }

    /// Writes `pid` (if changed), `stat` and `status` for one service.
    fn update(&mut self, which: Which) {
        let pid_changed = self.pid_changed;
        let svc = self.svc(which);
        let stat = status::stat_line(svc.state, svc.paused, svc.got_term, svc.want);
        let record = svc.record().encode();
        let pid = pid_changed.then_some(svc.pid as u32);
        let outcome = status::write_files(svc.dir, pid, &stat, &record);
        if pid_changed && outcome.pid_written {
            self.pid_changed = false;
        }
        for w in outcome.warnings {
            match w.errno {
                Some(e) => self.voice.warn_err(&[&w.text], e),
                None => self.voice.warn(&[&w.text]),
            }
        }
    }

    /// The main loop, in runit's order (runsv.md §3).
    fn run(&mut self) -> i32 {
        loop {
            let now = Instant::now();
            if let Some(log) = &self.log {
                if log.pid == 0 && (log.want == Want::Up || log.start_pending) && !log.throttled(now) {
                    self.start(Which::Log);
                }
            }
            let main = &self.main;
            if main.pid == 0
                && (main.want == Want::Up || main.state == State::Finish || main.start_pending)
                && !main.throttled(now)
            {
                self.start(Which::Main);
            }

            let deadline = [self.main.throttle_until, self.log.as_ref().and_then(|l| l.throttle_until)]
                .into_iter()
                .flatten()
                .min();
            let mut fds: Vec<BorrowedFd> = vec![self.signals.as_fd()];
            for svc in std::iter::once(&self.main).chain(self.log.as_ref()) {
                if let Some(fd) = &svc.control_rd {
                    fds.push(fd.as_fd());
                }
            }
            poll::readable(&fds, deadline);

            for s in self.signals.drain() {
                if s == Signal::SIGTERM {
                    self.term_received = true;
                }
            }
            self.reap_children();
            let now = Instant::now();
            for svc in std::iter::once(&mut self.main).chain(self.log.as_mut()) {
                if !svc.throttled(now) {
                    svc.throttle_until = None;
                }
            }
            if let Some(c) = self.main.control_rd.as_ref().and_then(fifo::read_byte) {
                self.command(Which::Main, c);
            }
            if let Some(c) = self
                .log
                .as_ref()
                .and_then(|l| l.control_rd.as_ref())
                .and_then(fifo::read_byte)
            {
                self.command(Which::Log, c);
            }
            if self.term_received {
                self.term_received = false;
                self.command(Which::Main, b'x');
            }
            if self.main.want == Want::Exit && self.main.state == State::Down {
                match self.log.as_ref().map(|l| (l.pid, l.want)) {
                    None | Some((0, _)) => return 0,
                    Some((_, Want::Exit)) => {}
                    Some(_) => {
                        self.svc(Which::Log).want = Want::Exit;
                        self.update(Which::Log);
                        // The log sees EOF once the main service's copies are gone.
                        self.logpipe = None;
                    }
                }
            }
        }
    }

    /// Applies one control byte (runsv.md §6).
    fn command(&mut self, which: Which, c: u8) {
        match c {
            b'u' | b'o' => {
                self.svc(which).want = if c == b'u' { Want::Up } else { Want::Down };
                self.update(which);
                let svc = self.svc(which);
                if svc.state == State::Down {
                    if svc.throttled(Instant::now()) {
                        svc.start_pending = true;
                    } else {
                        self.start(which);
                    }
                }
            }
            b'd' | b'x' => {
                if c == b'x' && which == Which::Log {
                    return;
                }
                let svc = self.svc(which);
                svc.want = if c == b'd' { Want::Down } else { Want::Exit };
                svc.start_pending = false;
                self.update(which);
                if self.svc(which).running() {
                    self.stop(which);
                }
            }
            b't' => {
                if self.svc(which).running() {
                    self.stop(which);
                }
            }
            b'k' => {
                let svc = self.svc(which);
                if svc.running() && !self.control_script(which, b'k') {
                    self.signal(which, Signal::SIGKILL);
                }
                // runit records "down" without a status write (quirk 1).
                self.svc(which).state = State::Down;
            }
            b'p' | b'c' => {
                let (sig, paused) = if c == b'p' {
                    (Signal::SIGSTOP, true)
                } else {
                    (Signal::SIGCONT, false)
                };
                if self.svc(which).running() && !self.control_script(which, c) {
                    self.signal(which, sig);
                }
                self.svc(which).paused = paused;
                self.update(which);
            }
            b'h' | b'a' | b'i' | b'q' | b'1' | b'2' => {
                let sig = match c {
                    b'h' => Signal::SIGHUP,
                    b'a' => Signal::SIGALRM,
                    b'i' => Signal::SIGINT,
                    b'q' => Signal::SIGQUIT,
                    b'1' => Signal::SIGUSR1,
                    _ => Signal::SIGUSR2,
                };
                if self.svc(which).running() && !self.control_script(which, c) {
                    self.signal(which, sig);
                }
            }
            _ => {}
        }
    }

    /// Sends `sig` to the service's recorded pid, never to a group, never to 0.
    fn signal(&mut self, which: Which, sig: Signal) {
        let pid = self.svc(which).pid;
        if pid > 0 {
            let _ = kill(Pid::from_raw(pid), sig);
        }
    }

    /// runit's stopservice (runsv.md §6.1).
    fn stop(&mut self, which: Which) {
        if self.svc(which).pid != 0 && !self.control_script(which, b't') {
            self.signal(which, Signal::SIGTERM);
            self.svc(which).got_term = true;
            self.update(which);
        }
        match self.svc(which).want {
            Want::Down => {
                self.signal(which, Signal::SIGCONT);
                self.control_script(which, b'd');
            }
            Want::Exit => {
                self.signal(which, Signal::SIGCONT);
                self.control_script(which, b'x');
            }
            Want::Up => {}
        }
    }

    /// Runs `control/<c>` for the main service if it is executable; true when
    /// it "handled" the command (`wstatus >> 8 == 0`, a kill by signal included).
    fn control_script(&mut self, which: Which, c: u8) -> bool {
        if which == Which::Log {
            return false;
        }
        let path = format!("control/{}", c as char);
        match svdir::executable(&path) {
            Ok(true) => {}
            Ok(false) | Err(Errno::ENOENT) => return false,
            Err(e) => {
                self.voice.warn_err(&["unable to stat ", &path], e);
                return false;
            }
        }
        let spawn = match Spawn::new(&path, &[&path]) {
            Ok(s) => self.with_log_stdout(s, &format!("unable to setup stdout for {path}")),
            Err(_) => return false,
        }
        .on_exec_error(self.voice.fatal_prefix_bytes(&["unable to run control/?"]), EXIT_FATAL);
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
                self.voice.warn_err(&["unable to wait for child ", &path], e);
                false
            }
        }
    }

    /// Points the child's stdout at the log pipe when there is a log service.
    fn with_log_stdout(&self, spawn: Spawn, what: &str) -> Spawn {
        if self.log.is_none() {
            return spawn;
        }
        let fd = self
            .logpipe
            .as_ref()
            .map(|(_, w)| w.as_raw_fd())
            .unwrap_or(CLOSED_FD);
        spawn
            .fd(fd, 1)
            .on_fd_error(self.voice.fatal_prefix_bytes(&[what]))
    }

    /// runit's startservice (runsv.md §4.1).
    fn start(&mut self, which: Which) {
        let finishing = which == Which::Main && self.main.state == State::Finish;
        if which == Which::Main && !finishing {
            self.control_script(which, b'u');
        }
        if self.svc(which).pid != 0 {
            self.stop(which);
        }
        let spawn = match self.plan(which, finishing) {
            Ok(s) => s,
            Err(e) => {
                self.voice.warn_err(&["unable to start ./run"], e);
                return;
            }
        };
        let pid = loop {
            match spawn.start() {
                Ok(pid) => break pid,
                Err(e) => {
                    self.voice.warn_err(&["unable to fork, sleeping"], e);
                    std::thread::sleep(FORK_RETRY);
                }
            }
        };
        let svc = self.svc(which);
        if !finishing {
            svc.changed = Tai64n::now();
            svc.changed_at = Instant::now();
            svc.state = State::Run;
        }
        svc.pid = pid.as_raw();
        svc.paused = false;
        svc.got_term = false;
        svc.throttle_until = None;
        svc.start_pending = false;
        self.pid_changed = true;
        self.update(which);
    }

    /// What to execute for a start of `which`.
    fn plan(&self, which: Which, finishing: bool) -> Result<Spawn, Errno> {
        match which {
            Which::Log => {
                let fd = self
                    .logpipe
                    .as_ref()
                    .map(|(r, _)| r.as_raw_fd())
                    .unwrap_or(CLOSED_FD);
                Ok(Spawn::new("./run", &["./run"])?
                    .fd(fd, 0)
                    .on_fd_error(self.voice.fatal_prefix_bytes(&["unable to setup filedescriptor for ./log/run"]))
                    .chdir("./log", self.voice.fatal_prefix_bytes(&["unable to change directory to ./log"]))?
                    .on_exec_error(self.voice.fatal_prefix_bytes(&["unable to start log/./run"]), EXIT_FATAL))
            }
            Which::Main if finishing => {
                let (code, sig) = proc::finish_args(self.main.wstatus);
                let s = Spawn::new("./finish", &["./finish", &code, &sig])?;
                Ok(self
                    .with_log_stdout(s, "unable to setup filedescriptor for ./finish")
                    .on_exec_error(self.voice.fatal_prefix_bytes(&["unable to start ./finish"]), EXIT_FATAL))
            }
            Which::Main => {
                let s = Spawn::new("./run", &["./run"])?;
                Ok(self
                    .with_log_stdout(s, "unable to setup filedescriptor for ./run")
                    .on_exec_error(self.voice.fatal_prefix_bytes(&["unable to start ./run"]), EXIT_FATAL))
            }
        }
    }

    /// Reaps every exited child (runsv.md §5).
    fn reap_children(&mut self) {
        while let Some(r) = proc::reap_one() {
            if self.main.pid != 0 && r.pid == self.main.pid {
                let main = &mut self.main;
                main.pid = 0;
                main.wstatus = r.wstatus;
                main.got_term = false;
                self.pid_changed = true;
                if main.state != State::Finish && svdir::readable("finish") {
                    main.state = State::Finish;
                    self.update(Which::Main);
                    continue;
                }
                self.went_down(Which::Main);
            } else if self.log.as_ref().is_some_and(|l| l.pid != 0 && l.pid == r.pid) {
                let log = self.svc(Which::Log);
                log.pid = 0;
                log.got_term = false;
                self.pid_changed = true;
                self.went_down(Which::Log);
            }
            // Any other pid is one runsv forgot (the `k` quirk): just reaped.
        }
    }

    /// A service reached state down: new timestamp, status, and the throttle
    /// when it ran for less than a second.
    fn went_down(&mut self, which: Which) {
        let svc = self.svc(which);
        let now = Instant::now();
        let too_fast = now < svc.changed_at + THROTTLE;
        svc.state = State::Down;
        svc.changed = Tai64n::now();
        svc.changed_at = now;
        if too_fast {
            svc.throttle_until = Some(now + THROTTLE);
        }
        self.update(which);
    }
}
