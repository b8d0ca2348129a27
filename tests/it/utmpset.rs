//! utmpset side by side with Debian's, each in its own mount namespace with
//! scratch tmpfs over /var/run and /var/log (the real files are never touched).
use crate::common;

use common::{ours, run, text, theirs_or_skip, TestDir};
use std::path::Path;

const RECORD: usize = 384;

fn record(kind: i16, line: &str, user: &str, host: &str) -> Vec<u8> {
    let mut r = vec![0u8; RECORD];
    r[0..2].copy_from_slice(&kind.to_le_bytes());
    r[4..8].copy_from_slice(&1234i32.to_le_bytes());
    r[8..8 + line.len()].copy_from_slice(line.as_bytes());
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r[76..76 + host.len()].copy_from_slice(host.as_bytes());
    r
}

const SCENARIO: &str = r#"
mount -t tmpfs none /var/run && mount -t tmpfs none /var/log || exit 98
step() { "$B" "$@"; echo "rc=$?"; }
step; step -V; step -x pts/1; step -w
step pts/1
cp "$D/utmp" /var/run/utmp
step pts/2; step pts/2
step -w pts/1
step -w averyveryveryverylonglinenamethatexceedsthefield
cp /var/run/utmp "$D/utmp.after"; cp /var/log/wtmp "$D/wtmp.after"
"#;

/// Runs the scenario with `bin`; returns its output and the resulting files
/// with the time stamps zeroed (after checking they are recent).
fn scenario(bin: &Path) -> (String, String, i32, Vec<u8>, Vec<u8>) {
    let t = TestDir::new("utmpset");
    let mut utmp = record(7, "pts/1", "alice", "");
    utmp.extend(record(7, "pts/2", "", ""));
    utmp.extend(record(7, "pts/2", "bob", "somehost"));
    std::fs::write(t.join("utmp"), &utmp).unwrap();
    let mut c = common::private_mount_shell(SCENARIO);
    c.env("B", bin).env("D", &t.path).current_dir("/");
    let (out, err, code) = text(&run(c));
    let err = err.replace(bin.to_str().unwrap(), "B");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mask = |mut b: Vec<u8>| {
        for r in b.chunks_mut(RECORD) {
            let secs = i32::from_le_bytes([r[340], r[341], r[342], r[343]]) as i64;
            assert!(secs == 0 || (now - secs).abs() < 60, "time stamp {secs}");
            r[340..344].fill(0);
        }
        b
    };
    let utmp_after = mask(std::fs::read(t.join("utmp.after")).unwrap_or_default());
    let wtmp_after = mask(std::fs::read(t.join("wtmp.after")).unwrap_or_default());
    (out, err, code, utmp_after, wtmp_after)
}

#[test]
fn utmpset_matches_runit() {
    if !Path::new("/usr/bin/unshare").exists() {
        crate::reference::unavailable("utmpset_matches_runit", "unshare is not installed");
        return;
    }
    let ours = scenario(&ours("utmpset"));
    assert_ne!(
        ours.2, 98,
        "could not mount scratch file systems: {}",
        ours.1
    );
    let mut expected = record(8, "pts/1", "", "");
    expected.extend(record(7, "pts/2", "", ""));
    expected.extend(record(8, "pts/2", "", ""));
    assert_eq!(ours.3, expected);
    let mut logout = vec![0u8; RECORD];
    logout[0..2].copy_from_slice(&8i16.to_le_bytes());
    logout[8..13].copy_from_slice(b"pts/1");
    assert_eq!(ours.4, logout);
    let Some(theirs) = theirs_or_skip("utmpset", "utmpset_matches_runit") else {
        return;
    };
    let theirs = scenario(&theirs);
    assert_eq!((&ours.0, &ours.1, ours.2), (&theirs.0, &theirs.1, theirs.2));
    assert_eq!(ours.3, theirs.3, "utmp differs");
    assert_eq!(ours.4, theirs.4, "wtmp differs");
}
