//! Whether a sent command has taken effect (doc/runit/sv.md §5.1), and the
//! service's own `check` script (§7).
//!
//! Beyond runit: a service started with a `notification-fd` file is up only
//! once it has said it is ready (lib/ready.rs), then its `check` script runs
//! as for any other service. Without the file nothing changes.

use super::service::{Got, Sv};
use crate::proc;
use crate::spawn::Spawn;
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
    /// runit's `check(acts)` for the current service.
    pub fn check(&mut self, acts: &[u8], hints: &mut Hints) -> Done {
        let got = self.get_status();
        if got == Got::Error {
            return Done::Error;
        }
        let pid = self.pid();
        let b = self.record;
        let status_secs = self.record_secs();
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
                b'u' => pid != 0 && b[19] == 1 && self.script_passes(),
                b'd' => pid == 0 && b[19] == 0,
                b'C' => pid == 0 || self.script_passes(),
                b't' | b'k' => {
                    (pid == 0 && b[17] == b'd')
                        || (start <= status_secs && pid != 0 && b[18] == 0 && self.script_passes())
                }
                b'o' => !((pid == 0 && start > status_secs) || (pid != 0 && b[17] != b'd')),
                b'p' => pid == 0 || b[16] != 0,
                b'c' => pid == 0 || b[16] == 0,
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

    /// The verdict on a running service: its check script, run only at
    /// runit's moments. Between moments a running service is never judged up
    /// (see wait.rs): it may be a failing one caught in its few milliseconds
    /// of life, which runit, looking only at its moments, would not see.
    fn script_passes(&mut self) -> bool {
        if !self.scripts_now {
            return false;
        }
        self.notified_ready() && self.run_check_script()
    }

    /// False only for a run that notifies readiness and has not yet.
    fn notified_ready(&self) -> bool {
        crate::ready::probe("supervise/", self.pid()) != crate::ready::Readiness::Waiting
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
