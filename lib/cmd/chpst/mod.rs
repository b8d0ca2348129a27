//! chpst: change the process state, then exec a program in place (no fork).
//! The same binary is six smaller tools, chosen by argv[0] (doc/runit/chpst.md §1).
//!
//! options.rs reads chpst's command line, state.rs carries out each change in
//! runit's order and execs, personality.rs holds the six small tools.

pub mod options;
mod personality;
mod state;

use crate::errstr;
use nix::errno::Errno;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// The version line printed by `-V` (runit 2.1.2's chpst revision).
const VERSION: &str = "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $";

/// The usage text after `usage: <name>` (Debian 2.1.2's, with `V` and `-t`).
const USAGE: &str = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog";

/// Names as chpst sees them: `base` is argv[0]'s basename (used in getopt's
/// complaints), `name` the same without one leading `d` (used in usage lines
/// and to choose the personality).
pub struct Names {
    pub base: Vec<u8>,
    pub name: Vec<u8>,
}

impl Names {
    fn of(argv0: &OsStr) -> Names {
        let bytes = argv0.as_bytes();
        let base = match bytes.iter().rposition(|&b| b == b'/') {
            Some(i) => &bytes[i + 1..],
            None => bytes,
        };
        let name = base.strip_prefix(b"d").unwrap_or(base);
        Names {
            base: base.to_vec(),
            name: name.to_vec(),
        }
    }
}

/// The entry for a program started through Rust's runtime: undoes its
/// SIGPIPE change first.
pub fn main(args: Vec<OsString>) -> i32 {
    crate::sys::restore_sigpipe();
    main_as_inherited(args)
}

/// The entry for bin/chpst, which skips Rust's runtime set-up: nothing to
/// undo, and an ignored SIGPIPE or a closed descriptor passes through to the
/// program exactly as with runit.
pub fn main_as_inherited(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("chpst"));
    let names = Names::of(&argv0);
    let rest = args.get(1..).unwrap_or(&[]);
    match names.name.as_slice() {
        b"setuidgid" => personality::setuidgid(rest),
        b"envuidgid" => personality::envuidgid(rest),
        b"envdir" => personality::envdir(rest),
        b"pgrphack" => personality::pgrphack(rest),
        b"setlock" => personality::setlock(&names, rest),
        b"softlimit" => personality::softlimit(&names, rest),
        _ => chpst(&names, rest),
    }
}

/// The full chpst.
fn chpst(names: &Names, args: &[OsString]) -> i32 {
    match options::plan(args) {
        Ok(plan) => state::carry_out(plan),
        Err(refusal) => {
            match refusal {
                options::Refusal::Illegal(c) => getopt_complaint(names, "illegal option", c),
                options::Refusal::MissingArgument(c) => {
                    getopt_complaint(names, "option requires an argument", c)
                }
                options::Refusal::Version => write_line(&[VERSION.as_bytes()]),
                options::Refusal::Usage => {}
            }
            usage(names, USAGE)
        }
    }
}

/// `<base>: illegal option -- c` and its kin (runit's getopt).
fn getopt_complaint(names: &Names, what: &str, c: u8) {
    write_line(&[&names.base, b": ", what.as_bytes(), b" -- ", &[c]]);
}

/// `usage: <name><text>` and an empty line, exit 100.
fn usage(names: &Names, text: &str) -> ! {
    write_line(&[b"usage: ", &names.name, text.as_bytes(), b"\n"]);
    std::process::exit(crate::msg::EXIT_PERMANENT)
}

/// Writes the parts and a newline to stderr in one write. Byte strings, so
/// that file and program names reach the terminal exactly as given.
fn write_line(parts: &[&[u8]]) {
    let mut buf = Vec::with_capacity(128);
    for p in parts {
        buf.extend_from_slice(p);
    }
    buf.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&buf);
}

/// `chpst: fatal: <parts>: <errno text>`, exit 111.
fn fatal_err(parts: &[&[u8]], errno: Errno) -> ! {
    let mut all: Vec<&[u8]> = vec![b"chpst: fatal: "];
    all.extend_from_slice(parts);
    all.push(b": ");
    all.push(errstr::of(errno).as_bytes());
    write_line(&all);
    std::process::exit(crate::msg::EXIT_TEMPORARY)
}

/// `chpst: fatal: <parts>` without errno text, exit 111.
fn fatal(parts: &[&[u8]]) -> ! {
    let mut all: Vec<&[u8]> = vec![b"chpst: fatal: "];
    all.extend_from_slice(parts);
    write_line(&all);
    std::process::exit(crate::msg::EXIT_TEMPORARY)
}

/// `chpst: warning: <parts>: <errno text>`.
fn warn_err(parts: &[&[u8]], errno: Errno) {
    let mut all: Vec<&[u8]> = vec![b"chpst: warning: "];
    all.extend_from_slice(parts);
    all.push(b": ");
    all.push(errstr::of(errno).as_bytes());
    write_line(&all);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_argv0() {
        let n = Names::of(OsStr::new("/usr/bin/dsetlock"));
        assert_eq!(
            (n.base.as_slice(), n.name.as_slice()),
            (&b"dsetlock"[..], &b"setlock"[..])
        );
        let n = Names::of(OsStr::new("chpst"));
        assert_eq!(n.name, b"chpst");
        let n = Names::of(OsStr::new("./dd"));
        assert_eq!(n.name, b"d");
        let n = Names::of(OsStr::new("dir/"));
        assert_eq!(n.name, b"");
    }
}
