//! One log directory: the lock, `current`, the size accounting that decides
//! where files are cut, rotation into `@<tai64n>.s`/`.u`, removal of old
//! files, and the never-give-up write loop for a full disk.
//!
//! Bytes are appended to an in-memory block and written in large pieces, but
//! every decision (where to cut, when to rotate) is taken on the byte stream
//! exactly where runit's line-by-line writes would take it.

use super::config::{self, Config};
use super::pattern::Selection;
use crate::errstr;
use crate::msg;
use crate::sys::openat_file;
use crate::tai::Tai64n;
use nix::errno::Errno;
use nix::fcntl::{renameat, OFlag};
use nix::sys::stat::{fchmod, fstatat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// Pending output is written once it reaches this size.
const WRITE_AT: usize = 256 * 1024;
/// How long runit waits before retrying a failed operation.
const PAUSE: Duration = Duration::from_secs(3);

/// The running processor of a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Processor {
    Running(nix::unistd::Pid),
    /// Its files could not be opened: it counts as having failed (exit 111).
    FailedToStart,
}

/// A log directory named on the command line, open or not.
pub struct LogDir {
    /// The name as given (messages use it verbatim).
    pub name: String,
    pub(super) dir: Option<File>,
    lock: Option<File>,
    /// The lock held over a close for the reopen that follows.
    kept_lock: Option<File>,
    pub(super) current: Option<File>,
    /// Bytes in `current`, counting what is still pending.
    pub size: u64,
    pub cfg: Config,
    pending: Vec<u8>,
    /// When `current` is due for time-based rotation.
    pub deadline: Option<Instant>,
    pub(super) processor: Option<Processor>,
    /// The `@….u` file being processed.
    pub(super) fnsave: String,
    /// The last line's selection (runit keeps it when there are no patterns).
    pub selection: Selection,
    pub(super) verbose: bool,
    line_max: u64,
    /// runit learns a directory's name only once it holds the lock: before
    /// that, its "close:" message has an empty name.
    name_known: bool,
}

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

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

/// Retries `op` every 3 seconds until it succeeds (runit's `pause2` loops).
fn persist<T>(m: &str, name: &str, mut op: impl FnMut() -> Result<T, Errno>) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => pause(m, name, e),
        }
    }
}

impl LogDir {
    pub fn new(name: String, verbose: bool, line_max: u64) -> LogDir {
        LogDir {
            name,
            dir: None,
            lock: None,
            kept_lock: None,
            current: None,
            size: 0,
            cfg: Config::default(),
            pending: Vec::with_capacity(WRITE_AT + 4096),
            deadline: None,
            processor: None,
            fnsave: String::new(),
            selection: Selection {
                file: true,
                stderr: false,
            },
            verbose,
            line_max,
            name_known: false,
        }
    }

    pub fn is_open(&self) -> bool {
        self.dir.is_some()
    }

    pub(super) fn dir_fd(&self) -> Option<RawFd> {
        self.dir.as_ref().map(|d| d.as_raw_fd())
    }

    /// Opens the directory, takes its lock, reads `config` and opens
    /// `current` (runit's `logdir_open`). `now` is when the configs are read.
    pub fn open(&mut self, now: Instant) -> bool {
        // Released when this open fails.
        let kept = self.kept_lock.take();
        let dir = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags_nonblock()
            .open(&self.name)
        {
            Ok(d) => d,
            Err(e) => {
                warn_err(
                    &["unable to open log directory: ", &self.name],
                    errno_of(&e),
                );
                return false;
            }
        };
        if !dir.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            self.dir = Some(dir);
            self.close();
            warn_err(
                &["unable to change directory: ", &self.name],
                Errno::ENOTDIR,
            );
            return false;
        }
        self.dir = Some(dir);
        if let Err(e) = self.take_lock(kept) {
            self.close();
            warn_err(&["unable to lock directory: ", &self.name], e);
            return false;
        }
        self.name_known = true;
        self.size = 0;
        self.processor = None;
        self.selection.file = true;
        self.read_config(now);
        self.open_current()
    }

    fn take_lock(&mut self, kept: Option<File>) -> Result<(), Errno> {
        let lock = self.open_at(
            "lock",
            OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_NONBLOCK,
            0o600,
        )?;
        if let Some(kept) = kept {
            // Still the same lock file: keep holding it (see `close`).
            if same_file(&kept, &lock) {
                self.lock = Some(kept);
                return Ok(());
            }
        }
        crate::lock::try_exclusive(&lock)?;
        self.lock = Some(lock);
        Ok(())
    }

    pub(super) fn open_at(&self, name: &str, flags: OFlag, mode: u32) -> Result<File, Errno> {
        let dir = self.dir.as_ref().ok_or(Errno::EBADF)?;
        openat_file(dir.as_fd(), name, flags, Mode::from_bits_truncate(mode))
    }

    fn read_config(&mut self, now: Instant) {
        let text = match self.open_at("config", OFlag::O_RDONLY | OFlag::O_NONBLOCK, 0) {
            Err(Errno::ENOENT) => {
                self.cfg = Config::default();
                self.deadline = None;
                return;
            }
            Err(e) => {
                warn_err(&["unable to read config: ", &self.name], e);
                Vec::new()
            }
            Ok(mut f) => {
                let mut v = Vec::new();
                match f.read_to_end(&mut v) {
                    Ok(_) => v,
                    Err(e) => {
                        warn_err(&["unable to read config: ", &self.name], errno_of(&e));
                        Vec::new()
                    }
                }
            }
        };
        if self.verbose {
            info(&["read: ", &self.name, "/config"]);
        }
        let (cfg, warnings) = config::parse(&text);
        for w in warnings {
            warn(&[&w]);
        }
        self.deadline = cfg.time_max.map(|t| now + t);
        self.cfg = cfg;
    }

    fn open_current(&mut self) -> bool {
        let mut appending = false;
        match self.stat_at("current") {
            Ok(st) => {
                if st.st_size > 0 && st.st_mode & libc::S_IXUSR == 0 {
                    // Not closed cleanly: keep it as an unprocessed old file.
                    self.fnsave = self.unique_name('u');
                    persist("unable to rename current", &self.name.clone(), || {
                        self.rename_at("current", &self.fnsave.clone())
                    });
                    self.remove_oldest();
                } else {
                    self.size = st.st_size as u64;
                    appending = true;
                }
            }
            Err(Errno::ENOENT) => {}
            Err(e) => {
                self.close();
                warn_err(&["unable to stat current: ", &self.name], e);
                return false;
            }
        }
        let name = self.name.clone();
        let cur = persist("unable to open current", &name, || self.open_current_file());
        persist("unable to set mode of current", &name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o644))
        });
        self.current = Some(cur);
        if self.verbose {
            let what = if appending { "append: " } else { "new: " };
            info(&[what, &self.name, "/current"]);
        }
        true
    }

    fn open_current_file(&self) -> Result<File, Errno> {
        self.open_at(
            "current",
            OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_NONBLOCK,
            0o600,
        )
    }

    pub(super) fn stat_at(&self, name: &str) -> Result<libc::stat, Errno> {
        fstatat(self.dir_fd(), name, nix::fcntl::AtFlags::empty())
    }

    pub(super) fn rename_at(&self, from: &str, to: &str) -> Result<(), Errno> {
        renameat(self.dir_fd(), from, self.dir_fd(), to)
    }

    pub(super) fn unlink_at(&self, name: &str) -> Result<(), Errno> {
        unlinkat(self.dir_fd(), name, UnlinkatFlags::NoRemoveDir)
    }

    /// A fresh `@<tai64n>.<suffix>` name that does not exist yet.
    fn unique_name(&self, suffix: char) -> String {
        loop {
            let name = format!("{}.{}", Tai64n::now().label(), suffix);
            if self.stat_at(&name) == Err(Errno::ENOENT) {
                return name;
            }
        }
    }

    /// Flushes and closes `current` (mode 0744: closed cleanly), the lock and
    /// the directory; forgets the processor setting (runit's `logdir_close`).
    pub fn close(&mut self) {
        if self.dir.is_none() {
            return;
        }
        if self.verbose {
            info(&["close: ", if self.name_known { &self.name } else { "" }]);
        }
        self.dir = None;
        let Some(cur) = self.current.take() else {
            return;
        };
        self.write_pending(&cur);
        self.finish_file(&cur);
        // runit drops the lock here and takes it again when it reopens. A
        // processor just forked, not yet exec'd, still shares the old lock,
        // so runit's reopen can fail with "temporary failure" and, with one
        // directory, exit. We keep holding it until the reopen instead.
        self.kept_lock = self.lock.take();
        self.cfg.processor = None;
    }

    /// fsync and mode 0744, retried until they succeed.
    fn finish_file(&self, cur: &File) {
        persist("unable to fsync current logfile", &self.name, || {
            nix::unistd::fsync(cur.as_raw_fd())
        });
        persist("unable to set mode of current", &self.name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o744))
        });
    }

    /// Appends bytes to `current` as runit's writer does: never past the
    /// size limit (the rest goes to the next file), and rotation once a write
    /// ending in `\n` leaves less than one line of room.
    pub fn put(&mut self, mut data: &[u8]) {
        let max = self.cfg.size_max;
        while !data.is_empty() {
            let mut n = data.len();
            if max != 0 {
                if self.size >= max {
                    self.rotate();
                }
                let room = max.saturating_sub(self.size);
                if room > 0 && room < n as u64 {
                    n = room as usize;
                }
            }
            self.pending.extend_from_slice(&data[..n]);
            self.size += n as u64;
            let last = data[n - 1];
            data = &data[n..];
            if self.pending.len() >= WRITE_AT {
                self.flush();
            }
            // runit's `size >= sizemax - linemax` is unsigned: it never holds
            // when the limit is below the line length.
            if max != 0 && last == b'\n' && max >= self.line_max && self.size >= max - self.line_max
            {
                self.rotate();
            }
        }
    }

    /// Writes what is pending to `current`.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(cur) = self.current.take() {
            self.write_pending(&cur);
            self.current = Some(cur);
        }
    }

    /// Writes the pending block, retrying forever; on a full disk it may
    /// delete the oldest files down to `N` (runit's `buffer_pwrite`).
    fn write_pending(&mut self, cur: &File) {
        let mut done = 0;
        while done < self.pending.len() {
            match nix::unistd::write(cur, &self.pending[done..]) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => self.write_failed(e),
            }
        }
        self.pending.clear();
    }

    fn write_failed(&mut self, e: Errno) {
        let mut err = e;
        if e == Errno::ENOSPC && self.cfg.n_min < self.cfg.n_max {
            let (count, oldest) = self.scan_for_space();
            err = Errno::ENOSPC;
            if count > self.cfg.n_min {
                if let Some(oldest) = oldest {
                    warn(&["out of disk space, delete: ", &self.name, "/", &oldest]);
                    match self.unlink_at(&oldest) {
                        Ok(()) => return,
                        Err(ue) => warn_err(&["unable to unlink oldest logfile: ", &self.name], ue),
                    }
                }
            }
        }
        pause("unable to write to current", &self.name, err);
    }

    /// Counts every old file (`@` + 26 bytes, any suffix) and finds the oldest.
    fn scan_for_space(&self) -> (u64, Option<String>) {
        let names = loop {
            match self.list() {
                Ok((names, read_err)) => {
                    if let Some(e) = read_err {
                        warn_err(
                            &[
                                "unable to read directory, want remove old logfile: ",
                                &self.name,
                            ],
                            e,
                        );
                    }
                    break names;
                }
                Err(e) => pause(
                    "unable to open directory, want remove old logfile",
                    &self.name,
                    e,
                ),
            }
        };
        let old: Vec<&String> = names.iter().filter(|n| is_old_file(n)).collect();
        (old.len() as u64, old.into_iter().min().cloned())
    }

    /// The directory's entry names, and a read error if the listing stopped.
    pub(super) fn list(&self) -> Result<(Vec<String>, Option<Errno>), Errno> {
        let fd = self.dir_fd().ok_or(Errno::EBADF)?;
        let mut d = nix::dir::Dir::openat(
            Some(fd),
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut names = Vec::new();
        for entry in d.iter() {
            match entry {
                Ok(e) => names.push(String::from_utf8_lossy(e.file_name().to_bytes()).into_owned()),
                Err(e) => return Ok((names, Some(e))),
            }
        }
        Ok((names, None))
    }

    /// Rotates `current` if it is not empty (runit's `rotate`): waits for
    /// the previous processor, renames `current` to a fresh `@….s` (`@….u`
    /// with a processor), removes the oldest file, starts the processor.
    pub fn rotate(&mut self) {
        if self.dir.is_none() {
            self.cfg.time_max = None;
            return;
        }
        self.wait_processor();
        let suffix = if self.cfg.processor.is_some() {
            'u'
        } else {
            's'
        };
        let fnsave = self.unique_name(suffix);
        let now = Instant::now();
        if let (Some(t), Some(d)) = (self.cfg.time_max, self.deadline) {
            if d < now {
                self.deadline = Some(now + t);
            }
        }
        if self.size == 0 {
            return;
        }
        self.fnsave = fnsave;
        let Some(cur) = self.current.take() else {
            return;
        };
        self.write_pending(&cur);
        self.finish_file(&cur);
        drop(cur);
        if self.verbose {
            let size = format!(" {}", self.size);
            info(&["rename: ", &self.name, "/current ", &self.fnsave, &size]);
        }
        let name = self.name.clone();
        let fnsave = self.fnsave.clone();
        persist("unable to rename current", &name, || {
            self.rename_at("current", &fnsave)
        });
        let cur = persist("unable to create new current", &name, || {
            self.open_current_file()
        });
        self.size = 0;
        persist("unable to set mode of current", &name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o644))
        });
        self.current = Some(cur);
        self.remove_oldest();
        self.start_processor();
    }

    /// Deletes processor leftovers (`.t`) and, when there are more than `n`
    /// finished files, the oldest one (runit's `rmoldest`).
    pub(super) fn remove_oldest(&mut self) {
        let (names, read_err) = loop {
            match self.list() {
                Ok(v) => break v,
                Err(e) => pause("unable to open directory, want rotate", &self.name, e),
            }
        };
        let mut count = 0u64;
        let mut oldest: Option<&String> = None;
        for n in names.iter().filter(|n| is_old_file(n)) {
            match n.as_bytes()[26] {
                b't' => {
                    if let Err(e) = self.unlink_at(n) {
                        warn_err(&["unable to unlink processor leftover: ", n], e);
                    }
                }
                b'u' => {}
                _ => {
                    count += 1;
                    if oldest.map_or(true, |o| n < o) {
                        oldest = Some(n);
                    }
                }
            }
        }
        if let Some(e) = read_err {
            warn_err(&["unable to read directory: ", &self.name], e);
        }
        if self.cfg.n_max != 0 && count > self.cfg.n_max {
            if let Some(oldest) = oldest {
                if self.verbose {
                    info(&["delete: ", &self.name, "/", oldest]);
                }
                if let Err(e) = self.unlink_at(oldest) {
                    warn_err(&["unable to unlink oldest logfile: ", &self.name], e);
                }
            }
        }
    }
}

fn same_file(a: &File, b: &File) -> bool {
    match (a.metadata(), b.metadata()) {
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        _ => false,
    }
}

/// `@` followed by 26 more bytes: a finished, unprocessed or in-progress file.
pub fn is_old_file(name: &str) -> bool {
    name.len() == 27 && name.starts_with('@')
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

/// The runit word for an I/O error (for callers outside this module).
pub fn words(e: Errno) -> &'static str {
    errstr::of(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    fn scratch(name: &str, config: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("logdir-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config"), config).unwrap();
        d
    }

    /// Old files' sizes in name order, then current's.
    fn sizes(d: &Path) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let shown = if is_old_file(&n) {
                    n[25..].to_string()
                } else {
                    n
                };
                (shown, e.metadata().unwrap().len())
            })
            .filter(|(n, _)| n.starts_with('.') || n == "current")
            .collect();
        v.sort();
        v
    }

    use std::path::Path;

    #[test]
    fn rotates_within_one_line_of_the_limit() {
        let d = scratch("within", "s100\nn0\n");
        let mut ld = LogDir::new(d.to_string_lossy().into_owned(), false, 30);
        assert!(ld.open(Instant::now()));
        for _ in 0..10 {
            ld.put(b"eighteen bytes ...");
            ld.put(b"\n");
        }
        ld.close();
        // 76 bytes = 4 lines: after the 4th, fewer than 30 bytes are left.
        let s = sizes(&d);
        assert_eq!(s.iter().filter(|(n, l)| n == ".s" && *l == 76).count(), 2);
        assert_eq!(s.last(), Some(&("current".to_string(), 38)));
        let mode = std::fs::metadata(d.join("current"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o744);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn cuts_lines_at_the_limit_when_it_is_below_the_line_length() {
        let d = scratch("cut", "s50\nn0\n");
        let mut ld = LogDir::new(d.to_string_lossy().into_owned(), false, 1000);
        assert!(ld.open(Instant::now()));
        for _ in 0..6 {
            ld.put(b"twenty-nine bytes of text...");
            ld.put(b"\n");
        }
        ld.close();
        let s = sizes(&d);
        assert_eq!(
            s,
            [
                (".s".to_string(), 50),
                (".s".into(), 50),
                (".s".into(), 50),
                ("current".into(), 24)
            ]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn unclean_current_becomes_u_and_old_files_are_trimmed() {
        let d = scratch("trim", "n2\ns10\n");
        std::fs::write(d.join("current"), "left by a killed svlogd\n").unwrap();
        std::fs::set_permissions(d.join("current"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        for (i, suffix) in ["s", "s", "t"].iter().enumerate() {
            std::fs::write(d.join(format!("@40000000000000000000000{i}.{suffix}")), "x").unwrap();
        }
        let mut ld = LogDir::new(d.to_string_lossy().into_owned(), false, 5);
        assert!(ld.open(Instant::now()));
        assert_eq!(ld.size, 0);
        // The leftover .t is gone; the .u is kept and not counted.
        let names = sizes(&d);
        assert_eq!(names.iter().filter(|(n, _)| n == ".t").count(), 0);
        assert_eq!(names.iter().filter(|(n, _)| n == ".u").count(), 1);
        ld.put(b"0123456789\n");
        ld.put(b"0123456789\n");
        ld.close();
        // Three .s files after two rotations would exceed n2: one per rotation goes.
        let names = sizes(&d);
        assert_eq!(names.iter().filter(|(n, _)| n == ".s").count(), 2);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn old_file_names() {
        assert!(is_old_file("@400000006b028c291fbe944c.s"));
        assert!(is_old_file("@400000006b028c291fbe944c.t"));
        assert!(!is_old_file("@400000006b028c291fbe944c.st"));
        assert!(!is_old_file("current"));
    }
}
