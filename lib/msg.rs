//! Diagnostics in runit's grammar: parts joined with no separator, an optional
//! errno text last, a newline, all in one write(2) to fd 2 so that lines from
//! concurrent writers never interleave.

use crate::errstr;
use nix::errno::Errno;
use std::io::Write;

/// Exit code for "temporary failure, try again" (runit's fatal errors).
pub const EXIT_TEMPORARY: i32 = 111;
/// Exit code for "permanent failure, your fault" (chpst, sv usage).
pub const EXIT_PERMANENT: i32 = 100;

/// Writes the concatenation of `parts` and a newline to stderr in one write.
/// Errors are ignored: a diagnostic that cannot be written is lost, never fatal.
pub fn line(parts: &[&str]) {
    let mut buf = Vec::with_capacity(128);
    for p in parts {
        buf.extend_from_slice(p.as_bytes());
    }
    buf.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&buf);
}

/// Writes `parts` and then `: <errno text>` (runit's sys-error form).
pub fn line_err(parts: &[&str], errno: Errno) {
    let mut all: Vec<&str> = parts.to_vec();
    all.push(": ");
    all.push(errstr::of(errno));
    line(&all);
}

/// A program's voice: `<prefix>warning: ...` and `<prefix>fatal: ...`.
/// For runsv the prefix is `runsv DIR: `, for chpst `chpst: `.
#[derive(Clone, Debug)]
pub struct Voice {
    prefix: String,
}

impl Voice {
    pub fn new(prefix: impl Into<String>) -> Voice {
        Voice {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn warn(&self, parts: &[&str]) {
        self.say("warning: ", parts, None);
    }

    pub fn warn_err(&self, parts: &[&str], errno: Errno) {
        self.say("warning: ", parts, Some(errno));
    }

    /// Prints a fatal line without errno text and exits with `code`.
    pub fn fatal(&self, parts: &[&str], code: i32) -> ! {
        self.say("fatal: ", parts, None);
        std::process::exit(code)
    }

    /// Prints a fatal line with the errno text and exits with `code`.
    pub fn fatal_err(&self, parts: &[&str], errno: Errno, code: i32) -> ! {
        self.say("fatal: ", parts, Some(errno));
        std::process::exit(code)
    }

    /// The bytes of a fatal line up to (not including) the errno text, for a
    /// forked child that must not allocate before reporting a failed exec.
    pub fn fatal_prefix_bytes(&self, parts: &[&str]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(self.prefix.as_bytes());
        v.extend_from_slice(b"fatal: ");
        for p in parts {
            v.extend_from_slice(p.as_bytes());
        }
        v.extend_from_slice(b": ");
        v
    }

    fn say(&self, kind: &str, parts: &[&str], errno: Option<Errno>) {
        let mut all: Vec<&str> = Vec::with_capacity(parts.len() + 4);
        all.push(&self.prefix);
        all.push(kind);
        all.extend_from_slice(parts);
        match errno {
            Some(e) => line_err(&all, e),
            None => line(&all),
        }
    }
}

/// argv[0] as text, as runit prints it verbatim in usage lines ("" if absent).
pub fn argv0(args: &[std::ffi::OsString]) -> String {
    args.first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Prints runit's usage message (`usage: <name><text>` and an empty line) and
/// exits with `code`.
pub fn usage(name: &str, text: &str, code: i32) -> ! {
    line(&["usage: ", name, text, "\n"]);
    std::process::exit(code)
}
