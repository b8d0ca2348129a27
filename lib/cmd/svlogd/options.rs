//! svlogd's command line: runit's getopt with `R:r:l:b:tvV`, counted `-t`,
//! and runit's usage line and exit code 111.

use crate::cli::getopt::{self, Opt};
use crate::logdir::lines::Replacement;
use crate::logdir::stamp::StampKind;
use crate::msg;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = " [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...";
const VERSION: &str = "$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $";

/// The command line.
pub(super) struct Options {
    pub(super) stamp: StampKind,
    pub(super) verbose: bool,
    pub(super) replace: Option<Replacement>,
    pub(super) line_max: usize,
    pub(super) dirs: Vec<OsString>,
}

fn usage(argv0: &str) -> ! {
    msg::usage(argv0, USAGE, 111)
}

pub(super) fn parse_options(args: &[OsString], argv0: &str) -> Options {
    let base = argv0.rsplit('/').next().unwrap_or(argv0).to_string();
    let (opts, first) = getopt::parse(args.get(1..).unwrap_or(&[]), "R:r:l:b:tvV");
    let mut t_count = 0;
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
                _ => usage(argv0),
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
            Opt::Flag(b'v', _) => verbose = true,
            Opt::Flag(b'V', _) => {
                msg::line(&[VERSION]);
                usage(argv0)
            }
            Opt::Illegal(c) => {
                msg::line(&[&base, ": illegal option -- ", &(c as char).to_string()]);
                usage(argv0)
            }
            Opt::MissingArgument(c) => {
                msg::line(&[
                    &base,
                    ": option requires an argument -- ",
                    &(c as char).to_string(),
                ]);
                usage(argv0)
            }
            Opt::Flag(..) => usage(argv0),
        }
    }
    let dirs: Vec<OsString> = args.get(1 + first..).unwrap_or(&[]).to_vec();
    if dirs.is_empty() || buf_len <= line_max {
        usage(argv0);
    }
    Options {
        stamp: StampKind::from_count(t_count),
        verbose,
        replace: (repl != 0).then(|| Replacement::new(repl, &extra)),
        line_max: usize::try_from(line_max).unwrap_or(usize::MAX),
        dirs,
    }
}
