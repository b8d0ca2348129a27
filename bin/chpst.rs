//! chpst: runs a program with a changed process state (user, environment, limits, locks, root).
//! Entered without Rust's runtime set-up (`no_main`): that set-up sets
//! SIGPIPE to ignored and opens /dev/null on closed descriptors 0-2, and chpst
//! must hand the signal dispositions and descriptors it was given to the
//! program unchanged, as runit's chpst does. The arguments come from main's
//! own argc/argv (std has none for `no_main` on musl).
#![no_main]

// C's `main`, from argc/argv: runit::c_main! (lib/sys.rs).
runit::c_main!(runit::cmd::chpst::main_as_inherited);
