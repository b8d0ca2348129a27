//! sv: controls and reports on services supervised by runsv.
//! `no_main`: sv is run in loops by scripts, and skipping the Rust
//! runtime's start-up (stack-guard probe through /proc/self/maps, signal
//! stacks) keeps it as quick to start as runit's C sv. The arguments come
//! from main's own argc/argv (std has none for `no_main` on musl).
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
    runit::cmd::sv::main(args)
}
