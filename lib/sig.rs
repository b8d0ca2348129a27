//! Signals as data: the signals a supervisor handles are blocked and read from a
//! signalfd, so no logic ever runs in a handler. Children get an empty mask
//! back (see spawn).

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// One signal read from a signalfd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub signo: i32,
    /// The descriptor a SIGIO-style signal is about (dnotify's F_SETSIG).
    pub fd: i32,
}

/// A signalfd over a set of blocked signals.
pub struct Signals {
    fd: SignalFd,
}

impl Signals {
    /// Blocks `signals` and opens a non-blocking, close-on-exec signalfd on them.
    pub fn new(signals: &[Signal]) -> Result<Signals, Errno> {
        Signals::with_numbers(signals, &[])
    }

    /// [`Signals::new`], with also the signals numbered `numbers` (real-time
    /// signals, which nix's `Signal` does not name).
    pub fn with_numbers(signals: &[Signal], numbers: &[i32]) -> Result<Signals, Errno> {
        let mut set = SigSet::empty();
        for &s in signals {
            set.add(s);
        }
        for &n in numbers {
            set = crate::sys::sigset_with(set, n);
        }
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(Signals { fd })
    }

    /// The pending signals, each at most once, in arrival order.
    pub fn drain(&mut self) -> Vec<Signal> {
        let mut got = Vec::new();
        self.drain_each(|r| {
            if let Ok(s) = Signal::try_from(r.signo) {
                if !got.contains(&s) {
                    got.push(s);
                }
            }
        });
        got
    }

    /// Every pending signal as received (a real-time signal as often as it
    /// was queued). Read a batch at a time: a read that does not fill the
    /// buffer has taken everything, so no read is spent on the EAGAIN that
    /// ends the batch.
    pub fn drain_each(&mut self, mut each: impl FnMut(Received)) {
        const INFO: usize = std::mem::size_of::<libc::signalfd_siginfo>();
        let mut buf = [0u8; INFO * 8];
        loop {
            let n = match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(_) => break,
            };
            for info in buf[..n].chunks_exact(INFO) {
                // struct signalfd_siginfo: ssi_signo at 0, ssi_fd at 20.
                let field = |at: usize| [info[at], info[at + 1], info[at + 2], info[at + 3]];
                each(Received {
                    signo: i32::from_ne_bytes(field(0)),
                    fd: i32::from_ne_bytes(field(20)),
                });
            }
            if n < buf.len() {
                break;
            }
        }
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
