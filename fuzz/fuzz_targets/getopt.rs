//! runit's getopt over any option string and any words: options end at the
//! first operand, at `-` (kept) or at a word starting with `--` (consumed);
//! parsing stops at the first error; every option is in the spec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::cli::getopt::{parse, scan_ulong, Opt};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

fuzz_target!(|data: &[u8]| {
    let mut words = data.split(|&b| b == 0);
    let spec = String::from_utf8_lossy(words.next().unwrap_or_default()).into_owned();
    let args: Vec<OsString> = words.map(|w| OsString::from_vec(w.to_vec())).collect();
    let (opts, first) = parse(&args, &spec);
    assert!(first <= args.len());
    let in_spec = |c: u8| c != b':' && spec.as_bytes().contains(&c);
    let takes_arg = |c: u8| {
        let s = spec.as_bytes();
        let i = s.iter().position(|&x| x == c).unwrap_or(s.len());
        s.get(i + 1) == Some(&b':')
    };
    for (k, o) in opts.iter().enumerate() {
        let last = k + 1 == opts.len();
        match o {
            Opt::Flag(c, arg) => {
                assert!(in_spec(*c));
                assert_eq!(arg.is_some(), takes_arg(*c));
            }
            Opt::Illegal(c) => assert!(last && !in_spec(*c)),
            Opt::MissingArgument(c) => assert!(last && takes_arg(*c)),
        }
    }
    let failed = matches!(
        opts.last(),
        Some(Opt::Illegal(_)) | Some(Opt::MissingArgument(_))
    );
    if !failed {
        // Options end at an operand, at `-`, after a `--...` word, or at the end.
        let ended_by_dashes = first > 0 && args[first - 1].as_bytes().starts_with(b"--");
        let at_operand = args
            .get(first)
            .is_some_and(|w| w.len() < 2 || w.as_bytes()[0] != b'-');
        assert!(first == args.len() || at_operand || ended_by_dashes);
        // Every flag letter comes from an option word before `first`.
        let letters: usize = opts.len();
        let option_bytes: usize = args[..first]
            .iter()
            .map(|w| w.len().saturating_sub(1))
            .sum();
        assert!(letters <= option_bytes);
    }
    for w in &args {
        let (v, n) = scan_ulong(w.as_bytes());
        assert!(n <= w.len());
        assert!(w.as_bytes()[..n].iter().all(u8::is_ascii_digit));
        if n > 0 && n <= 19 {
            assert!(v.to_string().len() <= n);
        }
    }
});
