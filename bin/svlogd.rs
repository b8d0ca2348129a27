//! svlogd
fn main() {
    std::process::exit(runit::cmd::svlogd::main(std::env::args_os().collect()))
}
