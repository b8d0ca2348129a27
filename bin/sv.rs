//! sv
fn main() {
    std::process::exit(runit::cmd::sv::main(std::env::args_os().collect()))
}
