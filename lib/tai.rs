//! TAI64 and TAI64N as runit uses them: wall-clock time with runit's fixed
//! offset (2^62 + 10, no leap-second table) and nanoseconds filled as
//! `microseconds * 1000 + 500`.

use std::time::{SystemTime, UNIX_EPOCH};

/// 2^62 + 10: the TAI64 label of the Unix epoch as runit computes it.
pub const UNIX_OFFSET: u64 = 0x4000_0000_0000_000a;

/// A TAI64N moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Tai64n {
    pub secs: u64,
    pub nanos: u32,
}

impl Tai64n {
    /// Now, from the wall clock, with runit's microsecond resolution.
    pub fn now() -> Tai64n {
        Tai64n::from_system(SystemTime::now())
    }

    pub fn from_system(t: SystemTime) -> Tai64n {
        let (unix, micros) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs(), d.subsec_micros()),
            Err(_) => (0, 0),
        };
        Tai64n {
            secs: UNIX_OFFSET.wrapping_add(unix),
            nanos: micros * 1000 + 500,
        }
    }

    /// Seconds since the Unix epoch (saturating at 0 before it).
    pub fn unix_secs(&self) -> u64 {
        self.secs.saturating_sub(UNIX_OFFSET)
    }

    /// The 12-byte big-endian packing.
    pub fn pack(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&self.secs.to_be_bytes());
        b[8..].copy_from_slice(&self.nanos.to_be_bytes());
        b
    }

    pub fn unpack(b: &[u8; 12]) -> Tai64n {
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[..8]);
        let mut n = [0u8; 4];
        n.copy_from_slice(&b[8..]);
        Tai64n {
            secs: u64::from_be_bytes(s),
            nanos: u32::from_be_bytes(n),
        }
    }

    /// The external form: `@` and 24 lowercase hex digits.
    pub fn label(&self) -> String {
        let mut s = String::with_capacity(25);
        s.push('@');
        for b in self.pack() {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        }
        s
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Civil UTC time of `unix` seconds: (year, month, day, hour, minute, second).
pub fn utc_civil(unix: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix / 86_400) as i64;
    let rem = unix % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_matches_runit_shape() {
        let t = Tai64n {
            secs: 0x4000_0000_6b02_8c29,
            nanos: 0x1fbe_944c,
        };
        assert_eq!(t.label(), "@400000006b028c291fbe944c");
        assert_eq!(Tai64n::unpack(&t.pack()), t);
    }

    #[test]
    fn nanos_end_in_500() {
        assert_eq!(Tai64n::now().nanos % 1000, 500);
    }

    #[test]
    fn civil_time() {
        assert_eq!(utc_civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc_civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(utc_civil(1_790_000_000), (2026, 9, 21, 14, 13, 20));
    }
}
