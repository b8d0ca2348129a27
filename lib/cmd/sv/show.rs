//! What sv prints about a service: the status text (doc/runit/sv.md §6.1) and
//! the `status` command with its log part and LSB exit codes (§6.2).

use super::service::{Got, Mode, Sv};
use crate::status::State;
use crate::svdir;
use nix::errno::Errno;

/// What a status line said (runit's 0 / 1 / 2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shown {
    /// `down` could not be examined: nothing printed.
    Unknown,
    /// The record has a pid.
    Up,
    /// The record has no pid.
    Down,
}

impl Shown {
    /// The LSB init-script exit code for `status`.
    pub fn lsb_code(self) -> i32 {
        match self {
            Shown::Unknown => 4,
            Shown::Up => 0,
            Shown::Down => 3,
        }
    }
}

/// Whether the service is meant to be up: no `down` file.
pub fn normally_up() -> Result<bool, Errno> {
    svdir::down_file("down").map(|exists| !exists)
}

/// The first word of a status line.
pub fn state_word(state: Option<State>) -> &'static str {
    match state {
        Some(State::Down) => "down",
        Some(State::Run) => "run",
        Some(State::Finish) => "finish",
        None => "",
    }
}

impl Sv {
    /// Prints the status text of the record under the service's name, or
    /// `log` (§6.1).
    pub fn print_status(&mut self, log: bool) -> Shown {
        let normally_up = match normally_up() {
            Ok(up) => up,
            Err(e) => {
                self.stderr_warning("unable to stat ", "down", e);
                return Shown::Unknown;
            }
        };
        let st = self.record();
        let state = st.state();
        if state.is_some() {
            self.out.put(state_word(state).as_bytes());
            self.out.put(b": ");
        }
        if log {
            self.out.put(b"log");
        } else {
            self.out.put(&self.svc);
        }
        self.out.put(b": ");
        if state != Some(State::Down) {
            self.out.put(b"(pid ");
            // runit keeps the pid in an int and prints it as an unsigned
            // long: from 2^31 up it comes out sign-extended
            // (doc/runit/quirks.md #51).
            self.out.num(i64::from(st.pid as i32) as u64);
            self.out.put(b") ");
        }
        self.out.num(self.now.saturating_sub(st.secs()));
        self.out.put(b"s");
        let up = st.pid != 0;
        if up && !normally_up {
            self.out.put(b", normally down");
        }
        if !up && normally_up {
            self.out.put(b", normally up");
        }
        if up && st.paused {
            self.out.put(b", paused");
        }
        if !up && st.wants_up() {
            self.out.put(b", want up");
        }
        if up && st.wants_down() {
            self.out.put(b", want down");
        }
        if up && st.got_term {
            self.out.put(b", got TERM");
        }
        if up {
            Shown::Up
        } else {
            Shown::Down
        }
    }

    /// The `status` command for the current service (§6.2). In LSB mode it
    /// may end the program with the init-script exit code.
    pub fn status(&mut self) {
        match self.get_status() {
            Got::Error if self.mode == Mode::Lsb => self.exit(4),
            Got::Record => {}
            _ => return,
        }
        let mut shown = self.print_status(false);
        match nix::unistd::chdir("log") {
            Err(Errno::ENOENT) => self.out.put(b"\n"),
            Err(e) => {
                self.out.put(b"; ");
                self.who.extend_from_slice(b"/log");
                self.warn("unable to change directory", e);
            }
            Ok(()) => {
                self.out.put(b"; ");
                self.who.extend_from_slice(b"/log");
                // runit prints whatever the buffer holds unless runsv is not
                // running: after a failed read that is the main record.
                if self.get_status() != Got::NotRunning {
                    shown = self.print_status(true);
                    self.out.put(b"\n");
                }
            }
        }
        let n = self.svc.len();
        self.who.truncate(n);
        if self.mode == Mode::Lsb {
            self.exit(shown.lsb_code());
        }
    }
}
