//! Every manual page under man/ is valid roff with no groff warnings.

use std::path::Path;
use std::process::Command;

#[test]
fn man_pages_lint_clean() {
    if Command::new("groff").arg("--version").output().is_err() {
        crate::reference::unavailable("man_pages_lint_clean", "groff is not installed");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("man/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "8") {
            continue;
        }
        let out = Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(&path)
            .output()
            .expect("groff");
        assert!(out.status.success(), "{}: groff failed", path.display());
        assert!(
            out.stderr.is_empty(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 1, "no manual pages found");
}
