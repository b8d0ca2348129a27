//! runsvdir side by side with Debian's: each scenario runs under both (in
//! parallel threads, in separate directories) and their observations must
//! be equal. Debian's runsvdir notices changes only every ~5 s, so waits are long.
use crate::common;
use crate::runsvdir_util;

use common::{runsv_alive, script, wait_until, TestDir};
use runsvdir_util::*;
use std::fs;
use std::os::unix::fs::symlink;

fn impls(test: &str) -> Vec<Impl> {
    let mut v = vec![ours_impl()];
    v.extend(theirs_impl(test));
    v
}

fn same(results: Vec<Vec<String>>) -> Vec<String> {
    for r in &results[1..] {
        assert_eq!(&results[0], r, "ours (left) differs from runit (right)");
    }
    results.into_iter().next().unwrap()
}

/// Which entries count: directories and symlinks to them; dot names,
/// files and dangling links do not; two links to one directory are one service.
#[test]
fn entries_that_count() {
    let obs = same(both(&impls("entries_that_count"), |imp| {
        let t = TestDir::new("rsd-entries");
        let sv = t.join("sv");
        service(&sv, "a");
        service(&sv, "b");
        script(sv.join("b/log/run"), "#!/bin/sh\nexec cat >/dev/null\n");
        service(&sv, ".hidden");
        service(&t.join("outside"), "linked");
        symlink("../outside/linked", sv.join("sym")).unwrap();
        symlink("../outside/linked", sv.join("sym2")).unwrap();
        symlink("nowhere", sv.join("dangling")).unwrap();
        fs::write(sv.join("plainfile"), "x").unwrap();
        let (mut p, err) = start(imp, &t.path, &["sv"]);
        let ok = wait_until(SLOW, || {
            let n = runsv_names(p.pid());
            n.len() == 3 && n[..2] == ["a", "b"] && n[2].starts_with("sym")
        });
        assert!(ok, "{}: runsvs {:?}", imp.label, runsv_names(p.pid()));
        assert!(wait_until(SLOW, || runsv_alive(&sv.join("b/log"))));
        p.signal(libc::SIGTERM);
        let code = p.wait_exit().code();
        let mut obs = vec![format!("exit {code:?}")];
        obs.push(format!(
            "hidden supervised: {}",
            sv.join(".hidden/supervise").exists()
        ));
        obs.extend(distinct_lines(&read_text(&err)));
        obs
    }));
    assert!(
        obs.contains(
            &"runsvdir sv: warning: unable to stat dangling: file does not exist".to_string()
        ),
        "{obs:?}"
    );
}

/// A new service, a removed one (renamed to a dot name), a replaced one, a
/// renamed one (same identity: same runsv, old name).
#[test]
fn changes_to_the_tree() {
    same(both(&impls("changes_to_the_tree"), |imp| {
        let t = TestDir::new("rsd-changes");
        let sv = t.join("sv");
        service(&sv, "a");
        service(&sv, "b");
        let (p, _err) = start(imp, &t.path, &["sv"]);
        let mut obs = vec![];
        assert!(wait_names(p.pid(), &["a", "b"]), "{}: start", imp.label);
        service_renamed_in(&sv, "c");
        obs.push(format!("added: {}", wait_names(p.pid(), &["a", "b", "c"])));
        fs::rename(sv.join("a"), sv.join(".a")).unwrap();
        obs.push(format!("removed: {}", wait_names(p.pid(), &["b", "c"])));
        obs.push(format!(
            "removed runsv exits: {}",
            wait_until(SLOW, || !runsv_alive(&sv.join(".a")))
        ));
        let old_b = runsvs(p.pid())[0].1;
        fs::rename(sv.join("b"), sv.join(".b-old")).unwrap();
        service_renamed_in(&sv, "b");
        let replaced = wait_until(SLOW, || {
            runsvs(p.pid())
                .iter()
                .any(|(n, pid)| n == "b" && *pid != old_b)
        });
        obs.push(format!("replaced: {replaced}"));
        obs.push(format!(
            "old runsv exits: {}",
            wait_until(SLOW, || !runsv_alive(&sv.join(".b-old")))
        ));
        let old_c = runsvs(p.pid()).iter().find(|(n, _)| n == "c").map(|x| x.1);
        fs::rename(sv.join("c"), sv.join("d")).unwrap();
        service_renamed_in(&sv, "e");
        obs.push(format!(
            "after rename: {}",
            wait_names(p.pid(), &["b", "c", "e"])
        ));
        let still_c = runsvs(p.pid()).iter().find(|(n, _)| n == "c").map(|x| x.1);
        obs.push(format!("renamed keeps its runsv: {}", old_c == still_c));
        obs
    }))
    .iter()
    .for_each(|l| assert!(!l.ends_with("false"), "{l}"));
}

/// A runsv that dies is started again; the service keeps its directory.
#[test]
fn killed_runsv_is_restarted() {
    same(both(&impls("killed_runsv_is_restarted"), |imp| {
        let t = TestDir::new("rsd-killed");
        let sv = t.join("sv");
        service(&sv, "a");
        let (p, _err) = start(imp, &t.path, &["sv"]);
        assert!(wait_names(p.pid(), &["a"]));
        // The service has run (not just been forked) before it is killed.
        assert!(wait_until(SLOW, || read_text(&t.join("a.started"))
            .lines()
            .count()
            == 1));
        let old = runsvs(p.pid())[0].1;
        let service_pid = read_text(&t.join("a.started"))
            .trim()
            .parse::<i32>()
            .unwrap();
        assert!(service_pid > 0);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(old),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(service_pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        let back = wait_until(SLOW, || {
            runsvs(p.pid())
                .iter()
                .any(|(n, pid)| n == "a" && *pid != old)
        });
        let runs = wait_until(SLOW, || {
            read_text(&t.join("a.started")).lines().count() >= 2
        });
        vec![format!("restarted: {back}"), format!("run again: {runs}")]
    }))
    .iter()
    .for_each(|l| assert!(l.contains("true"), "{l}"));
}

/// SIGHUP: TERM to every runsv (they stop their services and exit), exit 111.
/// SIGTERM: exit 0 at once, runsv processes left running.
#[test]
fn hup_and_term() {
    same(both(&impls("hup_and_term"), |imp| {
        let mut obs = vec![];
        for (sig, name) in [(libc::SIGHUP, "HUP"), (libc::SIGTERM, "TERM")] {
            let t = TestDir::new("rsd-signals");
            let sv = t.join("sv");
            service(&sv, "a");
            service(&sv, "b");
            let (mut p, err) = start(imp, &t.path, &["sv"]);
            assert!(wait_until(SLOW, || runsv_alive(&sv.join("a"))
                && runsv_alive(&sv.join("b"))));
            p.signal(sig);
            obs.push(format!("{name}: exit {:?}", p.wait_exit().code()));
            let stopped = wait_until(SLOW, || {
                !runsv_alive(&sv.join("a")) && !runsv_alive(&sv.join("b"))
            });
            obs.push(format!("{name}: runsv processes exit: {stopped}"));
            obs.push(format!("{name}: stderr {:?}", read_text(&err)));
        }
        obs
    }));
}

/// `-P`: each runsv leads its own session and process group, and its
/// service is in that group; without it they share runsvdir's.
#[test]
fn sessions_with_and_without_p() {
    let obs = same(both(&impls("sessions_with_and_without_p"), |imp| {
        let mut obs = vec![];
        for args in [&["-P", "sv"][..], &["sv"][..]] {
            let t = TestDir::new("rsd-sessions");
            let sv = t.join("sv");
            service(&sv, "a");
            let (p, _err) = start(imp, &t.path, args);
            assert!(wait_names(p.pid(), &["a"]));
            assert!(wait_until(SLOW, || common::state_pid(&sv.join("a"))
                .is_some_and(|s| s.1 != 0)));
            let runsv = runsvs(p.pid())[0].1;
            let svc = common::state_pid(&sv.join("a")).unwrap().1 as i32;
            let (sid, pgid) = (stat_field(runsv, 6), stat_field(runsv, 5));
            let own = (stat_field(p.pid(), 6), stat_field(p.pid(), 5));
            obs.push(format!(
                "{args:?}: runsv leads session {} group {}; shares runsvdir's {}; service in runsv's group {}",
                sid == Some(runsv as i64),
                pgid == Some(runsv as i64),
                (sid, pgid) == own,
                stat_field(svc, 5) == Some(runsv as i64)
            ));
        }
        obs
    }));
    assert_eq!(
        obs,
        [
            r#"["-P", "sv"]: runsv leads session true group true; shares runsvdir's false; service in runsv's group true"#,
            r#"["sv"]: runsv leads session false group false; shares runsvdir's true; service in runsv's group false"#
        ]
    );
}

/// The log argument shows runsvdir's own warnings, rolled in, after the
/// start-up dot; a too short one is refused.
#[test]
fn log_argument_text() {
    let dots = format!("log: {}", ".".repeat(90));
    let obs = same(both(&impls("log_argument_text"), |imp| {
        let t = TestDir::new("rsd-log");
        let sv = t.join("sv");
        fs::create_dir_all(&sv).unwrap();
        symlink("nowhere", sv.join("dangling")).unwrap();
        let (mut p, _err) = start(imp, &t.path, &["sv", &dots]);
        let mut title = String::new();
        let ok = wait_until(SLOW, || {
            title = argv(p.pid()).get(2).cloned().unwrap_or_default();
            title.contains("file does not exist\n") && title.ends_with('.')
        });
        assert!(ok, "{}: title {title:?}", imp.label);
        p.signal(libc::SIGTERM);
        p.wait_exit();
        let short = TestDir::new("rsd-log-short");
        fs::create_dir_all(short.join("sv")).unwrap();
        let (mut q, err) = start(imp, &short.path, &["sv", "short"]);
        assert!(wait_until(SLOW, || read_text(&err).lines().count() == 2));
        q.signal(libc::SIGTERM);
        vec![
            title,
            format!("exit {:?}", q.wait_exit().code()),
            read_text(&err),
        ]
    }));
    assert_eq!(
        obs[0],
        format!(
            "log: {}runsvdir sv: warning: unable to stat dangling: file does not exist\n.",
            ".".repeat(22)
        )
    );
    assert_eq!(
        obs[2],
        "runsvdir sv: warning: log must have at least seven characters.\nrunsvdir sv: warning: log service disabled.\n"
    );
}

/// Usage errors, a missing directory (warned about, then picked up), and a
/// runsv that cannot be found.
#[test]
fn usage_missing_dir_and_missing_runsv() {
    same(both(&impls("usage_missing_dir_and_missing_runsv"), |imp| {
        let mut obs = vec![];
        for args in [&[][..], &["-P"][..], &["--"][..]] {
            let mut c = common::clean_command(&imp.runsvdir);
            c.args(args);
            let (out, err, code) = common::text(&common::run(c));
            obs.push(format!(
                "{args:?}: {code} {out:?} {:?}",
                err.replace(imp.runsvdir.to_str().unwrap(), "RUNSVDIR")
            ));
        }
        let t = TestDir::new("rsd-missing");
        let (p, err) = start(imp, &t.path, &["nodir"]);
        assert!(wait_until(SLOW, || !read_text(&err).is_empty()));
        service(&t.join("staging"), "a");
        fs::rename(t.join("staging"), t.join("nodir")).unwrap();
        obs.push(format!("picked up: {}", wait_names(p.pid(), &["a"])));
        obs.extend(distinct_lines(&read_text(&err)));
        drop(p);
        let mut imp2 = imp.clone();
        imp2.path = "/nonexistent".into();
        let t = TestDir::new("rsd-norunsv");
        service(&t.join("sv"), "a");
        let (p, err) = start(&imp2, &t.path, &["sv"]);
        assert!(wait_until(SLOW, || !read_text(&err).is_empty()));
        drop(p);
        obs.extend(distinct_lines(&read_text(&err)));
        obs
    }));
}

/// Debian's SIGALRM: a rescan that writes `.forced-rescan` (`@` + TAI64N).
#[test]
fn alrm_forced_rescan() {
    same(both(&impls("alrm_forced_rescan"), |imp| {
        let t = TestDir::new("rsd-alrm");
        let sv = t.join("sv");
        service(&sv, "a");
        let (mut p, _err) = start(imp, &t.path, &["sv"]);
        assert!(wait_names(p.pid(), &["a"]));
        p.signal(libc::SIGALRM);
        let marker = sv.join(".forced-rescan");
        assert!(wait_until(SLOW, || fs::read(&marker).is_ok_and(|b| b.len() == 25)));
        let b = fs::read(&marker).unwrap();
        let alive = p.try_exit().is_none();
        vec![
            format!("still running: {alive}"),
            format!(
                "shape: {} {}",
                b[0] == b'@',
                b[1..].iter().all(|c| c.is_ascii_hexdigit())
            ),
            format!("prefix: {}", String::from_utf8_lossy(&b[..5])),
            format!("names: {:?}", runsv_names(p.pid())),
        ]
    }));
}

/// After starting a new service runit scans once more a second later, so a
/// warning about a bad entry appears twice in the log argument.
#[test]
fn log_argument_after_a_new_service() {
    let arg = format!("log: {}", ".".repeat(150));
    let obs = same(both(&impls("log_argument_after_a_new_service"), |imp| {
        let t = TestDir::new("rsd-log2");
        let sv = t.join("sv");
        service(&sv, "a");
        symlink("nowhere", sv.join("dangling")).unwrap();
        let (p, _err) = start(imp, &t.path, &["sv", &arg]);
        let warning = "runsvdir sv: warning: unable to stat dangling: file does not exist\n";
        let mut title = String::new();
        let twice = wait_until(SLOW, || {
            title = argv(p.pid()).get(2).cloned().unwrap_or_default();
            title.matches(warning).count() == 2
        });
        assert!(twice, "{}: {title:?}", imp.label);
        // No third scan follows (an observation window, not a synchronisation).
        std::thread::sleep(std::time::Duration::from_millis(1500));
        title = argv(p.pid()).get(2).cloned().unwrap_or_default();
        vec![title]
    }));
    assert!(
        obs[0].ends_with(
            "exist\n.runsvdir sv: warning: unable to stat dangling: file does not exist\n"
        ),
        "{obs:?}"
    );
}

/// A `dir` that is a file (chdir fails) or under a file (stat fails): the
/// warning repeats about every second while the first scan is pending.
#[test]
fn unusable_dir_warnings_repeat() {
    // Counts warnings in a time window (tests/it/README.md).
    let _serial = crate::common::serial();
    same(both(&impls("unusable_dir_warnings_repeat"), |imp| {
        let t = TestDir::new("rsd-unusable");
        fs::write(t.join("afile"), "").unwrap();
        let mut obs = vec![];
        for dir in ["afile", "afile/x"] {
            let (p, err) = start(imp, &t.path, &[dir]);
            let began = std::time::Instant::now();
            assert!(wait_until(SLOW, || read_text(&err).lines().count() >= 3));
            let took = began.elapsed();
            drop(p);
            obs.push(format!(
                "three within 4 s: {}",
                took < std::time::Duration::from_secs(4)
            ));
            obs.extend(distinct_lines(&read_text(&err)));
        }
        obs
    }));
}

/// A service's stderr goes into the log argument; a `.forced-rescan` that
/// cannot be written gives Debian's odd warning.
#[test]
fn service_stderr_in_log_and_forced_rescan_failure() {
    let arg = format!("log: {}", ".".repeat(120));
    let obs = same(both(
        &impls("service_stderr_in_log_and_forced_rescan_failure"),
        |imp| {
            let t = TestDir::new("rsd-log3");
            let sv = t.join("sv");
            script(
                sv.join("a/run"),
                "#!/bin/sh\necho hello from a >&2\nexec sleep 1000\n",
            );
            fs::create_dir_all(sv.join(".forced-rescan")).unwrap();
            let (p, err) = start(imp, &t.path, &["sv", &arg]);
            let mut title = String::new();
            assert!(wait_until(SLOW, || {
                title = argv(p.pid()).get(2).cloned().unwrap_or_default();
                title.ends_with("hello from a\n")
            }));
            p.signal(libc::SIGALRM);
            let mut warned = String::new();
            assert!(wait_until(SLOW, || {
                warned = argv(p.pid()).get(2).cloned().unwrap_or_default();
                warned.contains("failed to open")
            }));
            let stderr_empty = read_text(&err).is_empty();
            // The label's digits differ from run to run.
            let at = warned.find(".forced-rescan@").unwrap() + ".forced-rescan@".len();
            let shape = format!("{}{}{}", &warned[..at], "X".repeat(24), &warned[at + 24..]);
            vec![title, format!("stderr empty: {stderr_empty}"), shape]
        },
    ));
    assert!(obs[0].ends_with(".hello from a\n"), "{obs:?}");
}
