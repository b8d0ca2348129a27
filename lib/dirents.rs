//! A directory's names, read with getdents64 into a buffer on the stack.
//! std's `read_dir` (and nix's `Dir`) go through the C library's `DIR`, a
//! 2 KiB allocation that musl's allocator maps and unmaps at every listing,
//! each unmap a TLB flush on every CPU; PID 1 lists `/etc/service` and the
//! shutdown script directories on the way to the kill-all.

use nix::errno::Errno;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

/// A directory held open for listing.
pub struct Listing {
    fd: OwnedFd,
}

/// Opens `path` for listing.
pub fn open(path: impl AsRef<Path>) -> Result<Listing, Errno> {
    Ok(Listing {
        fd: crate::open::dir(path)?.into(),
    })
}

/// Opens `name` in the open directory `dir` for listing (`.`: `dir`
/// itself, opened again so that the listing has its own offset).
pub fn open_in(dir: BorrowedFd, name: impl AsRef<Path>) -> Result<Listing, Errno> {
    Ok(Listing {
        fd: crate::open::dir_in(dir, name)?.into(),
    })
}

impl Listing {
    /// The directory's descriptor, to open its entries with.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Calls `each` with every name but `.` and `..`, in the directory's
    /// order; a failed read ends the listing with its error.
    pub fn each(&self, mut each: impl FnMut(&[u8])) -> Result<(), Errno> {
        let mut buf = [0u8; 4096];
        loop {
            let n = crate::sys::getdents(self.fd.as_fd(), &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            let mut at = 0;
            // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2),
            // d_type (1), then the name and its NUL.
            while at + 19 <= n {
                let len = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                if len < 19 || at + len > n {
                    return Err(Errno::EIO);
                }
                let field = &buf[at + 19..at + len];
                let name = &field[..field.iter().position(|&b| b == 0).unwrap_or(field.len())];
                if name != b"." && name != b".." {
                    each(name);
                }
                at += len;
            }
        }
    }
}

/// The names in the directory `path` but `.` and `..`, in its order.
pub fn names(path: impl AsRef<Path>) -> Result<Vec<Vec<u8>>, Errno> {
    let listing = open(path)?;
    let mut names = Vec::new();
    listing.each(|n| names.push(n.to_vec()))?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_but_dot_and_dotdot() {
        let dir = std::env::temp_dir().join(format!("runit-rs-dirents-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut want: Vec<Vec<u8>> = Vec::new();
        // More than one buffer's worth, long names, a non-UTF-8 byte.
        for i in 0..300 {
            let name = format!("{:0>60}", i).into_bytes();
            std::fs::write(dir.join(std::str::from_utf8(&name).unwrap()), "").unwrap();
            want.push(name);
        }
        use std::os::unix::ffi::OsStrExt;
        std::fs::create_dir(dir.join(std::ffi::OsStr::from_bytes(b".x\xff"))).unwrap();
        want.push(b".x\xff".to_vec());
        let mut got = names(&dir).unwrap();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(names(dir.join("missing")).err(), Some(Errno::ENOENT));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
