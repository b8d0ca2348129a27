//! Walking the service directories: sv changes into each service's
//! directory in turn (doc/runit/sv.md §2) and back to the directory it
//! started in only when the next name needs it. Nothing here prints: the
//! caller reports what failed.

use nix::errno::Errno;
use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// Which pass resolves a name: the waiting pass ignores the trailing-slash rule.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Send,
    Wait,
}

/// Why a service directory could not be entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnterError {
    /// The way back to the original directory failed (fatal in runit).
    Home(Errno),
    /// The service directory itself (`fail:` in runit).
    Service(Errno),
}

pub struct Walk {
    svdir: OsString,
    /// The directory sv started in.
    curdir: OwnedFd,
    /// Whether the cwd is not the original directory.
    away: bool,
}

impl Walk {
    pub fn new(svdir: OsString, curdir: OwnedFd) -> Walk {
        Walk {
            svdir,
            curdir,
            away: false,
        }
    }

    /// Changes into the service directory `name`.
    pub fn enter(&mut self, name: &[u8], pass: Pass) -> Result<(), EnterError> {
        let relative = matches!(name.first(), Some(b'/') | Some(b'.'))
            || name.is_empty()
            || (pass == Pass::Send && name.last() == Some(&b'/'));
        let r = if relative {
            self.home().map_err(EnterError::Home)?;
            nix::unistd::chdir(name)
        } else if let Some(path) = self.under_svdir(name) {
            nix::unistd::chdir(path.as_slice())
        } else {
            self.home().map_err(EnterError::Home)?;
            nix::unistd::chdir(self.svdir.as_os_str()).and_then(|_| nix::unistd::chdir(name))
        };
        r.map_err(EnterError::Service)
    }

    /// `$SVDIR/name` as one absolute path, when `chdir` to it fails or
    /// succeeds exactly as `chdir($SVDIR)` then `chdir(name)` would: SVDIR is
    /// absolute and the whole fits in PATH_MAX. One system call instead of
    /// two, and no need to be back in the original directory first.
    fn under_svdir(&self, name: &[u8]) -> Option<Vec<u8>> {
        let dir = self.svdir.as_bytes();
        if dir.first() != Some(&b'/') || dir.len() + name.len() + 2 >= libc::PATH_MAX as usize {
            return None;
        }
        let mut path = Vec::with_capacity(dir.len() + name.len() + 1);
        path.extend_from_slice(dir);
        path.push(b'/');
        path.extend_from_slice(name);
        Some(path)
    }

    /// Done with the current service. The way back to the original directory
    /// is taken only when the next name needs it (see `home`).
    pub fn leave(&mut self) {
        self.away = true;
    }

    /// Back to the directory sv started in, if not there.
    fn home(&mut self) -> Result<(), Errno> {
        if self.away {
            nix::unistd::fchdir(self.curdir.as_raw_fd())?;
            self.away = false;
        }
        Ok(())
    }
}
