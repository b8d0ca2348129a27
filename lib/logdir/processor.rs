//! The processor (`!` in `config`): `sh -c <processor>` run on each rotated
//! file, with runit's descriptors: 0 = `@….u`, 1 = `@….t`, 4 = `state`,
//! 5 = `newstate`, 2 = svlogd's stderr, cwd = the log directory. On success
//! `.t` becomes the finished `.s` and `newstate` becomes `state`; on failure
//! it runs again on the same `.u`.
//!
//! Every operation is given the open directory (None: it is closed) and the
//! configured command (None: no processor).

use super::handle::DirHandle;
use super::old::is_old_file;
use super::report::{fatal_err, info, pause, persist, warn};
use crate::msg;
use crate::spawn::Spawn;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::stat::{fchmodat, FchmodatFlags, Mode};
use nix::unistd::Pid;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// A directory's processor run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    Running(Pid),
    /// Its files could not be opened: it counts as having failed (exit 111).
    FailedToStart,
}

/// The processor of one log directory.
#[derive(Default)]
pub struct Processor {
    run: Option<Run>,
    /// The `@….u` file being processed.
    fnsave: String,
    verbose: bool,
}

/// The processor's four files, moved above the descriptors they replace.
struct Fds {
    input: OwnedFd,
    output: OwnedFd,
    state: OwnedFd,
    newstate: OwnedFd,
}

/// A copy of `f` at descriptor 10 or above, so that moving the copies to
/// 0, 1, 4 and 5 in the child never overwrites one not yet moved.
fn high(f: File) -> Result<OwnedFd, Errno> {
    crate::sys::dup_above(f.as_fd(), 10)
}

impl Processor {
    pub fn new(verbose: bool) -> Processor {
        Processor {
            verbose,
            ..Processor::default()
        }
    }

    /// Forgets a run (the directory was reopened, as runit does).
    pub fn forget(&mut self) {
        self.run = None;
    }

    /// A processor whose files could not be opened "exits" at once.
    pub fn failed_to_start(&self) -> bool {
        self.run == Some(Run::FailedToStart)
    }

    fn with_suffix(&self, suffix: char) -> String {
        let mut s = self.fnsave.clone();
        s.pop();
        s.push(suffix);
        s
    }

    fn open_files(&self, h: &DirHandle) -> Result<Fds, (&'static str, Errno)> {
        let input = h
            .read_at(&self.fnsave)
            .map_err(|e| ("unable to open input for processor", e))?;
        // A fresh `.t`: a processor left running by a killed svlogd may
        // still write to the old one.
        let _ = h.unlink_at(&self.with_suffix('t'));
        let output = h
            .trunc_at(&self.with_suffix('t'), 0o644)
            .map_err(|e| ("unable to open output for processor", e))?;
        let state = match h.read_at("state") {
            Ok(f) => f,
            Err(Errno::ENOENT) => {
                h.trunc_at("state", 0o644)
                    .map_err(|e| ("unable to create empty state for processor", e))?;
                h.read_at("state")
                    .map_err(|e| ("unable to open state for processor", e))?
            }
            Err(e) => return Err(("unable to open state for processor", e)),
        };
        let newstate = h
            .trunc_at("newstate", 0o644)
            .map_err(|e| ("unable to open newstate for processor", e))?;
        let mv = |f| high(f).map_err(|e| ("unable to move filedescriptor for processor", e));
        Ok(Fds {
            input: mv(input)?,
            output: mv(output)?,
            state: mv(state)?,
            newstate: mv(newstate)?,
        })
    }

    /// Starts the processor on `file`, a rotated `.u` (runit's
    /// `processorstart`).
    pub fn start_on(&mut self, h: &DirHandle, cmd: Option<&[u8]>, file: String) {
        self.fnsave = file;
        self.start(h, cmd);
    }

    fn start(&mut self, h: &DirHandle, cmd: Option<&[u8]>) {
        let Some(cmd) = cmd else {
            return;
        };
        if self.run.is_some() {
            warn(&[b"processor already running: ", &h.name]);
            return;
        }
        if self.verbose {
            info(&[b"processing: ", &h.name, b"/", self.fnsave.as_bytes()]);
        }
        let fds = match self.open_files(h) {
            Ok(f) => f,
            Err((m, e)) => {
                // runit's child reports this and exits 111.
                fatal_err(&[m.as_bytes(), b": ", &h.name], e);
                self.run = Some(Run::FailedToStart);
                return;
            }
        };
        let fatal = |m: &str| {
            let mut v = msg::join(
                &[b"svlogd: fatal: ", m.as_bytes(), b": ", &h.name, b": "],
                None,
            );
            v.pop();
            v
        };
        let argv = [OsStr::new("sh"), OsStr::new("-c"), OsStr::from_bytes(cmd)];
        let spawn = Spawn::new("/bin/sh", &argv).and_then(|s| {
            s.fd(fds.input.as_raw_fd(), 0)
                .fd(fds.output.as_raw_fd(), 1)
                .fd(fds.state.as_raw_fd(), 4)
                .fd(fds.newstate.as_raw_fd(), 5)
                .on_fd_error(fatal("unable to move filedescriptor for processor"))
                .on_exec_error(fatal("unable to run processor"), 111)
                .keep_blocked(Signal::SIGCHLD)
                .chdir(&h.path, fatal("unable to change directory, want processor"))
        });
        let spawn = match spawn {
            Ok(s) => s,
            Err(e) => {
                fatal_err(&[b"unable to run processor: ", &h.name], e);
                self.run = Some(Run::FailedToStart);
                return;
            }
        };
        self.run = Some(Run::Running(persist(
            "unable to fork for processor",
            &h.name,
            || spawn.start(),
        )));
    }

    /// The processor exited with raw wait status `wstatus` (runit's
    /// `processorstop` after its wait). Returns false when it was restarted.
    pub fn done(&mut self, h: Option<&DirHandle>, cmd: Option<&[u8]>, wstatus: i32) -> bool {
        self.run = None;
        let Some(h) = h else {
            return true;
        };
        if wstatus >> 8 != 0 {
            warn(&[b"processor failed, restart: ", &h.name]);
            let _ = h.unlink_at(&self.with_suffix('t'));
            self.start(h, cmd);
            return cmd.is_none();
        }
        let t = self.with_suffix('t');
        let s = self.with_suffix('s');
        persist("unable to rename processed", &h.name, || {
            h.rename_at(&t, &s)
        });
        persist("unable to set mode of processed", &h.name, || {
            fchmodat(
                Some(h.fd()),
                s.as_str(),
                Mode::from_bits_truncate(0o744),
                FchmodatFlags::FollowSymlink,
            )
        });
        if h.unlink_at(&self.fnsave).is_err() {
            warn(&[b"unable to unlink: ", &h.name, b"/", self.fnsave.as_bytes()]);
        }
        persist("unable to rename state", &h.name, || {
            h.rename_at("newstate", "state")
        });
        if self.verbose {
            info(&[b"processed: ", &h.name, b"/", s.as_bytes()]);
        }
        self.leftover(Some(h), cmd);
        true
    }

    /// Starts the processor on the oldest `.u` file, if there is one and a
    /// processor is configured (an addition to runit, which leaves them
    /// forever): files left unprocessed by a svlogd that was killed during
    /// a rotation or a processor run, or an unclean `current`.
    pub fn leftover(&mut self, h: Option<&DirHandle>, cmd: Option<&[u8]>) {
        let Some(h) = h else {
            return;
        };
        if cmd.is_none() || self.run.is_some() {
            return;
        }
        let Ok((names, _)) = h.list() else {
            return;
        };
        let oldest = names
            .into_iter()
            .filter(|n| is_old_file(n) && n.ends_with(".u"))
            .min();
        if let Some(u) = oldest {
            self.start_on(h, cmd, u);
        }
    }

    /// Waits until no processor runs for this directory, restarting failed
    /// ones (runit's `while (! processorstop(ld))`).
    pub fn wait(&mut self, h: Option<&DirHandle>, cmd: Option<&[u8]>, name: &[u8]) {
        while let Some(run) = self.run {
            let wstatus = match run {
                Run::FailedToStart => 111 << 8,
                Run::Running(pid) => loop {
                    match crate::proc::wait_for(pid) {
                        Ok(w) => break w,
                        Err(e) => pause("error waiting for processor", name, e),
                    }
                },
            };
            // Done, restarted on the same file, or started on a leftover:
            // wait on until none runs.
            self.done(h, cmd, wstatus);
        }
    }

    /// Whether `pid` is this processor's.
    pub fn is(&self, pid: i32) -> bool {
        matches!(self.run, Some(Run::Running(p)) if p.as_raw() == pid)
    }
}
