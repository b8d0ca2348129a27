//! Waiting for readiness with a monotonic deadline; EINTR is retried.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// Longest single wait: a supervisor's poll is an upper bound, never a timer
/// that matters (runit's is about 1000 s).
pub const MAX_WAIT: Duration = Duration::from_secs(1000);

/// Waits until one of `fds` is readable or `deadline` passes. Returns, per
/// descriptor, whether it is readable (or hung up).
pub fn readable(fds: &[BorrowedFd], deadline: Option<Instant>) -> Vec<bool> {
    let mut pfds: Vec<PollFd> = fds.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)).collect();
    loop {
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(MAX_WAIT),
            None => MAX_WAIT,
        };
        // Round up so that we never wake just before the deadline and spin.
        let ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
        match nix::poll::poll(&mut pfds, timeout) {
            Err(Errno::EINTR) => continue,
            Err(_) => return vec![false; fds.len()],
            Ok(_) => {
                return pfds
                    .iter()
                    .map(|p| {
                        p.revents()
                            .map(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR))
                            .unwrap_or(false)
                    })
                    .collect()
            }
        }
    }
}
