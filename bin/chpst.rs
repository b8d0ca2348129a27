//! chpst
fn main() {
    std::process::exit(runit::cmd::chpst::main(std::env::args_os().collect()))
}
