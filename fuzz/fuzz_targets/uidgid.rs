//! chpst's `-u`/`-U` specifications: the numeric `:uid:gid[:gid...]` form
//! checked against runit's grammar, the name forms looked up without panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::uidgid::{lookup_account, lookup_spec, parse_numeric, Ids, LookupError, MAX_GROUPS};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// A field of digits only (possibly empty), as runit's scan reads it.
fn number(field: &[u8]) -> Option<u32> {
    if !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = field.iter().fold(0u64, |v, &d| {
        v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    });
    Some(v as u32)
}

/// runit's grammar for what follows the leading colon: `uid:gid[:gid...]`,
/// empty numbers 0, at most 60 gids, one trailing colon after the 60th.
fn model(text: &[u8]) -> Option<Ids> {
    let mut fields = text.split(|&b| b == b':');
    let uid = number(fields.next()?)?;
    let mut gids: Vec<&[u8]> = fields.collect();
    if gids.is_empty() {
        return None;
    }
    if gids.len() == MAX_GROUPS + 1 && gids[MAX_GROUPS].is_empty() {
        gids.pop();
    }
    if gids.len() > MAX_GROUPS {
        return None;
    }
    let gids = gids.into_iter().map(number).collect::<Option<Vec<u32>>>()?;
    Some(Ids { uid, gids })
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse_numeric(data);
    assert_eq!(parsed, model(data), "{:?}", String::from_utf8_lossy(data));
    if let Some(ids) = &parsed {
        assert!(!ids.gids.is_empty() && ids.gids.len() <= MAX_GROUPS);
        assert_eq!(ids.gid(), ids.gids[0]);
    }
    // Arguments have no NUL; names go to the system databases.
    if data.contains(&0) || data.len() > 256 {
        return;
    }
    let spec = OsStr::from_bytes(data);
    let numeric = data.strip_prefix(b":").map(parse_numeric);
    match lookup_spec(spec) {
        Ok(ids) => {
            assert!(!ids.gids.is_empty() && ids.gids.len() <= MAX_GROUPS);
            if let Some(n) = numeric {
                assert_eq!(n, Some(ids));
            }
        }
        Err(LookupError::Invalid) => assert_eq!(numeric, Some(None)),
        Err(_) => assert_eq!(numeric, None),
    }
    if let Ok(ids) = lookup_account(spec) {
        assert_eq!(ids.gids.len(), 1);
    }
});
