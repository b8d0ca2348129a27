//! flock(2) locks: runsv's `supervise/lock`, svlogd's `lock`, chpst's `-l`/`-L`.
//! flock, not fcntl locks, so that runit's programs and ours exclude each other.
//! fs2 is called through its trait explicitly: std's inherent `File` lock
//! methods (Rust 1.89+) would otherwise silently win.

use fs2::FileExt;
use nix::errno::Errno;
use std::fs::File;

fn errno_of(e: std::io::Error) -> Errno {
    crate::errstr::errno(&e)
}

/// Opens (creating, mode 0600) a lock file the way runsv does:
/// `O_WRONLY|O_APPEND|O_CREAT|O_NONBLOCK`, close-on-exec. Any path type:
/// chpst's `-l`/`-L` and setlock take names that need not be UTF-8.
pub fn open_lockfile(path: impl AsRef<std::path::Path>) -> Result<File, Errno> {
    crate::open::append(path, 0o600)
}

/// Takes an exclusive lock without waiting; EAGAIN (EWOULDBLOCK) when held.
pub fn try_exclusive(file: &File) -> Result<(), Errno> {
    FileExt::try_lock_exclusive(file).map_err(errno_of)
}

/// Takes an exclusive lock, waiting as long as it takes.
pub fn exclusive(file: &File) -> Result<(), Errno> {
    FileExt::lock_exclusive(file).map_err(errno_of)
}
