//! Envdirs (`chpst -e` and the envdir personality) compared with Debian's
//! chpst: every value quirk, the order of the resulting environment, and
//! every error message.
use crate::chpst_support;
use crate::common;

use chpst_support::{open_up, Pair};
use common::{clean_command, TestDir};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

/// An envdir with every kind of entry.
fn quirky_envdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let files: &[(&str, &[u8])] = &[
        ("HELLO", b"hello\n"),
        ("EMPTY", b""),
        ("NEWLINE", b"\n"),
        ("BLANKS", b"hello world  \t \nsecond line\n"),
        ("NUL", b"a\0b\0c"),
        ("LEAD", b"  lead"),
        ("CR", b"x\r\n"),
        ("ONLYBLANKS", b" \t "),
        ("NOEOL", b"no newline"),
        ("A=B", b"x"),
        ("E=F", b""),
        (".hidden", b"never"),
        ("HOME", b""),
        ("PATH", b"/nonexistent\n"),
        ("KEEP", b"new\n"),
    ];
    for (name, content) in files {
        fs::write(dir.join(name), content).unwrap();
    }
    symlink("HELLO", dir.join("LINKED")).unwrap();
    symlink("no-such-target", dir.join("DANGLING")).unwrap();
    symlink("no-such-target-either", dir.join("DANGLING2")).unwrap();
}

/// A clean environment with a few variables in a known order.
fn with_env(bin: &Path, cwd: &Path, args: &[&str]) -> Command {
    let mut c = clean_command(bin);
    c.env("HOME", "/root")
        .env("KEEP", "old")
        .env("A", "1")
        .env("E", "2")
        .env("LAST", "last")
        .args(args)
        .current_dir(cwd);
    c
}

#[test]
fn every_value_quirk_and_the_resulting_order() {
    let t = TestDir::new("chpst-envdir-values");
    let p = Pair::new(&t, "chpst", "every_value_quirk_and_the_resulting_order");
    let e = Pair::new(&t, "envdir", "every_value_quirk_and_the_resulting_order");
    quirky_envdir(&t.join("env"));
    // `env` is found through the original PATH although the envdir sets one.
    let out = p.same("-e", |bin| with_env(bin, &t.path, &["-e", "env", "env"]));
    assert_eq!(out.2, 0, "{out:?}");
    for expected in [
        "HELLO=hello\n",
        "NEWLINE=\n",
        "BLANKS=hello world\n",
        "NUL=a\nb\nc\n",
        "LEAD=  lead\n",
        "CR=x\r\n",
        "A=B=x\n",
        "PATH=/nonexistent\n",
        "KEEP=new\n",
    ] {
        assert!(out.0.contains(expected), "{expected:?} in {}", out.0);
    }
    assert!(
        !out.0.contains("EMPTY") && !out.0.contains("HOME=") && !out.0.contains("hidden"),
        "{}",
        out.0
    );
    let personality = e.same("envdir", |bin| with_env(bin, &t.path, &["env", "env"]));
    assert_eq!(personality, out);
    // The same again with the -v flag and other options around it.
    p.same("-v -e", |bin| {
        with_env(bin, &t.path, &["-v", "-e", "env", "-U", "nobody", "env"])
    });
}

#[test]
fn subdirectories() {
    let t = TestDir::new("chpst-envdir-subdir");
    let p = Pair::new(&t, "chpst", "subdirectories");
    let e = Pair::new(&t, "envdir", "subdirectories");
    fs::create_dir_all(t.join("env/SUB")).unwrap();
    fs::write(t.join("env/X"), "x\n").unwrap();
    symlink("X", t.join("env/Y")).unwrap();
    let out = p.same("-e skips", |bin| {
        with_env(bin, &t.path, &["-e", "env", "env"])
    });
    assert_eq!((out.1.as_str(), out.2), ("", 0));
    let out = p.same("-v -e warns", |bin| {
        with_env(bin, &t.path, &["-v", "-e", "env", "env"])
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: warning: unable to read env/SUB: is a directory\n",
            0
        )
    );
    let out = e.same("envdir fails", |bin| {
        with_env(bin, &t.path, &["env", "touch", "ran"])
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to read env/SUB: is a directory\n",
            111
        )
    );
    assert!(!t.join("ran").exists());
}

#[test]
fn missing_and_wrong_directories() {
    let t = TestDir::new("chpst-envdir-missing");
    let p = Pair::new(&t, "chpst", "missing_and_wrong_directories");
    let e = Pair::new(&t, "envdir", "missing_and_wrong_directories");
    fs::write(t.join("file"), "x").unwrap();
    let cases = [
        (
            "nodir",
            "chpst: fatal: unable to switch to directory: nodir: file does not exist\n",
        ),
        (
            "file",
            "chpst: fatal: unable to switch to directory: file: not a directory\n",
        ),
    ];
    for (dir, msg) in cases {
        let out = p.same_args(dir, &t.path, &["-e", dir, "touch", "ran"]);
        assert_eq!((out.1.as_str(), out.2), (msg, 111), "{dir}");
        let out = e.same_args(dir, &t.path, &[dir, "touch", "ran"]);
        assert_eq!((out.1.as_str(), out.2), (msg, 111), "{dir}");
    }
    assert!(!t.join("ran").exists());
}

#[test]
fn unreadable_entries_and_directories() {
    let t = TestDir::new("chpst-envdir-unreadable");
    let p = Pair::new(&t, "chpst", "unreadable_entries_and_directories");
    let e = Pair::new(&t, "envdir", "unreadable_entries_and_directories");
    // Root reads everything: the programs run as nobody (chpst -u nobody
    // starting the same side's binary).
    fs::create_dir(t.join("secret")).unwrap();
    fs::write(t.join("secret/S"), "s\n").unwrap();
    open_up(&t.join("secret/S"), 0o600);
    fs::create_dir(t.join("noread")).unwrap();
    open_up(&t.join("noread"), 0o311);
    fs::create_dir(t.join("nosearch")).unwrap();
    fs::write(t.join("nosearch/X"), "x\n").unwrap();
    open_up(&t.join("nosearch"), 0o744);
    let as_nobody = |pair: &Pair, args: &'static [&'static str]| {
        pair.same(&format!("{args:?}"), |bin| {
            let mut c = clean_command(&p.ours);
            c.args(["-u", "nobody"])
                .arg(bin)
                .args(args)
                .current_dir(&t.path);
            c
        })
    };
    let out = as_nobody(&p, &["-e", "secret", "true"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to read secret/S: access denied\n",
            111
        )
    );
    let out = as_nobody(&e, &["secret", "true"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to read secret/S: access denied\n",
            111
        )
    );
    let out = as_nobody(&p, &["-e", "noread", "true"]);
    assert_eq!(
        out.1,
        "chpst: fatal: unable to open directory: noread: access denied\n"
    );
    let out = as_nobody(&p, &["-e", "nosearch", "true"]);
    assert_eq!(
        out.1,
        "chpst: fatal: unable to switch to directory: nosearch: access denied\n"
    );
    // The cwd must be readable: runit saves it to come back.
    fs::create_dir(t.join("noread/env")).unwrap();
    let out = p.same("unreadable cwd", |bin| {
        let mut c = clean_command(&p.ours);
        c.args(["-u", "nobody"])
            .arg(bin)
            .args(["-e", "env", "true"])
            .current_dir(t.join("noread"));
        c
    });
    assert_eq!(
        out.1,
        "chpst: fatal: unable to open current working directory: access denied\n"
    );
}

#[test]
fn a_directory_as_an_entry_with_a_dangling_link_after_it() {
    let t = TestDir::new("chpst-envdir-order");
    let p = Pair::new(
        &t,
        "chpst",
        "a_directory_as_an_entry_with_a_dangling_link_after_it",
    );
    // Many entries so that readdir order mixes kinds; the dangling links
    // take whatever came before them, in both implementations alike.
    let env = t.join("env");
    fs::create_dir(&env).unwrap();
    for i in 0..20 {
        match i % 5 {
            0 => fs::write(env.join(format!("V{i}")), format!("value {i}  \n")).unwrap(),
            1 => symlink("missing", env.join(format!("V{i}"))).unwrap(),
            2 => fs::create_dir(env.join(format!("V{i}"))).unwrap(),
            3 => fs::write(env.join(format!("V{i}")), b"n\0ul").unwrap(),
            _ => fs::write(env.join(format!("V{i}")), "").unwrap(),
        }
    }
    p.same("mixed", |bin| with_env(bin, &t.path, &["-e", "env", "env"]));
}
