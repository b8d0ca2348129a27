//! runsv: supervises one service directory and its log service.
fn main() {
    std::process::exit(runit::cmd::runsv::main(std::env::args_os().collect()))
}
