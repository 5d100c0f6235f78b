//! What xinetd attributes mean, and which services xinetd would run.
//!
//! Rules taken from `xinetd.conf(5)` and xinetd's parser, in the order it
//! applies them:
//!
//! 1. **Per attribute line.** An unknown attribute is a warning and is
//!    ignored. Most attributes take `=` only and may be set once (a second
//!    setting is ignored with a warning); `only_from`, `no_access`,
//!    `passenv`, `env` (no `-=`), `log_on_success` and `log_on_failure` are
//!    lists that take `=` (replace), `+=` and `-=`. Attributes with a fixed
//!    number of values (`port`, `cps` …) ignore lines with another count.
//!    A value xinetd cannot parse (`wait = maybe`, `port = 70000`, an
//!    `only_from` address with a comma, a server that is not executable)
//!    *disables the service*: error diagnostic, no units.
//! 2. **`disable = yes`** ends the entry: the rest is not read.
//! 3. **Defaults.** The list attributes of the `defaults` entry are copied
//!    into a service when its entry *starts*; the others (`instances`,
//!    `per_source`, `umask`, `groups`, `bind`, `v6only`, `cps` …) fill in
//!    after everything is read. `defaults` may hold only the attributes
//!    xinetd lists for it; a bad value there stops xinetd altogether, so
//!    here it stops the whole generator run for xinetd.
//! 4. **Completion.** `socket_type` and `protocol` imply each other
//!    (stream ↔ tcp, dgram ↔ udp). Without `port`, the port comes from
//!    `/etc/services` by service name and protocol (`UNLISTED` services
//!    must give one). Unless `UNLISTED`, the name must be in
//!    `/etc/services` and a given `port` must agree with it. Required:
//!    `socket_type`, `wait`, and for external services `user` and `server`.
//! 5. **Selection.** `defaults { enabled = … }` keeps only the listed
//!    ids; `disabled = …` drops ids. Two enabled services with the same id
//!    (or the same port, protocol and address) clash: the later one is
//!    disabled.
//!
//! The result is a [`Service`] per surviving entry: typed, checked, still
//! in xinetd terms. [`super::render`] decides what becomes of each.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Diagnostic, Span};

use super::parse::{Attr, Entry, Op};

/// Where an attribute may appear and how many values it takes:
/// `Exactly(n)`, `Any` (0 or more, `=` only), `List` (0 or more, all ops).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Count {
    Exactly(usize),
    Any,
    List,
}

const SERVICE_ATTRS: &[(&str, Count)] = &[
    ("socket_type", Count::Exactly(1)),
    ("protocol", Count::Exactly(1)),
    ("wait", Count::Exactly(1)),
    ("user", Count::Exactly(1)),
    ("group", Count::Exactly(1)),
    ("server", Count::Exactly(1)),
    ("server_args", Count::Any),
    ("instances", Count::Exactly(1)),
    ("log_on_success", Count::List),
    ("log_on_failure", Count::List),
    ("log_type", Count::Any),
    ("only_from", Count::List),
    ("no_access", Count::List),
    ("access_times", Count::Any),
    ("type", Count::Any),
    ("rpc_version", Count::Exactly(1)),
    ("rpc_number", Count::Exactly(1)),
    ("id", Count::Exactly(1)),
    ("env", Count::List),
    ("port", Count::Exactly(1)),
    ("passenv", Count::List),
    ("flags", Count::Any),
    ("nice", Count::Exactly(1)),
    ("redirect", Count::Exactly(2)),
    ("banner", Count::Exactly(1)),
    ("bind", Count::Exactly(1)),
    ("interface", Count::Exactly(1)),
    ("per_source", Count::Exactly(1)),
    ("groups", Count::Exactly(1)),
    ("banner_success", Count::Exactly(1)),
    ("banner_fail", Count::Exactly(1)),
    ("cps", Count::Exactly(2)),
    ("leaky_bucket", Count::Exactly(4)),
    ("disable", Count::Exactly(1)),
    ("max_load", Count::Exactly(1)),
    ("rlimit_as", Count::Exactly(1)),
    ("rlimit_cpu", Count::Exactly(1)),
    ("rlimit_data", Count::Exactly(1)),
    ("rlimit_files", Count::Exactly(1)),
    ("rlimit_rss", Count::Exactly(1)),
    ("rlimit_stack", Count::Exactly(1)),
    ("v6only", Count::Exactly(1)),
    ("deny_time", Count::Exactly(1)),
    ("umask", Count::Exactly(1)),
    ("libwrap", Count::Exactly(1)),
];

const DEFAULT_ATTRS: &[(&str, Count)] = &[
    ("log_type", Count::List),
    ("log_on_success", Count::List),
    ("log_on_failure", Count::List),
    ("disabled", Count::List),
    ("no_access", Count::List),
    ("only_from", Count::List),
    ("instances", Count::Exactly(1)),
    ("passenv", Count::List),
    ("banner", Count::Exactly(1)),
    ("bind", Count::Exactly(1)),
    ("interface", Count::Exactly(1)),
    ("per_source", Count::Exactly(1)),
    ("groups", Count::Exactly(1)),
    ("banner_success", Count::Exactly(1)),
    ("banner_fail", Count::Exactly(1)),
    ("cps", Count::Exactly(2)),
    ("leaky_bucket", Count::Exactly(4)),
    ("enabled", Count::List),
    ("max_load", Count::Exactly(1)),
    ("v6only", Count::Exactly(1)),
    ("umask", Count::Exactly(1)),
];

/// List attributes copied from `defaults` when a service entry starts.
const INHERITED_LISTS: &[&str] =
    &["log_on_success", "log_on_failure", "only_from", "no_access", "passenv"];
/// Single attributes filled in from `defaults` at the end. (`access_times`
/// and the banners are inherited too, but disable or are ignored anyway.)
const INHERITED_SINGLES: &[&str] = &[
    "instances",
    "umask",
    "per_source",
    "groups",
    "cps",
    "bind",
    "v6only",
    "max_load",
    "log_type",
    "banner",
    "banner_success",
    "banner_fail",
    "leaky_bucket",
];

const SERVICE_TYPES: &[&str] = &["RPC", "INTERNAL", "UNLISTED", "SPECIAL", "TCPMUX", "TCPMUXPLUS"];
pub const FLAGS: &[&str] = &[
    "REUSE",
    "INTERCEPT",
    "NORETRY",
    "IDONLY",
    "NAMEINARGS",
    "NODELAY",
    "KEEPALIVE",
    "NOLIBWRAP",
    "SENSOR",
    "IPv4",
    "IPv6",
    "LABELED",
];

/// A set attribute: its values and where it was (last) set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub values: Vec<String>,
    pub span: Span,
}

/// Attributes of one entry, as xinetd stores them.
#[derive(Clone, Debug, Default)]
pub struct AttrSet {
    pub map: BTreeMap<String, Setting>,
}

impl AttrSet {
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.map.get(name)
    }
    pub fn first(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(|s| s.values.first()).map(String::as_str)
    }
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
}

/// Lookups the checks need from the root: `/etc/services` and whether a
/// server program is executable there.
pub trait Env {
    /// Port of `name` (or an alias) for `protocol` in `/etc/services`.
    fn service_port(&self, name: &str, protocol: &str) -> Option<u16>;
    fn server_executable(&self, path: &str) -> bool;
}

/// A service xinetd would run, with its attributes after defaults.
#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub id: String,
    pub span: Span,
    pub attrs: AttrSet,
    /// Attributes whose value came from `defaults` (for diagnostics).
    pub from_defaults: BTreeSet<String>,
    pub socket_type: String,
    pub protocol: String,
    pub wait: bool,
    pub port: u16,
    pub types: BTreeSet<String>,
    pub flags: BTreeSet<String>,
}

fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn unlimited_or_count(s: &str) -> bool {
    s == "UNLIMITED" || parse_int(s).is_some_and(|n| n >= 0)
}

/// Check a value the way xinetd's attribute parser does. `Err` disables
/// the service.
fn check_value(name: &str, op: Op, values: &[String], env: &dyn Env) -> Result<(), String> {
    let v0 = values.first().map(String::as_str).unwrap_or("");
    let yes_no = |what: &str| match v0 {
        "yes" | "no" => Ok(()),
        _ => Err(format!("Bad value for {what}: {v0}")),
    };
    match name {
        "socket_type" => match v0 {
            "stream" | "dgram" | "raw" | "seqpacket" => Ok(()),
            _ => Err(format!("Bad socket type: {v0}")),
        },
        "protocol" => {
            if !v0.is_empty() && v0.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                Ok(())
            } else {
                Err(format!("Protocol {v0} not in /etc/protocols"))
            }
        }
        "wait" | "disable" | "groups" | "v6only" => yes_no(name),
        "server" => {
            if env.server_executable(v0) {
                Ok(())
            } else {
                Err(format!("Server {v0} is not executable"))
            }
        }
        "server_args" | "type" | "flags" | "access_times" if values.is_empty() => {
            Err(format!("attribute {name} expects at least 1 value and none was given."))
        }
        "type" => match values.iter().find(|v| !SERVICE_TYPES.contains(&v.as_str())) {
            Some(bad) => Err(format!("Bad service type: {bad}")),
            None => Ok(()),
        },
        "flags" => match values.iter().find(|v| !FLAGS.contains(&v.as_str())) {
            Some(bad) => Err(format!("Bad service flag: {bad}")),
            None => Ok(()),
        },
        "instances" | "per_source" => {
            if unlimited_or_count(v0) {
                Ok(())
            } else {
                Err(format!("Number of {name} is invalid: {v0}"))
            }
        }
        "port" => match parse_int(v0) {
            Some(p) if (0..65536).contains(&p) => Ok(()),
            _ => Err("port number is invalid".into()),
        },
        "cps" => {
            if values.iter().all(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty()) {
                Ok(())
            } else {
                Err("cps argument not a number".into())
            }
        }
        "nice" => parse_int(v0).map(|_| ()).ok_or_else(|| format!("Error parsing: {v0}")),
        "umask" => match u32::from_str_radix(v0, 8) {
            Ok(m) if m <= 0o777 => Ok(()),
            _ => Err("umask argument is invalid.".into()),
        },
        "env" => {
            if op == Op::Remove {
                return Err("operator '-=' not supported for env attribute".into());
            }
            match values.iter().find(|v| !v.contains('=')) {
                Some(bad) => Err(format!("{bad} has no '='")),
                None => Ok(()),
            }
        }
        "only_from" | "no_access" => {
            match values.iter().find(|v| v.contains(',') && !v.contains('{')) {
                Some(bad) => Err(format!("Address: {bad} has a comma in it - remove the comma")),
                None => Ok(()),
            }
        }
        "rlimit_as" | "rlimit_cpu" | "rlimit_data" | "rlimit_files" | "rlimit_rss"
        | "rlimit_stack" => {
            let num = v0.strip_suffix(['k', 'K', 'm', 'M']).unwrap_or(v0);
            let files_or_cpu_unlimited = name != "rlimit_files" && v0 == "UNLIMITED";
            if files_or_cpu_unlimited
                || (!num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()))
            {
                Ok(())
            } else {
                Err(format!("Error parsing {name}: {v0}"))
            }
        }
        _ => Ok(()),
    }
}

/// Apply one attribute line to `set` with xinetd's operator rules.
fn apply_list(set: &mut AttrSet, a: &Attr, op: Op) {
    let entry = set
        .map
        .entry(a.name.clone())
        .or_insert_with(|| Setting { values: Vec::new(), span: a.span.clone() });
    entry.span = a.span.clone();
    match op {
        Op::Set => entry.values = a.values.clone(),
        Op::Add => {
            for v in &a.values {
                if !entry.values.contains(v) {
                    entry.values.push(v.clone());
                }
            }
        }
        Op::Remove => entry.values.retain(|v| !a.values.contains(v)),
    }
}

/// Outcome of reading the attributes of one entry.
enum Applied {
    Ok,
    /// A value failed to parse: the service (or, for defaults, xinetd) stops.
    Failed,
    /// `disable = yes`.
    Disabled,
}

fn apply_attrs(
    entry: &Entry,
    set: &mut AttrSet,
    defaults: bool,
    env: &dyn Env,
    diags: &mut Vec<Diagnostic>,
) -> Applied {
    let table = if defaults { DEFAULT_ATTRS } else { SERVICE_ATTRS };
    let mut result = Applied::Ok;
    let mut specified: BTreeSet<&str> = BTreeSet::new();
    for a in &entry.attrs {
        let Some(&(name, count)) = table.iter().find(|(n, _)| *n == a.name) else {
            let msg = if defaults {
                format!("attribute: {} should not be in default section", a.name)
            } else {
                format!("bad service attribute: {}", a.name)
            };
            diags.push(Diagnostic::warning(a.span.clone(), msg));
            continue;
        };
        // `interface` is another name for `bind`.
        let key = if name == "interface" { "bind" } else { name };
        let mut op = a.op;
        if count == Count::List {
            // In `defaults`, lists accumulate: `=` means `+=`.
            if defaults && op == Op::Set {
                op = Op::Add;
            }
        } else {
            if specified.contains(key) {
                diags.push(Diagnostic::warning(
                    a.span.clone(),
                    format!("attribute already set: {}", a.name),
                ));
                continue;
            }
            if op != Op::Set {
                diags.push(Diagnostic::warning(
                    a.span.clone(),
                    format!("operator '{}' cannot be used for attribute '{}'", op.as_str(), a.name),
                ));
                continue;
            }
        }
        if let Count::Exactly(n) = count {
            if a.values.len() != n {
                diags.push(Diagnostic::warning(
                    a.span.clone(),
                    format!(
                        "attribute {} expects {n} values and {} values were specified",
                        a.name,
                        a.values.len()
                    ),
                ));
                continue;
            }
        }
        if let Err(msg) = check_value(key, op, &a.values, env) {
            let what = if defaults { "xinetd would not start" } else { "service disabled" };
            diags.push(Diagnostic::error(
                a.span.clone(),
                format!("Error parsing attribute {}: {msg} - {what}", a.name),
            ));
            if defaults {
                return Applied::Failed;
            }
            result = Applied::Failed;
            continue;
        }
        if count == Count::List {
            apply_list(set, a, op);
        } else {
            specified.insert(key);
            set.map.insert(
                key.to_string(),
                Setting { values: a.values.clone(), span: a.span.clone() },
            );
        }
        if key == "disable" && a.values.first().map(String::as_str) == Some("yes") {
            return Applied::Disabled;
        }
    }
    result
}

/// Reads items in order and collects the services xinetd would run.
#[derive(Default)]
pub struct Collector {
    defaults: AttrSet,
    /// xinetd stops at a bad `defaults` value; so do we.
    pub fatal: bool,
    pending: Vec<(Entry, AttrSet, BTreeSet<String>)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Collector {
    pub fn defaults(&mut self, entry: &Entry, env: &dyn Env) {
        let mut set = std::mem::take(&mut self.defaults);
        if let Applied::Failed = apply_attrs(entry, &mut set, true, env, &mut self.diagnostics) {
            self.fatal = true;
        }
        self.defaults = set;
    }

    pub fn service(&mut self, entry: &Entry, env: &dyn Env) {
        let mut set = AttrSet::default();
        let mut inherited = BTreeSet::new();
        for name in INHERITED_LISTS {
            if let Some(s) = self.defaults.get(name) {
                set.map.insert((*name).to_string(), s.clone());
                inherited.insert((*name).to_string());
            }
        }
        match apply_attrs(entry, &mut set, false, env, &mut self.diagnostics) {
            Applied::Ok => {
                // Set by the service itself after all: not inherited.
                for a in &entry.attrs {
                    inherited.remove(&a.name);
                }
                self.pending.push((entry.clone(), set, inherited));
            }
            Applied::Failed | Applied::Disabled => {}
        }
    }

    /// Complete and select the services (steps 4 and 5 of the essay).
    pub fn finish(mut self, env: &dyn Env) -> (Vec<Service>, Vec<Diagnostic>) {
        let mut diags = std::mem::take(&mut self.diagnostics);
        if self.fatal {
            return (Vec::new(), diags);
        }
        let enabled: Option<Vec<String>> = self.defaults.get("enabled").map(|s| s.values.clone());
        let disabled: Vec<String> =
            self.defaults.get("disabled").map(|s| s.values.clone()).unwrap_or_default();
        let mut out: Vec<Service> = Vec::new();
        for (entry, mut set, mut from_defaults) in std::mem::take(&mut self.pending) {
            for name in INHERITED_SINGLES {
                if !set.has(name) {
                    if let Some(s) = self.defaults.get(name) {
                        set.map.insert((*name).to_string(), s.clone());
                        from_defaults.insert((*name).to_string());
                    }
                }
            }
            let Some(svc) = complete(&entry, set, from_defaults, env, &mut diags) else {
                continue;
            };
            if enabled.as_ref().is_some_and(|e| !e.contains(&svc.id)) || disabled.contains(&svc.id)
            {
                continue;
            }
            if let Some(other) = out.iter().find(|o| {
                o.id == svc.id
                    || (o.port == svc.port
                        && o.protocol == svc.protocol
                        && o.attrs.first("bind") == svc.attrs.first("bind"))
            }) {
                diags.push(Diagnostic::error(
                    svc.span.clone(),
                    format!(
                        "service: {} id: {} clashes with service: {} id: {} (same id, or same port, protocol and address) - service disabled",
                        svc.name, svc.id, other.name, other.id
                    ),
                ));
                continue;
            }
            out.push(svc);
        }
        (out, diags)
    }
}

/// Steps 4 of the essay for one service.
fn complete(
    entry: &Entry,
    attrs: AttrSet,
    from_defaults: BTreeSet<String>,
    env: &dyn Env,
    diags: &mut Vec<Diagnostic>,
) -> Option<Service> {
    let name = entry.name.clone();
    let span = entry.span.clone();
    let fail = |diags: &mut Vec<Diagnostic>, msg: String| {
        diags.push(Diagnostic::error(
            span.clone(),
            format!("service {name}: {msg} - service disabled"),
        ));
    };
    let types: BTreeSet<String> =
        attrs.get("type").map(|s| s.values.iter().cloned().collect()).unwrap_or_default();
    let flags: BTreeSet<String> =
        attrs.get("flags").map(|s| s.values.iter().cloned().collect()).unwrap_or_default();
    let internal = types.contains("INTERNAL") || flags.contains("SENSOR");
    let unlisted = types.contains("UNLISTED");
    let rpc = types.contains("RPC");
    let muxclient = types.contains("TCPMUX") || types.contains("TCPMUXPLUS");

    let mut socket_type = attrs.first("socket_type").map(str::to_string);
    let mut protocol = attrs.first("protocol").map(str::to_string);
    match (&socket_type, &protocol) {
        (Some(st), None) if st == "stream" => protocol = Some("tcp".into()),
        (Some(st), None) if st == "dgram" => protocol = Some("udp".into()),
        (None, Some(p)) if p == "tcp" => socket_type = Some("stream".into()),
        (None, Some(p)) if p == "udp" => socket_type = Some("dgram".into()),
        _ => {}
    }

    let redirect = attrs.has("redirect");
    if !internal && !redirect && !attrs.has("server") {
        fail(diags, "Must specify a server".into());
        return None;
    }
    if attrs.has("flags") && flags.contains("NAMEINARGS") && !attrs.has("server_args") {
        fail(diags, "Must specify server args if using NAMEINARGS flag".into());
        return None;
    }

    let mut port = attrs.first("port").and_then(parse_int).and_then(|p| u16::try_from(p).ok());
    if port.is_none() && !muxclient && !rpc {
        if unlisted {
            fail(diags, "an unlisted service must have a port entry".into());
            return None;
        }
        let Some(proto) = &protocol else {
            fail(diags, "Port not specified and no protocol given".into());
            return None;
        };
        match env.service_port(&name, proto) {
            Some(p) => port = Some(p),
            None => {
                fail(
                    diags,
                    format!(
                        "Port not specified and can't find service {name}/{proto} in /etc/services"
                    ),
                );
                return None;
            }
        }
    }

    let mut missing: Vec<&str> = Vec::new();
    if socket_type.is_none() {
        missing.push("socket_type");
    }
    if !attrs.has("wait") {
        missing.push("wait");
    }
    if !internal {
        if !attrs.has("user") {
            missing.push("user");
        }
        if !attrs.has("server") && !redirect {
            missing.push("server");
        }
        if unlisted && protocol.is_none() {
            missing.push("protocol");
        }
    }
    if rpc && !attrs.has("rpc_version") {
        missing.push("rpc_version");
    }
    if !missing.is_empty() {
        fail(diags, format!("missing attribute {}", missing.join(", ")));
        return None;
    }

    if !unlisted && !rpc && !muxclient {
        let Some(proto) = &protocol else {
            fail(diags, "A protocol or a socket_type must be specified".into());
            return None;
        };
        match env.service_port(&name, proto) {
            None => {
                fail(
                    diags,
                    format!("service/protocol combination not in /etc/services: {name}/{proto}"),
                );
                return None;
            }
            Some(p) if port.is_some_and(|mine| mine != p) => {
                fail(diags, format!("Service {name} expects port {p}, not {}", port.unwrap_or(0)));
                return None;
            }
            Some(_) => {}
        }
    }

    Some(Service {
        id: attrs.first("id").unwrap_or(&name).to_string(),
        name,
        span,
        from_defaults,
        socket_type: socket_type.unwrap_or_default(),
        protocol: protocol.unwrap_or_default(),
        wait: attrs.first("wait") == Some("yes"),
        port: port.unwrap_or(0),
        types,
        flags,
        attrs,
    })
}
