//! A log directory's `current` file and the bytes pending for it: gathered
//! in memory and written in large blocks, a write loop that never drops a
//! byte (what to do on a failed write is the caller's decision), early
//! writeback, and finishing the file (fsync, mode 0744: closed cleanly).

use super::handle::DirHandle;
use super::report::persist;
use nix::errno::Errno;
use nix::fcntl::{splice, SpliceFFlags};
use nix::sys::stat::{fchmod, Mode};
use std::fs::File;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Pending output is written once it reaches this size.
pub const WRITE_AT: usize = 256 * 1024;
/// Writeback of `current` is started (`sync_file_range`, not waited for)
/// each time a quarter of the size limit more has been written (within these
/// bounds), so that the disk works while svlogd reads, and the fsync at
/// rotation finds little left to do.
const WRITEBACK_MIN: u64 = 64 * 1024;
const WRITEBACK_MAX: u64 = 1024 * 1024;

/// `current`, open or not, and what is still to be written to it.
pub struct Current {
    file: Option<File>,
    /// Bytes in `current`, counting what is still pending.
    pub size: u64,
    /// Bytes of `current` whose writeback has been started.
    kicked: u64,
    pending: Vec<u8>,
    /// `current` opened again without `O_APPEND`, for `splice_in`.
    spliced: Option<File>,
    /// `splice_in` failed for want of support: not tried again.
    no_splice: bool,
}

impl Default for Current {
    fn default() -> Current {
        Current {
            file: None,
            size: 0,
            kicked: 0,
            pending: Vec::with_capacity(WRITE_AT + 4096),
            spliced: None,
            no_splice: false,
        }
    }
}

impl Current {
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Opens (creating) `current` for appending, mode 0644, retrying every
    /// 3 seconds with `what` as the message; `size` bytes are already in it.
    pub fn open(&mut self, h: &DirHandle, what: &str, size: u64) {
        let cur = persist(what, &h.name, || h.append_at("current", 0o600));
        self.size = size;
        self.kicked = size;
        self.spliced = None;
        persist("unable to set mode of current", &h.name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o644))
        });
        self.file = Some(cur);
    }

    /// Adds bytes to what is pending.
    pub fn append(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.size += bytes.len() as u64;
    }

    /// Whether enough is pending to be written.
    pub fn full(&self) -> bool {
        self.pending.len() >= WRITE_AT
    }

    /// Writes what is pending, retrying until all of it is written; each
    /// failure goes to `failed` first (runit's `buffer_pwrite`).
    pub fn write_out(&mut self, failed: &mut dyn FnMut(Errno)) {
        let Some(cur) = self.file.as_ref() else {
            return;
        };
        let mut done = 0;
        while done < self.pending.len() {
            match nix::unistd::write(cur, &self.pending[done..]) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => failed(e),
            }
        }
        self.pending.clear();
    }

    /// Writes what is pending, then fsync and mode 0744 (retried until they
    /// succeed), and closes the file. Returns whether it was open.
    pub fn finish(&mut self, name: &[u8], failed: &mut dyn FnMut(Errno)) -> bool {
        self.write_out(failed);
        self.spliced = None;
        let Some(cur) = self.file.take() else {
            return false;
        };
        persist("unable to fsync current logfile", name, || {
            nix::unistd::fsync(cur.as_raw_fd())
        });
        persist("unable to set mode of current", name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o744))
        });
        true
    }

    /// Moves `n` bytes from the pipe `from` to the end of the file
    /// (`splice(2)`: the kernel copies them into the file, svlogd never
    /// reads them), retrying until all of them are moved; each failure goes
    /// to `failed` first. Nothing may be pending. Returns how many bytes
    /// were moved: 0 when splicing is not possible here (then write), fewer
    /// than `n` when it stopped being possible on the way.
    pub fn splice_in(
        &mut self,
        from: BorrowedFd,
        mut n: usize,
        failed: &mut dyn FnMut(Errno),
    ) -> usize {
        if !self.pending.is_empty() {
            return 0;
        }
        let Some(cur) = self.file.as_ref() else {
            return 0;
        };
        // splice refuses a file open for appending: a second, plain open of
        // the same file, writing at its end.
        if self.no_splice {
            return 0;
        }
        if self.spliced.is_none() {
            let path = format!("/proc/self/fd/{}", cur.as_raw_fd());
            self.spliced = std::fs::OpenOptions::new().write(true).open(path).ok();
        }
        let Some(out) = self.spliced.as_ref() else {
            return 0;
        };
        let Ok(st) = nix::sys::stat::fstat(cur.as_raw_fd()) else {
            return 0;
        };
        let mut at = st.st_size;
        let mut moved = 0;
        while n > 0 {
            match splice(
                from,
                None,
                out,
                Some(&mut at),
                n,
                SpliceFFlags::SPLICE_F_MOVE,
            ) {
                Ok(0) => break,
                Ok(k) => {
                    n -= k;
                    moved += k;
                    self.size += k as u64;
                }
                Err(Errno::EINTR) => {}
                // Not there after all: what is left is looked at again.
                Err(Errno::EAGAIN) => break,
                // This file system does not splice: write from now on.
                Err(Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP | Errno::EBADF) => {
                    self.spliced = None;
                    self.no_splice = true;
                    return moved;
                }
                Err(e) => failed(e),
            }
        }
        moved
    }

    /// Starts writeback of what has been written since the last start, once
    /// there is enough of it (a quarter of `size_max`, within bounds; never
    /// without a size limit, where the only fsync is at the end, as with
    /// `dd conv=fsync`). It can block while the disk is busy, so svlogd calls
    /// it only once the input just written has been consumed.
    pub fn start_writeback(&mut self, size_max: u64) {
        let Some(cur) = self.file.as_ref() else {
            return;
        };
        let written = self.size - self.pending.len() as u64;
        let every = match size_max {
            0 => return,
            max => (max / 4).clamp(WRITEBACK_MIN, WRITEBACK_MAX),
        };
        if written >= self.kicked + every {
            // A hint: the fsync that finishes the file still waits for all.
            let _ = crate::sys::start_writeback(cur, self.kicked, written - self.kicked);
            self.kicked = written;
        }
    }
}
