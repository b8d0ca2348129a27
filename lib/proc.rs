//! Reaping children and decoding wait statuses the way runit reports them.

use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// A reaped child: its pid and runit's raw wait status `w`
/// (exit code in `w >> 8`, signal in `w & 0x7f`, core dump flag 0x80).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reaped {
    pub pid: i32,
    pub wstatus: i32,
}

/// The raw wait status of a decoded one.
pub fn raw_status(ws: &WaitStatus) -> Option<(i32, i32)> {
    match *ws {
        WaitStatus::Exited(pid, code) => Some((pid.as_raw(), (code & 0xff) << 8)),
        WaitStatus::Signaled(pid, sig, core) => {
            Some((pid.as_raw(), sig as i32 | if core { 0x80 } else { 0 }))
        }
        _ => None,
    }
}

/// Reaps one exited child if there is one, without waiting.
pub fn reap_one() -> Option<Reaped> {
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(ws) => {
                return raw_status(&ws).map(|(pid, wstatus)| Reaped { pid, wstatus });
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
}

/// Waits for `pid` to exit and returns its raw wait status.
pub fn wait_for(pid: Pid) -> Result<i32, nix::errno::Errno> {
    loop {
        match waitpid(pid, None) {
            Ok(ws) => {
                if let Some((_, w)) = raw_status(&ws) {
                    return Ok(w);
                }
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The two arguments runsv passes to `./finish` for a wait status:
/// the exit code, or -1 when killed; then `w & 0xff` (signal, +128 on core).
pub fn finish_args(w: i32) -> (String, String) {
    let first = if w & 0x7f != 0 {
        "-1".to_string()
    } else {
        ((w >> 8) & 0xff).to_string()
    };
    (first, (w & 0xff).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_arguments() {
        assert_eq!(finish_args(3 << 8), ("3".into(), "0".into()));
        assert_eq!(finish_args(15), ("-1".into(), "15".into()));
        assert_eq!(finish_args(6 | 0x80), ("-1".into(), "134".into()));
        assert_eq!(finish_args(111 << 8), ("111".into(), "0".into()));
    }
}
