//! runsvchdir: switches `/etc/runit/runsvdir/current` to another service
//! directory set, as runit 2.1.2's runsvchdir does (doc/runit/runsvchdir.md).
//! runsvdir running on a path through `current` notices the switch by itself.

use crate::errstr;
use crate::msg;
use crate::sys;
use nix::errno::Errno;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

/// The fixed directory holding `current`, `previous` and the sets.
const RUNSVDIR: &str = "/etc/runit/runsvdir";
const EXIT_FATAL: i32 = msg::EXIT_TEMPORARY;

pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    let argv0 = msg::argv0(&args);
    let Some(dir) = args.get(1) else {
        msg::usage(&argv0, " dir", 1)
    };
    let say = Fatal {
        prefix: format!("{argv0}: fatal: "),
    };
    let name = dir.to_string_lossy().into_owned();
    if dir.as_bytes().first() == Some(&b'.') {
        say.die(&[&name, ": must not start with a dot."]);
    }
    if let Err(e) = nix::unistd::chdir(RUNSVDIR) {
        say.die_err(&["unable to chdir: ", RUNSVDIR], e);
    }
    let target = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
            say.die(&[&name, ": file does not exist"])
        }
        Err(e) => say.die_err(&["unable to stat: ", &name], io_errno(&e)),
    };
    if !target.is_dir() {
        say.die(&[&name, "not a directory."]);
    }
    let current = match std::fs::metadata("current") {
        Ok(m) => m,
        Err(e) => say.die_err(&["unable to stat: current"], io_errno(&e)),
    };
    if (current.dev(), current.ino()) == (target.dev(), target.ino()) {
        return report(&name, "current.");
    }
    switch(dir, &name, &say);
    report(&name, "now current.")
}

/// Points `current` at `dir`, keeping the old target as `previous`.
fn switch(dir: &OsStr, name: &str, say: &Fatal) {
    unlink_if_there("current.new", say);
    if let Err(e) = std::os::unix::fs::symlink(dir, "current.new") {
        say.die_err(&["unable to create: current.new -> ", name], io_errno(&e));
    }
    unlink_if_there("previous", say);
    if let Err(e) = std::fs::rename("current", "previous") {
        say.die_err(&["unable to copy: current to previous"], io_errno(&e));
    }
    if let Err(e) = std::fs::rename("current.new", "current") {
        // runit says "fatal" here and still tries to put things back.
        say.line(
            &["unable to move: current.new to current"],
            Some(io_errno(&e)),
        );
        if let Err(e) = std::fs::rename("previous", "current") {
            say.die_err(&["unable to move previous back to current"], io_errno(&e));
        }
        std::process::exit(EXIT_FATAL);
    }
}

fn unlink_if_there(path: &str, say: &Fatal) {
    match std::fs::remove_file(path) {
        Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
            say.die_err(&["unable to unlink: ", path], io_errno(&e));
        }
        _ => {}
    }
}

/// `runsvchdir: <dir>: <what>` on stdout (always this name, not argv0).
fn report(name: &str, what: &str) -> i32 {
    let line = format!("runsvchdir: {name}: {what}\n");
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
    0
}

fn io_errno(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

/// runsvchdir's messages: `<argv0>: fatal: ` whatever the severity.
struct Fatal {
    prefix: String,
}

impl Fatal {
    fn line(&self, parts: &[&str], errno: Option<Errno>) {
        let mut all = vec![self.prefix.as_str()];
        all.extend_from_slice(parts);
        if let Some(e) = errno {
            all.push(": ");
            all.push(errstr::of(e));
        }
        msg::line(&all);
    }

    fn die(&self, parts: &[&str]) -> ! {
        self.line(parts, None);
        std::process::exit(EXIT_FATAL)
    }

    fn die_err(&self, parts: &[&str], errno: Errno) -> ! {
        self.line(parts, Some(errno));
        std::process::exit(EXIT_FATAL)
    }
}
