//! An open log directory: its descriptor and its name, and the operations on
//! the names inside it (all `*at(2)`, relative to the descriptor). The
//! current file, the old files and the processor all work through one.

use nix::errno::Errno;
use nix::fcntl::renameat;
use nix::sys::stat::fstatat;
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};

/// A log directory held open.
pub struct DirHandle {
    dir: File,
    /// The name as given on the command line (messages print its bytes).
    pub name: Vec<u8>,
    /// The same name as a path (it need not be UTF-8).
    pub path: PathBuf,
}

impl DirHandle {
    pub fn new(dir: File, name: &[u8], path: &Path) -> DirHandle {
        DirHandle {
            dir,
            name: name.to_vec(),
            path: path.to_path_buf(),
        }
    }

    pub fn fd(&self) -> RawFd {
        self.dir.as_raw_fd()
    }

    /// runit's open modes (lib/open.rs), relative to this directory: always
    /// non-blocking and close-on-exec. `O_RDONLY`.
    pub fn read_at(&self, name: &str) -> Result<File, Errno> {
        crate::open::read_in(self.dir.as_fd(), name)
    }

    /// `O_WRONLY|O_APPEND|O_CREAT`, created with `mode` (before umask).
    pub fn append_at(&self, name: &str, mode: u32) -> Result<File, Errno> {
        crate::open::append_in(self.dir.as_fd(), name, mode)
    }

    /// `O_WRONLY|O_CREAT|O_TRUNC`, created with `mode` (before umask).
    pub fn trunc_at(&self, name: &str, mode: u32) -> Result<File, Errno> {
        crate::open::trunc_in(self.dir.as_fd(), name, mode)
    }

    pub fn stat_at(&self, name: &str) -> Result<libc::stat, Errno> {
        fstatat(Some(self.fd()), name, nix::fcntl::AtFlags::empty())
    }

    pub fn rename_at(&self, from: &str, to: &str) -> Result<(), Errno> {
        renameat(Some(self.fd()), from, Some(self.fd()), to)
    }

    pub fn unlink_at(&self, name: &str) -> Result<(), Errno> {
        unlinkat(Some(self.fd()), name, UnlinkatFlags::NoRemoveDir)
    }

    /// The directory's entry names (but `.` and `..`), and a read error if
    /// the listing stopped.
    pub fn list(&self) -> Result<(Vec<String>, Option<Errno>), Errno> {
        let listing = crate::dirents::open_in(self.dir.as_fd(), ".")?;
        let mut names = Vec::new();
        let read = listing.each(|n| names.push(String::from_utf8_lossy(n).into_owned()));
        Ok((names, read.err()))
    }
}
