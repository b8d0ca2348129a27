//! svlogd's messages (`warning:`, `info:`, `pausing:`) and runit's habit of
//! retrying a failed operation every three seconds, forever. Parts are byte
//! strings: a directory's name is printed as given, as runit prints it.

use crate::msg;
use nix::errno::Errno;
use std::time::Duration;

/// How long runit waits before retrying a failed operation.
const PAUSE: Duration = Duration::from_secs(3);

fn say(word: &[u8], parts: &[&[u8]], e: Option<Errno>) {
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
    all.push(word);
    all.extend_from_slice(parts);
    msg::write_line(&all, e);
}

/// `svlogd: pausing: <m>: <dir>: <err>`, then runit's 3-second wait.
pub fn pause(m: &str, name: &[u8], e: Errno) {
    say(b"svlogd: pausing: ", &[m.as_bytes(), b": ", name], Some(e));
    std::thread::sleep(PAUSE);
}

/// `svlogd: warning: <parts...>: <err>`.
pub fn warn_err(parts: &[&[u8]], e: Errno) {
    say(b"svlogd: warning: ", parts, Some(e));
}

/// `svlogd: warning: <parts...>`.
pub fn warn(parts: &[&[u8]]) {
    say(b"svlogd: warning: ", parts, None);
}

/// `svlogd: info: <parts...>`.
pub fn info(parts: &[&[u8]]) {
    say(b"svlogd: info: ", parts, None);
}

/// `svlogd: fatal: <parts...>: <err>` (a processor that cannot start).
pub fn fatal_err(parts: &[&[u8]], e: Errno) {
    say(b"svlogd: fatal: ", parts, Some(e));
}

/// Retries `op` every 3 seconds until it succeeds (runit's `pause2` loops).
pub fn persist<T>(m: &str, name: &[u8], mut op: impl FnMut() -> Result<T, Errno>) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => pause(m, name, e),
        }
    }
}
