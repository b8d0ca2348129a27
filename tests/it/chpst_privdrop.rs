//! Dropping privileges is complete and fails closed: after `chpst -u nobody`
//! the program cannot get root back, holds none of root's groups and has no
//! capabilities; when a step fails, nothing is executed.
use crate::chpst_support;
use crate::common;

use chpst_support::Pair;
use common::{clean_command, TestDir};

/// Tries every way back to root and reports each result.
const TRY_ROOT: &str = r#"use POSIX;
print "setuid ", (POSIX::setuid(0) ? "ok" : "failed"), "\n";
$> = 0; print "seteuid ", ($> == 0 ? "ok" : "failed"), "\n";
$< = 0; print "setruid ", ($< == 0 ? "ok" : "failed"), "\n";
print "setgid ", (POSIX::setgid(0) ? "ok" : "failed"), "\n";
$) = "0 0"; print "setgroups ", ((split / /, $))[0] == 0 ? "ok" : "failed"), "\n";
open(my $f, "<", "/proc/self/status") or die;
while (<$f>) { print if /^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb):/ }
"#;

#[test]
fn nothing_of_root_is_left_after_dropping_to_nobody() {
    let t = TestDir::new("chpst-privdrop");
    let p = Pair::new(
        &t,
        "chpst",
        "nothing_of_root_is_left_after_dropping_to_nobody",
    );
    // Start with several of root's groups, then drop.
    let out = p.same("drop", |bin| {
        let mut c = clean_command(bin);
        c.args(["-u", "root:root:daemon:bin:sys"]).arg(bin);
        c.args(["-u", "nobody", "/usr/bin/perl", "-e", TRY_ROOT])
            .current_dir(&t.path);
        c
    });
    assert_eq!(out.2, 0, "{out:?}");
    let expected = "setuid failed\nseteuid failed\nsetruid failed\nsetgid failed\nsetgroups failed\n\
        Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nGroups:\t65534 \n\
        CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n";
    assert_eq!(out.0, expected);
}

#[test]
fn the_personality_drops_just_as_completely() {
    let t = TestDir::new("chpst-privdrop-setuidgid");
    let p = Pair::new(&t, "setuidgid", "the_personality_drops_just_as_completely");
    let c = Pair::new(&t, "chpst", "the_personality_drops_just_as_completely");
    let out = p.same("setuidgid", |bin| {
        let mut cmd = clean_command(&c.ours);
        cmd.args(["-u", ":0:0:1:2:3"]).arg(bin);
        cmd.args(["nobody", "/usr/bin/perl", "-e", TRY_ROOT])
            .current_dir(&t.path);
        cmd
    });
    assert!(
        out.0.starts_with(
            "setuid failed\nseteuid failed\nsetruid failed\nsetgid failed\nsetgroups failed\n"
        ),
        "{}",
        out.0
    );
    assert!(
        out.0.contains("Groups:\t65534 \n") && out.0.contains("CapEff:\t0000000000000000\n"),
        "{}",
        out.0
    );
}

#[test]
fn an_unprivileged_caller_gets_nothing_run() {
    let t = TestDir::new("chpst-privdrop-fail");
    let p = Pair::new(&t, "chpst", "an_unprivileged_caller_gets_nothing_run");
    let s = Pair::new(&t, "setuidgid", "an_unprivileged_caller_gets_nothing_run");
    chpst_support::open_up(&t.path, 0o777);
    let marker = t.join("ran");
    let m = marker.to_str().unwrap();
    for spec in ["daemon", "nobody", ":65534:65534", "nobody:nogroup"] {
        let out = p.same(spec, |bin| {
            let mut c = clean_command(&p.ours);
            c.args(["-u", "nobody"])
                .arg(bin)
                .args(["-u", spec, "touch", m])
                .current_dir(&t.path);
            c
        });
        assert_eq!(
            (out.1.as_str(), out.2),
            (
                "chpst: fatal: unable to setgroups: permission denied\n",
                111
            ),
            "{spec}"
        );
        assert!(!marker.exists(), "{spec}: the program ran");
    }
    let out = s.same("setuidgid", |bin| {
        let mut c = clean_command(&p.ours);
        c.args(["-u", "nobody"])
            .arg(bin)
            .args(["daemon", "touch", m])
            .current_dir(&t.path);
        c
    });
    assert_eq!(
        (out.1.as_str(), out.2),
        (
            "chpst: fatal: unable to setgroups: permission denied\n",
            111
        )
    );
    assert!(!marker.exists());
}

#[test]
fn dropping_to_root_keeps_exactly_the_asked_groups() {
    let t = TestDir::new("chpst-privdrop-root");
    let p = Pair::new(
        &t,
        "chpst",
        "dropping_to_root_keeps_exactly_the_asked_groups",
    );
    let out = p.same("root groups", |bin| {
        let mut c = clean_command(bin);
        c.args(["-u", "root:root:daemon:bin:sys"]).arg(bin);
        c.args([
            "-u",
            ":0:5:6",
            "grep",
            "-E",
            "^(Uid|Gid|Groups|CapEff)",
            "/proc/self/status",
        ])
        .current_dir(&t.path);
        c
    });
    assert!(
        out.0.contains("Gid:\t5\t5\t5\t5\nGroups:\t5 6 \n"),
        "{}",
        out.0
    );
}
