//! utmpset: marks a terminal line's utmp record as logged out, and with `-w`
//! appends a logout record to wtmp, as runit 2.1.2's utmpset does
//! (doc/runit/utmpset.md). Records are glibc's 384-byte `struct utmp`
//! on x86_64, handled here as bytes at fixed offsets.

use crate::cli::getopt::{self, Opt};
use crate::errstr::errno as io_errno;
use crate::lock;
use crate::msg::{self, Kind, Voice};
use crate::sys;
use nix::errno::Errno;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{SystemTime, UNIX_EPOCH};

const UTMP: &str = "/var/run/utmp";
const WTMP: &str = "/var/log/wtmp";
const VERSION: &str = "$Id: cb399098f794012a7f5e6a3a7090b2d53b86c08c $";
const USAGE: &str = " [-w] line";
const EXIT_FATAL: i32 = msg::EXIT_TEMPORARY;

/// `struct utmp` layout (glibc, x86_64).
const RECORD: usize = 384;
const TYPE: usize = 0;
const LINE: std::ops::Range<usize> = 8..40;
const USER: std::ops::Range<usize> = 44..76;
const HOST: std::ops::Range<usize> = 76..332;
const TV_SEC: std::ops::Range<usize> = 340..344;
const DEAD_PROCESS: i16 = 8;

pub fn main(args: Vec<OsString>) -> i32 {
    sys::restore_sigpipe();
    let argv0 = msg::arg0(&args);
    let base = crate::cli::basename(&argv0);
    let (opts, first) = getopt::parse(args.get(1..).unwrap_or(&[]), "wV");
    let mut wtmp = false;
    for o in opts {
        match o {
            Opt::Flag(b'w', _) => wtmp = true,
            Opt::Flag(b'V', _) => {
                msg::line(&[VERSION]);
                msg::usage(&argv0, USAGE, 1)
            }
            Opt::Illegal(c) | Opt::MissingArgument(c) => {
                msg::getopt_complaint(base, "illegal option", c);
                msg::usage(&argv0, USAGE, 1)
            }
            Opt::Flag(..) => {}
        }
    }
    let Some(line) = args.get(1 + first) else {
        msg::usage(&argv0, USAGE, 1)
    };
    let line = line.as_bytes();
    let voice = Voice::new("utmpset: ");
    if logout_utmp(line, &voice).is_err() {
        voice.say(
            Kind::Warning,
            &[b"unable to logout line ", line, b" in utmp: no such entry"],
            None,
        );
        return EXIT_FATAL;
    }
    if wtmp {
        if let Err(e) = append_wtmp(line, &voice) {
            voice.say(
                Kind::Warning,
                &[b"unable to logout line ", line, b" in wtmp"],
                Some(e),
            );
            return EXIT_FATAL;
        }
    }
    0
}

fn now_secs() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// Finds the first record for `line` with a user and marks it dead.
fn logout_utmp(line: &[u8], voice: &Voice) -> Result<(), ()> {
    let mut file = match OpenOptions::new().read(true).write(true).open(UTMP) {
        Ok(f) => f,
        Err(e) => voice.fatal_err(&["unable to open ", UTMP], io_errno(&e), EXIT_FATAL),
    };
    if let Err(e) = lock::exclusive(&file) {
        voice.fatal_err(&["unable to lock: ", UTMP], e, EXIT_FATAL);
    }
    let mut rec = [0u8; RECORD];
    loop {
        if file.read_exact(&mut rec).is_err() {
            return Err(());
        }
        if rec[USER.start] != 0 && c_string(&rec[LINE]) == line {
            break;
        }
    }
    rec[USER].fill(0);
    rec[HOST].fill(0);
    rec[TV_SEC].copy_from_slice(&now_secs().to_le_bytes());
    rec[TYPE..TYPE + 2].copy_from_slice(&DEAD_PROCESS.to_le_bytes());
    file.seek(SeekFrom::Current(-(RECORD as i64)))
        .map_err(|_| ())?;
    file.write_all(&rec).map_err(|_| ())
}

/// The bytes of a fixed-size C string field, up to its first NUL.
fn c_string(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Appends a logout record for `line`; a short write is undone.
fn append_wtmp(line: &[u8], voice: &Voice) -> Result<(), Errno> {
    let file = match OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(WTMP)
    {
        Ok(f) => f,
        Err(e) => voice.fatal_err(&["unable to open ", WTMP], io_errno(&e), EXIT_FATAL),
    };
    if let Err(e) = lock::exclusive(&file) {
        voice.fatal_err(&["unable to lock ", WTMP], e, EXIT_FATAL);
    }
    let size = file.metadata().map_err(|e| io_errno(&e))?.len();
    let mut rec = [0u8; RECORD];
    // runit copies at most 30 bytes of a line too long for the field.
    let take = if line.len() > LINE.len() {
        30
    } else {
        line.len()
    };
    rec[LINE.start..LINE.start + take].copy_from_slice(&line[..take]);
    rec[TV_SEC].copy_from_slice(&now_secs().to_le_bytes());
    rec[TYPE..TYPE + 2].copy_from_slice(&DEAD_PROCESS.to_le_bytes());
    write_record(&file, &rec, size)
}

fn write_record(mut file: &File, rec: &[u8], size: u64) -> Result<(), Errno> {
    match file.write(rec) {
        Ok(n) if n == rec.len() => Ok(()),
        Ok(_) => {
            let _ = file.set_len(size);
            Err(Errno::ENOSPC)
        }
        Err(e) => {
            let _ = file.set_len(size);
            Err(io_errno(&e))
        }
    }
}
