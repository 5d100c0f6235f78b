//! `[Socket]`-only settings (`systemd.socket(5)`); the execution,
//! resource-control and kill families are added by the layout.
//!
//! The `Listen…=` settings build one list of ports in file order (the
//! order of the file descriptors passed to the service); an empty
//! assignment of any of them drops every port before it. Socket ownership
//! and modes are security settings: without them the socket is created
//! root-owned with 0666.

use super::words::SOCKET_PROTOCOLS;
use super::{planned, Def};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const SOCKET: &[Def] = &[
    planned("ListenStream", K::Listen).shared(G::Listen).property("Listen"),
    planned("ListenDatagram", K::Listen).shared(G::Listen).property("Listen"),
    planned("ListenSequentialPacket", K::Listen).shared(G::Listen).property("Listen"),
    planned("ListenFIFO", K::Path).shared(G::Listen).property("Listen"),
    // "FAMILY [GROUP]", e.g. "kobject-uevent 1".
    planned("ListenNetlink", K::Raw).shared(G::Listen).property("Listen"),
    planned("ListenSpecial", K::Path).shared(G::Listen).property("Listen"),
    planned("ListenMessageQueue", K::Path).shared(G::Listen).property("Listen"),
    planned("ListenUSBFunction", K::Path).shared(G::Listen).property("Listen"),
    planned("SocketProtocol", K::Enum(SOCKET_PROTOCOLS)),
    // default|both|ipv6-only, or a boolean (yes = ipv6-only).
    planned("BindIPv6Only", K::Raw),
    planned("Backlog", K::Unsigned),
    // Ignoring it would listen on every interface instead of one.
    planned("BindToDevice", K::String).security(),
    planned("ExecStartPre", K::Exec).list(),
    planned("ExecStartPost", K::Exec).list(),
    planned("ExecStopPre", K::Exec).list(),
    planned("ExecStopPost", K::Exec).list(),
    planned("TimeoutSec", K::Seconds).property("TimeoutUSec"),
    planned("SocketUser", K::String).security(),
    planned("SocketGroup", K::String).security(),
    planned("SocketMode", K::Mode).security(),
    planned("DirectoryMode", K::Mode).security(),
    planned("Accept", K::Bool),
    planned("FlushPending", K::Bool),
    planned("Writable", K::Bool),
    planned("MaxConnections", K::Unsigned),
    planned("MaxConnectionsPerSource", K::Unsigned),
    planned("KeepAlive", K::Bool),
    planned("KeepAliveTimeSec", K::Seconds).property("KeepAliveTimeUSec"),
    planned("KeepAliveIntervalSec", K::Seconds).property("KeepAliveIntervalUSec"),
    planned("KeepAliveProbes", K::Unsigned),
    planned("DeferAcceptSec", K::Seconds).property("DeferAcceptUSec"),
    planned("NoDelay", K::Bool),
    planned("Priority", K::Int),
    planned("ReceiveBuffer", K::Size),
    planned("SendBuffer", K::Size),
    // low-delay|throughput|reliability|low-cost or a number.
    planned("IPTOS", K::Raw),
    planned("IPTTL", K::Int),
    planned("Mark", K::Int),
    planned("PipeSize", K::Size),
    planned("FreeBind", K::Bool),
    planned("Transparent", K::Bool),
    planned("Broadcast", K::Bool),
    planned("PassCredentials", K::Bool),
    planned("PassSecurity", K::Bool),
    planned("PassPacketInfo", K::Bool),
    // off|us|usec|µs|ns|nsec, or a boolean meaning off.
    planned("Timestamping", K::Raw),
    planned("TCPCongestion", K::String),
    planned("ReusePort", K::Bool),
    planned("MessageQueueMaxMessages", K::Int),
    planned("MessageQueueMessageSize", K::Int),
    planned("RemoveOnStop", K::Bool),
    planned("Symlinks", K::Paths).list(),
    planned("FileDescriptorName", K::String),
    // The service to activate; shows up as Triggers=, not as a property.
    planned("Service", K::Unit).no_property(),
    planned("TriggerLimitIntervalSec", K::Seconds).property("TriggerLimitIntervalUSec"),
    planned("TriggerLimitBurst", K::Unsigned),
    planned("SmackLabel", K::String).security(),
    planned("SmackLabelIPIn", K::String).security(),
    planned("SmackLabelIPOut", K::String).security(),
    planned("SELinuxContextFromNet", K::Bool).security().no_property(),
];
