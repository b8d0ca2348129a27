//! chpst: runs a program with a changed process state (user, environment, limits, locks, root).
//! Entered without Rust's runtime set-up (`no_main`): that set-up sets
//! SIGPIPE to ignored and opens /dev/null on closed descriptors 0-2, and chpst
//! must hand the signal dispositions and descriptors it was given to the
//! program unchanged, as runit's chpst does.
#![no_main]

use std::os::raw::{c_char, c_int};

#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    runit::cmd::chpst::main_as_inherited(std::env::args_os().collect())
}
