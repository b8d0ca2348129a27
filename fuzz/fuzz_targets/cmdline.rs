//! Every program's command line, through the parsing each does before it acts:
//! chpst's whole plan; sv's getopt and command word; svlogd's parser and the
//! line splitter it builds; runsvdir's own argument rules; softlimit, setlock and
//! utmpset's getopt specs. runsv and runsvchdir only count their arguments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::cli::getopt::{parse, scan_ulong, Opt};
use runit::cmd::chpst::options::{number, plan as chpst_plan, Refusal};
use runit::cmd::runsvdir::args::parse as runsvdir_parse;
use runit::cmd::sv::{command as sv_command, Mode as SvMode};
use runit::cmd::svlogd::options::{parse_options as svlogd_parse, Refusal as SvlogdRefusal};
use runit::logdir::lines::Splitter;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

fn chpst(args: &[OsString]) {
    match chpst_plan(args) {
        Ok(p) => {
            assert!(!p.command.is_empty());
            assert!(args.ends_with(&p.command));
        }
        Err(Refusal::Usage | Refusal::Version) => {}
        Err(Refusal::Illegal(c)) => assert!(!super_spec(c)),
        Err(Refusal::MissingArgument(c)) => assert!(super_spec(c)),
    }
}

fn super_spec(c: u8) -> bool {
    runit::cmd::chpst::options::SPEC.as_bytes().contains(&c) && c != b':'
}

fn sv(args: &[OsString]) {
    let (opts, first) = parse(args, "w:vV");
    let mut verbose = false;
    for o in opts {
        match o {
            Opt::Flag(b'w', a) => {
                let _ = scan_ulong(a.unwrap_or_default().as_bytes());
                verbose = true;
            }
            Opt::Flag(b'v', _) => verbose = true,
            _ => return,
        }
    }
    let Some(word) = args.get(first) else { return };
    let word = word.as_bytes();
    for mode in [SvMode::Sv, SvMode::Lsb] {
        let p = sv_command(word, verbose, mode);
        // runit looks at the first letter only, except for the long words.
        if let Some(&c) = word.first() {
            if b"ucdopthaik12xXeEDT".contains(&c) && !(c == b't' && word == b"try-restart") {
                assert!(p.is_some(), "{:?}", String::from_utf8_lossy(word));
            }
        } else {
            assert!(p.is_none());
        }
    }
}

fn svlogd(args: &[OsString]) {
    let mut argv = vec![OsString::from("svlogd")];
    argv.extend_from_slice(args);
    match svlogd_parse(&argv) {
        Ok(o) => {
            assert!(!o.dirs.is_empty());
            assert!(argv.ends_with(&o.dirs));
            // The splitter svlogd would build: a huge -l must not allocate it all.
            let _ = Splitter::new(o.line_max, o.replace);
        }
        Err(SvlogdRefusal::Illegal(c)) => assert!(!b"R:r:l:b:tTvV".contains(&c) || c == b':'),
        Err(SvlogdRefusal::MissingArgument(c)) => assert!(b"Rrlb".contains(&c)),
        Err(SvlogdRefusal::Version | SvlogdRefusal::Usage) => {}
    }
}

fn runsvdir(args: &[OsString]) {
    let mut argv = vec![OsString::from("runsvdir")];
    argv.extend_from_slice(args);
    if let Some(o) = runsvdir_parse(&argv) {
        let i = argv.iter().position(|a| *a == o.dir).unwrap_or(usize::MAX);
        assert!(i < argv.len());
        if let Some((k, l)) = &o.log {
            assert_eq!(&argv[*k], l);
            assert!(*k > 1);
        }
        if let Some(g) = o.graceful {
            assert!(g.as_secs() < 1_000_000_000);
        }
    }
}

fn softlimit(args: &[OsString]) {
    let (opts, _) = parse(args, "a:c:d:f:l:m:o:p:r:s:t:");
    for o in opts {
        if let Opt::Flag(_, Some(a)) = o {
            if a != "=" {
                let _ = number(&a);
            }
        }
    }
}

fn flags_only(args: &[OsString], spec: &str) {
    let (opts, _) = parse(args, spec);
    for o in opts {
        if let Opt::Flag(_, a) = o {
            assert!(a.is_none());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // Words as execve passes them: no NUL inside.
    let args: Vec<OsString> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split(|&b| b == 0)
            .map(|w| OsString::from_vec(w.to_vec()))
            .collect()
    };
    match which % 7 {
        0 => chpst(&args),
        1 => sv(&args),
        2 => svlogd(&args),
        3 => runsvdir(&args),
        4 => softlimit(&args),
        5 => flags_only(&args, "nNxX"),
        _ => flags_only(&args, "wV"),
    }
});
