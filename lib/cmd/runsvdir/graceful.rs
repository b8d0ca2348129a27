//! Beyond runit, opt-in (`--graceful[=SECONDS]`): an orderly shutdown on
//! SIGTERM or SIGINT, for runsvdir as a container's PID 1. runit's runsvdir
//! exits at once on SIGTERM and the kernel then SIGKILLs every service.
//!
//! Each runsv is asked through its control FIFO to take its service down and
//! then exit (`d`, `x`: what `sv force-stop` and SIGTERM to runsv do): the
//! service gets TERM, its `finish` runs, then runsv closes the log pipe so the
//! log service reads everything and exits on EOF, and runsv exits. A service
//! still up after the grace time gets SIGKILL (what `k` does; sent here to the
//! pid in `supervise/status` rather than as `k`, because runsv's `k` marks the
//! service down before it is reaped, and with want = exit runsv would then
//! exit without running `finish`); one second later log services still up
//! get SIGKILL too, and one second after that runsvdir gives up waiting and
//! SIGKILLs the runsv processes left. Nothing here
//! blocks: the main loop calls [`Stop::tick`] at each deadline and on every
//! reaped child.

use super::services::Services;
use crate::proc::{self, Expect};
use crate::status::{State, Status};
use nix::sys::signal::Signal;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Between the `k` to services, the `k` to log services, and giving up.
const STEP: Duration = Duration::from_secs(1);

pub struct Stop {
    kill_main_at: Instant,
    kill_log_at: Instant,
    give_up_at: Instant,
    main_killed: bool,
    log_killed: bool,
}

/// What the main loop must do after a tick.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait until this moment (or a child exits).
    WaitUntil(Instant),
    /// Every runsv is gone, or the time is up: reap and exit 0.
    Exit,
}

impl Stop {
    /// Starts the shutdown: `d` then `x` to every service's runsv.
    pub fn begin(dir: &Path, services: &Services, grace: Duration) -> Stop {
        for svc in services.iter().filter(|s| s.pid != 0) {
            let control = dir.join(&svc.name).join("supervise/control");
            if !send(&control, b"dx") {
                // No FIFO to talk to: SIGTERM means `x` to runsv as well.
                proc::signal_child(svc.pid, Signal::SIGTERM);
            }
        }
        let now = Instant::now();
        Stop {
            kill_main_at: now + grace,
            kill_log_at: now + grace + STEP,
            give_up_at: now + grace + 2 * STEP,
            main_killed: false,
            log_killed: false,
        }
    }

    pub fn tick(&mut self, dir: &Path, services: &Services, now: Instant) -> Next {
        if services.count_running() == 0 || now >= self.give_up_at {
            return Next::Exit;
        }
        if now >= self.kill_main_at && !self.main_killed {
            self.main_killed = true;
            kill_recorded(dir, services, "supervise/status");
        }
        if now >= self.kill_log_at && !self.log_killed {
            self.log_killed = true;
            kill_recorded(dir, services, "log/supervise/status");
        }
        let next = if !self.main_killed {
            self.kill_main_at
        } else if !self.log_killed {
            self.kill_log_at
        } else {
            self.give_up_at
        };
        Next::WaitUntil(next)
    }

    /// Time is up: SIGKILL to every runsv still there.
    pub fn give_up(services: &Services) {
        for pid in services.runsv_pids() {
            proc::signal_child(pid, Signal::SIGKILL);
        }
    }
}

/// SIGKILL to the process recorded in `status` (relative to each service
/// directory) of every service whose runsv is still running, unless down,
/// and only when that pid is a child of the service's runsv: a corrupt or
/// stale record (0xFFFFFFFF would be kill(-1)) reaches nothing.
fn kill_recorded(dir: &Path, services: &Services, status: &str) {
    for svc in services.iter().filter(|s| s.pid != 0) {
        let record = std::fs::read(dir.join(&svc.name).join(status)).ok();
        let Some(st) = record.as_deref().and_then(Status::decode) else {
            continue;
        };
        if st.pid != 0 && st.state != State::Down as u8 {
            // A pid from a file: only the service process of this runsv.
            let _ =
                proc::signal_checked(i64::from(st.pid), Signal::SIGKILL, Expect::ChildOf(svc.pid));
        }
    }
}

/// Writes `bytes` to a control FIFO without blocking; false if nobody reads it.
fn send(control: &Path, bytes: &[u8]) -> bool {
    let fifo = crate::open::write(control);
    match fifo {
        Ok(mut f) => f.write_all(bytes).is_ok(),
        Err(_) => false,
    }
}
