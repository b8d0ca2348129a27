//! One run of sv over its services: the current directory dance, reading a
//! status record, printing it, sending control bytes, and runit's diagnostics
//! with the exit-code count they carry (doc/runit/sv.md §2, §4, §6).

use super::out::Out;
use crate::errstr;
use crate::fifo;
use crate::status::STATUS_LEN;
use crate::tai::Tai64n;
use nix::errno::Errno;
use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

/// Which pass resolves a name: the waiting pass ignores the trailing-slash rule.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Send,
    Wait,
}

/// Result of reading a status record (runit's -1 / 0 / 1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Got {
    /// A warning was printed.
    Error,
    /// runsv is not running (an `ok:` or `fail:` line was printed).
    NotRunning,
    Record,
}

pub struct Sv {
    pub out: Out,
    /// Failures counted for the exit code.
    pub rc: u32,
    pub lsb: bool,
    pub svdir: OsString,
    /// The command bytes; the first decides `ok:` vs `fail:` for a dead runsv.
    pub acts: Vec<u8>,
    /// When sv started (seconds of the TAI64 label are what runit compares).
    pub start: Tai64n,
    /// Seconds used to print ages; refreshed after every wait.
    pub now: u64,
    /// The raw record; a short read overwrites only its first bytes (runit).
    pub record: [u8; STATUS_LEN],
    /// The service as typed, for every message.
    pub svc: Vec<u8>,
    /// The name used by the status-reading diagnostics (`svc` or `svc/log`).
    pub who: Vec<u8>,
    /// When set (JSON output), diagnostics for stdout are kept here as
    /// `<message>[: <errtext>]` instead of being printed; they still count.
    pub capture: Option<Vec<u8>>,
    /// Whether a `check` script may run now: only at runit's moments, since
    /// each run can be seen (it may write to stderr).
    pub scripts_now: bool,
    curdir: OwnedFd,
    /// Whether the cwd is not the original directory.
    away: bool,
}

impl Sv {
    pub fn new(lsb: bool, svdir: OsString, curdir: OwnedFd) -> Sv {
        let start = Tai64n::now();
        Sv {
            out: Out::default(),
            rc: 0,
            lsb,
            svdir,
            acts: Vec::new(),
            start,
            now: start.secs,
            record: [0; STATUS_LEN],
            svc: Vec::new(),
            who: Vec::new(),
            capture: None,
            scripts_now: true,
            curdir,
            away: false,
        }
    }

    /// The exit code for a fatal error in this mode.
    pub fn fatal_code(&self) -> i32 {
        if self.lsb {
            151
        } else {
            100
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
        self.out
            .err(&[b"fatal: ", what.as_bytes(), b": ", errstr::of(e).as_bytes()]);
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
        let relative = matches!(name.first(), Some(b'/') | Some(b'.'))
            || name.is_empty()
            || (pass == Pass::Send && name.last() == Some(&b'/'));
        let r = if relative {
            self.home();
            nix::unistd::chdir(name)
        } else if let Some(path) = self.under_svdir(name) {
            nix::unistd::chdir(path.as_slice())
        } else {
            self.home();
            nix::unistd::chdir(self.svdir.as_os_str()).and_then(|_| nix::unistd::chdir(name))
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                self.fail("unable to change to service directory", e);
                false
            }
        }
    }

    /// `$SVDIR/name` as one absolute path, when `chdir` to it fails or
    /// succeeds exactly as `chdir($SVDIR)` then `chdir(name)` would: SVDIR is
    /// absolute and the whole fits in PATH_MAX. One system call instead of
    /// two, and no need to be back in the original directory first.
    fn under_svdir(&self, name: &[u8]) -> Option<Vec<u8>> {
        let dir = self.svdir.as_bytes();
        if dir.first() != Some(&b'/') || dir.len() + name.len() + 2 >= libc::PATH_MAX as usize {
            return None;
        }
        let mut path = Vec::with_capacity(dir.len() + name.len() + 1);
        path.extend_from_slice(dir);
        path.push(b'/');
        path.extend_from_slice(name);
        Some(path)
    }

    /// Done with the current service. The way back to the original directory
    /// is taken only when the next name needs it (see `home`).
    pub fn leave(&mut self) {
        self.away = true;
    }

    /// Back to the directory sv started in, if not there.
    pub fn home(&mut self) {
        if !self.away {
            return;
        }
        if let Err(e) = nix::unistd::fchdir(self.curdir.as_raw_fd()) {
            self.fatal("unable to change to original directory", e);
        }
        self.away = false;
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

    /// A warning about `<svc>/<file>` on stderr (down and check problems).
    pub fn stderr_warning(&mut self, what: &str, file: &str, e: Errno) {
        let svc = std::mem::take(&mut self.svc);
        self.out.err(&[
            b"warning: ",
            what.as_bytes(),
            &svc,
            b"/",
            file.as_bytes(),
            b": ",
            errstr::of(e).as_bytes(),
        ]);
        self.svc = svc;
    }

    /// Reads `supervise/status` after checking that runsv is alive (§4.1).
    pub fn get_status(&mut self) -> Got {
        match fifo::open_writer("supervise/ok") {
            Ok(fd) => drop(fd),
            Err(Errno::ENXIO) => {
                if self.acts.first() == Some(&b'x') {
                    self.ok("runsv not running");
                } else {
                    self.failx("runsv not running");
                }
                return Got::NotRunning;
            }
            Err(e) => {
                self.warn("unable to open supervise/ok", e);
                return Got::Error;
            }
        }
        let fd = match open_read("supervise/status") {
            Ok(fd) => fd,
            Err(e) => {
                self.warn("unable to open supervise/status", e);
                return Got::Error;
            }
        };
        let r = read_once(fd, &mut self.record);
        match r {
            Ok(n) if n == STATUS_LEN => Got::Record,
            Ok(_) => {
                self.warnx("unable to read supervise/status: bad format");
                Got::Error
            }
            Err(e) => {
                self.warn("unable to read supervise/status", e);
                Got::Error
            }
        }
    }

    pub fn pid(&self) -> u32 {
        u32::from_le_bytes([
            self.record[12],
            self.record[13],
            self.record[14],
            self.record[15],
        ])
    }

    pub fn record_secs(&self) -> u64 {
        let mut s = [0u8; 8];
        s.copy_from_slice(&self.record[..8]);
        u64::from_be_bytes(s)
    }

    /// Sends `bytes` to `supervise/control` unless already wanted (§4).
    /// -1: dropped (message printed); 0: nothing sent; 1: sent.
    pub fn control(&mut self, bytes: &[u8]) -> i32 {
        if self.get_status() != Got::Record {
            return -1;
        }
        if self.record[17] == bytes[0] && (bytes[0] != b'd' || self.record[18] == 1) {
            return 0;
        }
        let fd = match fifo::open_writer("supervise/control") {
            Ok(fd) => fd,
            Err(Errno::ENXIO) => {
                if bytes[0] == b'x' {
                    self.ok("runsv not running");
                } else {
                    self.failx("runsv not running");
                }
                return -1;
            }
            Err(e) => {
                self.warn("unable to open supervise/control", e);
                return -1;
            }
        };
        match nix::unistd::write(&fd, bytes) {
            Ok(n) if n == bytes.len() => 1,
            Ok(_) => {
                self.warn("unable to write to supervise/control", Errno::last());
                -1
            }
            Err(e) => {
                self.warn("unable to write to supervise/control", e);
                -1
            }
        }
    }
}

/// runit's `open_read`: read-only, non-blocking (and close-on-exec).
pub fn open_read(path: &str) -> Result<OwnedFd, Errno> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map(OwnedFd::from)
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))
}

/// One read(2) into the front of `buf`, as runit does it.
fn read_once(fd: OwnedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match nix::unistd::read(fd.as_raw_fd(), buf) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// Basename of argv[0]: the text after the last `/`.
pub fn basename(arg0: &std::ffi::OsStr) -> Vec<u8> {
    let b = arg0.as_bytes();
    match b.iter().rposition(|&c| c == b'/') {
        Some(i) => b[i + 1..].to_vec(),
        None => b.to_vec(),
    }
}
