//! scripts/build-deb.sh: the package holds the multi-call binary and a link
//! at each of Debian runit's paths, and replaces a `runit` package cleanly.
//! Installed only into a scratch root (`dpkg --root`), never over this
//! machine's own runit.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// dpkg and dpkg-deb, or false after a visible note (a failure under
/// RUNIT_RS_REQUIRE_REFERENCE=1 or in CI).
fn have_dpkg() -> bool {
    let found = ["/usr/bin/dpkg", "/usr/bin/dpkg-deb"]
        .iter()
        .all(|p| Path::new(p).exists());
    if !found {
        crate::reference::unavailable("deb", "dpkg/dpkg-deb are not installed");
        return false;
    }
    if !nix::unistd::geteuid().is_root() {
        crate::reference::unavailable("deb", "installing into a scratch root needs root");
        return false;
    }
    true
}

fn dpkg(root: &Path) -> Command {
    let mut c = clean_command("/usr/bin/dpkg");
    c.arg(format!("--root={}", root.display()))
        .arg(format!("--log={}", root.join("dpkg.log").display()));
    c
}

fn ok(cmd: Command) -> String {
    let (o, e, c) = text(&run(cmd));
    assert_eq!(c, 0, "{o}{e}");
    o
}

/// A stand-in for Debian's runit package, with one of its files.
fn fake_runit(dir: &Path) -> PathBuf {
    let stage = dir.join("fake-runit");
    std::fs::create_dir_all(stage.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(stage.join("usr/bin")).unwrap();
    std::fs::write(stage.join("usr/bin/sv"), "the old sv\n").unwrap();
    std::fs::write(
        stage.join("DEBIAN/control"),
        "Package: runit\nVersion: 2.1.2-54\nArchitecture: amd64\nMaintainer: test <t@localhost>\nDescription: stand-in\n stand-in for the test\n",
    )
    .unwrap();
    let deb = dir.join("runit.deb");
    let mut c = clean_command("/usr/bin/dpkg-deb");
    c.args(["--root-owner-group", "--build"])
        .arg(&stage)
        .arg(&deb);
    ok(c);
    deb
}

#[test]
fn package_installs_into_a_scratch_root_replacing_runit() {
    if !have_dpkg() {
        return;
    }
    let d = TestDir::new("deb");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = ours("runit-rs").parent().unwrap().to_path_buf();
    let mut c = clean_command("bash");
    c.arg(root.join("scripts/build-deb.sh"))
        .arg("--bindir")
        .arg(&built)
        .arg("--out")
        .arg(d.join("out"));
    let out = ok(c);
    let deb = PathBuf::from(out.trim_end());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        deb.file_name().unwrap().to_string_lossy(),
        format!("runit-rs_{version}_amd64.deb")
    );
    let mut c = clean_command("/usr/bin/dpkg-deb");
    c.arg("-f").arg(&deb).args([
        "Package",
        "Version",
        "Architecture",
        "Provides",
        "Conflicts",
        "Replaces",
    ]);
    assert_eq!(
        ok(c),
        format!("Package: runit-rs\nVersion: {version}\nArchitecture: amd64\nProvides: runit\nConflicts: runit\nReplaces: runit\n")
    );

    // A scratch dpkg database with a `runit` installed.
    let scratch = d.join("root");
    for sub in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(scratch.join(sub)).unwrap();
    }
    for f in ["status", "available"] {
        std::fs::write(scratch.join("var/lib/dpkg").join(f), "").unwrap();
    }
    let mut c = dpkg(&scratch);
    c.arg("-i").arg(fake_runit(&d.path));
    ok(c);
    let mut c = dpkg(&scratch);
    c.arg("-i").arg(&deb);
    ok(c);
    let mut c = dpkg(&scratch);
    c.args(["-s", "runit"]);
    let (_, _, code) = text(&run(c));
    assert_ne!(code, 0, "runit should have been removed");

    let meta = std::fs::metadata(scratch.join("usr/bin/runit-rs")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    for (p, target) in [
        ("usr/bin/chpst", "runit-rs"),
        ("usr/bin/runsv", "runit-rs"),
        ("usr/bin/runsvdir", "runit-rs"),
        ("usr/bin/sv", "runit-rs"),
        ("usr/bin/svlogd", "runit-rs"),
        ("usr/sbin/runsvchdir", "../bin/runit-rs"),
        ("usr/sbin/utmpset", "../bin/runit-rs"),
    ] {
        let link = std::fs::read_link(scratch.join(p)).unwrap_or_else(|_| panic!("{p}"));
        assert_eq!(link, Path::new(target), "{p}");
    }
    for page in [
        "chpst",
        "runsv",
        "runsvdir",
        "sv",
        "svlogd",
        "runsvchdir",
        "utmpset",
    ] {
        let p = scratch.join(format!("usr/share/man/man8/{page}.8.gz"));
        assert!(p.exists(), "{}", p.display());
    }
    assert!(scratch
        .join("usr/share/bash-completion/completions/sv")
        .exists());
    // No personality links: Debian's runit has none, and daemontools'
    // package owns those names.
    assert!(!scratch.join("usr/bin/envdir").exists());

    // The installed sv runs as sv.
    let (_, e, c) = text(&run(clean_command(scratch.join("usr/bin/sv"))));
    assert!(
        e.starts_with("usage: sv [-v] [-w sec] command service"),
        "{e}"
    );
    assert_eq!(c, 100);
}
