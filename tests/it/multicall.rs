//! The multi-call binary `runit-rs`: chosen by the name it is run as (a
//! symbolic link), or by its first argument under its own name; its usage
//! listing; chpst through it still passes on what it inherited; runsvdir
//! through it still shows its readproctitle log in place.

use crate::common;

use common::*;
use runit::cli::multicall::{Place, PROGRAMS};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn multi() -> PathBuf {
    ours("runit-rs")
}

/// A directory with a link named `name` to runit-rs; returns the link.
fn link(t: &TestDir, name: &str) -> PathBuf {
    let dir = t.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let l = dir.join(name);
    if !l.exists() {
        symlink(multi(), &l).unwrap();
    }
    l
}

fn out(cmd: Command) -> (String, String, i32) {
    text(&run(cmd))
}

/// The programs' names, or the personalities'.
fn names(personalities: bool) -> Vec<&'static str> {
    PROGRAMS
        .iter()
        .filter(|p| (p.1 == Place::Personality) == personalities)
        .map(|p| p.0)
        .collect()
}

fn listing() -> String {
    format!(
        "usage: runit-rs program [args...]\n       program [args...]   (run through a link named program)\n       runit-rs --list | --personalities\nprograms: {}\nchpst personalities: {}\n",
        names(false).join(" "),
        names(true).join(" ")
    )
}

/// runit's seven programs and chpst's six names come first; programs added
/// later (my_init, setuser) follow.
#[test]
fn the_table_holds_the_whole_suite() {
    assert!(names(false).starts_with(&[
        "runsvdir",
        "runsv",
        "sv",
        "chpst",
        "svlogd",
        "runsvchdir",
        "utmpset"
    ]));
    assert_eq!(
        names(true),
        [
            "envdir",
            "envuidgid",
            "pgrphack",
            "setuidgid",
            "setlock",
            "softlimit"
        ]
    );
}

#[test]
fn own_name_lists_programs_or_runs_the_named_one() {
    assert_eq!(out(clean_command(multi())), (String::new(), listing(), 100));
    let mut c = clean_command(multi());
    c.arg("nosuch");
    assert_eq!(
        out(c),
        (
            String::new(),
            format!("runit-rs: unknown program: nosuch\n{}", listing()),
            100
        )
    );
    let mut c = clean_command(multi());
    c.arg("--list");
    let list = out(c).0;
    assert!(
        list.starts_with(
            "bin/runsvdir\nbin/runsv\nbin/sv\nbin/chpst\nbin/svlogd\nsbin/runsvchdir\nsbin/utmpset\n"
        ),
        "{list}"
    );
    assert_eq!(list.lines().count(), names(false).len());
    let mut c = clean_command(multi());
    c.arg("--personalities");
    assert_eq!(out(c).0, names(true).join("\n") + "\n");
    // `runit-rs runsv` is runsv, named as such in its usage line.
    let mut c = clean_command(multi());
    c.arg("runsv");
    assert_eq!(out(c), (String::new(), "usage: runsv dir\n\n".into(), 1));
    let mut c = clean_command(multi());
    c.args(["chpst", "-u", "root", "true"]);
    assert_eq!(out(c).2, 0);
}

#[test]
fn a_link_runs_as_the_program_it_is_named_after() {
    let t = TestDir::new("multicall-link");
    let runsv = link(&t, "runsv");
    assert_eq!(
        out(clean_command(&runsv)),
        (
            String::new(),
            format!("usage: {} dir\n\n", runsv.display()),
            1
        )
    );
    let mut c = clean_command(link(&t, "dsetlock"));
    c.arg(t.join("lock"));
    assert_eq!(
        out(c).1,
        "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n"
    );
    let mut c = clean_command(link(&t, "sv"));
    c.args(["status", t.path.to_str().unwrap()]);
    let (o, _, code) = out(c);
    assert_eq!(code, 1, "{o}");
}

#[test]
fn chpst_through_a_link_passes_on_what_it_inherited() {
    let t = TestDir::new("multicall-chpst");
    let chpst = link(&t, "chpst");
    // An ignored SIGPIPE and a closed stdin reach the program unchanged.
    let mut c = clean_command("/bin/sh");
    c.arg("-c").arg(format!(
        "trap '' PIPE; exec <&- {} sh -c 'grep SigIgn /proc/self/status; ls /proc/$$/fd'",
        chpst.display()
    ));
    let (o, e, code) = out(c);
    assert_eq!(code, 0, "{e}");
    let ign = o
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .expect("SigIgn");
    assert_eq!(
        u64::from_str_radix(ign, 16).unwrap() & 0x1000,
        0x1000,
        "{o}"
    );
    assert!(!o.lines().any(|l| l == "0"), "stdin reopened: {o}");
    // And a default SIGPIPE stays default.
    let mut c = clean_command(&chpst);
    c.args(["sh", "-c", "grep SigIgn /proc/self/status"]);
    let (o, _, _) = out(c);
    let ign = o.trim().strip_prefix("SigIgn:\t").expect("SigIgn");
    assert_eq!(u64::from_str_radix(ign, 16).unwrap() & 0x1000, 0, "{o}");
}

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[test]
fn runsvdir_under_the_own_name_rewrites_its_log_argument() {
    let t = TestDir::new("multicall-title");
    script(
        t.join("sv/a/run"),
        "#!/bin/sh\necho multicall-title >&2\nexec sleep 1000\n",
    );
    let placeholder = format!("log: {}", ".".repeat(40));
    let mut c = clean_command(multi());
    c.args(["runsvdir", "sv", &placeholder])
        .current_dir(&t.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let p = Proc::start(c);
    let pid = p.pid();
    let shown = wait_until(DEADLINE, || {
        cmdline(pid)
            .get(3)
            .is_some_and(|a| a.contains("multicall-title"))
    });
    let args = cmdline(pid);
    assert!(shown, "{args:?}");
    assert_eq!(&args[..3], &[multi().to_str().unwrap(), "runsvdir", "sv"]);
    assert_eq!(args[3].len(), placeholder.len());
    assert!(Path::new(&t.join("sv/a/supervise")).exists());
}

/// sv's LSB init-script mode through a link to the sv link
/// (`/etc/init.d/NAME -> /usr/bin/sv -> runit-rs`): the same output and exit
/// code as runit's sv linked the same way.
#[test]
fn an_init_script_link_to_sv_is_sv_in_lsb_mode() {
    let t = TestDir::new("multicall-lsb");
    let sv = link(&t, "sv");
    std::fs::create_dir_all(t.join("init.d")).unwrap();
    std::fs::create_dir_all(t.join("svdir")).unwrap();
    symlink(&sv, t.join("init.d/foo")).unwrap();
    let lsb = |script: &Path| {
        let mut c = clean_command(script);
        c.arg("status").env("SVDIR", t.join("svdir"));
        out(c)
    };
    let ours = lsb(&t.join("init.d/foo"));
    assert_eq!(
        ours,
        (
            "fail: foo: unable to change to service directory: file does not exist\n".into(),
            String::new(),
            1
        )
    );
    // Also when found through PATH.
    let mut c = clean_command("foo");
    c.arg("status").env("SVDIR", t.join("svdir")).env(
        "PATH",
        format!("{}:/usr/bin:/bin", t.join("init.d").display()),
    );
    assert_eq!(out(c), ours);
    if let Some(theirs) = theirs_or_skip("sv", "an_init_script_link_to_sv_is_sv_in_lsb_mode") {
        std::fs::create_dir_all(t.join("ref")).unwrap();
        symlink(theirs, t.join("ref/foo")).unwrap();
        assert_eq!(lsb(&t.join("ref/foo")), ours);
    }
}
