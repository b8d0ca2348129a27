//! runsvdir's command line. runit does not use getopt here: it looks at the
//! first argument only (doc/runit/runsvdir.md §1). Our one extension,
//! `--graceful[=SECONDS]`, may come before it.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// Default time between a graceful stop's `d` and its `k`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(7);

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub dir: OsString,
    /// The readproctitle placeholder and its index in argv.
    pub log: Option<(usize, OsString)>,
    /// `-P`: each runsv in a new session and process group.
    pub new_session: bool,
    /// `--graceful[=SECONDS]`: orderly shutdown on SIGTERM/SIGINT.
    pub graceful: Option<Duration>,
}

/// The options, or None for a usage error.
pub fn parse(args: &[OsString]) -> Option<Options> {
    let mut i = 1;
    let mut graceful = None;
    // Our extension. runit skips any first argument starting with `--`, so
    // `--graceful` under runit means nothing at all; with us it must come
    // before runit's single option word.
    while let Some(word) = args.get(i).and_then(|a| graceful_word(a)) {
        graceful = Some(word?);
        i += 1;
    }
    let mut new_session = false;
    if let Some(first) = args.get(i).map(|a| a.as_bytes()) {
        if first.first() == Some(&b'-') {
            match first.get(1) {
                Some(b'P') => {
                    new_session = true;
                    i += 1;
                }
                Some(b'-') => i += 1,
                _ => {}
            }
        }
    }
    let dir = args.get(i)?.clone();
    let log = args.get(i + 1).map(|l| (i + 1, l.clone()));
    Some(Options {
        dir,
        log,
        new_session,
        graceful,
    })
}

/// `--graceful` or `--graceful=SECONDS`: Some(Some(grace)); a malformed
/// number: Some(None) (a usage error); any other word: None.
fn graceful_word(word: &OsStr) -> Option<Option<Duration>> {
    let b = word.as_bytes();
    if b == b"--graceful" {
        return Some(Some(DEFAULT_GRACE));
    }
    let secs = b.strip_prefix(b"--graceful=")?;
    let ok = !secs.is_empty() && secs.len() <= 9 && secs.iter().all(u8::is_ascii_digit);
    Some(ok.then(|| {
        Duration::from_secs(std::str::from_utf8(secs).map_or(0, |s| s.parse().unwrap_or(0)))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Option<Options> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn runit_rules() {
        assert_eq!(p(&["runsvdir"]), None);
        assert_eq!(p(&["runsvdir", "-P"]), None);
        let o = p(&["runsvdir", "-Pxyz", "d", "log: ....", "extra"]).unwrap();
        assert!(o.new_session);
        assert_eq!(o.dir, "d");
        assert_eq!(o.log, Some((3, "log: ....".into())));
        let o = p(&["runsvdir", "-x", "foo"]).unwrap();
        assert_eq!(
            (o.dir.as_os_str(), o.new_session),
            (OsStr::new("-x"), false)
        );
        assert_eq!(o.log.unwrap().1, "foo");
        let o = p(&["runsvdir", "-P", "--", "x"]).unwrap();
        assert_eq!(o.dir, "--");
        let o = p(&["runsvdir", "--foo", "d"]).unwrap();
        assert_eq!((o.dir.as_os_str(), o.log), (OsStr::new("d"), None));
        assert_eq!(p(&["runsvdir", "-"]).unwrap().dir, "-");
    }

    #[test]
    fn graceful_extension() {
        let o = p(&["runsvdir", "--graceful", "-P", "d"]).unwrap();
        assert_eq!((o.graceful, o.new_session), (Some(DEFAULT_GRACE), true));
        let o = p(&["runsvdir", "--graceful=3", "d"]).unwrap();
        assert_eq!(o.graceful, Some(Duration::from_secs(3)));
        assert_eq!(p(&["runsvdir", "--graceful=x", "d"]), None);
        assert_eq!(p(&["runsvdir", "--graceful"]), None);
        let o = p(&["runsvdir", "-P", "--graceful", "d"]).unwrap();
        assert_eq!(
            (o.dir.as_os_str(), o.graceful),
            (OsStr::new("--graceful"), None)
        );
    }
}
