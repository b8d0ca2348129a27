//! Carrying out a chpst plan, each change in runit's order (doc/runit/chpst.md §3),
//! and the steps the personalities share. Every failure is fatal before
//! anything is executed: the program never runs with a half-changed state.

use super::options::Plan;
use super::{fatal, fatal_err, warn_err};
use crate::envdir::{self, EnvdirError, Subdirs};
use crate::limits::{LimitError, Limits};
use crate::uidgid::{self, DropError, Ids, LookupError};
use crate::{lock, spawn, sys};
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::unistd;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, IntoRawFd};

/// Does everything `plan` asks, then execs its command. Returns only through
/// `exit` (fatal errors) or not at all.
pub fn carry_out(plan: Plan) -> i32 {
    if plan.new_session {
        let _ = unistd::setsid();
    }
    let mut staged = Vec::new();
    if let Some(dir) = &plan.env_dir {
        staged = read_envdir(dir, Subdirs::Skip, plan.verbose);
    }
    if let Some(root) = &plan.root {
        change_root(root);
    }
    if let Some(pwd) = &plan.pwd {
        change_dir(pwd);
    }
    if plan.nice != 0 {
        // runit passes its long to nice(int): the value is truncated.
        if let Err(e) = sys::nice(plan.nice as i32) {
            fatal_err(&[b"unable to set nice level"], e);
        }
    }
    if let Some(spec) = &plan.env_user {
        stage_ids(&mut staged, &lookup_spec(spec));
    }
    if let Some(spec) = &plan.set_user {
        drop_privileges(&lookup_spec(spec));
    }
    if let Some((file, wait)) = &plan.lock {
        take_lock(file, *wait, false);
    }
    close_std_fds(plan.close);
    apply_limits(&plan.limits);
    exec(&plan.command, plan.argv0.as_deref(), &staged, false)
}

/// Reads an envdir into staged changes, or dies with runit's message.
pub fn read_envdir(dir: &OsStr, subdirs: Subdirs, verbose: bool) -> Vec<Vec<u8>> {
    let d = dir.as_bytes();
    let mut warn_skip = |name: &OsStr| {
        if verbose {
            warn_err(
                &[b"unable to read ", d, b"/", name.as_bytes()],
                Errno::EISDIR,
            );
        }
    };
    match envdir::read(dir, subdirs, &mut warn_skip) {
        Ok(staged) => staged,
        Err(EnvdirError::Cwd(e)) => fatal_err(&[b"unable to open current working directory"], e),
        Err(EnvdirError::Switch(e)) => fatal_err(&[b"unable to switch to directory: ", d], e),
        Err(EnvdirError::Open(e)) => fatal_err(&[b"unable to open directory: ", d], e),
        Err(EnvdirError::ReadDir(e)) => fatal_err(&[b"unable to read directory: ", d], e),
        Err(EnvdirError::Read(name, e)) => {
            fatal_err(&[b"unable to read ", d, b"/", name.as_bytes()], e)
        }
    }
}

/// `-C pwd` (runit 2.2.0): the working directory, inside the new root if any.
fn change_dir(pwd: &OsStr) {
    if let Err(e) = unistd::chdir(pwd) {
        fatal_err(&[b"unable to change directory: ", pwd.as_bytes()], e);
    }
}

/// `-/ root`: into the directory, then make it the root.
fn change_root(root: &OsStr) {
    if let Err(e) = unistd::chdir(root) {
        fatal_err(&[b"unable to change directory: ", root.as_bytes()], e);
    }
    if let Err(e) = unistd::chroot(".") {
        fatal_err(&[b"unable to change root directory"], e);
    }
}

/// Resolves a `-u`/`-U` specification or dies.
fn lookup_spec(spec: &OsStr) -> Ids {
    match uidgid::lookup_spec(spec) {
        Ok(ids) => ids,
        Err(LookupError::Invalid) => fatal(&[b"invalid uid/gids: ", &spec.as_bytes()[1..]]),
        Err(LookupError::System(e)) => fatal_err(&[b"unable to get password/group file entry"], e),
        Err(LookupError::Unknown) => fatal(&[b"unknown user/group: ", spec.as_bytes()]),
    }
}

/// Resolves a bare account (setuidgid, envuidgid) or dies.
pub fn lookup_account(name: &OsStr) -> Ids {
    match uidgid::lookup_account(name) {
        Ok(ids) => ids,
        Err(LookupError::System(e)) => fatal_err(&[b"unable to get password file entry"], e),
        Err(_) => fatal(&[b"unknown account: ", name.as_bytes()]),
    }
}

/// Stages `GID` (the first group) and then `UID`, as runit does.
pub fn stage_ids(staged: &mut Vec<Vec<u8>>, ids: &Ids) {
    staged.push(format!("GID={}", ids.gid()).into_bytes());
    staged.push(format!("UID={}", ids.uid).into_bytes());
}

/// Drops to `ids` (uidgid's verified drop) or dies with runit's message.
pub fn drop_privileges(ids: &Ids) {
    match uidgid::drop_to(ids) {
        Ok(()) => {}
        Err(DropError::Groups(e)) => fatal_err(&[b"unable to setgroups"], e),
        Err(DropError::Gid(e)) => fatal_err(&[b"unable to setgid"], e),
        Err(DropError::Uid(e)) => fatal_err(&[b"unable to setuid"], e),
    }
}

/// Opens (creating, mode 0600) and flocks `file`, waiting or not, and leaves
/// the descriptor open and inheritable so that the program holds the lock.
/// With `quiet` (setlock -x) a failure exits 0 without a word.
pub fn take_lock(file: &OsStr, wait: bool, quiet: bool) {
    let quiet_exit = || -> ! { std::process::exit(0) };
    let f = match lock::open_lockfile(file) {
        Ok(f) => f,
        Err(_) if quiet => quiet_exit(),
        Err(e) => fatal_err(&[b"unable to open lock: ", file.as_bytes()], e),
    };
    let locked = if wait {
        lock::exclusive(&f)
    } else {
        lock::try_exclusive(&f)
    };
    let inheritable =
        locked.and_then(|()| fcntl(f.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty())).map(|_| ()));
    match inheritable {
        Ok(()) => {
            // Deliberately never closed: the program inherits it.
            let _ = f.into_raw_fd();
        }
        Err(_) if quiet => quiet_exit(),
        Err(e) => fatal_err(&[b"unable to lock: ", file.as_bytes()], e),
    }
}

/// `-0 -1 -2`, in that order.
fn close_std_fds(close: [bool; 3]) {
    let names: [&[u8]; 3] = [
        b"unable to close stdin",
        b"unable to close stdout",
        b"unable to close stderr",
    ];
    for (fd, msg) in names.iter().enumerate() {
        if close[fd] {
            if let Err(e) = unistd::close(fd as i32) {
                fatal_err(&[msg], e);
            }
        }
    }
}

/// Sets the requested soft limits or dies.
pub fn apply_limits(limits: &Limits) {
    match limits.apply() {
        Ok(()) => {}
        Err(LimitError::Get(e)) => fatal_err(&[b"unable to getrlimit()"], e),
        Err(LimitError::Set(e)) => fatal_err(&[b"unable to setrlimit()"], e),
    }
}

/// Execs `command` in place, found through the original PATH, with `argv[0]`
/// replaced by `argv0` if given and the staged changes applied to the
/// environment. On failure: `unable to run: <`argv[0]`>: <err>` and exit 111,
/// or with `quiet` (setlock -x) exit 0.
pub fn exec(command: &[OsString], argv0: Option<&OsStr>, staged: &[Vec<u8>], quiet: bool) -> ! {
    let shown: &OsStr = argv0.unwrap_or(&command[0]);
    let failed = |e: Errno| -> ! {
        if quiet {
            std::process::exit(0);
        }
        fatal_err(&[b"unable to run: ", shown.as_bytes()], e)
    };
    let mut argv = Vec::with_capacity(command.len());
    argv.push(spawn::cstring(shown).unwrap_or_else(|e| failed(e)));
    for a in &command[1..] {
        argv.push(spawn::cstring(a).unwrap_or_else(|e| failed(e)));
    }
    let env: Vec<CString> = envdir::apply(sys::environ_entries(), staged)
        .into_iter()
        .filter_map(|e| CString::new(e).ok())
        .collect();
    let path = std::env::var_os("PATH");
    failed(spawn::exec_replace(
        &command[0],
        path.as_deref(),
        &argv,
        &env,
    ))
}
