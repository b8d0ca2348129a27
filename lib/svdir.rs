//! Probes of a service directory, relative to the current directory (every
//! program chdirs into the service first): `down`, `log/`, `finish`,
//! `control/X`, `check`.

use nix::errno::Errno;
use nix::sys::stat::{stat, SFlag};

/// Whether `stat(path)` succeeds: any file type; a dangling symlink does not count.
pub fn exists(path: &str) -> bool {
    stat(path).is_ok()
}

/// The outcome of `stat("down")` as sv needs it: Ok(true) exists, Ok(false)
/// ENOENT, Err for anything else.
pub fn down_file(path: &str) -> Result<bool, Errno> {
    match stat(path) {
        Ok(_) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Why `log` does not make a log service although it exists.
#[derive(Debug, PartialEq, Eq)]
pub enum LogDirError {
    NotADirectory,
    Stat(Errno),
}

/// Whether the service has a log service: `log` is a directory (symlinks followed).
pub fn log_dir() -> Result<bool, LogDirError> {
    match stat("log") {
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(LogDirError::Stat(e)),
        Ok(st) if is_dir(st.st_mode) => Ok(true),
        Ok(_) => Err(LogDirError::NotADirectory),
    }
}

pub fn is_dir(mode: libc::mode_t) -> bool {
    SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits()) == SFlag::S_IFDIR
}

/// Whether `path` has the owner-execute bit (runsv's test for `control/X`).
pub fn executable(path: &str) -> Result<bool, Errno> {
    stat(path).map(|st| st.st_mode & libc::S_IXUSR != 0)
}

/// Whether `path` can be opened for reading (runsv's test for `finish`: the
/// executable bit is not looked at).
pub fn readable(path: &str) -> bool {
    crate::open::read(path).is_ok()
}
