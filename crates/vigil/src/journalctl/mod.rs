//! placeholder while the daemon builds
pub fn main(_args: Vec<String>) -> u8 { 1 }
