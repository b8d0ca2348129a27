//! The references the differential tests compare with, and the one answer to
//! "is it installed?".
//!
//! A differential test always checks ours against the expected result, and
//! compares with the reference when it is installed: Debian's runit 2.1.2
//! (`/usr/bin/runsv`, ...) or phusion's `my_init`/`setuser` (Python scripts
//! in the workplace's `shared/reference/phusion`, run by python3; see
//! [`phusion`]).
//!
//! A missing reference is a visible `NOT COMPARED` note, and the test goes on
//! with ours alone, unless [`REQUIRE`] is `1` (`scripts/test.sh` exports it,
//! so `.ci/run` sets it) or `CI=true`: then it is a failure that says what to
//! install. The same switch turns a missing prerequisite of the test
//! environment (root, unshare, groff, busybox-static, dpkg) into a failure:
//! [`unavailable`]. `RUNIT_RS_NO_REFERENCE=1` hides every reference, to
//! run the ours-only half of the differential tests where they are installed.
//!
//! The harness is [`same`]: run the scenario under ours, run it under the
//! reference when there is one and require the same result, and hand ours
//! back for the caller to check against the expected result.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

/// `RUNIT_RS_REQUIRE_REFERENCE=1`: a missing reference or prerequisite fails
/// the test instead of skipping (part of) it.
pub const REQUIRE: &str = "RUNIT_RS_REQUIRE_REFERENCE";

/// `RUNIT_RS_NO_REFERENCE=1`: behave as if no reference were installed, to
/// exercise the ours-only half of every differential test.
pub const PRETEND_MISSING: &str = "RUNIT_RS_NO_REFERENCE";

fn pretend_missing() -> bool {
    std::env::var(PRETEND_MISSING).as_deref() == Ok("1")
}

/// Whether a missing reference is a failure.
pub fn required() -> bool {
    std::env::var(REQUIRE).as_deref() == Ok("1") || std::env::var("CI").as_deref() == Ok("true")
}

/// Reports a missing reference: a panic under [`REQUIRE`], else a note.
#[track_caller]
pub fn missing(test: &str, what: &str, install: &str) {
    assert!(
        !required(),
        "{test}: {what} is not installed and {REQUIRE}=1 (or CI=true) requires it; \
         install {install} (scripts/test.sh does, as root)"
    );
    eprintln!("NOT COMPARED {test}: {what} is not installed; checking ours only");
}

/// Reports a missing prerequisite (root, unshare, a tool) of a test that
/// cannot run without it: a panic under [`REQUIRE`], else a skip note.
#[track_caller]
pub fn unavailable(test: &str, why: &str) {
    assert!(
        !required(),
        "{test}: {why}, and {REQUIRE}=1 (or CI=true) requires every test to run"
    );
    eprintln!("SKIPPED {test}: {why}");
}

/// Debian's runit program `name`, wherever Debian installs it.
pub fn runit_path(name: &str) -> Option<PathBuf> {
    if pretend_missing() {
        return None;
    }
    ["/usr/bin", "/usr/sbin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// Debian's runit program `name`, or None after [`missing`].
#[track_caller]
pub fn runit(name: &str, test: &str) -> Option<PathBuf> {
    let p = runit_path(name);
    if p.is_none() {
        missing(
            test,
            &format!("Debian's runit ({name})"),
            "the runit package",
        );
    }
    p
}

/// Several of Debian's runit programs, all or None (after [`missing`]).
#[track_caller]
pub fn runit_all<const N: usize>(names: [&str; N], test: &str) -> Option<[PathBuf; N]> {
    let found: Vec<PathBuf> = names.iter().filter_map(|n| runit_path(n)).collect();
    if found.len() < N {
        missing(
            test,
            &format!("Debian's runit ({})", names.join(", ")),
            "the runit package",
        );
        return None;
    }
    found.try_into().ok()
}

/// The python3 that runs phusion's scripts (their shebang's first).
pub fn python3() -> Option<PathBuf> {
    let fixed = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    fixed.or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("python3"))
                .find(|p| p.exists())
        })
    })
}

/// `RUNIT_RS_PHUSION_DIR`: where phusion's unmodified `my_init` and
/// `setuser` are, when not in the places [`phusion_dir`] looks.
pub const PHUSION_DIR: &str = "RUNIT_RS_PHUSION_DIR";

/// The directory holding phusion's scripts: `$RUNIT_RS_PHUSION_DIR`, else the
/// workplace's shared copy beside the repository (`../shared/reference/phusion`)
/// or at its usual place (`/work/shared/reference/phusion`).
pub fn phusion_dir() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/phusion");
    std::env::var_os(PHUSION_DIR)
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/reference/phusion")])
        .find(|d| d.join("my_init").is_file())
}

/// `python3 -u <script>` for phusion's `name` (my_init, setuser), or None
/// after a note.
///
/// A missing python3 is [`missing`] (a failure under [`REQUIRE`]: every
/// Debian installs it). phusion's scripts themselves are not a package that
/// any registry this project reaches serves, and the project does not copy
/// them: a clone far from the workplace's shared directory has none, and
/// then the tests check ours alone after a visible note, even under
/// [`REQUIRE`] (`scripts/test.sh` says so at its start).
#[track_caller]
pub fn phusion(name: &str, test: &str) -> Option<Vec<PathBuf>> {
    if pretend_missing() {
        missing(
            test,
            &format!("phusion's {name}"),
            "nothing (RUNIT_RS_NO_REFERENCE=1)",
        );
        return None;
    }
    let Some(py) = python3() else {
        missing(test, "python3 (for phusion's scripts)", "python3");
        return None;
    };
    match phusion_dir() {
        Some(dir) => Some(vec![py, PathBuf::from("-u"), dir.join(name)]),
        None => {
            eprintln!(
                "NOT COMPARED {test}: phusion's {name} is not here \
                 (../shared/reference/phusion, {PHUSION_DIR}); checking ours only"
            );
            None
        }
    }
}

/// The differential harness: runs the scenario under ours, then under the
/// reference when there is one (`reference` is what [`runit`] or [`phusion`]
/// returned), requires the same result, and returns ours, which the caller
/// checks against the expected result.
#[track_caller]
pub fn same<R, T: PartialEq + Debug>(
    test: &str,
    reference: Option<R>,
    ours: impl FnOnce() -> T,
    theirs: impl FnOnce(R) -> T,
) -> T {
    let mine = ours();
    if let Some(r) = reference {
        let other = theirs(r);
        assert_eq!(
            mine, other,
            "{test}: ours (left) differs from the reference (right)"
        );
    }
    mine
}
