//! The waiting pass (spec/sv.md §5), with runit's results but not its pace.
//!
//! runit looks every 420 ms. Here every service's `supervise/` directory is
//! watched with inotify, and a round of checks runs as soon as runsv renames a
//! new `status` into place. Two conditions announce themselves through no
//! file and are polled instead: runsv's exit (the `ok` FIFO losing its reader)
//! every 5 ms, and a `check` script that said "not yet", with a backoff from
//! 10 ms. Services whose directory cannot be watched are polled every 10 ms.
//!
//! Timeouts are judged only at runit's own moments (420 ms, 840 ms, ... after
//! the start), so a timeout is never reported later than runit would report
//! it, and a service that runit would have seen ready at one of those moments
//! is seen ready here too.

use super::check::{Done, Hints};
use super::service::{Pass, Sv};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// runit's pause between two rounds, and the grid its timeouts fall on.
const ROUND: Duration = Duration::from_millis(420);
const EXIT_POLL: Duration = Duration::from_millis(5);
const UNWATCHED_POLL: Duration = Duration::from_millis(10);
const SCRIPT_POLL_FIRST: Duration = Duration::from_millis(10);

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
    name: Vec<u8>,
    /// None until a watch was tried; Some(false) when it could not be set.
    watched: Option<bool>,
}

/// Waits for every service in `names` (those that survived the sending pass).
pub fn wait_all(sv: &mut Sv, names: Vec<Vec<u8>>, w: &Wait) {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok();
    let mut pending: Vec<Pending> = names
        .into_iter()
        .map(|name| Pending {
            name,
            watched: None,
        })
        .collect();
    let mut tick: u32 = 0;
    let mut script_poll = SCRIPT_POLL_FIRST;
    let mut first = true;
    loop {
        let now = Instant::now();
        let at_tick = now >= w.t0 + ROUND * tick;
        // runit's first round sees an elapsed time of exactly zero.
        let elapsed = if first {
            0.0
        } else {
            (now - w.t0).as_secs_f64()
        };
        first = false;
        let mut hints = Hints::default();
        let mut unwatched = false;
        pending.retain_mut(|p| {
            let keep = round_one(sv, p, w, inotify.as_ref(), at_tick, elapsed, &mut hints);
            unwatched |= keep && p.watched != Some(true);
            keep
        });
        if pending.is_empty() {
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
            next = next.min(now + UNWATCHED_POLL);
        }
        if hints.script_failed {
            next = next.min(now + script_poll);
            script_poll = (script_poll * 2).min(ROUND);
        }
        sleep_until_change(inotify.as_ref(), next);
        sv.now = crate::tai::Tai64n::now().secs;
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
    let mut keep = sv.check(w.acts, hints) == Done::No;
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
    if sv.get_status() == super::service::Got::Record {
        let svc = sv.svc.clone();
        sv.print_status(&svc);
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
                    e.name.as_deref().map_or(true, |n| n == "status")
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
