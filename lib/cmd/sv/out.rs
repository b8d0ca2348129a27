//! sv's two output streams. Status lines and every `ok:`/`fail:`/`warning:`
//! line go to stdout; `fatal:`, usage and the `down`/`check` warnings go to
//! stderr. stdout is buffered and written out before anything else can be
//! observed (a stderr line, a `check` script, a wait, the exit), so the order
//! seen on a shared terminal is runit's while 1000 status lines cost a few
//! writes instead of 1000.

use nix::errno::Errno;
use std::os::fd::{AsFd, BorrowedFd};

/// Above this much buffered text, stdout is written out at once.
const HIGH_WATER: usize = 64 * 1024;

#[derive(Default)]
pub struct Out {
    buf: Vec<u8>,
    /// While set, nothing is written: stdout text and stderr lines are kept
    /// in order in `held`, to be released later in runit's order.
    hold: bool,
    held: Vec<Chunk>,
}

/// Text for one stream, kept while holding.
pub enum Chunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

impl Out {
    /// Appends to stdout.
    pub fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= HIGH_WATER && !self.hold {
            self.flush();
        }
    }

    /// Appends a number in decimal.
    pub fn num(&mut self, n: u64) {
        self.put(n.to_string().as_bytes());
    }

    /// Writes buffered stdout text. Errors are ignored as runit ignores them:
    /// a closed descriptor loses the text; a closed pipe raises SIGPIPE, which
    /// (restored to its default) ends the program as it ends runit's sv.
    pub fn flush(&mut self) {
        if self.hold {
            if !self.buf.is_empty() {
                self.held.push(Chunk::Stdout(std::mem::take(&mut self.buf)));
            }
            return;
        }
        write_all(std::io::stdout().as_fd(), &self.buf);
        self.buf.clear();
    }

    /// Writes one stderr line made of `parts` (and `: <errno text>`) in one
    /// write, after stdout.
    pub fn err(&mut self, parts: &[&[u8]], errno: Option<Errno>) {
        self.flush();
        let line = crate::msg::join(parts, errno);
        if self.hold {
            self.held.push(Chunk::Stderr(line));
            return;
        }
        write_all(std::io::stderr().as_fd(), &line);
    }
}

/// Writes straight to the descriptor (no std buffering, no panic).
impl Out {
    /// Starts keeping output instead of writing it.
    pub fn hold(&mut self) {
        self.flush();
        self.hold = true;
    }

    /// Stops keeping output and returns what was kept.
    pub fn unhold(&mut self) -> Vec<Chunk> {
        self.flush();
        self.hold = false;
        std::mem::take(&mut self.held)
    }

    /// Writes kept output, in the order it was made.
    pub fn release(&mut self, chunks: Vec<Chunk>) {
        self.flush();
        for c in chunks {
            match c {
                Chunk::Stdout(b) => write_all(std::io::stdout().as_fd(), &b),
                Chunk::Stderr(b) => write_all(std::io::stderr().as_fd(), &b),
            }
        }
    }
}

fn write_all(fd: BorrowedFd, mut data: &[u8]) {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(0) => return,
            Ok(n) => data = &data[n..],
            Err(Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
}
