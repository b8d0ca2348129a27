//! chpst's options, one by one and combined, compared with Debian's chpst:
//! the state the program sees (/proc/self/status, limits, nice, cwd, root,
//! descriptors, environment), messages and exit codes.
use crate::chpst_support;
use crate::common;

use chpst_support::{as_child, mini_root, open_up, via_shell, Pair, PROBE};
use common::{clean_command, TestDir};
use std::fs;
use std::os::unix::fs::symlink;

fn probe_args<'a>(opts: &[&'a str]) -> Vec<&'a str> {
    let mut v = opts.to_vec();
    v.extend_from_slice(&["sh", "-c", PROBE]);
    v
}

#[test]
fn plain_and_flag_options_give_the_same_state() {
    let t = TestDir::new("chpst-flags");
    let p = Pair::new(&t, "chpst", "plain_and_flag_options_give_the_same_state");
    for opts in [
        &[][..],
        &["-P"],
        &["-v"],
        &["-vP"],
        &["--"],
        &["-b", "argv0-name"],
    ] {
        let out = p.same_args(&format!("{opts:?}"), &t.path, &probe_args(opts));
        assert_eq!(out.2, 0, "{opts:?}: {out:?}");
    }
    // A process group leader cannot start a session: run chpst as a child.
    let probe = PROBE.replace('\'', "'\\''");
    let out = p.same("-P as a child", |bin| {
        as_child(bin, &t.path, &format!("-P sh -c '{probe}'"))
    });
    assert!(out.0.contains("session_leader=yes"), "{}", out.0);
    let out = p.same("no -P as a child", |bin| {
        as_child(bin, &t.path, &format!("sh -c '{probe}'"))
    });
    assert!(out.0.contains("session_leader=no"), "{}", out.0);
    let out = p.same_args("-b", &t.path, &["-b", "other-name", "sh", "-c", "echo $0"]);
    assert_eq!(out.0, "other-name\n");
}

#[test]
fn users_and_groups() {
    let t = TestDir::new("chpst-users");
    let p = Pair::new(&t, "chpst", "users_and_groups");
    let mut specs = vec![
        "nobody",
        "nobody:daemon:bin",
        ":1234:5678:91",
        ":1:2:",
        "::",
        "daemon:nogroup",
        "root",
    ];
    // A user with supplementary groups in /etc/group: runit ignores them.
    let member = supplementary_member();
    if let Some(m) = &member {
        specs.push(m);
    }
    for spec in specs {
        let out = p.same_args(spec, &t.path, &probe_args(&["-u", spec]));
        assert_eq!(out.2, 0, "{spec}: {out:?}");
    }
    let out = p.same_args("nobody", &t.path, &probe_args(&["-u", "nobody"]));
    assert!(out.0.contains("Groups:\t65534 \n"), "{}", out.0);
    let out = p.same_args("numeric", &t.path, &probe_args(&["-u", ":1234:5678:91"]));
    assert!(
        out.0.contains("Uid:\t1234\t1234\t1234\t1234\n"),
        "{}",
        out.0
    );
    assert!(
        out.0.contains("Gid:\t5678\t5678\t5678\t5678\n"),
        "{}",
        out.0
    );
    assert!(out.0.contains("Groups:\t91 5678 \n"), "{}", out.0);
    let many = format!("nobody:{}bin:no-such-group", "daemon:".repeat(59));
    p.same_args("sixty groups", &t.path, &probe_args(&["-u", &many]));
    let numeric = format!(":1:{}", "1:".repeat(60));
    p.same_args(
        "sixty gids and a colon",
        &t.path,
        &probe_args(&["-u", &numeric]),
    );
}

/// A user listed as a member of some group other than its own, if any.
fn supplementary_member() -> Option<String> {
    let groups = fs::read_to_string("/etc/group").ok()?;
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    groups
        .lines()
        .filter_map(|l| l.rsplit(':').next())
        .flat_map(|members| members.split(','))
        .find(|m| !m.is_empty() && passwd.lines().any(|p| p.starts_with(&format!("{m}:"))))
        .map(str::to_string)
}

#[test]
fn bad_users_and_groups() {
    let t = TestDir::new("chpst-badusers");
    let p = Pair::new(&t, "chpst", "bad_users_and_groups");
    let cases = [
        (
            "no-such-user",
            "chpst: fatal: unknown user/group: no-such-user\n",
        ),
        (
            "nobody:no-such-group",
            "chpst: fatal: unknown user/group: nobody:no-such-group\n",
        ),
        ("65534", "chpst: fatal: unknown user/group: 65534\n"),
        (
            "nobody:65534",
            "chpst: fatal: unknown user/group: nobody:65534\n",
        ),
        ("nobody:", "chpst: fatal: unknown user/group: nobody:\n"),
        (":1234", "chpst: fatal: invalid uid/gids: 1234\n"),
        (":abc:1", "chpst: fatal: invalid uid/gids: abc:1\n"),
        (":1:2:3abc", "chpst: fatal: invalid uid/gids: 1:2:3abc\n"),
        ("", "chpst: fatal: unknown user/group: \n"),
    ];
    for (spec, msg) in cases {
        for opt in ["-u", "-U"] {
            let out = p.same_args(spec, &t.path, &[opt, spec, "touch", "ran"]);
            assert_eq!((out.1.as_str(), out.2), (msg, 111), "{opt} {spec}");
            assert!(!t.join("ran").exists(), "{opt} {spec}: the program ran");
        }
    }
}

#[test]
fn env_user_sets_uid_and_gid_variables() {
    let t = TestDir::new("chpst-envuser");
    let p = Pair::new(&t, "chpst", "env_user_sets_uid_and_gid_variables");
    for spec in ["nobody", "nobody:daemon:bin", ":12:34:56", "::"] {
        p.same_args(spec, &t.path, &probe_args(&["-U", spec]));
    }
    let out = p.same(":12:34 over existing", |bin| {
        let mut c = clean_command(bin);
        c.args(["-U", ":12:34", "env"])
            .env("UID", "old")
            .env("GID", "old")
            .current_dir(&t.path);
        c
    });
    assert!(
        out.0.contains("GID=34\n") && out.0.contains("UID=12\n") && !out.0.contains("old"),
        "{}",
        out.0
    );
}

/// This process's niceness (field 19 of /proc/self/stat, after the command
/// name, which is in parentheses and may hold anything).
fn own_niceness() -> i64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.split(' ').nth(16).unwrap().parse().unwrap()
}

#[test]
fn nice_values() {
    let t = TestDir::new("chpst-nice");
    let p = Pair::new(&t, "chpst", "nice_values");
    for opts in [
        &["-n", "5"][..],
        &["-n", "+2"],
        &["-n", "-5"],
        &["-n", "0"],
        &["-n", ""],
        &["-n", "-"],
        &["-n", "-3", "-u", "nobody"],
        &["-n", "4294967297"],
    ] {
        let out = p.same_args(&format!("{opts:?}"), &t.path, &probe_args(opts));
        assert_eq!(out.2, 0, "{opts:?}");
    }
    let out = p.same_args("-n -5", &t.path, &probe_args(&["-n", "-5"]));
    // An increment: relative to the niceness the suite runs at (`nice
    // cargo test` starts above 0), clamped to the kernel's range.
    let expected = (own_niceness() - 5).clamp(-20, 19);
    assert!(out.0.contains(&format!("nice={expected} ")), "{}", out.0);
    // Unprivileged, a negative increment fails.
    let out = p.same("unprivileged -n -1", |bin| {
        via_shell(
            bin,
            "",
            &format!("-u nobody {} -n -1 touch ran", bin.display()),
        )
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to set nice level: permission denied\n",
            111
        )
    );
    assert!(!t.join("ran").exists());
}

#[test]
fn limits() {
    let t = TestDir::new("chpst-limits");
    let p = Pair::new(&t, "chpst", "limits");
    let cases: &[&[&str]] = &[
        &["-m", "300000000"],
        &["-d", "200000000"],
        &["-d", "100", "-m", "300000000"],
        &["-m", "300000000", "-d", "200000000"],
        &["-o", "100"],
        &["-o", "99999999"],
        &["-o", "18446744073709551615"],
        &["-o", "18446744073709551600"],
        &["-o", "9223372036854775808"],
        &["-p", "500"],
        &["-f", "1000000"],
        &["-c", "0"],
        &["-c", "1000000"],
        &["-r", "1000000"],
        &["-t", "100"],
        &[
            "-o", "200", "-p", "300", "-f", "4000000", "-c", "0", "-t", "50",
        ],
    ];
    for opts in cases {
        let out = p.same(&format!("{opts:?}"), |bin| {
            // A soft limit below the hard one first, so that clamping shows.
            via_shell(
                bin,
                "ulimit -Sn 50",
                &format!(
                    "{} sh -c '{}'",
                    opts.iter()
                        .map(|o| format!("'{o}'"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    PROBE.replace('\'', "'\\''")
                ),
            )
        });
        assert_eq!(out.2, 0, "{opts:?}: {out:?}");
    }
    let out = p.same("-o 100", |bin| {
        via_shell(bin, "", "-o 100 sh -c 'ulimit -Sn; ulimit -Hn'")
    });
    assert!(out.0.starts_with("100\n"), "{}", out.0);
    // An empty value means 0.
    let out = p.same("-c ''", |bin| {
        via_shell(bin, "", "-c '' sh -c 'ulimit -Sc'")
    });
    assert_eq!(out.0, "0\n");
    // Limits are set after dropping privileges: the hard limit still binds.
    p.same("-u nobody -o", |bin| {
        via_shell(
            bin,
            "ulimit -n 300",
            "-u nobody -o 1000 sh -c 'ulimit -Sn; ulimit -Hn'",
        )
    });
}

#[test]
fn close_descriptors() {
    let t = TestDir::new("chpst-close");
    let p = Pair::new(&t, "chpst", "close_descriptors");
    for opts in ["-0", "-2", "-02", "-0 -2"] {
        p.same(opts, |bin| {
            via_shell(bin, "", &format!("{opts} sh -c 'ls /proc/$$/fd'"))
        });
    }
    let out = p.same("-1", |bin| {
        via_shell(bin, "", "-1 sh -c 'ls /proc/$$/fd >&2'")
    });
    assert!(out.0.is_empty(), "{out:?}");
    let out = p.same("-0 on closed stdin", |bin| {
        via_shell(bin, "exec <&-", "-0 touch ran")
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to close stdin: file descriptor not open\n",
            111
        )
    );
    let out = p.same("-1 on closed stdout", |bin| {
        via_shell(bin, "exec >&-", "-1 touch ran")
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to close stdout: file descriptor not open\n",
            111
        )
    );
    assert!(!t.join("ran").exists());
}

#[test]
fn inherited_state_passes_through() {
    let t = TestDir::new("chpst-inherit");
    let p = Pair::new(&t, "chpst", "inherited_state_passes_through");
    let probe = PROBE.replace('\'', "'\\''");
    // An ignored SIGPIPE, an ignored SIGHUP and a closed stdin reach the program.
    let out = p.same("ignored signals", |bin| {
        via_shell(bin, "trap '' PIPE HUP", &format!("sh -c '{probe}'"))
    });
    let ignored = out
        .0
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .unwrap();
    assert_eq!(
        u64::from_str_radix(ignored, 16).unwrap() & 0x1001,
        0x1001,
        "{}",
        out.0
    );
    p.same("closed stdin", |bin| {
        via_shell(bin, "exec <&-", "sh -c 'ls /proc/$$/fd'")
    });
    p.same("closed stderr", |bin| {
        via_shell(bin, "exec 2>&-", "sh -c 'ls /proc/$$/fd'")
    });
    p.same("extra descriptor", |bin| {
        via_shell(bin, "exec 7</dev/null", &format!("sh -c '{probe}'"))
    });
}

#[test]
fn change_root_then_look_up_names_inside() {
    let t = TestDir::new("chpst-root");
    let p = Pair::new(&t, "chpst", "change_root_then_look_up_names_inside");
    let root = mini_root(
        &t,
        &[
            (
                "passwd",
                "root:x:0:0::/:/bin/sh\ninside:x:4242:4343::/:/bin/sh\n",
            ),
            (
                "group",
                "root:x:0:\ningrp:x:4444:inside\nother:x:4545:root,inside\n",
            ),
        ],
    );
    let r = root.to_str().unwrap();
    let out = p.same_args(
        "-/",
        &t.path,
        &["-/", r, "/bin/sh", "-c", "echo $PWD; cd ..; echo *"],
    );
    assert_eq!(out.2, 0, "{out:?}");
    for spec in ["inside", "inside:ingrp:other", "root"] {
        let out = p.same_args(spec, &t.path, &["-/", r, "-u", spec, "/bin/id"]);
        assert_eq!(out.2, 0, "{spec}: {out:?}");
    }
    // Membership listed in the group file is not used.
    let out = p.same_args(
        "member of two groups",
        &t.path,
        &["-/", r, "-u", "inside", "/bin/id"],
    );
    assert_eq!(out.0, "uid=4242(inside) gid=4343 groups=4343\n");
    let out = p.same_args(
        "-U inside",
        &t.path,
        &[
            "-/",
            r,
            "-U",
            "inside:other",
            "/bin/sh",
            "-c",
            "echo $UID $GID",
        ],
    );
    assert_eq!(out.0, "4242 4545\n");
    // nobody exists outside only.
    let out = p.same_args(
        "outside user",
        &t.path,
        &["-/", r, "-u", "nobody", "/bin/id"],
    );
    assert_eq!(out.1, "chpst: fatal: unknown user/group: nobody\n");
    // Relative root, and a PATH search inside the new root.
    p.same_args("relative", &t.path, &["-/", "root", "sh", "-c", "echo ok"]);
    // The envdir is read before the chroot, relative to the original cwd.
    fs::create_dir(t.join("env")).unwrap();
    fs::write(t.join("env/INSIDE"), "yes\n").unwrap();
    let out = p.same_args(
        "-e before -/",
        &t.path,
        &["-e", "env", "-/", r, "/bin/sh", "-c", "echo $INSIDE"],
    );
    assert_eq!(out.0, "yes\n");
    let missing = t.join("nowhere");
    let out = p.same_args(
        "missing root",
        &t.path,
        &["-/", missing.to_str().unwrap(), "true"],
    );
    assert_eq!(
        out.1,
        format!(
            "chpst: fatal: unable to change directory: {}: file does not exist\n",
            missing.display()
        )
    );
    // Without a passwd file in the new root, the lookup itself fails.
    let bare = mini_root(&t, &[]);
    let _ = fs::remove_dir_all(bare.join("etc"));
    let out = p.same_args(
        "no passwd",
        &t.path,
        &["-/", bare.to_str().unwrap(), "-u", "nobody", "/bin/id"],
    );
    assert_eq!(out.2, 111, "{out:?}");
    // A passwd file but no group file: the group lookup fails.
    fs::create_dir(bare.join("etc")).unwrap();
    fs::write(bare.join("etc/passwd"), "inside:x:4242:4343::/:/bin/sh\n").unwrap();
    let b = bare.to_str().unwrap();
    let out = p.same_args(
        "no group file",
        &t.path,
        &["-/", b, "-u", "inside:ingrp", "/bin/id"],
    );
    assert_eq!(out.2, 111, "{out:?}");
    let out = p.same_args("user only", &t.path, &["-/", b, "-u", "inside", "/bin/id"]);
    assert_eq!(out.0, "uid=4242(inside) gid=4343 groups=4343\n");
}

#[test]
fn locks() {
    let t = TestDir::new("chpst-locks");
    let p = Pair::new(&t, "chpst", "locks");
    // The lock descriptor reaches the program (fd 3).
    for opt in ["-l", "-L"] {
        let out = p.same_args(opt, &t.path, &probe_args(&[opt, "lk"]));
        assert!(
            out.0
                .contains(&format!("fd 3 {}\n", t.join("lk").display())),
            "{}",
            out.0
        );
    }
    // Held by a running program: -L fails at once, -l waits.
    let holder = common::Proc::start({
        let mut c = clean_command(&p.ours);
        c.args(["-L", "lk", "sh", "-c", "touch held; exec sleep 60"])
            .current_dir(&t.path);
        c
    });
    common::wait_for("lock holder", || t.join("held").exists());
    let out = p.same_args("-L held", &t.path, &["-L", "lk", "touch", "ran"]);
    assert_eq!(
        (out.1.as_str(), out.2),
        ("chpst: fatal: unable to lock: lk: temporary failure\n", 111)
    );
    assert!(!t.join("ran").exists());
    chpst_support::both_wait_for_lock(&t, &p.bins(), &["-l", "lk"], holder);
    // Only one lock option.
    let out = p.same_args("-l -L", &t.path, &["-l", "a", "-L", "b", "true"]);
    assert_eq!(out.2, 100);
    // The lock is opened as the new user.
    let private = t.join("private");
    fs::create_dir(&private).unwrap();
    open_up(&private, 0o700);
    let lk = private.join("lk");
    let out = p.same_args(
        "-u nobody -l",
        &t.path,
        &["-u", "nobody", "-l", lk.to_str().unwrap(), "true"],
    );
    assert_eq!(
        out.1,
        format!(
            "chpst: fatal: unable to open lock: {}: access denied\n",
            lk.display()
        )
    );
    let out = p.same_args(
        "lock in missing dir",
        &t.path,
        &["-L", "no/such/lk", "true"],
    );
    assert_eq!(
        out.1,
        "chpst: fatal: unable to open lock: no/such/lk: file does not exist\n"
    );
}

#[test]
fn missing_programs() {
    let t = TestDir::new("chpst-missing");
    let p = Pair::new(&t, "chpst", "missing_programs");
    fs::create_dir(t.join("adir")).unwrap();
    symlink("/bin/true", t.join("truelink")).unwrap();
    common::script(t.join("noshebang"), "echo no interpreter line\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["no-such-program"],
            "chpst: fatal: unable to run: no-such-program: file does not exist\n",
        ),
        (
            &["/nonexistent"],
            "chpst: fatal: unable to run: /nonexistent: file does not exist\n",
        ),
        (
            &["-b", "foo", "/nonexistent"],
            "chpst: fatal: unable to run: foo: file does not exist\n",
        ),
        (
            &["./adir"],
            "chpst: fatal: unable to run: ./adir: access denied\n",
        ),
        (
            &["adir"],
            "chpst: fatal: unable to run: adir: file does not exist\n",
        ),
        (&[""], ""),
        (
            &["./noshebang"],
            "chpst: fatal: unable to run: ./noshebang: exec format error\n",
        ),
    ];
    for (args, msg) in cases {
        let out = p.same_args(&format!("{args:?}"), &t.path, args);
        if !msg.is_empty() {
            assert_eq!((out.1.as_str(), out.2), (*msg, 111), "{args:?}");
        }
    }
    // PATH: unset, with an empty element (the cwd), and the original one even
    // when the envdir sets another.
    p.same("PATH unset", |bin| {
        let mut c = clean_command(bin);
        c.env_remove("PATH").args(["true"]).current_dir(&t.path);
        c
    });
    p.same("empty PATH element", |bin| {
        let mut c = clean_command(bin);
        c.env("PATH", "/nonexistent::/bin")
            .args(["truelink"])
            .current_dir(&t.path);
        c
    });
    fs::create_dir(t.join("env")).unwrap();
    fs::write(t.join("env/PATH"), "/nonexistent\n").unwrap();
    let out = p.same_args(
        "envdir PATH",
        &t.path,
        &["-e", "env", "sh", "-c", "echo $PATH"],
    );
    assert_eq!(out.0, "/nonexistent\n");
}

#[test]
fn usage_and_bad_options() {
    let t = TestDir::new("chpst-usage");
    let p = Pair::new(&t, "chpst", "usage_and_bad_options");
    let usage = "usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n";
    let cases: &[&[&str]] = &[
        &[],
        &["-v"],
        &["-z", "true"],
        &["-K", "/", "true"],
        &["-u"],
        &["-V"],
        &["-V", "-z"],
        &["-z", "-V"],
        &["-o", "x", "true"],
        &["-o", "-1", "true"],
        &["-n", "x", "true"],
        &["-n", "+-1", "true"],
        &["-t", "1s", "true"],
        &["-l", "a", "-l", "b", "true"],
        &["-vz"],
        &["-u", "nobody"],
    ];
    for args in cases {
        let out = p.same_args(&format!("{args:?}"), &t.path, args);
        assert_eq!(out.2, 100, "{args:?}");
        assert!(out.1.ends_with(usage), "{args:?}: {}", out.1);
    }
    // Other names: one leading d is dropped; anything else is the full chpst.
    for name in ["xyz", "dchpst", "d"] {
        let q = Pair::new(&t, name, "usage_and_bad_options");
        q.same_args(name, &t.path, &["-z"]);
        q.same_args(name, &t.path, &["-u", "nobody", "id"]);
    }
}

#[test]
fn everything_together() {
    let t = TestDir::new("chpst-combined");
    let p = Pair::new(&t, "chpst", "everything_together");
    fs::create_dir(t.join("env")).unwrap();
    fs::write(t.join("env/FOO"), "bar\n").unwrap();
    fs::write(t.join("env/HOME"), "").unwrap();
    fs::create_dir(t.join("work")).unwrap();
    open_up(&t.join("work"), 0o777);
    let opts = [
        "-P",
        "-v",
        "-e",
        "env",
        "-n",
        "3",
        "-U",
        "daemon:bin",
        "-u",
        "nobody:daemon:sys",
        "-L",
        "work/lk",
        "-0",
        "-m",
        "400000000",
        "-o",
        "77",
        "-p",
        "400",
        "-f",
        "5000000",
        "-c",
        "0",
        "-r",
        "3000000",
        "-t",
        "99",
        "-b",
        "probe",
    ];
    let out = p.same("combined", |bin| {
        let mut c = clean_command(bin);
        c.args(probe_args(&opts))
            .env("HOME", "/root")
            .env("FOO", "old")
            .current_dir(&t.path);
        c
    });
    assert_eq!(out.2, 0, "{out:?}");
    assert!(
        out.0.contains("FOO=bar\n") && !out.0.contains("HOME="),
        "{}",
        out.0
    );
}

#[test]
fn every_option_is_in_the_manual() {
    let page = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/chpst.8")).unwrap();
    for c in "u:U:b:e:m:d:o:p:f:c:r:t:/:n:l:L:vP012V"
        .chars()
        .filter(|&c| c != ':')
    {
        assert!(
            page.contains(&format!("\\-{c}")),
            "-{c} is not in man/chpst.8"
        );
    }
    for name in [
        "setuidgid",
        "envuidgid",
        "envdir",
        "pgrphack",
        "setlock",
        "softlimit",
    ] {
        assert!(page.contains(name), "{name} is not in man/chpst.8");
    }
}
