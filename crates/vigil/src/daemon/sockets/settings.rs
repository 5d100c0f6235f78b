//! The `[Socket]` settings of one unit with systemd 252's defaults
//! applied, and the checks systemd makes before it accepts a socket unit
//! at all (`socket_verify()`).
//!
//! Defaults (`systemd.socket(5)`, confirmed with `systemd --test`, which
//! prints them): `Backlog=` is `INT_MAX` (systemd's "SOMAXCONN_DELUXE":
//! the kernel clamps it to `net.core.somaxconn`), `SocketMode=0666`,
//! `DirectoryMode=0755`, `BindIPv6Only=default` (the kernel's
//! `net.ipv6.bindv6only` decides), `MaxConnections=64`,
//! `MaxConnectionsPerSource=` off, `FileDescriptorName=` the unit's full
//! name *with* its `.socket` suffix, `TriggerLimitIntervalSec=2s` and
//! `TriggerLimitBurst=` 200 with `Accept=yes`, 20 otherwise.
//!
//! Ports (`Listen…=`) are kept in file order: that is the order of the
//! descriptors handed to the service (`sd_listen_fds(3)`).
//!
//! A unit that fails [`SocketSettings::from_config`] is refused the way
//! systemd refuses it at load time ("Unit has no Listen setting … Refusing.").
//!
//! Main types: [`SocketSettings`], [`PortSpec`].

use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::value::listen::{parse_netlink, ListenAddress, NETLINK_FAMILIES};
use unit::value::{Size, Usec, Value};

/// `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketType {
    Stream,
    Datagram,
    SeqPacket,
}

impl SocketType {
    pub fn raw(self) -> i32 {
        match self {
            SocketType::Stream => libc::SOCK_STREAM,
            SocketType::Datagram => libc::SOCK_DGRAM,
            SocketType::SeqPacket => libc::SOCK_SEQPACKET,
        }
    }
}

/// One `Listen…=` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    Socket { ty: SocketType, addr: ListenAddress },
    Netlink { family: u32, group: u32 },
    Fifo(String),
    Special(String),
    MessageQueue(String),
    UsbFunction(String),
}

impl PortSpec {
    /// The directive that declared it.
    pub fn directive(&self) -> &'static str {
        match self {
            PortSpec::Socket { ty: SocketType::Stream, .. } => "ListenStream",
            PortSpec::Socket { ty: SocketType::Datagram, .. } => "ListenDatagram",
            PortSpec::Socket { ty: SocketType::SeqPacket, .. } => "ListenSequentialPacket",
            PortSpec::Netlink { .. } => "ListenNetlink",
            PortSpec::Fifo(_) => "ListenFIFO",
            PortSpec::Special(_) => "ListenSpecial",
            PortSpec::MessageQueue(_) => "ListenMessageQueue",
            PortSpec::UsbFunction(_) => "ListenUSBFunction",
        }
    }

    /// The type word of the `Listen` property (`systemctl show`,
    /// `list-sockets --show-types`).
    pub fn type_word(&self) -> &'static str {
        match self {
            PortSpec::Socket { ty: SocketType::Stream, .. } => "Stream",
            PortSpec::Socket { ty: SocketType::Datagram, .. } => "Datagram",
            PortSpec::Socket { ty: SocketType::SeqPacket, .. } => "SequentialPacket",
            PortSpec::Netlink { .. } => "Netlink",
            PortSpec::Fifo(_) => "FIFO",
            PortSpec::Special(_) => "Special",
            PortSpec::MessageQueue(_) => "MessageQueue",
            PortSpec::UsbFunction(_) => "USBFunction",
        }
    }

    /// The address as systemd prints it (`socket_address_print()`):
    /// `[::]:80` for a bare port, `@name` for abstract sockets.
    pub fn address(&self) -> String {
        match self {
            PortSpec::Socket { addr, .. } => print_address(addr),
            PortSpec::Netlink { family, group } => {
                let name = NETLINK_FAMILIES.iter().find(|(_, n)| n == family).map(|(s, _)| s.to_string());
                format!("{} {group}", name.unwrap_or_else(|| family.to_string()))
            }
            PortSpec::Fifo(p) | PortSpec::Special(p) | PortSpec::MessageQueue(p) | PortSpec::UsbFunction(p) => p.clone(),
        }
    }

    /// `socket_address_can_accept()`: connection-oriented sockets only.
    pub fn can_accept(&self) -> bool {
        matches!(self, PortSpec::Socket { ty: SocketType::Stream | SocketType::SeqPacket, .. })
    }

    /// The file-system node this port creates, if any (for `Symlinks=`,
    /// `SocketUser=` and `RemoveOnStop=`).
    pub fn node(&self) -> Option<&str> {
        match self {
            PortSpec::Socket { addr: ListenAddress::Path(p), .. } | PortSpec::Fifo(p) => Some(p),
            _ => None,
        }
    }
}

pub fn print_address(addr: &ListenAddress) -> String {
    match addr {
        ListenAddress::Port(p) => format!("[::]:{p}"),
        ListenAddress::Inet { addr, port } => format!("{addr}:{port}"),
        ListenAddress::Inet6 { addr, port, interface } => match interface {
            Some(i) => format!("[{}]:{port}%{i}", super::sys::ipv6_text(addr)),
            None => format!("[{}]:{port}", super::sys::ipv6_text(addr)),
        },
        ListenAddress::Path(p) => p.clone(),
        ListenAddress::Abstract(n) => format!("@{n}"),
        ListenAddress::Vsock { cid, port } => format!("vsock:{}:{port}", cid.unwrap_or(u32::MAX)),
        ListenAddress::Netlink { family, group } => format!("{family} {group}"),
    }
}

/// `BindIPv6Only=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindIpv6Only {
    /// Leave `IPV6_V6ONLY` as the kernel's `net.ipv6.bindv6only` sets it.
    Default,
    Both,
    Ipv6Only,
}

impl BindIpv6Only {
    pub fn as_str(self) -> &'static str {
        match self {
            BindIpv6Only::Default => "default",
            BindIpv6Only::Both => "both",
            BindIpv6Only::Ipv6Only => "ipv6-only",
        }
    }
}

/// `Timestamping=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timestamping {
    Off,
    Us,
    Ns,
}

/// Everything the socket runtime acts on.
#[derive(Clone, Debug)]
pub struct SocketSettings {
    pub ports: Vec<PortSpec>,
    pub accept: bool,
    pub backlog: i32,
    pub bind_ipv6_only: BindIpv6Only,
    pub bind_to_device: Option<String>,
    pub socket_mode: u32,
    pub directory_mode: u32,
    pub socket_user: Option<String>,
    pub socket_group: Option<String>,
    pub free_bind: bool,
    pub transparent: bool,
    pub broadcast: bool,
    pub pass_credentials: bool,
    pub pass_security: bool,
    pub pass_packet_info: bool,
    pub keep_alive: bool,
    pub keep_alive_time_sec: Option<u64>,
    pub keep_alive_interval_sec: Option<u64>,
    pub keep_alive_probes: Option<u64>,
    pub defer_accept_sec: Option<u64>,
    pub no_delay: bool,
    pub reuse_port: bool,
    pub priority: Option<i64>,
    pub mark: Option<i64>,
    pub ip_tos: Option<i32>,
    pub ip_ttl: Option<i64>,
    pub receive_buffer: Option<u64>,
    pub send_buffer: Option<u64>,
    pub pipe_size: Option<u64>,
    pub tcp_congestion: Option<String>,
    /// `SocketProtocol=`: `IPPROTO_UDPLITE` or `IPPROTO_SCTP`.
    pub socket_protocol: Option<i32>,
    pub timestamping: Timestamping,
    pub mq_max_messages: Option<i64>,
    pub mq_message_size: Option<i64>,
    pub remove_on_stop: bool,
    pub writable: bool,
    pub flush_pending: bool,
    pub symlinks: Vec<String>,
    pub fd_name: String,
    pub max_connections: u64,
    pub max_connections_per_source: u64,
    /// The service started on traffic (`Accept=no`): `Service=` or the
    /// same-name `.service`.
    pub service: Option<String>,
    pub trigger_limit_interval: Usec,
    pub trigger_limit_burst: u64,
    /// `ExecStartPre=`… are set: start and stop run them (manager/socket_exec.rs).
    pub has_exec: bool,
    /// `TimeoutSec=`: how long each of them may run (0 or infinity: no limit).
    pub timeout: Usec,
}

/// `IPTOS=` words (`ip_tos_from_string()`).
fn ip_tos(s: &str) -> Option<i32> {
    match s {
        "low-delay" => Some(libc::IPTOS_LOWDELAY as i32),
        "throughput" => Some(libc::IPTOS_THROUGHPUT as i32),
        "reliability" => Some(libc::IPTOS_RELIABILITY as i32),
        "low-cost" => Some(libc::IPTOS_MINCOST as i32),
        n => n.parse::<u8>().ok().map(i32::from),
    }
}

fn secs(v: Option<&Value>) -> Option<u64> {
    match v {
        Some(Value::Timespan(u)) if u.0 > 0 => Some(u.0 / 1_000_000),
        _ => None,
    }
}

fn size(v: Option<&Value>) -> Option<u64> {
    match v {
        Some(Value::Size(Size::Bytes(b))) if *b > 0 => Some(*b),
        _ => None,
    }
}

fn unsigned(v: Option<&Value>) -> Option<u64> {
    match v {
        Some(Value::Unsigned(n)) => Some(*n),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}

impl SocketSettings {
    /// Read a loaded `.socket` unit; `Err` carries systemd's refusal.
    /// `warn` receives settings that are ignored with a message.
    pub fn from_config(cfg: &UnitConfig, warn: &mut Vec<String>) -> Result<SocketSettings, String> {
        let s = |name: &str| cfg.string(S::Socket, name).map(str::to_string);
        let b = |name: &str| cfg.bool_or(S::Socket, name, false);
        let v = |name: &str| cfg.value(S::Socket, name);

        let mut ports = Vec::new();
        let listen = cfg.settings.in_order(|d| d.section == S::Socket && d.name.starts_with("Listen"));
        for (d, a) in listen {
            let port = match (d.name, &a.value) {
                ("ListenStream", Value::Listen(addr)) => PortSpec::Socket { ty: SocketType::Stream, addr: (**addr).clone() },
                ("ListenDatagram", Value::Listen(addr)) => PortSpec::Socket { ty: SocketType::Datagram, addr: (**addr).clone() },
                ("ListenSequentialPacket", Value::Listen(addr)) => {
                    PortSpec::Socket { ty: SocketType::SeqPacket, addr: (**addr).clone() }
                }
                ("ListenNetlink", Value::String(text)) => match parse_netlink(text) {
                    Ok(ListenAddress::Netlink { family, group }) => PortSpec::Netlink { family, group },
                    _ => {
                        warn.push(format!("{}: Failed to parse ListenNetlink= value, ignoring: {text}", a.span));
                        continue;
                    }
                },
                ("ListenFIFO", Value::String(p)) => PortSpec::Fifo(p.clone()),
                ("ListenSpecial", Value::String(p)) => PortSpec::Special(p.clone()),
                ("ListenMessageQueue", Value::String(p)) => PortSpec::MessageQueue(p.clone()),
                ("ListenUSBFunction", Value::String(p)) => PortSpec::UsbFunction(p.clone()),
                _ => continue,
            };
            // A netlink address given to a socket directive is a parse
            // ambiguity of the shared parser (`ListenStream=route 1`):
            // systemd refuses it for those directives.
            if let PortSpec::Socket { addr: ListenAddress::Netlink { .. }, .. } = &port {
                warn.push(format!("{}: Failed to parse {}= value, ignoring", a.span, d.name));
                continue;
            }
            // load-fragment.c: sequential packets exist only for AF_UNIX.
            if let PortSpec::Socket { ty: SocketType::SeqPacket, addr } = &port {
                if !matches!(addr, ListenAddress::Path(_) | ListenAddress::Abstract(_)) {
                    warn.push(format!("{}: Address family not supported, ignoring: {}", a.span, print_address(addr)));
                    continue;
                }
            }
            ports.push(port);
        }

        let accept = b("Accept");
        let bind_ipv6_only = match s("BindIPv6Only").as_deref() {
            None | Some("default") => BindIpv6Only::Default,
            Some("both") => BindIpv6Only::Both,
            Some("ipv6-only") => BindIpv6Only::Ipv6Only,
            Some(other) => match unit::value::boolean::parse_boolean(other) {
                Ok(true) => BindIpv6Only::Ipv6Only,
                Ok(false) => BindIpv6Only::Both,
                Err(_) => {
                    warn.push(format!("Failed to parse BindIPv6Only= value, ignoring: {other}"));
                    BindIpv6Only::Default
                }
            },
        };
        let timestamping = match s("Timestamping").as_deref() {
            None | Some("off") => Timestamping::Off,
            Some("us" | "usec" | "µs") => Timestamping::Us,
            Some("ns" | "nsec") => Timestamping::Ns,
            Some(other) => match unit::value::boolean::parse_boolean(other) {
                Ok(true) => Timestamping::Us,
                Ok(false) => Timestamping::Off,
                Err(_) => {
                    warn.push(format!("Failed to parse Timestamping= value, ignoring: {other}"));
                    Timestamping::Off
                }
            },
        };
        let ip_tos = match s("IPTOS") {
            None => None,
            Some(t) => match ip_tos(&t) {
                Some(n) => Some(n),
                None => {
                    warn.push(format!("Failed to parse IPTOS= value, ignoring: {t}"));
                    None
                }
            },
        };
        let socket_protocol = match s("SocketProtocol").as_deref() {
            Some("udplite") => Some(libc::IPPROTO_UDPLITE),
            Some("sctp") => Some(libc::IPPROTO_SCTP),
            _ => None,
        };
        let symlinks: Vec<String> = cfg
            .settings
            .get(S::Socket, "Symlinks")
            .iter()
            .flat_map(|a| match &a.value {
                Value::Paths(p) => p.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
        let service = if accept {
            None
        } else {
            unit::config::deps::triggered_unit(cfg)
        };
        let has_exec = ["ExecStartPre", "ExecStartPost", "ExecStopPre", "ExecStopPost"]
            .iter()
            .any(|d| !cfg.settings.get(S::Socket, d).is_empty());
        let settings = SocketSettings {
            accept,
            backlog: unsigned(v("Backlog")).map(|n| i32::try_from(n).unwrap_or(i32::MAX)).unwrap_or(i32::MAX),
            bind_ipv6_only,
            bind_to_device: s("BindToDevice").filter(|d| !d.is_empty()),
            socket_mode: match v("SocketMode") {
                Some(Value::Mode(m)) => *m,
                _ => 0o666,
            },
            directory_mode: match v("DirectoryMode") {
                Some(Value::Mode(m)) => *m,
                _ => 0o755,
            },
            socket_user: s("SocketUser").filter(|u| !u.is_empty()),
            socket_group: s("SocketGroup").filter(|g| !g.is_empty()),
            free_bind: b("FreeBind"),
            transparent: b("Transparent"),
            broadcast: b("Broadcast"),
            pass_credentials: b("PassCredentials"),
            pass_security: b("PassSecurity"),
            pass_packet_info: b("PassPacketInfo"),
            keep_alive: b("KeepAlive"),
            keep_alive_time_sec: secs(v("KeepAliveTimeSec")),
            keep_alive_interval_sec: secs(v("KeepAliveIntervalSec")),
            keep_alive_probes: unsigned(v("KeepAliveProbes")).filter(|n| *n > 0),
            defer_accept_sec: secs(v("DeferAcceptSec")),
            no_delay: b("NoDelay"),
            reuse_port: b("ReusePort"),
            priority: int(v("Priority")).filter(|n| *n >= 0),
            mark: int(v("Mark")).filter(|n| *n >= 0),
            ip_tos,
            ip_ttl: int(v("IPTTL")).filter(|n| *n >= 0),
            receive_buffer: size(v("ReceiveBuffer")),
            send_buffer: size(v("SendBuffer")),
            pipe_size: size(v("PipeSize")),
            tcp_congestion: s("TCPCongestion").filter(|t| !t.is_empty()),
            socket_protocol,
            timestamping,
            mq_max_messages: int(v("MessageQueueMaxMessages")).filter(|n| *n > 0),
            mq_message_size: int(v("MessageQueueMessageSize")).filter(|n| *n > 0),
            remove_on_stop: b("RemoveOnStop"),
            writable: b("Writable"),
            flush_pending: b("FlushPending"),
            symlinks,
            fd_name: s("FileDescriptorName").filter(|n| !n.is_empty()).unwrap_or_else(|| cfg.id.to_string()),
            max_connections: unsigned(v("MaxConnections")).unwrap_or(64),
            max_connections_per_source: unsigned(v("MaxConnectionsPerSource")).unwrap_or(0),
            service,
            trigger_limit_interval: match v("TriggerLimitIntervalSec") {
                Some(Value::Timespan(u)) => *u,
                _ => Usec(2_000_000),
            },
            trigger_limit_burst: unsigned(v("TriggerLimitBurst")).unwrap_or(if accept { 200 } else { 20 }),
            has_exec,
            // systemd's DefaultTimeoutStartSec=.
            timeout: match v("TimeoutSec") {
                Some(Value::Timespan(u)) => *u,
                _ => Usec(90_000_000),
            },
            ports,
        };
        settings.verify(cfg)?;
        Ok(settings)
    }

    /// `socket_verify()`: the refusals, in systemd's order and words.
    fn verify(&self, cfg: &UnitConfig) -> Result<(), String> {
        if self.ports.is_empty() {
            return Err("Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.".into());
        }
        if self.accept && self.ports.iter().any(|p| !p.can_accept()) {
            return Err("Unit configured for accepting sockets, but sockets are non-accepting. Refusing.".into());
        }
        if self.accept && self.max_connections == 0 {
            return Err("MaxConnection= setting too small. Refusing.".into());
        }
        if self.accept && cfg.string(S::Socket, "Service").is_some() {
            return Err("Explicit service configuration for accepting socket units not supported. Refusing.".into());
        }
        if cfg.string(S::Socket, "PAMName").is_some_and(|p| !p.is_empty())
            && cfg.string(S::Socket, "KillMode").is_some_and(|k| k != "control-group")
        {
            return Err("Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing.".into());
        }
        if !self.symlinks.is_empty() && self.symlink_target().is_none() {
            return Err("Unit has symlinks set but none or more than one node in the file system. Refusing.".into());
        }
        Ok(())
    }

    /// `socket_find_symlink_target()`: the one file-system node of the
    /// unit, if there is exactly one.
    pub fn symlink_target(&self) -> Option<&str> {
        let mut nodes = self.ports.iter().filter_map(PortSpec::node);
        let first = nodes.next()?;
        nodes.next().is_none().then_some(first)
    }

    /// The `[Socket]` part of `systemd --test`'s unit dump for the
    /// settings vigil implements, in systemd's order and format (for the
    /// differential test against the real binary).
    #[cfg(test)]
    pub fn dump(&self) -> Vec<String> {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let mut out = vec![
            format!("BindIPv6Only: {}", self.bind_ipv6_only.as_str()),
            format!("Backlog: {}", self.backlog),
            format!("SocketMode: {:04o}", self.socket_mode),
            format!("DirectoryMode: {:04o}", self.directory_mode),
            format!("KeepAlive: {}", yn(self.keep_alive)),
            format!("NoDelay: {}", yn(self.no_delay)),
            format!("FreeBind: {}", yn(self.free_bind)),
            format!("Transparent: {}", yn(self.transparent)),
            format!("Broadcast: {}", yn(self.broadcast)),
            format!("PassCredentials: {}", yn(self.pass_credentials)),
            format!("RemoveOnStop: {}", yn(self.remove_on_stop)),
            format!("Writable: {}", yn(self.writable)),
            format!("FileDescriptorName: {}", self.fd_name),
        ];
        if self.accept {
            out.push(format!("MaxConnections: {}", self.max_connections));
            out.push(format!("MaxConnectionsPerSource: {}", self.max_connections_per_source));
        } else {
            out.push(format!("FlushPending: {}", yn(self.flush_pending)));
        }
        if let Some(n) = self.receive_buffer {
            out.push(format!("ReceiveBuffer: {n}"));
        }
        if let Some(n) = self.send_buffer {
            out.push(format!("SendBuffer: {n}"));
        }
        if self.reuse_port {
            out.push("ReusePort: yes".into());
        }
        if self.socket_user.is_some() || self.socket_group.is_some() {
            out.push(format!("SocketUser: {}", self.socket_user.as_deref().unwrap_or("n/a")));
            out.push(format!("SocketGroup: {}", self.socket_group.as_deref().unwrap_or("n/a")));
        }
        for p in &self.ports {
            out.push(format!("{}: {}", p.directive(), p.address()));
        }
        out.push(format!(
            "TriggerLimitIntervalSec: {}",
            unit::value::time::format_timespan(self.trigger_limit_interval.0, 1_000_000)
        ));
        out.push(format!("TriggerLimitBurst: {}", self.trigger_limit_burst));
        if !self.symlinks.is_empty() {
            out.push(format!("Symlinks: {}", self.symlinks.join(" ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Load `units` (name, text) from a fresh directory; returns the
    /// directory (for the oracle) and the loader.
    fn load(tag: &str, units: &[(&str, &str)]) -> (std::path::PathBuf, unit::config::Loader) {
        let dir = std::env::temp_dir().join(format!("vigil-sockset-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let etc = dir.join("etc/systemd/system");
        std::fs::create_dir_all(&etc).unwrap();
        for (n, t) in units {
            std::fs::write(etc.join(n), t).unwrap();
        }
        let lookup = unit::LookupPaths::system(&dir);
        let host = unit::specifier::Host::detect(&dir, unit::Scope::System, 0, 0);
        (dir, unit::config::Loader::new(lookup, host))
    }

    fn settings(tag: &str, text: &str) -> Result<SocketSettings, String> {
        let (dir, loader) = load(tag, &[("t.socket", text), ("t.service", "[Service]\nExecStart=/bin/true\n")]);
        let cfg = loader.load(&unit::UnitName::parse("t.socket").unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        SocketSettings::from_config(&cfg, &mut Vec::new())
    }

    /// The `[Socket]` lines of `systemd --test`'s dump of `unit` in `dir`.
    fn oracle_dump(dir: &std::path::Path, unit: &str) -> Vec<String> {
        use std::os::unix::fs::PermissionsExt;
        // The oracle runs as nobody: everything must be readable.
        for d in [dir.to_path_buf(), dir.join("etc"), dir.join("etc/systemd"), dir.join("etc/systemd/system")] {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/lib/systemd/systemd", "--test", "--system", "--no-pager"])
            .arg(format!("--unit={unit}"))
            .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.join("etc/systemd/system").display()))
            .output()
            .expect("the systemd oracle (/lib/systemd/systemd and setpriv) must be installed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let start = format!("-> Unit {unit}:");
        let body: Vec<String> = text
            .lines()
            .skip_while(|l| !l.contains(&start))
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with("-> Unit "))
            .map(|l| l.trim().to_string())
            .collect();
        assert!(!body.is_empty(), "no dump of {unit} from systemd --test:\n{text}");
        body
    }

    /// Differential: every line we produce appears in systemd 252's dump,
    /// in the same order.
    #[test]
    fn settings_match_systemd_dump() {
        let cases = [
            "[Socket]\nListenStream=8080\nListenStream=/run/t.sock\nListenDatagram=@abs\nListenFIFO=/run/t.fifo\n",
            "[Socket]\nListenStream=127.0.0.1:99\nAccept=yes\nMaxConnectionsPerSource=3\nBacklog=12\nSocketMode=0600\nDirectoryMode=0700\n",
            "[Socket]\nListenStream=[::1]:7\nListenSequentialPacket=@seq\nBindIPv6Only=ipv6-only\nKeepAlive=yes\nNoDelay=yes\nFreeBind=true\nReusePort=yes\n",
            "[Socket]\nListenStream=/run/x/t.sock\nFileDescriptorName=web\nRemoveOnStop=yes\nSymlinks=/run/t-link\nReceiveBuffer=1M\nSocketUser=nobody\n",
            "[Socket]\nListenDatagram=0.0.0.0:53\nBindIPv6Only=no\nTriggerLimitIntervalSec=5s\nTriggerLimitBurst=3\nFlushPending=yes\nPassCredentials=yes\n",
            "[Socket]\nListenNetlink=kobject-uevent 1\nListenSpecial=/proc/kmsg\n",
        ];
        for (i, text) in cases.iter().enumerate() {
            let tag = format!("oracle{i}");
            let (dir, loader) = load(&tag, &[("t.socket", text), ("t@.service", "[Service]\nExecStart=/bin/true\n"), ("t.service", "[Service]\nExecStart=/bin/true\n")]);
            let cfg = loader.load(&unit::UnitName::parse("t.socket").unwrap());
            let ours = SocketSettings::from_config(&cfg, &mut Vec::new()).unwrap_or_else(|e| panic!("{text}: {e}")).dump();
            let theirs = oracle_dump(&dir, "t.socket");
            let _ = std::fs::remove_dir_all(&dir);
            let mut at = 0;
            for line in &ours {
                match theirs[at..].iter().position(|t| t == line) {
                    Some(p) => at += p + 1,
                    None => panic!("case {i}: {line:?} not in systemd's dump (in order):\n{}", theirs.join("\n")),
                }
            }
        }
    }

    #[test]
    fn refusals() {
        assert!(settings("r0", "[Socket]\nAccept=yes\n").unwrap_err().starts_with("Unit has no Listen setting"));
        assert!(settings("r1", "[Socket]\nListenDatagram=9\nAccept=yes\n").unwrap_err().contains("sockets are non-accepting"));
        assert!(settings("r2", "[Socket]\nListenStream=9\nAccept=yes\nMaxConnections=0\n").unwrap_err().contains("MaxConnection="));
        assert!(settings("r3", "[Socket]\nListenStream=/run/a.sock\nListenFIFO=/run/a\nSymlinks=/run/b\n").unwrap_err().contains("symlinks"));
        let ok = settings("r4", "[Socket]\nListenStream=9\nService=other.service\n").unwrap();
        assert_eq!(ok.service.as_deref(), Some("other.service"));
        assert!(settings("r6", "[Socket]\nListenSequentialPacket=[::1]:7\n").unwrap_err().starts_with("Unit has no Listen"), "seqpacket is unix-only");
        let acc = settings("r5", "[Socket]\nListenStream=9\nAccept=yes\n").unwrap();
        assert_eq!((acc.service, acc.trigger_limit_burst, acc.max_connections), (None, 200, 64));
    }
}
