//! my_init: phusion/baseimage's container init.
fn main() {
    std::process::exit(runit::cmd::my_init::main(std::env::args_os().collect()))
}
