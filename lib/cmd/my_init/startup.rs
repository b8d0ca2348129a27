//! Startup files: the reference's path joining and executable test, and the
//! extra wait until every service is up before the main command.

use super::init::{Flow, Unwind};
use super::services::{self, Probe};
use super::MyInit;
use crate::spawn::Spawn;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `os.path.join(dir, name)`.
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() && p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// `os.path.isfile(path) and os.access(path, os.X_OK)`: a regular file
/// (symlinks followed) that the real user may execute.
pub fn is_exe(path: &[u8]) -> bool {
    let p = Path::new(OsStr::from_bytes(path));
    p.is_file() && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok()
}

/// How often services with a `check` script are looked at again (their
/// readiness announces itself through no file).
const CHECK_AGAIN: Duration = Duration::from_millis(100);

/// sv check's `u` condition: runsv running, pid set, state run, and the
/// `check` script (if any) exits 0.
fn up(svc: &Path) -> (bool, bool) {
    let has_check = svc.join("check").exists();
    let running = matches!(services::probe(svc), Probe::Record(s) if s.pid != 0 && s.state == 1);
    if !running {
        return (false, has_check);
    }
    if !has_check {
        return (true, false);
    }
    (run_check(svc), true)
}

/// Runs `./check` in the service directory, stdout closed, and waits for it
/// (blocking: it is the only child we care about at that moment; others are
/// reaped by the next wait).
fn run_check(svc: &Path) -> bool {
    let started = Spawn::new("./check", &["./check"])
        .and_then(|s| s.chdir(svc, b"unable to change directory: ".to_vec()))
        .map(|s| {
            s.close(1)
                .on_exec_error(b"unable to run check: ".to_vec(), 111)
        })
        .and_then(|s| s.start());
    match started {
        Ok(pid) => matches!(crate::proc::wait_for(pid), Ok(w) if (w >> 8) & 0xff == 0),
        Err(_) => false,
    }
}

pub fn wait_for_services(m: &mut MyInit) -> Flow {
    let dir = Path::new(services::SERVICE_DIR);
    let t = m
        .settings
        .wait_for_services_timeout
        .clamp(0, u32::MAX as i64) as u64;
    let deadline = Instant::now() + Duration::from_secs(t);
    let mut watched: Vec<PathBuf> = Vec::new();
    loop {
        let mut waiting: Vec<PathBuf> = Vec::new();
        let mut recheck = false;
        for svc in services::list(dir) {
            if !watched.contains(&svc) {
                // Not watchable until runsv has made supervise/.
                if m.init.watch_dir(&svc.join("supervise")) {
                    watched.push(svc.clone());
                } else {
                    recheck = true;
                }
            }
            let (ok, has_check) = up(&svc);
            if !ok {
                recheck |= has_check;
                waiting.push(svc);
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            let names: Vec<String> = waiting
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            m.init.warn(&format!(
                "Timed out waiting for services to be up: {}",
                names.join(" ")
            ));
            return Err(Unwind::Exit(1));
        }
        let mut next = deadline;
        if recheck || !m.init.watching() {
            next = next.min(now + CHECK_AGAIN);
        }
        m.init.wait_event(Some(next), true)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_like_os_path_join() {
        assert_eq!(join(b"/etc/my_init.d", b"a"), b"/etc/my_init.d/a");
        assert_eq!(join(b"/etc/my_init.d/", b"a"), b"/etc/my_init.d/a");
        assert_eq!(join(b"", b"a"), b"a");
    }

    #[test]
    fn executable_regular_files_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("my_init_exe_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::set_permissions(dir.join("sub"), std::fs::Permissions::from_mode(0o755)).unwrap();
        for (name, mode) in [("x", 0o755), ("plain", 0o644)] {
            std::fs::write(dir.join(name), "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(mode))
                .unwrap();
        }
        std::os::unix::fs::symlink(dir.join("x"), dir.join("link")).unwrap();
        let p = |n: &str| dir.join(n).into_os_string().into_vec();
        use std::os::unix::ffi::OsStringExt;
        assert!(is_exe(&p("x")) && is_exe(&p("link")));
        assert!(!is_exe(&p("sub")) && !is_exe(&p("missing")));
        if !nix::unistd::getuid().is_root() {
            assert!(!is_exe(&p("plain")));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
