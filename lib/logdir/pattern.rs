//! runit's line matcher (`pmatch`) and the per-directory selection it drives.
//!
//! The pattern must cover the whole line. `*` at the end matches anything;
//! `*c` skips to the first `c` (no backtracking); `+c` needs one or more `c`;
//! every other byte matches itself.

use super::config::{Pattern, Select};

/// Whether `pattern` matches all of `line`, by runit's rules. `after` is the
/// byte that follows the line in runit's line buffer (left over from an
/// earlier, longer line): runit's `+` looks at it when the line is used up.
pub fn matches(pattern: &[u8], line: &[u8], after: u8) -> bool {
    let mut p = 0;
    let mut s = 0;
    loop {
        let Some(&c) = pattern.get(p) else {
            return s == line.len();
        };
        p += 1;
        match c {
            b'*' => {
                let Some(&stop) = pattern.get(p) else {
                    return true;
                };
                // Skip to the first `stop`, which the next step then matches.
                match line[s..].iter().position(|&b| b == stop) {
                    Some(k) => s += k,
                    None => return false,
                }
            }
            b'+' => {
                // A `+` that ends the pattern repeats the string's
                // terminating NUL, as in runit.
                let rep = pattern.get(p).copied().unwrap_or(0);
                let at_end = p == pattern.len();
                p += 1;
                if line.get(s).copied().unwrap_or(after) != rep {
                    return false;
                }
                // runit stops with a match as soon as the line is used up.
                loop {
                    if s == line.len() {
                        return true;
                    }
                    if line[s] != rep {
                        break;
                    }
                    s += 1;
                }
                if at_end {
                    // runit would read on past the pattern's end here.
                    return false;
                }
            }
            _ => {
                if line.get(s) != Some(&c) {
                    return false;
                }
                s += 1;
            }
        }
    }
}

/// Where a line goes for one directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    pub file: bool,
    pub stderr: bool,
}

/// Runs the patterns in config order over `line`; the last match wins.
/// Without patterns `previous` stands (runit keeps its flags then). `after`
/// as for [`matches()`].
pub fn select(patterns: &[Pattern], line: &[u8], after: u8, previous: Selection) -> Selection {
    if patterns.is_empty() {
        return previous;
    }
    let mut sel = Selection {
        file: true,
        stderr: false,
    };
    for p in patterns {
        if matches(&p.pattern, line, after) {
            match p.select {
                Select::File => sel.file = true,
                Select::NoFile => sel.file = false,
                Select::Stderr => sel.stderr = true,
                Select::NoStderr => sel.stderr = false,
            }
        }
    }
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), 0)
    }

    #[test]
    fn star_does_not_backtrack() {
        assert!(!m("*pid*", "tcpsvd: info: pid 1977 from 1.2.3.4"));
        assert!(m("*pid*", "abc pid x"));
        assert!(m("*pid*", "pid"));
        assert!(!m("*a", "bab"));
        assert!(m("*a", "ba"));
        assert!(m("*", ""));
        assert!(m("a*", "abc"));
    }

    #[test]
    fn plus_and_literals() {
        assert!(m("x+y", "xyyy"));
        assert!(m("x+y", "xy"));
        assert!(!m("x+y", "xxy"));
        assert!(m("x+yz", "xyyz"));
        // runit stops with a match as soon as a `+` run uses up the line.
        assert!(m("x+yz", "xyy"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("abc", "ab"));
        assert!(!m("ab", "abc"));
        // The byte after the line decides a `+` at the very end.
        assert!(matches(b"x+y", b"x", b'y'));
        assert!(!matches(b"x+y", b"x", b'z'));
    }

    #[test]
    fn last_match_wins() {
        let pats = super::super::config::parse(b"-*\n+a*\ne*b\n").0.patterns;
        let prev = Selection {
            file: true,
            stderr: false,
        };
        assert_eq!(
            select(&pats, b"xyz", 0, prev),
            Selection {
                file: false,
                stderr: false
            }
        );
        assert_eq!(
            select(&pats, b"ab", 0, prev),
            Selection {
                file: true,
                stderr: true
            }
        );
        let keep = Selection {
            file: true,
            stderr: true,
        };
        assert_eq!(select(&[], b"x", 0, keep), keep);
    }
}
