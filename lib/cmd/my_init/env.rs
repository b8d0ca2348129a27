//! The `/etc/container_environment` protocol, byte for byte as the
//! reference's `import_envvars`/`export_envvars`:
//! - the environment is an ordered list of unique names (the order of the
//!   process's environment, first occurrence winning, new names appended),
//!   which is the order of Python's `os.environ`;
//! - import: every entry of the directory in code-point order, read as
//!   Python's text mode reads it (`\r\n` and `\r` become `\n`), one trailing
//!   newline removed; at boot the container's own variables win, after each
//!   startup script the environment is replaced by the directory's contents;
//! - export: at boot every variable but HOME, USER, GROUP, UID, GID and SHELL
//!   is written to the directory as a file without newline; each export
//!   rewrites `container_environment.sh` (`export NAME=VALUE` lines, names
//!   with every non-`\w` character made `_`, values quoted like Python's
//!   `shlex.quote`) and `container_environment.json` (`json.dumps` of the
//!   whole environment: `ensure_ascii` escapes, `", "` and `": "`).
//!
//! Files are opened with O_TRUNC, not replaced, so owner and mode survive.
//! Where the reference crashes (values that are not UTF-8), ours passes the
//! bytes through: raw in the directory and the `.sh`, and in the JSON as
//! `\udcXX`, the lone surrogate Python's surrogateescape gives each such
//! byte (what `json.dumps` itself would write for them). Names that cannot
//! be in an environment (empty, with `=`) or a file name (with `/`) and
//! values with a NUL byte are skipped with a warning instead of a crash.

use super::pyword::is_word;
use crate::cli::argparse::code_points;
use crate::errstr;
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Names written to neither the directory nor the `.sh`.
const NOT_EXPORTED: [&[u8]; 6] = [b"HOME", b"USER", b"GROUP", b"UID", b"GID", b"SHELL"];

/// The environment, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    vars: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Env {
    /// From `NAME=value` entries: entries without `=` are dropped, the first
    /// of duplicate names wins (Python's os.environ).
    pub fn from_entries(entries: &[Vec<u8>]) -> Env {
        let mut env = Env::default();
        for e in entries {
            let Some(eq) = e.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (n, v) = (&e[..eq], &e[eq + 1..]);
            if env.get(n).is_none() {
                env.vars.push((n.to_vec(), v.to_vec()));
            }
        }
        env
    }

    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Replaces in place, or appends.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_vec(),
            None => self.vars.push((name.to_vec(), value.to_vec())),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Vec<u8>, Vec<u8>)> {
        self.vars.iter()
    }

    /// `NAME=value` C strings for execve.
    pub fn to_cstrings(&self) -> Vec<CString> {
        self.vars
            .iter()
            .filter_map(|(n, v)| {
                let mut e = n.clone();
                e.push(b'=');
                e.extend_from_slice(v);
                CString::new(e).ok()
            })
            .collect()
    }
}

/// Where the protocol's files are: `/etc` normally, a directory in tests.
pub struct Files {
    pub dir: PathBuf,
    pub sh: PathBuf,
    pub json: PathBuf,
}

impl Files {
    pub fn under(etc: &Path) -> Files {
        Files {
            dir: etc.join("container_environment"),
            sh: etc.join("container_environment.sh"),
            json: etc.join("container_environment.json"),
        }
    }
}

/// A failure the caller decides about (the reference crashes on each).
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub text: String,
    /// A write failed (fatal by default); otherwise an entry was skipped.
    pub write: bool,
}

fn problem(what: &str, path: &Path, e: &std::io::Error, write: bool) -> Problem {
    Problem {
        text: format!(
            "unable to {} {}: {}",
            what,
            path.display(),
            errstr::of_io(e)
        ),
        write,
    }
}

/// `import_envvars(clear, override)`.
pub fn import(env: &mut Env, files: &Files, clear: bool, override_: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !files.dir.exists() {
        return problems;
    }
    let mut new: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for name in listdir(&files.dir) {
        let path = files.dir.join(std::ffi::OsStr::from_bytes(&name));
        let mut raw = Vec::new();
        if let Err(e) = std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut raw)) {
            problems.push(problem("read", &path, &e, false));
            continue;
        }
        let mut value = universal_newlines(&raw);
        if value.last() == Some(&b'\n') {
            value.pop();
        }
        if name.contains(&b'=') || value.contains(&0) {
            problems.push(Problem {
                text: format!(
                    "ignoring {}: not a valid environment variable",
                    path.display()
                ),
                write: false,
            });
            continue;
        }
        new.push((name, value));
    }
    if clear {
        env.vars.clear();
    }
    for (n, v) in new {
        if override_ || env.get(&n).is_none() {
            env.set(&n, &v);
        }
    }
    problems
}

/// `export_envvars(to_dir)`.
pub fn export(env: &Env, files: &Files, to_dir: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !files.dir.exists() {
        return problems;
    }
    let mut shell = Vec::new();
    for (name, value) in env.iter() {
        if NOT_EXPORTED.contains(&name.as_slice()) {
            continue;
        }
        if to_dir {
            if name.is_empty() || name.contains(&b'/') {
                problems.push(Problem {
                    text: format!(
                        "not exporting {}: not a valid file name",
                        crate::cli::argparse::py_str(name)
                    ),
                    write: false,
                });
            } else {
                let path = files.dir.join(std::ffi::OsStr::from_bytes(name));
                if let Err(e) = write_file(&path, value) {
                    problems.push(problem("write", &path, &e, true));
                }
            }
        }
        shell.extend_from_slice(b"export ");
        shell.extend_from_slice(&sanitize_name(name));
        shell.push(b'=');
        shell.extend_from_slice(&shquote(value));
        shell.push(b'\n');
    }
    if let Err(e) = write_file(&files.sh, &shell) {
        problems.push(problem("write", &files.sh, &e, true));
    }
    if let Err(e) = write_file(&files.json, &json(env)) {
        problems.push(problem("write", &files.json, &e, true));
    }
    problems
}

/// Entry names of `dir` in Python's sorted order (code points); nothing when
/// it is not a directory.
pub fn listdir(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(mut names) = crate::dirents::names(dir) else {
        return Vec::new();
    };
    names.sort_by_cached_key(|n| code_points(n));
    names
}

/// Truncates and writes in place (mode 0666 before umask when created).
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o666)
        .open(path)?;
    f.write_all(bytes)
}

/// Python's universal newlines on read: `\r\n` and lone `\r` become `\n`.
pub fn universal_newlines(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\r' {
            out.push(b'\n');
            if b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

/// Splits bytes into characters as Python sees them: (code point, bytes).
fn chars_of(b: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    for chunk in b.utf8_chunks() {
        let valid = chunk.valid();
        let mut idx = 0;
        for c in valid.chars() {
            let n = c.len_utf8();
            out.push((c as u32, &valid.as_bytes()[idx..idx + n]));
            idx += n;
        }
        let bad = chunk.invalid();
        for k in 0..bad.len() {
            out.push((0xdc00 + bad[k] as u32, &bad[k..k + 1]));
        }
    }
    out
}

/// `re.sub(r'\W', '_', name)`.
pub fn sanitize_name(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for (cp, bytes) in chars_of(name) {
        if is_word(cp) {
            out.extend_from_slice(bytes);
        } else {
            out.push(b'_');
        }
    }
    out
}

/// The reference's `shquote` (shlex.quote): `''` for empty, unquoted when
/// every character is `\w` or one of `@%+=:,./-`, else in single quotes with
/// each `'` written `'"'"'`.
pub fn shquote(value: &[u8]) -> Vec<u8> {
    if value.is_empty() {
        return b"''".to_vec();
    }
    let safe = chars_of(value)
        .iter()
        .all(|&(cp, _)| is_word(cp) || b"@%+=:,./-".iter().any(|&s| s as u32 == cp));
    if safe {
        return value.to_vec();
    }
    let mut out = vec![b'\''];
    for &b in value {
        if b == b'\'' {
            out.extend_from_slice(b"'\"'\"'");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// `json.dumps(dict(os.environ))`.
pub fn json(env: &Env) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (n, v)) in env.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        json_string(&mut out, n);
        out.extend_from_slice(b": ");
        json_string(&mut out, v);
    }
    out.push(b'}');
    out
}

/// A JSON string with `ensure_ascii`: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`,
/// `\f`, every other character outside ' '..'~' as `\uXXXX` (lower-case hex,
/// a surrogate pair above U+FFFF).
fn json_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for cp in code_points(s) {
        match cp {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x20..=0x7e => out.push(cp as u8),
            0x10000.. => {
                let v = cp - 0x10000;
                let hi = 0xd800 | (v >> 10);
                let lo = 0xdc00 | (v & 0x3ff);
                out.extend_from_slice(format!("\\u{:04x}\\u{:04x}", hi, lo).as_bytes());
            }
            _ => out.extend_from_slice(format!("\\u{:04x}", cp).as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let entries: Vec<Vec<u8>> = pairs
            .iter()
            .map(|(n, v)| format!("{}={}", n, v).into_bytes())
            .collect();
        Env::from_entries(&entries)
    }

    #[test]
    fn quoting_like_shlex() {
        assert_eq!(shquote(b""), b"''");
        assert_eq!(shquote(b"/usr/bin:a=b,c@d%e+f"), b"/usr/bin:a=b,c@d%e+f");
        assert_eq!(shquote(b"a b"), b"'a b'");
        assert_eq!(shquote(b"it's"), b"'it'\"'\"'s'");
        assert_eq!(shquote("café".as_bytes()), "café".as_bytes());
        assert_eq!(shquote(b"\xff"), b"'\xff'");
        assert_eq!(shquote(b"$x"), b"'$x'");
    }

    #[test]
    fn names_sanitized_per_character() {
        assert_eq!(sanitize_name(b"a-b.c"), b"a_b_c");
        assert_eq!(sanitize_name("é-€".as_bytes()), "é__".as_bytes());
        assert_eq!(sanitize_name(b"x\xff\xfe"), b"x__");
    }

    #[test]
    fn json_like_python() {
        let e = env(&[("A", "x\"y\\z\n\t\x01\x7f"), ("B", "é€😀"), ("C", "")]);
        assert_eq!(
            String::from_utf8(json(&e)).unwrap(),
            r#"{"A": "x\"y\\z\n\t\u0001\u007f", "B": "\u00e9\u20ac\ud83d\ude00", "C": ""}"#
        );
        let raw = Env::from_entries(&[b"N=\xff".to_vec()]);
        assert_eq!(json(&raw), br#"{"N": "\udcff"}"#);
        assert_eq!(json(&Env::default()), b"{}");
    }

    #[test]
    fn environment_order_and_duplicates() {
        let mut e = Env::from_entries(&[
            b"B=1".to_vec(),
            b"A=2".to_vec(),
            b"B=3".to_vec(),
            b"X".to_vec(),
        ]);
        assert_eq!(e.get(b"B"), Some(&b"1"[..]));
        e.set(b"C", b"4");
        e.set(b"B", b"5");
        let names: Vec<&[u8]> = e.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(names, [&b"B"[..], b"A", b"C"]);
    }

    #[test]
    fn newlines_like_text_mode() {
        assert_eq!(universal_newlines(b"a\r\nb\rc\n"), b"a\nb\nc\n");
    }

    #[test]
    fn import_and_export_round_trip() {
        let dir = std::env::temp_dir().join(format!("my_init_env_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("container_environment")).unwrap();
        let files = Files::under(&dir);
        std::fs::write(files.dir.join("B"), "from dir\n\n").unwrap();
        std::fs::write(files.dir.join("A"), "a\r\n").unwrap();
        std::fs::write(files.dir.join("KEEP"), "dir").unwrap();
        let mut e = env(&[("KEEP", "container"), ("HOME", "/root"), ("my-var", "x y")]);
        assert!(import(&mut e, &files, false, false).is_empty());
        let names: Vec<String> = e
            .iter()
            .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
            .collect();
        assert_eq!(names, ["KEEP", "HOME", "my-var", "A", "B"]);
        assert_eq!(e.get(b"KEEP"), Some(&b"container"[..]));
        assert_eq!(e.get(b"A"), Some(&b"a"[..]));
        assert!(export(&e, &files, true).is_empty());
        assert_eq!(std::fs::read(files.dir.join("KEEP")).unwrap(), b"container");
        assert_eq!(std::fs::read(files.dir.join("my-var")).unwrap(), b"x y");
        assert!(!files.dir.join("HOME").exists());
        assert_eq!(
            std::fs::read_to_string(&files.sh).unwrap(),
            "export KEEP=container\nexport my_var='x y'\nexport A=a\nexport B='from dir\n'\n"
        );
        assert_eq!(
            std::fs::read_to_string(&files.json).unwrap(),
            r#"{"KEEP": "container", "HOME": "/root", "my-var": "x y", "A": "a", "B": "from dir\n"}"#
        );
        // After a startup script: the directory replaces everything.
        assert!(import(&mut e, &files, true, true).is_empty());
        let names: Vec<&[u8]> = e.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(names, [&b"A"[..], b"B", b"KEEP", b"my-var"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
