//! Directory change notification by dnotify (fcntl F_NOTIFY): a directory is
//! held open and every change of one of its entries arrives as SIGIO, which
//! the supervisors read from the signalfd they already poll. It names no
//! entry, so a change means "look again". inotify would name it, but the
//! last close of an inotify instance that has held watches waits for an SRCU
//! grace period (10-20 ms measured on a 2-core machine, up to 92 ms), paid
//! again at every exit; closing a dnotify descriptor costs nothing.

use nix::errno::Errno;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
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
    let fd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
        .open(dir)
        .map(OwnedFd::from)
        .map_err(|e| crate::errstr::errno(&e))?;
    crate::sys::notify_dir(fd.as_fd(), events | MULTISHOT)?;
    Ok(fd)
}
