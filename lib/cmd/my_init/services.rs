//! Stopping the services at shutdown, driving runsv directly.
//!
//! The reference runs `sv -w KILL_PROCESS_TIMEOUT force-stop /etc/service/*`
//! and then, every 100 ms until no `sv status` line starts with `run:`, the
//! same force-stop again. runit's sv looks at the services every 420 ms, so
//! a stop of well-behaved services takes about half a second there. Here the
//! same protocol is spoken in-process: `d` written to each
//! `supervise/control` (force-stop's only command), the `supervise/status`
//! record read again whenever runsv renames a new one into place (dnotify on
//! each `supervise/` directory, its signal read from the same signalfd, so
//! orphans are still reaped and signals still seen), and `k` written to
//! whatever is not down when the timeout passes, as force-stop does. Each
//! `supervise/` directory is held open for the whole stop: its files are
//! opened by name in it, and its watch's signal names it ([`Svc`]). sv's own waiting
//! (lib/cmd/sv/wait.rs) is not reused: it owns the process while it waits
//! and keeps runit's 420 ms moments for its output; PID 1 must keep reaping
//! and has no output to pace.
//!
//! The conditions are sv's: a service is down when runsv is not running or
//! its record says pid 0 and state down (and, here, want down: see
//! [`Svc::is_down`]); it "runs" (an `sv status` line starting with `run:`) when
//! runsv is running and the state byte is 1.
//!
//! Beyond the reference:
//! - runsvdir is sent its TERM as the stop begins (runit's runsvdir exits
//!   at once on TERM and leaves its runsv processes alone; its "Shutting
//!   down" line and wait stay where the reference has them), so that it
//!   cannot start a runsv again;
//! - the runsv of each service with a log service is sent `x` once the
//!   service is down (not sooner: `x` to a running service is a second
//!   TERM), and waited for (up to the same timeout) until it has exited:
//!   runsv closes the log's pipe, the log reads it to the end and exits, then
//!   runsv does, so no line is lost to the kill-all. A log whose pipe is
//!   empty (FIONREAD on its stdin, reopened through /proc) once runsv has
//!   taken the `x` gets 250 ms more, no longer: a stray child of the service
//!   may hold the pipe open for ever. Emptiness announces itself through no
//!   file, so a log with bytes left is looked at every 5 ms;
//! - when nothing could see a runsv go before the kill-all (no
//!   post-shutdown script, and the kill-all will come), every runsv is sent
//!   `x`: runit's runsv takes the kill-all's TERM as an `x`, so this is the
//!   same word, earlier, and the runsv processes exit while the other
//!   services still stop instead of all at the end. `x` then replaces
//!   force-stop's `d` for each service without a `control/` directory
//!   ([`Exit::AtOnce`]); a service with one gets `d`, then `x` once it is
//!   down;
//! - a service is looked at again only when its `supervise/` directory
//!   changed (only its record is read then), or every service when a child
//!   my_init did not start exited (then also whether runsv still runs);
//! - a service without a log whose runsv was told `x` is not watched at
//!   first: its runsv exits once the service is down, and the control FIFO
//!   my_init holds open turns to an error then (runsv was its only
//!   reader), which names the service. One that is still up after
//!   [`UNWATCHED_FOR`] is watched like the others (its runsv may have been
//!   told since to stay: a finish script's `sv d`, say). A fast stop then
//!   costs no signal per status file and no record read.
//!
//! Measured with scripts/bench-my_init.sh (12 services, 2-core machine,
//! medians of 15, trees on tmpfs), over our runit: SIGTERM to PID 1's exit
//! 4.6 ms for ours against 22.6 ms for the reference (runsvdir alone as
//! PID 1: 2.7 ms); over Debian's runit 5.8 ms against 445 ms (runit's sv,
//! which the reference runs, looks every 420 ms). A stop of 12 services is
//! CPU-bound on two cores: the namespace spends 7.6 ms of CPU in ours, of
//! which PID 1 1.0 ms (reaping and its exit included), against 26.0 and
//! 18.4 ms in the reference; runsv's status files (five renames on tmpfs
//! per service) and the processes' exits are most of the rest, which both
//! pay. Telling `x` instead of `d`, and trusting a runsv's exit instead of
//! watching its directory, took the stop from about 10 to about 8 ms of
//! CPU (same-run comparisons). Before the directories were held open and
//! named by their signal, PID 1 read every record at every change: 1.9 ms
//! of CPU. With inotify, ours paid an SRCU grace period at its exit, and
//! runsvdir another: 25-35 ms then.

use super::init::{Init, Unwind};
use crate::fifo;
use crate::status::Status;
use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const SERVICE_DIR: &str = "/etc/service";

/// What a service's supervise directory says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// runsv not running (or no supervise directory).
    NotRunning,
    Record(Status),
    /// runsv runs but the record cannot be read.
    Unreadable,
}

impl Probe {
    /// An `sv status` line starting with `run:`.
    fn is_running(&self) -> bool {
        matches!(self, Probe::Record(s) if s.state == 1)
    }
}

/// The services as the shell's `/etc/service/*` lists them.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let Ok(mut names) = crate::dirents::names(dir) else {
        return Vec::new();
    };
    names.retain(|n| n.first() != Some(&b'.'));
    names.sort();
    names
        .into_iter()
        .map(|n| dir.join(std::ffi::OsStr::from_bytes(&n)))
        .collect()
}

/// A service directory as the stop looks at it: made once per service, not
/// at every look (each look's allocations were mappings that musl's
/// allocator made and unmade, a tenth of PID 1's time during a stop).
pub struct Svc {
    pub dir: PathBuf,
    supervise: PathBuf,
    /// The `supervise/` directory held open ([`Svc::open`]): its files are
    /// then opened by name in it, not by a whole path walked again at every
    /// look, and its dnotify watch lasts as long as this descriptor.
    held: Option<OwnedFd>,
    /// Its watch is set.
    watched: bool,
    /// Its `supervise/control` FIFO, held open ([`Svc::prepare`]).
    control: Option<OwnedFd>,
    /// It has something named `control` (runsv's customized control
    /// scripts, `control/<byte>`), as [`Svc::prepare`] found.
    customized: bool,
}

impl Svc {
    pub fn new(dir: PathBuf) -> Svc {
        Svc {
            supervise: dir.join("supervise"),
            dir,
            held: None,
            watched: false,
            control: None,
            customized: false,
        }
    }

    /// What the stop's words need: its `supervise/control` FIFO opened
    /// (kept for a later `k`), and whether it has `control/` scripts.
    fn prepare(&mut self) {
        self.control = self.writer("control").ok();
        self.customized = std::fs::symlink_metadata(self.dir.join("control")).is_ok();
    }

    /// [`Svc::new`], its `supervise/` directory held open if it is one.
    pub fn open(dir: PathBuf) -> Svc {
        let mut svc = Svc::new(dir);
        svc.hold();
        svc
    }

    fn hold(&mut self) -> Option<BorrowedFd<'_>> {
        if self.held.is_none() {
            self.held = crate::open::dir(&self.supervise).ok().map(OwnedFd::from);
        }
        self.held.as_ref().map(|fd| fd.as_fd())
    }

    /// Its `supervise/` directory (what a watch is set on).
    pub fn supervise(&self) -> &Path {
        &self.supervise
    }

    /// Whether its `supervise/` directory could be held open: it exists, and
    /// is a directory.
    fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Watches its `supervise/` directory for replaced files (runsv renames
    /// each `*.new` into place); false when it cannot be opened.
    pub fn watch(&mut self) -> bool {
        if !self.watched {
            let signal = Some(super::init::dir_signal());
            self.watched = self.hold().is_some_and(|fd| {
                crate::dnotify::watch_fd(fd, crate::dnotify::RENAME, signal).is_ok()
            });
        }
        self.watched
    }

    /// Its control FIFO held open, which turns to an error when runsv (its
    /// only reader) is gone.
    fn gone_fd(&self) -> Option<BorrowedFd<'_>> {
        self.control.as_ref().map(|fd| fd.as_fd())
    }

    /// The descriptor its watch names it by.
    fn watch_fd(&self) -> Option<RawFd> {
        self.held
            .as_ref()
            .filter(|_| self.watched)
            .map(|fd| fd.as_raw_fd())
    }

    /// Closes its `supervise/` directory, which ends its watch, and its
    /// control FIFO.
    fn release(&mut self) {
        self.held = None;
        self.watched = false;
        self.control = None;
    }

    /// The descriptors it holds (its directory, which keeps its watch, and
    /// its control FIFO), to be closed when it suits.
    pub fn into_held(self) -> impl Iterator<Item = OwnedFd> {
        self.held.into_iter().chain(self.control)
    }

    /// The FIFO `supervise/<name>` opened for writing.
    fn writer(&self, name: &str) -> Result<OwnedFd, Errno> {
        match &self.held {
            Some(fd) => fifo::open_writer_in(fd.as_fd(), name),
            None => fifo::open_writer(self.supervise.join(name)),
        }
    }

    /// sv's status read: runsv running (the `ok` FIFO has a reader), then
    /// the 20-byte record.
    pub fn probe(&self) -> Probe {
        if self.writer("ok").is_err() {
            return Probe::NotRunning;
        }
        match self.record() {
            Some(s) => Probe::Record(s),
            None => Probe::Unreadable,
        }
    }

    /// The 20-byte record, whether runsv runs or not.
    fn record(&self) -> Option<Status> {
        match &self.held {
            Some(fd) => crate::status::read_in(fd.as_fd(), "status"),
            None => crate::status::read(&self.supervise.join("status")),
        }
    }

    /// The bytes of `supervise/<name>` (empty when it cannot be read).
    fn file(&self, name: &str) -> Vec<u8> {
        use std::io::Read;
        let file = match &self.held {
            Some(fd) => crate::open::read_in(fd.as_fd(), name),
            None => crate::open::read(self.supervise.join(name)),
        };
        let mut bytes = Vec::new();
        if let Ok(mut f) = file {
            let _ = f.read_to_end(&mut bytes);
        }
        bytes
    }

    /// Writes one control byte; false when runsv is not there to read it.
    /// Through the FIFO held open if it still has a reader, else opened now
    /// (a runsv started since has a FIFO of its own).
    pub fn control(&self, byte: u8) -> bool {
        let say = |fd: BorrowedFd| loop {
            match nix::unistd::write(fd, &[byte]) {
                Err(Errno::EINTR) => continue,
                r => return r == Ok(1),
            }
        };
        if self.control.as_ref().is_some_and(|fd| say(fd.as_fd())) {
            return true;
        }
        match self.writer("control") {
            Ok(fd) => say(fd.as_fd()),
            Err(_) => false,
        }
    }

    /// sv's `d` check, without its race: the record must also say "want
    /// down", so a record written before runsv read our `d` (a service that
    /// has just been started, or is between two runs) does not count (sv
    /// accepts such a stale record, doc/runit/sv.md §5.2). Done too when
    /// runsv is gone; an unreadable record is waited for (up to the timeout).
    fn is_down(&self) -> bool {
        // Down either way, runsv running or not: the `ok` FIFO need not be
        // opened (half the system calls of a look at a stopped service).
        // Otherwise down only if runsv is gone: a record replaced since is
        // a change of the directory, looked at again then.
        self.record().is_some_and(says_down) || self.writer("ok").is_err()
    }
}

/// [`Svc::probe`] of the service directory `svc`.
pub fn probe(svc: &Path) -> Probe {
    Svc::new(svc.to_path_buf()).probe()
}

/// The record of a service stopped on our `d`: no pid, state down, want down.
fn says_down(s: Status) -> bool {
    s.pid == 0 && s.state == 0 && s.want == b'd'
}

/// What is known of a log service's pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// No log service running, or nothing left unread in its pipe.
    Done,
    /// Bytes still in the pipe.
    Pending,
    /// Its standard input cannot be looked at: wait for it to exit.
    Unknown,
}

/// Whether the log service `log` has read everything written so far:
/// its standard input, opened again through /proc, has no unread bytes
/// (svlogd writes every complete line it has read when the kill-all's TERM
/// comes). A process that keeps the pipe open (a service's stray child)
/// then cannot hold the stop up.
fn log_drain(log: &Svc) -> Drain {
    let pid = match log.probe() {
        Probe::Record(s) if s.pid > 1 => s.pid,
        Probe::Record(_) | Probe::NotRunning => return Drain::Done,
        Probe::Unreadable => return Drain::Unknown,
    };
    // Until runsv has taken the `x` (it may be in its one-second pause after
    // a short run), it still holds the pipe and will close it: wait.
    let stat = log.file("stat");
    if !stat.windows(9).any(|w| w == b"want exit") {
        return Drain::Unknown;
    }
    let path = format!("/proc/{}/fd/0", pid);
    let Ok(f) = fifo::open(&path, nix::fcntl::OFlag::O_RDONLY) else {
        return Drain::Unknown;
    };
    if !fifo::is_fifo(&path).unwrap_or(false) {
        return Drain::Unknown;
    }
    match crate::sys::pipe_unread(f.as_fd()) {
        Ok(0) => Drain::Done,
        Ok(_) => Drain::Pending,
        Err(_) => Drain::Unknown,
    }
}

/// How often a log with bytes left in its pipe is looked at again: reading
/// announces itself through no file.
const DRAIN_AGAIN: Duration = Duration::from_millis(5);
/// How long runsv is still waited for once every log pipe is empty.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How long force-stop waits: sv's `-w` (a negative number reads as 0, and
/// sv's first look after 0 comes after 420 ms).
pub fn force_stop_wait(kill_process_timeout: i64) -> Duration {
    if kill_process_timeout > 0 {
        Duration::from_secs(kill_process_timeout.min(u32::MAX as i64) as u64)
    } else {
        Duration::from_millis(420)
    }
}

/// The services of `dir` (the shell's `/etc/service/*`), for
/// [`force_stop`], which opens each as it tells it.
pub fn all_in(dir: &Path) -> Vec<Svc> {
    list(dir).into_iter().map(Svc::new).collect()
}

/// When the runsv processes are told to exit (`x`) before the kill-all,
/// beyond the reference. runit's runsv takes the kill-all's TERM as an `x`:
/// told sooner, the runsv processes exit while the other services still
/// stop, instead of all at the end. runsvdir has been told to exit by then,
/// and starts no runsv again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Only the runsv of a service with a log, once its service is down
    /// (its log is then drained before the kill-all, see [`wait_down`]):
    /// something may look at the others before the kill-all (a
    /// post-shutdown script), or there is no kill-all.
    WithLog,
    /// Nothing runs before the kill-all: `x` instead of force-stop's `d`,
    /// to each service without a `control/` directory. runsv stops the
    /// service in the same way (TERM, CONT, the same status bytes), then
    /// exits on its own once it is down: one word less for each runsv to
    /// wake up to, and no round trip through PID 1 between a service's end
    /// and its runsv's. With a `control/` directory, `d` and `x` run
    /// different scripts (`control/d`, `control/x`): such a service gets
    /// `d`, and `x` once it is down.
    AtOnce,
}

/// `sv -w N force-stop /etc/service/*`: `d` to every service, wait until
/// each is down, `k` to those that are not when `wait` has passed. A TERM
/// meanwhile is raised only afterwards, as the reference's would be.
/// Returns the services seen down, for [`wait_down`].
///
/// Each service seen down is settled at once ([`Waited::settle`]): its
/// runsv is sent `x` as `exit` says.
pub fn force_stop(
    init: &mut Init,
    services: Vec<Svc>,
    wait: Duration,
    exit: Exit,
) -> Result<Vec<Waited>, Unwind> {
    let deadline = Instant::now() + wait;
    // Orphans reaped beyond the runsv processes told to exit mean a runsv
    // may have died on its own: then every service is looked at again.
    let orphans_before = init.orphans();
    let mut told_to_exit = 0;
    // Every word first (`x` or `d`), so that the services stop side by
    // side, each service from its control FIFO's opening to its word in one
    // step: the first runsv is at work while the others are still being
    // opened. Then the watches (and what wait_down needs to know, while the
    // services stop), and a first look at each watched record (a change
    // between the word and its watch is seen there). A `supervise/`
    // directory is opened only if it is to be watched.
    let mut told: Vec<(Svc, bool)> = Vec::with_capacity(services.len());
    for mut svc in services {
        svc.prepare();
        let exits = exit == Exit::AtOnce && !svc.customized;
        if svc.control(if exits { b'x' } else { b'd' }) {
            told.push((svc, exits));
        }
    }
    let mut pending: Vec<Waited> = Vec::with_capacity(told.len());
    for (svc, exits) in told {
        told_to_exit += usize::from(exits);
        pending.push(Waited::meet(svc, exits));
    }
    let mut stopped: Vec<Waited> = Vec::with_capacity(pending.len());
    // Whether every service is watched (a directory may fail to open, at a
    // descriptor limit): if not, all are looked at again every 100 ms.
    let mut all_watched = pending.iter().all(|w| w.watched);
    let mut first_look = true;
    // Until then a runsv told to exit is trusted to say by its exit that
    // its service is down; after, it is watched too (something may have
    // told it since to stay, a finish script's `sv d`, say).
    let mut unwatched_until = Some(Instant::now() + UNWATCHED_FOR);
    let mut gone: Vec<RawFd> = Vec::new();
    loop {
        let changes = init.take_changes();
        let unexpected = init.orphans() - orphans_before > told_to_exit;
        let late = unwatched_until.is_some_and(|t| Instant::now() >= t);
        if late {
            unwatched_until = None;
        }
        let mut i = 0;
        while i < pending.len() {
            let w = &mut pending[i];
            let mut look = first_look;
            if w.awaits_exit && late {
                all_watched &= w.watch_instead();
                look = true;
            }
            let s = &w.svc;
            let down = if (changes.child && unexpected) || !all_watched {
                // A runsv may be gone: is_down asks the `ok` FIFO too.
                s.is_down()
            } else if w.awaits_exit {
                s.gone_fd().is_some_and(|fd| gone.contains(&fd.as_raw_fd()))
            } else if look || changes.touched(s.watch_fd()) {
                // A record was replaced (or was before the watches were
                // set): it may say down.
                s.record().is_some_and(says_down)
            } else {
                false
            };
            if down {
                let mut w = pending.swap_remove(i);
                let exiting = w.exiting;
                if w.settle(exit) && w.exiting {
                    // Nothing more to learn from its directory: its watch
                    // ends now, while other services still stop, not on
                    // the way out.
                    w.svc.release();
                }
                told_to_exit += usize::from(w.exiting && !exiting);
                stopped.push(w);
            } else {
                i += 1;
            }
        }
        first_look = false;
        if pending.is_empty() {
            return Ok(stopped);
        }
        if Instant::now() >= deadline {
            for w in &pending {
                w.svc.control(b'k');
            }
            return Ok(stopped);
        }
        let mut next = deadline.min(unwatched_until.unwrap_or(deadline));
        if !all_watched {
            // Not (all) watched: look again every 100 ms, as the reference does.
            next = next.min(Instant::now() + Duration::from_millis(100));
        }
        let exits: Vec<BorrowedFd> = pending
            .iter()
            .filter(|w| w.awaits_exit)
            .filter_map(|w| w.svc.gone_fd())
            .collect();
        let ready = init.wait_event_or(Some(next), false, &exits)?;
        gone = exits
            .iter()
            .zip(ready)
            .filter(|(_, r)| *r)
            .map(|(fd, _)| fd.as_raw_fd())
            .collect();
    }
}

/// How long a runsv told to exit is trusted to say by its exit alone that
/// its service is down (see [`force_stop`]).
const UNWATCHED_FOR: Duration = Duration::from_millis(10);

/// A service being stopped, and what [`wait_down`] needs of it.
pub struct Waited {
    svc: Svc,
    /// Its directories that exist are watched.
    watched: bool,
    /// Its log service, if it has one (whose pipe is drained before the
    /// kill-all).
    log: Option<Box<Svc>>,
    /// Its runsv was sent `x`.
    exiting: bool,
    /// When it was seen running and told again to stop, and whether it
    /// has been sent `k` since.
    told: Option<(Instant, bool)>,
    /// Not watched: its runsv, told to exit, says it is down by exiting
    /// (the end of its control FIFO's reader, [`Svc::gone_fd`]).
    awaits_exit: bool,
}

impl Waited {
    /// Watches a service's directories and says what is known of it
    /// (`watched` is false when a directory that exists cannot be watched,
    /// at a descriptor limit: then it is looked at again every 100 ms).
    ///
    /// A service whose runsv was told `x` and that has no log is not
    /// watched: its runsv exits once it is down, and that is seen on its
    /// control FIFO ([`Waited::awaits_exit`]).
    fn meet(mut svc: Svc, exiting: bool) -> Waited {
        let mut log = Svc::open(svc.dir.join("log"));
        let logged = log.is_held();
        let awaits_exit = exiting && !logged && svc.control.is_some();
        let watched =
            awaits_exit || ((svc.watch() || !svc.supervise.is_dir()) && (!logged || log.watch()));
        Waited {
            svc,
            watched,
            log: logged.then(|| Box::new(log)),
            exiting,
            told: None,
            awaits_exit,
        }
    }

    /// Stops waiting for its runsv's exit alone: it is watched like the
    /// others from now on. False when the watch could not be set.
    fn watch_instead(&mut self) -> bool {
        self.awaits_exit = false;
        self.svc.watch() || !self.svc.supervise.is_dir()
    }

    /// Its service is down: its runsv is sent `x` if it has a log service
    /// (to drain the log, see [`wait_down`]) or if `exit` says so. True
    /// when nothing more is to be waited for.
    fn settle(&mut self, exit: Exit) -> bool {
        if !self.exiting && (self.log.is_some() || exit != Exit::WithLog) {
            self.svc.control(b'x');
            self.exiting = true;
        }
        self.log.is_none()
    }

    /// The descriptors it holds, which keep its watches.
    fn into_held(self) -> impl Iterator<Item = OwnedFd> {
        self.svc
            .into_held()
            .chain(self.log.into_iter().flat_map(|log| log.into_held()))
    }
}

/// The reference's `wait_for_runit_services`: until no service runs, each
/// still running told again to stop (`k` once it has had `wait`). Here
/// also, for at most `wait`, until every log service has read all that was
/// written to it (services without one are not waited for): the runsv of
/// each service with a log is sent `x` once its service is down (runit's
/// runsvdir exits on TERM without signalling them); it then closes the log's
/// pipe, the log reads to the end and exits, and so does runsv, which wakes
/// us as SIGCHLD (runsvdir is gone by now, so runsv is our child). Once the
/// pipes of all logs still running are empty, they are given DRAIN_GRACE
/// to exit, no more: a stray child of a service may hold a pipe open.
///
/// A service that is down and has no log is done with: its runsv is left
/// to the kill-all, as in the reference, and nothing can start it again.
/// `stopped`: the services [`force_stop`] saw down.
pub fn wait_down(
    init: &mut Init,
    dir: &Path,
    wait: Duration,
    stopped: Vec<Waited>,
    exit: Exit,
) -> Result<Vec<OwnedFd>, Unwind> {
    let drain_until = Instant::now() + wait;
    let mut known: Vec<Waited> = Vec::with_capacity(stopped.len());
    // Done with, kept until the end for their directories' descriptors.
    let mut done: Vec<Waited> = Vec::with_capacity(stopped.len());
    let mut drained_since: Option<Instant> = None;
    let mut all_watched = true;
    let settle = |w: &mut Waited| w.settle(exit);
    for mut w in stopped {
        all_watched &= w.watched;
        if settle(&mut w) {
            done.push(w);
        } else {
            known.push(w);
        }
    }
    let held = |known: Vec<Waited>, done: Vec<Waited>| {
        known
            .into_iter()
            .chain(done)
            .flat_map(Waited::into_held)
            .collect()
    };
    loop {
        // The reference globs `/etc/service/*` at every look.
        for path in list(dir) {
            let same = |w: &Waited| w.svc.dir.as_os_str() == path.as_os_str();
            if !done.iter().any(same) && !known.iter().any(same) {
                let w = Waited::meet(Svc::open(path), false);
                all_watched &= w.watched;
                known.push(w);
            }
        }
        let mut i = 0;
        while i < known.len() {
            let w = &mut known[i];
            if !w.exiting && w.svc.is_down() && settle(w) {
                done.push(known.remove(i));
            } else {
                i += 1;
            }
        }
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        // One probe per service and look, for both questions below.
        let probes: Vec<Probe> = known.iter().map(|w| w.svc.probe()).collect();
        let mut running = false;
        for (w, _) in known
            .iter_mut()
            .zip(&probes)
            .filter(|(_, p)| p.is_running())
        {
            running = true;
            match &mut w.told {
                None => {
                    w.svc.control(b'd');
                    w.told = Some((now, false));
                    at(now + wait);
                }
                Some((since, killed)) => {
                    if !*killed && now >= *since + wait {
                        w.svc.control(b'k');
                        *killed = true;
                    } else if !*killed {
                        at(*since + wait);
                    }
                }
            }
        }
        // Wait for every runsv with a log to exit; but when all that is left
        // has empty log pipes, only for DRAIN_GRACE more (a stray writer may
        // hold one open for ever).
        let mut left = false;
        let mut pending = false;
        if now < drain_until {
            for (w, probe) in known.iter().zip(&probes) {
                let Some(log) = w.log.as_ref() else {
                    continue;
                };
                if *probe == Probe::NotRunning {
                    continue;
                }
                left = true;
                match log_drain(log) {
                    Drain::Done => {}
                    Drain::Pending | Drain::Unknown => pending = true,
                }
            }
        }
        if left && !pending {
            let since = *drained_since.get_or_insert(now);
            if now >= since + DRAIN_GRACE {
                left = false;
            } else {
                at(since + DRAIN_GRACE);
            }
        } else {
            drained_since = None;
        }
        if !running && !left {
            return Ok(held(known, done));
        }
        if left {
            at(drain_until);
        }
        if pending {
            at(Instant::now() + DRAIN_AGAIN);
        }
        if !all_watched {
            // Not (all) watched: look again every 100 ms, as the reference does.
            at(Instant::now() + Duration::from_millis(100));
        }
        init.wait_event(next, true)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_as_the_shell_globs_them() {
        let dir = std::env::temp_dir().join(format!("my_init_svc_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for n in ["b", "a", ".hidden", "A"] {
            std::fs::create_dir_all(dir.join(n)).unwrap();
        }
        let names: Vec<String> = list(&dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["A", "a", "b"]);
        // No runsv: not running, and nothing to send to.
        let a = Svc::new(dir.join("a"));
        assert_eq!(a.probe(), Probe::NotRunning);
        assert!(!a.control(b'd'));
        assert!(a.is_down() && !a.probe().is_running());
        assert_eq!(log_drain(&Svc::open(dir.join("a/log"))), Drain::Done);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn force_stop_waits_like_sv_w() {
        assert_eq!(force_stop_wait(30), Duration::from_secs(30));
        assert_eq!(force_stop_wait(0), Duration::from_millis(420));
        assert_eq!(force_stop_wait(-5), Duration::from_millis(420));
        // Far in the future, but no overflow of an Instant.
        let _ = Instant::now() + force_stop_wait(i64::MAX);
    }
}
