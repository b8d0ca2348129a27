//! Command-line parsing. runit's option syntax is its own small getopt
//! (spec/common.md §3); [`getopt`] reproduces it. Each program has a submodule.
pub mod getopt;
