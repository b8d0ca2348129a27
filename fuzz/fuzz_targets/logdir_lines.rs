//! svlogd's line splitter (`-l len`, `-r c`, `-R abc`): whatever the input
//! and however it is cut into reads, the lines handed out are exactly those
//! of a simple model of runit's rules, the same for every cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runit::logdir::lines::{LineSink, Replacement, Splitter};
use runit::tai::Tai64n;

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Head(Vec<u8>, bool),
    Rest(Vec<u8>),
    End,
}

#[derive(Default)]
struct Record(Vec<Ev>);

impl LineSink for Record {
    fn head(&mut self, line: &[u8], _: Tai64n, overlong: bool) {
        self.0.push(Ev::Head(line.to_vec(), overlong));
    }
    fn rest(&mut self, bytes: &[u8]) {
        // Reads cut the rest anywhere: keep one piece per line.
        assert!(!bytes.is_empty(), "empty rest");
        match self.0.last_mut() {
            Some(Ev::Rest(r)) => r.extend_from_slice(bytes),
            _ => self.0.push(Ev::Rest(bytes.to_vec())),
        }
    }
    fn end(&mut self) {
        self.0.push(Ev::End);
    }
}

/// runit's rules, stated directly: a line proper is at most `max` bytes up
/// to `\n`; an overlong line's rest runs to its `\n` (or end of input); a
/// short unfinished last line is dropped.
fn model(data: &[u8], max: usize, replace: &dyn Fn(u8) -> u8) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let window = &data[pos..data.len().min(pos + max)];
        if let Some(i) = window.iter().position(|&b| b == b'\n') {
            out.push(Ev::Head(
                window[..i].iter().map(|&b| replace(b)).collect(),
                false,
            ));
            out.push(Ev::End);
            pos += i + 1;
        } else if window.len() == max {
            out.push(Ev::Head(window.iter().map(|&b| replace(b)).collect(), true));
            pos += max;
            let tail = &data[pos..];
            let n = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
            if n > 0 {
                out.push(Ev::Rest(tail[..n].to_vec()));
            }
            out.push(Ev::End);
            pos += n + 1;
        } else {
            break;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let max = usize::from(data[0] % 32) + 1;
    let mode = data[1];
    let extra_len = usize::from(data[2] % 8).min(data.len() - 3);
    let extra = &data[3..3 + extra_len];
    let input = &data[3 + extra_len..];
    let with = if mode & 1 != 0 { mode | 0x20 } else { 0 };
    let replacement = (with != 0).then(|| Replacement::new(with, extra));
    let replace = |b: u8| -> u8 {
        if with != 0 && (!(32..=126).contains(&b) || extra.contains(&b)) {
            with
        } else {
            b
        }
    };
    let expected = model(input, max, &replace);
    // Two ways to cut the same input into reads: all at once, and in pieces
    // whose sizes come from the mode byte.
    for cut in [0usize, usize::from(mode >> 1) % 13 + 1] {
        let mut s = Splitter::new(max, replacement.clone());
        let mut r = Record::default();
        if cut == 0 {
            s.feed(input, Tai64n::default(), &mut r);
        } else {
            for piece in input.chunks(cut) {
                s.feed(piece, Tai64n::default(), &mut r);
            }
        }
        s.finish(&mut r);
        assert!(s.at_line_start());
        for ev in &r.0 {
            if let Ev::Head(h, overlong) = ev {
                assert!(h.len() <= max);
                assert_eq!(*overlong, h.len() == max);
            }
        }
        assert_eq!(r.0, expected, "max {max} cut {cut}");
    }
});
