//! Whether a sent command has taken effect (doc/runit/sv.md §5.1), and the
//! service's own `check` script (§7).

use super::service::{Got, Sv};
use crate::proc;
use crate::spawn::Spawn;
use crate::status::State;
use nix::errno::Errno;

/// Outcome of one check of one service.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Done {
    /// Not yet: keep waiting.
    No,
    /// Done; the `ok:` line was printed.
    Yes,
    /// Gave up; a diagnostic was printed.
    Error,
}

/// What a round of checks learned about when it is worth looking again.
#[derive(Default, Clone, Copy)]
pub struct Hints {
    /// Waiting for runsv to exit, which no file change announces.
    pub exit_wait: bool,
}

impl Sv {
    /// runit's `check(acts)` for the current service. `at_moment`: this look
    /// is at one of runit's moments (see wait.rs), when a running service
    /// may be judged up.
    pub fn check(&mut self, acts: &[u8], at_moment: bool, hints: &mut Hints) -> Done {
        let got = self.get_status();
        if got == Got::Error {
            return Done::Error;
        }
        let st = self.record();
        let running = st.pid != 0;
        let start = self.start.secs;
        for &a in acts {
            if got == Got::NotRunning {
                return if a == b'x' { Done::Yes } else { Done::Error };
            }
            let holds = match a {
                b'x' => {
                    hints.exit_wait = true;
                    false
                }
                b'u' => running && st.state() == Some(State::Run) && self.is_up(at_moment),
                b'd' => !running && st.state() == Some(State::Down),
                b'C' => !running || self.is_up(at_moment),
                b't' | b'k' => {
                    (!running && st.wants_down())
                        || (start <= st.secs() && running && !st.got_term && self.is_up(at_moment))
                }
                b'o' => (running || start <= st.secs()) && (!running || st.wants_down()),
                b'p' => !running || st.paused,
                b'c' => !running || !st.paused,
                _ => true,
            };
            if !holds {
                return Done::No;
            }
        }
        self.out.put(b"ok: ");
        self.print_status(false);
        self.out.put(b"\n");
        Done::Yes
    }

    /// Whether a service whose record says it is running counts as up for
    /// sv (`up`, `restart`, `check`, ...): the one place that judges it.
    /// Today that is its check script, run only at runit's moments. Between
    /// moments a running service is never judged up (see wait.rs): it may be
    /// a failing one caught in its few milliseconds of life, which runit,
    /// looking only at its moments, would not see.
    fn is_up(&mut self, at_moment: bool) -> bool {
        if !at_moment {
            return false;
        }
        self.run_check_script()
    }

    /// Runs `./check` in the service directory with stdout closed; it passes
    /// when absent or when it exits 0 (or is killed by a signal).
    fn run_check_script(&mut self) -> bool {
        match nix::sys::stat::stat("check") {
            Ok(_) => {}
            Err(Errno::ENOENT) => return true,
            Err(e) => {
                self.stderr_warning("unable to stat ", "check", e);
                return false;
            }
        }
        let mut exec_error = b"warning: unable to run ".to_vec();
        exec_error.extend_from_slice(&self.svc);
        exec_error.extend_from_slice(b"/check: ");
        // What the child inherits must be on its descriptors before the fork.
        self.out.flush();
        let started = Spawn::new("check", &["./check"])
            .map(|s| s.close(1).on_exec_error(exec_error, 0))
            .and_then(|s| s.start());
        let pid = match started {
            Ok(pid) => pid,
            Err(e) => {
                self.stderr_warning("unable to fork for ", "check", e);
                return false;
            }
        };
        match proc::wait_for(pid) {
            Ok(w) => (w >> 8) & 0xff == 0,
            Err(e) => {
                self.stderr_warning("unable to wait for child ", "check", e);
                false
            }
        }
    }
}
