//! The `supervise/status` record as read from disk: any 20 bytes decode and
//! encode back to themselves; other lengths are refused; the time in it is
//! shown without panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::status::{stat_line, State, Status, Want, STATUS_LEN};
use runit::tai::utc_civil;

fuzz_target!(|data: &[u8]| {
    let decoded = Status::decode(data);
    if data.len() != STATUS_LEN {
        assert!(decoded.is_none());
        return;
    }
    let Some(st) = decoded else {
        panic!("20 bytes refused");
    };
    // Flags are read as booleans (any non-zero byte): the round trip keeps
    // every byte except those, which become 0 or 1.
    let again = st.encode();
    for (i, (a, b)) in data.iter().zip(again.iter()).enumerate() {
        match i {
            16 | 18 => assert_eq!(*b, u8::from(*a != 0)),
            _ => assert_eq!(a, b, "byte {i}"),
        }
    }
    assert_eq!(Status::decode(&again), Some(st));
    assert_eq!(
        st.pid,
        u32::from_le_bytes([data[12], data[13], data[14], data[15]])
    );
    // The time, as sv and svlogd show it.
    let label = st.time.label();
    assert_eq!(label.len(), 25);
    let (_, mo, d, h, mi, s) = utc_civil(st.time.unix_secs());
    assert!((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60);
    let state = match st.state {
        0 => State::Down,
        1 => State::Run,
        _ => State::Finish,
    };
    let want = if st.want == b'u' {
        Want::Up
    } else {
        Want::Down
    };
    assert!(stat_line(state, st.paused, st.got_term, want).ends_with('\n'));
});
