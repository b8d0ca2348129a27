//! Directory change notification by dnotify (fcntl F_NOTIFY): a directory is
//! held open and every change of one of its entries arrives as SIGIO, which
//! the supervisors read from the signalfd they already poll. It names no
//! entry, so a change means "look again" (a real-time signal set with
//! F_SETSIG names at least the directory). inotify would name the entry, but the
//! last close of an inotify instance that has held watches waits for an SRCU
//! grace period (10-20 ms measured on a 2-core machine, up to 92 ms), paid
//! again at every exit; closing a dnotify descriptor costs nothing.

use nix::errno::Errno;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

/// An entry was created (linux/fcntl.h's `DN_CREATE`).
pub const CREATE: u32 = 0x4;
/// An entry was removed.
pub const DELETE: u32 = 0x8;
/// An entry was renamed, or a file renamed over it: how runsv replaces
/// `supervise/status`, `stat` and `pid`.
pub const RENAME: u32 = 0x10;
/// An entry's attributes changed (a `touch`).
pub const ATTRIB: u32 = 0x20;
/// Keep the watch after the first event.
const MULTISHOT: u32 = 0x8000_0000;

/// Opens `dir` and asks for SIGIO on each of `events` (bits above) until the
/// returned descriptor is closed. SIGIO must already be blocked and read
/// from a signalfd: its default action ends the process.
pub fn watch(dir: &Path, events: u32) -> Result<OwnedFd, Errno> {
    let fd = OwnedFd::from(crate::open::dir(dir)?);
    watch_fd(fd.as_fd(), events, None)?;
    Ok(fd)
}

/// [`watch`] of a directory already open (read-only): the watch lasts
/// until the last descriptor of that open is closed. With `signal` (a
/// real-time signal, blocked and read from a signalfd), each change arrives
/// as that signal naming the descriptor (`ssi_fd`), not as SIGIO; SIGIO
/// still comes if the kernel's queue of signals is full.
pub fn watch_fd(dir: BorrowedFd, events: u32, signal: Option<i32>) -> Result<(), Errno> {
    crate::sys::notify_dir(dir, events | MULTISHOT, signal)
}
