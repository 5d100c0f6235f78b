//! `[Socket]`-only settings (`systemd.socket(5)`); the execution,
//! resource-control and kill families are added by the layout.
//!
//! The `Listen…=` settings build one list of ports in file order (the
//! order of the file descriptors passed to the service); an empty
//! assignment of any of them drops every port before it. Socket ownership
//! and modes are security settings: without them the socket is created
//! root-owned with 0666.

use super::words::SOCKET_PROTOCOLS;
use super::{implemented, planned, Def};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const SOCKET: &[Def] = &[
    implemented("ListenStream", K::Listen).shared(G::Listen).property("Listen"),
    implemented("ListenDatagram", K::Listen).shared(G::Listen).property("Listen"),
    implemented("ListenSequentialPacket", K::Listen).shared(G::Listen).property("Listen"),
    implemented("ListenFIFO", K::Path).shared(G::Listen).property("Listen"),
    // "FAMILY [GROUP]", e.g. "kobject-uevent 1".
    implemented("ListenNetlink", K::Raw).shared(G::Listen).property("Listen"),
    implemented("ListenSpecial", K::Path).shared(G::Listen).property("Listen"),
    implemented("ListenMessageQueue", K::Path).shared(G::Listen).property("Listen"),
    planned("ListenUSBFunction", K::Path).shared(G::Listen).property("Listen"),
    implemented("SocketProtocol", K::Enum(SOCKET_PROTOCOLS)),
    // default|both|ipv6-only, or a boolean (yes = ipv6-only).
    implemented("BindIPv6Only", K::Raw),
    implemented("Backlog", K::Unsigned),
    // Ignoring it would listen on every interface instead of one.
    implemented("BindToDevice", K::String).security(),
    // Run by the manager (crates/vigil/src/daemon/manager/socket_exec.rs).
    implemented("ExecStartPre", K::Exec).list(),
    implemented("ExecStartPost", K::Exec).list(),
    implemented("ExecStopPre", K::Exec).list(),
    implemented("ExecStopPost", K::Exec).list(),
    implemented("TimeoutSec", K::Seconds).property("TimeoutUSec"),
    implemented("SocketUser", K::String).security(),
    implemented("SocketGroup", K::String).security(),
    implemented("SocketMode", K::Mode).security(),
    implemented("DirectoryMode", K::Mode).security(),
    implemented("Accept", K::Bool),
    implemented("FlushPending", K::Bool),
    implemented("Writable", K::Bool),
    implemented("MaxConnections", K::Unsigned),
    implemented("MaxConnectionsPerSource", K::Unsigned),
    implemented("KeepAlive", K::Bool),
    implemented("KeepAliveTimeSec", K::Seconds).property("KeepAliveTimeUSec"),
    implemented("KeepAliveIntervalSec", K::Seconds).property("KeepAliveIntervalUSec"),
    implemented("KeepAliveProbes", K::Unsigned),
    implemented("DeferAcceptSec", K::Seconds).property("DeferAcceptUSec"),
    implemented("NoDelay", K::Bool),
    implemented("Priority", K::Int),
    implemented("ReceiveBuffer", K::Size),
    implemented("SendBuffer", K::Size),
    // low-delay|throughput|reliability|low-cost or a number.
    implemented("IPTOS", K::Raw),
    implemented("IPTTL", K::Int),
    implemented("Mark", K::Int),
    implemented("PipeSize", K::Size),
    implemented("FreeBind", K::Bool),
    implemented("Transparent", K::Bool),
    implemented("Broadcast", K::Bool),
    implemented("PassCredentials", K::Bool),
    implemented("PassSecurity", K::Bool),
    implemented("PassPacketInfo", K::Bool),
    // off|us|usec|µs|ns|nsec, or a boolean meaning off.
    implemented("Timestamping", K::Raw),
    implemented("TCPCongestion", K::String),
    implemented("ReusePort", K::Bool),
    implemented("MessageQueueMaxMessages", K::Int),
    implemented("MessageQueueMessageSize", K::Int),
    implemented("RemoveOnStop", K::Bool),
    implemented("Symlinks", K::Paths).list(),
    implemented("FileDescriptorName", K::String),
    // The service to activate; shows up as Triggers=, not as a property.
    implemented("Service", K::Unit).no_property(),
    implemented("TriggerLimitIntervalSec", K::Seconds).property("TriggerLimitIntervalUSec"),
    implemented("TriggerLimitBurst", K::Unsigned),
    planned("SmackLabel", K::String).security(),
    planned("SmackLabelIPIn", K::String).security(),
    planned("SmackLabelIPOut", K::String).security(),
    planned("SELinuxContextFromNet", K::Bool).security().no_property(),
];
