//! chpst: runs a program with a changed process state (user, environment, limits, locks, root).
//! Entered without Rust's runtime set-up (`no_main`): that set-up sets
//! SIGPIPE to ignored and opens /dev/null on closed descriptors 0-2, and chpst
//! must hand the signal dispositions and descriptors it was given to the
//! program unchanged, as runit's chpst does. The arguments come from main's
//! own argc/argv (std has none for `no_main` on musl).
#![no_main]
// The C entry point reads argc/argv: the one unsafe call, in lib/sys.rs.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int};

// The C start-up code calls this with its own argc/argv; the signature is C's.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
#[no_mangle]
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: argc and argv are exactly what the C start-up code passed to main.
    let args = unsafe { runit::sys::args_from_main(argc, argv) };
    runit::cmd::chpst::main_as_inherited(args)
}
