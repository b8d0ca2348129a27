//! Helpers shared by the svlogd test files (`mod svlogd_support;`).

use crate::common::{wait_for, Proc, TestDir};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};

/// Replaces svlogd's timestamps by fixed words: TAI64N labels (`@4000…`, 25
/// bytes) by `@TAI64N`, `-tt`/`-ttt` stamps by `STAMP`.
pub fn mask_stamps(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'@'
            && b.len() - i >= 25
            && b[i + 1..i + 25].iter().all(|c| c.is_ascii_hexdigit())
            && b[i + 1..i + 5] == *b"4000"
        {
            out.extend_from_slice(b"@TAI64N");
            i += 25;
            continue;
        }
        if b.len() - i >= 25 && is_civil(&b[i..i + 25]) {
            out.extend_from_slice(b"STAMP");
            i += 25;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn is_civil(s: &[u8]) -> bool {
    // YYYY-MM-DD_HH:MM:SS.xxxxx (or T)
    let shape = b"dddd-dd-dd?dd:dd:dd.ddddd";
    s.iter().zip(shape.iter()).all(|(&c, &k)| match k {
        b'd' => c.is_ascii_digit(),
        b'?' => c == b'_' || c == b'T',
        _ => c == k,
    })
}

/// A log directory as text: every file in name order (old files renamed
/// `@1.s`, `@2.u`, … by age), its mode and its content with stamps masked.
pub fn dump_dir(dir: &Path) -> String {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::new();
    let mut n = 0;
    for name in names {
        let p = dir.join(&name);
        let shown = if name.len() == 27 && name.starts_with('@') {
            n += 1;
            format!("@{}{}", n, &name[25..])
        } else {
            name.clone()
        };
        let meta = fs::metadata(&p).unwrap();
        out.push_str(&format!(
            "== {} {:o}\n",
            shown,
            meta.permissions().mode() & 0o7777
        ));
        if meta.is_file() {
            out.push_str(&String::from_utf8_lossy(&mask_stamps(
                &fs::read(&p).unwrap(),
            )));
            out.push('\n');
        }
    }
    out
}

/// One svlogd run in a fresh directory with log directories `names`.
pub struct Run {
    pub dir: TestDir,
    pub proc: Proc,
    pub stdin: Option<ChildStdin>,
    pub names: Vec<String>,
}

impl Run {
    /// Starts `bin args names…` in a new directory; `setup` prepares the
    /// log directories first. stdin is a pipe, stderr goes to `err`.
    pub fn start(
        bin: &Path,
        test: &str,
        args: &[&str],
        names: &[&str],
        setup: impl Fn(&Path),
    ) -> Run {
        let dir = TestDir::new(test);
        for n in names {
            fs::create_dir_all(dir.join(n)).unwrap();
        }
        setup(&dir.path);
        let mut cmd = svlogd_command(bin, &dir, args, names);
        cmd.stdin(Stdio::piped());
        let mut proc = Proc::start(cmd);
        let stdin = proc.child.stdin.take();
        Run {
            dir,
            proc,
            stdin,
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    pub fn write(&mut self, data: &[u8]) {
        self.stdin.as_mut().unwrap().write_all(data).unwrap();
        self.stdin.as_mut().unwrap().flush().unwrap();
    }

    pub fn err(&self) -> String {
        String::from_utf8_lossy(&fs::read(self.dir.join("err")).unwrap_or_default()).into_owned()
    }

    /// Waits until stderr holds `n` copies of `text`.
    pub fn wait_err(&self, text: &str, n: usize) {
        wait_for(&format!("{n} x {text:?} on stderr"), || {
            self.err().matches(text).count() >= n
        });
    }

    /// Waits until the log directory's files hold `n` bytes in all.
    pub fn wait_bytes(&self, name: &str, n: u64) {
        let d = self.dir.join(name);
        wait_for(&format!("{n} bytes in {name}"), || logged_bytes(&d) == n);
    }

    pub fn signal(&self, sig: i32) {
        self.proc.signal(sig);
    }

    /// Closes stdin and waits for the exit code.
    pub fn finish(&mut self) -> i32 {
        self.stdin = None;
        self.proc.wait_exit().code().unwrap_or(-1)
    }

    /// Every log directory dumped, then stderr (stamps masked) and `code`.
    pub fn dump(&self, code: i32) -> String {
        let mut out = String::new();
        for n in &self.names {
            out.push_str(&format!("#### {n}\n{}", dump_dir(&self.dir.join(n))));
        }
        let err = String::from_utf8_lossy(&mask_stamps(self.err().as_bytes())).into_owned();
        out.push_str(&format!("#### stderr\n{err}#### exit {code}\n"));
        out
    }
}

/// Bytes in `current` and the old files of a log directory.
pub fn logged_bytes(d: &Path) -> u64 {
    fs::read_dir(d)
        .map(|r| {
            r.flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n == "current" || (n.len() == 27 && n.starts_with('@'))
                })
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs `bin` over `input` (a file on stdin) to its end and dumps the result.
pub fn run_file(
    bin: &Path,
    test: &str,
    args: &[&str],
    names: &[&str],
    config: Option<&str>,
    input: &[u8],
) -> String {
    let dir = TestDir::new(test);
    for n in names {
        fs::create_dir_all(dir.join(n)).unwrap();
        if let Some(c) = config {
            fs::write(dir.join(n).join("config"), c).unwrap();
        }
    }
    fs::write(dir.join("input"), input).unwrap();
    let mut cmd = svlogd_command(bin, &dir, args, names);
    cmd.stdin(fs::File::open(dir.join("input")).unwrap());
    let mut p = Proc::start(cmd);
    // Some cases fsync thousands of tiny files: slow on a busy disk.
    let mut status = None;
    let done = crate::common::wait_until(std::time::Duration::from_secs(120), || {
        status = p.try_exit();
        status.is_some()
    });
    assert!(done, "{test}: svlogd did not finish");
    let code = status.and_then(|s| s.code()).unwrap_or(-1);
    let mut out = String::new();
    for n in names {
        out.push_str(&format!("#### {n}\n{}", dump_dir(&dir.join(n))));
    }
    let err = fs::read(dir.join("err")).unwrap();
    out.push_str(&format!(
        "#### stderr\n{}#### exit {code}\n",
        String::from_utf8_lossy(&mask_stamps(&err))
    ));
    out
}

/// `svlogd ARGS NAMES` in `dir`, stdout discarded, stderr into `dir/err`.
fn svlogd_command(bin: &Path, dir: &TestDir, args: &[&str], names: &[&str]) -> Command {
    let err = fs::File::create(dir.join("err")).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg0("svlogd")
        .args(args)
        .args(names)
        .current_dir(&dir.path)
        .stdout(Stdio::null())
        .stderr(err);
    cmd
}
