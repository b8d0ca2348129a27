//! runit-rs: the mechanisms shared by every program of the suite.
//! `cmd` holds each program's policy; the other modules own one mechanism each.
#![deny(unsafe_code)]
// A panic in a supervisor is a supervisor gone (panic = "abort"): nothing
// from outside the process is unwrapped. Tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
pub mod cli;
pub mod cmd;
pub mod dirents;
pub mod dnotify;
pub mod envdir;
pub mod errstr;
pub mod fifo;
pub mod limits;
pub mod lock;
pub mod logdir;
pub mod msg;
pub mod open;
pub mod poll;
pub mod proc;
pub mod ready;
pub mod sig;
pub mod spawn;
pub mod status;
pub mod svdir;
pub mod svext;
pub mod sys;
pub mod tai;
pub mod uidgid;
