//! Beyond runit: inotify tells runsvdir at once when an entry of its
//! directory appears or disappears, and when anything on the way to the
//! directory changes what it resolves to (a symlinked path such as
//! `/etc/service -> runit/runsvdir/current`, switched by runsvchdir).
//! runit instead polls the directory's mtime every 5 s.

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What a batch of events asks the main loop to do.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Change {
    /// An entry of the directory changed: scan it.
    pub entries: bool,
    /// The directory itself, or the path to it, changed: stat it again.
    pub path: bool,
}

#[derive(Default)]
struct Watched {
    /// The service directory itself.
    is_dir: bool,
    /// Entries of this directory on the path to the service directory.
    names: Vec<OsString>,
}

pub struct Watch {
    inotify: Option<Inotify>,
    watched: HashMap<WatchDescriptor, Watched>,
}

/// Symlinks resolved along a path before giving up (the kernel's limit).
const MAX_HOPS: usize = 40;

impl Watch {
    /// A watch; without inotify (None inside) the caller falls back to polling.
    pub fn new() -> Watch {
        Watch {
            inotify: Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok(),
            watched: HashMap::new(),
        }
    }

    /// Whether changes are reported at all.
    pub fn works(&self) -> bool {
        self.inotify.is_some()
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(|i| i.as_fd())
    }

    /// (Re)watches `dir` and every directory holding a step of its path.
    /// Returns false if `dir` itself could not be watched.
    pub fn rebuild(&mut self, dir: &Path) -> bool {
        let Some(inotify) = self.inotify.as_ref() else {
            return false;
        };
        for wd in self.watched.keys() {
            let _ = inotify.rm_watch(*wd);
        }
        self.watched.clear();
        let entry_events = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::from_bits_retain(libc::IN_MASK_ADD);
        // IN_ATTRIB on the directory itself: a `touch` of it makes runit's
        // 5 s mtime poll scan, so it makes ours scan too.
        let dir_events = entry_events | AddWatchFlags::IN_ATTRIB | AddWatchFlags::IN_ONLYDIR;
        let dir_ok = match inotify.add_watch(dir, dir_events) {
            Ok(wd) => {
                self.watched.entry(wd).or_default().is_dir = true;
                true
            }
            Err(_) => false,
        };
        for (parent, name) in path_steps(dir) {
            if let Ok(wd) = inotify.add_watch(&parent, entry_events | AddWatchFlags::IN_ONLYDIR) {
                self.watched.entry(wd).or_default().names.push(name);
            }
        }
        dir_ok
    }

    /// Reads every pending event.
    pub fn read(&mut self) -> Change {
        let mut change = Change::default();
        let Some(inotify) = self.inotify.as_ref() else {
            return change;
        };
        while let Ok(events) = inotify.read_events() {
            if events.is_empty() {
                break;
            }
            for ev in events {
                if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                    change.entries = true;
                    change.path = true;
                    continue;
                }
                let Some(w) = self.watched.get(&ev.wd) else {
                    continue;
                };
                let self_event = ev.mask.intersects(
                    AddWatchFlags::IN_DELETE_SELF
                        | AddWatchFlags::IN_MOVE_SELF
                        | AddWatchFlags::IN_IGNORED,
                );
                let name = ev.name.as_deref();
                let attrib = ev.mask.contains(AddWatchFlags::IN_ATTRIB);
                if w.is_dir {
                    if self_event {
                        change.path = true;
                    } else if attrib {
                        // The directory's own times (a touch); an entry's
                        // attributes change nothing runit looks at.
                        change.entries = change.entries || name.is_none();
                    } else if name.is_some_and(|n| n.as_bytes().first() != Some(&b'.')) {
                        // Dot names are never services (runit skips them).
                        change.entries = true;
                    }
                }
                if self_event || (!attrib && name.is_some_and(|n| w.names.iter().any(|m| m == n))) {
                    change.path = change.path || !w.names.is_empty();
                }
            }
        }
        change
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
