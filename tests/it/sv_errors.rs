//! Bad input gets runit's message and exit code, never a panic: broken
//! supervise directories, status records of the wrong size, garbage numbers,
//! an unprivileged user, closed output. Compared with Debian's sv; the
//! broken-supervise, numbers-and-names and unprivileged-user transcripts
//! also with golden files recorded from it, `golden/sv_errors/<test>.txt`
//! (re-record: `crate::golden`).

use crate::common;
use crate::golden::{sv_call, Golden};
use crate::sv_common;

use common::{run, text};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use sv_common::{compare, debian, Step, World, SLEEPER};

/// A service directory with a `supervise/` that no runsv maintains: `ok` is
/// held open by a helper so that sv believes runsv is alive.
fn fake(w: &mut World, name: &str, status: Option<&[u8]>, control: bool) {
    let sup = w.path(name).join("supervise");
    fs::create_dir_all(&sup).unwrap();
    nix::unistd::mkfifo(
        &sup.join("ok"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    if control {
        nix::unistd::mkfifo(
            &sup.join("control"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
    }
    if let Some(s) = status {
        fs::write(sup.join("status"), s).unwrap();
    }
    w.hold_fifo(&format!("{name}/supervise/ok"));
}

/// A plausible record: running pid 4242 since the epoch, want up, state run.
fn record(state: u8) -> Vec<u8> {
    let mut b = vec![0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0];
    b.extend_from_slice(&4242u32.to_le_bytes());
    b.extend_from_slice(&[0, b'u', 0, state]);
    b
}

/// Runs `steps` in both worlds (`sv_common::compare`) and checks ours, and
/// Debian's when it ran, against the test's golden file.
fn compare_golden(test: &str, theirs: Option<&World>, ours: &World, steps: &[Step]) {
    let golden = Golden::new("sv_errors", test);
    let (t, o) = compare(theirs, ours, steps);
    if let Some(t) = t {
        golden.reference(&t);
    }
    golden.check("our sv", &o);
}

/// Debian's world and ours, and whether Debian's is the reference (without
/// it, the first world runs our sv and is only set up).
fn worlds(test: &str) -> (World, World, bool) {
    let theirs = debian(test).map(|(sv, _)| sv);
    let reference = theirs.is_some();
    let sv = theirs.unwrap_or_else(|| common::ours("sv"));
    (
        World::new(&format!("{test}-theirs"), &sv),
        World::new(&format!("{test}-ours"), &common::ours("sv")),
        reference,
    )
}

#[test]
fn sv_errors_broken_supervise() {
    let (mut a, mut b, reference) = worlds("sv_errors_broken_supervise");
    for w in [&mut a, &mut b] {
        fake(w, "short", Some(b"abc"), true);
        fake(w, "empty", Some(b""), true);
        fake(
            w,
            "long",
            Some(&[record(1), b"extra".to_vec()].concat()),
            true,
        );
        fake(w, "weird", Some(&record(7)), true);
        fake(w, "finish", Some(&record(2)), true);
        fake(w, "nostatus", None, true);
        fake(w, "nocontrol", Some(&record(1)), false);
        fake(w, "deadcontrol", Some(&record(0)), true);
        fake(w, "dirstatus", None, true);
        fs::create_dir(w.path("dirstatus/supervise/status")).unwrap();
        fs::create_dir_all(w.path("nook/supervise")).unwrap();
        fs::write(w.path("nook/supervise/ok"), "").unwrap();
        fake(w, "loopdown2", Some(&record(1)), true);
        std::os::unix::fs::symlink("down", w.path("loopdown2/down")).unwrap();
        fake(w, "looplog", Some(&record(1)), true);
        fs::create_dir(w.path("looplog/log")).unwrap();
        std::os::unix::fs::symlink("down", w.path("looplog/log/down")).unwrap();
    }
    let all: &[&str] = &[
        "status",
        "short",
        "empty",
        "long",
        "weird",
        "finish",
        "nostatus",
        "nocontrol",
        "deadcontrol",
        "dirstatus",
        "nook",
        "loopdown2",
        "looplog",
    ];
    compare_golden(
        "sv_errors_broken_supervise",
        reference.then_some(&a),
        &b,
        &[
            Step::Sv(all, &[]),
            Step::Sv(&["status", "short", "long"], &[]),
            Step::Sv(
                &[
                    "up",
                    "short",
                    "nocontrol",
                    "deadcontrol",
                    "nostatus",
                    "nook",
                    "long",
                ],
                &[],
            ),
            Step::Sv(&["x", "deadcontrol", "nocontrol"], &[]),
            Step::Sv(&["-w", "0", "up", "weird", "finish", "loopdown2"], &[]),
            Step::Sv(
                &["-w", "0", "check", "weird", "finish", "loopdown2", "short"],
                &[],
            ),
            Step::Sv(&["-v", "hup", "weird", "loopdown2"], &[]),
            Step::Lsb("short", &["status"]),
            Step::Lsb("looplog", &["status"]),
            Step::Lsb("loopdown2", &["status"]),
            Step::Lsb("nostatus", &["status"]),
            Step::Lsb("nook", &["status"]),
            Step::Lsb("deadcontrol", &["up"]),
        ],
    );
}

#[test]
fn sv_errors_numbers_and_names() {
    let (mut a, mut b, reference) = worlds("sv_errors_numbers_and_names");
    for w in [&mut a, &mut b] {
        fake(w, "f", Some(&record(1)), true);
    }
    let many: Vec<String> = (0..120).map(|i| format!("missing{i}")).collect();
    let mut status_many: Vec<&str> = vec!["status"];
    status_many.extend(many.iter().map(|s| s.as_str()));
    compare_golden(
        "sv_errors_numbers_and_names",
        reference.then_some(&a),
        &b,
        &[
            Step::Sv(&["-w", "abc", "-v", "hup", "f"], &[]),
            Step::Sv(&["-w", "", "hup", "f"], &[]),
            Step::Sv(&["-w", "99999999999999999999999", "hup", "f"], &[]),
            Step::Sv(&["-v", "hup", "f"], &[("SVWAIT", "x")]),
            Step::Sv(&["status", "f"], &[("SVDIR", "")]),
            Step::Sv(
                &[
                    "status",
                    "f",
                    "./f",
                    "f/",
                    "f//",
                    "/nonexistent/f",
                    ".",
                    "..",
                    "",
                ],
                &[],
            ),
            Step::Sv(&status_many, &[]),
            Step::Sv(&["status", "f"], &[("SVDIR", "/etc/passwd")]),
        ],
    );
}

/// How to run a command as `nobody`, if this machine can.
fn as_nobody(program: &Path, args: &[&str], cwd: &Path, svdir: &Path) -> Option<Command> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let mut c = if let Some(sp) = setpriv {
        let mut c = common::clean_command(sp);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(program);
        c
    } else {
        let ru = ["/usr/sbin/runuser", "/sbin/runuser"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let mut c = common::clean_command(ru);
        c.args(["-u", "nobody", "--"]).arg(program);
        c
    };
    c.args(args).current_dir(cwd).env("SVDIR", svdir);
    Some(c)
}

#[test]
fn sv_errors_unprivileged_user() {
    // Debian's sv and ours under Debian's runsv; ours alone under ours
    // without Debian's runit.
    let debian = debian("sv_errors_unprivileged_user");
    let runsv = debian
        .as_ref()
        .map_or_else(|| common::ours("runsv"), |d| d.1.clone());
    let sides = debian
        .map(|(sv, _)| ("theirs", sv))
        .into_iter()
        .chain([("ours", common::ours("sv"))]);
    let mut worlds = Vec::new();
    for (who, sv) in sides {
        let mut w = World::new(&format!("sv_errors_unprivileged_user-{who}"), &sv);
        w.service("a", SLEEPER, true);
        w.supervise(&runsv, "a");
        w.wait_running("a");
        fs::create_dir(w.path("closed")).unwrap();
        fs::set_permissions(w.path("closed"), fs::Permissions::from_mode(0o311)).unwrap();
        let link = w.path("lsb-a");
        std::os::unix::fs::symlink(&sv, &link).unwrap();
        worlds.push(w);
    }
    let cases: &[(&[&str], &str)] = &[
        (&["status", "a", "a/log"], ""),
        (&["up", "a"], ""),
        (&["-v", "down", "a"], ""),
        (&["check", "a"], ""),
        (&["status", "a"], "closed"),
        (&["bogus", "a"], "closed"),
        (&["status"], "closed"),
    ];
    // One transcript per world, for the golden file (Debian's first).
    let mut transcripts = vec![String::new(); worlds.len()];
    for (args, sub) in cases {
        let mut results = Vec::new();
        for w in &worlds {
            let cwd = w.path(sub);
            let Some(c) = as_nobody(&w.sv, args, &cwd, &w.dir.path) else {
                crate::reference::unavailable(
                    "sv_errors_unprivileged_user",
                    "cannot drop privileges",
                );
                return;
            };
            results.push(sv_common::masked(run(c)));
        }
        for (t, r) in transcripts.iter_mut().zip(&results) {
            t.push_str(&sv_call(&format!("sv {args:?} in {sub:?} as nobody"), r));
        }
        // The last is ours: it must agree with Debian's when there is one.
        assert_eq!(
            results[0],
            results[results.len() - 1],
            "sv {args:?} in {sub:?} as nobody"
        );
    }
    // LSB mode: a fatal error exits 151.
    let mut results = Vec::new();
    for w in &worlds {
        let c = as_nobody(
            &w.path("lsb-a"),
            &["status"],
            &w.path("closed"),
            &w.dir.path,
        )
        .unwrap();
        results.push(sv_common::masked(run(c)));
    }
    for (t, r) in transcripts.iter_mut().zip(&results) {
        t.push_str(&sv_call("lsb-a [\"status\"] in \"closed\" as nobody", r));
    }
    let ours = results.last().unwrap();
    assert_eq!(&results[0], ours);
    assert_eq!(ours.2, 151);
    let golden = Golden::new("sv_errors", "sv_errors_unprivileged_user");
    if transcripts.len() == 2 {
        golden.reference(&transcripts[0]);
    }
    golden.check("our sv", &transcripts[transcripts.len() - 1]);
}

#[test]
fn sv_errors_closed_stdout() {
    let their_sv = debian("sv_errors_closed_stdout").map(|(sv, _)| sv);
    let mut w = World::new("sv_errors_closed_stdout", &common::ours("sv"));
    fake(&mut w, "f", Some(&record(1)), true);
    let names: String = (0..3000).map(|_| " f").collect();
    for sv in their_sv.iter().cloned().chain([common::ours("sv")]) {
        for shape in [
            format!("'{}' status f >&-; echo rc=$?", sv.display()),
            format!(
                "'{}' status{names} | head -c0; echo rc=${{PIPESTATUS[0]}}",
                sv.display()
            ),
            format!("'{}' -v up missing f >&-; echo rc=$?", sv.display()),
        ] {
            let mut c = w.sv_command(Path::new("/bin/bash"), &["-c", &shape], &[]);
            c.env("SVDIR", &w.dir.path);
            let (out, err, _) = text(&run(c));
            assert!(!err.contains("panicked"), "{shape}: {err}");
            assert!(
                out == "rc=0\n" || out == "rc=141\n" || out == "rc=1\n",
                "{shape}: unexpected {out:?} {err:?}"
            );
        }
    }
    // The exit codes must agree where they are deterministic.
    let rc = |sv: &Path, shape: &str| {
        let script_text = shape.replace("SV", &format!("'{}'", sv.display()));
        let mut c = w.sv_command(Path::new("/bin/bash"), &["-c", &script_text], &[]);
        c.env("SVDIR", &w.dir.path);
        text(&run(c)).0
    };
    // Expected codes as Debian's sv gives them.
    for (shape, expected) in [
        ("SV status f >&-; echo $?", "0\n"),
        ("SV -v up missing f >&-; echo $?", "1\n"),
        ("SV up f 2>&- >&-; echo $?", "0\n"),
    ] {
        let ours = rc(&common::ours("sv"), shape);
        assert_eq!(ours, expected, "{shape}: ours");
        if let Some(their_sv) = &their_sv {
            assert_eq!(rc(their_sv, shape), ours, "{shape}");
        }
    }
}
