//! The release's multi-call binary in a distribution-less root filesystem,
//! booted as a container would be: a root holding only `runit-rs` and its
//! links, busybox-static for a shell, and an /etc/passwd and /etc/group;
//! `unshare --pid --fork --mount-proc` plus `chroot` make our runsvdir PID 1.
//! Services drop to a user of that passwd with `chpst -u` and log with
//! `svlogd -tt`; `sv status` works from outside, by path and through the
//! namespaces (as `docker exec` would); a SIGTERM to PID 1 (what `docker stop`
//! sends) stops everything, with every line in the logs and no process left.
//!
//! Needs the release build (scripts/build-release.sh, which scripts/test.sh
//! runs; RUNIT_RS_RELEASE_DIR points elsewhere) and busybox-static; in CI a
//! missing one is a failure (`crate::reference::unavailable`), elsewhere a
//! visible skip.

use crate::common;

use common::*;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const SLOW: Duration = Duration::from_secs(30);
/// Lines each service writes before it waits for TERM.
const LINES: usize = 2000;
const UID: u32 = 4321;

fn skip(why: &str) {
    crate::reference::unavailable("rootfs", why);
}

/// The release directory holding `runit-rs`.
fn release_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RUNIT_RS_RELEASE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release-multicall"));
    dir.join("runit-rs").exists().then_some(dir)
}

/// A busybox that runs without a dynamic loader.
fn static_busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| std::fs::read(p).is_ok_and(|b| is_static_elf64(&b)))
}

/// An ELF64 file without a PT_INTERP program header (no dynamic loader).
fn is_static_elf64(b: &[u8]) -> bool {
    let num = |at: usize, n: usize| -> Option<usize> {
        let bytes = b.get(at..at + n)?;
        Some(bytes.iter().rev().fold(0, |v, &x| v << 8 | usize::from(x)))
    };
    let check = || -> Option<bool> {
        if b.get(..5)? != b"\x7fELF\x02" {
            return Some(false);
        }
        let (phoff, phentsize, phnum) = (num(0x20, 8)?, num(0x36, 2)?, num(0x38, 2)?);
        for i in 0..phnum {
            if num(phoff + i * phentsize, 4)? == 3 {
                return Some(false);
            }
        }
        Some(true)
    };
    check().unwrap_or(false)
}

fn lines_of(cmd: &Path, arg: &str) -> Vec<String> {
    let mut c = clean_command(cmd);
    c.arg(arg);
    let (o, e, code) = text(&run(c));
    assert_eq!(code, 0, "{} {arg}: {e}", cmd.display());
    o.lines().map(String::from).collect()
}

/// The service body, run as the unprivileged user.
fn body(name: &str) -> String {
    format!(
        "trap 'echo {name} got TERM; exit 0' TERM; i=0; while [ $i -lt {LINES} ]; do i=$((i+1)); echo \"{name} line $i\"; done; echo \"{name} uid $(id -u) gid $(id -g)\"; while :; do sleep 0.05; done"
    )
}

fn build_root(root: &Path, release: &Path, busybox: &Path, services: &str) {
    for d in ["bin", "sbin", "etc", "proc", "usr/bin", services] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // my_init starts runsvdir by this path, as phusion's does.
    symlink("../../bin/runit-rs", root.join("usr/bin/runsvdir")).unwrap();
    std::fs::copy(busybox, root.join("bin/busybox")).unwrap();
    for applet in ["sh", "sleep", "id", "cat", "ls"] {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let multi = release.join("runit-rs");
    std::fs::copy(&multi, root.join("bin/runit-rs")).unwrap();
    for path in lines_of(&multi, "--list") {
        let target = if path.starts_with("bin/") {
            "runit-rs"
        } else {
            "../bin/runit-rs"
        };
        symlink(target, root.join(&path)).unwrap();
    }
    for name in lines_of(&multi, "--personalities") {
        symlink("runit-rs", root.join("bin").join(name)).unwrap();
    }
    std::fs::write(
        root.join("etc/passwd"),
        format!("root:x:0:0:root:/:/bin/sh\nsvc:x:{UID}:{UID}:service:/:/bin/sh\n"),
    )
    .unwrap();
    std::fs::write(root.join("etc/group"), format!("root:x:0:\nsvc:x:{UID}:\n")).unwrap();
    for name in ["a", "b"] {
        let dir = root.join(services).join(name);
        // b also writes one line to runsvdir's readproctitle log.
        let title = if name == "b" {
            "echo b-to-title >&2\n"
        } else {
            ""
        };
        script(
            dir.join("run"),
            &format!(
                "#!/bin/sh\n{title}exec 2>&1\nexec chpst -u svc sh -c '{}'\n",
                body(name).replace('\'', "'\\''")
            ),
        );
        script(
            dir.join("log/run"),
            "#!/bin/sh\nexec chpst -u svc svlogd -tt ./main\n",
        );
        let main = dir.join("log/main");
        std::fs::create_dir_all(&main).unwrap();
        nix::unistd::chown(
            &main,
            Some(nix::unistd::Uid::from_raw(UID)),
            Some(nix::unistd::Gid::from_raw(UID)),
        )
        .unwrap();
    }
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

fn tree(pid: i32) -> Vec<i32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        all.extend(children(all[i]));
        i += 1;
    }
    all
}

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The log's lines with their `-tt` stamps checked and removed.
fn unstamped(current: &str) -> Vec<String> {
    current
        .lines()
        .map(|l| {
            let (stamp, rest) = l.split_once(' ').unwrap_or(("", l));
            let shape = stamp.len() > 20
                && stamp.as_bytes()[4] == b'-'
                && stamp.as_bytes()[10] == b'_'
                && stamp.as_bytes()[19] == b'.';
            assert!(shape, "not an svlogd -tt stamp: {l:?}");
            rest.to_string()
        })
        .collect()
}

/// What runs as PID 1, and where it keeps its services.
#[derive(Clone, Copy, PartialEq)]
enum Init {
    /// `runsvdir --graceful /service`
    Runsvdir,
    /// `my_init` (phusion's, compiled): runsvdir -P /etc/service under it.
    MyInit,
}

impl Init {
    fn services(self) -> &'static str {
        match self {
            Init::Runsvdir => "service",
            Init::MyInit => "etc/service",
        }
    }
}

#[test]
fn boots_a_minimal_root_as_pid1_and_stops_cleanly() {
    boot_and_stop(Init::Runsvdir);
}

#[test]
fn boots_a_minimal_root_under_my_init_and_stops_cleanly() {
    boot_and_stop(Init::MyInit);
}

fn boot_and_stop(init: Init) {
    if !nix::unistd::geteuid().is_root() {
        return skip("needs root (chroot, PID namespace)");
    }
    let Some(release) = release_dir() else {
        return skip("no release build (run scripts/build-release.sh)");
    };
    let Some(busybox) = static_busybox() else {
        return skip("busybox-static is not installed");
    };
    // A whole root filesystem booted in a PID namespace (tests/it/README.md).
    let _serial = common::serial();
    let t = TestDir::new("rootfs");
    let root = t.join("root");
    build_root(&root, &release, &busybox, init.services());

    let mut c = clean_command("/usr/bin/unshare");
    c.arg("--pid")
        .arg("--fork")
        .arg(format!("--mount-proc={}", root.join("proc").display()))
        .args(["/usr/sbin/chroot"])
        .arg(&root);
    match init {
        Init::Runsvdir => c
            .args(["/bin/runsvdir", "--graceful", "/service"])
            .arg(format!("log: {}", ".".repeat(80))),
        Init::MyInit => c.args(["/sbin/my_init"]),
    };
    c.env("PATH", "/bin:/sbin")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(t.join("stderr")).unwrap());
    let mut p = Proc::start(c);
    let mut pid1 = 0;
    let booted = wait_until(SLOW, || {
        pid1 = children(p.pid()).first().copied().unwrap_or(0);
        let argv = cmdline(pid1);
        pid1 != 0
            && match init {
                Init::Runsvdir => argv.get(1).map(String::as_str) == Some("--graceful"),
                Init::MyInit => argv.first().map(String::as_str) == Some("/sbin/my_init"),
            }
    });
    assert!(booted, "PID 1 did not start: {}", read(&t.join("stderr")));

    let svc = root.join(init.services());
    for name in ["a", "b"] {
        let log = svc.join(name).join("log/main/current");
        let done = format!("{name} uid {UID} gid {UID}");
        assert!(
            wait_until(SLOW, || read(&log).contains(&done)),
            "{name} did not run as svc: {:?}",
            read(&log)
        );
    }

    // sv from outside, by path: the static binary runs from the image.
    let sv = root.join("bin/sv");
    let mut c = clean_command(&sv);
    c.arg("status").arg(svc.join("a"));
    let (o, e, code) = text(&run(c));
    assert_eq!(code, 0, "{e}");
    let want = format!("run: {}: (pid ", svc.join("a").display());
    assert!(
        o.starts_with(&want) && o.contains("; run: log: (pid "),
        "{o}"
    );

    // sv inside the namespaces, as `docker exec` runs it.
    let mut c = clean_command("/usr/bin/nsenter");
    c.args(["-t", &pid1.to_string(), "-p", "-m", "-r", "-w"])
        .args(["/bin/sv", "status"])
        .arg(format!("/{}/b", init.services()))
        .env("PATH", "/bin:/sbin");
    let (o, e, code) = text(&run(c));
    assert_eq!(code, 0, "{e}");
    let want = format!("run: /{}/b: (pid ", init.services());
    assert!(o.starts_with(&want), "{o}");

    // ps and pkill -f see each runsv as with runit: `runsv NAME`, and the
    // one file behind every program.
    let procs = tree(pid1);
    let runsv_pids: Vec<i32> = procs
        .iter()
        .copied()
        .filter(|&q| cmdline(q).first().map(String::as_str) == Some("runsv"))
        .collect();
    let mut runsvs: Vec<String> = runsv_pids.iter().map(|&q| cmdline(q).join(" ")).collect();
    runsvs.sort();
    assert_eq!(runsvs, ["runsv a", "runsv b"]);
    for q in runsv_pids {
        // `ps -e` and `pkill runsv` match the command name.
        assert_eq!(read(Path::new(&format!("/proc/{q}/comm"))), "runsv\n");
    }
    let exe = std::fs::read_link(format!("/proc/{pid1}/exe")).unwrap();
    assert!(exe.ends_with("bin/runit-rs"), "{}", exe.display());

    match init {
        // runsvdir's readproctitle log, rewritten in place in PID 1's argv.
        Init::Runsvdir => assert!(
            wait_until(SLOW, || cmdline(pid1)
                .last()
                .is_some_and(|l| l.contains("b-to-title"))),
            "title: {:?}",
            cmdline(pid1)
        ),
        // my_init starts `/usr/bin/runsvdir -P /etc/service` without a log
        // argument: a service's stderr reaches my_init's.
        Init::MyInit => {
            let runsvdir: Vec<Vec<String>> = procs
                .iter()
                .map(|&q| cmdline(q))
                .filter(|a| a.first().map(String::as_str) == Some("/usr/bin/runsvdir"))
                .collect();
            assert_eq!(runsvdir, [["/usr/bin/runsvdir", "-P", "/etc/service"]]);
            assert!(
                wait_until(SLOW, || read(&t.join("stderr")).contains("b-to-title\n")),
                "{}",
                read(&t.join("stderr"))
            );
        }
    }

    // docker stop: SIGTERM to PID 1 from outside.
    let procs = tree(pid1);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid1),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = p.wait_exit();
    // my_init's answer to a TERM is phusion's: "Init system aborted.", exit 2.
    let code = if init == Init::MyInit { 2 } else { 0 };
    assert_eq!(status.code(), Some(code), "{}", read(&t.join("stderr")));
    if init == Init::MyInit {
        let stderr = read(&t.join("stderr"));
        assert!(stderr.contains("*** Init system aborted.\n"), "{stderr}");
        assert!(
            stderr.ends_with("*** Killing all processes...\n"),
            "{stderr}"
        );
    }
    assert!(
        wait_until(SLOW, || procs
            .iter()
            .all(|q| !Path::new(&format!("/proc/{q}")).exists())),
        "processes left"
    );

    for name in ["a", "b"] {
        let dir = svc.join(name).join("log/main");
        let mut want: Vec<String> = (1..=LINES).map(|i| format!("{name} line {i}")).collect();
        want.push(format!("{name} uid {UID} gid {UID}"));
        want.push(format!("{name} got TERM"));
        assert_eq!(unstamped(&read(&dir.join("current"))), want, "{name}'s log");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(dir.join("current")).unwrap().uid(),
            UID,
            "svlogd ran as svc"
        );
    }
}
