//! One log directory: opening it (lock, `config`, `current`) and closing it.
//! Writing is in `writer`, rotation and old-file removal in `rotate`, the
//! processor in `processor`.

use super::config::{self, Config};
use super::pattern::Selection;
use super::report::{errno_of, info, persist, warn, warn_err};
use crate::sys::openat_file;
use nix::errno::Errno;
use nix::fcntl::{renameat, OFlag};
use nix::sys::stat::{fchmod, fstatat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Instant;

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
    /// The name as given, as a path (it need not be UTF-8).
    pub(super) path: std::path::PathBuf,
    pub(super) dir: Option<File>,
    pub(super) lock: Option<File>,
    /// The lock held over a close for the reopen that follows.
    pub(super) kept_lock: Option<File>,
    pub(super) current: Option<File>,
    /// Bytes in `current`, counting what is still pending.
    pub size: u64,
    /// Bytes of `current` whose writeback has been started.
    pub(super) kicked: u64,
    /// The last line ended within a line of the size limit: rotate before
    /// anything else happens (`writer::rotate_if_due`).
    pub(super) rotate_due: bool,
    pub cfg: Config,
    pub(super) pending: Vec<u8>,
    /// When `current` is due for time-based rotation.
    pub deadline: Option<Instant>,
    pub(super) processor: Option<Processor>,
    /// The `@….u` file being processed.
    pub(super) fnsave: String,
    /// The last line's selection (runit keeps it when there are no patterns).
    pub selection: Selection,
    pub(super) verbose: bool,
    pub(super) line_max: u64,
    /// runit learns a directory's name only once it holds the lock: before
    /// that, its "close:" message has an empty name.
    pub(super) name_known: bool,
    /// Whether the directory has been opened once (leftover `.u` files are
    /// processed from the first opening on).
    pub(super) opened_before: bool,
}

impl LogDir {
    /// A directory named `path` on the command line (messages show it
    /// converted to text).
    pub fn new(path: impl Into<std::path::PathBuf>, verbose: bool, line_max: u64) -> LogDir {
        let path = path.into();
        LogDir {
            name: path.to_string_lossy().into_owned(),
            path,
            dir: None,
            lock: None,
            kept_lock: None,
            current: None,
            size: 0,
            kicked: 0,
            rotate_due: false,
            cfg: Config::default(),
            pending: Vec::with_capacity(super::writer::WRITE_AT + 4096),
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
            opened_before: false,
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
            .open(&self.path)
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
        self.kicked = 0;
        self.rotate_due = false;
        self.processor = None;
        self.selection.file = true;
        self.read_config(now);
        if !self.open_current() {
            return false;
        }
        if !self.opened_before {
            self.opened_before = true;
            self.process_leftover();
        }
        true
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
                    self.kicked = self.size;
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

    pub(super) fn open_current_file(&self) -> Result<File, Errno> {
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

    /// Flushes and closes `current` (mode 0744: closed cleanly), the lock and
    /// the directory; forgets the processor setting (runit's `logdir_close`).
    pub fn close(&mut self) {
        if self.dir.is_none() {
            return;
        }
        // runit has written every line by now, and rotated after the last
        // one if it had to: on a full disk, what is pending may need old
        // files deleted, which needs the directory.
        self.rotate_if_due();
        self.flush();
        if self.verbose {
            info(&["close: ", if self.name_known { &self.name } else { "" }]);
        }
        self.dir = None;
        let Some(cur) = self.current.take() else {
            return;
        };
        self.finish_file(&cur);
        // runit drops the lock here and takes it again when it reopens. A
        // processor just forked, not yet exec'd, still shares the old lock,
        // so runit's reopen can fail with "temporary failure" and, with one
        // directory, exit. We keep holding it until the reopen instead.
        self.kept_lock = self.lock.take();
        self.cfg.processor = None;
    }

    /// fsync and mode 0744, retried until they succeed.
    pub(super) fn finish_file(&self, cur: &File) {
        persist("unable to fsync current logfile", &self.name, || {
            nix::unistd::fsync(cur.as_raw_fd())
        });
        persist("unable to set mode of current", &self.name, || {
            fchmod(cur.as_raw_fd(), Mode::from_bits_truncate(0o744))
        });
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

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}
