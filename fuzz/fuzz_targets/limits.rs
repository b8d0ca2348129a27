//! chpst's and softlimit's limit values (`-m n`, `-o n`, ..., softlimit's
//! `=`) and `-n` nice increments: a value is all digits (none means 0),
//! wrapping like runit's unsigned long in a long; only the soft limit is ever
//! computed, never above the hard one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::cmd::chpst::options::{number, plan, Refusal};
use runit::limits::{from_scan, is_requested, soft_value, Limits, HARD};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

fn digits(b: &[u8]) -> Option<u64> {
    b.iter().all(u8::is_ascii_digit).then(|| {
        b.iter().fold(0u64, |v, &d| {
            v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        })
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 || data.contains(&0) {
        return;
    }
    let hard = u64::from_le_bytes(data[..8].try_into().unwrap_or_default());
    let (opt, arg) = (data[8], &data[9..]);

    // The number itself.
    let got = number(OsStr::from_bytes(arg));
    match digits(arg) {
        Some(v) => assert_eq!(got, Ok(from_scan(v))),
        None => assert_eq!(got, Err(Refusal::Usage)),
    }
    if let Ok(v) = got {
        assert_eq!(v as u64, digits(arg).unwrap_or_default());
        let soft = soft_value(v, hard);
        assert!(soft <= hard);
        if is_requested(v) && v >= 0 && (v as u64) <= hard {
            assert_eq!(soft, v as u64);
        }
    }
    assert_eq!(soft_value(HARD, hard), hard);

    // Through chpst's command line, one limit option or -n.
    let letters = b"mdopfcrtn";
    let letter = letters[usize::from(opt) % letters.len()];
    let args = vec![
        OsString::from_vec(vec![b'-', letter]),
        OsString::from_vec(arg.to_vec()),
        OsString::from("prog"),
    ];
    let p = plan(&args);
    if letter == b'n' {
        let (sign, body) = match arg.first() {
            Some(b'-') => (-1i64, &arg[1..]),
            Some(b'+') => (1, &arg[1..]),
            _ => (1, arg),
        };
        match digits(body) {
            Some(v) => assert_eq!(p.map(|p| p.nice), Ok((v as i64).wrapping_mul(sign))),
            None => assert_eq!(p, Err(Refusal::Usage)),
        }
        return;
    }
    match (p, got) {
        (Ok(p), Ok(v)) => {
            let l = p.limits;
            let set = match letter {
                b'm' => l.data == v && l.stack == v && l.memlock == v && l.address_space == v,
                b'd' => l.data == v,
                b'o' => l.nofile == v,
                b'p' => l.nproc == v,
                b'f' => l.fsize == v,
                b'c' => l.core == v,
                b'r' => l.rss == v,
                _ => l.cpu == v,
            };
            assert!(set);
            // Nothing else requested.
            let requested = l
                .in_order()
                .iter()
                .filter(|(_, x)| *x != Limits::default().cpu)
                .count();
            assert!(requested <= 4);
        }
        (Err(Refusal::Usage), Err(Refusal::Usage)) => {}
        (p, g) => panic!("plan {p:?} number {g:?}"),
    }
});
