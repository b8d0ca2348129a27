//! Beyond runit: one copy of a service, whatever is killed.
//!
//! When runsv is SIGKILLed its service and log service live on, orphaned;
//! runit's next runsv (runsvdir starts one within seconds) starts both again,
//! and two copies of the service run (measured with Debian's runit: 2 of
//! each). Here a starting runsv, once it holds `supervise/lock`, looks at the
//! process `supervise/identity` recorded, the last one a runsv started there
//! (written just before `status` names it). If it is still alive and is that
//! process (same pid, same start time, same boot: a reused pid never
//! matches), it is stopped before anything is started:
//!
//! - the main service gets TERM and CONT (what `sv down` sends), then KILL
//!   after [`GRACE`]; a `finish` left running is given [`GRACE`] to end;
//! - the log service then reads the old pipe to its end: with the old
//!   service gone nothing writes to it any more, and it exits on EOF; if it
//!   has not after [`DRAIN`] (a grandchild of the service may hold the pipe),
//!   it gets TERM and CONT, then KILL after [`GRACE`].
//!
//! Why stop rather than adopt: runsv cannot become the parent of an orphan,
//! so it could never learn its exit status for `./finish`; and the log
//! service of an adopted pair reads a pipe that a new runsv cannot hand to a
//! restarted service. A restart from a clean state is what runsv can vouch for.
//! Not the current directory as a check: run scripts often `cd` elsewhere.

use crate::msg::Voice;
use crate::proc::{self, Expect, Held};
use crate::status::{self, State, Status};
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// How long a process left running has to exit after TERM (sv's default wait).
pub const GRACE: Duration = Duration::from_secs(7);
/// How long an old log service has to read its pipe to the end.
pub const DRAIN: Duration = Duration::from_secs(2);
/// How long to wait for a SIGKILLed process to be gone.
const AFTER_KILL: Duration = Duration::from_secs(2);
/// Polling step when pidfds are not available.
const POLL: Duration = Duration::from_millis(20);

/// Stops what a previous runsv left running for this service directory
/// (current directory): the main service, then the log service.
pub fn stop_all(voice: &Voice, has_log: bool) {
    if let Some((held, state)) = find("supervise/") {
        stop(
            voice,
            &held,
            "./run",
            state == State::Run as u8,
            Duration::ZERO,
        );
    }
    if has_log {
        if let Some((held, _)) = find("log/supervise/") {
            stop(voice, &held, "./log/run", true, DRAIN);
        }
    }
}

/// The live process that `DIRidentity` names (the last one a runsv started
/// there: it is written before `status`, so it is never older), with the
/// state `status` gives it (`run` unless the record names it as `finish`).
fn find(dir: &str) -> Option<(Held, u8)> {
    let id = status::read_identity(dir)?;
    if Some(id.boot) != proc::boot_id() {
        return None;
    }
    let held = proc::hold(i64::from(id.pid), Expect::Started(id.start)).ok()?;
    let record = std::fs::read(format!("{dir}status")).unwrap_or_default();
    let state = match Status::decode(&record) {
        Some(st) if st.pid == id.pid && st.state == State::Finish as u8 => st.state,
        _ => State::Run as u8,
    };
    Some((held, state))
}

/// Waits `first` for the process to exit by itself, then TERMs it (when
/// `term`), then KILLs it after [`GRACE`].
fn stop(voice: &Voice, held: &Held, what: &str, term: bool, first: Duration) {
    let pid = held.pid.to_string();
    voice.warn(&[
        what,
        " (pid ",
        &pid,
        ") left running by a previous runsv: stopping it",
    ]);
    if exited_within(held, first) {
        return;
    }
    if term {
        let _ = held.signal(Signal::SIGTERM);
        let _ = held.signal(Signal::SIGCONT);
    }
    if exited_within(held, GRACE) {
        return;
    }
    let _ = held.signal(Signal::SIGKILL);
    if !exited_within(held, AFTER_KILL) {
        voice.warn(&["unable to stop ", what, " (pid ", &pid, ")"]);
    }
}

/// Whether the held process exits within `wait`.
fn exited_within(held: &Held, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        if !held.alive() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        match held.pidfd() {
            Some(fd) => {
                crate::poll::readable(&[fd], Some(deadline));
            }
            None => std::thread::sleep(POLL.min(deadline - now)),
        }
    }
}
