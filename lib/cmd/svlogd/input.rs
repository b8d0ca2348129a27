//! Standard input read so that a SIGKILL loses nothing (an addition to
//! runit, which loses whatever it has read but not yet written).
//!
//! When stdin is a pipe, its bytes stay in the pipe until the lines they
//! hold are written: `tee(2)` copies what the pipe holds into a private pipe
//! without consuming it, svlogd reads the copy and writes the complete lines
//! it holds, and only then are exactly those bytes consumed (`splice(2)` to
//! /dev/null, which copies nothing). A new svlogd started after a kill finds them still in the pipe
//! (runsv keeps it open), so a kill can at worst make the lines of the last
//! step appear twice. A line with no `\n` yet stays in the pipe while more
//! may come: it is consumed into memory (as before, and as runit does) only
//! when the pipe is full of it, when the writer has gone, or after it has
//! waited about a second with nothing added (only with time stamps, which
//! date a line from its first byte: without, it stays in the pipe).
//!
//! When the lines go to one directory untouched (no size limit, no stamp,
//! pattern, prefix, replacement or copy), they are not read at all: only the
//! last 64 kB of the copy is, to find the last `\n`; the complete lines are
//! copied again (`tee`), moved from that copy into `current` by `splice(2)`,
//! and only then consumed (a kill in between repeats them, loses nothing).
//! Splicing from stdin itself would write and consume in one step, but holds
//! stdin's pipe for the whole copy into the file, and the writer waits: the
//! private copy lets it go on filling stdin meanwhile (measured: 80-90% of
//! `dd conv=fsync` from stdin, 95-105% from the copy).
//!
//! Anything else on stdin (a file, a terminal, a socket), a kernel without
//! `tee`, or a limit of fewer than 64 open files, and stdin is read the
//! ordinary way.

use nix::errno::Errno;
use nix::fcntl::{fcntl, splice, tee, FcntlArg, OFlag, SpliceFFlags};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// The pipe size asked for (Linux's default `pipe-max-size`): more survives
/// a kill, and each step handles more.
const PIPE_SIZE: i32 = 1024 * 1024;
/// Lines are written and consumed in steps of at most this many bytes, which
/// bounds what a kill in the middle of a step can repeat.
pub const STEP: usize = 128 * 1024;
/// Below this limit on open files, stdin is read the ordinary way.
const MIN_FILES: u64 = 64;
/// How long a line with no `\n` may wait in the pipe for more bytes.
const PARTIAL_WAIT: Duration = Duration::from_millis(1000);
/// How often a line with no `\n` left in the pipe is looked at after
/// `PARTIAL_WAIT` (see `take_partial`).
const PATIENT_LOOK: Duration = Duration::from_millis(100);
/// `peek_complete` reads only this much of the end of what the pipe holds.
const TAIL: usize = 64 * 1024;

/// What one look at the pipe found.
pub enum Peek {
    /// No writer and nothing left.
    Eof,
    /// Nothing there (a spurious wake-up).
    Empty,
    /// `n` bytes copied to the start of the buffer; `complete` of them end
    /// with the last `\n` among them (0: none).
    Data { n: usize, complete: usize },
}

/// Standard input as a pipe that is read before it is consumed.
pub struct PipeInput {
    copy_r: OwnedFd,
    copy_w: OwnedFd,
    /// Where consumed bytes go (None: they are read instead).
    null: Option<File>,
    capacity: usize,
    /// A line with no `\n` waiting in the pipe: its length, since when.
    waiting: Option<(usize, Instant)>,
}

impl PipeInput {
    /// A reader for `stdin` if it is a pipe that `tee` works on.
    pub fn new(stdin: BorrowedFd) -> Option<PipeInput> {
        let st = nix::sys::stat::fstat(stdin.as_raw_fd()).ok()?;
        if st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            return None;
        }
        // The three descriptors used here must not take the place of one
        // that runit would have for a rotation or a processor.
        let (soft, _) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).ok()?;
        if soft < MIN_FILES {
            return None;
        }
        let _ = fcntl(stdin.as_raw_fd(), FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
        let capacity = fcntl(stdin.as_raw_fd(), FcntlArg::F_GETPIPE_SZ).ok()? as usize;
        let (copy_r, copy_w) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).ok()?;
        // The copy must take all of the pipe's content.
        let _ = fcntl(copy_w.as_raw_fd(), FcntlArg::F_SETPIPE_SZ(capacity as i32));
        let copy_cap = fcntl(copy_w.as_raw_fd(), FcntlArg::F_GETPIPE_SZ).ok()? as usize;
        Some(PipeInput {
            copy_r,
            copy_w,
            null: std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/null")
                .ok(),
            capacity: capacity.min(copy_cap),
            waiting: None,
        })
    }

    /// The largest look: `buf` must be at least this long.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Copies what the pipe holds into `buf` without consuming it.
    pub fn peek(&mut self, stdin: BorrowedFd, buf: &mut [u8]) -> Result<Peek, Errno> {
        let len = buf.len().min(self.capacity);
        let n = match tee(stdin, &self.copy_w, len, SpliceFFlags::SPLICE_F_NONBLOCK) {
            Ok(0) => return Ok(Peek::Eof),
            Ok(n) => n,
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(Peek::Empty),
            Err(e) => return Err(e),
        };
        let mut got = 0;
        while got < n {
            match nix::unistd::read(self.copy_r.as_raw_fd(), &mut buf[got..n]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        let complete = buf[..got]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Ok(Peek::Data { n: got, complete })
    }

    /// How many bytes the pipe holds up to its last `\n`, found by reading
    /// only the last `TAIL` bytes of a copy (the rest of the copy is dropped
    /// unread, `splice(2)` to /dev/null). None: nothing there, no `\n` in
    /// that tail, or no /dev/null; `peek` then tells more. `buf` must hold
    /// `TAIL` bytes.
    pub fn peek_complete(&mut self, stdin: BorrowedFd, buf: &mut [u8]) -> Option<usize> {
        let null = self.null.as_ref()?;
        let n = match tee(
            stdin,
            &self.copy_w,
            self.capacity,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        ) {
            Ok(n) if n > 0 => n,
            _ => return None,
        };
        let mut skip = n.saturating_sub(TAIL);
        let mut dropped = 0;
        while dropped < skip {
            match splice(
                &self.copy_r,
                None,
                null,
                None,
                skip - dropped,
                SpliceFFlags::empty(),
            ) {
                Ok(0) => break,
                Ok(k) => dropped += k,
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        // Whatever could not be dropped is read with the tail.
        skip = dropped;
        let want = n - skip;
        let mut got = 0;
        let want = if want > buf.len() { 0 } else { want };
        while got < want {
            match nix::unistd::read(self.copy_r.as_raw_fd(), &mut buf[got..want]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        if got < want || want == 0 {
            // The copy could not be read whole: empty it before the next tee.
            while matches!(nix::unistd::read(self.copy_r.as_raw_fd(), buf), Ok(k) if k > 0) {}
            return None;
        }
        let last = crate::sys::memrchr(b'\n', &buf[..got])?;
        Some(skip + last + 1)
    }

    /// A copy of the first `n` bytes the pipe holds (after `peek_complete`,
    /// which leaves the copy empty), to be spliced into `current` before
    /// the same bytes are consumed: the long copy into the file then holds
    /// only the private pipe, and the writer can go on filling stdin
    /// meanwhile (a splice from stdin itself would keep it waiting). None:
    /// the copy could not be made whole (it is emptied again).
    pub fn copy_of(&mut self, stdin: BorrowedFd, n: usize) -> Option<BorrowedFd<'_>> {
        // One call: tee copies from the start of the pipe each time, so a
        // second would copy the same bytes again.
        let got = loop {
            match tee(stdin, &self.copy_w, n, SpliceFFlags::SPLICE_F_NONBLOCK) {
                Err(Errno::EINTR) => {}
                r => break r.unwrap_or(0),
            }
        };
        if got != n {
            self.drop_copy();
            return None;
        }
        Some(self.copy_r.as_fd())
    }

    /// Empties the private copy.
    pub fn drop_copy(&mut self) {
        let mut buf = [0u8; 4096];
        while matches!(nix::unistd::read(self.copy_r.as_raw_fd(), &mut buf), Ok(k) if k > 0) {}
    }

    /// Whether `n` bytes with no `\n` should be taken into memory now
    /// rather than left in the pipe. When not, returns how long to wait
    /// before looking again. `patient` (no time stamps: nothing depends on
    /// when the line's first byte was read): the line stays in the pipe
    /// after `PARTIAL_WAIT` too, looked at every `PATIENT_LOOK`, so that a
    /// kill cannot lose it.
    pub fn take_partial(
        &mut self,
        n: usize,
        writer_gone: bool,
        patient: bool,
    ) -> Result<(), Duration> {
        if n >= self.capacity || writer_gone {
            self.waiting = None;
            return Ok(());
        }
        let now = Instant::now();
        let since = match self.waiting {
            Some((len, since)) if len == n => since,
            _ => {
                self.waiting = Some((n, now));
                // A writer in the middle of its output usually adds more at
                // once: look again after a moment's yield.
                return Err(Duration::ZERO);
            }
        };
        let waited = now - since;
        if waited >= PARTIAL_WAIT && patient {
            return Err(PATIENT_LOOK);
        }
        if waited >= PARTIAL_WAIT {
            self.waiting = None;
            return Ok(());
        }
        // Back off: 1 ms, then twice as long as waited so far.
        Err(waited
            .max(Duration::from_millis(1))
            .min(PARTIAL_WAIT - waited))
    }

    /// A line was completed: forget the waiting partial.
    pub fn progressed(&mut self) {
        self.waiting = None;
    }

    /// Consumes `n` bytes that have been handled: moved to /dev/null
    /// (`splice(2)`, no copy), or read into `scratch` if that fails.
    pub fn consume(&mut self, stdin: BorrowedFd, mut n: usize, scratch: &mut [u8]) {
        while n > 0 {
            if let Some(null) = &self.null {
                match splice(stdin, None, null, None, n, SpliceFFlags::empty()) {
                    Ok(0) => return,
                    Ok(k) => {
                        n -= k;
                        continue;
                    }
                    Err(Errno::EINTR) => continue,
                    Err(_) => self.null = None,
                }
            }
            let len = n.min(scratch.len());
            match nix::unistd::read(stdin.as_raw_fd(), &mut scratch[..len]) {
                Ok(0) => return,
                Ok(k) => n -= k,
                Err(Errno::EINTR) => {}
                Err(_) => return,
            }
        }
    }
}

/// Whether nobody holds the pipe's write end any more.
pub fn writer_gone(stdin: BorrowedFd) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(stdin, PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLHUP)),
        Err(_) => false,
    }
}

/// Where the next step ends: after the last `\n` within `STEP` bytes of
/// `start` (or `STEP` bytes on, for a line longer than that), never past `end`.
pub fn step_end(buf: &[u8], start: usize, end: usize) -> usize {
    if end - start <= STEP {
        return end;
    }
    let window = &buf[start..start + STEP];
    match window.iter().rposition(|&b| b == b'\n') {
        Some(i) => start + i + 1,
        None => start + STEP,
    }
}
