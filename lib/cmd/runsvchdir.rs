//! runsvchdir: switches `/etc/runit/runsvdir/current` to another service
//! directory set, as runit 2.1.2's runsvchdir does (doc/runit/runsvchdir.md).
//! runsvdir running on a path through `current` notices the switch by itself.

use crate::errstr::errno;
use crate::msg::{self, Kind, Voice};
use crate::sys;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

/// The fixed directory holding `current`, `previous` and the sets.
const RUNSVDIR: &str = "/etc/runit/runsvdir";
const EXIT_FATAL: i32 = msg::EXIT_TEMPORARY;

pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    let argv0 = msg::arg0(&args);
    let Some(dir) = args.get(1) else {
        msg::usage(&argv0, " dir", 1)
    };
    // runsvchdir's messages: `<argv0>: fatal: ` whatever the severity.
    let say = Voice::new([&argv0[..], b": "].concat());
    let name = dir.as_bytes();
    if name.first() == Some(&b'.') {
        say.die(&[name, b": must not start with a dot."], None, EXIT_FATAL);
    }
    if let Err(e) = nix::unistd::chdir(RUNSVDIR) {
        say.die(
            &[b"unable to chdir: ", RUNSVDIR.as_bytes()],
            Some(e),
            EXIT_FATAL,
        );
    }
    let target = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
            say.die(&[name, b": file does not exist"], None, EXIT_FATAL)
        }
        Err(e) => say.die(&[b"unable to stat: ", name], Some(errno(&e)), EXIT_FATAL),
    };
    if !target.is_dir() {
        say.die(&[name, b"not a directory."], None, EXIT_FATAL);
    }
    let current = match std::fs::metadata("current") {
        Ok(m) => m,
        Err(e) => say.die(&[b"unable to stat: current"], Some(errno(&e)), EXIT_FATAL),
    };
    if (current.dev(), current.ino()) == (target.dev(), target.ino()) {
        return report(name, b"current.");
    }
    switch(dir, &say);
    report(name, b"now current.")
}

/// Points `current` at `dir`, keeping the old target as `previous`.
fn switch(dir: &OsStr, say: &Voice) {
    unlink_if_there("current.new", say);
    if let Err(e) = std::os::unix::fs::symlink(dir, "current.new") {
        say.die(
            &[b"unable to create: current.new -> ", dir.as_bytes()],
            Some(errno(&e)),
            EXIT_FATAL,
        );
    }
    unlink_if_there("previous", say);
    if let Err(e) = std::fs::rename("current", "previous") {
        say.die(
            &[b"unable to copy: current to previous"],
            Some(errno(&e)),
            EXIT_FATAL,
        );
    }
    if let Err(e) = std::fs::rename("current.new", "current") {
        // runit says "fatal" here and still tries to put things back.
        say.say(
            Kind::Fatal,
            &[b"unable to move: current.new to current"],
            Some(errno(&e)),
        );
        if let Err(e) = std::fs::rename("previous", "current") {
            say.die(
                &[b"unable to move previous back to current"],
                Some(errno(&e)),
                EXIT_FATAL,
            );
        }
        std::process::exit(EXIT_FATAL);
    }
}

fn unlink_if_there(path: &str, say: &Voice) {
    match std::fs::remove_file(path) {
        Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
            say.die(
                &[b"unable to unlink: ", path.as_bytes()],
                Some(errno(&e)),
                EXIT_FATAL,
            );
        }
        _ => {}
    }
}

/// `runsvchdir: <dir>: <what>` on stdout (always this name, not argv0).
fn report(name: &[u8], what: &[u8]) -> i32 {
    let line = [b"runsvchdir: ", name, b": ", what, b"\n"].concat();
    let _ = std::io::stdout().lock().write_all(&line);
    0
}
