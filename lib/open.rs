//! runit's ways of opening a file (its `open_read`, `open_write`,
//! `open_append`, `open_trunc`): always non-blocking, so that a FIFO or a
//! device never hangs the caller, and close-on-exec. Always by openat(2) (lib/sys.rs says why). Errors
//! are the errno, for runit's words.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::fs::File;
use std::os::fd::BorrowedFd;
use std::path::Path;

/// Opens `path`, relative to `dir` when given (else to the current
/// directory), with runit's non-blocking flag.
fn open(dir: Option<BorrowedFd>, path: &Path, flags: OFlag, mode: u32) -> Result<File, Errno> {
    crate::sys::open_file(
        dir,
        path,
        flags | OFlag::O_NONBLOCK,
        Mode::from_bits_truncate(mode),
    )
}

const READ: OFlag = OFlag::O_RDONLY;
const WRITE: OFlag = OFlag::O_WRONLY;
const APPEND: OFlag = OFlag::O_WRONLY.union(OFlag::O_APPEND).union(OFlag::O_CREAT);
const TRUNC: OFlag = OFlag::O_WRONLY.union(OFlag::O_CREAT).union(OFlag::O_TRUNC);

/// `O_RDONLY|O_NONBLOCK`: a file, a directory (to come back to it with
/// fchdir) or the reading end of a FIFO.
pub fn read(path: impl AsRef<Path>) -> Result<File, Errno> {
    open(None, path.as_ref(), READ, 0)
}

/// `O_WRONLY|O_NONBLOCK`: the writing end of a FIFO; ENXIO when nobody
/// holds its reading end.
pub fn write(path: impl AsRef<Path>) -> Result<File, Errno> {
    open(None, path.as_ref(), WRITE, 0)
}

/// `O_WRONLY|O_APPEND|O_CREAT|O_NONBLOCK`, created with `mode` (before umask).
pub fn append(path: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(None, path.as_ref(), APPEND, mode)
}

/// `O_WRONLY|O_CREAT|O_TRUNC|O_NONBLOCK`, created with `mode` (before umask).
pub fn trunc(path: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(None, path.as_ref(), TRUNC, mode)
}

/// `O_RDONLY|O_DIRECTORY|O_NONBLOCK`: a directory to open names in, or to
/// watch (lib/dnotify.rs); ENOTDIR when `path` is something else.
pub fn dir(path: impl AsRef<Path>) -> Result<File, Errno> {
    open(None, path.as_ref(), READ | OFlag::O_DIRECTORY, 0)
}

/// [`dir`] of `name` in the open directory `dir` (`.`: a new open of it,
/// with its own offset, to list it).
pub fn dir_in(dir: BorrowedFd, name: impl AsRef<Path>) -> Result<File, Errno> {
    open(Some(dir), name.as_ref(), READ | OFlag::O_DIRECTORY, 0)
}

/// [`read`] of `name` in the open directory `dir`.
pub fn read_in(dir: BorrowedFd, name: impl AsRef<Path>) -> Result<File, Errno> {
    open(Some(dir), name.as_ref(), READ, 0)
}

/// [`write()`] of `name` in the open directory `dir`.
pub fn write_in(dir: BorrowedFd, name: impl AsRef<Path>) -> Result<File, Errno> {
    open(Some(dir), name.as_ref(), WRITE, 0)
}

/// [`append`] of `name` in the open directory `dir`.
pub fn append_in(dir: BorrowedFd, name: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(Some(dir), name.as_ref(), APPEND, mode)
}

/// [`trunc`] of `name` in the open directory `dir`.
pub fn trunc_in(dir: BorrowedFd, name: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(Some(dir), name.as_ref(), TRUNC, mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn flags_and_errors() {
        let dir = std::env::temp_dir().join(format!("runit-rs-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        assert_eq!(read(&f).err(), Some(Errno::ENOENT));
        drop(trunc(&f, 0o600).unwrap());
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
        use std::io::Write;
        append(&f, 0o600).unwrap().write_all(b"a").unwrap();
        append(&f, 0o600).unwrap().write_all(b"b").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"ab");
        nix::unistd::mkfifo(
            &dir.join("p"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        assert_eq!(write(dir.join("p")).err(), Some(Errno::ENXIO));
        let _reader = read(dir.join("p")).unwrap();
        assert!(write(dir.join("p")).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
