//! Each program's policy: what runit does. `bin/NAME.rs` calls `NAME::main`.
pub mod chpst;
pub mod my_init;
pub mod runsv;
pub mod runsvchdir;
pub mod runsvdir;
pub mod setuser;
pub mod sv;
pub mod svlogd;
pub mod utmpset;
