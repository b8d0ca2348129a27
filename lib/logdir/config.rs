//! A log directory's `config` file as runit 2.1.2 reads it: one command
//! letter per line, the rest of the line its argument, unknown lines ignored.
//! Two extensions: `1` and `2` copy every line written to the directory to
//! svlogd's standard output or standard error (runit ignores both lines).

use crate::cli::getopt::scan_ulong;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// What a `+`, `-`, `e` or `E` line asks for when its pattern matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    /// `+`: write the line to the directory.
    File,
    /// `-`: do not write the line to the directory.
    NoFile,
    /// `e`: copy the line to stderr.
    Stderr,
    /// `E`: do not copy the line to stderr.
    NoStderr,
}

/// One selection pattern, in config order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub select: Select,
    pub pattern: Vec<u8>,
}

/// The settings of one log directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `s`: rotate when `current` reaches this many bytes (0: never by size).
    pub size_max: u64,
    /// `n`: keep at most this many old files (0: keep all).
    pub n_max: u64,
    /// `N`: keep at least this many old files when the disk is full.
    pub n_min: u64,
    /// `t`: rotate a non-empty `current` older than this (None: never by age).
    pub time_max: Option<Duration>,
    /// `!`: the processor command line, run with `sh -c`.
    pub processor: Option<Vec<u8>>,
    /// `u`/`U`: where to send selected lines by UDP.
    pub udp: Option<SocketAddrV4>,
    /// `U`: send by UDP only, write nothing to the directory.
    pub udp_only: bool,
    /// `p`: written before every selected line.
    pub prefix: Vec<u8>,
    pub patterns: Vec<Pattern>,
    /// `1` (not in runit): copy each line written here to standard output.
    pub copy_stdout: bool,
    /// `2` (not in runit): copy each line written here to standard error.
    pub copy_stderr: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            size_max: 1_000_000,
            n_max: 10,
            n_min: 10,
            time_max: None,
            processor: None,
            udp: None,
            udp_only: false,
            prefix: Vec::new(),
            patterns: Vec::new(),
            copy_stdout: false,
            copy_stderr: false,
        }
    }
}

/// Parses `text`. Returns the settings and the warnings runit prints while
/// reading (already formatted after `svlogd: warning: `, config bytes as
/// they are).
pub fn parse(text: &[u8]) -> (Config, Vec<Vec<u8>>) {
    let mut cfg = Config::default();
    let mut warnings = Vec::new();
    // runit keeps the address and port as separate pieces of state: a later
    // bad `u` line leaves an earlier good one in force.
    let mut udp_addr = Ipv4Addr::UNSPECIFIED;
    let mut udp_port: u16 = 0;
    let mut i = 0;
    // A line is looked at only when at least two bytes are left from its
    // start (a final one-byte line without newline is ignored).
    while i + 1 < text.len() {
        let rest = &text[i..];
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..len];
        // runit treats the line as a C string: an embedded NUL ends it.
        let line = match line.iter().position(|&b| b == 0) {
            Some(z) => &line[..z],
            None => line,
        };
        apply_line(line, &mut cfg, &mut warnings, &mut udp_addr, &mut udp_port);
        i += len + 1;
    }
    if udp_port != 0 {
        cfg.udp = Some(SocketAddrV4::new(udp_addr, udp_port));
    }
    (cfg, warnings)
}

fn apply_line(
    line: &[u8],
    cfg: &mut Config,
    warnings: &mut Vec<Vec<u8>>,
    udp_addr: &mut Ipv4Addr,
    udp_port: &mut u16,
) {
    let Some((&cmd, arg)) = line.split_first() else {
        return;
    };
    match cmd {
        b'+' | b'-' | b'e' | b'E' => cfg.patterns.push(Pattern {
            select: match cmd {
                b'+' => Select::File,
                b'-' => Select::NoFile,
                b'e' => Select::Stderr,
                _ => Select::NoStderr,
            },
            pattern: arg.to_vec(),
        }),
        b's' => cfg.size_max = scaled(arg, &[(b'k', 1024), (b'm', 1024 * 1024)]),
        b'n' => cfg.n_max = scan_ulong(arg).0,
        b'N' => cfg.n_min = scan_ulong(arg).0,
        b't' => {
            let secs = scaled(arg, &[(b'm', 60), (b'h', 3600)]);
            cfg.time_max = (secs != 0).then(|| Duration::from_secs(secs));
        }
        b'!' if !arg.is_empty() => cfg.processor = Some(arg.to_vec()),
        b'p' if !arg.is_empty() => cfg.prefix = arg.to_vec(),
        // The rest of the line is ignored, as for runit's unknown lines.
        b'1' => cfg.copy_stdout = true,
        b'2' => cfg.copy_stderr = true,
        b'u' | b'U' => {
            // `U` means "UDP only" even when the address turns out bad.
            if cmd == b'U' {
                cfg.udp_only = true;
            }
            udp_line(arg, warnings, udp_addr, udp_port);
        }
        _ => {}
    }
}

/// A number with an optional one-letter unit suffix (wrapping like runit).
fn scaled(arg: &[u8], units: &[(u8, u64)]) -> u64 {
    let (v, n) = scan_ulong(arg);
    let unit = arg.get(n).copied();
    units
        .iter()
        .find(|(c, _)| Some(*c) == unit)
        .map(|(_, m)| v.wrapping_mul(*m))
        .unwrap_or(v)
}

fn udp_line(arg: &[u8], warnings: &mut Vec<Vec<u8>>, addr: &mut Ipv4Addr, port: &mut u16) {
    let Some((ip, used)) = scan_ip4(arg) else {
        warnings.push([&b"unable to scan ip address: "[..], arg].concat());
        return;
    };
    *addr = ip;
    let p = if arg.get(used) == Some(&b':') {
        let text = &arg[used + 1..];
        let p = scan_ulong(text).0;
        if p == 0 {
            warnings.push([&b"unable to scan port number: "[..], text].concat());
            return;
        }
        p
    } else {
        514
    };
    // runit stores the port as a 16-bit network number: it wraps.
    *port = p as u16;
}

/// Four dot-separated decimal numbers, each taken modulo 256. Returns the
/// address and the number of bytes used.
pub fn scan_ip4(s: &[u8]) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut pos = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if s.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let (v, n) = scan_ulong(&s[pos..]);
        if n == 0 {
            return None;
        }
        *octet = v as u8;
        pos += n;
    }
    Some((Ipv4Addr::from(octets), pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        parse(text.as_bytes()).0
    }

    #[test]
    fn defaults_and_sizes() {
        assert_eq!(cfg(""), Config::default());
        assert_eq!(cfg("s500\n").size_max, 500);
        assert_eq!(cfg("s2k\n").size_max, 2048);
        assert_eq!(cfg("s3m\n").size_max, 3 * 1024 * 1024);
        assert_eq!(cfg("s 500\n").size_max, 0);
        assert_eq!(cfg("s100x\n").size_max, 100);
        assert_eq!(cfg("s1\ns2\n").size_max, 2);
        assert_eq!(cfg("n5\nN2\n").n_max, 5);
        assert_eq!(cfg("n5\nN2\n").n_min, 2);
    }

    #[test]
    fn times() {
        assert_eq!(cfg("t30\n").time_max, Some(Duration::from_secs(30)));
        assert_eq!(cfg("t2m\n").time_max, Some(Duration::from_secs(120)));
        assert_eq!(cfg("t1h\n").time_max, Some(Duration::from_secs(3600)));
        assert_eq!(cfg("t0\n").time_max, None);
    }

    #[test]
    fn last_line_needs_two_bytes() {
        assert!(cfg("+").patterns.is_empty());
        assert_eq!(cfg("+a").patterns.len(), 1);
        assert_eq!(cfg("+\n").patterns[0].pattern, b"");
        assert_eq!(cfg("s9").size_max, 9);
    }

    #[test]
    fn processor_prefix_patterns() {
        let c = cfg("!gzip\np>> \n-*\n+a*\ne*x\nE*\n# c\n s1\n");
        assert_eq!(c.processor.as_deref(), Some(&b"gzip"[..]));
        assert_eq!(c.prefix, b">> ");
        let sel: Vec<Select> = c.patterns.iter().map(|p| p.select).collect();
        assert_eq!(
            sel,
            [
                Select::NoFile,
                Select::File,
                Select::Stderr,
                Select::NoStderr
            ]
        );
        assert_eq!(c.size_max, 1_000_000);
        assert_eq!(cfg("!\np\n").processor, None);
    }

    #[test]
    fn copies() {
        let c = cfg("1\n");
        assert!(c.copy_stdout && !c.copy_stderr);
        let c = cfg("2\n1 anything\n");
        assert!(c.copy_stdout && c.copy_stderr);
        // A last line of one byte is not looked at, as runit does.
        assert!(!cfg("s9\n1").copy_stdout);
        assert!(!cfg(" 1\n").copy_stdout);
    }

    #[test]
    fn udp() {
        let c = cfg("u127.0.0.1\n");
        assert_eq!(c.udp, Some("127.0.0.1:514".parse().unwrap()));
        assert!(!c.udp_only);
        let c = cfg("U999.1.1.1:99\n");
        assert_eq!(c.udp, Some("231.1.1.1:99".parse().unwrap()));
        assert!(c.udp_only);
        let (c, w) = parse(b"U999.1\n");
        assert!(c.udp_only && c.udp.is_none());
        assert_eq!(w, [b"unable to scan ip address: 999.1"]);
        let (c, w) = parse(b"u1.2.3.4:\xff\n");
        assert!(c.udp.is_none());
        assert_eq!(w, [b"unable to scan port number: \xff"]);
    }
}
