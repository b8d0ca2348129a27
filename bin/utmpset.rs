//! utmpset: marks a utmp line as logged out and writes the matching wtmp record.
fn main() {
    std::process::exit(runit::cmd::utmpset::main(std::env::args_os().collect()))
}
