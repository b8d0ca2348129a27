//! The waiting machinery of PID 1: one poll over a signalfd (SIGCHLD, SIGTERM,
//! SIGINT, and the signals of the services' `supervise/` directories watched
//! during shutdown). A wake that brought a SIGCHLD reaps every exited child
//! (orphans included); the statuses of the children my_init started are kept
//! until asked for, everything else is just reaped.
//!
//! The directories are watched with dnotify (fcntl F_NOTIFY), not inotify:
//! the last close of an inotify instance that has held watches waits for an
//! SRCU grace period, 10-20 ms on this machine, and PID 1's exit (what a
//! `docker stop` waits for) paid it every time. A dnotify watch ends with its
//! descriptor at no cost. The stop's watches (services.rs) signal with
//! [`dir_signal`], whose siginfo names the directory, so a change makes only
//! that service be looked at again; the others' plain SIGIO names nothing and
//! makes every service be looked at again.
//!
//! The reference's control flow is Python exceptions: the first SIGTERM or
//! SIGINT raises KeyboardInterrupt wherever it is waiting and both signals
//! are ignored from then on. Here that is [`Unwind::Interrupt`], returned by
//! whatever wait sees the signal first while `armed`. Where the reference
//! waits in a call that does not raise (its `os.system("sv ...")`), the wait
//! is not interruptible: the signal is remembered and raised at the next
//! [`Init::checkpoint`], which is where the reference's handler would run.

use super::args::{LEVEL_INFO, LEVEL_WARN};
use crate::cli::argparse::py_str;
use crate::proc::raw_status;
use crate::sig::Signals;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The reference's exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwind {
    /// `sys.exit(code)`
    Exit(i32),
    /// KeyboardInterrupt (SIGTERM or SIGINT)
    Interrupt,
}

pub type Flow = Result<(), Unwind>;

/// What waiting for one child gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Its raw wait status.
    Status(i32),
    /// It is not (or no longer) a child: the reference's "unknown status".
    Unknown,
    TimedOut,
}

pub struct Init {
    pub level: u8,
    signals: Signals,
    /// TERM/INT still raise (the reference ignores both after the first).
    armed: bool,
    /// A signal arrived during a wait that does not raise.
    pending: bool,
    /// Pids whose status is kept, and the statuses reaped for them.
    watched: HashSet<i32>,
    statuses: HashMap<i32, i32>,
    /// Whether any child at all remains (ECHILD seen last time: false).
    pub children_left: bool,
    /// A SIGCHLD was read from the signalfd since the last reap: the next
    /// wait must not sleep, or an exit between a reap and the read of its
    /// signal would wait for the deadline (or for ever).
    sigchld_unreaped: bool,
    /// Watched directories (dnotify), each with its open descriptor.
    watches: Vec<(OwnedFd, PathBuf)>,
    /// A watch was set: changes wake [`Init::wait_event`].
    watching: bool,
    /// What changed since the last look.
    changed: Changes,
    /// Descriptors to close once the kill-all's TERM is out ([`Init::park`]).
    parked: Vec<OwnedFd>,
    /// Children reaped that my_init did not start.
    orphans: usize,
}

/// What changed since the last look at the services.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    /// A child my_init did not start exited (a runsv may be gone: runsvdir
    /// is, and its runsv processes are ours).
    pub child: bool,
    /// A watched directory changed, and which is not known: a plain SIGIO
    /// (the watches of [`Init::watch_dir`], or a full signal queue).
    pub dirs: bool,
    /// The directories, by descriptor, that a watch set with
    /// [`dir_signal`] said changed.
    pub named: Vec<RawFd>,
}

impl Changes {
    /// Whether the directory open as `fd` may have changed.
    pub fn touched(&self, fd: Option<RawFd>) -> bool {
        self.dirs || fd.is_some_and(|fd| self.named.contains(&fd))
    }
}

/// The real-time signal a watch names its directory with (dnotify's
/// F_SETSIG): at shutdown each service's `supervise/` is looked at again
/// only when it changed, not every service at every change (a dozen
/// services renaming five files each made that quadratic).
pub fn dir_signal() -> i32 {
    libc::SIGRTMIN()
}

impl Init {
    pub fn new(level: u8) -> Result<Init, Errno> {
        let signals = Signals::with_numbers(
            &[
                Signal::SIGCHLD,
                Signal::SIGTERM,
                Signal::SIGINT,
                Signal::SIGIO,
            ],
            &[dir_signal()],
        )?;
        Ok(Init {
            level,
            signals,
            armed: true,
            pending: false,
            watched: HashSet::new(),
            statuses: HashMap::new(),
            children_left: true,
            sigchld_unreaped: false,
            watches: Vec::new(),
            watching: false,
            changed: Changes::default(),
            parked: Vec::new(),
            orphans: 0,
        })
    }

    /// `*** message` on stderr in one write, at the reference's levels.
    pub fn say(&self, level: u8, msg: &str) {
        if self.level >= level {
            let line = format!("*** {}\n", msg);
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    pub fn info(&self, msg: &str) {
        self.say(LEVEL_INFO, msg);
    }

    pub fn warn(&self, msg: &str) {
        self.say(LEVEL_WARN, msg);
    }

    /// Keep the status of `pid` (a child just started) until asked for.
    pub fn watch(&mut self, pid: Pid) {
        self.watched.insert(pid.as_raw());
    }

    /// Whether `pid` (one we started) has not been reaped yet.
    pub fn alive(&self, pid: Pid) -> bool {
        self.watched.contains(&pid.as_raw()) && !self.statuses.contains_key(&pid.as_raw())
    }

    /// Reaps every exited child.
    pub fn reap(&mut self) {
        self.sigchld_unreaped = false;
        loop {
            match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => {
                    self.children_left = true;
                    return;
                }
                Ok(ws) => {
                    if let Some((pid, w)) = raw_status(&ws) {
                        if self.watched.contains(&pid) {
                            self.statuses.insert(pid, w);
                        } else {
                            // An orphan: a runsv once runsvdir is gone.
                            self.changed.child = true;
                            self.orphans += 1;
                        }
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(_) => {
                    self.children_left = false;
                    return;
                }
            }
        }
    }

    /// Reads pending signals; a TERM or INT while armed disarms and either
    /// raises (`interruptible`) or is remembered for the next checkpoint.
    fn take_signals(&mut self, interruptible: bool) -> Flow {
        self.absorb_signals();
        if interruptible {
            self.raise_pending()
        } else {
            Ok(())
        }
    }

    /// Raises a remembered or pending interrupt.
    pub fn checkpoint(&mut self) -> Flow {
        self.absorb_signals();
        self.raise_pending()
    }

    fn raise_pending(&mut self) -> Flow {
        if self.pending {
            self.pending = false;
            return Err(Unwind::Interrupt);
        }
        Ok(())
    }

    /// Reads the signalfd: an interrupt is remembered (once armed), a
    /// child's exit and a directory's change are noted.
    fn absorb_signals(&mut self) {
        let dir_signal = dir_signal();
        let (mut interrupt, mut child, mut dirs) = (false, false, false);
        let named = &mut self.changed.named;
        self.signals
            .drain_each(|r| match Signal::try_from(r.signo) {
                Ok(Signal::SIGTERM | Signal::SIGINT) => interrupt = true,
                Ok(Signal::SIGCHLD) => child = true,
                Ok(Signal::SIGIO) => dirs = true,
                _ if r.signo == dir_signal && !named.contains(&r.fd) => named.push(r.fd),
                _ => {}
            });
        if interrupt && self.armed {
            self.armed = false;
            self.pending = true;
        }
        if child {
            self.sigchld_unreaped = true;
        }
        self.changed.dirs |= dirs;
    }

    /// Sleeps until a signal (a watched directory's change included) or
    /// `deadline`, then reads the signals and, after a SIGCHLD, reaps. A
    /// child that exits after the read sends a SIGCHLD of its own, which
    /// ends the next wait at once.
    pub fn wait_event(&mut self, deadline: Option<Instant>, interruptible: bool) -> Flow {
        self.wait_event_or(deadline, interruptible, &[]).map(|_| ())
    }

    /// [`Init::wait_event`], also woken by `fds` (readable, hung up or in
    /// error); says which of them were.
    pub fn wait_event_or(
        &mut self,
        deadline: Option<Instant>,
        interruptible: bool,
        fds: &[BorrowedFd],
    ) -> Result<Vec<bool>, Unwind> {
        // A child's signal already read and not yet reaped: look, don't sleep.
        let deadline = if self.sigchld_unreaped {
            Some(Instant::now())
        } else {
            deadline
        };
        let mut all = Vec::with_capacity(1 + fds.len());
        all.push(self.signals.as_fd());
        all.extend_from_slice(fds);
        let mut ready = crate::poll::readable(&all, deadline);
        ready.remove(0);
        self.absorb_signals();
        if self.sigchld_unreaped {
            self.reap();
        }
        if interruptible {
            self.raise_pending()?;
        }
        Ok(ready)
    }

    /// How many children my_init did not start have been reaped.
    pub fn orphans(&self) -> usize {
        self.orphans
    }

    /// What changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changed)
    }

    /// The status of our child `pid` if it has been reaped (None: not yet).
    pub fn try_status(&mut self, pid: Pid) -> Option<Waited> {
        self.reap();
        if let Some(w) = self.statuses.remove(&pid.as_raw()) {
            self.watched.remove(&pid.as_raw());
            return Some(Waited::Status(w));
        }
        if !self.watched.contains(&pid.as_raw()) || !self.children_left {
            return Some(Waited::Unknown);
        }
        None
    }

    /// Raises a TERM/INT that arrived (interruptible waits).
    pub fn signals_now(&mut self) -> Flow {
        self.take_signals(true)
    }

    /// Waits for our child `pid`, reaping everything else meanwhile.
    pub fn wait_child(
        &mut self,
        pid: Pid,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<Waited, Unwind> {
        self.reap();
        self.take_signals(interruptible)?;
        loop {
            if let Some(w) = self.statuses.remove(&pid.as_raw()) {
                self.watched.remove(&pid.as_raw());
                return Ok(Waited::Status(w));
            }
            if !self.watched.contains(&pid.as_raw()) || !self.children_left {
                return Ok(Waited::Unknown);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(Waited::TimedOut);
            }
            self.wait_event(deadline, interruptible)?;
        }
    }

    /// The reference's `stop_child_process`: TERM, wait up to `timeout`
    /// (None: for ever), then KILL and wait.
    pub fn stop_child(&mut self, name: &[u8], pid: Pid, timeout: Option<Duration>) -> Flow {
        self.info(&format!("Shutting down {} (PID {})...", py_str(name), pid));
        if !self.alive(pid) {
            // Already reaped: never signal a pid that may have been reused.
            self.statuses.remove(&pid.as_raw());
            return Ok(());
        }
        let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
        let deadline = timeout.map(|t| Instant::now() + t);
        if self.wait_child(pid, deadline, true)? == Waited::TimedOut {
            self.warn(&format!(
                "{} (PID {}) did not shut down in time. Forcing it to exit.",
                py_str(name),
                pid
            ));
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            self.wait_child(pid, None, true)?;
        }
        Ok(())
    }

    /// The reference's `kill_all_processes`: TERM to every process, wait
    /// until no child is left (up to `timeout`), then KILL without waiting.
    ///
    /// With `own_only` (unprivileged and not PID 1) the signals go to our
    /// own descendants only, never to `-1`, which outside a PID namespace
    /// would reach every process of the user.
    pub fn kill_all(&mut self, timeout: Option<Duration>, own_only: bool) -> Flow {
        self.info("Killing all processes...");
        signal_all(Signal::SIGTERM, own_only);
        self.parked.clear();
        let deadline = timeout.map(|t| Instant::now() + t);
        self.reap();
        self.take_signals(true)?;
        loop {
            if !self.children_left {
                return Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.warn("Not all processes have exited in time. Forcing them to exit.");
                signal_all(Signal::SIGKILL, own_only);
                return Ok(());
            }
            self.wait_event(deadline, true)?;
        }
    }

    /// Watches `dir` (a `supervise/` directory) for replaced status files.
    /// Returns whether the watch is set (also when it already was).
    pub fn watch_dir(&mut self, dir: &Path) -> bool {
        if self.watches.iter().any(|(_, d)| d == dir) {
            return true;
        }
        // runsv replaces its files by renaming `*.new` into place.
        let Ok(fd) = crate::dnotify::watch(dir, crate::dnotify::RENAME) else {
            return false;
        };
        self.watches.push((fd, dir.to_path_buf()));
        self.watching = true;
        true
    }

    /// Removes every watch (closes the directories).
    pub fn unwatch_all(&mut self) {
        self.watches.clear();
    }

    /// Keeps `fds` (the stop's watched directories) open until the kill-all
    /// has sent its TERM, or until the end.
    pub fn park(&mut self, fds: Vec<OwnedFd>) {
        self.parked.extend(fds);
    }

    /// Whether status changes wake [`Init::wait_event`].
    pub fn watching(&self) -> bool {
        self.watching
    }
}

/// `kill(-1, sig)`, or `sig` to each of our descendants.
fn signal_all(sig: Signal, own_only: bool) {
    if !own_only {
        let _ = nix::sys::signal::kill(Pid::from_raw(-1), sig);
        return;
    }
    for pid in descendants(nix::unistd::getpid().as_raw()) {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), sig);
    }
}

/// Every process below `root`, from /proc's parent links.
fn descendants(root: i32) -> Vec<i32> {
    let mut parent_of: Vec<(i32, i32)> = Vec::new();
    if let Ok(names) = crate::dirents::names("/proc") {
        for name in names {
            let Some(pid) = std::str::from_utf8(&name)
                .ok()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", pid)) else {
                continue;
            };
            // The command name is in parentheses and may contain anything.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(
            parent_of
                .iter()
                .filter(|&&(_, pp)| pp == p)
                .map(|&(c, _)| c),
        );
        i += 1;
    }
    out.remove(0);
    out
}
