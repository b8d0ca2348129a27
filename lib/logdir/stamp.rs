//! The per-line timestamps of `svlogd -t`, `-tt` and `-ttt`, each followed by
//! a space. Formatting is cached: every line of one read shares its moment.

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
}
