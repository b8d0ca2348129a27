//! envdir: a directory of files, each naming an environment variable and
//! holding its value (doc/runit/chpst.md §5), turned into staged changes, and the
//! way runit applies staged changes to an environment.
//!
//! A staged change is a byte string in runit's form: `NAME=value` sets,
//! a bare `NAME` removes. The name is everything before the first `=`.
//!
//! The directory is read through descriptors (openat), never by changing the
//! process's working directory, so the mechanism is safe to use from threads.

use crate::dirents::Listing;
use nix::errno::Errno;
use nix::fcntl::{self, OFlag};
use nix::sys::stat::Mode;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsFd, AsRawFd, RawFd};

/// What went wrong, and at which step (each has its own runit message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvdirError {
    /// `unable to open current working directory`
    Cwd(Errno),
    /// `unable to switch to directory: <dir>`
    Switch(Errno),
    /// `unable to open directory: <dir>`
    Open(Errno),
    /// `unable to read directory: <dir>`
    ReadDir(Errno),
    /// `unable to read <dir>/<name>`
    Read(OsString, Errno),
}

/// How subdirectories (open works, read fails with EISDIR) are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subdirs {
    /// chpst -e: skipped (reported through the callback).
    Skip,
    /// The envdir personality: fatal like any other read error.
    Fatal,
}

/// A descriptor closed when dropped.
struct Fd(RawFd);

impl Drop for Fd {
    fn drop(&mut self) {
        let _ = nix::unistd::close(self.0);
    }
}

/// Reads `dir` into staged changes, entries in readdir order, names starting
/// with `.` skipped. `skipped` is called for each subdirectory skipped in
/// [`Subdirs::Skip`] mode (chpst -v warns about them).
pub fn read(
    dir: &OsStr,
    subdirs: Subdirs,
    skipped: &mut dyn FnMut(&OsStr),
) -> Result<Vec<Vec<u8>>, EnvdirError> {
    // runit saves the cwd (read access needed) to come back to it later.
    let cwd = fcntl::open(
        ".",
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(Fd)
    .map_err(EnvdirError::Cwd)?;
    drop(cwd);
    let listing = open_dir(dir)?;
    let mut names: Vec<Vec<u8>> = Vec::new();
    listing
        .each(|n| names.push(n.to_vec()))
        .map_err(EnvdirError::ReadDir)?;
    let dirfd = listing.fd().as_raw_fd();
    let mut scratch = Vec::new();
    let mut staged = Vec::new();
    for name in &names {
        if name.first() == Some(&b'.') {
            continue;
        }
        let name = OsStr::from_bytes(name);
        match read_entry(dirfd, name, &mut scratch) {
            Ok(()) => {}
            Err(Errno::EISDIR) if subdirs == Subdirs::Skip => {
                skipped(name);
                continue;
            }
            Err(e) => return Err(EnvdirError::Read(name.to_owned(), e)),
        }
        staged.push(stage(name.as_bytes(), &mut scratch));
    }
    Ok(staged)
}

/// Opens `dir` for listing. chdir's failures (search permission on the
/// directory itself) and opendir's (read permission) are told apart.
fn open_dir(dir: &OsStr) -> Result<Listing, EnvdirError> {
    let path_flags = OFlag::O_PATH | OFlag::O_DIRECTORY;
    let base =
        crate::sys::open_file(None, dir, path_flags, Mode::empty()).map_err(EnvdirError::Switch)?;
    // Looking up "." needs search permission, as chdir does.
    crate::sys::open_file(Some(base.as_fd()), ".", path_flags, Mode::empty())
        .map_err(EnvdirError::Switch)?;
    crate::dirents::open_in(base.as_fd(), ".").map_err(EnvdirError::Open)
}

/// Reads one entry into `scratch` the way runit's openreadclose does: a
/// missing file (dangling symlink, removed meanwhile) leaves `scratch` as it
/// was; otherwise `scratch` is emptied first, then filled.
fn read_entry(dirfd: RawFd, name: &OsStr, scratch: &mut Vec<u8>) -> Result<(), Errno> {
    let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = match fcntl::openat(Some(dirfd), name, flags, Mode::empty()) {
        Ok(fd) => Fd(fd),
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    scratch.clear();
    let mut buf = [0u8; 4096];
    loop {
        match nix::unistd::read(fd.0, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => scratch.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Turns the content in `scratch` into the staged change for `name`, and
/// leaves `scratch` as runit's buffer would be afterwards (value plus a NUL),
/// which is what a following dangling symlink then reuses (doc/runit/quirks.md #26).
pub fn stage(name: &[u8], scratch: &mut Vec<u8>) -> Vec<u8> {
    let mut change = name.to_vec();
    if scratch.is_empty() {
        return change;
    }
    let line_end = scratch
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(scratch.len());
    scratch.truncate(line_end);
    while matches!(scratch.last(), Some(b' ') | Some(b'\t')) {
        scratch.pop();
    }
    for b in scratch.iter_mut() {
        if *b == 0 {
            *b = b'\n';
        }
    }
    change.push(b'=');
    change.extend_from_slice(scratch);
    scratch.push(0);
    change
}

/// Applies staged changes to `env` (`NAME=value` strings) as runit does: for
/// each change, remove one entry with that name (the last entry moves into
/// its slot), then append the change if it sets a value.
pub fn apply(mut env: Vec<Vec<u8>>, staged: &[Vec<u8>]) -> Vec<Vec<u8>> {
    for change in staged {
        let split = change
            .iter()
            .position(|&b| b == b'=')
            .unwrap_or(change.len());
        let name = &change[..split];
        let same_name = |e: &Vec<u8>| e.len() > split && &e[..split] == name && e[split] == b'=';
        if let Some(i) = env.iter().position(same_name) {
            env.swap_remove(i);
        }
        if split < change.len() {
            env.push(change.clone());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    fn staged_from(content: &[u8]) -> Vec<u8> {
        let mut scratch = content.to_vec();
        stage(b"X", &mut scratch)
    }

    #[test]
    fn values() {
        assert_eq!(
            staged_from(b"hello world  \t \nsecond line\n"),
            b"X=hello world"
        );
        assert_eq!(staged_from(b"\n"), b"X=");
        assert_eq!(staged_from(b""), b"X");
        assert_eq!(staged_from(b"a\0b\0c"), b"X=a\nb\nc");
        assert_eq!(staged_from(b"  lead"), b"X=  lead");
        assert_eq!(staged_from(b"cr\r\n"), b"X=cr\r");
        assert_eq!(staged_from(b" \t "), b"X=");
    }

    #[test]
    fn a_missing_entry_reuses_the_previous_buffer() {
        let mut scratch = b"hello\n".to_vec();
        assert_eq!(stage(b"A", &mut scratch), b"A=hello");
        assert_eq!(stage(b"F", &mut scratch), b"F=hello\n");
        assert_eq!(stage(b"G", &mut scratch), b"G=hello");
    }

    fn env(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn applying_changes() {
        let start = env(&["A=1", "B=2", "C=3"]);
        assert_eq!(
            apply(start.clone(), &env(&["A=x"])),
            env(&["C=3", "B=2", "A=x"])
        );
        assert_eq!(apply(start.clone(), &env(&["B"])), env(&["A=1", "C=3"]));
        assert_eq!(apply(start.clone(), &env(&["D"])), start);
        assert_eq!(
            apply(start.clone(), &env(&["A=B=x"])),
            env(&["C=3", "B=2", "A=B=x"])
        );
        // An empty file named `A=B` stages `A=B`, which sets A.
        assert_eq!(apply(env(&[]), &env(&["A=B"])), env(&["A=B"]));
        // Only one entry of a duplicated name goes.
        assert_eq!(apply(env(&["A=1", "A=2"]), &env(&["A"])), env(&["A=2"]));
        assert_eq!(apply(env(&["AB=1"]), &env(&["A"])), env(&["AB=1"]));
    }

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
    fn tmpdir(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("envdir-unit-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }

    fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        v.sort();
        v
    }

    #[test]
    fn reading_a_directory() {
        let d = tmpdir("read");
        fs::write(d.0.join("A"), "one\n").unwrap();
        fs::write(d.0.join("EMPTY"), "").unwrap();
        fs::write(d.0.join(".hidden"), "x").unwrap();
        fs::create_dir(d.0.join("SUB")).unwrap();
        let mut skips = Vec::new();
        let got = read(d.0.as_os_str(), Subdirs::Skip, &mut |n| {
            skips.push(n.to_owned())
        })
        .unwrap();
        assert_eq!(sorted(got), env(&["A=one", "EMPTY"]));
        assert_eq!(skips, vec![OsString::from("SUB")]);
        let fatal = read(d.0.as_os_str(), Subdirs::Fatal, &mut |_| {});
        assert_eq!(fatal, Err(EnvdirError::Read("SUB".into(), Errno::EISDIR)));
    }

    #[test]
    fn missing_or_wrong_directory() {
        let d = tmpdir("missing");
        let none = d.0.join("none");
        assert_eq!(
            read(none.as_os_str(), Subdirs::Skip, &mut |_| {}),
            Err(EnvdirError::Switch(Errno::ENOENT))
        );
        fs::write(d.0.join("file"), "x").unwrap();
        let file = d.0.join("file");
        assert_eq!(
            read(file.as_os_str(), Subdirs::Skip, &mut |_| {}),
            Err(EnvdirError::Switch(Errno::ENOTDIR))
        );
    }
}
