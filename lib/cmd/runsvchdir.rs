//! runsvchdir: not implemented yet.
pub fn main(_args: Vec<std::ffi::OsString>) -> i32 {
    crate::msg::line(&["runsvchdir: not implemented yet"]);
    111
}
