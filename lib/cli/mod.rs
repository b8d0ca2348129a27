//! Command-line parsing. runit's option syntax is its own small getopt
//! (doc/runit/common.md §3: options only before the first operand, any word
//! starting with `--` ends them, clustered flags, arguments glued or next);
//! [`getopt`] reproduces it exactly, which is simpler and more faithful than
//! bending a general-purpose parser (clap is therefore not a dependency).
//! Programs whose syntax is not getopt's (runsv, runsvdir) parse by hand.
//! [`argparse`] reproduces Python argparse for the programs whose reference is
//! a Python script (my_init).
pub mod argparse;
pub mod getopt;
pub mod multicall;

/// The last component of a path (`argv[0]`): the bytes after the last `/`,
/// empty when it ends with one.
pub fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}
