//! Names that are not UTF-8 are printed as runit prints them: the bytes as
//! given, never U+FFFD. Ours is checked against the expected bytes; Debian's,
//! when installed, must agree.
mod common;

use common::{clean_command, ours, run, theirs, TestDir};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// stdout, stderr and exit code of `bin args` with `SVDIR` set to `svdir`.
fn raw(bin: &Path, args: &[&[u8]], svdir: &Path) -> (Vec<u8>, Vec<u8>, i32) {
    let mut c = clean_command(bin);
    c.args(args.iter().map(|a| OsStr::from_bytes(a)))
        .env("SVDIR", svdir)
        .current_dir(svdir);
    let o = run(c);
    (o.stdout, o.stderr, o.status.code().unwrap_or(-1))
}

/// Ours gives `expected`; Debian's program of the same name, if there, too.
fn same(program: &str, args: &[&[u8]], expected: (&[u8], &[u8], i32)) {
    let t = TestDir::new(&format!("msg-bytes-{program}"));
    let want = (expected.0.to_vec(), expected.1.to_vec(), expected.2);
    assert_eq!(raw(&ours(program), args, &t.path), want, "ours: {args:?}");
    match theirs(program) {
        Some(bin) => assert_eq!(raw(&bin, args, &t.path), want, "runit: {args:?}"),
        None => eprintln!("NOTE: Debian's {program} is not installed: ours only"),
    }
}

#[test]
fn sv_prints_service_names_as_bytes() {
    same(
        "sv",
        &[b"status", b"\xff\xfe"],
        (
            b"fail: \xff\xfe: unable to change to service directory: file does not exist\n",
            b"",
            1,
        ),
    );
    same(
        "sv",
        &[b"-\xff", b"status", b"x"],
        (
            b"",
            b"sv: illegal option -- \xff\nusage: sv [-v] [-w sec] command service ...\n\n",
            100,
        ),
    );
}

#[test]
fn runsv_prints_its_directory_as_bytes() {
    same(
        "runsv",
        &[b"/nonexistent\xff"],
        (
            b"",
            b"runsv /nonexistent\xff: fatal: unable to change to directory: file does not exist\n",
            111,
        ),
    );
}

#[test]
fn runsvchdir_and_utmpset_print_bytes() {
    // Debian's runsvchdir and utmpset are not compared here: the first
    // needs /etc/runit/runsvdir, and both are checked elsewhere.
    let t = TestDir::new("msg-bytes-runsvchdir");
    let (out, err, code) = raw(&ours("runsvchdir"), &[b".\xff"], &t.path);
    let bin = ours("runsvchdir");
    let expected = [
        bin.as_os_str().as_bytes(),
        b": fatal: .\xff: must not start with a dot.\n",
    ]
    .concat();
    assert_eq!((out, err, code), (Vec::new(), expected, 111));
    let (_, err, code) = raw(&ours("utmpset"), &[b"-\xff"], &t.path);
    assert!(err.starts_with(b"utmpset: illegal option -- \xff\nusage: "));
    assert_eq!(code, 1);
}
