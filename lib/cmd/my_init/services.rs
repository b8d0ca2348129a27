//! Stopping the services at shutdown, driving runsv directly.
//!
//! The reference runs `sv -w KILL_PROCESS_TIMEOUT force-stop /etc/service/*`
//! and then, every 100 ms until no `sv status` line starts with `run:`, the
//! same force-stop again. runit's sv looks at the services every 420 ms, so
//! a stop of well-behaved services takes about half a second there. Here the
//! same protocol is spoken in-process: `d` written to each
//! `supervise/control` (force-stop's only command), the `supervise/status`
//! record read again whenever runsv renames a new one into place (dnotify on
//! each `supervise/` directory, its SIGIO read from the same signalfd, so
//! orphans are still reaped and signals still seen), and `k` written to whatever is
//! not down when the timeout passes, as force-stop does. sv's own waiting
//! (lib/cmd/sv/wait.rs) is not reused: it owns the process while it waits
//! and keeps runit's 420 ms moments for its output; PID 1 must keep reaping
//! and has no output to pace.
//!
//! The conditions are sv's: a service is down when runsv is not running or
//! its record says pid 0 and state down (and, here, want down: see
//! [`is_down`]); it "runs" (an `sv status` line starting with `run:`) when
//! runsv is running and the state byte is 1.
//!
//! Beyond the reference:
//! - runsvdir is sent its TERM as the stop begins (runit's runsvdir exits
//!   at once on TERM and leaves its runsv processes alone; its "Shutting
//!   down" line and wait stay where the reference has them), so that it
//!   cannot start a runsv again;
//! - each runsv is sent `x` once its service is down (not sooner: `x` to a
//!   running service is a second TERM), and services with a log service are
//!   waited for (up to the same timeout) until runsv has exited: runsv
//!   closes the log's pipe, the log reads it to the end and exits, then
//!   runsv does, so no line is lost to the kill-all. A log whose pipe is
//!   empty (FIONREAD on its stdin, reopened through /proc) once runsv has
//!   taken the `x` gets 250 ms more, no longer: a stray child of the service
//!   may hold the pipe open for ever. Emptiness announces itself through no
//!   file, so a log with bytes left is looked at every 5 ms;
//! - services are looked at again only when a `supervise/` directory
//!   changed or a child exited.
//!
//! Measured with scripts/bench-my_init.sh (12 services, 2-core machine
//! shared with builds, load 1-3, medians of 7, trees on tmpfs): over our
//! runit, SIGTERM to PID 1's exit 12.2 ms for ours against 70.3 ms for the
//! reference (runsvdir alone as PID 1: 4.8 ms); over Debian's runit 12.7 ms
//! against 456 ms (runit's sv, which the reference runs, looks every 420
//! ms). With inotify, ours paid an SRCU grace period at its exit and waited
//! for runsvdir's exit, which paid one too: 25-35 ms then.

use super::init::{Flow, Init, Unwind};
use crate::fifo;
use crate::status::Status;
use nix::errno::Errno;
use std::io::Read;
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

/// The services as the shell's `/etc/service/*` lists them.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<Vec<u8>> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().as_bytes().to_vec())
        .filter(|n| n.first() != Some(&b'.'))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| dir.join(std::ffi::OsStr::from_bytes(&n)))
        .collect()
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// sv's status read: runsv running (the `ok` FIFO has a reader), then the
/// 20-byte record.
pub fn probe(svc: &Path) -> Probe {
    let ok = svc.join("supervise/ok");
    if fifo::open_writer(&path_str(&ok)).is_err() {
        return Probe::NotRunning;
    }
    match record(svc) {
        Some(s) => Probe::Record(s),
        None => Probe::Unreadable,
    }
}

/// The 20-byte record, whether runsv runs or not.
fn record(svc: &Path) -> Option<Status> {
    let mut buf = Vec::with_capacity(20);
    let read =
        std::fs::File::open(svc.join("supervise/status")).and_then(|mut f| f.read_to_end(&mut buf));
    read.ok().and_then(|_| Status::decode(&buf))
}

/// Writes one control byte; false when runsv is not there to read it.
pub fn control(svc: &Path, byte: u8) -> bool {
    match fifo::open_writer(&path_str(&svc.join("supervise/control"))) {
        Ok(fd) => loop {
            match nix::unistd::write(&fd, &[byte]) {
                Err(Errno::EINTR) => continue,
                r => return r == Ok(1),
            }
        },
        Err(_) => false,
    }
}

/// sv's `d` check, without its race: the record must also say "want
/// down", so a record written before runsv read our `d` (a service that
/// has just been started, or is between two runs) does not count (sv
/// accepts such a stale record, doc/runit/sv.md §5.2). Done too when runsv is
/// gone; an unreadable record is waited for (up to the timeout).
fn is_down(svc: &Path) -> bool {
    let down = |s: Status| s.pid == 0 && s.state == 0 && s.want == b'd';
    // Down either way, runsv running or not: the `ok` FIFO need not be
    // opened (half the system calls of a look at a stopped service).
    if record(svc).is_some_and(down) {
        return true;
    }
    match probe(svc) {
        Probe::Record(s) => s.pid == 0 && s.state == 0 && s.want == b'd',
        Probe::NotRunning => true,
        Probe::Unreadable => false,
    }
}

/// An `sv status` line starting with `run:`.
fn is_running(svc: &Path) -> bool {
    matches!(probe(svc), Probe::Record(s) if s.state == 1)
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

/// Whether the log service of `svc` has read everything written so far:
/// its standard input, opened again through /proc, has no unread bytes
/// (svlogd writes every complete line it has read when the kill-all's TERM
/// comes). A process that keeps the pipe open (a service's stray child)
/// then cannot hold the stop up.
fn log_drain(svc: &Path) -> Drain {
    let log = svc.join("log");
    if !log.join("supervise").is_dir() {
        return Drain::Done;
    }
    let pid = match probe(&log) {
        Probe::Record(s) if s.pid > 1 => s.pid,
        Probe::Record(_) | Probe::NotRunning => return Drain::Done,
        Probe::Unreadable => return Drain::Unknown,
    };
    // Until runsv has taken the `x` (it may be in its one-second pause after
    // a short run), it still holds the pipe and will close it: wait.
    let stat = std::fs::read(log.join("supervise/stat")).unwrap_or_default();
    if !stat.windows(9).any(|w| w == b"want exit") {
        return Drain::Unknown;
    }
    let path = format!("/proc/{}/fd/0", pid);
    let Ok(f) = fifo::open(&path, nix::fcntl::OFlag::O_RDONLY) else {
        return Drain::Unknown;
    };
    use std::os::fd::AsFd;
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

/// `sv -w N force-stop /etc/service/*`: `d` to every service, wait until
/// each is down, `k` to those that are not when `wait` has passed. Each is
/// sent `x` once down, so that runsv exits as soon as its log has read the
/// pipe to the end (see [`wait_down`]). A TERM
/// meanwhile is raised only afterwards, as the reference's would be.
/// Returns the services sent `x`.
pub fn force_stop(init: &mut Init, dir: &Path, wait: Duration) -> Result<Vec<PathBuf>, Unwind> {
    let deadline = Instant::now() + wait;
    let mut pending: Vec<PathBuf> = Vec::new();
    let mut exiting: Vec<PathBuf> = Vec::new();
    // Whether every service is watched (a directory may fail to open, at a
    // descriptor limit): if not, all are looked at again every 100 ms.
    let mut all_watched = true;
    for svc in list(dir) {
        let watched = init.watch_dir(&svc.join("supervise"));
        if control(&svc, b'd') {
            all_watched &= watched;
            pending.push(svc);
        }
    }
    let mut first = true;
    loop {
        let changed = init.take_changes();
        let look = std::mem::take(&mut first) || changed || !all_watched;
        pending.retain(|s| {
            // Nothing changed since the last look: nothing can be down.
            if !look {
                return true;
            }
            let down = is_down(s);
            if down {
                // runsvdir has been told to exit already: runsv may exit
                // too, once its log has drained. Not sooner: `x` to a
                // running service is one more TERM.
                control(s, b'x');
                exiting.push(s.clone());
            }
            !down
        });
        if pending.is_empty() {
            return Ok(exiting);
        }
        if Instant::now() >= deadline {
            for s in &pending {
                control(s, b'k');
            }
            return Ok(exiting);
        }
        let mut next = deadline;
        if !all_watched {
            // Not (all) watched: look again every 100 ms, as the reference does.
            next = next.min(Instant::now() + Duration::from_millis(100));
        }
        init.wait_event(Some(next), false)?;
    }
}

/// The reference's `wait_for_runit_services`: until no service runs, each
/// still running told again to stop (`k` once it has had `wait`). Here
/// also, for at most `wait`, until every log service has read all that was
/// written to it (services without one are not waited for): each runsv is sent `x` once its service is down (runit's
/// runsvdir exits on TERM without signalling them); it then closes the log's
/// pipe, the log reads to the end and exits, and so does runsv, which wakes
/// us as SIGCHLD (runsvdir is gone by now, so runsv is our child). Once the
/// pipes of all logs still running are empty, they are given DRAIN_GRACE
/// to exit, no more: a stray child of a service may hold a pipe open.
/// `exiting`: the services already sent `x`.
pub fn wait_down(init: &mut Init, dir: &Path, wait: Duration, mut exiting: Vec<PathBuf>) -> Flow {
    let drain_until = Instant::now() + wait;
    let mut told: Vec<(PathBuf, Instant, bool)> = Vec::new();
    let mut watched: Vec<PathBuf> = Vec::new();
    let mut drained_since: Option<Instant> = None;
    let mut all_watched = true;
    loop {
        let services = list(dir);
        for svc in &services {
            if !watched.contains(svc) {
                let sup = svc.join("supervise");
                let log = svc.join("log/supervise");
                // A directory that exists but cannot be watched (descriptor
                // limits) means looking again every 100 ms.
                all_watched &= init.watch_dir(&sup) || !sup.is_dir();
                all_watched &= init.watch_dir(&log) || !log.is_dir();
                watched.push(svc.clone());
            }
            if !exiting.contains(svc) && is_down(svc) {
                control(svc, b'x');
                exiting.push(svc.clone());
            }
        }
        let now = Instant::now();
        let running: Vec<&PathBuf> = services.iter().filter(|s| is_running(s)).collect();
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        for svc in &running {
            match told.iter_mut().find(|(p, _, _)| p == *svc) {
                None => {
                    control(svc, b'd');
                    told.push(((*svc).clone(), now, false));
                    at(now + wait);
                }
                Some((_, since, killed)) => {
                    if !*killed && now >= *since + wait {
                        control(svc, b'k');
                        *killed = true;
                    } else if !*killed {
                        at(*since + wait);
                    }
                }
            }
        }
        // Wait for every runsv to exit; but when all that is left has empty
        // log pipes, only for DRAIN_GRACE more (a stray writer may hold one
        // open for ever).
        let mut left = false;
        let mut pending = false;
        if now < drain_until {
            for s in &services {
                // Without a log service there is nothing to drain: that
                // runsv is left to the kill-all, as in the reference.
                if !s.join("log/supervise").is_dir() || probe(s) == Probe::NotRunning {
                    continue;
                }
                left = true;
                match log_drain(s) {
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
        if running.is_empty() && !left {
            return Ok(());
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
        assert_eq!(probe(&dir.join("a")), Probe::NotRunning);
        assert!(!control(&dir.join("a"), b'd'));
        assert!(is_down(&dir.join("a")) && !is_running(&dir.join("a")));
        assert_eq!(log_drain(&dir.join("a")), Drain::Done);
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
