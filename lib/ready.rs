//! Beyond runit: `supervise/ready`, the readiness of a service started with a
//! `notification-fd` file (lib/svext.rs). runit's 20-byte `status` is not
//! touched; runit's `sv` never reads this file.
//!
//! The file holds one line: the pid of the `./run` it is about, then, once
//! that process has written a newline to its notification descriptor, a
//! space and the TAI64N label of the moment (`1234\n`, later
//! `1234 @4000000065a1b2c3000001f4\n`). runsv writes it (`ready.new` and
//! rename, mode 0644) before the `status` that names a newly started pid, so
//! a reader that finds the status's pid in it knows the answer for that run;
//! a run started without `notification-fd` removes it. So a pid that differs
//! from the status's is not about the current run (a down service, or a
//! `supervise/` now served by another runsv, runit's, which knows nothing of
//! this file): it says nothing, and runit's rules apply.

use crate::tai::Tai64n;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub const READY: &str = "ready";

/// What `ready` says about one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub pid: u32,
    pub ready: Option<Tai64n>,
}

impl Record {
    pub fn encode(&self) -> String {
        match self.ready {
            Some(t) => format!("{} {}\n", self.pid, t.label()),
            None => format!("{}\n", self.pid),
        }
    }

    pub fn parse(text: &str) -> Option<Record> {
        let mut f = text.split_ascii_whitespace();
        let pid = f.next()?.parse().ok()?;
        let ready = match f.next() {
            None => None,
            Some(label) => Some(parse_label(label)?),
        };
        f.next().is_none().then_some(Record { pid, ready })
    }
}

fn parse_label(label: &str) -> Option<Tai64n> {
    let hex = label.strip_prefix('@')?;
    if hex.len() != 24 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut b = [0u8; 12];
    for (i, byte) in b.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(Tai64n::unpack(&b))
}

/// Writes `DIRready` (`dir` ends with `/`); silent, false on failure.
pub fn write(dir: &str, record: &Record) -> bool {
    let new = format!("{dir}{READY}.new");
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&new)
        .and_then(|mut f| f.write_all(record.encode().as_bytes()));
    if written.is_err() {
        let _ = std::fs::remove_file(&new);
        return false;
    }
    std::fs::rename(&new, format!("{dir}{READY}")).is_ok()
}

/// Removes `DIRready` (a run without readiness notification).
pub fn remove(dir: &str) {
    let _ = std::fs::remove_file(format!("{dir}{READY}"));
}

/// How a service's readiness looks to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// No notification for this run: runit's rules apply.
    NotNotifying,
    /// Notifying, not ready (yet, or any more).
    Waiting,
    /// Ready since the given moment.
    Ready(Tai64n),
}

/// The readiness of the run `pid` (from `status`) as `DIRready` tells it.
pub fn probe(dir: &str, pid: u32) -> Readiness {
    let Ok(text) = std::fs::read_to_string(format!("{dir}{READY}")) else {
        return Readiness::NotNotifying;
    };
    match Record::parse(&text) {
        Some(r) if r.pid == pid && pid != 0 => match r.ready {
            Some(t) => Readiness::Ready(t),
            None => Readiness::Waiting,
        },
        _ => Readiness::NotNotifying,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines() {
        let r = Record {
            pid: 1234,
            ready: None,
        };
        assert_eq!(r.encode(), "1234\n");
        assert_eq!(Record::parse("1234\n"), Some(r));
        let t = Tai64n {
            secs: 0x4000000065a1b2c3,
            nanos: 500,
        };
        let r = Record {
            pid: 7,
            ready: Some(t),
        };
        assert_eq!(r.encode(), "7 @4000000065a1b2c3000001f4\n");
        assert_eq!(Record::parse(&r.encode()), Some(r));
        assert_eq!(Record::parse("x"), None);
        assert_eq!(Record::parse("7 @40"), None);
        assert_eq!(Record::parse("7 @4000000065a1b2c3000001f4 x"), None);
    }

    #[test]
    fn probe_matches_the_status_pid() {
        let dir = std::env::temp_dir().join(format!("ready-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = format!("{}/", dir.display());
        assert_eq!(probe(&d, 5), Readiness::NotNotifying);
        write(
            &d,
            &Record {
                pid: 5,
                ready: None,
            },
        );
        assert_eq!(probe(&d, 5), Readiness::Waiting);
        let t = Tai64n { secs: 9, nanos: 1 };
        write(
            &d,
            &Record {
                pid: 5,
                ready: Some(t),
            },
        );
        assert_eq!(probe(&d, 5), Readiness::Ready(t));
        assert_eq!(
            probe(&d, 6),
            Readiness::NotNotifying,
            "another run's record"
        );
        assert_eq!(probe(&d, 0), Readiness::NotNotifying, "down");
        remove(&d);
        assert_eq!(probe(&d, 5), Readiness::NotNotifying);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
