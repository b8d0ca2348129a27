//! runsvchdir
fn main() {
    std::process::exit(runit::cmd::runsvchdir::main(std::env::args_os().collect()))
}
