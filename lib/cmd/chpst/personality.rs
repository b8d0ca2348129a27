//! The six small tools chpst becomes when called by another name
//! (doc/runit/chpst.md §8). Each takes only its own syntax; all of them exec
//! through the same PATH search and speak with chpst's message prefix.

use super::options::{number, Refusal};
use super::state::{self, apply_limits, drop_privileges, exec, lookup_account, take_lock};
use super::{getopt_complaint, usage, Names, USAGE};
use crate::cli::getopt::{parse, Opt};
use crate::envdir::Subdirs;
use crate::limits::{Limits, HARD};
use nix::unistd;
use std::ffi::{OsStr, OsString};

const SETUIDGID_USAGE: &str = " account child";
const ENVDIR_USAGE: &str = " dir child";
const PGRPHACK_USAGE: &str = " child";
const SETLOCK_USAGE: &str = " [ -nNxX ] file program [ arg ... ]";
const SOFTLIMIT_USAGE: &str = " [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child";

/// Usage under the personality's fixed name (`dsetlock` still says setlock).
fn usage_as(name: &str, text: &str) -> ! {
    let names = Names {
        base: name.as_bytes().to_vec(),
        name: name.as_bytes().to_vec(),
    };
    usage(&names, text)
}

/// The first operand and a non-empty command after it, or usage.
fn operand_and_command<'a>(
    args: &'a [OsString],
    name: &str,
    text: &str,
) -> (&'a OsStr, &'a [OsString]) {
    match args {
        [first, command @ ..] if !command.is_empty() => (first, command),
        _ => usage_as(name, text),
    }
}

/// `setuidgid account child...`: the account's uid, its primary group only.
pub fn setuidgid(args: &[OsString]) -> i32 {
    let (account, command) = operand_and_command(args, "setuidgid", SETUIDGID_USAGE);
    drop_privileges(&lookup_account(account));
    exec(command, None, &[], false)
}

/// `envuidgid account child...`: GID and UID in the child's environment.
pub fn envuidgid(args: &[OsString]) -> i32 {
    let (account, command) = operand_and_command(args, "envuidgid", SETUIDGID_USAGE);
    let mut staged = Vec::new();
    state::stage_ids(&mut staged, &lookup_account(account));
    exec(command, None, &staged, false)
}

/// `envdir dir child...`: no options at all; subdirectories are fatal.
pub fn envdir(args: &[OsString]) -> i32 {
    let (dir, command) = operand_and_command(args, "envdir", ENVDIR_USAGE);
    let staged = state::read_envdir(dir, Subdirs::Fatal, false);
    exec(command, None, &staged, false)
}

/// `pgrphack child...`: a new session (result ignored), then exec.
pub fn pgrphack(args: &[OsString]) -> i32 {
    if args.is_empty() {
        usage_as("pgrphack", PGRPHACK_USAGE);
    }
    let _ = unistd::setsid();
    exec(args, None, &[], false)
}

/// `setlock [-nNxX] file program...`. Unlike daemontools, `-n` waits and the
/// default (`-N`) does not. `-x`: any failure exits 0 silently.
pub fn setlock(names: &Names, args: &[OsString]) -> i32 {
    let (opts, first) = parse(args, "nNxX");
    let (mut wait, mut quiet) = (false, false);
    for opt in opts {
        match opt {
            Opt::Flag(b'n', _) => wait = true,
            Opt::Flag(b'N', _) => wait = false,
            Opt::Flag(b'x', _) => quiet = true,
            Opt::Flag(b'X', _) => quiet = false,
            Opt::Illegal(c) | Opt::Flag(c, _) => {
                getopt_complaint(names, "illegal option", c);
                usage_as("setlock", SETLOCK_USAGE);
            }
            Opt::MissingArgument(_) => usage_as("setlock", SETLOCK_USAGE),
        }
    }
    let (file, command) = operand_and_command(&args[first..], "setlock", SETLOCK_USAGE);
    take_lock(file, wait, quiet);
    exec(command, None, &[], quiet)
}

/// `softlimit [-acdflmoprst n] child...`: soft limits, then exec.
pub fn softlimit(names: &Names, args: &[OsString]) -> i32 {
    let (opts, first) = parse(args, "a:c:d:f:l:m:o:p:r:s:t:");
    let mut limits = Limits::default();
    for opt in opts {
        match opt {
            Opt::Flag(c, arg) => set_limit(names, &mut limits, c, &arg.unwrap_or_default()),
            Opt::Illegal(c) => {
                getopt_complaint(names, "illegal option", c);
                usage_as("softlimit", SOFTLIMIT_USAGE);
            }
            Opt::MissingArgument(c) => {
                getopt_complaint(names, "option requires an argument", c);
                usage_as("softlimit", SOFTLIMIT_USAGE);
            }
        }
    }
    let command = &args[first..];
    if command.is_empty() {
        usage_as("softlimit", SOFTLIMIT_USAGE);
    }
    apply_limits(&limits);
    exec(command, None, &[], false)
}

/// One softlimit option. A bad value prints chpst's own usage under the
/// name softlimit (doc/runit/quirks.md #31).
fn set_limit(names: &Names, limits: &mut Limits, c: u8, arg: &OsStr) {
    let value = if arg == "=" {
        HARD
    } else {
        match number(arg) {
            Ok(v) => v,
            Err(Refusal::Usage) | Err(_) => usage(names, USAGE),
        }
    };
    match c {
        b'a' => limits.address_space = value,
        b'c' => limits.core = value,
        b'd' => limits.data = value,
        b'f' => limits.fsize = value,
        b'l' => limits.memlock = value,
        b'm' => limits.set_memory(value),
        b'o' => limits.nofile = value,
        b'p' => limits.nproc = value,
        b'r' => limits.rss = value,
        b's' => limits.stack = value,
        _ => limits.cpu = value,
    }
}
