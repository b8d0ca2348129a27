//! One log directory as runit's svlogd drives it: opening it (lock,
//! `config`, `current`) and closing it, and rotation, the policy that
//! decides when `current` ends, becomes an old file, old files go, and the
//! processor runs. The mechanisms it drives: `handle` (the open directory),
//! `current` (the file and its pending bytes), `old` (the old files) and
//! `processor`.

use super::config::{self, Config};
use super::current::Current;
use super::handle::DirHandle;
use super::old;
use super::pattern::Selection;
use super::processor::Processor;
use super::report::{info, pause, persist, warn, warn_err};
use crate::errstr::errno as errno_of;
use nix::errno::Errno;
use std::fs::File;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

/// A log directory named on the command line, open or not.
pub struct LogDir {
    /// The name as given (messages print its bytes verbatim).
    pub name: Vec<u8>,
    /// The name as given, as a path (it need not be UTF-8).
    path: std::path::PathBuf,
    /// The directory, while it is open.
    handle: Option<DirHandle>,
    lock: Option<File>,
    /// The lock held over a close for the reopen that follows.
    kept_lock: Option<File>,
    current: Current,
    /// The last line ended within a line of the size limit: rotate before
    /// anything else happens (`rotate_if_due`).
    rotate_due: bool,
    pub cfg: Config,
    /// When `current` is due for time-based rotation.
    pub deadline: Option<Instant>,
    processor: Processor,
    /// The last line's selection (runit keeps it when there are no patterns).
    pub selection: Selection,
    verbose: bool,
    line_max: u64,
    /// runit learns a directory's name only once it holds the lock: before
    /// that, its "close:" message has an empty name.
    name_known: bool,
    /// Whether the directory has been opened once (leftover `.u` files are
    /// processed from the first opening on).
    opened_before: bool,
}

impl LogDir {
    /// A directory named `path` on the command line.
    pub fn new(path: impl Into<std::path::PathBuf>, verbose: bool, line_max: u64) -> LogDir {
        let path = path.into();
        LogDir {
            name: path.as_os_str().as_bytes().to_vec(),
            path,
            handle: None,
            lock: None,
            kept_lock: None,
            current: Current::default(),
            rotate_due: false,
            cfg: Config::default(),
            deadline: None,
            processor: Processor::new(verbose),
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
        self.handle.is_some()
    }

    /// Bytes in `current`, counting what is still pending.
    pub fn size(&self) -> u64 {
        self.current.size
    }

    /// Opens the directory, takes its lock, reads `config` and opens
    /// `current` (runit's `logdir_open`). `now` is when the configs are read.
    pub fn open(&mut self, now: Instant) -> bool {
        // Released when this open fails.
        let kept = self.kept_lock.take();
        let dir = match crate::open::read(&self.path) {
            Ok(d) => d,
            Err(e) => {
                warn_err(&[b"unable to open log directory: ", &self.name], e);
                return false;
            }
        };
        if !dir.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            self.handle = Some(DirHandle::new(dir, &self.name, &self.path));
            self.close();
            warn_err(
                &[b"unable to change directory: ", &self.name],
                Errno::ENOTDIR,
            );
            return false;
        }
        let h = DirHandle::new(dir, &self.name, &self.path);
        let lock = take_lock(&h, kept);
        self.handle = Some(h);
        match lock {
            Ok(l) => self.lock = Some(l),
            Err(e) => {
                self.close();
                warn_err(&[b"unable to lock directory: ", &self.name], e);
                return false;
            }
        }
        self.name_known = true;
        self.rotate_due = false;
        self.processor.forget();
        self.selection.file = true;
        self.read_config(now);
        if !self.open_current() {
            return false;
        }
        if !self.opened_before {
            self.opened_before = true;
            self.processor
                .leftover(self.handle.as_ref(), self.cfg.processor.as_deref());
        }
        true
    }

    fn read_config(&mut self, now: Instant) {
        let Some(h) = self.handle.as_ref() else {
            return;
        };
        let text = match h.read_at("config") {
            Err(Errno::ENOENT) => {
                self.cfg = Config::default();
                self.deadline = None;
                return;
            }
            Err(e) => {
                warn_err(&[b"unable to read config: ", &self.name], e);
                Vec::new()
            }
            Ok(mut f) => {
                let mut v = Vec::new();
                match f.read_to_end(&mut v) {
                    Ok(_) => v,
                    Err(e) => {
                        warn_err(&[b"unable to read config: ", &self.name], errno_of(&e));
                        Vec::new()
                    }
                }
            }
        };
        if self.verbose {
            info(&[b"read: ", &self.name, b"/config"]);
        }
        let (cfg, warnings) = config::parse(&text);
        for w in warnings {
            warn(&[&w]);
        }
        self.deadline = cfg.time_max.map(|t| now + t);
        self.cfg = cfg;
    }

    fn open_current(&mut self) -> bool {
        let stat = match self.handle.as_ref() {
            Some(h) => h.stat_at("current"),
            None => return false,
        };
        if let Err(e) = stat.as_ref().map(|_| ()).or_else(enoent_is_ok) {
            self.close();
            warn_err(&[b"unable to stat current: ", &self.name], e);
            return false;
        }
        let Some(h) = self.handle.as_ref() else {
            return false;
        };
        let mut size = None;
        if let Ok(st) = stat {
            if st.st_size > 0 && st.st_mode & libc::S_IXUSR == 0 {
                // Not closed cleanly: keep it as an unprocessed old file.
                let u = old::fresh_name(h, 'u');
                persist("unable to rename current", &self.name, || {
                    h.rename_at("current", &u)
                });
                old::remove_oldest(h, self.cfg.n_max, self.verbose);
            } else {
                size = Some(st.st_size as u64);
            }
        }
        self.current
            .open(h, "unable to open current", size.unwrap_or(0));
        if self.verbose {
            let what: &[u8] = if size.is_some() {
                b"append: "
            } else {
                b"new: "
            };
            info(&[what, &self.name, b"/current"]);
        }
        true
    }

    /// Flushes and closes `current` (mode 0744: closed cleanly), the lock and
    /// the directory; forgets the processor setting (runit's `logdir_close`).
    pub fn close(&mut self) {
        if self.handle.is_none() {
            return;
        }
        // runit has written every line by now, and rotated after the last
        // one if it had to: on a full disk, what is pending may need old
        // files deleted, which needs the directory.
        self.rotate_if_due();
        self.flush();
        if self.verbose {
            info(&[b"close: ", if self.name_known { &self.name } else { b"" }]);
        }
        let h = self.handle.take();
        if !self.current.finish(&self.name, &mut |e| {
            write_failed(h.as_ref(), &self.cfg, &self.name, e)
        }) {
            return;
        }
        // runit drops the lock here and takes it again when it reopens. A
        // processor just forked, not yet exec'd, still shares the old lock,
        // so runit's reopen can fail with "temporary failure" and, with one
        // directory, exit. We keep holding it until the reopen instead.
        self.kept_lock = self.lock.take();
        self.cfg.processor = None;
    }

    /// Appends bytes to `current` as runit's writer does: never past the
    /// size limit (the rest goes to the next file), and rotation once a write
    /// ending in `\n` leaves less than one line of room.
    pub fn put(&mut self, mut data: &[u8]) {
        let max = self.cfg.size_max;
        self.rotate_if_due();
        while !data.is_empty() {
            let mut n = data.len();
            if max != 0 {
                if self.current.size >= max {
                    self.rotate();
                }
                let room = max.saturating_sub(self.current.size);
                if room > 0 && room < n as u64 {
                    n = room as usize;
                }
            }
            self.current.append(&data[..n]);
            let last = data[n - 1];
            data = &data[n..];
            if self.current.full() {
                self.flush();
            }
            // runit's `size >= sizemax - linemax` is unsigned: it never holds
            // when the limit is below the line length.
            if max != 0
                && last == b'\n'
                && max >= self.line_max
                && self.current.size >= max - self.line_max
            {
                // Done before anything else is written (see `rotate_due`).
                self.rotate_due = true;
            }
        }
    }

    /// A whole line in pieces (stamp, prefix, text, `\n`; only the last
    /// piece ends with `\n`), exactly as `put` of each piece in turn.
    pub fn put_line(&mut self, parts: &[&[u8]]) {
        let max = self.cfg.size_max;
        let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
        self.rotate_if_due();
        if max != 0 && self.current.size + total > max {
            // The limit falls inside: piece by piece.
            for p in parts {
                self.put(p);
            }
            return;
        }
        for p in parts {
            self.current.append(p);
        }
        if self.current.full() {
            self.flush();
        }
        if max != 0 && max >= self.line_max && self.current.size >= max - self.line_max {
            self.rotate_due = true;
        }
    }

    /// Writes what is pending to `current`; on a full disk it may delete the
    /// oldest files down to `N`, or reports and retries every 3 seconds.
    pub fn flush(&mut self) {
        let (h, cfg, name) = (self.handle.as_ref(), &self.cfg, &self.name);
        self.current
            .write_out(&mut |e| write_failed(h, cfg, name, e));
    }

    /// Whether lines can go from standard input to `current` untouched and
    /// unread (`splice_lines`): no size limit, so no rotation, and nothing
    /// added to or chosen among the lines by this directory.
    pub fn takes_input_as_is(&self) -> bool {
        let c = &self.cfg;
        self.is_open()
            && c.size_max == 0
            && c.patterns.is_empty()
            && c.prefix.is_empty()
            && c.udp.is_none()
            && !c.udp_only
            && !c.copy_stdout
            && !c.copy_stderr
            && self.selection.file
            && !self.selection.stderr
    }

    /// Moves `n` bytes of whole lines from the pipe `from` to `current`
    /// (see `takes_input_as_is`), after what is pending. Returns how many
    /// were moved: 0 when that is not possible.
    pub fn splice_lines(&mut self, from: std::os::fd::BorrowedFd, n: usize) -> usize {
        self.flush();
        let (h, cfg, name) = (self.handle.as_ref(), &self.cfg, &self.name);
        self.current
            .splice_in(from, n, &mut |e| write_failed(h, cfg, name, e))
    }

    /// Starts writeback of `current` where enough has been written.
    pub fn start_writeback(&mut self) {
        self.current.start_writeback(self.cfg.size_max);
    }

    /// Whether whole lines can be appended in blocks (`lines_until_rotation`):
    /// a size limit, if any, of at least one line.
    pub fn takes_blocks(&self) -> bool {
        self.cfg.size_max == 0 || self.cfg.size_max >= self.line_max
    }

    /// How much of `block` (whole lines, each shorter than the line limit)
    /// can be appended before a rotation is due: all of it, or up to the end
    /// of the line after which `current` is within a line of its limit.
    pub fn lines_until_rotation(&self, block: &[u8]) -> usize {
        let max = self.cfg.size_max;
        if max == 0 || max < self.line_max {
            return block.len();
        }
        let need = (max - self.line_max).saturating_sub(self.current.size);
        if need > block.len() as u64 {
            return block.len();
        }
        let from = (need as usize).saturating_sub(1);
        match crate::sys::memchr(b'\n', &block[from..]) {
            Some(i) => from + i + 1,
            None => block.len(),
        }
    }

    /// Whether the end of the last line asked for a rotation. runit rotates
    /// right there; it is done before the next byte is written, the
    /// directory is closed, or svlogd waits for input, so files are the
    /// same. In between, svlogd may consume the input just written (see
    /// `cmd::svlogd::input`), so a kill during the rotation's fsync repeats
    /// nothing.
    pub fn rotation_due(&self) -> bool {
        self.rotate_due
    }

    pub fn rotate_if_due(&mut self) {
        if self.rotate_due {
            self.rotate();
        }
    }

    /// Rotates `current` if it is not empty (runit's `rotate`): waits for
    /// the previous processor, renames `current` to a fresh `@….s` (`@….u`
    /// with a processor), removes the oldest file, starts the processor.
    pub fn rotate(&mut self) {
        self.rotate_due = false;
        if self.handle.is_none() {
            self.cfg.time_max = None;
            return;
        }
        self.wait_processor();
        let Some(h) = self.handle.as_ref() else {
            return;
        };
        let suffix = if self.cfg.processor.is_some() {
            'u'
        } else {
            's'
        };
        let fnsave = old::fresh_name(h, suffix);
        let now = Instant::now();
        if let (Some(t), Some(d)) = (self.cfg.time_max, self.deadline) {
            if d < now {
                self.deadline = Some(now + t);
            }
        }
        if self.current.size == 0 || !self.current.is_open() {
            return;
        }
        let size = self.current.size;
        let (cfg, name) = (&self.cfg, &self.name);
        self.current
            .finish(name, &mut |e| write_failed(Some(h), cfg, name, e));
        if self.verbose {
            let size = format!(" {size}");
            info(&[
                b"rename: ",
                &self.name,
                b"/current ",
                fnsave.as_bytes(),
                size.as_bytes(),
            ]);
        }
        persist("unable to rename current", &self.name, || {
            h.rename_at("current", &fnsave)
        });
        self.current.open(h, "unable to create new current", 0);
        old::remove_oldest(h, self.cfg.n_max, self.verbose);
        self.processor
            .start_on(h, self.cfg.processor.as_deref(), fnsave);
    }

    /// The processor exited with raw wait status `wstatus`. Returns false
    /// when it was restarted.
    pub fn processor_done(&mut self, wstatus: i32) -> bool {
        let cmd = self.cfg.processor.as_deref();
        self.processor.done(self.handle.as_ref(), cmd, wstatus)
    }

    /// Waits until no processor runs for this directory.
    pub fn wait_processor(&mut self) {
        let cmd = self.cfg.processor.as_deref();
        self.processor.wait(self.handle.as_ref(), cmd, &self.name);
    }

    /// A child exited: if it is this directory's processor, finish it.
    pub fn child_exited(&mut self, pid: i32, wstatus: i32) -> bool {
        if !self.processor.is(pid) {
            return false;
        }
        self.processor_done(wstatus);
        true
    }

    /// A processor whose files could not be opened "exits" at once.
    pub fn failed_to_start(&self) -> bool {
        self.processor.failed_to_start()
    }
}

/// A write to `current` failed with `e`: on a full disk, with `N` below
/// `n`, the oldest old file goes if there are more than `N` and the write
/// is retried at once; otherwise runit's report and 3-second pause.
fn write_failed(h: Option<&DirHandle>, cfg: &Config, name: &[u8], e: Errno) {
    if e == Errno::ENOSPC
        && cfg.n_min < cfg.n_max
        && h.is_some_and(|h| old::delete_for_space(h, cfg.n_min))
    {
        return;
    }
    pause("unable to write to current", name, e);
}

fn enoent_is_ok(e: &Errno) -> Result<(), Errno> {
    match e {
        Errno::ENOENT => Ok(()),
        e => Err(*e),
    }
}

fn take_lock(h: &DirHandle, kept: Option<File>) -> Result<File, Errno> {
    let lock = h.append_at("lock", 0o600)?;
    if let Some(kept) = kept {
        // Still the same lock file: keep holding it (see `close`).
        if same_file(&kept, &lock) {
            return Ok(kept);
        }
    }
    crate::lock::try_exclusive(&lock)?;
    Ok(lock)
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

#[cfg(test)]
mod tests;
