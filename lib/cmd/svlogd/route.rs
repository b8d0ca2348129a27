//! What happens to each line in each open log directory: patterns, the copy
//! on stderr, UDP, the prefix and the timestamp, then the log file and its
//! copies (config lines `1` and `2`).

use super::copy::{count_lines, Copies};
use crate::logdir::dir::LogDir;
use crate::logdir::lines::LineSink;
use crate::logdir::pattern::select;
use crate::logdir::stamp::Stamper;
use crate::tai::Tai64n;
use std::io::Write;

/// What happens to each line in each open directory.
pub(super) struct Router<'a> {
    pub(super) dirs: &'a mut [LogDir],
    pub(super) stamper: &'a mut Stamper,
    pub(super) scratch: Vec<u8>,
    /// A copy of runit's line buffer, kept only while some directory has
    /// patterns: its byte after the line can decide a `+` pattern.
    pub(super) shadow: Option<&'a mut Vec<u8>>,
    /// Stop feeding after a line that makes a directory due for rotation.
    pub(super) stop_at_rotation: bool,
    pub(super) copies: &'a mut Copies,
}

/// Whether `d` copies its lines, and to which streams.
fn copies_to(d: &LogDir) -> Option<(bool, bool)> {
    (d.cfg.copy_stdout || d.cfg.copy_stderr).then_some((d.cfg.copy_stdout, d.cfg.copy_stderr))
}

impl Router<'_> {
    /// `<stamp><prefix><line>[...]\n`: the text for stderr and UDP.
    fn copy_text(scratch: &mut Vec<u8>, stamp: &[u8], prefix: &[u8], line: &[u8], overlong: bool) {
        scratch.clear();
        scratch.extend_from_slice(stamp);
        scratch.extend_from_slice(prefix);
        scratch.extend_from_slice(line);
        if overlong {
            scratch.extend_from_slice(b"...");
        }
        scratch.push(b'\n');
    }

    /// A line's head (its whole when `complete`: the `end` is done here).
    fn route(&mut self, line: &[u8], stamp: Tai64n, overlong: bool, complete: bool) {
        let st: &[u8] = self.stamper.text(stamp);
        let after = match self.shadow.as_deref_mut() {
            Some(shadow) => {
                if shadow.len() <= line.len() {
                    shadow.resize(line.len() + 1, 0);
                }
                shadow[..line.len()].copy_from_slice(line);
                shadow[line.len()]
            }
            None => 0,
        };
        for (i, d) in self.dirs.iter_mut().enumerate() {
            if !d.is_open() {
                continue;
            }
            if !d.cfg.patterns.is_empty() {
                d.selection = select(&d.cfg.patterns, line, after, d.selection);
            }
            if d.selection.stderr {
                Router::copy_text(&mut self.scratch, st, &d.cfg.prefix, line, overlong);
                let _ = std::io::stderr().lock().write_all(&self.scratch);
            }
            if !d.selection.file {
                continue;
            }
            if copies_to(d).is_some() {
                self.copies.head(i, &[st, &d.cfg.prefix, line]);
            }
            if let Some(addr) = d.cfg.udp {
                Router::copy_text(&mut self.scratch, st, &d.cfg.prefix, line, overlong);
                send_udp(d, addr, &self.scratch, st, line);
            }
            if !d.cfg.udp_only {
                let prefix = std::mem::take(&mut d.cfg.prefix);
                if complete {
                    d.put_line(&[st, &prefix, line, b"\n"]);
                } else {
                    if !st.is_empty() {
                        d.put(st);
                    }
                    if !prefix.is_empty() {
                        d.put(&prefix);
                    }
                    d.put(line);
                }
                d.cfg.prefix = prefix;
            }
            if complete {
                if let Some(to) = copies_to(d) {
                    self.copies.end(i, to);
                }
            }
        }
    }
}

impl LineSink for Router<'_> {
    fn head(&mut self, line: &[u8], stamp: Tai64n, overlong: bool) {
        self.route(line, stamp, overlong, false);
    }

    fn line(&mut self, line: &[u8], stamp: Tai64n) {
        self.route(line, stamp, false, true);
    }

    fn rest(&mut self, bytes: &[u8]) {
        for (i, d) in self.dirs.iter_mut().enumerate() {
            if d.is_open() && d.selection.file {
                if !d.cfg.udp_only {
                    d.put(bytes);
                }
                if copies_to(d).is_some() {
                    self.copies.rest(i, bytes);
                }
            }
        }
    }

    fn end(&mut self) {
        for (i, d) in self.dirs.iter_mut().enumerate() {
            if d.is_open() && d.selection.file {
                if !d.cfg.udp_only {
                    d.put(b"\n");
                }
                if let Some(to) = copies_to(d) {
                    self.copies.end(i, to);
                }
            }
        }
    }

    fn batch(&self) -> bool {
        !self.stamper.enabled()
            && self.shadow.is_none()
            && self.dirs.iter().filter(|d| d.is_open()).all(|d| {
                d.cfg.patterns.is_empty()
                    && d.cfg.prefix.is_empty()
                    && d.cfg.udp.is_none()
                    && !d.cfg.udp_only
                    && d.selection.file
                    && !d.selection.stderr
                    && d.takes_blocks()
            })
    }

    fn lines(&mut self, block: &[u8]) -> usize {
        let mut open: Vec<&mut LogDir> = self.dirs.iter_mut().filter(|d| d.is_open()).collect();
        for d in open.iter_mut() {
            d.rotate_if_due();
        }
        let cut = open
            .iter()
            .map(|d| d.lines_until_rotation(block))
            .min()
            .unwrap_or(block.len());
        let mut lines = None;
        for d in open.iter_mut() {
            d.put(&block[..cut]);
            if let Some(to) = copies_to(d) {
                let n = *lines.get_or_insert_with(|| count_lines(&block[..cut]));
                self.copies.queue(&block[..cut], n, to);
            }
        }
        cut
    }

    fn stop(&self) -> bool {
        self.stop_at_rotation && self.dirs.iter().any(|d| d.rotation_due())
    }
}

/// One datagram per line from a fresh socket, as runit does; failures are
/// noted in the log file itself.
fn send_udp(d: &mut LogDir, addr: std::net::SocketAddrV4, text: &[u8], stamp: &[u8], line: &[u8]) {
    let sock =
        std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| s.set_nonblocking(true).map(|_| s));
    match sock {
        Err(_) => {
            let prefix = d.cfg.prefix.clone();
            for part in [
                &b"warning: no udp socket available: "[..],
                stamp,
                &prefix,
                line,
                b"\n",
            ] {
                if !part.is_empty() {
                    d.put(part);
                }
            }
        }
        Ok(s) => {
            if s.send_to(text, addr).ok() != Some(text.len()) {
                d.put(b"warning: failure sending through udp: ");
                d.put(text);
            }
        }
    }
}
