//! The processor (`!` in `config`): `sh -c <processor>` run on each rotated
//! file, with runit's descriptors: 0 = `@….u`, 1 = `@….t`, 4 = `state`,
//! 5 = `newstate`, 2 = svlogd's stderr, cwd = the log directory. On success
//! `.t` becomes the finished `.s` and `newstate` becomes `state`; on failure
//! it runs again on the same `.u`.

use super::dir::{LogDir, Processor};
use super::report::{info, pause, warn};
use crate::msg;
use crate::spawn::Spawn;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::sys::stat::{fchmodat, FchmodatFlags, Mode};
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

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

impl LogDir {
    fn with_suffix(&self, suffix: char) -> String {
        let mut s = self.fnsave.clone();
        s.pop();
        s.push(suffix);
        s
    }

    fn open_processor_files(&self) -> Result<Fds, (&'static str, Errno)> {
        let read = OFlag::O_RDONLY | OFlag::O_NONBLOCK;
        let trunc = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_TRUNC | OFlag::O_CREAT;
        let input = self
            .open_at(&self.fnsave, read, 0)
            .map_err(|e| ("unable to open input for processor", e))?;
        // A fresh `.t`: a processor left running by a killed svlogd may
        // still write to the old one.
        let _ = self.unlink_at(&self.with_suffix('t'));
        let output = self
            .open_at(&self.with_suffix('t'), trunc, 0o644)
            .map_err(|e| ("unable to open output for processor", e))?;
        let state = match self.open_at("state", read, 0) {
            Ok(f) => f,
            Err(Errno::ENOENT) => {
                self.open_at("state", trunc, 0o644)
                    .map_err(|e| ("unable to create empty state for processor", e))?;
                self.open_at("state", read, 0)
                    .map_err(|e| ("unable to open state for processor", e))?
            }
            Err(e) => return Err(("unable to open state for processor", e)),
        };
        let newstate = self
            .open_at("newstate", trunc, 0o644)
            .map_err(|e| ("unable to open newstate for processor", e))?;
        let mv = |f| high(f).map_err(|e| ("unable to move filedescriptor for processor", e));
        Ok(Fds {
            input: mv(input)?,
            output: mv(output)?,
            state: mv(state)?,
            newstate: mv(newstate)?,
        })
    }

    /// Starts the processor on `fnsave` (runit's `processorstart`).
    pub(super) fn start_processor(&mut self) {
        let Some(cmd) = self.cfg.processor.clone() else {
            return;
        };
        if self.processor.is_some() {
            warn(&["processor already running: ", &self.name]);
            return;
        }
        if self.verbose {
            info(&["processing: ", &self.name, "/", &self.fnsave]);
        }
        let fds = match self.open_processor_files() {
            Ok(f) => f,
            Err((m, e)) => {
                // runit's child reports this and exits 111.
                msg::line_err(&["svlogd: fatal: ", m, ": ", &self.name], e);
                self.processor = Some(Processor::FailedToStart);
                return;
            }
        };
        let fatal = |m: &str| format!("svlogd: fatal: {m}: {}: ", self.name).into_bytes();
        let argv = [OsStr::new("sh"), OsStr::new("-c"), OsStr::from_bytes(&cmd)];
        let spawn = Spawn::new("/bin/sh", &argv).and_then(|s| {
            s.fd(fds.input.as_raw_fd(), 0)
                .fd(fds.output.as_raw_fd(), 1)
                .fd(fds.state.as_raw_fd(), 4)
                .fd(fds.newstate.as_raw_fd(), 5)
                .on_fd_error(fatal("unable to move filedescriptor for processor"))
                .on_exec_error(fatal("unable to run processor"), 111)
                .keep_blocked(Signal::SIGCHLD)
                .chdir(
                    &self.path,
                    fatal("unable to change directory, want processor"),
                )
        });
        let spawn = match spawn {
            Ok(s) => s,
            Err(e) => {
                msg::line_err(&["svlogd: fatal: unable to run processor: ", &self.name], e);
                self.processor = Some(Processor::FailedToStart);
                return;
            }
        };
        loop {
            match spawn.start() {
                Ok(pid) => {
                    self.processor = Some(Processor::Running(pid));
                    return;
                }
                Err(e) => pause("unable to fork for processor", &self.name, e),
            }
        }
    }

    /// The processor exited with raw wait status `wstatus` (runit's
    /// `processorstop` after its wait). Returns false when it was restarted.
    pub fn processor_done(&mut self, wstatus: i32) -> bool {
        self.processor = None;
        if !self.is_open() {
            return true;
        }
        if wstatus >> 8 != 0 {
            warn(&["processor failed, restart: ", &self.name]);
            let _ = self.unlink_at(&self.with_suffix('t'));
            self.start_processor();
            return self.cfg.processor.is_none();
        }
        let name = self.name.clone();
        let t = self.with_suffix('t');
        let s = self.with_suffix('s');
        persist_op("unable to rename processed", &name, || {
            self.rename_at(&t, &s)
        });
        persist_op("unable to set mode of processed", &name, || {
            fchmodat(
                self.dir_fd(),
                s.as_str(),
                Mode::from_bits_truncate(0o744),
                FchmodatFlags::FollowSymlink,
            )
        });
        if self.unlink_at(&self.fnsave).is_err() {
            warn(&["unable to unlink: ", &self.name, "/", &self.fnsave]);
        }
        persist_op("unable to rename state", &name, || {
            self.rename_at("newstate", "state")
        });
        if self.verbose {
            info(&["processed: ", &self.name, "/", &s]);
        }
        self.process_leftover();
        true
    }

    /// Starts the processor on the oldest `.u` file, if there is one and a
    /// processor is configured (an addition to runit, which leaves them
    /// forever): files left unprocessed by a svlogd that was killed during
    /// a rotation or a processor run, or an unclean `current`.
    pub(super) fn process_leftover(&mut self) {
        if self.cfg.processor.is_none() || self.processor.is_some() || !self.is_open() {
            return;
        }
        let Ok((names, _)) = self.list() else {
            return;
        };
        let oldest = names
            .into_iter()
            .filter(|n| super::rotate::is_old_file(n) && n.ends_with(".u"))
            .min();
        if let Some(u) = oldest {
            self.fnsave = u;
            self.start_processor();
        }
    }

    /// Waits until no processor runs for this directory, restarting failed
    /// ones (runit's `while (! processorstop(ld))`).
    pub fn wait_processor(&mut self) {
        while let Some(p) = self.processor {
            let wstatus = match p {
                Processor::FailedToStart => 111 << 8,
                Processor::Running(pid) => loop {
                    match crate::proc::wait_for(pid) {
                        Ok(w) => break w,
                        Err(e) => pause("error waiting for processor", &self.name, e),
                    }
                },
            };
            // Done, restarted on the same file, or started on a leftover:
            // wait on until none runs.
            self.processor_done(wstatus);
        }
    }

    /// A child exited: if it is this directory's processor, finish it.
    pub fn child_exited(&mut self, pid: i32, wstatus: i32) -> bool {
        match self.processor {
            Some(Processor::Running(p)) if p.as_raw() == pid => {
                self.processor_done(wstatus);
                true
            }
            _ => false,
        }
    }

    /// A processor whose files could not be opened "exits" at once.
    pub fn failed_to_start(&self) -> bool {
        self.processor == Some(Processor::FailedToStart)
    }
}

fn persist_op(m: &str, name: &str, mut op: impl FnMut() -> Result<(), Errno>) {
    while let Err(e) = op() {
        pause(m, name, e);
    }
}
