//! The integration tests: one binary, compiled once (`cargo test --test it`).
//!
//! Every test starts real processes in a fresh directory (see `common`);
//! README.md says how they share the machine and the references.
//! One test file is one module below; the helper modules are shared, compiled
//! once, and need no `allow(dead_code)`.
//!
//! Run one file's tests with `cargo test --test it FILE::` (for example
//! `cargo test --test it sv_wait::`), one test with its full name.
//!
//! ## Adding a test file
//! 1. Put it here as `tests/it/NAME.rs` (`git mv tests/NAME.rs tests/it/`).
//! 2. In it, replace each `mod common;` (or `mod svlogd_support;`, ...) by
//!    `use crate::common;` (`use crate::svlogd_support;`): the rest of the
//!    file (`use common::{...}`, `common::wait_for(...)`) compiles unchanged.
//!    A path under `tests/` built from `CARGO_MANIFEST_DIR` gains `it/`.
//! 3. Add `mod NAME;` to the list of test files below (alphabetical).
//! 4. If it boots a whole tree in a PID namespace or its result depends on a
//!    time window, take the serial lock (`let _serial = common::serial();`)
//!    and add it to the table in README.md.
//! 5. A reference it compares with comes from `reference` (`runit`,
//!    `phusion`, `same`; `common::theirs_or_skip` is `reference::runit`), so
//!    that `RUNIT_RS_REQUIRE_REFERENCE=1` turns a missing one into a failure.
//!    `chpst_support::Pair::new` returns a `Pair` whose `theirs` is an
//!    `Option`: `let Some(p) = Pair::new(..) else { return; };` becomes
//!    `let p = Pair::new(..);` (and `&p.theirs`, where used directly, comes
//!    from `let Some(theirs) = &p.theirs else { return; };` after ours is
//!    checked). An `eprintln!("SKIPPED ...")` for a missing prerequisite
//!    becomes `reference::unavailable(test, why)`.
//!
//! A new helper directory `tests/X_support/mod.rs` moves to `tests/it/X_support/`,
//! gets a `mod X_support;` in the helper list and loses its `allow(dead_code)`.

// Helpers shared by the test files.
mod chpst_support;
mod common;
mod golden;
mod my_init_support;
mod reference;
mod runsvdir_util;
mod sv_common;
mod svlogd_support;

// The test files, one module each.
mod audit_runsv;
mod audit_sv;
mod chpst_chdir;
mod chpst_envdir;
mod chpst_options;
mod chpst_personality;
mod chpst_privdrop;
mod deb;
mod ext_runsv;
mod fuzz_regressions;
mod install;
mod man_pages;
mod msg_bytes;
mod multicall;
mod my_init_cli;
mod my_init_env;
mod my_init_extras;
mod my_init_runit;
mod my_init_shutdown;
mod my_init_startup;
mod phusion_tree;
mod reliab_copies;
mod reliab_faults;
mod reliab_kill;
mod reliab_pids;
mod rootfs;
mod runsv_diff;
mod runsv_errors;
mod runsv_sv_commands;
mod runsvchdir;
mod runsvdir_demo;
mod runsvdir_diff;
mod runsvdir_interop;
mod runsvdir_pid1;
mod setuser;
mod sv_diff;
mod sv_errors;
mod sv_wait;
mod sv_wait_failing;
mod svlogd_diff;
mod svlogd_diskfull;
mod svlogd_extras;
mod svlogd_faults;
mod svlogd_kill;
mod svlogd_noloss;
mod svlogd_signals;
mod utmpset;
