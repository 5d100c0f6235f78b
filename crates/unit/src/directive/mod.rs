//! The directive table: every key systemd 252 knows, with its section, value
//! kind and whether vigil acts on it.

pub mod kind;

pub use kind::{Kind, LimitUnit};
