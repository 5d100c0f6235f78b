//! The journal daemon's one thread: an epoll loop over a signalfd, a
//! timerfd, the three listening sockets and one socket per stdout stream.
//!
//! Nothing here blocks: every socket is non-blocking, and each wake-up
//! does a bounded amount of work per descriptor (a few reads of one line's
//! worth per stream, a bounded batch of datagrams), so one flooding client
//! cannot starve the others — level-triggered epoll brings us back to
//! whatever is still readable. Stream data is never dropped: we read it as
//! fast as we store it and the socket's own buffer pushes back on the
//! writer. Datagram senders are equally served in batches; the kernel's
//! queue (we ask for 8 MiB) absorbs bursts.
//!
//! The timer serves three deadlines: `SyncIntervalSec=` after the first
//! unsynced write (files are then synced and marked OFFLINE), the end
//! of the earliest rate-limit window with suppressed messages, and the
//! idle trim: a burst (a boot's worth of messages, a flooding service)
//! leaves its batch buffers as free holes in the malloc heap, which glibc
//! keeps resident, and fills the writer's caches with values it will not
//! see again; once a whole [`IDLE_TRIM_USEC`] passed without input, the
//! writer drops all but its hottest cache entries and `malloc_trim(3)`
//! gives the pages back. Under steady input the check
//! costs one timer expiry per interval. A fourth deadline drops the
//! code pages again (`resident.rs`) once a whole [`IDLE_CODE_USEC`]
//! passed without input: what a burst ran (new streams, the manager's
//! messages of a restart) stays mapped otherwise — 0.6 MB more after
//! twenty restarts and forty queries at 1000 units (`bench/mem_activity.sh`).
//!
//! Tokens: fixed ones below `FIRST_STREAM`, then one per stream (naming
//! its slot in the streams' table, `slab.rs`), never
//! reused within a run.

use std::borrow::Cow;
use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket::{self, sockopt};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

use super::config::Config;
use super::context::{is_id128, Attribution, Creds};
use super::dispatch::{level_value, Dispatcher, Field, Origin};
use super::native::{self, ENTRY_SIZE_MAX};
use super::storage::{now_monotonic, Storage};
use super::names::{Name, Names};
use super::slab::Slab;
use super::recv::{next_datagram_size, proc_ids, read_passed_file, read_with_creds, readable_now, recv_datagram};
use super::stream::{stream_id, Line, LineBreak, Stream};
use super::{syslog, SocketPaths};

const SIGNAL: u64 = 0;
const TIMER: u64 = 1;
const STDOUT: u64 = 2;
const NATIVE: u64 = 3;
const SYSLOG: u64 = 4;
const FIRST_STREAM: u64 = 16;

/// Most concurrent stdout streams.
const STREAMS_MAX: usize = 4096;
/// Reads per stream per wake-up.
const STREAM_READS: usize = 4;
/// Datagrams per socket per wake-up.
const DATAGRAM_BATCH: usize = 64;
/// At exit, how many times a stream with bytes left is read again
/// ([`STREAM_READS`] reads each): its service is normally gone by then.
const FINAL_STREAM_ROUNDS: usize = 256;
/// At exit, how many [`DATAGRAM_BATCH`]es a datagram socket is read: a
/// queue holds `net.unix.max_dgram_qlen` messages (10 by default, 512 once
/// a systemd has booted in the network namespace: 8 batches), and 64
/// batches still end a sender that floods the socket for ever.
const FINAL_DATAGRAM_BATCHES: usize = 64;
/// Fields of a stdout line's entry before storage adds its four: six of
/// the stream's, up to twelve trusted ones (`dispatch::trusted`).
const STREAM_ENTRY_FIELDS: usize = 20;
/// The receive buffer: a stream read or a datagram (grown for a larger one).
const RECV_BUF: usize = 256 * 1024;
/// Quiet time after which free heap pages are returned (see the module docs).
const IDLE_TRIM_USEC: u64 = 500_000;
/// Quiet time after which the code pages are dropped again (module docs):
/// longer, as the next input faults back what it runs.
const IDLE_CODE_USEC: u64 = 10_000_000;

struct StreamConn {
    sock: UnixStream,
    proto: Stream,
    /// Who connected (`SO_PEERCRED`).
    peer: Creds,
    /// The unit the manager vouched for in the header.
    vouched: Option<Vouched>,
    decided: bool,
    /// `_STREAM_ID=` (none if no random id could be had: an empty value).
    stream_id: Option<journal::Id128>,
    /// The process whose bytes are buffered, and its origin. Boxed: most
    /// streams of a booted system never write, and inline it was a third
    /// of each idle connection.
    writer: Option<Box<(Creds, Origin)>>,
}

/// A unit the manager vouched for: its name lives in the server's
/// [`Names`] arena.
#[derive(Clone, Copy)]
struct Vouched {
    unit: Name,
    invocation_id: Option<journal::Id128>,
}

/// The unit and invocation `c`'s header vouched for, if any.
fn vouched<'a>(names: &'a Names, c: &StreamConn) -> Option<(&'a str, Option<journal::Id128>)> {
    c.vouched.map(|v| (names.get(v.unit), v.invocation_id))
}

pub struct Server {
    epoll: Epoll,
    sigfd: SignalFd,
    timer: TimerFd,
    timer_armed: Option<u64>,
    stdout: UnixListener,
    native: UnixDatagram,
    syslog: UnixDatagram,
    /// One slab of inline connections (see `slab.rs` for why).
    streams: Slab<StreamConn>,
    d: Dispatcher,
    manager_pid: Option<i32>,
    /// Whether accepted streams inherit the listener's `SO_PASSCRED`
    /// (known after the first accept; [`Server::passcred_inherited`]).
    passcred_inherited: Option<bool>,
    /// Serving a user manager (`--user`).
    user: bool,
    my_uid: u32,
    line_max: usize,
    sync_interval: u64,
    sync_deadline: Option<u64>,
    /// When to check whether input stopped, and whether any came since
    /// the last check (see the module docs).
    trim_deadline: Option<u64>,
    /// When the code is dropped if no input comes until then, and whether
    /// some came since that deadline was set (module docs).
    code_deadline: Option<u64>,
    code_busy: bool,
    busy: bool,
    buf: Vec<u8>,
    /// Stream identifiers, interned (see [`Server::intern`]).
    idents: HashSet<Rc<[u8]>>,
    /// The names of the units streams were vouched for.
    names: Names,
    exit: bool,
}

fn bind_datagram(path: &Path) -> Result<UnixDatagram> {
    let _ = std::fs::remove_file(path);
    let s = UnixDatagram::bind(path).with_context(|| format!("binding {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
    s.set_nonblocking(true)?;
    socket::setsockopt(&s, sockopt::PassCred, &true).context("SO_PASSCRED")?;
    socket::setsockopt(&s, sockopt::ReceiveTimestamp, &true).context("SO_TIMESTAMP")?;
    // A deep queue absorbs bursts; RCVBUFFORCE needs privilege, RCVBUF is
    // capped by the system's rmem_max.
    if socket::setsockopt(&s, sockopt::RcvBufForce, &(8 << 20)).is_err() {
        let _ = socket::setsockopt(&s, sockopt::RcvBuf, &(8 << 20));
    }
    Ok(s)
}

fn handled_signals() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGPIPE,
        Signal::SIGHUP,
    ] {
        s.add(sig);
    }
    s
}

impl Server {
    pub fn new(
        paths: &SocketPaths,
        config: Config,
        storage: Option<Storage>,
        manager_pid: Option<i32>,
        user: bool,
    ) -> Result<Server> {
        for p in [&paths.stdout, &paths.native, &paths.syslog] {
            if p.as_os_str().len() > 107 {
                anyhow::bail!(
                    "socket path {} is longer than 107 bytes; use a shorter --root",
                    p.display()
                );
            }
        }
        let _ = std::fs::remove_file(&paths.stdout);
        let stdout = UnixListener::bind(&paths.stdout)
            .with_context(|| format!("binding {}", paths.stdout.display()))?;
        std::fs::set_permissions(&paths.stdout, std::fs::Permissions::from_mode(0o666))?;
        stdout.set_nonblocking(true)?;
        socket::setsockopt(&stdout, sockopt::PassCred, &true).context("SO_PASSCRED")?;
        let native = bind_datagram(&paths.native)?;
        let syslog = bind_datagram(&paths.syslog)?;

        let mask = handled_signals();
        mask.thread_block().context("blocking signals")?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .context("signalfd")?;
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .context("timerfd")?;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).context("epoll")?;
        epoll.add(sigfd.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, SIGNAL))?;
        epoll.add(timer.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, TIMER))?;
        epoll.add(stdout.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, STDOUT))?;
        epoll.add(native.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, NATIVE))?;
        epoll.add(syslog.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, SYSLOG))?;
        Ok(Server {
            epoll,
            sigfd,
            timer,
            timer_armed: None,
            stdout,
            native,
            syslog,
            streams: Slab::new(FIRST_STREAM),
            d: Dispatcher::new(&config, storage, user),
            manager_pid,
            user,
            my_uid: nix::unistd::getuid().as_raw(),
            passcred_inherited: None,
            line_max: config.line_max,
            sync_interval: config.sync_interval_usec,
            sync_deadline: None,
            trim_deadline: None,
            code_deadline: None,
            code_busy: false,
            busy: false,
            buf: Vec::new(),
            idents: HashSet::new(),
            names: Names::default(),
            exit: false,
        })
    }

    /// Runs until SIGTERM/SIGINT. Not inlined into the journal's start-up
    /// code, nor are the handlers an idle journal does not run (accepting a
    /// stream, signals) inlined into it: the idle journal's resident code
    /// is this loop and the few functions it calls, which the release
    /// build lays out together (`scripts/link-hot`, `EventLoop::run` of
    /// the manager).
    #[inline(never)]
    pub fn run(&mut self) -> Result<()> {
        let mut events = vec![EpollEvent::empty(); 128];
        while !self.exit {
            self.arm_timer();
            let n = match self.epoll.wait(&mut events, EpollTimeout::NONE) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("epoll_wait"),
            };
            for ev in &events[..n] {
                if ev.data() > TIMER {
                    self.busy = true;
                    self.code_busy = true;
                }
                match ev.data() {
                    SIGNAL => self.on_signals(),
                    TIMER => self.on_timer(),
                    STDOUT => self.on_accept(),
                    NATIVE => {
                        self.on_datagrams(true);
                    }
                    SYSLOG => {
                        self.on_datagrams(false);
                    }
                    token => self.on_stream(token),
                }
            }
            // Everything read in this wake-up was appended as one batch:
            // write it before waiting again.
            if let Some(s) = self.d.storage.as_mut() {
                s.commit();
            }
            if self.sync_deadline.is_none() && self.d.storage.as_ref().is_some_and(|s| s.dirty) {
                self.sync_deadline = Some(now_monotonic().saturating_add(self.sync_interval));
            }
            if self.busy && self.trim_deadline.is_none() {
                self.trim_deadline = Some(now_monotonic().saturating_add(IDLE_TRIM_USEC));
            }
            if self.code_busy && self.code_deadline.is_none() {
                self.code_busy = false;
                self.code_deadline = Some(now_monotonic().saturating_add(IDLE_CODE_USEC));
            }
        }
        // What was sent before the signal is still queued in the sockets:
        // the manager sends its last lines and then SIGTERM, and a service
        // that wrote and died left its bytes and EOF unread if the signal
        // came in the same wake-up. Read it all (datagram queues hold
        // `max_dgram_qlen` messages; each stream is read until it has
        // nothing more) before the files are closed: no line is lost.
        for native in [true, false] {
            for _ in 0..FINAL_DATAGRAM_BATCHES {
                if !self.on_datagrams(native) {
                    break;
                }
            }
        }
        for token in self.streams.tokens() {
            // Bounded: a writer still alive could keep writing for ever.
            for _ in 0..FINAL_STREAM_ROUNDS {
                if !self.streams.get(token).is_some_and(|c| readable_now(&c.sock)) {
                    break;
                }
                self.on_stream(token);
            }
        }
        if let Some(s) = self.d.storage.as_mut() {
            s.commit();
        }
        // Streams still open: what they buffered is stored before we go.
        for mut c in self.streams.drain() {
            self.flush_stream(&mut c, LineBreak::Eof);
        }
        self.d.finish();
        Ok(())
    }

    /// `ForwardToSyslog=yes`: send entries to the syslog socket at `path`.
    pub fn forward_to_syslog(&mut self, path: std::path::PathBuf) {
        self.d.forward = super::forward::SyslogForward::new(path);
    }

    fn arm_timer(&mut self) {
        let next = [self.sync_deadline, self.trim_deadline, self.code_deadline, self.d.limiter.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        if next == self.timer_armed {
            return;
        }
        self.timer_armed = next;
        let r = match next {
            Some(at) => {
                let wait = at.saturating_sub(now_monotonic()).max(1);
                self.timer.set(
                    Expiration::OneShot(TimeSpec::from_duration(std::time::Duration::from_micros(
                        wait,
                    ))),
                    TimerSetTimeFlags::empty(),
                )
            }
            None => self.timer.unset(),
        };
        if let Err(e) = r {
            eprintln!("journald: timerfd: {e}");
        }
    }

    fn on_timer(&mut self) {
        let _ = self.timer.wait();
        self.timer_armed = None;
        let now = now_monotonic();
        if self.sync_deadline.is_some_and(|d| d <= now) {
            self.sync_deadline = None;
            if let Some(s) = self.d.storage.as_mut() {
                s.sync();
            }
        }
        if self.trim_deadline.is_some_and(|d| d <= now) {
            if std::mem::take(&mut self.busy) {
                self.trim_deadline = Some(now.saturating_add(IDLE_TRIM_USEC));
            } else {
                self.trim_deadline = None;
                if let Some(s) = self.d.storage.as_mut() {
                    s.release_caches();
                }
                // The pages reads touched (more after a large datagram)
                // stay resident in a kept buffer: it goes, and the next
                // input maps a new one.
                self.buf = Vec::new();
                self.idents.retain(|i| Rc::strong_count(i) > 1);
                self.idents.shrink_to_fit();
                // Every connection is in the table here (none is taken
                // out between wake-ups): each live name is renumbered.
                if self.names.worth_compacting() {
                    self.names.compact(
                        self.streams
                            .values_mut()
                            .filter_map(|c| c.vouched.as_mut().map(|v| &mut v.unit)),
                    );
                }
                trim_heap();
            }
        }
        if self.code_deadline.is_some_and(|d| d <= now) {
            if std::mem::take(&mut self.code_busy) {
                self.code_deadline = Some(now.saturating_add(IDLE_CODE_USEC));
            } else {
                self.code_deadline = None;
                crate::resident::drop_code();
            }
        }
        self.d.expire_rate_limits();
    }

    #[inline(never)] // not in the idle loop's code: `Server::run`
    fn on_signals(&mut self) {
        loop {
            match self.sigfd.read_signal() {
                Ok(Some(info)) => match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) => self.exit = true,
                    Ok(Signal::SIGUSR1) => {
                        if let Some(s) = self.d.storage.as_mut() {
                            s.sync();
                        }
                    }
                    Ok(Signal::SIGUSR2) => {
                        if let Some(s) = self.d.storage.as_mut() {
                            s.rotate();
                        }
                    }
                    _ => {}
                },
                Ok(None) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            }
        }
    }

    fn is_manager(&self, c: &Creds) -> bool {
        self.manager_pid == Some(c.pid) && (c.uid == 0 || c.uid == self.my_uid)
    }

    #[inline(never)] // not in the idle loop's code: `Server::run`
    fn on_accept(&mut self) {
        loop {
            // Non-blocking from the start (no `ioctl(FIONBIO)` after).
            let sock = match socket::accept4(
                self.stdout.as_raw_fd(),
                socket::SockFlag::SOCK_NONBLOCK | socket::SockFlag::SOCK_CLOEXEC,
            ) {
                // SAFETY: the kernel just installed this descriptor for us.
                Ok(fd) => UnixStream::from(unsafe { OwnedFd::from_raw_fd(fd) }),
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN, or EMFILE and friends: epoll tells us again.
                Err(_) => break,
            };
            let peer = match socket::getsockopt(&sock, sockopt::PeerCredentials) {
                Ok(c) => Creds {
                    pid: c.pid(),
                    uid: c.uid(),
                    gid: c.gid(),
                },
                Err(e) => {
                    eprintln!("journald: stdout stream without peer credentials: {e}");
                    continue;
                }
            };
            if self.streams.len() >= STREAMS_MAX {
                eprintln!(
                    "journald: too many stdout streams, refusing the connection of pid {}",
                    peer.pid
                );
                continue;
            }
            let _ = sock.shutdown(std::net::Shutdown::Write);
            if !self.passcred_inherited(&sock)
                && socket::setsockopt(&sock, sockopt::PassCred, &true).is_err()
            {
                continue;
            }
            let Some(token) = self.streams.next_token() else {
                continue;
            };
            if self
                .epoll
                .add(sock.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, token))
                .is_err()
            {
                continue;
            }
            self.streams.insert(StreamConn {
                sock,
                proto: Stream::new(self.line_max),
                peer,
                vouched: None,
                decided: false,
                stream_id: stream_id(),
                writer: None,
            });
        }
    }

    /// Whether an accepted stream has `SO_PASSCRED` from the listener
    /// (Linux copies it at `accept(2)`, `unix_sock_inherit_flags()`),
    /// asked of the first stream only: then no stream needs a
    /// `setsockopt(2)` of its own.
    fn passcred_inherited(&mut self, sock: &UnixStream) -> bool {
        *self
            .passcred_inherited
            .get_or_insert_with(|| socket::getsockopt(sock, sockopt::PassCred).unwrap_or(false))
    }

    fn on_stream(&mut self, token: u64) {
        let Some(mut c) = self.streams.take(token) else {
            return;
        };
        let mut open = true;
        self.ensure_buf();
        for _ in 0..STREAM_READS {
            let want = c.proto.read_limit().min(self.buf.len());
            match read_with_creds(c.sock.as_raw_fd(), &mut self.buf[..want]) {
                Ok((0, _)) => {
                    self.flush_stream(&mut c, LineBreak::Eof);
                    open = false;
                    break;
                }
                Ok((n, creds)) => {
                    let creds = creds.unwrap_or(c.peer);
                    if c.writer.as_ref().is_some_and(|w| w.0.pid != creds.pid)
                        && c.proto.pending() > 0
                    {
                        self.flush_stream(&mut c, LineBreak::PidChange);
                    }
                    if c.writer.as_ref().is_none_or(|w| w.0.pid != creds.pid) {
                        let origin = self.d.origin(Some(creds), vouched(&self.names, &c));
                        c.writer = Some(Box::new((creds, origin)));
                    }
                    let mut lines = Vec::new();
                    let buf = std::mem::take(&mut self.buf);
                    let fed = c.proto.feed(&buf[..n], &mut lines);
                    self.buf = buf;
                    if let Err(e) = fed {
                        eprintln!(
                            "journald: stdout stream of pid {}: {e}; closing it",
                            c.peer.pid
                        );
                        open = false;
                        break;
                    }
                    let header_done = !c.decided && c.proto.running();
                    if header_done {
                        self.decide(&mut c);
                    }
                    self.store_lines(&c, lines);
                    // The header's writer is the manager in almost every
                    // stream, not the service: once nothing of it is
                    // pending, forget it, so that an idle stream holds no
                    // origin (a box and two strings). Its next read works
                    // the origin out afresh, as after any change of writer;
                    // with nothing pending no line is cut differently.
                    if header_done && c.proto.pending() == 0 {
                        c.writer = None;
                    }
                    // Less than asked for: the socket is most likely
                    // empty, and the read that would say so (EAGAIN) is
                    // left out — the epoll is level-triggered, so anything
                    // that arrived meanwhile wakes us again. A new stream's
                    // header comes in one read, so this halves its reads.
                    if n < want {
                        break;
                    }
                }
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    eprintln!(
                        "journald: reading the stdout stream of pid {}: {e}",
                        c.peer.pid
                    );
                    self.flush_stream(&mut c, LineBreak::Eof);
                    open = false;
                    break;
                }
            }
        }
        if open {
            self.streams.put_back(token, c);
        } else {
            let _ = self.epoll.delete(c.sock.as_fd());
            self.streams.release(token);
            if let Some(v) = c.vouched {
                self.names.remove(v.unit);
            }
        }
    }

    /// The receive buffer, allocated again after an idle trim dropped it.
    /// `vec![0; n]` of this size is a fresh zeroed mapping (`calloc`), whose
    /// pages cost nothing until a read fills them.
    fn ensure_buf(&mut self) {
        if self.buf.is_empty() {
            self.buf = vec![0; RECV_BUF];
        }
    }

    /// The header is complete: believe its unit line only from the manager.
    fn decide(&mut self, c: &mut StreamConn) {
        c.decided = true;
        if let Some(i) = c.proto.header.identifier.take() {
            c.proto.header.identifier = Some(self.intern(i));
        }
        // Taken: the header's copy is not needed once decided.
        let Some(line) = c.proto.header.unit_line.take() else {
            return;
        };
        if !self.is_manager(&c.peer) {
            return;
        }
        let mut words = line.split_whitespace();
        let unit = words.next().unwrap_or_default();
        let invocation = words.next();
        if unit::UnitName::parse(unit).is_err() || invocation.is_some_and(|i| !is_id128(i)) {
            eprintln!("journald: the manager sent an invalid unit line {line:?}; ignoring it");
            return;
        }
        let Some(name) = self.names.add(unit) else {
            return;
        };
        c.vouched = Some(Vouched {
            unit: name,
            invocation_id: invocation.and_then(|i| journal::Id128::parse(i).ok()),
        });
        // Lines already attributed to the writer get the unit from now on.
        let unit = vouched(&self.names, c);
        if let Some(w) = c.writer.as_mut() {
            let origin = self.d.origin(Some(w.0), unit);
            w.1 = origin;
        }
    }

    /// The one copy of identifier `i` that streams share: services mostly
    /// log under their executable's name, and a thousand `sleep`s need
    /// one "sleep". Copies no stream holds any more go at the idle trim.
    fn intern(&mut self, i: Rc<[u8]>) -> Rc<[u8]> {
        match self.idents.get(&i) {
            Some(shared) => shared.clone(),
            None => {
                self.idents.insert(i.clone());
                i
            }
        }
    }

    fn flush_stream(&mut self, c: &mut StreamConn, why: LineBreak) {
        let mut lines = Vec::new();
        if let Err(e) = c.proto.flush(why, &mut lines) {
            eprintln!("journald: stdout stream of pid {}: {e}", c.peer.pid);
        }
        self.store_lines(c, lines);
    }

    fn store_lines(&mut self, c: &StreamConn, lines: Vec<Line>) {
        if lines.is_empty() {
            return;
        }
        // The writer's origin is borrowed: a clone was two strings (unit,
        // invocation id) copied per read.
        let fresh;
        let origin = match &c.writer {
            Some(w) => &w.1,
            None => {
                fresh = self.d.origin(Some(c.peer), vouched(&self.names, c));
                &fresh
            }
        };
        // No stream id (no random id could be had): an empty value.
        let stream_id = c.stream_id.map(|i| i.hex_bytes());
        let stream_id: &[u8] = stream_id.as_ref().map_or(&[], |h| &h[..]);
        for l in lines {
            // Room for the trusted fields `dispatch` adds: growing from the
            // three below was three reallocations and copies per line.
            let mut fields: Vec<Field> = Vec::with_capacity(STREAM_ENTRY_FIELDS);
            fields.extend([
                ("_TRANSPORT", Cow::Borrowed(&b"stdout"[..])),
                ("_STREAM_ID", Cow::Borrowed(stream_id)),
                ("PRIORITY", level_value(l.priority)),
            ]);
            if l.priority >> 3 != 0 {
                fields.push((
                    "SYSLOG_FACILITY",
                    Cow::Owned((l.priority >> 3).to_string().into_bytes()),
                ));
            }
            if let Some(i) = &c.proto.header.identifier {
                fields.push(("SYSLOG_IDENTIFIER", Cow::Borrowed(i)));
            }
            if let Some(b) = l.line_break.field() {
                fields.push(("_LINE_BREAK", Cow::Borrowed(b.as_bytes())));
            }
            fields.push(("MESSAGE", Cow::Owned(l.message)));
            self.d.dispatch(fields, origin, l.priority, None, None);
        }
    }

    /// Reads up to [`DATAGRAM_BATCH`] datagrams; true when the batch ended
    /// with more possibly waiting (the queue was not seen empty).
    fn on_datagrams(&mut self, native: bool) -> bool {
        let mut more = true;
        self.ensure_buf();
        for _ in 0..DATAGRAM_BATCH {
            let fd = if native {
                self.native.as_raw_fd()
            } else {
                self.syslog.as_raw_fd()
            };
            let pending = next_datagram_size(fd);
            if pending > self.buf.len() {
                self.buf.resize(pending.min(ENTRY_SIZE_MAX), 0);
            }
            let d = match recv_datagram(fd, &mut self.buf) {
                Ok(d) => d,
                Err(nix::errno::Errno::EAGAIN) => {
                    more = false;
                    break;
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    eprintln!("journald: receiving a datagram: {e}");
                    more = false;
                    break;
                }
            };
            let pid = d.creds.map_or(0, |c| c.pid);
            if d.truncated {
                eprintln!("journald: datagram from pid {pid} was too large, ignoring it");
                continue;
            }
            if native {
                let bytes = match d.fd {
                    Some(fd) if d.len == 0 => match read_passed_file(fd, d.creds) {
                        Ok(b) => b,
                        Err(why) => {
                            eprintln!("journald: file passed by pid {pid}: {why}");
                            continue;
                        }
                    },
                    _ => self.buf[..d.len].to_vec(),
                };
                self.on_native(&bytes, d.creds, d.time);
            } else {
                let msg = syslog::parse(&self.buf[..d.len]);
                let origin = self.d.origin(d.creds, None);
                let fields = msg.fields();
                self.d.dispatch(fields, &origin, msg.priority, d.time, None);
            }
        }
        // Shrink a buffer a huge datagram grew.
        if self.buf.len() > 1 << 20 {
            self.buf.truncate(RECV_BUF);
            self.buf.shrink_to_fit();
        }
        more
    }

    fn on_native(&mut self, bytes: &[u8], creds: Option<Creds>, time: Option<u64>) {
        let pid = creds.map_or(0, |c| c.pid);
        if let Some(reg) = native::registration(bytes) {
            if creds.is_some_and(|c| self.is_manager(&c)) {
                self.register(&reg);
            } else {
                eprintln!(
                    "journald: registration from pid {pid}, which is not the manager; ignoring it"
                );
            }
            return;
        }
        let (entries, problem) = native::parse(bytes);
        if let Some(p) = problem {
            eprintln!("journald: native message from pid {pid}: {}", p.0);
        }
        let origin = self.d.origin(creds, None);
        // A system manager that is not PID 1: its messages about a unit
        // must still be found by `journalctl -u` (see `manager_object_unit`).
        let from_manager = !self.user
            && creds.is_some_and(|c| c.pid != 1 && self.is_manager(&c));
        for e in entries {
            // OBJECT_PID= describes another process; only root may say so.
            let object = e
                .object_pid
                .filter(|_| creds.is_some_and(|c| c.uid == 0))
                .map(|op| {
                    (
                        op,
                        self.d.origin(
                            Some(Creds {
                                pid: op,
                                uid: 0,
                                gid: 0,
                            }),
                            None,
                        ),
                    )
                })
                .map(|(op, mut o)| {
                    // uid/gid of the object come from /proc, not from us.
                    o.creds = proc_ids(op);
                    (op, o)
                });
            let mut fields: Vec<Field> = Vec::with_capacity(e.fields.len() + 2);
            fields.extend(e.fields.iter().map(|(n, v)| (n.as_str(), Cow::Borrowed(v.as_slice()))));
            fields.push(("_TRANSPORT", Cow::Borrowed(b"journal")));
            if from_manager {
                manager_object_unit(&mut fields);
            }
            self.d.dispatch(fields, &origin, e.priority, time, object.as_ref());
        }
    }

    fn register(&mut self, reg: &[(String, String)]) {
        let get = |k: &str| reg.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(pid) = get("_VIGIL_FORGET_PID").and_then(|p| p.parse::<i32>().ok()) {
            self.d.registry.forget(pid);
        }
        if let Some(pid) = get("_VIGIL_REGISTER_PID").and_then(|p| p.parse::<i32>().ok()) {
            let Some(unit) = get("_SYSTEMD_UNIT").filter(|u| unit::UnitName::parse(u).is_ok())
            else {
                eprintln!("journald: registration of pid {pid} without a valid _SYSTEMD_UNIT; ignoring it");
                return;
            };
            let invocation_id = get("_SYSTEMD_INVOCATION_ID")
                .filter(|i| is_id128(i))
                .and_then(|i| journal::Id128::parse(i).ok());
            self.d.registry.register(
                pid,
                Attribution {
                    unit: unit.into(),
                    invocation_id,
                },
            );
        }
    }
}

/// `journalctl -u X` finds systemd's messages about X by `UNIT=X` from
/// `_PID=1`, or by `OBJECT_SYSTEMD_UNIT=X` from `_UID=0` ("messages from
/// authorized daemons about this service", journalctl 252's
/// `add_matches_for_unit`). A system manager that is not PID 1 (`--root`)
/// matches neither with its `UNIT=`, so for the manager's own messages we
/// add the trusted `OBJECT_SYSTEMD_UNIT=` naming the same unit — the
/// manager is the authority on which unit a message is about, as journald
/// is for an `OBJECT_PID=` — and the real journalctl finds them too when
/// the manager runs as root. An `OBJECT_SYSTEMD_UNIT=` the message
/// already carries is left alone.
fn manager_object_unit(fields: &mut Vec<Field>) {
    if fields.iter().any(|(n, _)| *n == "OBJECT_SYSTEMD_UNIT") {
        return;
    }
    let unit = fields
        .iter()
        .find(|(n, _)| *n == "UNIT")
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .filter(|u| unit::UnitName::parse(u).is_ok())
        .map(|u| u.as_bytes().to_vec());
    if let Some(u) = unit {
        fields.push(("OBJECT_SYSTEMD_UNIT", Cow::Owned(u)));
    }
}

/// Returns the malloc heap's free pages to the kernel (`malloc_trim(3)`).
fn trim_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only inspects and releases free heap memory.
    unsafe {
        libc::malloc_trim(0);
    }
    // After the first burst (the boot's messages) its code, once.
    crate::resident::drop_code_once();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A booted system keeps one connection per running service, idle:
    /// its size is the journal's memory per service. Interned identifier,
    /// vouched unit as an arena handle and a binary invocation id, small
    /// header state: 144 bytes (it was 200). Grow it only knowingly.
    #[test]
    fn a_connection_stays_small() {
        assert!(std::mem::size_of::<StreamConn>() <= 144, "{}", std::mem::size_of::<StreamConn>());
    }
}
