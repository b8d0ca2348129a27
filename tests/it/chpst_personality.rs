//! chpst called as setuidgid, envuidgid, envdir, pgrphack, setlock and
//! softlimit (links named so), compared with Debian's chpst under the same
//! names: behaviour, usage, messages and exit codes.
use crate::chpst_support;
use crate::common;

use chpst_support::{as_child, via_shell, Pair, PROBE};
use common::{clean_command, Proc, TestDir};
use std::fs;

fn probe<'a>(first: &[&'a str]) -> Vec<&'a str> {
    let mut v = first.to_vec();
    v.extend_from_slice(&["sh", "-c", PROBE]);
    v
}

#[test]
fn setuidgid() {
    let t = TestDir::new("chpst-setuidgid");
    let p = Pair::new(&t, "setuidgid", "setuidgid");
    for account in ["nobody", "daemon", "root"] {
        let out = p.same_args(account, &t.path, &probe(&[account]));
        assert_eq!(out.2, 0, "{account}: {out:?}");
    }
    let out = p.same_args("nobody", &t.path, &probe(&["nobody"]));
    assert!(
        out.0.contains("Uid:\t65534\t65534\t65534\t65534\n") && out.0.contains("Groups:\t65534 \n"),
        "{}",
        out.0
    );
    for (account, msg) in [
        (":12:34", "chpst: fatal: unknown account: :12:34\n"),
        (
            "nobody:daemon",
            "chpst: fatal: unknown account: nobody:daemon\n",
        ),
        ("65534", "chpst: fatal: unknown account: 65534\n"),
        (
            "no-such-user",
            "chpst: fatal: unknown account: no-such-user\n",
        ),
    ] {
        let out = p.same_args(account, &t.path, &[account, "touch", "ran"]);
        assert_eq!((out.1.as_str(), out.2), (msg, 111));
    }
    assert!(!t.join("ran").exists());
    for args in [&[][..], &["nobody"], &["-u"]] {
        let out = p.same_args("usage", &t.path, args);
        assert_eq!(
            (out.1.as_str(), out.2),
            ("usage: setuidgid account child\n\n", 100),
            "{args:?}"
        );
    }
    // No option parsing: `-u` is an account name.
    let out = p.same_args("-u as account", &t.path, &["-u", "nobody", "id"]);
    assert_eq!(out.1, "chpst: fatal: unknown account: -u\n");
    let out = p.same_args("missing program", &t.path, &["nobody", "no-such-program"]);
    assert_eq!(
        out.1,
        "chpst: fatal: unable to run: no-such-program: file does not exist\n"
    );
}

#[test]
fn envuidgid() {
    let t = TestDir::new("chpst-envuidgid");
    let p = Pair::new(&t, "envuidgid", "envuidgid");
    for account in ["nobody", "daemon"] {
        let out = p.same(account, |bin| {
            let mut c = clean_command(bin);
            c.args([account, "env"])
                .env("UID", "x")
                .env("GID", "y")
                .current_dir(&t.path);
            c
        });
        assert!(
            out.0.contains("UID=") && !out.0.contains("=x\n"),
            "{}",
            out.0
        );
    }
    let out = p.same_args("identity unchanged", &t.path, &probe(&["nobody"]));
    assert!(
        out.0.contains("Uid:\t0\t0\t0\t0\n") && out.0.contains("UID=65534\n"),
        "{}",
        out.0
    );
    let out = p.same_args(":1:2", &t.path, &[":1:2", "env"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        ("chpst: fatal: unknown account: :1:2\n", 111)
    );
    let out = p.same_args("usage", &t.path, &["nobody"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        ("usage: envuidgid account child\n\n", 100)
    );
}

#[test]
fn envdir() {
    let t = TestDir::new("chpst-envdir-personality");
    let p = Pair::new(&t, "envdir", "envdir");
    fs::create_dir(t.join("env")).unwrap();
    fs::write(t.join("env/FOO"), "bar\n").unwrap();
    let out = p.same_args("plain", &t.path, &probe(&["env"]));
    assert!(out.0.contains("FOO=bar\n"), "{}", out.0);
    // No options: `-x` is the directory.
    let out = p.same_args("-x", &t.path, &["-x", "true"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to switch to directory: -x: file does not exist\n",
            111
        )
    );
    for args in [&[][..], &["env"]] {
        let out = p.same_args("usage", &t.path, args);
        assert_eq!(
            (out.1.as_str(), out.2),
            ("usage: envdir dir child\n\n", 100),
            "{args:?}"
        );
    }
}

#[test]
fn pgrphack() {
    let t = TestDir::new("chpst-pgrphack");
    let p = Pair::new(&t, "pgrphack", "pgrphack");
    let quoted = PROBE.replace('\'', "'\\''");
    let out = p.same("as a child", |bin| {
        as_child(bin, &t.path, &format!("sh -c '{quoted}'"))
    });
    assert!(out.0.contains("session_leader=yes"), "{}", out.0);
    // A group leader cannot start a session; the failure is ignored.
    let out = p.same_args("as group leader", &t.path, &probe(&[]));
    assert!(out.0.contains("session_leader=no"), "{}", out.0);
    let out = p.same_args("usage", &t.path, &[]);
    assert_eq!((out.1.as_str(), out.2), ("usage: pgrphack child\n\n", 100));
    let out = p.same_args("-P is a program", &t.path, &["-P", "true"]);
    assert_eq!(
        out.1,
        "chpst: fatal: unable to run: -P: file does not exist\n"
    );
}

#[test]
fn setlock() {
    let t = TestDir::new("chpst-setlock");
    let p = Pair::new(&t, "setlock", "setlock");
    let d = Pair::new(&t, "dsetlock", "setlock");
    let usage = "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n";
    let out = p.same_args("free lock", &t.path, &probe(&["lk"]));
    assert!(
        out.0
            .contains(&format!("fd 3 {}\n", t.join("lk").display())),
        "{}",
        out.0
    );
    let holder = Proc::start({
        let mut c = clean_command(&p.ours);
        c.args(["lk", "sh", "-c", "touch held; exec sleep 60"])
            .current_dir(&t.path);
        c
    });
    common::wait_for("lock holder", || t.join("held").exists());
    // Default and -N: do not wait. -x: silent exit 0. -X undoes -x.
    for args in [
        &["lk", "touch", "ran"][..],
        &["-N", "lk", "touch", "ran"],
        &["-nN", "lk", "touch", "ran"],
        &["-xX", "lk", "touch", "ran"],
    ] {
        let out = p.same_args(&format!("{args:?}"), &t.path, args);
        assert_eq!(
            (out.1.as_str(), out.2),
            ("chpst: fatal: unable to lock: lk: temporary failure\n", 111),
            "{args:?}"
        );
    }
    let out = p.same_args("-x busy", &t.path, &["-x", "lk", "touch", "ran"]);
    assert_eq!((out.1.as_str(), out.2), ("", 0));
    assert!(!t.join("ran").exists());
    // -n waits until the holder is gone.
    chpst_support::both_wait_for_lock(&t, &p.bins(), &["-n", "lk"], holder);
    // Failures to open, and to run, with and without -x.
    let out = p.same_args("open fails", &t.path, &["no/such/lk", "true"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to open lock: no/such/lk: file does not exist\n",
            111
        )
    );
    let out = p.same_args("-x open fails", &t.path, &["-x", "no/such/lk", "true"]);
    assert_eq!((out.1.as_str(), out.2), ("", 0));
    let out = p.same_args("run fails", &t.path, &["lk", "no-such-program"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to run: no-such-program: file does not exist\n",
            111
        )
    );
    let out = p.same_args("-x run fails", &t.path, &["-x", "lk", "no-such-program"]);
    assert_eq!((out.1.as_str(), out.2), ("", 0));
    // Usage, under both names.
    for args in [&[][..], &["lk"], &["-n"], &["-z", "lk", "true"], &["-nz"]] {
        let out = p.same_args(&format!("{args:?}"), &t.path, args);
        assert!(out.1.ends_with(usage) && out.2 == 100, "{args:?}: {out:?}");
        d.same_args(&format!("d {args:?}"), &t.path, args);
    }
    let out = d.same_args("dsetlock -z", &t.path, &["-z"]);
    assert_eq!(out.1, format!("dsetlock: illegal option -- z\n{usage}"));
}

#[test]
fn softlimit() {
    let t = TestDir::new("chpst-softlimit");
    let p = Pair::new(&t, "softlimit", "softlimit");
    let quoted = PROBE.replace('\'', "'\\''");
    let cases: &[&str] = &[
        "-a 400000000",
        "-c 0",
        "-c 1000000",
        "-d 300000000",
        "-f 5000000",
        "-l 65536",
        "-m 400000000",
        "-m 400000000 -d 300000000",
        "-d 300000000 -m 400000000",
        "-o 100",
        "-o 99999999",
        "-o =",
        "-p 400",
        "-r 3000000",
        "-s 4000000",
        "-t 100",
        "-t =",
        "-m =",
        "-o ''",
        "-c 5 -c 6",
    ];
    for opts in cases {
        // Soft limits below the hard ones first, so that `=` shows.
        let out = p.same(opts, |bin| {
            via_shell(
                bin,
                "ulimit -Sn 50; ulimit -St 20",
                &format!("{opts} sh -c '{quoted}'"),
            )
        });
        assert!(out.2 == 0 || opts.contains("''"), "{opts}: {out:?}");
    }
    let out = p.same("-o =", |bin| {
        via_shell(bin, "ulimit -Sn 50", "-o = sh -c 'ulimit -Sn; ulimit -Hn'")
    });
    let lines: Vec<&str> = out.0.lines().collect();
    assert_eq!(lines[0], lines[1]);
    let chpst_usage = "usage: softlimit [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n";
    let own_usage = "usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n";
    let out = p.same_args("bad value", &t.path, &["-o", "5x", "true"]);
    assert_eq!((out.1.as_str(), out.2), (chpst_usage, 100));
    let out = p.same_args("-z", &t.path, &["-z", "true"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            format!("softlimit: illegal option -- z\n{own_usage}").as_str(),
            100
        )
    );
    let out = p.same_args("missing value", &t.path, &["-o"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            format!("softlimit: option requires an argument -- o\n{own_usage}").as_str(),
            100
        )
    );
    for args in [&[][..], &["-o", "5"], &["-u", "nobody", "true"]] {
        let out = p.same_args(&format!("{args:?}"), &t.path, args);
        assert_eq!(out.2, 100, "{args:?}");
    }
    let out = p.same_args("missing program", &t.path, &["-o", "50", "no-such-program"]);
    assert_eq!(
        out.1,
        "chpst: fatal: unable to run: no-such-program: file does not exist\n"
    );
}
