//! One run of sv over its services: the state sv carries from one service
//! to the next, runit's diagnostics with the exit-code count they carry
//! (doc/runit/sv.md §2, §4, §6), and the two conversations with runsv:
//! reading its status record and sending control bytes.

use super::out::Out;
use super::walk::{EnterError, Pass, Walk};
use crate::errstr;
use crate::fifo;
use crate::status::{RecordBuf, Status};
use crate::tai::Tai64n;
use nix::errno::Errno;
use std::os::fd::AsFd;

/// Result of reading a status record (runit's -1 / 0 / 1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Got {
    /// A warning was printed.
    Error,
    /// runsv is not running (an `ok:` or `fail:` line was printed).
    NotRunning,
    Record,
}

/// What [`Sv::control`] did (runit's -1 / 0 / 1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sent {
    /// Nothing sent, and a diagnostic printed: the service is not waited for.
    Dropped,
    /// Nothing sent: the record already wants it.
    Unneeded,
    Written,
}

/// sv's invocation: as `sv`, or by another name as an LSB init script.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Sv,
    Lsb,
}

pub struct Sv {
    pub(super) out: Out,
    /// Failures counted for the exit code.
    pub(super) rc: u32,
    pub(super) mode: Mode,
    /// Whether "runsv not running" is what the command wants (`ok:`, not
    /// `fail:`): runit looks at the first command byte, `x`.
    exit_ok: bool,
    /// When sv started (seconds of the TAI64 label are what runit compares).
    pub(super) start: Tai64n,
    /// Seconds used to print ages; refreshed after every wait.
    pub(super) now: u64,
    /// The last record read; a short read overwrites only its first bytes.
    record: RecordBuf,
    /// The service as typed, for every message.
    pub(super) svc: Vec<u8>,
    /// The name used by the status-reading diagnostics (`svc` or `svc/log`).
    pub(super) who: Vec<u8>,
    /// When set (JSON output), diagnostics for stdout are kept here as
    /// `<message>[: <errtext>]` instead of being printed; they still count.
    pub(super) capture: Option<Vec<u8>>,
    walk: Walk,
}

impl Sv {
    pub fn new(mode: Mode, exit_ok: bool, walk: Walk) -> Sv {
        let start = Tai64n::now();
        Sv {
            out: Out::default(),
            rc: 0,
            mode,
            exit_ok,
            start,
            now: start.secs,
            record: RecordBuf::default(),
            svc: Vec::new(),
            who: Vec::new(),
            capture: None,
            walk,
        }
    }

    /// The exit code for a fatal error in this mode.
    pub fn fatal_code(&self) -> i32 {
        match self.mode {
            Mode::Lsb => 151,
            Mode::Sv => 100,
        }
    }

    /// Writes out stdout and exits with `code`.
    pub fn exit(&mut self, code: i32) -> ! {
        let held = self.out.unhold();
        self.out.release(held);
        std::process::exit(code)
    }

    /// `fatal: <what>: <err>` on stderr and exit.
    pub fn fatal(&mut self, what: &str, e: Errno) -> ! {
        self.out.err(&[b"fatal: ", what.as_bytes()], Some(e));
        let code = self.fatal_code();
        self.exit(code)
    }

    /// Changes into the service directory `name` (doc/runit/sv.md §2). On failure
    /// prints the `fail:` line and returns false.
    pub fn enter(&mut self, name: &[u8], pass: Pass) -> bool {
        self.svc.clear();
        self.svc.extend_from_slice(name);
        self.who.clear();
        self.who.extend_from_slice(name);
        match self.walk.enter(name, pass) {
            Ok(()) => true,
            Err(EnterError::Home(e)) => self.fatal("unable to change to original directory", e),
            Err(EnterError::Service(e)) => {
                self.fail("unable to change to service directory", e);
                false
            }
        }
    }

    /// Done with the current service.
    pub fn leave(&mut self) {
        self.walk.leave();
    }

    /// The record as last read (whole or not: see [`RecordBuf`]).
    pub fn record(&self) -> Status {
        self.record.status()
    }

    fn line(&mut self, prefix: &[u8], msg: &[u8], e: Option<Errno>) {
        if let Some(c) = self.capture.as_mut() {
            c.clear();
            c.extend_from_slice(msg);
            if let Some(e) = e {
                c.extend_from_slice(b": ");
                c.extend_from_slice(errstr::of(e).as_bytes());
            }
            return;
        }
        let who = std::mem::take(&mut self.who);
        self.out.put(prefix);
        self.out.put(&who);
        self.out.put(b": ");
        self.out.put(msg);
        if let Some(e) = e {
            self.out.put(b": ");
            self.out.put(errstr::of(e).as_bytes());
        }
        self.out.put(b"\n");
        self.who = who;
    }

    pub fn fail(&mut self, msg: &str, e: Errno) {
        self.rc += 1;
        self.line(b"fail: ", msg.as_bytes(), Some(e));
    }

    pub fn failx(&mut self, msg: &str) {
        self.rc += 1;
        self.line(b"fail: ", msg.as_bytes(), None);
    }

    pub fn warn(&mut self, msg: &str, e: Errno) {
        self.rc += 1;
        self.line(b"warning: ", msg.as_bytes(), Some(e));
    }

    pub fn warnx(&mut self, msg: &str) {
        self.rc += 1;
        self.line(b"warning: ", msg.as_bytes(), None);
    }

    pub fn ok(&mut self, msg: &str) {
        self.line(b"ok: ", msg.as_bytes(), None);
    }

    /// `runsv not running`: `ok:` when the command wants runsv gone.
    fn not_running(&mut self, exit_ok: bool) {
        if exit_ok {
            self.ok("runsv not running");
        } else {
            self.failx("runsv not running");
        }
    }

    /// A warning about `<svc>/<file>` on stderr (down and check problems).
    pub fn stderr_warning(&mut self, what: &str, file: &str, e: Errno) {
        let svc = std::mem::take(&mut self.svc);
        self.out.err(
            &[b"warning: ", what.as_bytes(), &svc, b"/", file.as_bytes()],
            Some(e),
        );
        self.svc = svc;
    }

    /// Reads `supervise/status` after checking that runsv is alive (§4.1).
    pub fn get_status(&mut self) -> Got {
        match fifo::open_writer("supervise/ok") {
            Ok(fd) => drop(fd),
            Err(Errno::ENXIO) => {
                self.not_running(self.exit_ok);
                return Got::NotRunning;
            }
            Err(e) => {
                self.warn("unable to open supervise/ok", e);
                return Got::Error;
            }
        }
        let fd = match crate::open::read("supervise/status") {
            Ok(fd) => fd,
            Err(e) => {
                self.warn("unable to open supervise/status", e);
                return Got::Error;
            }
        };
        match self.record.read_once(fd.as_fd()) {
            Ok(true) => Got::Record,
            Ok(false) => {
                self.warnx("unable to read supervise/status: bad format");
                Got::Error
            }
            Err(e) => {
                self.warn("unable to read supervise/status", e);
                Got::Error
            }
        }
    }

    /// Sends `bytes` to `supervise/control` unless already wanted (§4).
    pub fn control(&mut self, bytes: &[u8]) -> Sent {
        if self.get_status() != Got::Record {
            return Sent::Dropped;
        }
        let st = self.record();
        if st.want == bytes[0] && (bytes[0] != b'd' || self.record.got_term_byte() == 1) {
            return Sent::Unneeded;
        }
        let fd = match fifo::open_writer("supervise/control") {
            Ok(fd) => fd,
            Err(Errno::ENXIO) => {
                self.not_running(bytes[0] == b'x');
                return Sent::Dropped;
            }
            Err(e) => {
                self.warn("unable to open supervise/control", e);
                return Sent::Dropped;
            }
        };
        match nix::unistd::write(&fd, bytes) {
            Ok(n) if n == bytes.len() => Sent::Written,
            Ok(_) => {
                self.warn("unable to write to supervise/control", Errno::last());
                Sent::Dropped
            }
            Err(e) => {
                self.warn("unable to write to supervise/control", e);
                Sent::Dropped
            }
        }
    }
}
