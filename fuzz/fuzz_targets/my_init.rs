//! my_init's parsers of outside data: the environment it is given and the
//! files of /etc/container_environment (their values, CR/LF handling), the
//! shell and JSON encodings it writes, and its argparse-style command line.
//! Writing the files is I/O and is left to the integration tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::cmd::my_init::args;
use runit::cmd::my_init::env::{json, sanitize_name, shquote, universal_newlines, Env};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

fuzz_target!(|data: &[u8]| {
    // NUL-separated words: environment entries, and the same as argv.
    let words: Vec<Vec<u8>> = data.split(|&b| b == 0).map(<[u8]>::to_vec).collect();

    let env = Env::from_entries(&words);
    let mut names = std::collections::HashSet::new();
    for (n, v) in env.iter() {
        // The first of duplicate names wins; no name holds '='.
        assert!(names.insert(n.clone()), "duplicate name");
        assert!(!n.contains(&b'='));
        assert_eq!(env.get(n), Some(v.as_slice()));

        let q = shquote(v);
        if v.is_empty() {
            assert_eq!(q, b"''");
        } else if q != *v {
            // Quoted: single quotes around, every inner quote as '"'"'.
            assert!(q.len() >= 2 && q[0] == b'\'' && q[q.len() - 1] == b'\'');
            let inner = &q[1..q.len() - 1];
            let undone = String::from_utf8_lossy(inner).replace("'\"'\"'", "'");
            assert_eq!(undone.as_bytes(), String::from_utf8_lossy(v).as_bytes());
        }
        // A sanitized name never needs quoting in `export NAME=...`.
        let s = sanitize_name(n);
        assert!(!s.contains(&b'=') && !s.contains(&b' ') && !s.contains(&b'\''));
    }
    // json.dumps with ensure_ascii: pure ASCII, one object.
    let j = json(&env);
    assert!(j.is_ascii(), "json not ASCII");
    assert!(j.starts_with(b"{") && j.ends_with(b"}"));
    assert!(!j.contains(&b'\n'));

    // Python's text mode: no CR survives, and nothing else changes.
    let u = universal_newlines(data);
    assert!(!u.contains(&b'\r'));
    assert!(u.len() <= data.len());

    // The command line: any words parse to a command, help or an error.
    let argv: Vec<OsString> = words.iter().skip(1).cloned().map(OsString::from_vec).collect();
    let prog = words.first().cloned().unwrap_or_default();
    let _ = args::parse(&prog, &argv, &|_| None);
});
