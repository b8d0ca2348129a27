//! The readproctitle log (doc/runit/runsvdir.md §5): a pipe whose write end is
//! runsvdir's fd 2 (and so every runsv's and service's stderr), shown as a
//! rolling window in runsvdir's own `log` argument in `/proc/PID/cmdline`.

use crate::msg::Voice;
use crate::sys::ArgvSlot;
use nix::fcntl::OFlag;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Positions of the argument that never change (`log: ` stays `log: `).
const FIXED: usize = 5;
/// runit refuses shorter placeholders.
const MIN_LEN: usize = 7;

pub struct TitleLog {
    read_end: OwnedFd,
    write_end: OwnedFd,
    /// The argument's current text.
    text: Vec<u8>,
    /// Where it lives in argv; None if it could not be located (then only
    /// `text` rolls, and nothing is visible).
    slot: Option<ArgvSlot>,
}

impl TitleLog {
    /// Sets the log up with runit's warnings; None means "log service disabled".
    pub fn setup(index: usize, arg: &[u8], voice: &Voice) -> Option<TitleLog> {
        let log = Self::open(index, arg, voice);
        if log.is_none() {
            voice.warn(&["log service disabled."]);
        }
        log
    }

    fn open(index: usize, arg: &[u8], voice: &Voice) -> Option<TitleLog> {
        if arg.len() < MIN_LEN {
            voice.warn(&["log must have at least seven characters."]);
            return None;
        }
        let Ok((read_end, write_end)) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
        else {
            voice.warn(&["unable to create pipe for log."]);
            return None;
        };
        // dup2 onto fd 2 clears close-on-exec there, so runsv and the services
        // inherit it; the descriptor stays non-blocking, as runit's does.
        if nix::unistd::dup2(write_end.as_raw_fd(), 2).is_err() {
            voice.warn(&["unable to set filedescriptor for log."]);
            return None;
        }
        Some(TitleLog {
            read_end,
            write_end,
            text: arg.to_vec(),
            slot: ArgvSlot::find(index, arg),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read_end.as_fd()
    }

    /// The periodic `.` that scrolls old messages out.
    pub fn dot(&self) {
        let _ = nix::unistd::write(&self.write_end, b".");
    }

    /// Reads everything the pipe holds and shows it.
    pub fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        let mut changed = false;
        while let Ok(n) = nix::unistd::read(self.read_end.as_raw_fd(), &mut buf) {
            if n == 0 {
                break;
            }
            roll(&mut self.text, &buf[..n]);
            changed = true;
        }
        if changed {
            if let Some(slot) = self.slot.as_mut() {
                slot.write(&self.text);
            }
        }
    }
}

/// runit's rotation: each non-NUL byte moves positions 6.. one to the left
/// and lands in the last position; positions 0..5 never change.
pub fn roll(text: &mut [u8], input: &[u8]) {
    if text.len() <= FIXED {
        return;
    }
    let window = &mut text[FIXED..];
    let w = window.len();
    let bytes: Vec<u8> = input.iter().copied().filter(|&c| c != 0).collect();
    if bytes.len() >= w {
        window.copy_from_slice(&bytes[bytes.len() - w..]);
    } else {
        window.rotate_left(bytes.len());
        window[w - bytes.len()..].copy_from_slice(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::roll;

    #[test]
    fn rotation_matches_runit() {
        let mut t = b"abcdefg".to_vec();
        roll(&mut t, b".");
        assert_eq!(t, b"abcdeg.");
        let mut t = b"log: ........".to_vec();
        roll(&mut t, b"ab\0c");
        assert_eq!(t, b"log: .....abc");
        roll(&mut t, b"0123456789");
        assert_eq!(t, b"log: 23456789");
    }
}
