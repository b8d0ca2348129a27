//! Beyond runit: the kernel tells runsvdir at once when an entry of its
//! directory appears, disappears or is touched, and when anything changes in
//! a directory on the way to it (a symlinked path such as
//! `/etc/service -> runit/runsvdir/current`, switched by runsvchdir). runit
//! instead polls the directory's mtime every 5 s.
//!
//! The mechanism is dnotify (lib/dnotify.rs): each watched directory is held
//! open and its changes arrive as SIGIO on runsvdir's signalfd (inotify's
//! close at runsvdir's exit on TERM, which a container's stop waits for,
//! cost 10-20 ms). Without names, any change in a watched directory means:
//! scan, and look at the path again. A change of a service directory's own attributes (a chmod) thus
//! makes a scan too, where runit's mtime poll would not: a scan only starts
//! what is missing, so only a runsv that died restarts sooner.

use crate::dnotify;
use nix::errno::Errno;
use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

/// What a batch of events asks the main loop to do.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Change {
    /// An entry of the directory changed: scan it.
    pub entries: bool,
    /// The directory itself, or the path to it, changed: stat it again.
    pub path: bool,
}

pub struct Watch {
    works: bool,
    /// The directory and every directory holding a step of its path, open.
    dirs: Vec<OwnedFd>,
}

/// Symlinks resolved along a path before giving up (the kernel's limit).
const MAX_HOPS: usize = 40;

/// Entries created, removed or renamed, and (for a `touch` of the
/// directory, which makes runit's mtime poll scan) attributes.
const EVENTS: u32 = dnotify::CREATE | dnotify::DELETE | dnotify::RENAME | dnotify::ATTRIB;

/// Opens `dir` and asks for SIGIO on its changes.
fn watch(dir: &Path) -> Result<OwnedFd, Errno> {
    dnotify::watch(dir, EVENTS)
}

impl Watch {
    /// A watch; when the kernel has no dnotify (or it is switched off,
    /// /proc/sys/fs/dir-notify-enable), the caller falls back to polling.
    /// SIGIO must be blocked and read from the caller's signalfd already.
    pub fn new() -> Watch {
        let works = !matches!(watch(Path::new("/")), Err(Errno::EINVAL | Errno::ENOSYS));
        Watch {
            works,
            dirs: Vec::new(),
        }
    }

    /// Whether changes are reported at all.
    pub fn works(&self) -> bool {
        self.works
    }

    /// (Re)watches `dir` and every directory holding a step of its path.
    /// Returns false if `dir` itself could not be watched.
    pub fn rebuild(&mut self, dir: &Path) -> bool {
        self.dirs.clear();
        if !self.works {
            return false;
        }
        let dir_ok = match watch(dir) {
            Ok(fd) => {
                self.dirs.push(fd);
                true
            }
            Err(_) => false,
        };
        let mut parents: Vec<PathBuf> = Vec::new();
        for (parent, _) in path_steps(dir) {
            if !parents.contains(&parent) {
                if let Ok(fd) = watch(&parent) {
                    self.dirs.push(fd);
                }
                parents.push(parent);
            }
        }
        dir_ok
    }

    /// A SIGIO came: some watched directory changed, which one is not known.
    pub fn changed(&self) -> Change {
        Change {
            entries: true,
            path: true,
        }
    }
}

/// The (directory, entry) pairs that make up `dir`'s resolution: every
/// symbolic link met on the way, and the final entry.
fn path_steps(dir: &Path) -> Vec<(PathBuf, OsString)> {
    let mut steps = Vec::new();
    let mut base = if dir.is_absolute() {
        PathBuf::from("/")
    } else {
        PathBuf::from(".")
    };
    let mut pending: Vec<OsString> = components(dir);
    let mut hops = 0;
    while let Some(name) = pending.pop() {
        if name == "." {
            continue;
        }
        if name == ".." {
            base.push("..");
            continue;
        }
        let here = base.join(&name);
        let link = std::fs::symlink_metadata(&here)
            .ok()
            .filter(|m| m.file_type().is_symlink());
        if link.is_some() && hops < MAX_HOPS {
            hops += 1;
            steps.push((base.clone(), name));
            if let Ok(target) = std::fs::read_link(&here) {
                if target.is_absolute() {
                    base = PathBuf::from("/");
                }
                pending.extend(components(&target));
            }
            continue;
        }
        if pending.is_empty() {
            steps.push((base.clone(), name));
        }
        base = here;
    }
    steps
}

/// A path's components, reversed (so that `pop` gives them in order).
fn components(p: &Path) -> Vec<OsString> {
    let mut v: Vec<OsString> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsStr::new("..").to_os_string()),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_symlinks() {
        let base = std::env::temp_dir().join(format!("runsvdir-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("runsvdir/default")).unwrap();
        std::os::unix::fs::symlink("default", base.join("runsvdir/current")).unwrap();
        std::os::unix::fs::symlink("runsvdir/current", base.join("service")).unwrap();
        let steps = path_steps(&base.join("service"));
        let _ = std::fs::remove_dir_all(&base);
        let names: Vec<_> = steps
            .iter()
            .map(|(_, n)| n.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["service", "current", "default"]);
        assert_eq!(steps[1].0, base.join("runsvdir"));
        assert_eq!(steps[2].0, base.join("runsvdir"));
    }
}
