//! runit-rs: every program of the suite in one file, chosen by the name it is
//! run as (see lib/cli/multicall.rs, where programs are listed).
//! Entered without Rust's runtime start-up (`no_main`), like bin/chpst.rs and
//! bin/sv.rs: chpst must pass on SIGPIPE's disposition and descriptors 0-2
//! as inherited, and sv starts as quickly as runit's C sv. The arguments
//! come from `main`'s own argc/argv (std has none for `no_main` on musl).
#![no_main]

// C's `main`, from argc/argv: runit::c_main! (lib/sys.rs).
runit::c_main!(runit::cli::multicall::main);
