//! What sv prints about a service: the status text (doc/runit/sv.md §6.1) and
//! the `status` command with its log part and LSB exit codes (§6.2).

use super::service::{Got, Sv};
use crate::svdir;
use nix::errno::Errno;

impl Sv {
    /// Prints the status text of the record under the service's name, or
    /// `log` (§6.1). Returns 0 when `down` could not be examined (nothing
    /// printed), 1 with a pid, 2 without.
    pub fn print_status(&mut self, log: bool) -> u8 {
        let normally_up = match svdir::down_file("down") {
            Ok(exists) => !exists,
            Err(e) => {
                self.stderr_warning("unable to stat ", "down", e);
                return 0;
            }
        };
        let pid = self.pid();
        let b = self.record;
        self.out.put(match b[19] {
            0 => b"down: ",
            1 => b"run: ",
            2 => b"finish: ",
            _ => b"",
        });
        if log {
            self.out.put(b"log");
        } else {
            self.out.put(&self.svc);
        }
        self.out.put(b": ");
        if b[19] != 0 {
            self.out.put(b"(pid ");
            self.out.num(u64::from(pid));
            self.out.put(b") ");
        }
        self.out.num(self.now.saturating_sub(self.record_secs()));
        self.out.put(b"s");
        let up = pid != 0;
        if up && !normally_up {
            self.out.put(b", normally down");
        }
        if !up && normally_up {
            self.out.put(b", normally up");
        }
        if up && b[16] != 0 {
            self.out.put(b", paused");
        }
        if !up && b[17] == b'u' {
            self.out.put(b", want up");
        }
        if up && b[17] == b'd' {
            self.out.put(b", want down");
        }
        if up && b[18] != 0 {
            self.out.put(b", got TERM");
        }
        if up {
            1
        } else {
            2
        }
    }

    /// The `status` command for the current service (§6.2). In LSB mode it
    /// may end the program with the init-script exit code.
    pub fn status(&mut self) {
        match self.get_status() {
            Got::Error if self.lsb => self.exit(4),
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
        if self.lsb {
            self.exit(match shown {
                0 => 4,
                1 => 0,
                _ => 3,
            });
        }
    }
}
