//! svlogd's mechanisms: the `config` parser, runit's pattern matcher, the
//! line splitter, timestamps, and a log directory (`dir`: opening, closing
//! and rotation, the policy) over its parts: the open directory (`handle`),
//! `current` and its pending bytes (`current`), the old files (`old`) and
//! the processor (`processor`). `cmd::svlogd` holds the program's policy.
pub mod config;
pub mod current;
pub mod dir;
pub mod handle;
pub mod lines;
pub mod old;
pub mod pattern;
pub mod processor;
pub mod report;
pub mod stamp;
