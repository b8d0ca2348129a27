//! sv: controls and queries services supervised by runsv, as runit 2.1.2's sv
//! does (doc/runit/sv.md): the same commands, output lines, streams and exit codes,
//! in normal mode and in the LSB init-script mode used when it is called by
//! another name. Waits end as soon as the wanted state is reached (wait.rs).
//! The command `json` is our addition (json.rs).

mod check;
mod json;
mod out;
mod service;
mod show;
mod wait;

use crate::cli::getopt::{self, Opt};
use service::{Pass, Sv};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

/// Where relative service names live when `SVDIR` is unset (Debian, phusion).
pub const DEFAULT_SVDIR: &str = "/etc/service/";
/// The timeout in seconds when neither `SVWAIT` nor `-w` says otherwise.
const DEFAULT_WAIT: u64 = 7;
const VERSION: &str = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $";

/// What a command does: what to send, and how to wait for it.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Bytes for `supervise/control`; None for `status` and `check`.
    send: Option<Vec<u8>>,
    status: bool,
    /// Status as JSON lines (our `json` command).
    json: bool,
    /// The conditions checked while waiting (`C` for `check`).
    acts: Vec<u8>,
    wait: bool,
    kill: bool,
}

impl Plan {
    fn send(acts: &[u8], wait: bool, kill: bool) -> Option<Plan> {
        Some(Plan {
            send: Some(acts.to_vec()),
            status: false,
            json: false,
            acts: acts.to_vec(),
            wait,
            kill,
        })
    }
}

/// runit's dispatch on the command word (doc/runit/sv.md §3). None means usage.
pub fn plan(word: &[u8], verbose: bool, lsb: bool) -> Option<Plan> {
    let first = *word.first()?;
    match first {
        b'x' | b'e' => Plan::send(b"x", verbose, false),
        b'X' | b'E' => Plan::send(b"x", true, true),
        b'D' => Plan::send(b"d", true, true),
        b'T' => Plan::send(b"tc", true, true),
        b't' if word == b"try-restart" => Plan::send(b"tc", true, false),
        b'c' if word == b"check" => Some(Plan {
            send: None,
            status: false,
            json: false,
            acts: b"C".to_vec(),
            wait: true,
            kill: false,
        }),
        b't' | b'c' | b'u' | b'd' | b'o' | b'p' | b'h' | b'a' | b'i' | b'k' | b'q' | b'1'
        | b'2' => Plan::send(&[first], verbose, false),
        b's' => match word {
            b"shutdown" => Plan::send(b"x", true, false),
            b"start" => Plan::send(b"u", true, false),
            b"stop" => Plan::send(b"d", true, false),
            _ if lsb && word != b"status" => None,
            _ => Some(Plan {
                send: None,
                status: true,
                json: false,
                acts: b"s".to_vec(),
                wait: false,
                kill: false,
            }),
        },
        // No word starting with `j` means anything to runit (usage).
        b'j' if word == b"json" => Some(Plan {
            send: None,
            status: true,
            json: true,
            acts: b"s".to_vec(),
            wait: false,
            kill: false,
        }),
        b'r' => match word {
            b"restart" => Plan::send(b"tcu", true, false),
            b"reload" => Plan::send(b"h", true, false),
            _ => None,
        },
        b'f' => match word {
            b"force-reload" => Plan::send(b"tc", true, true),
            b"force-restart" => Plan::send(b"tcu", true, true),
            b"force-shutdown" => Plan::send(b"x", true, true),
            b"force-stop" => Plan::send(b"d", true, true),
            _ => None,
        },
        _ => None,
    }
}

/// The program's name as runit prints it, and its mode.
struct Invocation {
    name: String,
    lsb: bool,
}

impl Invocation {
    fn usage(&self) -> ! {
        if self.lsb {
            crate::msg::usage(&self.name, " [-w sec] command", 2)
        } else {
            crate::msg::usage(&self.name, " [-v] [-w sec] command service ...", 100)
        }
    }
}

pub fn main(args: Vec<OsString>) -> i32 {
    crate::sys::restore_sigpipe();
    let arg0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("sv"));
    let base = service::basename(&arg0);
    let mode = Invocation {
        name: String::from_utf8_lossy(&base).into_owned(),
        lsb: base != b"sv",
    };
    let rest = args.get(1..).unwrap_or(&[]);
    let svdir = std::env::var_os("SVDIR").unwrap_or_else(|| OsString::from(DEFAULT_SVDIR));
    let mut secs =
        std::env::var_os("SVWAIT").map_or(DEFAULT_WAIT, |v| getopt::scan_ulong(v.as_bytes()).0);
    let mut verbose = false;
    let (opts, first_operand) = getopt::parse(rest, "w:vV");
    for opt in opts {
        match opt {
            Opt::Flag(b'w', arg) => {
                secs = getopt::scan_ulong(arg.as_deref().map_or(b"", |a| a.as_bytes())).0;
                verbose = true;
            }
            Opt::Flag(b'v', _) => verbose = true,
            Opt::Flag(_, _) => {
                crate::msg::line(&[VERSION]);
                mode.usage();
            }
            Opt::Illegal(c) => {
                crate::msg::line(&[
                    &mode.name,
                    ": illegal option -- ",
                    &char::from(c).to_string(),
                ]);
                mode.usage();
            }
            Opt::MissingArgument(c) => {
                crate::msg::line(&[
                    &mode.name,
                    ": option requires an argument -- ",
                    &char::from(c).to_string(),
                ]);
                mode.usage();
            }
        }
    }
    let operands = &rest[first_operand..];
    let Some(word) = operands.first() else {
        mode.usage()
    };
    let services: Vec<Vec<u8>> = if mode.lsb {
        vec![base.clone()]
    } else {
        operands[1..]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect()
    };
    if services.is_empty() {
        mode.usage();
    }
    let t0 = Instant::now();
    let curdir = match service::open_read(".") {
        Ok(fd) => fd,
        Err(e) => {
            crate::msg::line_err(&["fatal: unable to open current directory"], e);
            std::process::exit(if mode.lsb { 151 } else { 100 });
        }
    };
    let Some(plan) = plan(word.as_bytes(), verbose, mode.lsb) else {
        mode.usage()
    };
    let mut sv = Sv::new(mode.lsb, svdir, curdir);
    sv.acts = plan.acts.clone();
    run(&mut sv, &plan, services, secs, t0)
}

/// The two passes: act on every service, then wait for those still pending.
fn run(sv: &mut Sv, plan: &Plan, services: Vec<Vec<u8>>, secs: u64, t0: Instant) -> i32 {
    let mut pending = Vec::new();
    for name in services {
        if plan.json {
            sv.capture = Some(Vec::new());
        }
        let entered = sv.enter(&name, Pass::Send);
        let failure = sv.capture.take();
        if !entered {
            if let (true, Some(text)) = (plan.json, failure) {
                json::failed(sv, &name, &text);
            }
            sv.leave();
            continue;
        }
        let keep = if plan.json {
            json::status(sv);
            true
        } else if plan.status {
            sv.status();
            true
        } else if let Some(bytes) = &plan.send {
            sv.control(bytes) != -1
        } else {
            true
        };
        sv.leave();
        if keep && plan.wait {
            pending.push(name);
        }
    }
    if plan.wait && !pending.is_empty() {
        let w = wait::Wait {
            acts: &plan.acts,
            secs,
            kill: plan.kill,
            t0,
        };
        wait::wait_all(sv, pending, &w);
    }
    let rc = sv.rc.min(99) as i32;
    sv.exit(rc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acts(word: &str, verbose: bool) -> Option<(Vec<u8>, bool, bool, bool)> {
        plan(word.as_bytes(), verbose, false).map(|p| (p.acts, p.send.is_some(), p.wait, p.kill))
    }

    #[test]
    fn first_letter_dispatch() {
        assert_eq!(
            acts("xyz", false),
            Some((b"x".to_vec(), true, false, false))
        );
        assert_eq!(
            acts("dance", true),
            Some((b"d".to_vec(), true, true, false))
        );
        assert_eq!(
            acts("term", false),
            Some((b"t".to_vec(), true, false, false))
        );
        assert_eq!(
            acts("try-restart", false),
            Some((b"tc".to_vec(), true, true, false))
        );
        assert_eq!(
            acts("check", false),
            Some((b"C".to_vec(), false, true, false))
        );
        assert_eq!(
            acts("cont", false),
            Some((b"c".to_vec(), true, false, false))
        );
        assert_eq!(
            acts("restart", false),
            Some((b"tcu".to_vec(), true, true, false))
        );
        assert_eq!(
            acts("force-stop", false),
            Some((b"d".to_vec(), true, true, true))
        );
        assert_eq!(acts("Down", false), Some((b"d".to_vec(), true, true, true)));
        assert_eq!(acts("rest", false), None);
        assert_eq!(acts("force", false), None);
        assert_eq!(acts("zap", false), None);
        assert_eq!(acts("", false), None);
        assert!(plan(b"stat", false, false).is_some_and(|p| p.status));
        assert!(plan(b"stat", false, true).is_none());
        assert!(plan(b"status", false, true).is_some_and(|p| p.status));
        assert!(plan(b"json", false, true).is_some_and(|p| p.json));
        assert!(plan(b"js", false, false).is_none());
    }
}
