//! chpst: not implemented yet.
pub fn main(_args: Vec<std::ffi::OsString>) -> i32 {
    crate::msg::line(&["chpst: not implemented yet"]);
    111
}
