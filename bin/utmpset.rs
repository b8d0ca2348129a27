//! utmpset
fn main() {
    std::process::exit(runit::cmd::utmpset::main(std::env::args_os().collect()))
}
