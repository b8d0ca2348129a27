//! `sv json NAME...`: one JSON object per line and service, with the facts of
//! runit's status line, for programs. runit answers every command word that
//! starts with `j` with its usage message, so no command line that runit
//! accepts changes meaning. (A `--json` option would not do: runit's getopt
//! takes any word starting with `--` as `--`, so `sv --json status x` is a
//! valid runit command.) Exit codes are those of `status`, in both modes.
//!
//! `{"service":"s1","state":"run","pid":123,"seconds":41,"normally":"up",
//!   "paused":false,"want":"up","got_term":false,"log":null}`
//!
//! A service whose status cannot be read gives `{"service":..,"error":..}`
//! with the text runit would print after `<name>: `; `log` is null without a
//! log service, an object of the same shape otherwise.

use super::service::{Got, Mode, Sv};
use super::show::Shown;
use nix::errno::Errno;

/// The JSON line for the current service (the cwd is its directory).
pub fn status(sv: &mut Sv) {
    let svc = sv.svc.clone();
    let (mut line, main) = object(sv, &svc);
    let mut last = main;
    if main.is_ok() {
        line.pop(); // the closing brace: the log part goes inside
        line.extend_from_slice(b",\"log\":");
        match nix::unistd::chdir("log") {
            Err(Errno::ENOENT) => line.extend_from_slice(b"null"),
            Err(e) => {
                sv.rc += 1;
                let mut err = b"unable to change directory: ".to_vec();
                err.extend_from_slice(crate::errstr::of(e).as_bytes());
                line.extend_from_slice(&error_object(&log_name(&svc), &err));
            }
            Ok(()) => {
                sv.who = log_name(&svc);
                let (log, shown) = object(sv, &log_name(&svc));
                line.extend_from_slice(&log);
                if shown.is_ok() {
                    last = shown;
                }
                sv.who = svc.clone();
            }
        }
        line.push(b'}');
    }
    line.push(b'\n');
    sv.out.put(&line);
    if sv.mode == Mode::Lsb {
        match last {
            Ok(shown) => sv.exit(shown.lsb_code()),
            Err(Got::Error) => sv.exit(4),
            Err(_) => {}
        }
    }
}

/// The line for a service whose directory could not be entered.
pub fn failed(sv: &mut Sv, name: &[u8], text: &[u8]) {
    let mut line = error_object(name, text);
    line.push(b'\n');
    sv.out.put(&line);
}

/// The object for the service in the cwd and what, as a text line, it would
/// have shown; or why there is no record.
fn object(sv: &mut Sv, name: &[u8]) -> (Vec<u8>, Result<Shown, Got>) {
    sv.capture = Some(Vec::new());
    let got = sv.get_status();
    let captured = sv.capture.take().unwrap_or_default();
    if got != Got::Record {
        return (error_object(name, &captured), Err(got));
    }
    let normally = match super::show::normally_up() {
        Ok(false) => "\"down\"",
        Ok(true) => "\"up\"",
        Err(e) => {
            sv.stderr_warning("unable to stat ", "down", e);
            "null"
        }
    };
    let st = sv.record();
    let state = match st.state() {
        None => "null".to_string(),
        s => format!("\"{}\"", super::show::state_word(s)),
    };
    let mut o = b"{\"service\":".to_vec();
    string(&mut o, name);
    let text = format!(
        ",\"state\":{state},\"pid\":{},\"seconds\":{},\"normally\":{normally},\"paused\":{},\"want\":{},\"got_term\":{}}}",
        st.pid,
        sv.now.saturating_sub(st.secs()),
        st.paused,
        if st.wants_up() { "\"up\"" } else { "\"down\"" },
        st.got_term,
    );
    o.extend_from_slice(text.as_bytes());
    let shown = if normally == "null" {
        Shown::Unknown
    } else if st.pid != 0 {
        Shown::Up
    } else {
        Shown::Down
    };
    (o, Ok(shown))
}

fn error_object(name: &[u8], err: &[u8]) -> Vec<u8> {
    let mut o = b"{\"service\":".to_vec();
    string(&mut o, name);
    o.extend_from_slice(b",\"error\":");
    string(&mut o, err);
    o.push(b'}');
    o
}

fn log_name(svc: &[u8]) -> Vec<u8> {
    let mut v = svc.to_vec();
    v.extend_from_slice(b"/log");
    v
}

/// A JSON string; bytes that are not UTF-8 become U+FFFD.
fn string(o: &mut Vec<u8>, s: &[u8]) {
    o.push(b'"');
    for c in String::from_utf8_lossy(s).chars() {
        match c {
            '"' => o.extend_from_slice(b"\\\""),
            '\\' => o.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                o.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                o.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    o.push(b'"');
}
