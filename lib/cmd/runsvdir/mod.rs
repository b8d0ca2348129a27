//! runsvdir: starts and watches one runsv per service directory, as runit
//! 2.1.2's runsvdir does (Debian 2.1.2-54, SIGALRM forced rescan included).
//! See doc/runit/runsvdir.md and doc/differences.md §3.
//!
//! Same behaviour, different mechanism: runit wakes up every 5 s to reap and
//! to compare the directory's mtime. Here SIGCHLD arrives on a signalfd and
//! dnotify reports directory changes, so a new service starts within
//! milliseconds and an idle tree costs no wake-ups; a stat of the directory
//! every few minutes remains as a safety net. Beyond runit: no limit on the
//! number of services (runit refuses more than 1000), and, only when asked
//! for, `--graceful` (see graceful.rs).

pub mod args;
mod graceful;
mod services;
mod title;
mod watch;

use crate::msg::{self, Kind, Voice};
use crate::poll;
use crate::proc;
use crate::sig::Signals;
use crate::sys;
use crate::tai::Tai64n;
use args::Options;
use graceful::{Next, Stop};
use nix::sys::signal::Signal;
use services::{earliest, Services};
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use title::TitleLog;
use watch::Watch;

/// With dnotify working, how often the directory is still checked, in case
/// an event was missed (a file system that does not report changes).
const SAFETY_NET: Duration = Duration::from_secs(300);
/// Without inotify: runit's poll interval.
const POLL: Duration = Duration::from_secs(5);
/// After a failed stat or chdir of the directory, with no scan pending.
const RETRY: Duration = Duration::from_secs(5);
/// After a readdir that failed part way or that found new services (runit's
/// check flag: it scans again a second later).
const RESCAN: Duration = Duration::from_secs(1);
/// The readproctitle log's `.`.
const DOT_EVERY: Duration = Duration::from_secs(900);
/// runit's pause when it cannot return to its start-up directory.
const CHDIR_PAUSE: Duration = Duration::from_secs(5);

pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    let Some(opts) = args::parse(&args) else {
        msg::usage(msg::arg0(&args), " [-P] dir", 1)
    };
    let dir_text = opts.dir.as_bytes().to_vec();
    let voice = Voice::new([b"runsvdir ", opts.dir.as_bytes(), b": "].concat());
    let mut handled = vec![
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGALRM,
        Signal::SIGCHLD,
        // The directory's changes (watch.rs).
        Signal::SIGIO,
    ];
    if opts.graceful.is_some() {
        handled.push(Signal::SIGINT);
    }
    let signals = match Signals::new(&handled) {
        Ok(s) => s,
        Err(e) => voice.fatal_err(
            &["unable to set up signal handling"],
            e,
            msg::EXIT_TEMPORARY,
        ),
    };
    let log = opts
        .log
        .as_ref()
        .and_then(|(index, arg)| TitleLog::setup(*index, arg.as_bytes(), &voice));
    let start_dir = match crate::open::read(".") {
        Ok(f) => f,
        Err(e) => voice.fatal(
            &["unable to open current directory: ", crate::errstr::of(e)],
            msg::EXIT_PERMANENT,
        ),
    };
    Runsvdir::new(opts, dir_text, voice, signals, log, start_dir).run()
}

/// The directory as last scanned: mtime (with nanoseconds), device, inode.
type Stamp = (i64, i64, u64, u64);

struct Runsvdir {
    dir: PathBuf,
    dir_text: Vec<u8>,
    voice: Voice,
    graceful: Option<Duration>,
    start_dir: File,
    services: Services,
    signals: Signals,
    watch: Watch,
    log: Option<TitleLog>,
    /// The directory when it was last scanned.
    seen: Option<Stamp>,
    /// (device, inode) the watches were set up for.
    watched: Option<(u64, u64)>,
    rewatch: bool,
    /// A scan is wanted at this moment (a change, a dead runsv to restart).
    scan_at: Option<Instant>,
    /// The directory is to be stat'ed (and scanned if it changed) at this moment.
    stat_at: Instant,
    /// Debian's SIGALRM: scan even if nothing changed, then write `.forced-rescan`.
    forced: bool,
    next_dot: Option<Instant>,
    /// runit's wall-clock scan stamp, for its time-warp warning.
    wall_stamp: u64,
    stop: Option<Stop>,
}

impl Runsvdir {
    fn new(
        opts: Options,
        dir_text: Vec<u8>,
        voice: Voice,
        signals: Signals,
        log: Option<TitleLog>,
        start_dir: File,
    ) -> Self {
        let now = Instant::now();
        Runsvdir {
            dir: PathBuf::from(&opts.dir),
            dir_text,
            voice,
            graceful: opts.graceful,
            start_dir,
            services: Services::new(opts.new_session),
            signals,
            watch: Watch::new(),
            log,
            seen: None,
            watched: None,
            rewatch: true,
            scan_at: Some(now),
            stat_at: now,
            forced: false,
            next_dot: None,
            wall_stamp: 0,
            stop: None,
        }
    }

    fn run(mut self) -> ! {
        loop {
            self.reap();
            let now = Instant::now();
            self.time_warp(now);
            let mut deadline = None;
            if let Some(grace) = self.stop.as_mut() {
                match grace.tick(&self.dir, &self.services, now) {
                    Next::WaitUntil(t) => deadline = Some(t),
                    Next::Exit => self.exit_graceful(),
                }
            } else if self.check_due(now) {
                self.check_dir(now);
            }
            self.dot(now);
            if self.stop.is_none() {
                deadline = earliest(earliest(self.scan_at, Some(self.stat_at)), deadline);
            }
            deadline = earliest(deadline, self.next_dot);
            self.wait(deadline);
        }
    }

    /// Reaps every exited child: runsv processes, and orphans as PID 1.
    fn reap(&mut self) {
        while let Some(r) = proc::reap_one() {
            if let Some(due) = self.services.reaped(r.pid) {
                self.scan_at = earliest(self.scan_at, Some(due));
            }
        }
    }

    /// runit warns when the wall clock went back more than 3 s since its
    /// last check, and checks and writes the log's dot again at once.
    fn time_warp(&mut self, now: Instant) {
        let wall = wall_secs();
        if wall + 3 < self.wall_stamp {
            self.voice.warn(&["time warp: resetting time stamp."]);
            self.wall_stamp = wall;
            self.stat_at = now;
            if self.next_dot.is_some() {
                self.next_dot = Some(now);
            }
        }
    }

    fn check_due(&self, now: Instant) -> bool {
        self.forced || self.stat_at <= now || self.scan_at.is_some_and(|t| t <= now)
    }

    /// runit's check: stat the directory, and scan it if it changed or a
    /// scan is wanted.
    fn check_dir(&mut self, now: Instant) {
        self.wall_stamp = wall_secs() + 1;
        self.stat_at = now + if self.watch.works() { SAFETY_NET } else { POLL };
        if self.rewatch {
            // Also when the directory is missing: the watch on its parent
            // then reports its creation.
            self.rewatch = false;
            self.watched = None;
            self.watch.rebuild(&self.dir);
        }
        let meta = match std::fs::metadata(&self.dir) {
            Ok(m) => m,
            Err(e) => {
                let e = Some(crate::errstr::errno(&e));
                self.voice
                    .say(Kind::Warning, &[b"unable to stat ", &self.dir_text], e);
                self.retry_later(now);
                return;
            }
        };
        let id = (meta.dev(), meta.ino());
        if self.watched != Some(id) {
            if self.watched.is_some() {
                self.watch.rebuild(&self.dir);
            }
            self.watched = Some(id);
        }
        let stamp = (meta.mtime(), meta.mtime_nsec(), meta.dev(), meta.ino());
        let wanted =
            self.forced || self.scan_at.is_some_and(|t| t <= now) || self.seen != Some(stamp);
        if !wanted {
            return;
        }
        // A TERM that came since the last wait ends runsvdir (or begins its
        // graceful stop) before the scan can start a runsv again: my_init
        // tells every runsv to exit right after it sends runsvdir its TERM.
        self.take_signals();
        if self.stop.is_some() {
            return;
        }
        if let Err(e) = nix::unistd::chdir(&self.dir) {
            self.voice.say(
                Kind::Warning,
                &[b"unable to change directory to ", &self.dir_text],
                Some(e),
            );
            self.retry_later(now);
            return;
        }
        self.seen = Some(stamp);
        self.scan_at = None;
        let result = self.services.scan(&self.voice, &self.dir_text);
        if self.forced {
            self.forced = false;
            self.write_forced_marker();
        }
        self.back_to_start_dir();
        if result.retry {
            self.scan_at = Some(now + RESCAN);
        }
    }

    /// After a failed stat or chdir: try again later, as runit does at its
    /// next wake-up (the warning repeats each time).
    fn retry_later(&mut self, now: Instant) {
        // runit keeps its check flag, and its next wake-up comes in a second
        // while a scan is pending (at start-up, say), in 5 s otherwise.
        let pending = self.scan_at.is_some_and(|t| t <= now);
        let wait = if pending { RESCAN } else { RETRY };
        self.stat_at = now + wait;
        if pending {
            self.scan_at = Some(now + wait);
        }
    }

    /// Debian's `.forced-rescan`: `@` and the TAI64N label, no newline.
    fn write_forced_marker(&self) {
        let label = Tai64n::now().label();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open("./.forced-rescan");
        match file {
            Err(_) => self
                .voice
                .warn(&["failed to open", "./.forced-rescan", &label]),
            Ok(mut f) => {
                if !matches!(f.write(label.as_bytes()), Ok(n) if n == label.len()) {
                    self.voice
                        .warn(&["failed to write", "./.forced-rescan", &label]);
                }
            }
        }
    }

    fn back_to_start_dir(&self) {
        while let Err(e) = nix::unistd::fchdir(self.start_dir.as_raw_fd()) {
            self.voice
                .warn_err(&["unable to change directory, pausing"], e);
            std::thread::sleep(CHDIR_PAUSE);
        }
    }

    /// The readproctitle log's `.`: at start-up, then every 15 minutes.
    fn dot(&mut self, now: Instant) {
        if let Some(log) = self.log.as_ref() {
            if self.next_dot.is_none_or(|t| t <= now) {
                log.dot();
                self.next_dot = Some(now + DOT_EVERY);
            }
        }
    }

    /// Sleeps until `deadline`, a signal (a directory change included) or
    /// log input.
    fn wait(&mut self, deadline: Option<Instant>) {
        let signal_fd = self.signals.as_fd();
        let mut fds: Vec<BorrowedFd> = vec![signal_fd];
        let log_at = self.log.as_ref().map(|l| {
            fds.push(l.fd());
            fds.len() - 1
        });
        let ready = poll::readable(&fds, deadline);
        let is_ready = |i: Option<usize>| i.is_some_and(|i| ready.get(i).copied().unwrap_or(false));
        if is_ready(log_at) {
            if let Some(log) = self.log.as_mut() {
                log.drain();
            }
        }
        self.take_signals();
    }

    /// Acts on every signal that has come (a TERM exits here).
    fn take_signals(&mut self) {
        for s in self.signals.drain() {
            self.signal(s);
        }
    }

    fn directory_changed(&mut self) {
        let change = self.watch.changed();
        let now = Instant::now();
        if change.entries {
            self.scan_at = Some(now);
        }
        if change.path {
            self.rewatch = true;
            self.stat_at = now;
        }
    }

    fn signal(&mut self, s: Signal) {
        match s {
            Signal::SIGTERM | Signal::SIGINT => match self.graceful {
                Some(grace) if self.stop.is_none() => {
                    self.stop = Some(Stop::begin(&self.dir, &self.services, grace));
                }
                Some(_) => {}
                None => std::process::exit(0),
            },
            Signal::SIGHUP => {
                self.services.term_all();
                std::process::exit(111)
            }
            Signal::SIGALRM => self.forced = true,
            Signal::SIGIO => self.directory_changed(),
            _ => {}
        }
    }

    /// The end of a graceful stop: SIGKILL to any runsv left, reap, exit 0.
    fn exit_graceful(&mut self) -> ! {
        Stop::give_up(&self.services);
        self.reap();
        if let Some(log) = self.log.as_mut() {
            log.drain();
        }
        std::process::exit(0)
    }
}

fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
