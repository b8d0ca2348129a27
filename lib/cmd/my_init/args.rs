//! my_init's command line (the reference's argparse parser, byte for byte in
//! usage, help and errors) and its settings from the environment.
//!
//! The extras are options hidden from usage and help, so `--help` stays the
//! reference's; their names start with letters no reference option starts
//! with, so every abbreviation the reference accepts means the same here.

use crate::cli::argparse::{Opt, Parsed, Spec};
use std::ffi::OsString;

const OPTIONS: &[Opt] = &[
    Opt {
        long: "--enable-insecure-key",
        short: None,
        value: false,
        help: Some("Install the insecure SSH key"),
    },
    Opt {
        long: "--skip-startup-files",
        short: None,
        value: false,
        help: Some("Skip running /etc/my_init.d/* and /etc/rc.local"),
    },
    Opt {
        long: "--skip-runit",
        short: None,
        value: false,
        help: Some("Do not run runit services"),
    },
    Opt {
        long: "--no-kill-all-on-exit",
        short: None,
        value: false,
        help: Some("Don't kill all processes on the system upon exiting"),
    },
    Opt {
        long: "--quiet",
        short: None,
        value: false,
        help: Some("Only print warnings and errors"),
    },
    // Extras (hidden).
    Opt {
        long: "--main-signal-exit-code",
        short: None,
        value: false,
        help: None,
    },
    Opt {
        long: "--wait-for-services",
        short: None,
        value: false,
        help: None,
    },
    Opt {
        long: "--follow-service",
        short: None,
        value: true,
        help: None,
    },
    Opt {
        long: "--unprivileged",
        short: None,
        value: false,
        help: None,
    },
];

pub const SPEC: Spec = Spec {
    description: "Initialize the system.",
    metavar: "MAIN_COMMAND",
    positional_help: "The main command to run. (default: runit)",
    options: OPTIONS,
};

/// Environment variables that turn the extras on.
pub const ENV_SIGNAL_EXIT_CODE: &str = "MY_INIT_SIGNAL_EXIT_CODE";
pub const ENV_WAIT_FOR_SERVICES: &str = "MY_INIT_WAIT_FOR_SERVICES";
pub const ENV_WAIT_TIMEOUT: &str = "MY_INIT_WAIT_FOR_SERVICES_TIMEOUT";
pub const ENV_FOLLOW_SERVICE: &str = "MY_INIT_FOLLOW_SERVICE";
pub const ENV_UNPRIVILEGED: &str = "MY_INIT_UNPRIVILEGED";

/// Log levels as the reference numbers them (error and warn are both 1).
pub const LEVEL_WARN: u8 = 1;
pub const LEVEL_INFO: u8 = 2;

/// Everything the command line and the environment decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub enable_insecure_key: bool,
    pub skip_startup_files: bool,
    pub skip_runit: bool,
    pub kill_all_on_exit: bool,
    pub log_level: u8,
    pub main_command: Vec<OsString>,
    pub signal_exit_code: bool,
    pub wait_for_services: bool,
    pub follow_service: Option<OsString>,
    pub unprivileged: bool,
}

/// What the command line asks for.
pub enum Command {
    Run(Options),
    /// Text for stdout and exit 0 (help), or stderr and exit 2.
    Help(Vec<u8>),
    Error(Vec<u8>),
}

/// Parses the command line (without `argv[0]`); `prog` is the basename of `argv[0]`.
pub fn parse(prog: &[u8], args: &[OsString], env: &dyn Fn(&str) -> Option<OsString>) -> Command {
    let (options, positionals) = match SPEC.parse(prog, args) {
        Parsed::Args {
            options,
            positionals,
        } => (options, positionals),
        Parsed::Help(t) => return Command::Help(t),
        Parsed::Error(t) => return Command::Error(t),
    };
    let flag = |name: &str| env(name).is_some_and(|v| truthy(&v));
    let mut o = Options {
        enable_insecure_key: false,
        skip_startup_files: false,
        skip_runit: false,
        kill_all_on_exit: true,
        log_level: LEVEL_INFO,
        main_command: positionals,
        signal_exit_code: flag(ENV_SIGNAL_EXIT_CODE),
        wait_for_services: flag(ENV_WAIT_FOR_SERVICES),
        follow_service: env(ENV_FOLLOW_SERVICE).filter(|v| !v.is_empty()),
        unprivileged: flag(ENV_UNPRIVILEGED),
    };
    for (i, value) in options {
        match OPTIONS[i].long {
            "--enable-insecure-key" => o.enable_insecure_key = true,
            "--skip-startup-files" => o.skip_startup_files = true,
            "--skip-runit" => o.skip_runit = true,
            "--no-kill-all-on-exit" => o.kill_all_on_exit = false,
            "--quiet" => o.log_level = LEVEL_WARN,
            "--main-signal-exit-code" => o.signal_exit_code = true,
            "--wait-for-services" => o.wait_for_services = true,
            "--follow-service" => o.follow_service = value,
            "--unprivileged" => o.unprivileged = true,
            _ => {}
        }
    }
    Command::Run(o)
}

/// An extra's switch: anything but empty, `0`, `false`, `no`, `off`.
fn truthy(v: &std::ffi::OsStr) -> bool {
    let s = v.to_string_lossy().trim().to_ascii_lowercase();
    !matches!(s.as_str(), "" | "0" | "false" | "no" | "off")
}

/// Python's `int(text)`: surrounding whitespace, a sign, digits with single
/// underscores between them. None where the reference raises ValueError.
pub fn py_int(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.trim();
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let b = digits.as_bytes();
    if b.is_empty() || b[0] == b'_' || b[b.len() - 1] == b'_' || digits.contains("__") {
        return None;
    }
    let mut n: i64 = 0;
    for &c in b {
        if c == b'_' {
            continue;
        }
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str]) -> Options {
        let a: Vec<OsString> = words.iter().map(OsString::from).collect();
        match parse(b"my_init", &a, &|_| None) {
            Command::Run(o) => o,
            _ => panic!("not run"),
        }
    }

    #[test]
    fn help_is_the_references() {
        let expected = "usage: my_init [-h] [--enable-insecure-key] [--skip-startup-files]
               [--skip-runit] [--no-kill-all-on-exit] [--quiet]
               [MAIN_COMMAND ...]

Initialize the system.

positional arguments:
  MAIN_COMMAND          The main command to run. (default: runit)

options:
  -h, --help            show this help message and exit
  --enable-insecure-key
                        Install the insecure SSH key
  --skip-startup-files  Skip running /etc/my_init.d/* and /etc/rc.local
  --skip-runit          Do not run runit services
  --no-kill-all-on-exit
                        Don't kill all processes on the system upon exiting
  --quiet               Only print warnings and errors
";
        assert_eq!(String::from_utf8(SPEC.help(b"my_init")).unwrap(), expected);
    }

    #[test]
    fn usage_wraps_by_prog_length() {
        let u = String::from_utf8(SPEC.usage(b"init")).unwrap();
        assert!(u.starts_with(
            "usage: init [-h] [--enable-insecure-key] [--skip-startup-files] [--skip-runit]\n            [--no"
        ));
        let long = "p".repeat(60);
        let u = String::from_utf8(SPEC.usage(long.as_bytes())).unwrap();
        assert!(u.starts_with(&format!("usage: {}\n       [-h]", long)));
    }

    #[test]
    fn options_and_extras() {
        let o = run(&["--skip-r", "--qu", "--", "cmd", "--quiet"]);
        assert!(o.skip_runit && o.log_level == LEVEL_WARN && o.kill_all_on_exit);
        assert_eq!(o.main_command, ["cmd", "--quiet"]);
        let o = run(&["--follow-service", "web", "--main-sig", "x"]);
        assert_eq!(o.follow_service, Some("web".into()));
        assert!(o.signal_exit_code);
    }

    #[test]
    fn python_int() {
        assert_eq!(py_int(b" 30\n"), Some(30));
        assert_eq!(py_int(b"-1_0"), Some(-10));
        assert_eq!(py_int(b"+7"), Some(7));
        for bad in [&b""[..], b"1.5", b"1__0", b"_1", b"abc", b"0x10"] {
            assert_eq!(py_int(bad), None);
        }
    }
}

#[cfg(test)]
mod manual {
    /// Every option the parser accepts, and every extra's variable, is in
    /// the manual page.
    #[test]
    fn every_option_is_documented() {
        let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/my_init.8"))
            .unwrap_or_default()
            .replace("\\-", "-");
        for o in super::OPTIONS {
            assert!(page.contains(o.long), "{} missing from my_init.8", o.long);
        }
        for v in [
            super::ENV_SIGNAL_EXIT_CODE,
            super::ENV_WAIT_FOR_SERVICES,
            super::ENV_WAIT_TIMEOUT,
            super::ENV_FOLLOW_SERVICE,
            super::ENV_UNPRIVILEGED,
        ] {
            assert!(page.contains(v), "{} missing from my_init.8", v);
        }
    }
}
