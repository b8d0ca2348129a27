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

/// What `/proc/PID/stat` says about a process: its parent and its start time
/// (clock ticks since boot). A pid is reused; (boot, pid, start) is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub ppid: i32,
    pub start: u64,
}

/// Reads `/proc/PID/stat`; None when the process is gone (or /proc is absent).
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold anything, ')' included: fields follow the last one.
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    Some(ProcStat {
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, ...).
fn proc_state(pid: i32) -> Option<char> {
    let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = text.iter().rposition(|&b| b == b')')?;
    text[close + 1..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .map(|&b| b as char)
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`): start times restart at
/// every boot, and `supervise/` survives reboots.
pub fn boot_id() -> Option<String> {
    static ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        Some(id.trim().to_string())
    })
    .clone()
}

/// Which process a pid read from a file or from another process must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A child of this process (e.g. the service of a runsv we started).
    ChildOf(i32),
    /// The process that started at this time (ticks since boot, this boot).
    Started(u64),
}

/// Why a pid was not signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// 0, 1, negative, or beyond any pid: kill(2) would reach a group or
    /// every process.
    BadPid,
    /// No such process (any more).
    Gone,
    /// Alive, but not the process we mean: its pid was reused.
    NotOurs,
}

/// A process checked to be the one we mean, held through a pidfd so that it
/// stays the one we mean: signals sent through it cannot reach a process that
/// later took its pid.
#[derive(Debug)]
pub struct Held {
    pub pid: i32,
    pidfd: Option<std::os::fd::OwnedFd>,
}

/// The one way to take hold of a pid that came from a file or from another
/// process: it must be > 1, alive, and match `expect`. Checked after the
/// pidfd is opened, and the pidfd checked alive after, so the /proc facts
/// belong to the process the pidfd names. Without pidfds (Linux < 5.3) the
/// check is made just before each signal.
pub fn hold(pid: i64, expect: Expect) -> Result<Held, Refused> {
    if pid <= 1 || pid > i64::from(i32::MAX) {
        return Err(Refused::BadPid);
    }
    let pid = pid as i32;
    let pidfd = match crate::sys::pidfd_open(pid) {
        Ok(fd) => Some(fd),
        Err(nix::errno::Errno::ESRCH) => return Err(Refused::Gone),
        Err(_) => None,
    };
    let held = Held { pid, pidfd };
    held.verify(expect)?;
    Ok(held)
}

/// Holds and signals in one step; see [`hold`].
pub fn signal_checked(
    pid: i64,
    sig: nix::sys::signal::Signal,
    expect: Expect,
) -> Result<(), Refused> {
    hold(pid, expect)?.signal(sig)
}

/// A signal to a child of ours that was not reaped yet (its pid cannot have
/// been reused): only the range is checked, so that no mistake ever turns it
/// into a signal to a process group or to every process.
pub fn signal_child(pid: i32, sig: nix::sys::signal::Signal) {
    if pid > 1 {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), sig);
    }
}

/// A signal to the process group led by `pgid`, a child of ours started
/// with [`crate::spawn::Spawn::new_process_group`]: only the range is
/// checked, so that no mistake ever signals our own group or every process.
pub fn signal_child_group(pgid: i32, sig: nix::sys::signal::Signal) {
    if pgid > 1 {
        let _ = nix::sys::signal::killpg(Pid::from_raw(pgid), sig);
    }
}

impl Held {
    fn verify(&self, expect: Expect) -> Result<(), Refused> {
        let st = proc_stat(self.pid).ok_or(Refused::Gone)?;
        let ours = match expect {
            Expect::ChildOf(parent) => st.ppid == parent,
            Expect::Started(start) => st.start == start,
        };
        if !ours {
            return Err(Refused::NotOurs);
        }
        if let Some(fd) = &self.pidfd {
            use std::os::fd::AsFd;
            crate::sys::pidfd_send_signal(fd.as_fd(), None).map_err(|_| Refused::Gone)?;
        }
        Ok(())
    }

    /// Sends `sig` to the held process (nothing once it has exited).
    pub fn signal(&self, sig: nix::sys::signal::Signal) -> Result<(), Refused> {
        let sent = match &self.pidfd {
            Some(fd) => {
                use std::os::fd::AsFd;
                crate::sys::pidfd_send_signal(fd.as_fd(), Some(sig))
            }
            None => nix::sys::signal::kill(Pid::from_raw(self.pid), sig),
        };
        sent.map_err(|_| Refused::Gone)
    }

    /// Whether the held process is still running (a zombie has exited).
    pub fn alive(&self) -> bool {
        match &self.pidfd {
            // A pidfd turns readable when its process exits, reaped or not.
            Some(fd) => {
                use std::os::fd::AsFd;
                !crate::poll::readable(&[fd.as_fd()], Some(std::time::Instant::now()))
                    .first()
                    .copied()
                    .unwrap_or(false)
            }
            None => {
                nix::sys::signal::kill(Pid::from_raw(self.pid), None).is_ok()
                    && proc_state(self.pid).is_some_and(|s| s != 'Z')
            }
        }
    }

    /// The pidfd, readable once the process has exited (for a poll loop).
    pub fn pidfd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.pidfd.as_ref().map(|f| f.as_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pids_are_refused_before_anything_is_sent() {
        use nix::sys::signal::Signal::SIGCONT;
        let me = std::process::id() as i32;
        for pid in [0, 1, -1, 0xFFFF_FFFF, i64::from(i32::MIN), 1 << 40] {
            assert_eq!(
                signal_checked(pid, SIGCONT, Expect::ChildOf(me)),
                Err(Refused::BadPid)
            );
        }
    }

    #[test]
    fn a_process_is_held_only_when_it_is_the_one_we_mean() {
        let me = std::process::id() as i32;
        let st = proc_stat(me).expect("own stat");
        // Our own process: started when /proc says, but not a child of ours.
        assert!(hold(i64::from(me), Expect::Started(st.start)).is_ok());
        assert_eq!(
            hold(i64::from(me), Expect::Started(st.start + 1)).err(),
            Some(Refused::NotOurs)
        );
        assert_eq!(
            hold(i64::from(me), Expect::ChildOf(me)).err(),
            Some(Refused::NotOurs)
        );
    }

    #[test]
    fn finish_arguments() {
        assert_eq!(finish_args(3 << 8), ("3".into(), "0".into()));
        assert_eq!(finish_args(15), ("-1".into(), "15".into()));
        assert_eq!(finish_args(6 | 0x80), ("-1".into(), "134".into()));
        assert_eq!(finish_args(111 << 8), ("111".into(), "0".into()));
    }
}
