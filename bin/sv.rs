//! sv: controls and reports on services supervised by runsv.
//! `no_main`: sv is run in loops by scripts, and skipping the Rust
//! runtime's start-up (stack-guard probe through /proc/self/maps, signal
//! stacks) keeps it as quick to start as runit's C sv. std still gets argv
//! from glibc (init_array), so `args_os` works as usual.
#![no_main]

#[no_mangle]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    runit::cmd::sv::main(std::env::args_os().collect())
}
