//! scripts/install.sh into a temporary prefix: the multi-call binary and a
//! link for every program, the manual pages, and the chpst personality links,
//! all runnable from there.

use crate::common;

use common::*;
use std::path::Path;
use std::process::Command;

#[test]
fn install_into_a_temporary_prefix() {
    let d = TestDir::new("install");
    let prefix = d.join("prefix");
    let built = ours("runsv").parent().unwrap().to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/install.sh"))
        .arg("--prefix")
        .arg(&prefix)
        .arg("--personalities")
        .arg("--bindir")
        .arg(&built);
    let (o, e, c) = text(&run(cmd));
    assert_eq!(c, 0, "{o}{e}");
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(prefix.join("bin/runit-rs")).expect("bin/runit-rs missing");
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    // Every program is a symbolic link to the one multi-call binary.
    for (p, target) in [
        ("bin/runsvdir", "runit-rs"),
        ("bin/runsv", "runit-rs"),
        ("bin/sv", "runit-rs"),
        ("bin/chpst", "runit-rs"),
        ("bin/svlogd", "runit-rs"),
        ("sbin/runsvchdir", "../bin/runit-rs"),
        ("sbin/utmpset", "../bin/runit-rs"),
    ] {
        let link = std::fs::read_link(prefix.join(p)).unwrap_or_else(|_| panic!("{p} missing"));
        assert_eq!(link, Path::new(target), "{p}");
    }
    for page in std::fs::read_dir(root.join("man")).unwrap().flatten() {
        assert!(prefix
            .join("share/man/man8")
            .join(page.file_name())
            .exists());
    }
    for name in [
        "envdir",
        "envuidgid",
        "pgrphack",
        "setuidgid",
        "softlimit",
        "setlock",
    ] {
        let link = std::fs::read_link(prefix.join("bin").join(name)).expect("personality link");
        assert_eq!(link, Path::new("runit-rs"));
    }
    // The installed runsv runs: its usage line names it as invoked.
    let runsv = prefix.join("bin/runsv");
    let (_, e, c) = text(&run(Command::new(&runsv)));
    assert_eq!((e, c), (format!("usage: {} dir\n\n", runsv.display()), 1));
    // So does a personality, under its own name.
    let (_, e, c) = text(&run(Command::new(prefix.join("bin/setuidgid"))));
    assert_eq!(
        (e, c),
        ("usage: setuidgid account child\n\n".to_string(), 100)
    );
}
