//! chpst's `-C pwd` (runit 2.2.0, Void's runit): the program starts in
//! `pwd`, changed to after the chroot of `-/` and after `-e` read its
//! directory; a directory that cannot be entered is fatal in runit's words
//! (exit 111). Debian's 2.1.2 has no `-C`: the state is compared with
//! Debian's chpst started in that directory.
use crate::chpst_support;
use crate::common;

use chpst_support::{mini_root, Pair, PROBE};
use common::{clean_command, ours, run, text, TestDir};
use std::fs;

fn chpst(t: &TestDir, args: &[&str]) -> (String, String, i32) {
    let mut c = clean_command(ours("chpst"));
    c.args(args).current_dir(&t.path);
    text(&run(c))
}

#[test]
fn chdir_gives_the_state_of_starting_there() {
    let t = TestDir::new("chpst-chdir");
    fs::create_dir(t.join("sub")).unwrap();
    let sub = t.join("sub");
    let out = chpst(&t, &["-C", "sub", "sh", "-c", "pwd -P"]);
    assert_eq!(out, (format!("{}\n", sub.display()), String::new(), 0));
    let p = Pair::new(&t, "chpst", "chdir_gives_the_state_of_starting_there");
    let Some(theirs) = p.theirs.clone() else {
        return;
    };
    // Ours with -C sub from the test directory, Debian's started in sub.
    let mine = text(&run({
        let mut c = clean_command(&p.ours);
        c.args(["-C", "sub", "sh", "-c", PROBE])
            .current_dir(&t.path);
        c
    }));
    let reference = text(&run({
        let mut c = clean_command(&theirs);
        c.args(["sh", "-c", PROBE]).current_dir(&sub);
        c
    }));
    let untag = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("RUNIT_RS_TEST_TAG="))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        (untag(&mine.0), mine.1, mine.2),
        (untag(&reference.0), reference.1, reference.2)
    );
    // Debian's 2.1.2 refuses the option with its usage line.
    let old = text(&run({
        let mut c = clean_command(&theirs);
        c.args(["-C", "sub", "true"]).current_dir(&t.path);
        c
    }));
    assert_eq!(old.2, 100, "{old:?}");
}

#[test]
fn chdir_failure_is_fatal_in_runits_words() {
    let t = TestDir::new("chpst-chdir-missing");
    fs::write(t.join("file"), "").unwrap();
    for (dir, err) in [
        ("missing", "file does not exist"),
        ("file", "not a directory"),
    ] {
        let out = chpst(&t, &["-C", dir, "sh", "-c", "echo ran"]);
        assert_eq!(
            out,
            (
                String::new(),
                format!("chpst: fatal: unable to change directory: {dir}: {err}\n"),
                111
            )
        );
    }
    // Without an argument: runit's getopt complaint and usage, exit 100.
    let out = chpst(&t, &["-C"]);
    assert!(
        out.1
            .starts_with("chpst: option requires an argument -- C\nusage: chpst "),
        "{out:?}"
    );
    assert_eq!(out.2, 100);
}

#[test]
fn chdir_happens_after_envdir_and_inside_the_new_root() {
    let t = TestDir::new("chpst-chdir-root");
    // -e reads its directory from where chpst started, before -C.
    fs::create_dir_all(t.join("env")).unwrap();
    fs::write(t.join("env/FOO"), "bar\n").unwrap();
    fs::create_dir(t.join("sub")).unwrap();
    let out = chpst(&t, &["-e", "env", "-C", "sub", "sh", "-c", "echo $FOO"]);
    assert_eq!(out, ("bar\n".to_string(), String::new(), 0));
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED the -/ part: chroot needs root");
        return;
    }
    let root = mini_root(&t, &[]);
    fs::create_dir(root.join("inner")).unwrap();
    let r = root.to_str().unwrap();
    // Absolute and relative: both inside the new root.
    for pwd in ["/inner", "inner"] {
        let out = chpst(&t, &["-/", r, "-C", pwd, "/bin/sh", "-c", "pwd -P"]);
        assert_eq!(out, ("/inner\n".to_string(), String::new(), 0), "{pwd}");
    }
    // `sub` exists beside the root, not inside it.
    let out = chpst(&t, &["-/", r, "-C", "sub", "/bin/sh", "-c", "pwd"]);
    assert_eq!(
        out,
        (
            String::new(),
            "chpst: fatal: unable to change directory: sub: file does not exist\n".to_string(),
            111
        )
    );
}
