//! Writing to `current` as runit does: the size rules that decide where a
//! file ends, and the write loop that never drops a line (on a full disk it
//! deletes old files down to `N`, or reports and retries every 3 seconds).
//!
//! Bytes are gathered in memory and written in large blocks, but every
//! decision is taken on the byte stream exactly where runit's line-by-line
//! writes would take it.

use super::dir::LogDir;
use super::report::{pause, warn, warn_err};
use super::rotate::is_old_file;
use nix::errno::Errno;
use std::fs::File;

/// Pending output is written once it reaches this size.
pub(super) const WRITE_AT: usize = 256 * 1024;
/// Writeback of `current` is started (`sync_file_range`, not waited for)
/// each time a quarter of the size limit more has been written (within these
/// bounds), so that the disk works while svlogd reads, and the fsync at
/// rotation finds little left to do.
const WRITEBACK_MIN: u64 = 64 * 1024;
const WRITEBACK_MAX: u64 = 1024 * 1024;

impl LogDir {
    /// Appends bytes to `current` as runit's writer does: never past the
    /// size limit (the rest goes to the next file), and rotation once a write
    /// ending in `\n` leaves less than one line of room.
    pub fn put(&mut self, mut data: &[u8]) {
        let max = self.cfg.size_max;
        self.rotate_if_due();
        while !data.is_empty() {
            let mut n = data.len();
            if max != 0 {
                if self.size >= max {
                    self.rotate();
                }
                let room = max.saturating_sub(self.size);
                if room > 0 && room < n as u64 {
                    n = room as usize;
                }
            }
            self.pending.extend_from_slice(&data[..n]);
            self.size += n as u64;
            let last = data[n - 1];
            data = &data[n..];
            if self.pending.len() >= WRITE_AT {
                self.flush();
            }
            // runit's `size >= sizemax - linemax` is unsigned: it never holds
            // when the limit is below the line length.
            if max != 0 && last == b'\n' && max >= self.line_max && self.size >= max - self.line_max
            {
                // Done before anything else is written (see `rotate_due`).
                self.rotate_due = true;
            }
        }
    }

    /// Writes what is pending to `current`.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(cur) = self.current.take() {
            self.write_pending(&cur);
            self.current = Some(cur);
        }
    }

    /// The rotation that the end of the last line asked for, if any: runit
    /// rotates right there; it is done before the next byte is written, the
    /// directory is closed, or svlogd waits for input, so files are the
    /// same. In between, svlogd may consume the input just written (see
    /// `cmd::svlogd::input`), so a kill during the rotation's fsync repeats
    /// nothing.
    /// Whether whole lines can be appended in blocks (`lines_until_rotation`):
    /// a size limit, if any, of at least one line.
    pub fn takes_blocks(&self) -> bool {
        self.cfg.size_max == 0 || self.cfg.size_max >= self.line_max
    }

    /// How much of `block` (whole lines, each shorter than the line limit)
    /// can be appended before a rotation is due: all of it, or up to the end
    /// of the line after which `current` is within a line of its limit.
    pub fn lines_until_rotation(&self, block: &[u8]) -> usize {
        let max = self.cfg.size_max;
        if max == 0 || max < self.line_max {
            return block.len();
        }
        let need = (max - self.line_max).saturating_sub(self.size);
        if need > block.len() as u64 {
            return block.len();
        }
        let from = (need as usize).saturating_sub(1);
        match crate::sys::memchr(b'\n', &block[from..]) {
            Some(i) => from + i + 1,
            None => block.len(),
        }
    }

    pub fn rotation_due(&self) -> bool {
        self.rotate_due
    }

    pub fn rotate_if_due(&mut self) {
        if self.rotate_due {
            self.rotate();
        }
    }

    /// Writes the pending block, retrying forever; on a full disk it may
    /// delete the oldest files down to `N` (runit's `buffer_pwrite`).
    pub(super) fn write_pending(&mut self, cur: &File) {
        let mut done = 0;
        while done < self.pending.len() {
            match nix::unistd::write(cur, &self.pending[done..]) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => self.write_failed(e),
            }
        }
        self.pending.clear();
    }

    /// Starts writeback of what has been written to `current` since the
    /// last start, once there is enough of it (see `WRITEBACK_MIN`). It can
    /// block while the disk is busy, so svlogd calls it only once the input
    /// just written has been consumed: a kill then repeats nothing.
    pub fn start_writeback(&mut self) {
        let Some(cur) = self.current.as_ref() else {
            return;
        };
        let written = self.size - self.pending.len() as u64;
        // Without a size limit the only fsync is at the end, as with
        // `dd conv=fsync`: the kernel's own writeback does as well there.
        let every = match self.cfg.size_max {
            0 => return,
            max => (max / 4).clamp(WRITEBACK_MIN, WRITEBACK_MAX),
        };
        if written >= self.kicked + every {
            // A hint: the fsync that finishes the file still waits for all.
            let _ = crate::sys::start_writeback(cur, self.kicked, written - self.kicked);
            self.kicked = written;
        }
    }

    fn write_failed(&mut self, e: Errno) {
        let mut err = e;
        if e == Errno::ENOSPC && self.cfg.n_min < self.cfg.n_max {
            let (count, oldest) = self.scan_for_space();
            err = Errno::ENOSPC;
            if count > self.cfg.n_min {
                if let Some(oldest) = oldest {
                    warn(&["out of disk space, delete: ", &self.name, "/", &oldest]);
                    match self.unlink_at(&oldest) {
                        Ok(()) => return,
                        Err(ue) => warn_err(&["unable to unlink oldest logfile: ", &self.name], ue),
                    }
                }
            }
        }
        pause("unable to write to current", &self.name, err);
    }

    /// Counts every old file (`@` + 26 bytes, any suffix) and finds the oldest.
    fn scan_for_space(&self) -> (u64, Option<String>) {
        let names = loop {
            match self.list() {
                Ok((names, read_err)) => {
                    if let Some(e) = read_err {
                        warn_err(
                            &[
                                "unable to read directory, want remove old logfile: ",
                                &self.name,
                            ],
                            e,
                        );
                    }
                    break names;
                }
                Err(e) => pause(
                    "unable to open directory, want remove old logfile",
                    &self.name,
                    e,
                ),
            }
        };
        let old: Vec<&String> = names.iter().filter(|n| is_old_file(n)).collect();
        (old.len() as u64, old.into_iter().min().cloned())
    }
}
