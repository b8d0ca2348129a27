//! Extra: end the container when a named service exits for good
//! (`--follow-service NAME`, `MY_INIT_FOLLOW_SERVICE=NAME`).
//!
//! "For good" is runsv's view: the record says down (pid 0, state down) and
//! wanted down (after `sv once`, or `sv down` from its `finish`), or its runsv
//! is gone, after the service was seen running. A run too short to be seen
//! counts when the record was written since my_init started and the service
//! has no `down` file (without one, runsv starts it wanted up). runit's status record keeps
//! no exit code; runsv hands it to `./finish` only. So the code my_init exits
//! with is read from the file `exitcode` in the service directory, which the
//! service's `finish` writes from its arguments (`echo "$1 $2" > exitcode`):
//! the first number, or 128 plus the second when the first is -1 (killed by
//! a signal); 0 when the file is absent or unreadable.
//!
//! Waiting is the same poll as everywhere: the service's `supervise/`
//! directory is watched (dnotify, init.rs), so its last status change wakes us.

use super::init::{Unwind, Waited};
use super::services::{self, Probe, Svc};
use super::MyInit;
use nix::unistd::Pid;
use std::path::Path;

/// What ended the wait for runit or the main command.
pub enum Ended {
    Child(Waited),
    /// The followed service exited for good, with this code.
    Service(i32),
}

/// Waits for `pid` (runsvdir or the main command), and, when a service is
/// followed, for that service to exit for good.
pub fn wait(m: &mut MyInit, pid: Pid) -> Result<Ended, Unwind> {
    let svc: Option<Svc> = m
        .opts
        .follow_service
        .as_ref()
        .map(|n| Svc::new(Path::new(services::SERVICE_DIR).join(n)));
    let started = crate::tai::Tai64n::now();
    let mut seen_running = false;
    let mut watched = false;
    loop {
        if let Some(w) = m.init.try_status(pid) {
            return Ok(Ended::Child(w));
        }
        if let Some(s) = &svc {
            if !watched {
                // Not watchable until runsv has made supervise/.
                watched = m.init.watch_dir(s.supervise());
            }
            match s.probe() {
                Probe::Record(r) if r.pid != 0 => seen_running = true,
                Probe::Record(r)
                    if r.state == 0
                        && r.want == b'd'
                        && (seen_running
                            || (r.time.secs >= started.secs && !has_down_file(&s.dir))) =>
                {
                    return Ok(Ended::Service(exit_code(&s.dir)));
                }
                Probe::NotRunning if seen_running => return Ok(Ended::Service(exit_code(&s.dir))),
                _ => {}
            }
        }
        m.init.signals_now()?;
        // Until the watch is set, look again every 100 ms.
        let next = (svc.is_some() && !watched)
            .then(|| std::time::Instant::now() + std::time::Duration::from_millis(100));
        m.init.wait_event(next, true)?;
    }
}

/// A service with a `down` file is down and wanted down before it ever ran.
fn has_down_file(svc: &Path) -> bool {
    svc.join("down").exists()
}

/// The code from the service's `exitcode` file (see the module comment).
pub fn exit_code(svc: &Path) -> i32 {
    let Ok(text) = std::fs::read_to_string(svc.join("exitcode")) else {
        return 0;
    };
    parse_exit_code(&text)
}

fn parse_exit_code(text: &str) -> i32 {
    let mut words = text.split_whitespace().map(|w| w.parse::<i32>().ok());
    match (words.next().flatten(), words.next().flatten()) {
        (Some(-1), Some(sig)) => 128 + (sig & 0x7f),
        (Some(code), _) => code & 0xff,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_exit_code;

    #[test]
    fn finish_arguments_to_exit_codes() {
        assert_eq!(parse_exit_code("3 0\n"), 3);
        assert_eq!(parse_exit_code("-1 9"), 137);
        assert_eq!(parse_exit_code("0"), 0);
        assert_eq!(parse_exit_code("junk"), 0);
    }
}
