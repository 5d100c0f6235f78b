//! The manager's one thread: an epoll loop over a signalfd and the control
//! socket (and, as the manager grows, pidfds, timers and the notify
//! socket).
//!
//! Why one thread and plain epoll: the manager forks services directly
//! (forking a multi-threaded process is unsafe), and every state change is
//! then a sequential reaction to one event — no locks, no races between a
//! reaper and a spawner. Nothing in the loop may block: sockets are
//! non-blocking, replies that do not fit the socket buffer wait in a
//! per-connection queue for `EPOLLOUT`.
//!
//! Tokens: `SIGNAL` and `LISTEN` are fixed; each control connection gets
//! its own token from `FIRST_CONN` upwards, never reused within a run.

use std::collections::HashMap;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;

use anyhow::{Context, Result};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::control::{Conn, Flow};

const SIGNAL: u64 = 0;
const LISTEN: u64 = 1;
const FIRST_CONN: u64 = 16;

pub struct EventLoop {
    epoll: Epoll,
    sigfd: SignalFd,
    listener: UnixListener,
    conns: HashMap<u64, Conn>,
    next_token: u64,
    /// Set when the manager has been asked to exit, with the exit code.
    pub(super) exit: Option<u8>,
}

/// The signals the manager handles itself (`systemd(1)`, "Signals").
fn handled_signals() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [Signal::SIGCHLD, Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP, Signal::SIGPIPE] {
        s.add(sig);
    }
    s
}

impl EventLoop {
    pub fn new(listener: UnixListener) -> Result<EventLoop> {
        let mask = handled_signals();
        mask.thread_block().context("blocking signals")?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .context("creating signalfd")?;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).context("creating epoll")?;
        epoll.add(sigfd.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, SIGNAL))?;
        epoll.add(listener.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, LISTEN))?;
        Ok(EventLoop {
            epoll,
            sigfd,
            listener,
            conns: HashMap::new(),
            next_token: FIRST_CONN,
            exit: None,
        })
    }

    /// Run until asked to exit; returns the exit code.
    pub fn run(&mut self) -> Result<u8> {
        let mut events = vec![EpollEvent::empty(); 64];
        while self.exit.is_none() {
            let n = match self.epoll.wait(&mut events, EpollTimeout::NONE) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("epoll_wait"),
            };
            for ev in &events[..n] {
                match ev.data() {
                    SIGNAL => self.on_signals(),
                    LISTEN => self.on_accept(),
                    token => self.on_conn(token, ev.events()),
                }
            }
        }
        // Flush what we can of the last replies (the `exit` acknowledgement).
        for conn in self.conns.values_mut() {
            conn.flush_blocking();
        }
        Ok(self.exit.unwrap_or(0))
    }

    fn on_signals(&mut self) {
        loop {
            match self.sigfd.read_signal() {
                Ok(Some(info)) => match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGCHLD) => self.reap(),
                    Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) => {
                        // A manager that is not PID 1 exits on these like
                        // `systemd --user` does; stopping units comes first
                        // once units run under us.
                        self.exit = Some(0);
                    }
                    // SIGHUP will mean daemon-reload; SIGPIPE is only
                    // blocked so a vanished client cannot kill us.
                    _ => {}
                },
                Ok(None) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            }
        }
    }

    /// Reap every exited child: `waitid(P_ALL, WEXITED|WNOHANG)` until none
    /// is left, so no zombie survives a coalesced SIGCHLD.
    fn reap(&mut self) {
        loop {
            // SAFETY: zeroed siginfo_t is a valid out-parameter for waitid.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: waitid with a valid pointer.
            let r = unsafe {
                libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG)
            };
            // SAFETY: si_pid is valid for SIGCHLD-class siginfo from waitid.
            if r != 0 || unsafe { info.si_pid() } == 0 {
                break;
            }
        }
    }

    fn on_accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let token = self.next_token;
                    self.next_token += 1;
                    match Conn::new(stream) {
                        Ok(conn) => {
                            let ev = EpollEvent::new(EpollFlags::EPOLLIN, token);
                            if self.epoll.add(conn.stream.as_fd(), ev).is_ok() {
                                self.conns.insert(token, conn);
                            }
                        }
                        Err(_) => continue,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // EMFILE and friends: drop this round, epoll will tell us again.
                Err(_) => break,
            }
        }
    }

    fn on_conn(&mut self, token: u64, events: EpollFlags) {
        let Some(mut conn) = self.conns.remove(&token) else { return };
        let mut flow = Flow::Continue;
        if events.contains(EpollFlags::EPOLLOUT) {
            flow = conn.flush();
        }
        if flow == Flow::Continue && events.intersects(EpollFlags::EPOLLIN | EpollFlags::EPOLLHUP) {
            flow = conn.read_and_handle(self);
        }
        if flow == Flow::Continue && conn.wants_write() {
            let ev = EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLOUT, token);
            let _ = self.epoll.modify(conn.stream.as_fd(), &mut ev.clone());
        } else if flow == Flow::Continue {
            let ev = EpollEvent::new(EpollFlags::EPOLLIN, token);
            let _ = self.epoll.modify(conn.stream.as_fd(), &mut ev.clone());
        }
        match flow {
            Flow::Continue => {
                self.conns.insert(token, conn);
            }
            Flow::Close => {
                conn.flush_blocking();
                let _ = self.epoll.delete(conn.stream.as_fd());
            }
        }
    }
}
