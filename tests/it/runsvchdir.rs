//! runsvchdir side by side with Debian's, each in its own mount namespace
//! with a scratch tmpfs over /etc/runit/runsvdir (the real one is never
//! touched).
use crate::common;

use common::{ours, run, text, theirs_or_skip};
use std::path::Path;

/// The scenario: every error path we can provoke, two switches, and the
/// resulting links. `$B` is the binary under test.
const SCENARIO: &str = r#"
cd /etc/runit/runsvdir || exit 99
mkdir a b && touch afile && mkdir b/x
step() { "$B" "$@"; echo "rc=$?"; }
step; step .hidden; step afile; step nope
step a
ln -s a current
step a; step b
echo "current -> $(readlink current), previous -> $(readlink previous)"
step a
echo "current -> $(readlink current), previous -> $(readlink previous)"
mkdir current.new; step b; rmdir current.new
rm previous; mkdir previous; touch previous/x; step b
echo "current -> $(readlink current)"
step ./b
"#;

fn in_namespace(bin: &Path) -> (String, String, i32) {
    let mount_on = ["/etc/runit/runsvdir", "/etc/runit", "/etc"]
        .into_iter()
        .find(|p| Path::new(p).is_dir())
        .unwrap();
    let script = format!(
        "mount -t tmpfs none {mount_on} || exit 98\nmkdir -p /etc/runit/runsvdir\n{SCENARIO}"
    );
    let mut c = common::private_mount_shell(&script);
    c.env("B", bin).current_dir("/");
    let (out, err, code) = text(&run(c));
    (out, err.replace(bin.to_str().unwrap(), "B"), code)
}

#[test]
fn runsvchdir_matches_runit() {
    if !Path::new("/usr/bin/unshare").exists() {
        crate::reference::unavailable("runsvchdir_matches_runit", "unshare is not installed");
        return;
    }
    let ours = in_namespace(&ours("runsvchdir"));
    assert_ne!(ours.2, 98, "could not mount a scratch tmpfs: {}", ours.1);
    assert!(
        ours.0
            .contains("runsvchdir: b: now current.\nrc=0\ncurrent -> b, previous -> a\n"),
        "{}",
        ours.0
    );
    assert!(
        ours.1.contains("B: fatal: afilenot a directory.\n"),
        "{}",
        ours.1
    );
    let Some(theirs) = theirs_or_skip("runsvchdir", "runsvchdir_matches_runit") else {
        return;
    };
    assert_eq!(ours, in_namespace(&theirs));
}
