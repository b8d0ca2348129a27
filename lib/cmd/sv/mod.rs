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
mod walk;

use crate::cli::getopt::{self, Opt};
pub use service::Mode;
use service::{Sent, Sv};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;
use walk::{Pass, Walk};

/// Where relative service names live when `SVDIR` is unset (Debian, phusion).
pub const DEFAULT_SVDIR: &str = "/etc/service/";
/// The timeout in seconds when neither `SVWAIT` nor `-w` says otherwise.
const DEFAULT_WAIT: u64 = 7;
const VERSION: &str = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $";

/// What a command word asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Write `bytes` to `supervise/control`; with `wait`, wait for them to
    /// take effect; with `kill`, send `k` to a service that timed out.
    Send {
        bytes: &'static [u8],
        wait: bool,
        kill: bool,
    },
    /// `check`: wait for the service to be as wanted, sending nothing.
    Check,
    /// `status`: the status lines.
    Status,
    /// `json`: the status as JSON lines (our addition).
    Json,
}

impl Command {
    fn send(bytes: &'static [u8], wait: bool, kill: bool) -> Option<Command> {
        Some(Command::Send { bytes, wait, kill })
    }

    /// runit's `acts`: the conditions the waiting pass checks, in order.
    pub fn acts(&self) -> &'static [u8] {
        match self {
            Command::Send { bytes, .. } => bytes,
            Command::Check => b"C",
            Command::Status | Command::Json => b"s",
        }
    }

    /// Whether the services are waited for after the first pass.
    pub fn waits(&self) -> bool {
        match self {
            Command::Send { wait, .. } => *wait,
            Command::Check => true,
            Command::Status | Command::Json => false,
        }
    }

    /// Whether the command wants runsv to exit, so that "runsv not running"
    /// is an `ok:` (runit looks at the first byte of `acts`).
    pub fn exits(&self) -> bool {
        self.acts().first() == Some(&b'x')
    }
}

/// The control bytes a command word's first letter sends on its own.
const LETTERS: &[u8] = b"tcudophaikq12";

/// `c` as a one-byte static slice, when it is one of [`LETTERS`].
fn letter(c: u8) -> Option<&'static [u8]> {
    let i = LETTERS.iter().position(|&l| l == c)?;
    LETTERS.get(i..i + 1)
}

/// runit's dispatch on the command word (doc/runit/sv.md §3). None means usage.
pub fn command(word: &[u8], verbose: bool, mode: Mode) -> Option<Command> {
    let first = *word.first()?;
    match first {
        b'x' | b'e' => Command::send(b"x", verbose, false),
        b'X' | b'E' => Command::send(b"x", true, true),
        b'D' => Command::send(b"d", true, true),
        b'T' => Command::send(b"tc", true, true),
        b't' if word == b"try-restart" => Command::send(b"tc", true, false),
        b'c' if word == b"check" => Some(Command::Check),
        b's' => match word {
            b"shutdown" => Command::send(b"x", true, false),
            b"start" => Command::send(b"u", true, false),
            b"stop" => Command::send(b"d", true, false),
            _ if mode == Mode::Lsb && word != b"status" => None,
            _ => Some(Command::Status),
        },
        // No word starting with `j` means anything to runit (usage).
        b'j' if word == b"json" => Some(Command::Json),
        b'r' => match word {
            b"restart" => Command::send(b"tcu", true, false),
            b"reload" => Command::send(b"h", true, false),
            _ => None,
        },
        b'f' => match word {
            b"force-reload" => Command::send(b"tc", true, true),
            b"force-restart" => Command::send(b"tcu", true, true),
            b"force-shutdown" => Command::send(b"x", true, true),
            b"force-stop" => Command::send(b"d", true, true),
            _ => None,
        },
        c => Command::send(letter(c)?, verbose, false),
    }
}

/// The program's name as runit prints it, and its mode.
struct Invocation {
    name: Vec<u8>,
    mode: Mode,
}

impl Invocation {
    fn usage(&self) -> ! {
        match self.mode {
            Mode::Lsb => crate::msg::usage(&self.name, " [-w sec] command", 2),
            Mode::Sv => crate::msg::usage(&self.name, " [-v] [-w sec] command service ...", 100),
        }
    }
}

pub fn main(args: Vec<OsString>) -> i32 {
    crate::sys::restore_sigpipe();
    let arg0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("sv"));
    let base = crate::cli::basename(arg0.as_bytes()).to_vec();
    let mode = Invocation {
        name: base.clone(),
        mode: if base == b"sv" { Mode::Sv } else { Mode::Lsb },
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
                crate::msg::getopt_complaint(&mode.name, "illegal option", c);
                mode.usage();
            }
            Opt::MissingArgument(c) => {
                crate::msg::getopt_complaint(&mode.name, "option requires an argument", c);
                mode.usage();
            }
        }
    }
    let operands = &rest[first_operand..];
    let Some(word) = operands.first() else {
        mode.usage()
    };
    let services: Vec<Vec<u8>> = if mode.mode == Mode::Lsb {
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
    let curdir = match crate::open::read(".") {
        Ok(fd) => fd.into(),
        Err(e) => {
            crate::msg::line_err(&["fatal: unable to open current directory"], e);
            std::process::exit(match mode.mode {
                Mode::Lsb => 151,
                Mode::Sv => 100,
            });
        }
    };
    let Some(cmd) = command(word.as_bytes(), verbose, mode.mode) else {
        mode.usage()
    };
    let mut sv = Sv::new(mode.mode, cmd.exits(), Walk::new(svdir, curdir));
    let pending = first_pass(&mut sv, cmd, services);
    if !pending.is_empty() {
        let w = wait::Wait {
            acts: cmd.acts(),
            secs,
            kill: matches!(cmd, Command::Send { kill: true, .. }),
            t0,
        };
        wait::wait_all(&mut sv, pending, &w);
    }
    let rc = sv.rc.min(99) as i32;
    sv.exit(rc)
}

/// The first pass: acts on every service in turn; returns those to wait for.
fn first_pass(sv: &mut Sv, cmd: Command, services: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut pending = Vec::new();
    for name in services {
        if cmd == Command::Json {
            sv.capture = Some(Vec::new());
        }
        let entered = sv.enter(&name, Pass::Send);
        let failure = sv.capture.take();
        if !entered {
            if let (Command::Json, Some(text)) = (cmd, failure) {
                json::failed(sv, &name, &text);
            }
            sv.leave();
            continue;
        }
        let keep = match cmd {
            Command::Json => {
                json::status(sv);
                true
            }
            Command::Status => {
                sv.status();
                true
            }
            Command::Send { bytes, .. } => sv.control(bytes) != Sent::Dropped,
            Command::Check => true,
        };
        sv.leave();
        if keep && cmd.waits() {
            pending.push(name);
        }
    }
    pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acts(word: &str, verbose: bool) -> Option<(Vec<u8>, bool, bool, bool)> {
        command(word.as_bytes(), verbose, Mode::Sv).map(|c| {
            let (send, kill) = match c {
                Command::Send { kill, .. } => (true, kill),
                _ => (false, false),
            };
            (c.acts().to_vec(), send, c.waits(), kill)
        })
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
        assert_eq!(command(b"stat", false, Mode::Sv), Some(Command::Status));
        assert_eq!(command(b"stat", false, Mode::Lsb), None);
        assert_eq!(command(b"status", false, Mode::Lsb), Some(Command::Status));
        assert_eq!(command(b"json", false, Mode::Lsb), Some(Command::Json));
        assert_eq!(command(b"js", false, Mode::Sv), None);
        assert_eq!(acts("1", false), Some((b"1".to_vec(), true, false, false)));
    }
}
