//! Corners of sv found by the differential sweep against Debian's runit
//! 2.1.2 (the audit branch). Each test asserts ours against the literal
//! runit prints, and against Debian's sv when it is installed.

use crate::common;
use crate::sv_common;

use std::fs;
use sv_common::{debian, World};

/// A `supervise/` that no runsv maintains (`ok` held open) with `status`.
fn fake(w: &mut World, name: &str, status: &[u8]) {
    let sup = w.path(name).join("supervise");
    fs::create_dir_all(&sup).unwrap();
    let mode = nix::sys::stat::Mode::from_bits_truncate(0o600);
    nix::unistd::mkfifo(&sup.join("ok"), mode).unwrap();
    nix::unistd::mkfifo(&sup.join("control"), mode).unwrap();
    fs::write(sup.join("status"), status).unwrap();
    w.hold_fifo(&format!("{name}/supervise/ok"));
}

/// A record: state run, want up, since the TAI64 epoch, naming `pid`.
fn record(pid: u32) -> Vec<u8> {
    let mut b = vec![0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0];
    b.extend_from_slice(&pid.to_le_bytes());
    b.extend_from_slice(&[0, b'u', 0, 1]);
    b
}

/// sv's output with the seconds masked (the pid is what is compared here).
fn status(w: &World, sv: &std::path::Path) -> (String, String, i32) {
    let (out, err, rc) = common::text(&common::run(w.sv_command(
        sv,
        &["status", "big", "small"],
        &[],
    )));
    // Each line ends in "SECONDSs": keep everything before the seconds.
    let mask = |s: String| {
        s.lines()
            .map(|l| format!("{} Ns\n", l.rsplit_once(' ').map_or(l, |(head, _)| head)))
            .collect::<String>()
    };
    (mask(out), err, rc)
}

/// runit keeps the record's pid in an int and prints it as an unsigned
/// long: a pid from 2^31 up comes out sign-extended (doc/runit/quirks.md #51).
#[test]
fn audit_sv_pid_sign_extended() {
    let theirs = debian("audit_sv_pid_sign_extended").map(|(sv, _)| sv);
    let mut w = World::new("audit_sv_pid_sign_extended", &common::ours("sv"));
    fake(&mut w, "big", &record(u32::MAX));
    fake(&mut w, "small", &record(0x7fff_ffff));
    let ours = status(&w, &common::ours("sv"));
    assert_eq!(
        ours,
        (
            "run: big: (pid 18446744073709551615) Ns\n\
             run: small: (pid 2147483647) Ns\n"
                .to_string(),
            String::new(),
            0
        )
    );
    if let Some(sv) = theirs {
        assert_eq!(status(&w, &sv), ours, "runit's sv (left) vs ours (right)");
    }
}
