//! The copies of config lines `1` and `2` (an addition to runit): every line
//! written to a directory, stamp and prefix included and never cut, also
//! goes to svlogd's standard output or standard error, so that a container's
//! log stream (`docker logs`) shows it while the directory keeps its files.
//!
//! A copy never holds up the log. Lines wait in a buffer of `CAP` bytes and
//! are written without blocking: on a private non-blocking open of the same
//! pipe (`/proc/self/fd/N`, so that the descriptor shared with other
//! processes keeps its flags), on the descriptor itself when it is a regular
//! file, or otherwise in writes of at most `PIPE_BUF` bytes once `poll` says
//! there is room. When the reader is slower than the log, whole lines are
//! dropped, never part of one, and a warning says how many
//! (`svlogd: warning: copy to standard output: dropped N lines`) once the
//! stream takes lines again or at exit. A reader that has gone (broken pipe)
//! turns the copy off with one warning. SIGPIPE is ignored once a copy is
//! configured.

use crate::msg;
use nix::errno::Errno;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

/// Bytes of lines waiting for a slow reader, beyond which lines are dropped.
const CAP: usize = 256 * 1024;
/// A write of at most this many bytes to a pipe is all or nothing.
const PIPE_BUF: usize = 4096;
/// At exit, how long a line begun on the stream may take to be finished.
const FINISH_LINE: std::time::Duration = std::time::Duration::from_secs(1);

/// How the stream is written.
enum Sink {
    /// Not looked at yet (opened at the first copy).
    Unopened,
    /// A regular file: the descriptor itself.
    Direct,
    /// A private non-blocking open of the same pipe or terminal.
    Own(File),
    /// The descriptor itself, in small writes after `poll`.
    Guarded,
    /// Off: not open at start, or its reader has gone.
    Off,
}

/// Standard output or standard error as a copy's destination.
pub struct Stream {
    fd: RawFd,
    name: &'static str,
    sink: Sink,
    buf: Vec<u8>,
    /// Lines dropped since the last report.
    dropped: u64,
    /// The stream holds the first part of a line (only ever one longer than
    /// `PIPE_BUF`): its rest is next.
    mid_line: bool,
}

impl Stream {
    /// Descriptor `fd`, 1 or 2. Never one of svlogd's own files: the Rust
    /// runtime opens /dev/null on 0, 1 and 2 before `main` if they are closed.
    pub fn new(fd: RawFd) -> Stream {
        Stream {
            fd,
            name: if fd == 1 {
                "standard output"
            } else {
                "standard error"
            },
            sink: Sink::Unopened,
            buf: Vec::new(),
            dropped: 0,
            mid_line: false,
        }
    }

    /// Queues whole lines (`lines` of them, all of `bytes`), or drops them
    /// when the reader is too far behind.
    pub fn push(&mut self, bytes: &[u8], lines: u64) {
        if matches!(self.sink, Sink::Off) {
            return;
        }
        if self.buf.len() + bytes.len() > CAP && !self.buf.is_empty() || bytes.len() > CAP {
            // Whole lines go, never the rest of one begun on the stream.
            self.dropped += lines;
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    pub fn pending(&self) -> bool {
        !self.buf.is_empty() || self.dropped > 0
    }

    /// Writes what it can without blocking.
    pub fn flush(&mut self) {
        if !self.pending() {
            return;
        }
        if matches!(self.sink, Sink::Unopened) {
            self.open();
        }
        let mut done = 0;
        while done < self.buf.len() {
            let end = self.chunk_end(done);
            match self.write(&self.buf[done..end]) {
                Ok(n) => {
                    done += n;
                    self.mid_line = self.buf[done - 1] != b'\n';
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => break,
                Err(e) => {
                    self.off(e);
                    return;
                }
            }
        }
        self.buf.drain(..done);
        if self.buf.is_empty() && self.dropped > 0 {
            self.report();
        }
    }

    /// Where the next write from `from` ends. To a pipe, writes of at most
    /// `PIPE_BUF` bytes are all or nothing: whole lines up to that size, so
    /// that the stream never holds part of a line (only one longer than
    /// `PIPE_BUF` is written in pieces, and finished before anything else).
    fn chunk_end(&self, from: usize) -> usize {
        let rest = &self.buf[from..];
        if matches!(self.sink, Sink::Direct) {
            return self.buf.len();
        }
        let window = &rest[..rest.len().min(PIPE_BUF)];
        let cut = if self.mid_line {
            crate::sys::memchr(b'\n', window).map(|i| i + 1)
        } else {
            window.iter().rposition(|&b| b == b'\n').map(|i| i + 1)
        };
        from + cut.unwrap_or(window.len())
    }

    /// At exit: one last try, then what is left counts as dropped. A line
    /// begun on the stream gets a second to be finished.
    pub fn finish(&mut self) {
        self.flush();
        if self.mid_line && !self.buf.is_empty() {
            let until = std::time::Instant::now() + FINISH_LINE;
            while self.mid_line && !self.buf.is_empty() && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(10));
                self.flush();
            }
        }
        if !self.buf.is_empty() {
            self.dropped += count_lines(&self.buf);
            self.buf.clear();
        }
        // On standard error, not after the part of a line left there.
        if self.dropped > 0 && (self.fd == 1 || !self.mid_line) {
            self.report();
            self.flush();
        }
    }

    fn report(&mut self) {
        let n = self.dropped.to_string();
        self.dropped = 0;
        let parts = [
            "svlogd: warning: copy to ",
            self.name,
            ": dropped ",
            &n,
            " lines",
        ];
        if self.fd == 2 {
            // Into the stream it is about, which must not block either.
            let mut line = parts.concat().into_bytes();
            line.push(b'\n');
            self.buf.extend_from_slice(&line);
        } else {
            msg::line(&parts);
        }
    }

    fn off(&mut self, e: Errno) {
        let was_on = !matches!(self.sink, Sink::Off);
        self.sink = Sink::Off;
        self.buf.clear();
        self.dropped = 0;
        if was_on && self.fd != 2 {
            msg::line_err(&["svlogd: warning: unable to copy to ", self.name], e);
        }
    }

    fn open(&mut self) {
        let st = match nix::sys::stat::fstat(self.fd) {
            Ok(st) => st,
            Err(e) => return self.off(e),
        };
        let kind = st.st_mode & libc::S_IFMT;
        if kind == libc::S_IFREG {
            self.sink = Sink::Direct;
            return;
        }
        let path = format!("/proc/self/fd/{}", self.fd);
        let own = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&path);
        self.sink = match own.map_err(|e| crate::errstr::errno(&e)) {
            Ok(f) => Sink::Own(f),
            // A pipe with no reader left.
            Err(Errno::ENXIO) if kind == libc::S_IFIFO => return self.off(Errno::EPIPE),
            // A socket, or no /proc.
            Err(_) => Sink::Guarded,
        };
    }

    fn write(&self, bytes: &[u8]) -> Result<usize, Errno> {
        match &self.sink {
            Sink::Own(fd) => nix::unistd::write(fd, bytes),
            Sink::Direct => on_std(self.fd, |fd| nix::unistd::write(fd, bytes)),
            Sink::Guarded => on_std(self.fd, |fd| {
                use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
                let mut p = [PollFd::new(fd, PollFlags::POLLOUT)];
                poll(&mut p, PollTimeout::ZERO)?;
                let room = p[0].revents().unwrap_or(PollFlags::empty());
                if room.intersects(PollFlags::POLLERR | PollFlags::POLLHUP) {
                    return Err(Errno::EPIPE);
                }
                if !room.contains(PollFlags::POLLOUT) {
                    return Err(Errno::EAGAIN);
                }
                nix::unistd::write(fd, &bytes[..bytes.len().min(PIPE_BUF)])
            }),
            Sink::Unopened | Sink::Off => Err(Errno::EPIPE),
        }
    }
}

/// Runs `f` on descriptor 1 or 2 (open at start, never closed by svlogd).
fn on_std<T>(fd: RawFd, f: impl FnOnce(BorrowedFd) -> T) -> T {
    if fd == 1 {
        f(std::io::stdout().as_fd())
    } else {
        f(std::io::stderr().as_fd())
    }
}

/// Both streams, and the line being copied for each directory.
pub struct Copies {
    pub streams: [Stream; 2],
    /// Per directory: the copy of the line in progress (None: not copied).
    lines: Vec<Option<Vec<u8>>>,
}

impl Copies {
    pub fn new(dirs: usize) -> Copies {
        Copies {
            streams: [Stream::new(1), Stream::new(2)],
            lines: vec![None; dirs],
        }
    }

    /// A selected line's head for directory `i`: `stamp`, `prefix`, `line`.
    pub fn head(&mut self, i: usize, parts: &[&[u8]]) {
        let mut v = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1);
        for p in parts {
            v.extend_from_slice(p);
        }
        self.lines[i] = Some(v);
    }

    /// More of an overlong line (kept up to the buffer's size: a longer
    /// line is dropped whole).
    pub fn rest(&mut self, i: usize, bytes: &[u8]) {
        if let Some(v) = self.lines[i].as_mut() {
            if v.len() <= CAP {
                v.extend_from_slice(bytes);
            }
        }
    }

    /// The line's end: queued on the streams `to` says (stdout, stderr).
    pub fn end(&mut self, i: usize, to: (bool, bool)) {
        let Some(mut v) = self.lines[i].take() else {
            return;
        };
        v.push(b'\n');
        self.queue(&v, 1, to);
    }

    /// Whole lines at once.
    pub fn queue(&mut self, bytes: &[u8], lines: u64, to: (bool, bool)) {
        if to.0 {
            self.streams[0].push(bytes, lines);
        }
        if to.1 {
            self.streams[1].push(bytes, lines);
        }
    }

    pub fn flush(&mut self) {
        for s in &mut self.streams {
            s.flush();
        }
    }

    pub fn pending(&self) -> bool {
        self.streams.iter().any(Stream::pending)
    }

    pub fn finish(&mut self) {
        for s in &mut self.streams {
            s.finish();
        }
    }
}

/// The number of lines in a block of whole lines.
pub fn count_lines(block: &[u8]) -> u64 {
    block.iter().filter(|&&b| b == b'\n').count() as u64
}
