//! vigil's engine: the pure state machines of the service manager.
//!
//! Nothing in this crate performs I/O, reads a clock, starts a process or a
//! thread. Each machine consumes events (with the current monotonic time in
//! microseconds) and returns actions for the daemon to carry out; the
//! daemon feeds the outcomes back as events. That keeps every decision
//! testable on a fake clock, and the daemon a thin executor.
//!
//! - [`service`]: one service's lifecycle as systemd 252 runs it
//!   (`systemd.service(5)`, `systemd.kill(5)`): [`service::Service`] driven by
//!   [`service::Event`]s, emitting [`service::Action`]s, configured by
//!   [`service::ServiceParams`].
//! - [`transaction`]: what a request (start, stop, isolate…) turns into —
//!   the jobs systemd would queue, with merging, ordering-cycle breaking
//!   and the job modes — over a read-only view of the unit graph
//!   ([`transaction::Graph`]), plus the runtime rules around jobs
//!   (`StopWhenUnneeded=`, `OnFailure=`, `JobTimeoutSec=`).
//! - [`timer`]: one `.timer` unit (`systemd.timer(5)`): [`timer::Timer`]
//!   driven by [`timer::TimerEvent`]s, answering [`timer::Outcome`]s.
//! - [`name_hash`]: the hasher of maps keyed by unit names, here and in
//!   the daemon (cheaper than SipHash over long instance names).
//! - [`name`]: [`name::Name`], a unit name shared by reference count (the
//!   names of the transaction's edge lists and of the daemon's edge index).

pub mod name;
pub mod name_hash;
pub mod service;
pub mod timer;
pub mod transaction;
