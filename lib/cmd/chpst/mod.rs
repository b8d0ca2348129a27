//! chpst: change the process state, then exec a program in place (no fork).
//! The same binary is six smaller tools, chosen by `argv[0]` (doc/runit/chpst.md §1).
//!
//! options.rs reads chpst's command line, state.rs carries out each change in
//! runit's order and execs, personality.rs holds the six small tools.

pub mod options;
mod personality;
mod state;

use crate::msg::{self, Kind, Voice};
use nix::errno::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// The version line printed by `-V` (runit 2.1.2's chpst revision).
const VERSION: &str = "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $";

/// The usage text after `usage: <name>` (Debian 2.1.2's, with `V` and `-t`).
const USAGE: &str = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog";

/// Names as chpst sees them: `base` is `argv[0]`'s basename (used in getopt's
/// complaints), `name` the same without one leading `d` (used in usage lines
/// and to choose the personality).
pub struct Names {
    pub base: Vec<u8>,
    pub name: Vec<u8>,
}

impl Names {
    fn of(argv0: &OsStr) -> Names {
        let base = crate::cli::basename(argv0.as_bytes());
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
    msg::getopt_complaint(&names.base, what, c);
}

/// `usage: <name><text>` and an empty line, exit 100.
fn usage(names: &Names, text: &str) -> ! {
    msg::usage(&names.name, text, msg::EXIT_PERMANENT)
}

/// Writes the parts and a newline to stderr in one write.
fn write_line(parts: &[&[u8]]) {
    msg::write_line(parts, None);
}

const VOICE_PREFIX: &[u8] = b"chpst: ";

/// `chpst: fatal: <parts>: <errno text>`, exit 111.
fn fatal_err(parts: &[&[u8]], errno: Errno) -> ! {
    Voice::new(VOICE_PREFIX).die(parts, Some(errno), msg::EXIT_TEMPORARY)
}

/// `chpst: fatal: <parts>` without errno text, exit 111.
fn fatal(parts: &[&[u8]]) -> ! {
    Voice::new(VOICE_PREFIX).die(parts, None, msg::EXIT_TEMPORARY)
}

/// `chpst: warning: <parts>: <errno text>`.
fn warn_err(parts: &[&[u8]], errno: Errno) {
    Voice::new(VOICE_PREFIX).say(Kind::Warning, parts, Some(errno));
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
