//! svlogd: reads log lines on stdin and writes them to rotated log directories.
fn main() {
    std::process::exit(runit::cmd::svlogd::main(std::env::args_os().collect()))
}
