//! Expected results recorded from Debian's runit: one text file per scenario,
//! `tests/it/golden/<module>/<scenario>.txt`, that ours must always equal,
//! with or without the reference installed.
//!
//! Re-record them from the reference (Debian's runit installed, its results
//! written over the files, ours still compared afterwards):
//!
//! ```text
//! RUNIT_RS_RECORD_GOLDEN=1 cargo test --test it -- runsv_diff:: sv_diff:: sv_errors:: runsv_sv_commands:: svlogd_diff:: svlogd_signals::
//! ```
//!
//! and review the change with `git diff tests/it/golden/`. Only the
//! reference's results are ever written; when the reference is installed
//! (and not recording), its result must still equal the file, so a stale
//! file is caught where runit is installed.

use std::fs;
use std::path::PathBuf;

/// `RUNIT_RS_RECORD_GOLDEN=1`: write the reference's results as the goldens.
pub const RECORD: &str = "RUNIT_RS_RECORD_GOLDEN";

fn recording() -> bool {
    std::env::var(RECORD).as_deref() == Ok("1")
}

/// The expected result of one scenario.
pub struct Golden {
    path: PathBuf,
    module: String,
}

impl Golden {
    /// The golden file of `scenario` in test module `module`. While
    /// recording, Debian's runit must be installed (and not hidden).
    #[track_caller]
    pub fn new(module: &str, scenario: &str) -> Golden {
        let name: String = scenario
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/golden")
            .join(module)
            .join(format!("{name}.txt"));
        assert!(
            !recording() || crate::reference::runit_path("runsv").is_some(),
            "{RECORD}=1 records from Debian's runit, which is not installed \
             (or {} hides it)",
            crate::reference::PRETEND_MISSING
        );
        Golden {
            path,
            module: module.to_string(),
        }
    }

    /// The reference's result: written as the golden while recording,
    /// otherwise checked against it (a stale golden fails here).
    #[track_caller]
    pub fn reference(&self, result: &str) {
        if recording() {
            if let Some(dir) = self.path.parent() {
                fs::create_dir_all(dir).expect("create golden directory");
            }
            fs::write(&self.path, result).expect("write golden file");
            eprintln!("RECORDED {}", self.path.display());
            return;
        }
        self.check("Debian's runit", result);
    }

    /// A result that must equal the golden: `who` says whose it is (ours,
    /// or runit's sv driving our runsv, ...).
    #[track_caller]
    pub fn check(&self, who: &str, result: &str) {
        let rerecord = format!(
            "re-record from Debian's runit with {RECORD}=1 cargo test --test it -- {}::",
            self.module
        );
        let expected = match fs::read_to_string(&self.path) {
            Ok(e) => e,
            Err(e) => panic!(
                "golden file {}: {e}; {rerecord}\n{who}'s result:\n{result}",
                self.path.display()
            ),
        };
        if expected == result {
            return;
        }
        let (line, want, got) = first_difference(&expected, result);
        panic!(
            "{who} differs from the golden file {} at line {line}:\n  \
             golden: {want:?}\n  {who}: {got:?}\n({rerecord}, only if runit \
             itself gives the new result)\n--- {who}'s whole result ---\n{result}",
            self.path.display()
        );
    }
}

/// The first line (1-based) where `a` and `b` differ, and the two lines.
fn first_difference<'a>(a: &'a str, b: &'a str) -> (usize, &'a str, &'a str) {
    let mut la = a.split_inclusive('\n');
    let mut lb = b.split_inclusive('\n');
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => return (n, x.unwrap_or("<end>"), y.unwrap_or("<end>")),
        }
    }
}

/// One sv call and its masked result, as a golden file shows it: the
/// command line, every stdout line as `out: `, every stderr line as `err: `,
/// a missing final newline as `(no newline)`, then the exit code.
pub fn sv_call(command: &str, result: &(String, String, i32)) -> String {
    let mut out = format!("$ {command}\n");
    for (tag, text) in [("out", &result.0), ("err", &result.1)] {
        for line in text.split_inclusive('\n') {
            out.push_str(tag);
            out.push_str(": ");
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str(" (no newline)\n");
            }
        }
    }
    out.push_str(&format!("exit {}\n", result.2));
    out
}
