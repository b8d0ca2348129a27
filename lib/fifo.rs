//! The control and ok FIFOs, both sides. Supervisor side: create (EEXIST is
//! fine) and hold open. Client side: open write-only, non-blocking; ENXIO then
//! means nobody holds the reading end, i.e. no runsv is running.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;

/// `mkfifo(path, 0600)`, an existing file being no error.
pub fn make(path: &str) -> Result<(), Errno> {
    match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600)) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `path` is a FIFO (following symlinks).
pub fn is_fifo(path: impl AsRef<Path>) -> Result<bool, Errno> {
    let st = nix::sys::stat::stat(path.as_ref())?;
    Ok(SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFIFO)
}

/// Opens `path` non-blocking and close-on-exec, for reading or for writing.
pub fn open(path: impl AsRef<Path>, access: OFlag) -> Result<OwnedFd, Errno> {
    let file = if access == OFlag::O_WRONLY {
        crate::open::write(path)
    } else {
        crate::open::read(path)
    };
    file.map(OwnedFd::from)
}

/// Client side: can a writer open `path` (`supervise/ok` or `control`)?
pub fn open_writer(path: impl AsRef<Path>) -> Result<OwnedFd, Errno> {
    open(path, OFlag::O_WRONLY)
}

/// [`open_writer`] of `name` in the open directory `dir` (a `supervise/`).
pub fn open_writer_in(dir: BorrowedFd, name: impl AsRef<Path>) -> Result<OwnedFd, Errno> {
    crate::open::write_in(dir, name).map(OwnedFd::from)
}

/// Reads one byte from a non-blocking FIFO; None when nothing is there.
pub fn read_byte(fd: &OwnedFd) -> Option<u8> {
    use std::os::fd::AsRawFd;
    let mut b = [0u8; 1];
    match nix::unistd::read(fd.as_raw_fd(), &mut b) {
        Ok(1) => Some(b[0]),
        _ => None,
    }
}
