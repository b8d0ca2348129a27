//! runsvdir
fn main() {
    std::process::exit(runit::cmd::runsvdir::main(std::env::args_os().collect()))
}
