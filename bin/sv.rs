//! sv: controls and reports on services supervised by runsv.
//! `no_main`: sv is run in loops by scripts, and skipping the Rust
//! runtime's start-up (stack-guard probe through /proc/self/maps, signal
//! stacks) keeps it as quick to start as runit's C sv. The arguments come
//! from main's own argc/argv (std has none for `no_main` on musl).
#![no_main]

// C's `main`, from argc/argv: runit::c_main! (lib/sys.rs).
runit::c_main!(runit::cmd::sv::main);
