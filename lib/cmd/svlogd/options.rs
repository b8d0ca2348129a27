//! svlogd's command line: runit's getopt with `R:r:l:b:tvV`, counted `-t`,
//! and runit's usage line and exit code 111; and one extension, `-T`
//! (RFC 3339 local time stamps, in place of any `-t`). Parsing is pure: it returns
//! the options or why they are refused, and `main` prints and exits.

use crate::cli::getopt::{self, Opt};
use crate::logdir::lines::Replacement;
use crate::logdir::stamp::StampKind;
use crate::msg;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = " [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...";
const VERSION: &str = "$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $";
const SPEC: &str = "R:r:l:b:tTvV";

/// The command line.
pub struct Options {
    pub stamp: StampKind,
    pub verbose: bool,
    pub replace: Option<Replacement>,
    pub line_max: usize,
    pub dirs: Vec<OsString>,
}

/// Why a command line is refused; each ends in the usage line and exit 111.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Illegal(u8),
    MissingArgument(u8),
    /// `-V`: the version line first.
    Version,
    /// A bad `-r`, no directory, or a buffer not longer than a line.
    Usage,
}

/// Parses `args` (`args[0]` is the program name) as runit's svlogd does.
pub fn parse_options(args: &[OsString]) -> Result<Options, Refusal> {
    let (opts, first) = getopt::parse(args.get(1..).unwrap_or(&[]), SPEC);
    let mut t_count = 0;
    let mut rfc3339 = false;
    let mut verbose = false;
    let mut repl: u8 = 0;
    let mut extra: Vec<u8> = Vec::new();
    let mut line_max = 1000u64;
    let mut buf_len = 1024u64;
    for o in opts {
        match o {
            Opt::Flag(b'R', Some(a)) => {
                extra = a.as_bytes().to_vec();
                if repl == 0 {
                    repl = b'_';
                }
            }
            Opt::Flag(b'r', Some(a)) => match a.as_bytes() {
                [c] if *c != 0 => repl = *c,
                _ => return Err(Refusal::Usage),
            },
            Opt::Flag(b'l', Some(a)) => {
                line_max = getopt::scan_ulong(a.as_bytes()).0;
                if line_max == 0 {
                    line_max = 1000;
                }
            }
            Opt::Flag(b'b', Some(a)) => {
                buf_len = getopt::scan_ulong(a.as_bytes()).0;
                if buf_len == 0 {
                    buf_len = 1024;
                }
            }
            Opt::Flag(b't', _) => t_count += 1,
            Opt::Flag(b'T', _) => rfc3339 = true,
            Opt::Flag(b'v', _) => verbose = true,
            Opt::Flag(b'V', _) => return Err(Refusal::Version),
            Opt::Illegal(c) => return Err(Refusal::Illegal(c)),
            Opt::MissingArgument(c) => return Err(Refusal::MissingArgument(c)),
            Opt::Flag(..) => return Err(Refusal::Usage),
        }
    }
    let dirs: Vec<OsString> = args.get(1 + first..).unwrap_or(&[]).to_vec();
    if dirs.is_empty() || buf_len <= line_max {
        return Err(Refusal::Usage);
    }
    Ok(Options {
        stamp: if rfc3339 {
            StampKind::Rfc3339
        } else {
            StampKind::from_count(t_count)
        },
        verbose,
        replace: (repl != 0).then(|| Replacement::new(repl, &extra)),
        line_max: usize::try_from(line_max).unwrap_or(usize::MAX),
        dirs,
    })
}

/// Prints what runit prints for `r` (program named `argv0`, printed as
/// bytes) and returns the exit code, 111.
pub fn refuse(r: Refusal, argv0: &[u8]) -> i32 {
    let base = crate::cli::basename(argv0);
    match r {
        Refusal::Illegal(c) => msg::getopt_complaint(base, "illegal option", c),
        Refusal::MissingArgument(c) => {
            msg::getopt_complaint(base, "option requires an argument", c)
        }
        Refusal::Version => msg::line(&[VERSION]),
        Refusal::Usage => {}
    }
    msg::write_line(&[b"usage: ", argv0, USAGE.as_bytes(), b"\n"], None);
    msg::EXIT_TEMPORARY
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Options, Refusal> {
        let mut args = vec![OsString::from("svlogd")];
        args.extend(words.iter().map(OsString::from));
        parse_options(&args)
    }

    #[test]
    fn refusals_in_getopt_order() {
        assert_eq!(parse(&["-V", "-x", "d"]).err(), Some(Refusal::Version));
        assert_eq!(
            parse(&["-x", "-V", "d"]).err(),
            Some(Refusal::Illegal(b'x'))
        );
        assert_eq!(parse(&["-l"]).err(), Some(Refusal::MissingArgument(b'l')));
        assert_eq!(parse(&["-r", "ab", "d"]).err(), Some(Refusal::Usage));
        assert_eq!(parse(&["-l", "2000", "d"]).err(), Some(Refusal::Usage));
        assert_eq!(parse(&["-tv"]).err(), Some(Refusal::Usage));
    }

    #[test]
    fn values() {
        let o = parse(&["-ttt", "-l", "0", "-b", "5000", "-R", "x", "a", "b"]).unwrap();
        assert_eq!(o.stamp, StampKind::Iso);
        assert_eq!(o.line_max, 1000);
        assert_eq!(o.dirs, [OsString::from("a"), OsString::from("b")]);
        assert!(o.replace.is_some());
        assert_eq!(
            parse(&["-T", "-tt", "d"]).ok().map(|o| o.stamp),
            Some(StampKind::Rfc3339)
        );
        assert_eq!(
            parse(&["-t", "-T", "d"]).ok().map(|o| o.stamp),
            Some(StampKind::Rfc3339)
        );
    }
}
