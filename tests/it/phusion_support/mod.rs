//! Finding phusion's reference programs (Python) for differential tests.
//! They live in `../shared/reference/phusion/` next to the repository. When
//! they or python3 are missing, a test still checks ours against the expected
//! result and prints a visible note; with `CI=true` a missing reference is a
//! failure.

use std::path::{Path, PathBuf};

/// The python3 that runs the references (their shebang's first).
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

/// `python3 -u <reference>` for phusion's `name` (my_init, setuser), or None
/// after a visible note (a panic under `CI=true`).
pub fn reference(name: &str, test: &str) -> Option<Vec<PathBuf>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/phusion")
        .join(name);
    let found = match (python3(), script.exists()) {
        (Some(py), true) => Some(vec![py, PathBuf::from("-u"), script.clone()]),
        _ => None,
    };
    if found.is_none() {
        let why = format!(
            "phusion's {name} or python3 is missing ({})",
            script.display()
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: {why}; CI must compare with the reference"
        );
        eprintln!("NOT COMPARED {test}: {why}; checking ours only");
    }
    found
}
