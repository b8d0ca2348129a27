//! svlogd's messages (`warning:`, `info:`, `pausing:`) and runit's habit of
//! retrying a failed operation every three seconds, forever.

use crate::msg;
use nix::errno::Errno;
use std::time::Duration;

/// How long runit waits before retrying a failed operation.
const PAUSE: Duration = Duration::from_secs(3);

/// `svlogd: pausing: <m>: <dir>: <err>`, then runit's 3-second wait.
pub fn pause(m: &str, name: &str, e: Errno) {
    msg::line_err(&["svlogd: pausing: ", m, ": ", name], e);
    std::thread::sleep(PAUSE);
}

/// `svlogd: warning: <parts...>: <err>`.
pub fn warn_err(parts: &[&str], e: Errno) {
    let mut all = vec!["svlogd: warning: "];
    all.extend_from_slice(parts);
    msg::line_err(&all, e);
}

/// `svlogd: warning: <parts...>`.
pub fn warn(parts: &[&str]) {
    let mut all = vec!["svlogd: warning: "];
    all.extend_from_slice(parts);
    msg::line(&all);
}

/// `svlogd: info: <parts...>`.
pub fn info(parts: &[&str]) {
    let mut all = vec!["svlogd: info: "];
    all.extend_from_slice(parts);
    msg::line(&all);
}

pub(super) fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

/// Retries `op` every 3 seconds until it succeeds (runit's `pause2` loops).
pub(super) fn persist<T>(m: &str, name: &str, mut op: impl FnMut() -> Result<T, Errno>) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => pause(m, name, e),
        }
    }
}
