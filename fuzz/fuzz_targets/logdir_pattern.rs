//! svlogd's pattern matcher against a literal model of runit's `pmatch`
//! (a C string pattern, a line of `len` bytes, and the byte after the line in
//! svlogd's buffer). Where runit's C would read past the pattern's NUL the
//! outcome is undefined and not compared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::logdir::config::parse;
use runit::logdir::pattern::{matches, select, Selection};

/// runit's pmatch over `pat` (no NUL inside, NUL after) and `line`, with
/// `after` the byte following the line. None: undefined in C.
fn pmatch(pat: &[u8], line: &[u8], after: u8) -> Option<bool> {
    let pc = |i: usize| -> Option<u8> {
        match i.cmp(&pat.len()) {
            std::cmp::Ordering::Less => Some(pat[i]),
            std::cmp::Ordering::Equal => Some(0),
            std::cmp::Ordering::Greater => None,
        }
    };
    let sc = |i: usize| -> u8 { line.get(i).copied().unwrap_or(after) };
    let (mut p, mut s, mut len) = (0usize, 0usize, line.len());
    loop {
        let c = pc(p)?;
        p += 1;
        if c == 0 {
            return Some(len == 0);
        }
        match c {
            b'*' => {
                let c = pc(p)?;
                if c == 0 {
                    return Some(true);
                }
                loop {
                    if len == 0 {
                        return Some(false);
                    }
                    if sc(s) == c {
                        break;
                    }
                    s += 1;
                    len -= 1;
                }
            }
            b'+' => {
                let c = pc(p)?;
                p += 1;
                if c != sc(s) {
                    return Some(false);
                }
                loop {
                    if len == 0 {
                        return Some(true);
                    }
                    if sc(s) != c {
                        break;
                    }
                    s += 1;
                    len -= 1;
                }
            }
            _ => {
                if len == 0 || sc(s) != c {
                    return Some(false);
                }
                s += 1;
                len -= 1;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&after, rest)) = data.split_first() else {
        return;
    };
    // pattern \n line [\n config...]
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let pat = parts.next().unwrap_or_default();
    let line = parts.next().unwrap_or_default();
    let config = parts.next().unwrap_or_default();
    // Patterns come from config lines, which end at a NUL.
    let pat = pat.split(|&b| b == 0).next().unwrap_or_default();
    let ours = matches(pat, line, after);
    if let Some(theirs) = pmatch(pat, line, after) {
        assert_eq!(
            ours,
            theirs,
            "pattern {:?} line {:?} after {after}",
            String::from_utf8_lossy(pat),
            String::from_utf8_lossy(line)
        );
    }
    // The selection over a whole config: the last matching line wins.
    let patterns = parse(config).0.patterns;
    let prev = Selection {
        file: after & 1 != 0,
        stderr: after & 2 != 0,
    };
    let sel = select(&patterns, line, after, prev);
    if patterns.is_empty() {
        assert_eq!(sel, prev);
    }
});
