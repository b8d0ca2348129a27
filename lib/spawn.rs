//! The one way the suite starts a child: fork, then descriptor moves, default
//! dispositions, an empty signal mask, optional setsid and chdir, and execve.
//! Everything the child needs is built here, before the fork.

use crate::sys::{self, ChildPlan};
use nix::errno::Errno;
use nix::unistd::Pid;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::RawFd;

/// A child to start. Build it, then call [`Spawn::start`].
pub struct Spawn {
    candidates: Vec<CString>,
    argv: Vec<CString>,
    env: Option<Vec<CString>>,
    fds: Vec<(RawFd, RawFd)>,
    fd_error: Vec<u8>,
    fd_error_warns: bool,
    chdir: Option<(CString, Vec<u8>)>,
    new_session: bool,
    new_process_group: bool,
    exec_error: Vec<u8>,
    fail_code: i32,
    keep_blocked: Vec<libc::c_int>,
    silent_failure: bool,
}

/// A string as a C string; an interior NUL byte is an invalid argument.
pub fn cstring(s: impl AsRef<OsStr>) -> Result<CString, Errno> {
    CString::new(s.as_ref().as_bytes()).map_err(|_| Errno::EINVAL)
}

impl Spawn {
    /// Runs `path` (no PATH search) with `argv`.
    pub fn new<S: AsRef<OsStr>>(path: impl AsRef<OsStr>, argv: &[S]) -> Result<Spawn, Errno> {
        Ok(Spawn {
            candidates: vec![cstring(path)?],
            argv: argv.iter().map(cstring).collect::<Result<_, _>>()?,
            env: None,
            fds: Vec::new(),
            fd_error: Vec::new(),
            fd_error_warns: false,
            chdir: None,
            new_session: false,
            new_process_group: false,
            exec_error: Vec::new(),
            fail_code: 111,
            keep_blocked: Vec::new(),
            silent_failure: false,
        })
    }

    /// Runs `name` found through `path_var` the way execvp does (a name with a
    /// slash is used as is; an empty element means the current directory).
    pub fn search<S: AsRef<OsStr>>(
        name: &OsStr,
        path_var: Option<&OsStr>,
        argv: &[S],
    ) -> Result<Spawn, Errno> {
        let mut s = Spawn::new(name, argv)?;
        s.candidates = search_candidates(name, path_var)?;
        Ok(s)
    }

    /// Replaces the inherited environment with `vars` (`NAME=value` each).
    pub fn env(mut self, vars: Vec<CString>) -> Spawn {
        self.env = Some(vars);
        self
    }

    /// Makes `src` the child's descriptor `dst`.
    pub fn fd(mut self, src: RawFd, dst: RawFd) -> Spawn {
        self.fds.push((src, dst));
        self
    }

    /// Closes the child's descriptor `fd`.
    pub fn close(mut self, fd: RawFd) -> Spawn {
        self.fds.push((-1, fd));
        self
    }

    /// The message (errno text follows) when a descriptor move fails.
    pub fn on_fd_error(mut self, msg: Vec<u8>) -> Spawn {
        self.fd_error = msg;
        self
    }

    /// As [`Spawn::on_fd_error`], but the child only prints the message and
    /// goes on to exec.
    pub fn warn_on_fd_error(mut self, msg: Vec<u8>) -> Spawn {
        self.fd_error = msg;
        self.fd_error_warns = true;
        self
    }

    /// Changes to `dir` before exec; `msg` (errno text follows) on failure.
    pub fn chdir(mut self, dir: impl AsRef<OsStr>, msg: Vec<u8>) -> Result<Spawn, Errno> {
        self.chdir = Some((cstring(dir)?, msg));
        Ok(self)
    }

    pub fn new_session(mut self, yes: bool) -> Spawn {
        self.new_session = yes;
        self
    }

    /// Makes the child the leader of a new process group.
    pub fn new_process_group(mut self, yes: bool) -> Spawn {
        self.new_process_group = yes;
        self
    }

    /// The message (errno text follows) and exit code when exec fails.
    pub fn on_exec_error(mut self, msg: Vec<u8>, code: i32) -> Spawn {
        self.exec_error = msg;
        self.fail_code = code;
        self
    }

    /// Leaves `sig` blocked in the child (the mask is otherwise emptied).
    pub fn keep_blocked(mut self, sig: nix::sys::signal::Signal) -> Spawn {
        self.keep_blocked.push(sig as libc::c_int);
        self
    }

    /// Python's `os.spawnvp` on failure: every candidate is tried whatever
    /// the error, then the child exits `code` silently (my_init: 127).
    pub fn silent_exec_failure(mut self, code: i32) -> Spawn {
        self.silent_failure = true;
        self.fail_code = code;
        self
    }

    /// Forks and execs. The parent gets the pid; it must reap it.
    pub fn start(&self) -> Result<Pid, Errno> {
        let argv = sys::pointer_array(&self.argv);
        let envp = self.env.as_ref().map(|e| sys::pointer_array(e));
        let chdir = self
            .chdir
            .as_ref()
            .map(|(d, m)| (d.as_c_str(), m.as_slice()));
        sys::fork_exec(&ChildPlan {
            candidates: &self.candidates,
            argv: &argv,
            envp: envp.as_deref(),
            fds: &self.fds,
            fd_error: &self.fd_error,
            fd_error_warns: self.fd_error_warns,
            chdir,
            new_session: self.new_session,
            new_process_group: self.new_process_group,
            exec_error: &self.exec_error,
            fail_code: self.fail_code,
            keep_blocked: &self.keep_blocked,
            silent_failure: self.silent_failure,
        })
    }
}

/// The paths execvp would try for `name` under `path_var` (unset: /bin:/usr/bin).
pub fn search_candidates(name: &OsStr, path_var: Option<&OsStr>) -> Result<Vec<CString>, Errno> {
    let bytes = name.as_bytes();
    if bytes.contains(&b'/') {
        return Ok(vec![cstring(name)?]);
    }
    let path = path_var.map(|p| p.as_bytes()).unwrap_or(b"/bin:/usr/bin");
    path.split(|&b| b == b':')
        .map(|dir| {
            let mut full = Vec::with_capacity(dir.len() + 1 + bytes.len());
            if dir.is_empty() {
                full.extend_from_slice(b".");
            } else {
                full.extend_from_slice(dir);
            }
            full.push(b'/');
            full.extend_from_slice(bytes);
            CString::new(full).map_err(|_| Errno::EINVAL)
        })
        .collect()
}

/// Replaces the current process (no fork) with `name`, found like execvp
/// through `path_var`, with `argv` and exactly the environment `env`. Only
/// returns on failure, with the errno runit would report: ENOENT moves on,
/// EACCES/EPERM/EISDIR are remembered and the search goes on, anything else
/// ends it (chpst and its personalities).
pub fn exec_replace(
    name: &OsStr,
    path_var: Option<&OsStr>,
    argv: &[CString],
    env: &[CString],
) -> Errno {
    let candidates = match search_candidates(name, path_var) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut remembered = Errno::ENOENT;
    for path in &candidates {
        let Err(e) = nix::unistd::execve(path, argv, env);
        match e {
            Errno::ENOENT => {}
            Errno::EACCES | Errno::EPERM | Errno::EISDIR => remembered = e,
            other => return other,
        }
    }
    remembered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_search_candidates() {
        let c = search_candidates(OsStr::new("runsv"), Some(OsStr::new("/a::/b"))).unwrap();
        let c: Vec<_> = c.iter().map(|s| s.to_str().unwrap().to_string()).collect();
        assert_eq!(c, ["/a/runsv", "./runsv", "/b/runsv"]);
        let c = search_candidates(OsStr::new("./x"), None).unwrap();
        assert_eq!(c.len(), 1);
        let c = search_candidates(OsStr::new("x"), None).unwrap();
        assert_eq!(c[0].to_str().unwrap(), "/bin/x");
    }
}
