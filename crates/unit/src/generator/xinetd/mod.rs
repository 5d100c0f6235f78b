//! The xinetd generator: `/etc/xinetd.conf` and `/etc/xinetd.d/*` services
//! → socket-activated units. systemd has no such generator; this mapping is
//! vigil's own, chosen so that a service behaves as it did under xinetd.
//!
//! Reading follows xinetd: [`parse`] has the syntax, [`config`] the
//! attribute rules (defaults, `disable`, required attributes, the port from
//! `/etc/services`). `includedir` reads the directory's files in C-locale
//! order, skipping names that contain `.` or end in `~` and anything that
//! is not a regular file; `include` reads one file. Both paths are inside
//! the root. In system mode each file read must be root-owned and not
//! writable by group or others (see [`super`], "Trust"); a refused file
//! contributes nothing.
//!
//! # The mapping
//!
//! Each service that xinetd would run becomes `ID.socket` plus a service,
//! named after the service's `id` (default: its name), escaped like
//! `systemd-escape` if needed, and is hooked into
//! `sockets.target.wants/ID.socket`.
//!
//! | xinetd                         | unit                                          |
//! |--------------------------------|-----------------------------------------------|
//! | `wait = no` (stream)           | `Accept=yes`, template `ID@.service` per connection |
//! | `wait = yes`                   | `Accept=no`, `ID.service` gets the listening socket |
//! | `socket_type`/`protocol`       | `ListenStream=` (stream/tcp), `ListenDatagram=` (dgram/udp) |
//! | `port`, `bind`/`interface`     | `ListenX=ADDR:PORT`; no bind: `PORT` (IPv6 dual stack, like xinetd) or `0.0.0.0:PORT` with flag `IPv4` |
//! | `v6only`                       | `BindIPv6Only=ipv6-only`, else `both` (xinetd's default) |
//! | `instances`, `per_source`      | `MaxConnections=`, `MaxConnectionsPerSource=` (Accept=yes only; `UNLIMITED` → not written, so systemd's default of 64 applies) |
//! | `flags = NODELAY KEEPALIVE`    | `NoDelay=yes`, `KeepAlive=yes`                |
//! | `only_from`, `no_access`       | `X-Xinetd-OnlyFrom=`, `X-Xinetd-NoAccess=` in `[Socket]` (contract below) |
//! | `server`, `server_args`        | `ExecStart=SERVER ARGS…` (`%`, `$` kept literal); flag `NAMEINARGS` → `ExecStart=@SERVER ARGV0 …` |
//! | (always)                       | `StandardInput=socket` (so stdout too), `StandardError=journal` |
//! | `user`, `group`                | `User=`, `Group=`                             |
//! | `env`, `passenv`               | `Environment=`, `PassEnvironment=`            |
//! | `nice`, `umask`                | `Nice=` (clamped to −20…19), `UMask=`         |
//! | `rlimit_as/cpu/data/files/rss/stack` | `LimitAS=`, `LimitCPU=`, `LimitDATA=`, `LimitNOFILE=`, `LimitRSS=`, `LimitSTACK=` |
//!
//! Refused, with an error diagnostic and no units, because faking them
//! would change what the service is or who may reach it: `type` `INTERNAL`
//! (echo, daytime, … are xinetd built-ins we do not implement), `RPC`,
//! `TCPMUX`, `SPECIAL`; flags `SENSOR` and `IDONLY`; `redirect`;
//! `access_times`; `raw`/`seqpacket` sockets or other protocols;
//! `wait = no` on datagram sockets (systemd cannot accept datagrams);
//! `only_from`/`no_access` on `wait = yes` stream services; a `bind` host
//! name (only numeric addresses: resolving names is xinetd's start-time
//! DNS lookup, not something a generator can pin). Dropped with a notice,
//! since they only touch logging, banners or rate limits: `log_type`,
//! `log_on_success`, `log_on_failure`, banners, `cps`, `leaky_bucket`,
//! `max_load`, `deny_time`, `libwrap`, flags `INTERCEPT`, `NORETRY`,
//! `LABELED`, and `groups = no` (systemd always gives `User=` its groups).
//! `REUSE` and `NOLIBWRAP` need nothing (sockets always reuse addresses; we
//! never use libwrap).
//!
//! # Contract for `X-Xinetd-OnlyFrom=` / `X-Xinetd-NoAccess=`
//!
//! The socket-activation code enforces these; the generator only carries
//! them. Each key appears at most once in `[Socket]`; its value is the
//! final list (defaults and `+=`/`-=` applied) of xinetd address patterns,
//! separated by spaces, verbatim as `xinetd.conf(5)` defines them (numeric
//! IPv4 where trailing `.0` parts are wildcards, `a.b.{c,d}` factorized
//! forms, `addr/len` ranges, IPv6 addresses, host names, `.domain`
//! suffixes, network names). A key that is absent means no restriction; an
//! `X-Xinetd-OnlyFrom=` with an empty value means *nobody* may connect
//! (xinetd's `only_from =` with no value) — unlike systemd list settings,
//! empty does not mean "reset". When both match a peer, the more specific
//! match wins, as in xinetd. Enforcement points: with `Accept=yes`, each
//! accepted connection is checked before an instance is started and closed
//! if denied; with `Accept=no` (datagram only, see above) the source of the
//! datagram that would trigger activation is checked with `MSG_PEEK` and
//! the datagram discarded if denied — after that the server owns the
//! socket, as under xinetd. Patterns the enforcing side cannot evaluate must
//! deny, never allow.

pub mod config;
pub mod parse;
pub mod render;

use std::path::Path;

use crate::diag::Diagnostic;

use super::fsutil::{self, Lookup};
use super::{file_span, GenError, GenOptions, GenReport, Output};

pub use config::{Collector, Env, Service};
pub use parse::{parse_config, Item, ParsedConfig};
pub use render::{render, Rendered, UnitFile};

/// Deepest `include` nesting followed (xinetd has no limit and loops
/// forever on a cycle; we stop).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Look up a service port in `/etc/services` text: `name port/proto
/// aliases… # comment`.
pub fn services_port(services: &str, name: &str, protocol: &str) -> Option<u16> {
    for line in services.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(n), Some(pp)) = (w.next(), w.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        if proto != protocol {
            continue;
        }
        if n == name || w.any(|alias| alias == name) {
            if let Ok(p) = port.parse() {
                return Some(p);
            }
        }
    }
    None
}

/// [`Env`] backed by the files of a root directory.
struct RootEnv<'a> {
    root: &'a Path,
    services: String,
}

impl Env for RootEnv<'_> {
    fn service_port(&self, name: &str, protocol: &str) -> Option<u16> {
        services_port(&self.services, name, protocol)
    }
    fn server_executable(&self, path: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        if !path.starts_with('/') {
            return false;
        }
        matches!(fsutil::follow(self.root, Path::new(path)),
            Ok(Lookup::Found(_, m)) if m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
}

/// [`Env`] over in-memory text, for the pure entry point: every absolute
/// server path counts as executable.
struct TextEnv<'a> {
    services: &'a str,
}

impl Env for TextEnv<'_> {
    fn service_port(&self, name: &str, protocol: &str) -> Option<u16> {
        services_port(self.services, name, protocol)
    }
    fn server_executable(&self, path: &str) -> bool {
        path.starts_with('/')
    }
}

fn feed(items: &[Item], file: &Path, c: &mut Collector, env: &dyn Env) {
    for item in items {
        match item {
            Item::Defaults(e) => c.defaults(e, env),
            Item::Service(e) => c.service(e, env),
            Item::Include { span, .. } | Item::IncludeDir { span, .. } => {
                c.diagnostics.push(Diagnostic::warning(
                    span.clone(),
                    format!(
                        "includes are not followed when generating from text ({})",
                        file.display()
                    ),
                ));
            }
        }
    }
}

/// Pure entry point: one configuration text (no includes followed) and
/// the text of `/etc/services` → the units, in order.
pub fn units_from_text(
    path: &Path,
    text: &str,
    services: &str,
) -> (Vec<UnitFile>, Vec<Diagnostic>) {
    let env = TextEnv { services };
    let parsed = parse_config(path, text);
    let mut c = Collector::default();
    c.diagnostics.extend(parsed.diagnostics);
    feed(&parsed.items, path, &mut c, &env);
    let (services, mut diags) = c.finish(&env);
    let mut units = Vec::new();
    for svc in &services {
        let mut r = render(svc, path);
        units.append(&mut r.units);
        diags.append(&mut r.diagnostics);
    }
    (units, diags)
}

struct Reader<'a> {
    root: &'a Path,
    opts: &'a GenOptions,
    env: RootEnv<'a>,
    collector: Collector,
}

impl Reader<'_> {
    /// Read and feed one file (path inside the root). Missing files are
    /// silent only for the top-level `xinetd.conf`.
    fn file(&mut self, path: &Path, depth: usize, report: &mut GenReport) {
        let (host, meta) = match fsutil::follow(self.root, path) {
            Ok(Lookup::Found(h, m)) => (h, m),
            Ok(Lookup::Missing) if depth == 0 => return,
            Ok(_) | Err(_) => {
                report.diagnostics.push(Diagnostic::error(
                    file_span(path),
                    "Unable to open included configuration file",
                ));
                return;
            }
        };
        if !meta.is_file() {
            report
                .diagnostics
                .push(Diagnostic::error(file_span(path), "not a regular file, skipped"));
            return;
        }
        if let Some(why) = fsutil::untrusted_reason(&meta, self.opts) {
            report.diagnostics.push(Diagnostic::error(file_span(path), format!("refusing, {why}")));
            return;
        }
        let text = match std::fs::read(&host) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                report
                    .diagnostics
                    .push(Diagnostic::error(file_span(path), format!("cannot read: {e}")));
                return;
            }
        };
        let parsed = parse_config(path, &text);
        report.diagnostics.extend(parsed.diagnostics);
        for item in &parsed.items {
            match item {
                Item::Defaults(e) => self.collector.defaults(e, &self.env),
                Item::Service(e) => self.collector.service(e, &self.env),
                Item::Include { path: inc, span } | Item::IncludeDir { path: inc, span } => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        report.diagnostics.push(Diagnostic::error(
                            span.clone(),
                            "includes nested too deeply, ignored",
                        ));
                        continue;
                    }
                    let inc = Path::new(inc);
                    if !inc.is_absolute() {
                        report.diagnostics.push(Diagnostic::error(
                            span.clone(),
                            format!("{}: not an absolute path, ignored", inc.display()),
                        ));
                        continue;
                    }
                    if matches!(item, Item::Include { .. }) {
                        self.file(inc, depth + 1, report);
                    } else {
                        self.dir(inc, depth + 1, report);
                    }
                }
            }
        }
    }

    fn dir(&mut self, dir: &Path, depth: usize, report: &mut GenReport) {
        let host = fsutil::host_path(self.root, dir);
        let names = match fsutil::sorted_entries(&host) {
            Ok(n) if host.is_dir() => n,
            _ => {
                report
                    .diagnostics
                    .push(Diagnostic::error(file_span(dir), "Unable to read included directory"));
                return;
            }
        };
        for n in names {
            if n.contains('.') || n.ends_with('~') {
                continue;
            }
            self.file(&dir.join(&n), depth, report);
        }
    }
}

/// Generate socket and service units for the xinetd services under
/// `root` into `out`.
pub fn run_xinetd(root: &Path, out: &Path, opts: &GenOptions) -> Result<GenReport, GenError> {
    let mut report = GenReport::default();
    if !opts.system_mode {
        return Ok(report);
    }
    let services = std::fs::read(fsutil::host_path(root, Path::new("/etc/services")))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut reader =
        Reader { root, opts, env: RootEnv { root, services }, collector: Collector::default() };
    reader.file(Path::new("/etc/xinetd.conf"), 0, &mut report);
    let Reader { collector, env, .. } = reader;
    let (services, diags) = collector.finish(&env);
    report.diagnostics.extend(diags);

    let output = Output { dir: out };
    for svc in &services {
        // The entry's span names the file it came from.
        let r = render(svc, &svc.span.file);
        report.diagnostics.extend(r.diagnostics);
        let Some(socket) = r.units.first().map(|u| u.name.clone()) else {
            continue;
        };
        let mut written = true;
        for u in &r.units {
            if !output.write_unit(&u.name, &u.text, &mut report)? {
                report.diagnostics.push(Diagnostic::error(
                    svc.span.clone(),
                    format!("{} already exists in the output directory, not overwritten", u.name),
                ));
                written = false;
            }
        }
        if written {
            let rel = Path::new("sockets.target.wants").join(&socket);
            output.symlink(&rel, &Path::new("..").join(&socket), &mut report)?;
        }
    }
    Ok(report)
}
