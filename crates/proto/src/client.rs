//! A blocking client for the control socket, as the CLI uses it.
//!
//! One `Client` is one connection: `connect` performs the `Hello`
//! handshake, then `call` sends a request and returns its first response,
//! and `next` reads further responses of a streamed answer.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::frame::{read_msg, write_msg};
use crate::msg::{Request, Response, PROTOCOL_VERSION};
use crate::ProtoError;

pub struct Client {
    stream: UnixStream,
    /// The manager's pid, from its `Hello`.
    pub server_pid: u32,
}

impl Client {
    /// Connect to the control socket at `path` and shake hands.
    pub fn connect(path: &Path, client_name: &str) -> Result<Client, ProtoError> {
        let stream = UnixStream::connect(path)?;
        Client::handshake(stream, client_name)
    }

    /// Shake hands over an already connected stream.
    pub fn handshake(mut stream: UnixStream, client_name: &str) -> Result<Client, ProtoError> {
        write_msg(
            &mut stream,
            &Request::Hello { version: PROTOCOL_VERSION, client: client_name.to_string() },
        )?;
        match read_msg::<_, Response>(&mut stream)? {
            Response::Hello { version, pid, .. } if version == PROTOCOL_VERSION => {
                Ok(Client { stream, server_pid: pid })
            }
            Response::Hello { version, .. } => {
                Err(ProtoError::Version { ours: PROTOCOL_VERSION, theirs: version })
            }
            Response::Error { message, .. } => Err(ProtoError::Unexpected(message)),
            other => Err(ProtoError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Give up on a reply after `timeout` (none by default: jobs may take
    /// as long as their units' timeouts).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), ProtoError> {
        self.stream.set_read_timeout(timeout)?;
        Ok(())
    }

    /// Send a request and read its first response.
    pub fn call(&mut self, req: &Request) -> Result<Response, ProtoError> {
        write_msg(&mut self.stream, req)?;
        self.next_response()
    }

    /// Read the next response of a streamed answer.
    pub fn next_response(&mut self) -> Result<Response, ProtoError> {
        read_msg(&mut self.stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_and_call_over_a_socketpair() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let hello: Request = read_msg(&mut b).unwrap();
            assert!(matches!(hello, Request::Hello { version: PROTOCOL_VERSION, .. }));
            write_msg(&mut b, &Response::Hello { version: PROTOCOL_VERSION, server: "t".into(), pid: 7 })
                .unwrap();
            let req: Request = read_msg(&mut b).unwrap();
            assert_eq!(req, Request::Ping);
            write_msg(&mut b, &Response::Pong).unwrap();
        });
        let mut c = Client::handshake(a, "test").unwrap();
        assert_eq!(c.server_pid, 7);
        assert_eq!(c.call(&Request::Ping).unwrap(), Response::Pong);
        server.join().unwrap();
    }

    #[test]
    fn version_mismatch_is_reported() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let _: Request = read_msg(&mut b).unwrap();
            write_msg(&mut b, &Response::Hello { version: 999, server: "t".into(), pid: 1 }).unwrap();
        });
        assert!(matches!(
            Client::handshake(a, "test"),
            Err(ProtoError::Version { ours: PROTOCOL_VERSION, theirs: 999 })
        ));
        server.join().unwrap();
    }
}
