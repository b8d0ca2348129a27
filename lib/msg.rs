//! Diagnostics in runit's grammar: parts joined with no separator, an optional
//! errno text last, a newline, all in one write(2) to fd 2 so that lines from
//! concurrent writers never interleave. The parts are byte strings: names that
//! are not UTF-8 reach the terminal exactly as given, as runit prints them.
//! The `&str` forms ([`line()`], [`Voice::warn`], ...) are the same writer.

use crate::errstr;
use nix::errno::Errno;
use std::io::Write;

/// Exit code for "temporary failure, try again" (runit's fatal errors).
pub const EXIT_TEMPORARY: i32 = 111;
/// Exit code for "permanent failure, your fault" (chpst, sv usage).
pub const EXIT_PERMANENT: i32 = 100;

/// The bytes of one line: `parts`, then `: <errno text>` when given, then
/// a newline.
pub fn join(parts: &[&[u8]], errno: Option<Errno>) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    for p in parts {
        buf.extend_from_slice(p);
    }
    if let Some(e) = errno {
        buf.extend_from_slice(b": ");
        buf.extend_from_slice(errstr::of(e).as_bytes());
    }
    buf.push(b'\n');
    buf
}

/// Writes the concatenation of `parts` (and `: <errno text>`) and a newline
/// to stderr in one write. Errors are ignored: a diagnostic that cannot be
/// written is lost, never fatal.
pub fn write_line(parts: &[&[u8]], errno: Option<Errno>) {
    let _ = std::io::stderr().lock().write_all(&join(parts, errno));
}

/// [`write_line`] for text parts.
pub fn line(parts: &[&str]) {
    write_line(&as_bytes(parts), None);
}

/// Writes `parts` and then `: <errno text>` (runit's sys-error form).
pub fn line_err(parts: &[&str], errno: Errno) {
    write_line(&as_bytes(parts), Some(errno));
}

fn as_bytes<'a>(parts: &[&'a str]) -> Vec<&'a [u8]> {
    parts.iter().map(|p| p.as_bytes()).collect()
}

/// The word after a program's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Warning,
    Fatal,
}

impl Kind {
    fn word(self) -> &'static [u8] {
        match self {
            Kind::Warning => b"warning: ",
            Kind::Fatal => b"fatal: ",
        }
    }
}

/// A program's voice: `<prefix>warning: ...` and `<prefix>fatal: ...`.
/// For runsv the prefix is `runsv DIR: `, for chpst `chpst: `.
#[derive(Clone, Debug)]
pub struct Voice {
    prefix: Vec<u8>,
}

impl Voice {
    pub fn new(prefix: impl Into<Vec<u8>>) -> Voice {
        Voice {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// `<prefix><kind><parts>[: <errno text>]`.
    pub fn say(&self, kind: Kind, parts: &[&[u8]], errno: Option<Errno>) {
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 2);
        all.push(&self.prefix);
        all.push(kind.word());
        all.extend_from_slice(parts);
        write_line(&all, errno);
    }

    /// A fatal line, then exit with `code`.
    pub fn die(&self, parts: &[&[u8]], errno: Option<Errno>, code: i32) -> ! {
        self.say(Kind::Fatal, parts, errno);
        std::process::exit(code)
    }

    pub fn warn(&self, parts: &[&str]) {
        self.say(Kind::Warning, &as_bytes(parts), None);
    }

    pub fn warn_err(&self, parts: &[&str], errno: Errno) {
        self.say(Kind::Warning, &as_bytes(parts), Some(errno));
    }

    /// Prints a fatal line without errno text and exits with `code`.
    pub fn fatal(&self, parts: &[&str], code: i32) -> ! {
        self.die(&as_bytes(parts), None, code)
    }

    /// Prints a fatal line with the errno text and exits with `code`.
    pub fn fatal_err(&self, parts: &[&str], errno: Errno, code: i32) -> ! {
        self.die(&as_bytes(parts), Some(errno), code)
    }

    /// The bytes of a fatal line up to (not including) the errno text, for a
    /// forked child that must not allocate before reporting a failed exec.
    pub fn fatal_prefix(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut v = join(&[&self.prefix, Kind::Fatal.word()], None);
        v.pop();
        for p in parts {
            v.extend_from_slice(p);
        }
        v.extend_from_slice(b": ");
        v
    }

    /// [`Voice::fatal_prefix`] for text parts.
    pub fn fatal_prefix_bytes(&self, parts: &[&str]) -> Vec<u8> {
        self.fatal_prefix(&as_bytes(parts))
    }

    /// [`Voice::fatal_prefix_bytes`] for a warning line.
    pub fn warning_prefix_bytes(&self, parts: &[&str]) -> Vec<u8> {
        let mut v = join(&[&self.prefix, Kind::Warning.word()], None);
        v.pop();
        for p in as_bytes(parts) {
            v.extend_from_slice(p);
        }
        v.extend_from_slice(b": ");
        v
    }
}

/// `argv[0]` as text, as runit prints it verbatim in usage lines ("" if absent).
/// Lossy for names that are not UTF-8: [`arg0`] keeps the bytes.
pub fn argv0(args: &[std::ffi::OsString]) -> String {
    String::from_utf8_lossy(&arg0(args)).into_owned()
}

/// `argv[0]`'s bytes ("" if absent).
pub fn arg0(args: &[std::ffi::OsString]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    args.first()
        .map(|a| a.as_bytes().to_vec())
        .unwrap_or_default()
}

/// Prints runit's usage message (`usage: <name><text>` and an empty line) and
/// exits with `code`.
pub fn usage(name: impl AsRef<[u8]>, text: &str, code: i32) -> ! {
    write_line(&[b"usage: ", name.as_ref(), text.as_bytes(), b"\n"], None);
    std::process::exit(code)
}

/// runit's getopt complaint: `<name>: <what> -- <c>` (`illegal option`,
/// `option requires an argument`).
pub fn getopt_complaint(name: &[u8], what: &str, c: u8) {
    write_line(&[name, b": ", what.as_bytes(), b" -- ", &[c]], None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bytes() {
        assert_eq!(join(&[b"a", b"\xff"], None), b"a\xff\n");
        assert_eq!(
            join(&[b"unable to open x"], Some(Errno::ENOENT)),
            b"unable to open x: file does not exist\n"
        );
        let v = Voice::new(&b"runsv \xfe: "[..]);
        assert_eq!(
            v.fatal_prefix_bytes(&["unable to start ./run"]),
            b"runsv \xfe: fatal: unable to start ./run: "
        );
    }
}
