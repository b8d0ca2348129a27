//! runit-rs: every program of the suite in one file, chosen by the name it is
//! run as (see lib/cli/multicall.rs, where programs are listed).
//! Entered without Rust's runtime start-up (`no_main`), like bin/chpst.rs and
//! bin/sv.rs: chpst must pass on SIGPIPE's disposition and descriptors 0-2
//! as inherited, and sv starts as quickly as runit's C sv. The arguments
//! come from `main`'s own argc/argv (std has none for `no_main` on musl).
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
    runit::cli::multicall::main(args)
}
