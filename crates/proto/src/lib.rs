//! vigil's control protocol: what `systemctl` says to the manager and what
//! it hears back.
//!
//! - [`msg`]: the versioned [`Request`] and [`Response`] messages.
//! - [`frame`]: length-prefixed framing with a hard size limit, a blocking
//!   reader/writer for clients and an incremental [`frame::Decoder`] for the
//!   manager's non-blocking event loop.
//! - [`client`]: a blocking [`client::Client`] that connects, shakes hands
//!   and runs requests.
//!
//! The wire format is deliberately boring: every frame is a 4-byte
//! little-endian length followed by one JSON document. JSON keeps the
//! protocol debuggable (`socat` shows it) and fuzzable, and costs far less
//! than the fork of a `systemctl` process it serves. The first exchange on
//! every connection is `Hello`: a client speaking another major
//! [`PROTOCOL_VERSION`] is told so and disconnected, so old binaries fail
//! with a clear message instead of misreading fields.
//!
//! Who may do what is *not* decided here: the manager authorises each
//! request from the peer's `SO_PEERCRED`.

pub mod client;
pub mod frame;
pub mod msg;

pub use msg::{ErrorKind, Request, Response, PROTOCOL_VERSION};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProtoError {
    #[error("I/O error on the control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("connection closed by peer")]
    Closed,
    #[error("protocol version mismatch: we speak {ours}, peer speaks {theirs}")]
    Version { ours: u32, theirs: u32 },
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}
