//! Inputs found by the fuzz targets in fuzz/ (scripts/fuzz.sh), kept as
//! ordinary tests: each failed once, and each states what runit does.
use crate::common;

use common::{ours, Proc, TestDir};
use runit::logdir::pattern::matches;
use std::path::Path;
use std::process::{Command, Stdio};

/// fuzz/logdir_pattern: runit's pmatch reads the pattern as a C string, so
/// a `+` at its very end repeats the terminating NUL. The line matches when
/// it is used up there and the byte after it in svlogd's buffer is NUL too
/// (or when only NULs are left in the line). Found with the pattern `+` and
/// a line of seven NULs.
#[test]
fn plus_at_the_end_of_a_pattern_repeats_its_nul() {
    assert!(matches(b"+", b"\0\0\0\0\0\0\0", 60));
    assert!(matches(b"x+", b"x", 0));
    assert!(matches(b"x+", b"x\0\0", b'a'));
    assert!(!matches(b"x+", b"x", b'a'));
    assert!(!matches(b"x+", b"xy", 0));
    // runit would read past the pattern's end here: no match.
    assert!(!matches(b"x+", b"x\0y", 0));
    assert!(!matches(b"+", b"", 5));
}

/// `current` after `svlogd d` with `config` read `input` to its end.
fn svlogd_current(bin: &Path, test: &str, config: &str, input: &[u8]) -> Vec<u8> {
    let dir = TestDir::new(test);
    std::fs::create_dir_all(dir.join("d")).unwrap();
    std::fs::write(dir.join("d/config"), config).unwrap();
    std::fs::write(dir.join("input"), input).unwrap();
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .arg("d")
        .current_dir(&dir.path)
        .stdin(std::fs::File::open(dir.join("input")).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let code = Proc::start(cmd).wait_exit().code();
    assert_eq!(code, Some(0), "{test}: svlogd's exit code");
    std::fs::read(dir.join("d/current")).unwrap()
}

/// The same end-of-pattern `+` in svlogd: the first `x` meets a fresh (NUL)
/// buffer and is deselected; the second follows `xy`, so the byte after it
/// is `y` and it is kept.
#[test]
fn svlogd_deselects_by_a_trailing_plus_like_runit() {
    let input = b"x\nxy\nx\n";
    let expected = b"xy\nx\n";
    let got = svlogd_current(&ours("svlogd"), "plus-ours", "-x+\n", input);
    assert_eq!(got, expected);
    if let Some(t) = crate::reference::runit("svlogd", "svlogd_deselects_by_a_trailing_plus") {
        assert_eq!(svlogd_current(&t, "plus-theirs", "-x+\n", input), expected);
    }
}
