//! runsvchdir: switches the runsvdir service tree by replacing /etc/runit/runsvdir/current.
fn main() {
    std::process::exit(runit::cmd::runsvchdir::main(std::env::args_os().collect()))
}
