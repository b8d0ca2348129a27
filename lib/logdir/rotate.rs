//! Rotation: `current` becomes `@<tai64n>.s` (`.u` with a processor), a new
//! `current` is started, processor leftovers and the oldest files beyond `n`
//! are removed.

use super::dir::LogDir;
use super::report::{info, pause, persist, warn_err};
use crate::tai::Tai64n;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{fchmod, Mode};
use std::os::fd::AsRawFd;
use std::time::Instant;

impl LogDir {
    /// A fresh `@<tai64n>.<suffix>` name that does not exist yet.
    pub(super) fn unique_name(&self, suffix: char) -> String {
        loop {
            let name = format!("{}.{}", Tai64n::now().label(), suffix);
            if self.stat_at(&name) == Err(Errno::ENOENT) {
                return name;
            }
        }
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
        self.rotate_due = false;
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
        self.kicked = 0;
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
                    if oldest.is_none_or(|o| n < o) {
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

/// `@` followed by 26 more bytes: a finished, unprocessed or in-progress file.
pub fn is_old_file(name: &str) -> bool {
    name.len() == 27 && name.starts_with('@')
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
        let mut ld = LogDir::new(d.clone(), false, 30);
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
        let mut ld = LogDir::new(d.clone(), false, 1000);
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
        let mut ld = LogDir::new(d.clone(), false, 5);
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
