//! Cutting standard input into lines the way runit's svlogd does: a line ends
//! at `\n` or after `max` bytes. The first `max` bytes (after character
//! replacement) are the line proper; the rest of an overlong line, up to its
//! `\n`, is passed on untouched. Lines are handed out as slices of the input
//! block whenever possible, so the common case copies nothing.

use crate::sys::memchr;
use crate::tai::Tai64n;

/// Receives the pieces of each line.
pub trait LineSink {
    /// The line proper: at most `max` bytes, `stamp` the moment its first
    /// byte was read. `overlong` when it reached `max` bytes without `\n`.
    fn head(&mut self, line: &[u8], stamp: Tai64n, overlong: bool);
    /// Bytes of an overlong line beyond the first `max`, as read.
    fn rest(&mut self, bytes: &[u8]);
    /// The end of the line (its `\n`, or end of input after an overlong line).
    fn end(&mut self);
    /// A whole line shorter than `max`: `head` and `end` at once.
    fn line(&mut self, line: &[u8], stamp: Tai64n) {
        self.head(line, stamp, false);
        self.end();
    }
    /// Asked after each line's end: whether `feed` should return there.
    fn stop(&self) -> bool {
        false
    }
    /// Whether `lines` may be used: the lines need no stamp and no
    /// per-line decision beyond where a file ends.
    fn batch(&self) -> bool {
        false
    }
    /// Several whole lines at once, each shorter than `max` and ending with
    /// `\n`, as `head`+`end` would have them. Returns how many bytes it took:
    /// at least the first line.
    fn lines(&mut self, _block: &[u8]) -> usize {
        0
    }
}

/// `-r`/`-R`: which bytes are replaced, and by what.
#[derive(Clone)]
pub struct Replacement {
    table: Box<[u8; 256]>,
}

impl Replacement {
    /// Every byte below 32 or above 126, and every byte of `extra`, becomes
    /// `with`.
    pub fn new(with: u8, extra: &[u8]) -> Replacement {
        let mut table = Box::new([0u8; 256]);
        for (i, t) in table.iter_mut().enumerate() {
            let b = i as u8;
            *t = if !(32..=126).contains(&b) || extra.contains(&b) {
                with
            } else {
                b
            };
        }
        Replacement { table }
    }

    fn apply(&self, bytes: &[u8], out: &mut Vec<u8>) {
        out.extend(bytes.iter().map(|&b| self.table[b as usize]));
    }
}

/// The line assembler: keeps the part of a line that spans input blocks.
pub struct Splitter {
    max: usize,
    replace: Option<Replacement>,
    partial: Vec<u8>,
    started: Tai64n,
    in_rest: bool,
}

impl Splitter {
    pub fn new(max: usize, replace: Option<Replacement>) -> Splitter {
        Splitter {
            max: max.max(1),
            replace,
            partial: Vec::with_capacity(max.min(64 * 1024)),
            started: Tai64n::default(),
            in_rest: false,
        }
    }

    /// Whether the input read so far ended exactly at a line's end.
    pub fn at_line_start(&self) -> bool {
        self.partial.is_empty() && !self.in_rest
    }

    /// Whether characters are replaced (`-r`, `-R`).
    pub fn replaces(&self) -> bool {
        self.replace.is_some()
    }

    /// Whether an overlong line's tail is being copied.
    pub fn in_rest(&self) -> bool {
        self.in_rest
    }

    /// How many bytes of the line proper are collected so far.
    pub fn collected(&self) -> usize {
        self.partial.len()
    }

    /// Cuts `data`, read at `now`, into lines for `sink`. Returns how many
    /// bytes it took: all of them, or fewer when the sink asked to stop
    /// after a line's end.
    pub fn feed(&mut self, mut data: &[u8], now: Tai64n, sink: &mut impl LineSink) -> usize {
        let len = data.len();
        while !data.is_empty() {
            if len != data.len() && self.at_line_start() && sink.stop() {
                return len - data.len();
            }
            if self.in_rest {
                match memchr(b'\n', data) {
                    Some(i) => {
                        if i > 0 {
                            sink.rest(&data[..i]);
                        }
                        sink.end();
                        self.in_rest = false;
                        data = &data[i + 1..];
                    }
                    None => {
                        sink.rest(data);
                        return len;
                    }
                }
                continue;
            }
            if self.partial.is_empty() && self.replace.is_none() && sink.batch() {
                let run = self.whole_lines(data);
                if run > 0 {
                    let taken = sink.lines(&data[..run]).clamp(1, run);
                    data = &data[taken..];
                    continue;
                }
            }
            let need = self.max - self.partial.len();
            let window = &data[..need.min(data.len())];
            let (taken, overlong) = match memchr(b'\n', window) {
                Some(i) => (i, false),
                None if window.len() == need => (need, true),
                None => {
                    if self.partial.is_empty() {
                        self.started = now;
                    }
                    self.collect(window);
                    return len;
                }
            };
            if self.partial.is_empty() && self.replace.is_none() {
                if overlong {
                    sink.head(&data[..taken], now, true);
                } else {
                    sink.line(&data[..taken], now);
                }
            } else {
                if self.partial.is_empty() {
                    self.started = now;
                }
                self.collect(&data[..taken]);
                if overlong {
                    sink.head(&self.partial, self.started, true);
                } else {
                    sink.line(&self.partial, self.started);
                }
                self.partial.clear();
            }
            if overlong {
                self.in_rest = true;
                data = &data[taken..];
            } else {
                data = &data[taken + 1..];
            }
        }
        len
    }

    /// End of input: an overlong line is finished with its `\n`; a shorter
    /// unfinished line is dropped, as runit does.
    pub fn finish(&mut self, sink: &mut impl LineSink) {
        if self.in_rest {
            sink.end();
            self.in_rest = false;
        }
        self.partial.clear();
    }

    /// Drops the line in progress (after SIGTERM).
    pub fn discard(&mut self) {
        self.partial.clear();
        self.in_rest = false;
    }

    /// The length of the run of whole lines shorter than `max` that starts
    /// `data`.
    fn whole_lines(&self, data: &[u8]) -> usize {
        // Every line that ends within `max` bytes of `end` is shorter than
        // `max`: jump to the last `\n` there, one search per `max` bytes.
        let mut end = 0;
        while let Some(i) = crate::sys::memrchr(b'\n', &data[end..data.len().min(end + self.max)]) {
            end += i + 1;
        }
        end
    }

    fn collect(&mut self, bytes: &[u8]) {
        match &self.replace {
            Some(r) => r.apply(bytes, &mut self.partial),
            None => self.partial.extend_from_slice(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Record(Vec<String>);

    impl LineSink for Record {
        fn head(&mut self, line: &[u8], _: Tai64n, overlong: bool) {
            let mark = if overlong { "+" } else { "" };
            self.0
                .push(format!("H{}{}", String::from_utf8_lossy(line), mark));
        }
        fn rest(&mut self, bytes: &[u8]) {
            self.0.push(format!("R{}", String::from_utf8_lossy(bytes)));
        }
        fn end(&mut self) {
            self.0.push("E".into());
        }
    }

    fn run(max: usize, blocks: &[&str], eof: bool) -> Vec<String> {
        let mut s = Splitter::new(max, None);
        let mut r = Record::default();
        for b in blocks {
            s.feed(b.as_bytes(), Tai64n::default(), &mut r);
        }
        if eof {
            s.finish(&mut r);
        }
        r.0
    }

    #[test]
    fn lines_across_blocks() {
        assert_eq!(
            run(10, &["ab\ncd", "e\n\n"], true),
            ["Hab", "E", "Hcde", "E", "H", "E"]
        );
    }

    #[test]
    fn partial_last_line_is_dropped() {
        assert_eq!(run(10, &["line1\npartial"], true), ["Hline1", "E"]);
    }

    #[test]
    fn overlong_lines() {
        assert_eq!(
            run(3, &["abcdef\nxy\n"], true),
            ["Habc+", "Rdef", "E", "Hxy", "E"]
        );
        assert_eq!(run(3, &["abc\n"], true), ["Habc+", "E"]);
        assert_eq!(run(3, &["ab", "cd", "e"], true), ["Habc+", "Rd", "Re", "E"]);
        assert_eq!(run(3, &["abc"], true), ["Habc+", "E"]);
    }

    #[test]
    fn replacement_only_in_the_line_proper() {
        let mut s = Splitter::new(6, Some(Replacement::new(b'_', b"b")));
        let mut r = Record::default();
        s.feed(b"a\tb\xc3\xa9xyz\x01\n", Tai64n::default(), &mut r);
        assert_eq!(r.0, ["Ha____x+", "Ryz\u{1}", "E"]);
    }
}
