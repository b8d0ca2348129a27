//! The multi-call dispatch: one binary (`runit-rs`) that is every program of
//! the suite, choosing by the name it was run as (the last component of
//! `argv[0]`), as busybox does. Installed as symbolic links to the one file
//! (`/usr/bin/runsv -> runit-rs`), each program sees exactly the argv it would
//! see as its own binary, so `ps`, `pkill -f 'runsv NAME'`, usage lines and
//! runsvdir's readproctitle log read as with runit.
//!
//! Run by a name that is not a program's, the symbolic links from `argv[0]`
//! (searched in PATH when it has no slash) are followed to the first one named
//! after a program: `/etc/init.d/foo -> /usr/bin/sv -> runit-rs` is sv run as
//! `foo`, its LSB init-script mode, as with runit's sv.
//!
//! Run by its own name (`runit-rs`, or any name that leads to no program's),
//! the first argument names the program: `runit-rs sv status /etc/service/x`.
//! `--list` prints where each program is installed (`bin/runsv`,
//! `sbin/utmpset`), `--personalities` chpst's six other names; the install
//! scripts make their links from these.
//!
//! **Adding a program is one line in [`PROGRAMS`]** (name, directory, entry).
//!
//! Choices, with their measurements (2-core VM, same runs, Debian's runit
//! 2.1.2 as the reference; scripts/bench-runsv.sh, bench-svlogd.sh):
//! - Symbolic rather than hard links: `argv[0]` is the link's name either way
//!   (and /proc/PID/comm too), but a symbolic link survives the one file being
//!   replaced by a new inode (install(1), dpkg), shows what it is in `ls -l`,
//!   and lets `/etc/init.d/NAME -> sv` be followed to sv.
//! - `no_main` for every program: chpst must not have Rust's start-up ignore
//!   SIGPIPE or open /dev/null on closed descriptors, and sv starts faster
//!   without its /proc/self/maps probe (500 `sv status` runs: 2.4 s, against
//!   3.5 s for the former static glibc sv and 4.1 s for runit's). The other
//!   programs lose only std's stack-overflow message (a plain SIGSEGV
//!   instead), as runit's C programs have none.
//! - Size: 606,328 bytes for the whole suite on musl (text 594 kB). About
//!   230 kB of it is std's backtrace printer (gimli, addr2line, libunwind,
//!   miniz_oxide, rustc_demangle), reachable from the default panic hook even
//!   with panic=abort and removable only with nightly's build-std; our own
//!   code is 116 kB. opt-level "z" saves 5 kB of text and no file size (the
//!   segments are page-aligned): "s" stays. The static glibc fallback is
//!   1.37 MB: the size goal holds on musl only.
//! - Memory: one file's text is shared by every process of a tree. PSS of
//!   runsvdir + 5 runsv + 5 svlogd: 929 kB, against 1486 kB for runit's and
//!   3768 kB for the former seven static glibc binaries; 1000 runsv: 27.5 kB
//!   each (was 58 kB; runit's 93 kB).
//! - musl's memchr works a word at a time and doubled svlogd's user time;
//!   sys::memchr uses SSE2 instead, and svlogd's CPU per GB on musl is now at
//!   or below the static glibc build's (e.g. 100-byte lines: 2.0 vs 2.5 s/GB,
//!   -tt 2.9 vs 2.9). musl's allocator does not show: svlogd's hot path does
//!   not allocate.

use crate::cmd;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A program's entry: its arguments, `argv[0]` first; returns the exit code.
pub type Entry = fn(Vec<OsString>) -> i32;

/// Where a program is installed, as in Debian's runit package.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    Bin,
    Sbin,
    /// One of chpst's personalities: linked only on request (Debian's runit
    /// does not install them; daemontools' names would clash).
    Personality,
}

/// Every program, by the name it is run as. An entry is started without
/// Rust's runtime set-up (bin/runit-rs.rs is `no_main`): it gets its
/// arguments only as `args` (`std::env::args` is empty on musl), and SIGPIPE's
/// disposition and descriptors 0-2 as inherited, so it calls
/// `sys::restore_sigpipe()` first unless it must pass them on (chpst).
/// A new program is one more line here; `--list` then gives it to the
/// installer, the Debian package and the release directory.
pub const PROGRAMS: &[(&str, Place, Entry)] = &[
    ("runsvdir", Place::Bin, cmd::runsvdir::main),
    ("runsv", Place::Bin, cmd::runsv::main),
    ("sv", Place::Bin, cmd::sv::main),
    ("chpst", Place::Bin, cmd::chpst::main_as_inherited),
    ("svlogd", Place::Bin, cmd::svlogd::main),
    ("runsvchdir", Place::Sbin, cmd::runsvchdir::main),
    ("utmpset", Place::Sbin, cmd::utmpset::main),
    ("my_init", Place::Sbin, cmd::my_init::main),
    ("setuser", Place::Sbin, cmd::setuser::main),
    ("envdir", Place::Personality, cmd::chpst::main_as_inherited),
    (
        "envuidgid",
        Place::Personality,
        cmd::chpst::main_as_inherited,
    ),
    (
        "pgrphack",
        Place::Personality,
        cmd::chpst::main_as_inherited,
    ),
    (
        "setuidgid",
        Place::Personality,
        cmd::chpst::main_as_inherited,
    ),
    ("setlock", Place::Personality, cmd::chpst::main_as_inherited),
    (
        "softlimit",
        Place::Personality,
        cmd::chpst::main_as_inherited,
    ),
];

/// This binary's own name, used in its usage listing.
pub const OWN_NAME: &str = "runit-rs";

/// The last component of a path.
fn basename(path: &OsStr) -> &[u8] {
    super::basename(path.as_bytes())
}

/// The entry for the program called `name`. chpst also answers to each
/// personality with one leading `d` (`dsetlock`), as runit's chpst does.
pub fn lookup(name: &[u8]) -> Option<Entry> {
    let find = |n: &[u8]| PROGRAMS.iter().find(|p| p.0.as_bytes() == n);
    match find(name) {
        Some(p) => Some(p.2),
        None => match name.strip_prefix(b"d").and_then(find) {
            Some(p) if p.1 == Place::Personality => Some(p.2),
            _ => None,
        },
    }
}

/// How many symbolic links [`through_links`] follows at most (the kernel's
/// own limit for a path is 40; real chains have one or two).
const MAX_LINKS: usize = 8;

/// The program reached by following the symbolic links from `argv0` (found
/// through PATH when it has no slash): the first link whose target is named
/// after a program.
fn through_links(argv0: &OsStr) -> Option<Entry> {
    let mut path = if argv0.as_bytes().contains(&b'/') {
        PathBuf::from(argv0)
    } else {
        search_path(argv0)?
    };
    for _ in 0..MAX_LINKS {
        let target = std::fs::read_link(&path).ok()?;
        if let Some(entry) = lookup(basename(target.as_os_str())) {
            return Some(entry);
        }
        // A relative target is relative to the link's directory; an absolute
        // one replaces the path.
        path = path.parent().unwrap_or(Path::new("/")).join(target);
    }
    None
}

/// The first entry named `name` in PATH's directories (an empty one is `.`).
fn search_path(name: &OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { b"." as &[u8] } else { dir };
            Path::new(OsStr::from_bytes(dir)).join(name)
        })
        .find(|candidate| candidate.symlink_metadata().is_ok())
}

/// What the arguments ask for.
#[derive(Debug)]
enum Choice {
    /// Run the entry with these arguments, which start this many words into
    /// the real argv.
    Run(Entry, Vec<OsString>, usize),
    List(Place),
    Usage(Option<OsString>),
}

fn choose(mut args: Vec<OsString>) -> Choice {
    if let Some(entry) = args.first().and_then(|a| lookup(basename(a))) {
        return Choice::Run(entry, args, 0);
    }
    if let Some(entry) = args.first().and_then(|a| through_links(a)) {
        return Choice::Run(entry, args, 0);
    }
    let Some(first) = args.get(1) else {
        return Choice::Usage(None);
    };
    match first.as_bytes() {
        b"--list" => return Choice::List(Place::Bin),
        b"--personalities" => return Choice::List(Place::Personality),
        _ => {}
    }
    match lookup(first.as_bytes()) {
        Some(entry) => {
            args.remove(0);
            Choice::Run(entry, args, 1)
        }
        None => Choice::Usage(Some(first.clone())),
    }
}

/// The multi-call binary's `main`: runs the chosen program and returns its
/// exit code. Every program keeps its own start-up (chpst leaves SIGPIPE and
/// descriptors as inherited; the others reset SIGPIPE first).
pub fn main(args: Vec<OsString>) -> i32 {
    match choose(args) {
        Choice::Run(entry, args, shift) => {
            crate::sys::set_argv_shift(shift);
            entry(args)
        }
        Choice::List(place) => list(place),
        Choice::Usage(unknown) => usage(unknown.as_deref()),
    }
}

fn list(which: Place) -> i32 {
    let mut out = Vec::new();
    for (name, place, _) in PROGRAMS {
        let dir = match (which, place) {
            (Place::Bin, Place::Bin) => "bin/",
            (Place::Bin, Place::Sbin) => "sbin/",
            (Place::Personality, Place::Personality) => "",
            _ => continue,
        };
        out.extend_from_slice(dir.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    use std::io::Write;
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => 0,
        Err(_) => crate::msg::EXIT_TEMPORARY,
    }
}

fn usage(unknown: Option<&OsStr>) -> i32 {
    let mut programs = String::new();
    let mut personalities = String::new();
    for (name, place, _) in PROGRAMS {
        let to = if *place == Place::Personality {
            &mut personalities
        } else {
            &mut programs
        };
        to.push(' ');
        to.push_str(name);
    }
    let unknown = unknown.map(|u| u.to_string_lossy().into_owned());
    if let Some(u) = &unknown {
        crate::msg::line(&[OWN_NAME, ": unknown program: ", u]);
    }
    crate::msg::line(&[
        "usage: ",
        OWN_NAME,
        " program [args...]\n       program [args...]   (run through a link named program)\n       ",
        OWN_NAME,
        " --list | --personalities\nprograms:",
        &programs,
        "\nchpst personalities:",
        &personalities,
    ]);
    crate::msg::EXIT_PERMANENT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    fn run_of(w: &[&str]) -> Option<(Vec<OsString>, usize)> {
        match choose(words(w)) {
            Choice::Run(_, args, shift) => Some((args, shift)),
            _ => None,
        }
    }

    #[test]
    fn chooses_by_argv0_basename() {
        assert_eq!(
            run_of(&["/usr/bin/runsv", "x"]),
            Some((words(&["/usr/bin/runsv", "x"]), 0))
        );
        assert_eq!(run_of(&["sv", "status"]).map(|r| r.1), Some(0));
        assert_eq!(run_of(&["./dsetlock", "f", "p"]).map(|r| r.1), Some(0));
    }

    #[test]
    fn own_name_takes_the_program_from_the_first_argument() {
        assert_eq!(
            run_of(&["/bin/runit-rs", "runsvdir", "-P", "/s"]),
            Some((words(&["runsvdir", "-P", "/s"]), 1))
        );
        assert!(run_of(&["runit-rs"]).is_none());
        assert!(run_of(&["runit-rs", "nosuch"]).is_none());
        // Only personalities take the `d` prefix.
        assert!(lookup(b"drunsv").is_none());
        assert!(lookup(b"denvdir").is_some());
    }

    #[test]
    fn every_program_has_a_unique_name() {
        for (i, p) in PROGRAMS.iter().enumerate() {
            assert!(PROGRAMS[i + 1..].iter().all(|q| q.0 != p.0), "{}", p.0);
        }
    }
}
