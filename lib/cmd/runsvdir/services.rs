//! The table of services runsvdir supervises and the scan that keeps it in
//! step with the directory (doc/runit/runsvdir.md §4, §7). A service is known by
//! its directory's (device, inode), not by its name.

use crate::errstr;
use crate::msg::{Kind, Voice, EXIT_PERMANENT};
use crate::spawn::Spawn;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// A runsv that died is started again at the next scan. When it dies, a
/// scan is arranged no sooner than this after its start: runit notices a
/// death only at its next 5-second wake-up, so a runsv that keeps failing is
/// retried about every 5 s there too, while one that ran for a while is
/// restarted at once.
pub const RESTART_DELAY: Duration = Duration::from_secs(5);

type Id = (u64, u64);

pub struct Service {
    /// The entry name it was last seen under (runsv's argv[1] is the first).
    pub name: OsString,
    /// Its runsv, 0 when none is running.
    pub pid: i32,
    gone: bool,
    /// Its runsv's last start, for the restart delay.
    started: Option<Instant>,
}

impl Service {
    /// When a scan should start its dead runsv again.
    fn restart_due(&self, now: Instant) -> Instant {
        self.started.map_or(now, |t| (t + RESTART_DELAY).max(now))
    }
}

/// What a scan found out that the main loop must act on.
#[derive(Default)]
pub struct ScanResult {
    /// Scan again soon: readdir failed part way, new services were started
    /// (runit checks again a second later), or a fork failed.
    pub retry: bool,
}

pub struct Services {
    by_id: HashMap<Id, Service>,
    by_pid: HashMap<i32, Id>,
    /// runsv processes of forgotten services, still to be reaped.
    orphans: HashSet<i32>,
    new_session: bool,
}

impl Services {
    pub fn new(new_session: bool) -> Services {
        Services {
            by_id: HashMap::new(),
            by_pid: HashMap::new(),
            orphans: HashSet::new(),
            new_session,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Service> {
        self.by_id.values()
    }

    /// Every runsv still running or not yet reaped, forgotten ones included.
    pub fn runsv_pids(&self) -> impl Iterator<Item = i32> + '_ {
        self.by_pid.keys().chain(self.orphans.iter()).copied()
    }

    pub fn count_running(&self) -> usize {
        self.by_pid.len() + self.orphans.len()
    }

    /// Records that `pid` exited. Returns when its service may restart, if
    /// it was the runsv of a known service.
    pub fn reaped(&mut self, pid: i32) -> Option<Instant> {
        self.orphans.remove(&pid);
        let id = self.by_pid.remove(&pid)?;
        let svc = self.by_id.get_mut(&id)?;
        svc.pid = 0;
        Some(svc.restart_due(Instant::now()))
    }

    /// SIGTERM to every known runsv (runsvdir's SIGHUP).
    pub fn term_all(&self) {
        for pid in self.by_pid.keys() {
            crate::proc::signal_child(*pid, Signal::SIGTERM);
        }
    }

    /// One pass over the current directory (the service directory), with
    /// runit's rules: new services and dead runsv processes are started.
    pub fn scan(&mut self, voice: &Voice, dir: &[u8]) -> ScanResult {
        let mut result = ScanResult::default();
        let listing = match crate::dirents::open(".") {
            Ok(l) => l,
            Err(e) => {
                voice.say(Kind::Warning, &[b"unable to open directory ", dir], Some(e));
                return result;
            }
        };
        for svc in self.by_id.values_mut() {
            svc.gone = true;
        }
        let now = Instant::now();
        let read = listing.each(|name| {
            if name.first() == Some(&b'.') {
                return;
            }
            let name = OsStr::from_bytes(name);
            let meta = match std::fs::metadata(name) {
                Ok(m) => m,
                Err(e) => {
                    let e = Some(errstr::errno(&e));
                    voice.say(Kind::Warning, &[b"unable to stat ", name.as_bytes()], e);
                    return;
                }
            };
            if meta.is_dir() {
                result.retry |= !self.by_id.contains_key(&(meta.dev(), meta.ino()));
                let forked = self.found((meta.dev(), meta.ino()), name, voice, now);
                result.retry |= !forked;
            }
        });
        if let Err(e) = read {
            voice.say(Kind::Warning, &[b"unable to read directory ", dir], Some(e));
            // A partial listing must not stop anything.
            result.retry = true;
            return result;
        }
        self.remove_gone();
        result
    }

    /// A directory entry that is a service directory: starts its runsv if
    /// none is running. Returns false if a fork failed.
    fn found(&mut self, id: Id, name: &OsStr, voice: &Voice, now: Instant) -> bool {
        let svc = self.by_id.entry(id).or_insert_with(|| Service {
            name: name.to_os_string(),
            pid: 0,
            gone: false,
            started: None,
        });
        svc.gone = false;
        if svc.pid != 0 {
            return true;
        }
        svc.started = Some(now);
        match start_runsv(name, voice, self.new_session) {
            Ok(pid) => {
                svc.pid = pid;
                self.by_pid.insert(pid, id);
                true
            }
            Err(e) => {
                voice.say(
                    Kind::Warning,
                    &[b"unable to fork for ", name.as_bytes()],
                    Some(e),
                );
                false
            }
        }
    }

    /// Forgets services whose entry is gone, with SIGTERM to their runsv.
    fn remove_gone(&mut self) {
        let gone: Vec<Id> = self
            .by_id
            .iter()
            .filter(|(_, s)| s.gone)
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            if let Some(svc) = self.by_id.remove(&id) {
                if svc.pid != 0 {
                    crate::proc::signal_child(svc.pid, Signal::SIGTERM);
                    self.by_pid.remove(&svc.pid);
                    self.orphans.insert(svc.pid);
                }
            }
        }
    }
}

/// Starts `runsv NAME` from the current directory, found through PATH.
fn start_runsv(name: &OsStr, voice: &Voice, new_session: bool) -> Result<i32, Errno> {
    let argv = [OsStr::new("runsv"), name];
    let path = std::env::var_os("PATH");
    let msg = voice.fatal_prefix(&[b"unable to start runsv ", name.as_bytes()]);
    let spawn = Spawn::search(OsStr::new("runsv"), path.as_deref(), &argv)?
        .new_session(new_session)
        .on_exec_error(msg, EXIT_PERMANENT);
    spawn.start().map(|p| p.as_raw())
}

pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
