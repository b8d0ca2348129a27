//! runit's getopt (doc/runit/common.md §3): options only before the first operand;
//! `--` (or any word starting with it) ends them and is consumed; a lone `-` ends them and is kept; flags
//! cluster; an option's argument is the rest of the word or the next word.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// One parsed option or the end of options.
#[derive(Debug, PartialEq, Eq)]
pub enum Opt {
    /// A flag, or an option with its argument.
    Flag(u8, Option<OsString>),
    /// `<name>: illegal option -- <c>`
    Illegal(u8),
    /// `<name>: option requires an argument -- <c>`
    MissingArgument(u8),
}

/// Parses `args` (without `argv[0]`) against `spec`, where a letter followed by
/// `:` takes an argument. Returns the options in order and the index of the
/// first operand. Parsing stops at the first error.
pub fn parse(args: &[OsString], spec: &str) -> (Vec<Opt>, usize) {
    let spec = spec.as_bytes();
    let takes_arg = |c: u8| -> Option<bool> {
        let i = spec.iter().position(|&s| s == c && c != b':')?;
        Some(spec.get(i + 1) == Some(&b':'))
    };
    let mut opts = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = args[i].as_bytes();
        if w.len() < 2 || w[0] != b'-' {
            break;
        }
        // Any word starting with `--` ends the options and is consumed
        // (runit: `sv --json status x` is `sv status x`).
        if w[1] == b'-' {
            i += 1;
            break;
        }
        let mut j = 1;
        while j < w.len() {
            let c = w[j];
            match takes_arg(c) {
                None => {
                    opts.push(Opt::Illegal(c));
                    return (opts, i + 1);
                }
                Some(false) => {
                    opts.push(Opt::Flag(c, None));
                    j += 1;
                }
                Some(true) => {
                    if j + 1 < w.len() {
                        opts.push(Opt::Flag(
                            c,
                            Some(OsStr::from_bytes(&w[j + 1..]).to_owned()),
                        ));
                    } else if i + 1 < args.len() {
                        i += 1;
                        opts.push(Opt::Flag(c, Some(args[i].clone())));
                    } else {
                        opts.push(Opt::MissingArgument(c));
                        return (opts, i + 1);
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    (opts, i)
}

/// runit's number scanner: the longest prefix of ASCII digits, wrapping
/// modulo 2^64. Returns the value and how many digits were read.
pub fn scan_ulong(s: &[u8]) -> (u64, usize) {
    let mut v: u64 = 0;
    let mut n = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        n += 1;
    }
    (v, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_stop_at_first_operand() {
        let (o, i) = parse(&args(&["-v", "-w5", "stop", "-w", "1"]), "vw:V");
        assert_eq!(
            o,
            vec![Opt::Flag(b'v', None), Opt::Flag(b'w', Some("5".into()))]
        );
        assert_eq!(i, 2);
    }

    #[test]
    fn dashes() {
        assert_eq!(parse(&args(&["--", "-v"]), "v").1, 1);
        assert_eq!(parse(&args(&["--json", "status"]), "v").1, 1);
        assert_eq!(
            parse(&args(&["-v", "--x", "-v"]), "v"),
            (vec![Opt::Flag(b'v', None)], 2)
        );
        assert_eq!(parse(&args(&["-", "x"]), "v").1, 0);
        let (o, i) = parse(&args(&["-w", "-5", "x"]), "w:");
        assert_eq!(o, vec![Opt::Flag(b'w', Some("-5".into()))]);
        assert_eq!(i, 2);
    }

    #[test]
    fn errors() {
        assert_eq!(parse(&args(&["-x"]), "v").0, vec![Opt::Illegal(b'x')]);
        assert_eq!(
            parse(&args(&["-vw"]), "vw:").0,
            vec![Opt::Flag(b'v', None), Opt::MissingArgument(b'w')]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(scan_ulong(b"12ab"), (12, 2));
        assert_eq!(scan_ulong(b""), (0, 0));
        assert_eq!(scan_ulong(b"x1"), (0, 0));
    }
}
