//! The waiting pass (doc/runit/sv.md §5), with runit's results but not its pace.
//!
//! runit looks every 420 ms ("its moments": 0, 420 ms, 840 ms, ... after the
//! start). Here the services are looked at again as soon as runsv renames a
//! new `status` into place: for the first 100 ms, when most waits end, by
//! reading `status` every millisecond; after that through inotify watches on
//! every service's `supervise/` directory. Not inotify from the start: the
//! kernel waits for an SRCU grace period when an inotify instance that held
//! watches is closed, which added 10-20 ms to every fast `sv -w` here.
//! runsv's exit (the `ok` FIFO losing its reader) announces itself through
//! no file, so it is polled every 5 ms; services whose directory cannot be
//! watched are polled every 10 ms.
//!
//! Between moments a wait may end only on what does not need the service to
//! be running (down with pid 0, runsv gone, the paused flag, a `once` that
//! has run). A *running* service is judged up only at
//! runit's moments, exactly as runit judges it (status `run` at that moment,
//! and the check script passing). A service whose `run` exits at once is
//! `run` for a few milliseconds each second: a look between moments catches
//! it, runit's looks almost never do, and it times out (`sv -w 2 up` on two
//! such services: ours said `ok` for both within a second and exited 0,
//! runit says `timeout: down: ...` after 2 s and exits 2). No rule that
//! reports a running service before the next moment can promise that it is
//! still running at that moment; judging at the moment can, so an `ok:`
//! for a running service is never printed where runit, looking at the same
//! statuses, would time out. A service that really is up is reported at the
//! first moment it is seen running (0 s when already up, else 420 ms, ...),
//! which is runit's pace for `up`, `start`, `restart` and `check`; `down`,
//! `stop`, `exit`, `shutdown` and the rest keep the fast path.
//!
//! What stays runit's:
//! - timeouts are judged only at runit's moments, so none is reported later
//!   than runit would report it;
//! - `check` scripts run only at runit's moments (each run can be seen: it
//!   may write to stderr), so a service with one keeps runit's pace;
//! - output order: a service found done between two moments belongs to the
//!   next moment, and its lines are held and written in runit's order
//!   (moment, then argument order), so the bytes are the same.

use super::check::{Done, Hints};
use super::out::Chunk;
use super::service::{Got, Sv};
use super::walk::Pass;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// runit's pause between two rounds, and the grid its moments fall on.
const ROUND: Duration = Duration::from_millis(420);
const EXIT_POLL: Duration = Duration::from_millis(5);
const UNWATCHED_POLL: Duration = Duration::from_millis(10);
/// How long to poll quickly before setting up inotify watches.
const FAST_PHASE: Duration = Duration::from_millis(100);
const FAST_POLL: Duration = Duration::from_millis(1);

/// What one waiting pass needs to know about the command.
pub struct Wait<'a> {
    pub acts: &'a [u8],
    /// Timeout in seconds.
    pub secs: u64,
    /// Send `k` to a service that timed out (the force-* commands).
    pub kill: bool,
    /// When sv started: elapsed time counts from here.
    pub t0: Instant,
}

/// One service still being waited for.
struct Pending {
    /// Position in the argument list: runit prints in this order.
    index: usize,
    name: Vec<u8>,
    /// None until a watch was tried; Some(false) when it could not be set.
    watched: Option<bool>,
}

/// Output held back, keyed by (runit's moment, argument position).
type Held = BTreeMap<(u32, usize), Vec<Chunk>>;

/// Waits for every service in `names` (those that survived the sending pass).
pub fn wait_all(sv: &mut Sv, names: Vec<Vec<u8>>, w: &Wait) {
    let fast_until = Instant::now() + FAST_PHASE;
    let mut inotify: Option<Inotify> = None;
    let mut inotify_tried = false;
    let mut pending: Vec<Pending> = names
        .into_iter()
        .enumerate()
        .map(|(index, name)| Pending {
            index,
            name,
            watched: None,
        })
        .collect();
    let mut held = Held::new();
    let mut tick: u32 = 0;
    loop {
        let now = Instant::now();
        let fast = now < fast_until;
        if !fast && !inotify_tried {
            inotify_tried = true;
            inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok();
            if inotify.is_some() {
                // Watch every service from its next look on.
                pending.iter_mut().for_each(|p| p.watched = None);
            }
        }
        let at_tick = now >= w.t0 + ROUND * tick;
        // runit's first round sees an elapsed time of exactly zero.
        let elapsed = if tick == 0 {
            0.0
        } else {
            (now - w.t0).as_secs_f64()
        };
        let mut hints = Hints::default();
        let mut unwatched = false;
        pending.retain_mut(|p| {
            if at_tick {
                release_before(sv, &mut held, (tick, p.index));
            } else {
                sv.out.hold();
            }
            let keep = round_one(sv, p, w, inotify.as_ref(), at_tick, elapsed, &mut hints);
            if !at_tick {
                let chunks = sv.out.unhold();
                if !chunks.is_empty() {
                    held.insert((tick, p.index), chunks);
                }
            }
            unwatched |= keep && p.watched != Some(true);
            keep
        });
        if at_tick {
            release_before(sv, &mut held, (tick + 1, 0));
        }
        if pending.is_empty() {
            release_before(sv, &mut held, (u32::MAX, 0));
            return;
        }
        sv.out.flush();
        while w.t0 + ROUND * tick <= now {
            tick += 1;
        }
        let mut next = w.t0 + ROUND * tick;
        if hints.exit_wait {
            next = next.min(now + EXIT_POLL);
        }
        if unwatched {
            next = next.min(now + if fast { FAST_POLL } else { UNWATCHED_POLL });
        }
        sleep_until_change(inotify.as_ref(), next);
        sv.now = crate::tai::Tai64n::now().secs;
    }
}

/// Writes held output whose key comes before `key`.
fn release_before(sv: &mut Sv, held: &mut Held, key: (u32, usize)) {
    let later = held.split_off(&key);
    let due = std::mem::replace(held, later);
    for (_, chunks) in due {
        sv.out.release(chunks);
    }
}

/// One service in one round: check, and at runit's moments, time out.
/// Returns whether to keep waiting for it.
fn round_one(
    sv: &mut Sv,
    p: &mut Pending,
    w: &Wait,
    inotify: Option<&Inotify>,
    at_tick: bool,
    elapsed: f64,
    hints: &mut Hints,
) -> bool {
    if !sv.enter(&p.name, Pass::Wait) {
        sv.leave();
        return false;
    }
    if p.watched.is_none() {
        // Set before reading the status, so no change can slip in between.
        p.watched = Some(inotify.is_some_and(|i| i.add_watch("supervise", watch_flags()).is_ok()));
    }
    let mut keep = sv.check(w.acts, at_tick, hints) == Done::No;
    if keep && at_tick && elapsed > w.secs as f64 {
        time_out(sv, w.kill);
        keep = false;
    }
    sv.leave();
    keep
}

/// runit's `timeout:`/`kill:` line, and the `k` for the force-* commands.
fn time_out(sv: &mut Sv, kill: bool) {
    sv.out.put(if kill { b"kill: " } else { b"timeout: " });
    if sv.get_status() == Got::Record {
        sv.print_status(false);
        sv.rc += 1;
    }
    sv.out.put(b"\n");
    if kill {
        sv.control(b"k");
    }
}

fn watch_flags() -> AddWatchFlags {
    AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_CREATE
}

/// Sleeps until `deadline` or until a watched `status` file is replaced.
fn sleep_until_change(inotify: Option<&Inotify>, deadline: Instant) {
    let Some(inotify) = inotify else {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        return;
    };
    loop {
        let ready = crate::poll::readable(&[inotify.as_fd()], Some(deadline));
        if !ready.first().copied().unwrap_or(false) {
            return;
        }
        match inotify.read_events() {
            Ok(events) => {
                let relevant = events.iter().any(|e| {
                    e.name.as_deref().is_none_or(|n| n == "status")
                        || e.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                });
                if relevant {
                    return;
                }
            }
            // Nothing to read after all (or an error): look again anyway.
            Err(_) => return,
        }
        if Instant::now() >= deadline {
            return;
        }
    }
}
