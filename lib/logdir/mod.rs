//! svlogd's mechanisms: the `config` parser, runit's pattern matcher, the
//! line splitter, timestamps, and a log directory's writer, rotation and
//! processor. `cmd::svlogd` holds the policy that drives them.
pub mod config;
pub mod dir;
pub mod lines;
pub mod pattern;
pub mod processor;
pub mod report;
pub mod rotate;
pub mod stamp;
pub mod writer;
