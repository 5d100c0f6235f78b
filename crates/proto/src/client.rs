//! A blocking client for the control socket, as the CLI uses it.
//!
//! One `Client` is one connection: `connect` prepares the `Hello`
//! handshake, then `call` sends a request and returns its first response,
//! and `next_response` reads further responses of a streamed answer.
//!
//! The handshake costs no round trip of its own: `Hello` goes out in the
//! same write as the first request, and the manager's `Hello` is read
//! (and its version checked) just before that request's answer. The
//! manager handles the frames of one read in order and answers a wrong
//! version with its `Hello` and a close, so nothing changes for it; a
//! `systemctl is-active` is then one write and one wake-up of the
//! manager instead of two. Replies are read through a buffer: a short
//! answer and its `End` come in one `read(2)`.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::frame::{encode, read_response};
use crate::msg::{Request, Response, PROTOCOL_VERSION};
use crate::ProtoError;

pub struct Client {
    stream: BufReader<UnixStream>,
    /// Frames not written yet: the `Hello` until the first request.
    unsent: Vec<u8>,
    /// The manager's pid, from its `Hello`, once that is read.
    server_pid: Option<u32>,
}

impl Client {
    /// Connect to the control socket at `path`; the handshake completes
    /// with the first request (see the module essay).
    pub fn connect(path: &Path, client_name: &str) -> Result<Client, ProtoError> {
        let stream = UnixStream::connect(path)?;
        Client::over(stream, client_name)
    }

    /// A client over an already connected stream, its `Hello` not sent yet.
    pub fn over(stream: UnixStream, client_name: &str) -> Result<Client, ProtoError> {
        let unsent = encode(&Request::Hello { version: PROTOCOL_VERSION, client: client_name.to_string() })?;
        Ok(Client { stream: BufReader::new(stream), unsent, server_pid: None })
    }

    /// Shake hands over an already connected stream, at once.
    pub fn handshake(stream: UnixStream, client_name: &str) -> Result<Client, ProtoError> {
        let mut c = Client::over(stream, client_name)?;
        c.server_pid()?;
        Ok(c)
    }

    /// The manager's pid (completing the handshake if no request did).
    pub fn server_pid(&mut self) -> Result<u32, ProtoError> {
        self.send_unsent()?;
        self.greeting()
    }

    /// Give up on a reply after `timeout` (none by default: jobs may take
    /// as long as their units' timeouts).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), ProtoError> {
        self.stream.get_ref().set_read_timeout(timeout)?;
        Ok(())
    }

    /// Send a request and read its first response.
    pub fn call(&mut self, req: &Request) -> Result<Response, ProtoError> {
        self.send(req, false)
    }

    /// Send the connection's last request, with `Bye` in the same write,
    /// and read its first response. The manager closes its end once the
    /// answer is out (see [`Request::Bye`]); the rest of a streamed answer
    /// is still read with [`Client::next_response`].
    pub fn call_last(&mut self, req: &Request) -> Result<Response, ProtoError> {
        self.send(req, true)
    }

    fn send(&mut self, req: &Request, last: bool) -> Result<Response, ProtoError> {
        let mut out = std::mem::take(&mut self.unsent);
        out.extend_from_slice(&encode(req)?);
        if last {
            out.extend_from_slice(&encode(&Request::Bye)?);
        }
        self.stream.get_mut().write_all(&out)?;
        self.greeting()?;
        self.next_response()
    }

    /// Read the next response of a streamed answer.
    pub fn next_response(&mut self) -> Result<Response, ProtoError> {
        read_response(&mut self.stream)
    }

    fn send_unsent(&mut self) -> Result<(), ProtoError> {
        if !self.unsent.is_empty() {
            let out = std::mem::take(&mut self.unsent);
            self.stream.get_mut().write_all(&out)?;
        }
        Ok(())
    }

    /// Read the manager's `Hello` if it is still due.
    fn greeting(&mut self) -> Result<u32, ProtoError> {
        if let Some(pid) = self.server_pid {
            return Ok(pid);
        }
        match read_response(&mut self.stream)? {
            Response::Hello { version, pid, .. } if version == PROTOCOL_VERSION => {
                self.server_pid = Some(pid);
                Ok(pid)
            }
            Response::Hello { version, .. } => Err(ProtoError::Version { ours: PROTOCOL_VERSION, theirs: version }),
            Response::Error { message, .. } => Err(ProtoError::Unexpected(message)),
            other => Err(ProtoError::Unexpected(format!("{other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{read_msg, write_msg};

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
        assert_eq!(c.server_pid().unwrap(), 7);
        assert_eq!(c.call(&Request::Ping).unwrap(), Response::Pong);
        server.join().unwrap();
    }

    /// The frames of one `read` of the server's end, all of them: what
    /// the client sent in one write.
    fn one_write(b: &mut UnixStream) -> Vec<Request> {
        let mut all = vec![0u8; 4096];
        let n = std::io::Read::read(b, &mut all).unwrap();
        let mut r = &all[..n];
        let mut frames = Vec::new();
        while !r.is_empty() {
            frames.push(read_msg(&mut r).unwrap());
        }
        frames
    }

    /// The lazy handshake: `Hello` and the first request leave in one
    /// write, and the answers are read in order.
    #[test]
    fn hello_travels_with_the_first_request() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            // Both frames are there before the server answers anything.
            let frames = one_write(&mut b);
            assert!(matches!(frames.as_slice(), [Request::Hello { version: PROTOCOL_VERSION, .. }, Request::Ping]));
            write_msg(&mut b, &Response::Hello { version: PROTOCOL_VERSION, server: "t".into(), pid: 9 }).unwrap();
            write_msg(&mut b, &Response::Pong).unwrap();
            write_msg(&mut b, &Response::End).unwrap();
        });
        let mut c = Client::over(a, "test").unwrap();
        assert_eq!(c.call(&Request::Ping).unwrap(), Response::Pong);
        assert_eq!(c.next_response().unwrap(), Response::End);
        assert_eq!(c.server_pid().unwrap(), 9);
        server.join().unwrap();
    }

    /// `call_last`: `Bye` leaves in the same write as the request, and
    /// the answer is read as `call` reads it.
    #[test]
    fn bye_travels_with_the_last_request() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let frames = one_write(&mut b);
            assert!(matches!(frames.as_slice(), [Request::Hello { .. }, Request::Ping, Request::Bye]));
            write_msg(&mut b, &Response::Hello { version: PROTOCOL_VERSION, server: "t".into(), pid: 3 }).unwrap();
            write_msg(&mut b, &Response::Pong).unwrap();
        });
        let mut c = Client::over(a, "test").unwrap();
        assert_eq!(c.call_last(&Request::Ping).unwrap(), Response::Pong);
        server.join().unwrap();
    }

    #[test]
    fn version_mismatch_is_reported_at_the_first_call() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let _: Request = read_msg(&mut b).unwrap();
            write_msg(&mut b, &Response::Hello { version: 999, server: "t".into(), pid: 1 }).unwrap();
        });
        let mut c = Client::over(a, "test").unwrap();
        assert!(matches!(c.call(&Request::Ping), Err(ProtoError::Version { ours: PROTOCOL_VERSION, theirs: 999 })));
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
