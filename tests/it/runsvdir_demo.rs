//! The README's demo (`bash scripts/demo.sh`), non-interactively: it starts
//! the demo tree with runsvdir, shows it, stops everything and exits 0.
use crate::common;

use common::{clean_command, ours, run, text};
use std::path::Path;

#[test]
fn demo_once_starts_shows_and_stops() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = ours("runsvdir").parent().unwrap().to_path_buf();
    let mut c = clean_command("bash");
    c.arg(root.join("scripts/demo.sh"))
        .arg("--once")
        .env("RUNIT_RS_BIN", &bin);
    let (out, err, code) = text(&run(c));
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("demo tree: /tmp/runit-rs-demo."), "{out}");
    assert!(out.contains("clock: starting\n"), "{out}");
    let tree = out
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string();
    let demo_dir = Path::new(&tree).parent().unwrap();
    assert!(
        !demo_dir.exists(),
        "demo directory left behind: {}",
        demo_dir.display()
    );
}
