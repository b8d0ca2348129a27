//! setuser: runs a command as another user, with HOME, USER and UID set (phusion/baseimage's helper).
fn main() {
    std::process::exit(runit::cmd::setuser::main(std::env::args_os().collect()))
}
