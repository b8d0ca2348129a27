//! The old files of a log directory: `@<tai64n>.s` (finished), `.u`
//! (waiting for the processor) and `.t` (being processed). Naming a fresh
//! one, and removing the oldest when there are too many (`n`) or the disk is
//! full (down to `N`).

use super::handle::DirHandle;
use super::report::{info, pause, warn, warn_err};
use crate::tai::Tai64n;
use nix::errno::Errno;

/// `@` followed by 26 more bytes: a finished, unprocessed or in-progress file.
pub fn is_old_file(name: &str) -> bool {
    name.len() == 27 && name.starts_with('@')
}

/// A fresh `@<tai64n>.<suffix>` name that does not exist yet.
pub fn fresh_name(h: &DirHandle, suffix: char) -> String {
    loop {
        let name = format!("{}.{}", Tai64n::now().label(), suffix);
        if h.stat_at(&name) == Err(Errno::ENOENT) {
            return name;
        }
    }
}

/// Deletes processor leftovers (`.t`) and, when there are more than `n_max`
/// finished files, the oldest one (runit's `rmoldest`).
pub fn remove_oldest(h: &DirHandle, n_max: u64, verbose: bool) {
    let (names, read_err) = loop {
        match h.list() {
            Ok(v) => break v,
            Err(e) => pause("unable to open directory, want rotate", &h.name, e),
        }
    };
    let mut count = 0u64;
    let mut oldest: Option<&String> = None;
    for n in names.iter().filter(|n| is_old_file(n)) {
        match n.as_bytes()[26] {
            b't' => {
                if let Err(e) = h.unlink_at(n) {
                    warn_err(&[b"unable to unlink processor leftover: ", n.as_bytes()], e);
                }
            }
            b'u' => {}
            _ => {
                count += 1;
                if oldest.is_none_or(|o| n < o) {
                    oldest = Some(n);
                }
            }
        }
    }
    if let Some(e) = read_err {
        warn_err(&[b"unable to read directory: ", &h.name], e);
    }
    if n_max != 0 && count > n_max {
        if let Some(oldest) = oldest {
            if verbose {
                info(&[b"delete: ", &h.name, b"/", oldest.as_bytes()]);
            }
            if let Err(e) = h.unlink_at(oldest) {
                warn_err(&[b"unable to unlink oldest logfile: ", &h.name], e);
            }
        }
    }
}

/// On a full disk: deletes the oldest old file (any suffix) if there are
/// more than `n_min`. Returns whether one was deleted.
pub fn delete_for_space(h: &DirHandle, n_min: u64) -> bool {
    let names = loop {
        match h.list() {
            Ok((names, read_err)) => {
                if let Some(e) = read_err {
                    warn_err(
                        &[
                            b"unable to read directory, want remove old logfile: ",
                            &h.name,
                        ],
                        e,
                    );
                }
                break names;
            }
            Err(e) => pause(
                "unable to open directory, want remove old logfile",
                &h.name,
                e,
            ),
        }
    };
    let old: Vec<&String> = names.iter().filter(|n| is_old_file(n)).collect();
    if old.len() as u64 <= n_min {
        return false;
    }
    let Some(oldest) = old.into_iter().min() else {
        return false;
    };
    warn(&[
        b"out of disk space, delete: ",
        &h.name,
        b"/",
        oldest.as_bytes(),
    ]);
    match h.unlink_at(oldest) {
        Ok(()) => true,
        Err(e) => {
            warn_err(&[b"unable to unlink oldest logfile: ", &h.name], e);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_file_names() {
        assert!(is_old_file("@400000006b028c291fbe944c.s"));
        assert!(is_old_file("@400000006b028c291fbe944c.t"));
        assert!(!is_old_file("@400000006b028c291fbe944c.st"));
        assert!(!is_old_file("current"));
    }
}
