//! The per-line timestamps of `svlogd -t`, `-tt` and `-ttt`, and of the
//! extension `-T` (RFC 3339, local time with its offset), each followed by a
//! space. Formatting is cached: every line of one read shares its moment.

use crate::tai::{utc_civil, Tai64n};

/// Which stamp `-t` options asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampKind {
    None,
    /// `-t`: `@` and 24 hex digits (TAI64N).
    Tai64n,
    /// `-tt`: `YYYY-MM-DD_HH:MM:SS.xxxxx` (UTC).
    Civil,
    /// `-ttt`: `YYYY-MM-DDTHH:MM:SS.xxxxx` (UTC).
    Iso,
    /// `-T` (not in runit): `YYYY-MM-DDTHH:MM:SS.xxxxxx+hh:mm`, local time
    /// (the C library's: TZ, else /etc/localtime, else UTC) and its offset.
    Rfc3339,
}

impl StampKind {
    /// The kind for `count` `-t` options (more than three count as three).
    pub fn from_count(count: usize) -> StampKind {
        match count {
            0 => StampKind::None,
            1 => StampKind::Tai64n,
            2 => StampKind::Civil,
            _ => StampKind::Iso,
        }
    }
}

/// A formatter that remembers its last moment and text.
pub struct Stamper {
    kind: StampKind,
    last: Option<Tai64n>,
    text: Vec<u8>,
}

impl Stamper {
    pub fn new(kind: StampKind) -> Stamper {
        Stamper {
            kind,
            last: None,
            text: Vec::with_capacity(26),
        }
    }

    pub fn enabled(&self) -> bool {
        self.kind != StampKind::None
    }

    /// The stamp text (with its trailing space) for `t`; empty when off.
    pub fn text(&mut self, t: Tai64n) -> &[u8] {
        if self.kind != StampKind::None && self.last != Some(t) {
            self.text = format(self.kind, t);
            self.last = Some(t);
        }
        &self.text
    }
}

/// Formats one stamp, trailing space included.
pub fn format(kind: StampKind, t: Tai64n) -> Vec<u8> {
    let mut s = match kind {
        StampKind::None => return Vec::new(),
        StampKind::Tai64n => t.label().into_bytes(),
        StampKind::Civil | StampKind::Iso => {
            civil(t, if kind == StampKind::Iso { 'T' } else { '_' })
        }
        StampKind::Rfc3339 => {
            let secs = t.unix_secs();
            let local = i64::try_from(secs).ok().and_then(crate::sys::local_time);
            rfc3339(secs, t.nanos, local)
        }
    };
    s.push(b' ');
    s
}

fn civil(t: Tai64n, sep: char) -> Vec<u8> {
    let (y, mo, d, h, mi, s) = utc_civil(t.unix_secs());
    // runit prints the first five of the nine nanosecond digits.
    let frac = t.nanos / 10_000;
    format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}.{frac:05}").into_bytes()
}

/// RFC 3339 with microseconds: the local civil time `local` gives (UTC,
/// offset +00:00, when there is none).
fn rfc3339(secs: u64, nanos: u32, local: Option<(i64, u32, u32, u32, u32, u32, i64)>) -> Vec<u8> {
    let (y, mo, d, h, mi, s, off) = local.unwrap_or_else(|| {
        let (y, mo, d, h, mi, s) = utc_civil(secs);
        (y, mo, d, h, mi, s, 0)
    });
    let micros = nanos / 1000;
    let sign = if off < 0 { '-' } else { '+' };
    let (oh, om) = (off.unsigned_abs() / 3600, off.unsigned_abs() / 60 % 60);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}{sign}{oh:02}:{om:02}")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2026-11-22 06:40:48 UTC, 736460 microseconds.
        let t = Tai64n {
            secs: crate::tai::UNIX_OFFSET + 1_795_329_648,
            nanos: 736_460_500,
        };
        assert_eq!(format(StampKind::Civil, t), b"2026-11-22_06:40:48.73646 ");
        assert_eq!(format(StampKind::Iso, t), b"2026-11-22T06:40:48.73646 ");
        assert_eq!(format(StampKind::Tai64n, t).len(), 26);
        assert_eq!(format(StampKind::None, t), b"");
        assert_eq!(StampKind::from_count(5), StampKind::Iso);
    }

    #[test]
    fn rfc3339_offsets() {
        let secs: u64 = 1_795_329_648;
        let at = |off: i64| {
            let local = utc_civil(secs.wrapping_add_signed(off));
            let (y, mo, d, h, mi, s) = local;
            rfc3339(secs, 736_460_500, Some((y, mo, d, h, mi, s, off)))
        };
        assert_eq!(at(0), b"2026-11-22T06:40:48.736460+00:00");
        assert_eq!(at(3600), b"2026-11-22T07:40:48.736460+01:00");
        assert_eq!(
            at(-(3 * 3600 + 30 * 60)),
            b"2026-11-22T03:10:48.736460-03:30"
        );
        assert_eq!(at(5 * 3600 + 45 * 60), b"2026-11-22T12:25:48.736460+05:45");
        // No local time: UTC.
        assert_eq!(rfc3339(secs, 0, None), b"2026-11-22T06:40:48.000000+00:00");
    }
}
