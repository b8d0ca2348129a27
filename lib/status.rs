//! The `supervise/status` record (20 bytes), the `stat` and `pid` text files,
//! and runit's update procedure: each file written as `NAME.new` and renamed,
//! mode 0644 before umask.

use crate::tai::Tai64n;
use nix::errno::Errno;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};

/// Size of the status record.
pub const STATUS_LEN: usize = 20;

/// A service's state, as byte 19 of the record encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Down = 0,
    Run = 1,
    Finish = 2,
}

/// What the supervisor wants the service to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Up,
    Down,
    Exit,
}

/// The facts the status record carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Time of the last state change (doc/runit/supervise.md §7.2).
    pub time: Tai64n,
    /// Pid of the current child, 0 if none.
    pub pid: u32,
    pub paused: bool,
    /// Byte 17: `b'u'` for want up, `b'd'` otherwise.
    pub want: u8,
    pub got_term: bool,
    /// Byte 19 as read; 0 down, 1 run, 2 finish (other values possible on read).
    pub state: u8,
}

impl Status {
    /// The record's bytes: TAI64N big-endian, pid little-endian, four flags.
    pub fn encode(&self) -> [u8; STATUS_LEN] {
        let mut b = [0u8; STATUS_LEN];
        b[..12].copy_from_slice(&self.time.pack());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16] = self.paused as u8;
        b[17] = self.want;
        b[18] = self.got_term as u8;
        b[19] = self.state;
        b
    }

    /// Decodes exactly 20 bytes; anything else is a bad format.
    pub fn decode(b: &[u8]) -> Option<Status> {
        let b: &[u8; STATUS_LEN] = b.try_into().ok()?;
        Some(Status::from_bytes(b))
    }
}

impl Status {
    /// The state byte as a [`State`]; None for a value runsv never writes.
    pub fn state(&self) -> Option<State> {
        match self.state {
            0 => Some(State::Down),
            1 => Some(State::Run),
            2 => Some(State::Finish),
            _ => None,
        }
    }

    /// Byte 17 reads `u`.
    pub fn wants_up(&self) -> bool {
        self.want == b'u'
    }

    /// Byte 17 reads `d` (want down or want exit).
    pub fn wants_down(&self) -> bool {
        self.want == b'd'
    }

    /// Seconds of the TAI64 label of the last change.
    pub fn secs(&self) -> u64 {
        self.time.secs
    }
}

/// The buffer a status reader keeps between reads, as runit's `sv` keeps its
/// static one: a short read replaces only the bytes it got, so after a bad
/// read the buffer still holds the rest of the previous record, and sv may
/// print it (the log part of `sv status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordBuf {
    bytes: [u8; STATUS_LEN],
}

impl RecordBuf {
    /// One read(2) of `fd` into the front of the buffer (EINTR retried).
    /// Ok(true) when it got the whole record.
    pub fn read_once(&mut self, fd: std::os::fd::BorrowedFd) -> Result<bool, Errno> {
        loop {
            match nix::unistd::read(fd.as_raw_fd(), &mut self.bytes) {
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(n) => return Ok(n == STATUS_LEN),
            }
        }
    }

    /// Byte 18 as it is: runit's sv counts a `d` as already sent only when
    /// it is exactly 1 ([`Status::got_term`] is any non-zero value).
    pub fn got_term_byte(&self) -> u8 {
        self.bytes[18]
    }

    /// What the buffer holds now, whole or not.
    pub fn status(&self) -> Status {
        Status::from_bytes(&self.bytes)
    }
}

/// The record in the file `path` when it holds exactly one: open, one
/// read, close (runsv replaces the file whole, by rename).
pub fn read(path: &std::path::Path) -> Option<Status> {
    record_of(crate::open::read(path).ok()?)
}

/// [`read`] of `name` in the open directory `dir` (a `supervise/`).
pub fn read_in(dir: std::os::fd::BorrowedFd, name: &str) -> Option<Status> {
    record_of(crate::open::read_in(dir, name).ok()?)
}

fn record_of(file: std::fs::File) -> Option<Status> {
    let mut buf = RecordBuf::default();
    match buf.read_once(file.as_fd()) {
        Ok(true) => Some(buf.status()),
        _ => None,
    }
}

impl Status {
    /// Decodes a whole record (every 20 bytes decode).
    pub fn from_bytes(b: &[u8; STATUS_LEN]) -> Status {
        let mut t = [0u8; 12];
        t.copy_from_slice(&b[..12]);
        Status {
            time: Tai64n::unpack(&t),
            pid: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
            paused: b[16] != 0,
            want: b[17],
            got_term: b[18] != 0,
            state: b[19],
        }
    }
}

/// Byte 17 for a want: exit and down both read `d`.
pub fn want_byte(want: Want) -> u8 {
    if want == Want::Up {
        b'u'
    } else {
        b'd'
    }
}

/// The `stat` line: `<state>[, paused][, got TERM][, want down|, want exit]`.
pub fn stat_line(state: State, paused: bool, got_term: bool, want: Want) -> String {
    let mut s = String::from(match state {
        State::Down => "down",
        State::Run => "run",
        State::Finish => "finish",
    });
    if paused {
        s.push_str(", paused");
    }
    if got_term {
        s.push_str(", got TERM");
    }
    if state != State::Down {
        match want {
            Want::Down => s.push_str(", want down"),
            Want::Exit => s.push_str(", want exit"),
            Want::Up => {}
        }
    }
    s.push('\n');
    s
}

/// One update of the three files, in runit's order and with runit's failure
/// rules. `dir` is `supervise/` or `log/supervise/`; `pid` is Some when the pid
/// file must be rewritten.
pub fn write_files(dir: &str, pid: Option<u32>, stat: &str, record: &[u8; STATUS_LEN]) -> Outcome {
    let mut out = Outcome {
        pid_written: false,
        warnings: Vec::new(),
    };
    write_steps(&mut out, dir, pid, stat, record);
    out
}

/// What an update did: whether the pid file was replaced, and what went wrong.
#[derive(Debug)]
pub struct Outcome {
    pub pid_written: bool,
    pub warnings: Vec<Warning>,
}

/// The steps, stopping where runit abandons the update.
fn write_steps(
    out: &mut Outcome,
    dir: &str,
    pid: Option<u32>,
    stat: &str,
    record: &[u8; STATUS_LEN],
) {
    let warnings = &mut out.warnings;
    if let Some(pid) = pid {
        let text = if pid == 0 {
            String::new()
        } else {
            format!("{pid}\n")
        };
        let new = format!("{dir}pid.new");
        if let Err(e) = create_and_write(&new, text.as_bytes()) {
            warnings.push(Warning::new(format!("unable to open {new}"), Some(e)));
            return;
        }
        if let Err(e) = nix::fcntl::renameat(None, new.as_str(), None, format!("{dir}pid").as_str())
        {
            warnings.push(Warning::new(
                format!("unable to rename pid.new to {dir}pid"),
                Some(e),
            ));
            return;
        }
        out.pid_written = true;
    }
    let new = format!("{dir}stat.new");
    if let Err(e) = create_and_write(&new, stat.as_bytes()) {
        warnings.push(Warning::new(format!("unable to open {new}"), Some(e)));
        return;
    }
    if let Err(e) = nix::fcntl::renameat(None, new.as_str(), None, format!("{dir}stat").as_str()) {
        warnings.push(Warning::new(
            format!("unable to rename stat.new to {dir}stat"),
            Some(e),
        ));
    }
    let new = format!("{dir}status.new");
    let mut file = match open_new(&new) {
        Ok(f) => f,
        Err(e) => {
            warnings.push(Warning::new(format!("unable to open {new}"), Some(e)));
            return;
        }
    };
    match file.write(record) {
        Ok(n) if n == STATUS_LEN => {}
        Ok(_) => {
            warnings.push(Warning::new(
                format!("unable to write {new}: partial write."),
                None,
            ));
            return;
        }
        Err(e) => {
            warnings.push(Warning::new(
                format!("unable to write {new}"),
                Some(io_errno(&e)),
            ));
            drop(file);
            let _ = std::fs::remove_file(&new);
            return;
        }
    }
    drop(file);
    if let Err(e) = nix::fcntl::renameat(None, new.as_str(), None, format!("{dir}status").as_str())
    {
        warnings.push(Warning::new(
            format!("unable to rename status.new to {dir}status"),
            Some(e),
        ));
    }
}

/// Beyond runit: `identity` next to `status`, naming the process the status
/// names so that a later runsv can tell it from a process that reuses its
/// pid: `PID START BOOT\n`, START from `/proc/PID/stat` (clock ticks since
/// boot), BOOT this boot's id. runit's programs never read it.
pub const IDENTITY: &str = "identity";

/// A process as `identity` records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub pid: u32,
    pub start: u64,
    pub boot: String,
}

impl Identity {
    /// The identity of the live (or not yet reaped) process `pid`.
    pub fn of(pid: u32) -> Option<Identity> {
        let st = crate::proc::proc_stat(i32::try_from(pid).ok()?)?;
        Some(Identity {
            pid,
            start: st.start,
            boot: crate::proc::boot_id()?,
        })
    }

    pub fn parse(text: &str) -> Option<Identity> {
        let mut f = text.split_ascii_whitespace();
        let id = Identity {
            pid: f.next()?.parse().ok()?,
            start: f.next()?.parse().ok()?,
            boot: f.next()?.to_string(),
        };
        f.next().is_none().then_some(id)
    }
}

/// Writes `DIRidentity` for `pid` (`.new` and rename). Silent: it is an
/// extra, and a failure must not add lines to runit's output; false on failure.
pub fn write_identity(dir: &str, pid: u32) -> bool {
    let Some(id) = Identity::of(pid) else {
        return false;
    };
    let new = format!("{dir}{IDENTITY}.new");
    let text = format!("{} {} {}\n", id.pid, id.start, id.boot);
    let written =
        open_new(&new).and_then(|mut f| f.write_all(text.as_bytes()).map_err(|e| io_errno(&e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&new);
        return false;
    }
    nix::fcntl::renameat(
        None,
        new.as_str(),
        None,
        format!("{dir}{IDENTITY}").as_str(),
    )
    .is_ok()
}

/// Reads `DIRidentity`.
pub fn read_identity(dir: &str) -> Option<Identity> {
    Identity::parse(&std::fs::read_to_string(format!("{dir}{IDENTITY}")).ok()?)
}

/// A warning from [`write_files`]: the message and, for a failed call, its errno.
#[derive(Debug, PartialEq, Eq)]
pub struct Warning {
    pub text: String,
    pub errno: Option<Errno>,
}

impl Warning {
    fn new(text: String, errno: Option<Errno>) -> Warning {
        Warning { text, errno }
    }
}

use crate::errstr::errno as io_errno;

fn open_new(path: &str) -> Result<std::fs::File, Errno> {
    crate::open::trunc(path, 0o644)
}

fn create_and_write(path: &str, data: &[u8]) -> Result<(), Errno> {
    let mut f = open_new(path)?;
    if !data.is_empty() {
        // runit ignores write errors on pid.new and stat.new.
        let _ = f.write_all(data);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_layout_matches_runit() {
        let st = Status {
            time: Tai64n {
                secs: 0x4000_0000_6b02_8cc6,
                nanos: 0x1f1f_105c,
            },
            pid: 17486,
            paused: false,
            want: b'u',
            got_term: false,
            state: 1,
        };
        let expect = [
            0x40, 0, 0, 0, 0x6b, 0x02, 0x8c, 0xc6, 0x1f, 0x1f, 0x10, 0x5c, 0x4e, 0x44, 0, 0, 0,
            0x75, 0, 1,
        ];
        assert_eq!(st.encode(), expect);
        assert_eq!(Status::decode(&expect), Some(st));
        assert_eq!(Status::decode(&expect[..19]), None);
    }

    #[test]
    fn identity_lines() {
        let id = Identity::parse("42 1234 0f-aa\n").unwrap();
        assert_eq!((id.pid, id.start, id.boot.as_str()), (42, 1234, "0f-aa"));
        for bad in ["", "42 1234", "x 1 b", "42 1234 b extra", "-1 1 b"] {
            assert_eq!(Identity::parse(bad), None, "{bad:?}");
        }
        let me = Identity::of(std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
    }

    #[test]
    fn stat_lines() {
        assert_eq!(stat_line(State::Run, false, false, Want::Up), "run\n");
        assert_eq!(
            stat_line(State::Down, true, false, Want::Down),
            "down, paused\n"
        );
        assert_eq!(
            stat_line(State::Finish, false, false, Want::Down),
            "finish, want down\n"
        );
        assert_eq!(
            stat_line(State::Run, false, true, Want::Exit),
            "run, got TERM, want exit\n"
        );
        assert_eq!(
            stat_line(State::Run, true, false, Want::Up),
            "run, paused\n"
        );
    }

    #[test]
    fn update_reports_whether_the_pid_file_was_written() {
        let dir = std::env::temp_dir().join(format!("runit-rs-status-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let prefix = format!("{}/", dir.display());
        let rec = [0u8; STATUS_LEN];
        let out = write_files(&prefix, Some(42), "run\n", &rec);
        assert!(out.pid_written && out.warnings.is_empty());
        assert_eq!(std::fs::read_to_string(dir.join("pid")).unwrap(), "42\n");
        assert!(!write_files(&prefix, None, "run\n", &rec).pid_written);
        std::fs::remove_dir_all(&dir).unwrap();
        let out = write_files(&prefix, Some(42), "run\n", &rec);
        assert!(!out.pid_written);
        assert_eq!(
            out.warnings[0].text,
            format!("unable to open {prefix}pid.new")
        );
        assert_eq!(out.warnings.len(), 1, "the update is abandoned");
    }
}
