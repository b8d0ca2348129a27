//! svlogd's extensions (not in runit): config lines `1` and `2` copy every
//! line written to a directory, whole, to standard output or standard error
//! without ever holding up the log; `-T` writes RFC 3339 stamps in local
//! time. Without them, the same runs match Debian's svlogd.
use crate::common;
use crate::svlogd_support;

use common::{clean_command, ours, theirs_or_skip, wait_until, Proc, TestDir};
use std::fs;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use svlogd_support::run_file;

/// `svlogd ARGS` in `dir` (environment: PATH and `env`), stdin from `input`,
/// stderr into `dir/err`.
fn svlogd(bin: &Path, dir: &TestDir, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = clean_command(bin);
    cmd.arg0("svlogd")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&dir.path)
        .stdin(fs::File::open(dir.join("input")).unwrap())
        .stderr(fs::File::create(dir.join("err")).unwrap());
    cmd
}

/// Runs `cmd` to its exit (60 s at most) and returns the exit code.
fn finish(cmd: Command) -> i32 {
    let mut p = Proc::start(cmd);
    let mut status = None;
    let done = wait_until(Duration::from_secs(60), || {
        status = p.try_exit();
        status.is_some()
    });
    assert!(done, "svlogd did not finish");
    status.and_then(|s| s.code()).unwrap_or(-1)
}

fn setup(test: &str, dirs: &[(&str, &str)], input: &[u8]) -> TestDir {
    let dir = TestDir::new(test);
    for (name, config) in dirs {
        fs::create_dir_all(dir.join(name)).unwrap();
        fs::write(dir.join(name).join("config"), config).unwrap();
    }
    fs::write(dir.join("input"), input).unwrap();
    dir
}

fn read(p: impl AsRef<Path>) -> String {
    String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned()
}

fn numbered(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("line {i:06}\n").into_bytes())
        .collect()
}

#[test]
fn copies_are_the_lines_written_whole_with_stamp_and_prefix() {
    let input = b"short\nlonger than ten bytes\ndrop this one\nlast\n";
    let dir = setup(
        "extras-copy",
        &[("d", "1\np>> \n-drop*\n"), ("e", "2\ne*longer*\n")],
        input,
    );
    let mut cmd = svlogd(&ours("svlogd"), &dir, &["-l", "10", "-tt", "d", "e"], &[]);
    cmd.stdout(fs::File::create(dir.join("out")).unwrap());
    assert_eq!(finish(cmd), 0);
    let d = read(dir.join("d/current"));
    let e = read(dir.join("e/current"));
    assert_eq!(d.lines().count(), 3, "{d}");
    assert!(d.contains(">> longer than ten bytes\n"), "{d}");
    // Standard output: exactly what d's file holds.
    assert_eq!(read(dir.join("out")), d);
    // Standard error: e's `e` copy (cut at 10 bytes, runit's) and its
    // whole copies of every line.
    let err = read(dir.join("err"));
    let cut: Vec<&str> = err.lines().filter(|l| l.ends_with("...")).collect();
    let whole: Vec<String> = err
        .lines()
        .filter(|l| !l.ends_with("..."))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(cut.len(), 1, "{err}");
    assert!(cut[0].ends_with(" longer tha..."), "{err}");
    assert_eq!(whole.concat(), e, "{err}");
}

#[test]
fn a_reader_that_does_not_read_never_holds_up_the_log() {
    let n = 20_000;
    let dir = setup("extras-full", &[("d", "1\ns0\n")], &numbered(n));
    let (r, w): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    let mut cmd = svlogd(&ours("svlogd"), &dir, &["d"], &[]);
    cmd.stdout(Stdio::from(w));
    // The pipe is never read while svlogd runs: it must still finish.
    assert_eq!(finish(cmd), 0);
    let file = read(dir.join("d/current"));
    assert_eq!(file.as_bytes(), numbered(n));
    let mut got = String::new();
    fs::File::from(r).read_to_string(&mut got).unwrap();
    // Whole lines, the first ones, in order.
    assert!(got.ends_with('\n') && file.starts_with(&got), "{got}");
    let copied = got.lines().count();
    let err = read(dir.join("err"));
    let dropped = format!(
        "svlogd: warning: copy to standard output: dropped {} lines\n",
        n - copied
    );
    assert_eq!(err, dropped);
}

#[test]
fn a_gone_reader_or_a_closed_stdout_turns_the_copy_off() {
    let n = 3000;
    // The reader has gone before svlogd starts: no SIGPIPE death.
    let dir = setup("extras-gone", &[("d", "1\n")], &numbered(n));
    let (r, w): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    drop(r);
    let mut cmd = svlogd(&ours("svlogd"), &dir, &["d"], &[]);
    cmd.stdout(Stdio::from(w));
    assert_eq!(finish(cmd), 0);
    assert_eq!(fs::read(dir.join("d/current")).unwrap(), numbered(n));
    assert_eq!(
        read(dir.join("err")),
        "svlogd: warning: unable to copy to standard output: broken pipe\n"
    );
    // Standard output closed at start: the Rust runtime opens /dev/null
    // there before main, so no file svlogd opens can take descriptor 1.
    let dir = setup("extras-closed", &[("d", "1\n")], &numbered(n));
    let mut cmd = clean_command("/bin/sh");
    cmd.args(["-c", "exec \"$0\" d >&-", ours("svlogd").to_str().unwrap()])
        .current_dir(&dir.path)
        .stdin(fs::File::open(dir.join("input")).unwrap())
        .stderr(fs::File::create(dir.join("err")).unwrap());
    assert_eq!(finish(cmd), 0);
    assert_eq!(fs::read(dir.join("d/current")).unwrap(), numbered(n));
    assert_eq!(read(dir.join("err")), "");
}

#[test]
fn runit_ignores_the_copy_lines() {
    let input = numbered(50);
    let plain = "s200\nn3\n";
    let with_copies = "s200\nn3\n1\n2\n";
    let ours_plain = run_file(
        &ours("svlogd"),
        "extras-plain",
        &["-v"],
        &["d"],
        Some(plain),
        &input,
    );
    let Some(theirs) = theirs_or_skip("svlogd", "runit_ignores_the_copy_lines") else {
        return;
    };
    let theirs_plain = run_file(
        &theirs,
        "extras-plain-r",
        &["-v"],
        &["d"],
        Some(plain),
        &input,
    );
    let theirs_copies = run_file(
        &theirs,
        "extras-cp-r",
        &["-v"],
        &["d"],
        Some(with_copies),
        &input,
    );
    assert_eq!(ours_plain, theirs_plain);
    // Same files (but config), same messages: runit skips lines it does
    // not know, silently.
    let masked = theirs_copies.replace("\n1\n2\n", "\n");
    assert_eq!(masked, theirs_plain);
}

/// The stamp of each line `svlogd -T` writes for `input` under `tz`.
fn stamps(test: &str, tz: Option<&str>, args: &[&str]) -> Vec<String> {
    let dir = setup(test, &[("d", "")], b"one\ntwo\n");
    let env: Vec<(&str, &str)> = tz.map(|t| ("TZ", t)).into_iter().collect();
    let mut all = args.to_vec();
    all.push("d");
    let mut cmd = svlogd(&ours("svlogd"), &dir, &all, &env);
    cmd.stdout(Stdio::null());
    assert_eq!(finish(cmd), 0);
    assert_eq!(read(dir.join("err")), "");
    read(dir.join("d/current"))
        .lines()
        .map(|l| {
            let (stamp, text) = l.split_once(' ').unwrap();
            assert!(text == "one" || text == "two", "{l}");
            stamp.to_string()
        })
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SS.uuuuuu±hh:mm`: returns the offset.
fn rfc3339_offset(s: &str) -> &str {
    let shape = "dddd-dd-ddTdd:dd:dd.dddddd";
    assert_eq!(s.len(), shape.len() + 6, "{s}");
    for (c, k) in s.chars().zip(shape.chars()) {
        assert!(if k == 'd' { c.is_ascii_digit() } else { c == k }, "{s}");
    }
    let off = &s[shape.len()..];
    let b = off.as_bytes();
    assert!(b[0] == b'+' || b[0] == b'-', "{s}");
    assert!(
        b[1..3].iter().chain(&b[4..6]).all(u8::is_ascii_digit) && b[3] == b':',
        "{s}"
    );
    off
}

#[test]
fn rfc3339_stamps_in_local_time() {
    // POSIX TZ strings (no time zone database needed): the sign is reversed.
    for (tz, want) in [
        ("ABC-5:30", "+05:30"),
        ("XYZ+3", "-03:00"),
        ("UTC0", "+00:00"),
    ] {
        let s = stamps("extras-tz", Some(tz), &["-T"]);
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| rfc3339_offset(s) == want), "{tz}: {s:?}");
    }
    // -T wins over any -t.
    let s = stamps("extras-tz-t", Some("ABC-1"), &["-ttt", "-T", "-t"]);
    assert!(s.iter().all(|s| rfc3339_offset(s) == "+01:00"), "{s:?}");
    // Nonsense in TZ: the C library's fallback, UTC; never a failure.
    for tz in ["", "::::", "/nonexistent/zone", "A"] {
        let s = stamps("extras-tz-bad", Some(tz), &["-T"]);
        assert!(
            s.iter().all(|s| rfc3339_offset(s) == "+00:00"),
            "{tz:?}: {s:?}"
        );
    }
    // A zone file, when the system has one.
    if Path::new("/usr/share/zoneinfo/Asia/Kolkata").exists() {
        let s = stamps(
            "extras-tz-file",
            Some(":/usr/share/zoneinfo/Asia/Kolkata"),
            &["-T"],
        );
        assert!(s.iter().all(|s| rfc3339_offset(s) == "+05:30"), "{s:?}");
    }
    // Under TZ=UTC0 the date is today's UTC date (taken before and after).
    let before = civil_today();
    let s = stamps("extras-tz-utc", Some("UTC0"), &["-T"]);
    let after = civil_today();
    assert!(
        s[0][..10] == before || s[0][..10] == after,
        "{s:?} {before}"
    );
}

/// Today's UTC date `YYYY-MM-DD`, from the system's `date`.
fn civil_today() -> String {
    let o = clean_command("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn runit_refuses_dash_t_capital() {
    let dir = setup("extras-usage", &[("d", "")], b"");
    let mut cmd = svlogd(&ours("svlogd"), &dir, &["-T", "-x", "d"], &[]);
    cmd.stdout(Stdio::null());
    assert_eq!(finish(cmd), 111);
    let usage = "usage: svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n";
    assert_eq!(
        read(dir.join("err")),
        format!("svlogd: illegal option -- x\n{usage}")
    );
    // Debian's svlogd does not know -T: a run script using it is ours only.
    if let Some(theirs) = theirs_or_skip("svlogd", "rfc3339_usage") {
        let mut cmd = svlogd(&theirs, &dir, &["-T", "d"], &[]);
        cmd.stdout(Stdio::null());
        assert_eq!(finish(cmd), 111);
        assert_eq!(
            read(dir.join("err")),
            format!("svlogd: illegal option -- T\n{usage}")
        );
    }
}
