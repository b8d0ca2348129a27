//! setuser: phusion/baseimage's `setuser USERNAME COMMAND [args..]`, a small
//! sudo without a terminal. Same observable behaviour as the Python original:
//!
//! - fewer than two operands: its usage line, exit 1; no option parsing at all;
//! - an unknown account: `setuser: user NAME not found`, exit 1;
//! - the account's groups from the group database (initgroups), its gid, its
//!   uid, verified before anything runs (uidgid's fail-closed drop);
//! - `USER` (the name as given), `HOME` (the account's directory) and `UID`
//!   set in the environment the way Python's `os.environ[...] =` does:
//!   replaced in place when present, appended in that order when not;
//! - the command found the way Python's `os.execvp` finds it (no shell
//!   fallback for scripts without `#!`; the first error other than "not
//!   found" wins), and a failure reported as
//!   `setuser: cannot execute CMD: [Errno N] <strerror>`, exit 1.
//!
//! Differences, on purpose: Python's start-up may add `LC_CTYPE=C.UTF-8` to
//! the environment (its locale coercion when no locale is set); we pass the
//! environment through untouched. Where the original dies with a Python
//! traceback (not root, so initgroups fails), we print one line and exit 1.

use crate::spawn;
use crate::uidgid::{self, DropError, LookupError};
use nix::errno::Errno;
use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "Usage: /sbin/setuser USERNAME COMMAND [args..]\n";

/// Every failure exits 1, as the original's `abort` does.
const EXIT_FAILURE: i32 = 1;

pub fn main(args: Vec<OsString>) -> i32 {
    crate::sys::restore_sigpipe();
    if args.len() < 3 {
        write_err(USAGE.as_bytes());
        return EXIT_FAILURE;
    }
    let user = &args[1];
    let (ids, account) = match uidgid::lookup_with_memberships(user) {
        Ok(found) => found,
        Err(LookupError::System(e)) => {
            abort(&[b"unable to read the user database: ", &python_error(e)])
        }
        Err(_) => abort(&[b"user ", user.as_bytes(), b" not found"]),
    };
    if let Err(e) = uidgid::drop_to(&ids) {
        let (what, errno): (&[u8], Errno) = match e {
            DropError::Groups(e) => (b"cannot set groups: ", e),
            DropError::Gid(e) => (b"cannot set gid: ", e),
            DropError::Uid(e) => (b"cannot set uid: ", e),
        };
        abort(&[what, &python_error(errno)]);
    }
    let mut env = crate::sys::environ_entries();
    set_var(&mut env, b"USER", user.as_bytes());
    set_var(&mut env, b"HOME", account.dir.as_os_str().as_bytes());
    set_var(&mut env, b"UID", ids.uid.to_string().as_bytes());
    let command = &args[2..];
    let errno = exec(command, env);
    abort(&[
        b"cannot execute ",
        command[0].as_bytes(),
        b": ",
        &python_error(errno),
    ])
}

/// `NAME=value` replaced where it stands, or appended (setenv's order).
fn set_var(env: &mut Vec<Vec<u8>>, name: &[u8], value: &[u8]) {
    let mut entry = Vec::with_capacity(name.len() + 1 + value.len());
    entry.extend_from_slice(name);
    entry.push(b'=');
    entry.extend_from_slice(value);
    let same = |e: &Vec<u8>| e.len() > name.len() && e.starts_with(name) && e[name.len()] == b'=';
    match env.iter().position(same) {
        Some(i) => env[i] = entry,
        None => env.push(entry),
    }
}

/// Python's `os.execvp`: a name with a slash is tried alone; otherwise every
/// PATH element in turn (unset PATH: `/bin:/usr/bin`), returning the first
/// error that is not ENOENT/ENOTDIR, else the last one.
fn exec(command: &[OsString], env: Vec<Vec<u8>>) -> Errno {
    let argv: Result<Vec<CString>, Errno> = command.iter().map(spawn::cstring).collect();
    let argv = match argv {
        Ok(a) => a,
        Err(e) => return e,
    };
    let env: Vec<CString> = env
        .into_iter()
        .filter_map(|e| CString::new(e).ok())
        .collect();
    let path = std::env::var_os("PATH");
    let candidates = match spawn::search_candidates(&command[0], path.as_deref()) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut first_other = None;
    let mut last = Errno::ENOENT;
    for candidate in &candidates {
        let Err(e) = nix::unistd::execve(candidate, &argv, &env);
        last = e;
        if e != Errno::ENOENT && e != Errno::ENOTDIR && first_other.is_none() {
            first_other = Some(e);
        }
    }
    first_other.unwrap_or(last)
}

/// `[Errno N] <strerror>`, the text Python gives an OSError from a system call.
fn python_error(errno: Errno) -> Vec<u8> {
    let code = errno as i32;
    let text = std::io::Error::from_raw_os_error(code).to_string();
    let suffix = format!(" (os error {code})");
    let text = text.strip_suffix(&suffix).unwrap_or(&text);
    format!("[Errno {code}] {text}").into_bytes()
}

/// `setuser: <parts>` and exit 1.
fn abort(parts: &[&[u8]]) -> ! {
    let mut line = b"setuser: ".to_vec();
    for p in parts {
        line.extend_from_slice(p);
    }
    line.push(b'\n');
    write_err(&line);
    std::process::exit(EXIT_FAILURE)
}

fn write_err(bytes: &[u8]) {
    let _ = std::io::stderr().lock().write_all(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_var_replaces_in_place_or_appends() {
        let mut env = vec![b"A=1".to_vec(), b"HOME=/x".to_vec(), b"HOMEX=2".to_vec()];
        set_var(&mut env, b"HOME", b"/root");
        set_var(&mut env, b"USER", b"u");
        assert_eq!(
            env,
            vec![
                b"A=1".to_vec(),
                b"HOME=/root".to_vec(),
                b"HOMEX=2".to_vec(),
                b"USER=u".to_vec()
            ]
        );
    }

    #[test]
    fn errors_read_like_python() {
        assert_eq!(
            python_error(Errno::ENOENT),
            b"[Errno 2] No such file or directory".to_vec()
        );
        assert_eq!(
            python_error(Errno::EACCES),
            b"[Errno 13] Permission denied".to_vec()
        );
    }
}
