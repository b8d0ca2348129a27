//! Beyond runit: the extension files of a service directory, each of which
//! switches on one thing runit does not do (issue 15; man/runsv.8, "Beyond
//! runit"). Without them runsv behaves exactly as runit's.
//!
//! | file | holds | effect |
//! |---|---|---|
//! | `notification-fd` | N (3 up to RLIMIT_NOFILE-1) | `./run` gets a pipe's write end as fd N; a newline on it means ready |
//! | `down-signal` | a signal name (`INT`, `SIGINT`, any case) or number | sent instead of TERM to stop the service |
//! | `down-signal-group` | anything (its presence counts) | `./run`, `./finish` lead their own process group; stop signals go to the group |
//! | `timeout-kill` | milliseconds (0: none) | KILL after the down signal if the service has not stopped |
//! | `timeout-finish` | milliseconds (0: none) | KILL for a `./finish` that runs longer |
//! | `restart-backoff` | milliseconds (0: none) | the restart delay of a failing service doubles from 1 s up to this |
//!
//! The files are read at each start of `./run`, so a change takes effect at
//! the next start, as a change of `./run` does. Bad contents give a warning
//! and the file is ignored; the service is never kept from starting.

use nix::sys::signal::Signal;
use std::time::Duration;

pub const NOTIFICATION_FD: &str = "notification-fd";
pub const DOWN_SIGNAL: &str = "down-signal";
pub const DOWN_SIGNAL_GROUP: &str = "down-signal-group";
pub const TIMEOUT_KILL: &str = "timeout-kill";
pub const TIMEOUT_FINISH: &str = "timeout-finish";
pub const RESTART_BACKOFF: &str = "restart-backoff";

/// The largest number of milliseconds accepted (about 49.7 days).
pub const MAX_MS: u64 = u32::MAX as u64;

/// What a service directory's extension files ask for; the default is runit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ext {
    pub notification_fd: Option<i32>,
    /// None: TERM, as runit.
    pub down_signal: Option<Signal>,
    pub group: bool,
    pub timeout_kill: Option<Duration>,
    pub timeout_finish: Option<Duration>,
    pub backoff_max: Option<Duration>,
}

impl Ext {
    /// The signal that stops the service.
    pub fn stop_signal(&self) -> Signal {
        self.down_signal.unwrap_or(Signal::SIGTERM)
    }
}

/// One file's contents: the first line, surrounding white space removed.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// `notification-fd`: a descriptor number the service's stdio does not use,
/// below `limit` (the soft RLIMIT_NOFILE, which dup2 cannot exceed).
pub fn parse_fd(text: &str, limit: u64) -> Result<i32, String> {
    let t = first_line(text);
    match t.parse::<u64>() {
        Ok(n) if (3..limit).contains(&n) && n <= i32::MAX as u64 => Ok(n as i32),
        Ok(n) if n < 3 => Err(format!("{n} is standard input, output or error")),
        _ => Err(format!(
            "not a descriptor number from 3 to {}: {t}",
            limit.saturating_sub(1)
        )),
    }
}

/// `down-signal`: `TERM`, `SIGTERM` (any case) or a number from 1 to 31.
pub fn parse_signal(text: &str) -> Result<Signal, String> {
    let t = first_line(text);
    let found = match t.parse::<i32>() {
        Ok(n) => Signal::try_from(n).ok(),
        Err(_) => {
            let upper = t.to_ascii_uppercase();
            let name = if upper.starts_with("SIG") {
                upper
            } else {
                format!("SIG{upper}")
            };
            name.parse::<Signal>().ok()
        }
    };
    found.ok_or_else(|| format!("unknown signal: {t}"))
}

/// A number of milliseconds; 0 means "not set".
pub fn parse_ms(text: &str) -> Result<Option<Duration>, String> {
    let t = first_line(text);
    match t.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(n) if n <= MAX_MS => Ok(Some(Duration::from_millis(n))),
        _ => Err(format!("not a number of milliseconds up to {MAX_MS}: {t}")),
    }
}

/// Reads the extension files under `base` (`""` or `"log/"`). Returns what
/// they ask for and the warnings to say (message parts, runit's grammar).
pub fn read(base: &str, fd_limit: u64) -> (Ext, Vec<Vec<String>>) {
    let mut ext = Ext::default();
    let mut warnings = Vec::new();
    let mut file = |name: &str| -> Option<String> {
        let path = format!("{base}{name}");
        // stat first: it needs no descriptor, so a runsv out of descriptors
        // says nothing about files that do not exist (runit's words only).
        if nix::sys::stat::stat(path.as_str()).is_err() {
            return None;
        }
        match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                let errno = crate::errstr::errno(&e);
                warnings.push(vec![
                    format!("unable to read {path}: "),
                    crate::errstr::of(errno).to_string(),
                ]);
                None
            }
        }
    };
    let fd = file(NOTIFICATION_FD);
    let sig = file(DOWN_SIGNAL);
    let group = crate::svdir::exists(&format!("{base}{DOWN_SIGNAL_GROUP}"));
    let kill = file(TIMEOUT_KILL);
    let finish = file(TIMEOUT_FINISH);
    let backoff = file(RESTART_BACKOFF);
    let mut bad = |name: &str, why: String| {
        warnings.push(vec![format!("ignoring {base}{name}: {why}")]);
    };
    if let Some(t) = fd {
        match parse_fd(&t, fd_limit) {
            Ok(n) => ext.notification_fd = Some(n),
            Err(why) => bad(NOTIFICATION_FD, why),
        }
    }
    if let Some(t) = sig {
        match parse_signal(&t) {
            Ok(s) => ext.down_signal = Some(s),
            Err(why) => bad(DOWN_SIGNAL, why),
        }
    }
    ext.group = group;
    for (text, name, slot) in [
        (kill, TIMEOUT_KILL, &mut ext.timeout_kill),
        (finish, TIMEOUT_FINISH, &mut ext.timeout_finish),
        (backoff, RESTART_BACKOFF, &mut ext.backoff_max),
    ] {
        if let Some(t) = text {
            match parse_ms(&t) {
                Ok(d) => *slot = d,
                Err(why) => bad(name, why),
            }
        }
    }
    (ext, warnings)
}

/// The soft limit on open descriptors (a notification fd must be below it).
pub fn fd_limit() -> u64 {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_fd() {
        assert_eq!(parse_fd("3\n", 1024), Ok(3));
        assert_eq!(parse_fd(" 7 \n", 1024), Ok(7));
        assert_eq!(
            parse_fd("1", 1024),
            Err("1 is standard input, output or error".into())
        );
        assert_eq!(
            parse_fd("abc", 1024),
            Err("not a descriptor number from 3 to 1023: abc".into())
        );
        assert!(parse_fd("-4", 1024).is_err());
        assert!(parse_fd("1024", 1024).is_err());
        assert!(parse_fd("99999999999999999999999", 1024).is_err());
        assert!(parse_fd("", 1024).is_err());
    }

    #[test]
    fn down_signal() {
        assert_eq!(parse_signal("INT\n"), Ok(Signal::SIGINT));
        assert_eq!(parse_signal("SIGQUIT"), Ok(Signal::SIGQUIT));
        assert_eq!(parse_signal("hup"), Ok(Signal::SIGHUP));
        assert_eq!(parse_signal("sigusr1"), Ok(Signal::SIGUSR1));
        assert_eq!(parse_signal("2"), Ok(Signal::SIGINT));
        assert_eq!(parse_signal("FOO"), Err("unknown signal: FOO".into()));
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("-15").is_err());
        assert!(parse_signal("99").is_err());
    }

    #[test]
    fn milliseconds() {
        assert_eq!(parse_ms("500\n"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse_ms("0"), Ok(None));
        assert!(parse_ms("-1").is_err());
        assert!(parse_ms("1.5").is_err());
        assert!(parse_ms("4294967296").is_err());
        assert!(parse_ms("soon").is_err());
    }

    #[test]
    fn stop_signal_defaults_to_term() {
        assert_eq!(Ext::default().stop_signal(), Signal::SIGTERM);
    }
}
