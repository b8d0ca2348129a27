//! scripts/install.sh into a temporary prefix: every program, the manual
//! pages, and the chpst personality links, all runnable from there.

mod common;

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
    for p in [
        "bin/runsvdir",
        "bin/runsv",
        "bin/sv",
        "bin/chpst",
        "bin/svlogd",
        "sbin/runsvchdir",
        "sbin/utmpset",
    ] {
        let meta = std::fs::metadata(prefix.join(p)).unwrap_or_else(|_| panic!("{p} missing"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o755, "{p}");
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
        assert_eq!(link, Path::new("chpst"));
    }
    // The installed runsv runs: its usage line names it as invoked.
    let runsv = prefix.join("bin/runsv");
    let (_, e, c) = text(&run(Command::new(&runsv)));
    assert_eq!((e, c), (format!("usage: {} dir\n\n", runsv.display()), 1));
}
