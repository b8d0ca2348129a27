//! chpst's own command line (doc/runit/chpst.md §2): runit's getopt over
//! `u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V`, turned into a [`Plan`].
//! `-C pwd` is runit 2.2.0's (and Void's); the rest are 2.1.2's.

use crate::cli::getopt::{parse, scan_ulong, Opt};
use crate::limits::{self, Limits};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

pub const SPEC: &str = "u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V";

/// Everything chpst was asked to do, before any of it is done.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub set_user: Option<OsString>,
    pub env_user: Option<OsString>,
    pub argv0: Option<OsString>,
    pub env_dir: Option<OsString>,
    pub root: Option<OsString>,
    /// `-C`: the working directory, changed to after `-/`'s chroot.
    pub pwd: Option<OsString>,
    pub nice: i64,
    /// The lock file and whether to wait for it (`-l`) or not (`-L`).
    pub lock: Option<(OsString, bool)>,
    pub limits: Limits,
    pub verbose: bool,
    pub new_session: bool,
    /// Close fd 0, 1, 2.
    pub close: [bool; 3],
    /// The program and its arguments.
    pub command: Vec<OsString>,
}

/// Why the command line gives no plan: all of them end in the usage message.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Illegal(u8),
    MissingArgument(u8),
    /// `-V`: the version line first.
    Version,
    /// A bad number, a second lock, no program.
    Usage,
}

/// Parses `args` (without `argv[0]`).
pub fn plan(args: &[OsString]) -> Result<Plan, Refusal> {
    let (opts, first_operand) = parse(args, SPEC);
    let mut p = Plan::default();
    for opt in opts {
        match opt {
            Opt::Illegal(c) => return Err(Refusal::Illegal(c)),
            Opt::MissingArgument(c) => return Err(Refusal::MissingArgument(c)),
            Opt::Flag(c, arg) => apply_option(&mut p, c, arg.unwrap_or_default())?,
        }
    }
    p.command = args[first_operand..].to_vec();
    if p.command.is_empty() {
        return Err(Refusal::Usage);
    }
    Ok(p)
}

fn apply_option(p: &mut Plan, c: u8, arg: OsString) -> Result<(), Refusal> {
    match c {
        b'u' => p.set_user = Some(arg),
        b'U' => p.env_user = Some(arg),
        b'b' => p.argv0 = Some(arg),
        b'e' => p.env_dir = Some(arg),
        b'/' => p.root = Some(arg),
        b'C' => p.pwd = Some(arg),
        b'n' => p.nice = nice_increment(&arg)?,
        b'l' | b'L' => {
            if p.lock.is_some() {
                return Err(Refusal::Usage);
            }
            p.lock = Some((arg, c == b'l'));
        }
        b'm' => p.limits.set_memory(number(&arg)?),
        b'd' => p.limits.data = number(&arg)?,
        b'o' => p.limits.nofile = number(&arg)?,
        b'p' => p.limits.nproc = number(&arg)?,
        b'f' => p.limits.fsize = number(&arg)?,
        b'c' => p.limits.core = number(&arg)?,
        b'r' => p.limits.rss = number(&arg)?,
        b't' => p.limits.cpu = number(&arg)?,
        b'v' => p.verbose = true,
        b'P' => p.new_session = true,
        b'0' => p.close[0] = true,
        b'1' => p.close[1] = true,
        b'2' => p.close[2] = true,
        _ => return Err(Refusal::Version),
    }
    Ok(())
}

/// A limit value: all digits (none at all means 0), as runit's `long`.
pub fn number(arg: &OsStr) -> Result<i64, Refusal> {
    let bytes = arg.as_bytes();
    let (value, n) = scan_ulong(bytes);
    if n != bytes.len() {
        return Err(Refusal::Usage);
    }
    Ok(limits::from_scan(value))
}

/// `-n`: `N`, `+N` or `-N`, digits only after the sign.
fn nice_increment(arg: &OsStr) -> Result<i64, Refusal> {
    let bytes = arg.as_bytes();
    match bytes.first() {
        Some(b'-') => Ok(number(OsStr::from_bytes(&bytes[1..]))?.wrapping_neg()),
        Some(b'+') => number(OsStr::from_bytes(&bytes[1..])),
        _ => number(arg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_full_plan() {
        let p = plan(&args(&[
            "-vP012", "-u", "nobody", "-U:1:2", "-b", "x", "-e", "d", "-/", "/r", "-Cw", "-n",
            "-5", "-L", "lk", "prog", "-a",
        ]))
        .unwrap();
        assert_eq!(p.set_user, Some("nobody".into()));
        assert_eq!(p.env_user, Some(":1:2".into()));
        assert_eq!(p.argv0, Some("x".into()));
        assert_eq!((p.root, p.pwd), (Some("/r".into()), Some("w".into())));
        assert_eq!(p.nice, -5);
        assert_eq!(p.lock, Some(("lk".into(), false)));
        assert!(p.verbose && p.new_session && p.close == [true; 3]);
        assert_eq!(p.command, args(&["prog", "-a"]));
    }

    #[test]
    fn limits_last_one_wins() {
        let p = plan(&args(&["-d", "100", "-m", "200", "p"])).unwrap();
        assert_eq!(p.limits.data, 200);
        let p = plan(&args(&["-m", "200", "-d", "100", "-o", "", "p"])).unwrap();
        assert_eq!(
            (p.limits.data, p.limits.stack, p.limits.nofile),
            (100, 200, 0)
        );
    }

    #[test]
    fn nice_forms() {
        for (a, n) in [("+2", 2), ("3", 3), ("-", 0), ("", 0), ("-7", -7)] {
            assert_eq!(plan(&args(&["-n", a, "p"])).unwrap().nice, n, "{a}");
        }
        assert_eq!(plan(&args(&["-n", "x", "p"])), Err(Refusal::Usage));
        assert_eq!(plan(&args(&["-n", "+-1", "p"])), Err(Refusal::Usage));
    }

    #[test]
    fn refusals() {
        assert_eq!(plan(&args(&["-o", "5x", "p"])), Err(Refusal::Usage));
        assert_eq!(
            plan(&args(&["-l", "a", "-L", "b", "p"])),
            Err(Refusal::Usage)
        );
        assert_eq!(plan(&args(&["-v"])), Err(Refusal::Usage));
        assert_eq!(plan(&args(&["-K", "d", "p"])), Err(Refusal::Illegal(b'K')));
        assert_eq!(plan(&args(&["-C"])), Err(Refusal::MissingArgument(b'C')));
        assert_eq!(plan(&args(&["-u"])), Err(Refusal::MissingArgument(b'u')));
        assert_eq!(plan(&args(&["-V", "-z"])), Err(Refusal::Version));
        assert_eq!(plan(&args(&["-z", "-V"])), Err(Refusal::Illegal(b'z')));
    }
}
