//! runsvdir: not implemented yet.
pub fn main(_args: Vec<std::ffi::OsString>) -> i32 {
    crate::msg::line(&["runsvdir: not implemented yet"]);
    111
}
