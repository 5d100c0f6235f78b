pub mod boolean;
pub mod error;
pub mod number;
pub mod size;
pub mod time;
pub mod words;
pub use error::ValueError;
