//! Signals as data: the signals a supervisor handles are blocked and read from a
//! signalfd, so no logic ever runs in a handler. Children get an empty mask
//! back (see spawn).

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// A signalfd over a set of blocked signals.
pub struct Signals {
    fd: SignalFd,
}

impl Signals {
    /// Blocks `signals` and opens a non-blocking, close-on-exec signalfd on them.
    pub fn new(signals: &[Signal]) -> Result<Signals, Errno> {
        let mut set = SigSet::empty();
        for &s in signals {
            set.add(s);
        }
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(Signals { fd })
    }

    /// The pending signals, each at most once, in arrival order.
    pub fn drain(&mut self) -> Vec<Signal> {
        let mut got = Vec::new();
        while let Ok(Some(info)) = self.fd.read_signal() {
            if let Ok(s) = Signal::try_from(info.ssi_signo as i32) {
                if !got.contains(&s) {
                    got.push(s);
                }
            }
        }
        got
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
