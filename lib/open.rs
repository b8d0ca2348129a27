//! runit's ways of opening a file (its `open_read`, `open_write`,
//! `open_append`, `open_trunc`): always non-blocking, so that a FIFO or a
//! device never hangs the caller, and close-on-exec (std's default). Errors
//! are the errno, for runit's words.

use crate::errstr::errno;
use nix::errno::Errno;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn open(path: &Path, o: &mut OpenOptions) -> Result<File, Errno> {
    o.custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| errno(&e))
}

/// `O_RDONLY|O_NONBLOCK`: a file, a directory (to come back to it with
/// fchdir) or the reading end of a FIFO.
pub fn read(path: impl AsRef<Path>) -> Result<File, Errno> {
    open(path.as_ref(), OpenOptions::new().read(true))
}

/// `O_WRONLY|O_NONBLOCK`: the writing end of a FIFO; ENXIO when nobody
/// holds its reading end.
pub fn write(path: impl AsRef<Path>) -> Result<File, Errno> {
    open(path.as_ref(), OpenOptions::new().write(true))
}

/// `O_WRONLY|O_APPEND|O_CREAT|O_NONBLOCK`, created with `mode` (before umask).
pub fn append(path: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(
        path.as_ref(),
        OpenOptions::new().append(true).create(true).mode(mode),
    )
}

/// `O_WRONLY|O_CREAT|O_TRUNC|O_NONBLOCK`, created with `mode` (before umask).
pub fn trunc(path: impl AsRef<Path>, mode: u32) -> Result<File, Errno> {
    open(
        path.as_ref(),
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode),
    )
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
