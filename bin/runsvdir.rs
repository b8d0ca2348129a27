//! runsvdir: starts one runsv per service directory in a directory and keeps them running.
fn main() {
    std::process::exit(runit::cmd::runsvdir::main(std::env::args_os().collect()))
}
