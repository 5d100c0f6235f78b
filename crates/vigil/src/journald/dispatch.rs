//! From a parsed message to a stored entry: attribution, `MaxLevelStore=`,
//! rate limiting, trusted fields, storage.
//!
//! [`Dispatcher::origin`] decides who a message is from (see the trust
//! rule in the `journald` module essay): the manager-vouched unit of a
//! stream, else the registry, else the sender's control group.
//! [`Dispatcher::dispatch`] then adds the trusted fields journald adds
//! (`systemd.journal-fields(7)`): `_PID`, `_UID`, `_GID`, `_COMM`, `_EXE`,
//! `_CMDLINE`, `_CAP_EFFECTIVE`, `_SYSTEMD_CGROUP`, `_SYSTEMD_UNIT`,
//! `_SYSTEMD_SLICE`, `_SYSTEMD_INVOCATION_ID`, `OBJECT_*` for a trusted
//! `OBJECT_PID=`, `_SOURCE_REALTIME_TIMESTAMP` (datagrams), `_BOOT_ID`,
//! `_MACHINE_ID`, `_HOSTNAME`, `_RUNTIME_SCOPE`, and appends it.
//!
//! "Suppressed N messages from UNIT" notes are journald's driver messages
//! (`_TRANSPORT=driver`, `SYSLOG_IDENTIFIER=systemd-journald`,
//! `MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e`, `N_DROPPED=N`) with
//! `OBJECT_SYSTEMD_UNIT=` naming the unit, so `journalctl -u UNIT` shows
//! them next to the unit's own lines.
//!
//! An entry's fields are [`Field`]s: a value is borrowed wherever it
//! already lives for the length of the append (the origin's process
//! details, the unit, the host name, the sender's own fields, constants)
//! and owned only when made for this entry (numbers, a message cut from a
//! stream). Copying every value into a vector of its own was about a
//! dozen allocations and copies per entry.

use std::borrow::Cow;
use std::rc::Rc;

use super::config::Config;
use super::forward::SyslogForward;
use super::context::{Creds, ProcCache, ProcInfo, Registry};
use super::ratelimit::{RateLimiter, Report, Verdict};
use super::storage::{now_monotonic, now_realtime, Storage};

/// `SD_MESSAGE_JOURNAL_DROPPED`.
pub const MESSAGE_ID_DROPPED: &str = "a596d6fe7bfa4994828e72309e95d61e";

/// One `NAME=value` of an entry (module docs).
pub type Field<'a> = (&'a str, Cow<'a, [u8]>);

/// `PRIORITY=` of a syslog `priority` (its level, 0–7), without making
/// a string for it.
pub fn level_value(priority: i32) -> Cow<'static, [u8]> {
    const LEVELS: [&[u8]; 8] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7"];
    Cow::Borrowed(LEVELS[(priority & 7) as usize])
}

/// Who a message is from.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub creds: Option<Creds>,
    pub info: Option<Rc<ProcInfo>>,
    pub unit: Option<String>,
    pub invocation_id: Option<String>,
}

impl Origin {
    /// The rate-limiting source: the unit, else the process.
    fn source(&self) -> Cow<'_, str> {
        match (&self.unit, &self.creds) {
            (Some(u), _) => Cow::Borrowed(u),
            (None, Some(c)) => Cow::Owned(format!("pid {}", c.pid)),
            (None, None) => Cow::Borrowed("unknown sender"),
        }
    }
}

pub struct Dispatcher {
    pub storage: Option<Storage>,
    pub limiter: RateLimiter,
    pub procs: ProcCache,
    pub registry: Registry,
    max_level_store: i32,
    hostname: Vec<u8>,
    user: bool,
    own: Origin,
    /// Entries stored (for diagnostics and tests).
    pub stored: u64,
    /// `ForwardToSyslog=`: where stored entries are also sent.
    pub forward: Option<SyslogForward>,
}

impl Dispatcher {
    pub fn new(config: &Config, storage: Option<Storage>, user: bool) -> Dispatcher {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim_end().as_bytes().to_vec())
            .unwrap_or_default();
        let pid = std::process::id() as i32;
        let mut procs = ProcCache::default();
        let own = Origin {
            creds: Some(Creds {
                pid,
                uid: nix::unistd::getuid().as_raw(),
                gid: nix::unistd::getgid().as_raw(),
            }),
            info: Some(procs.get(pid)),
            unit: None,
            invocation_id: None,
        };
        Dispatcher {
            storage,
            limiter: RateLimiter::new(config.rate_limit_interval_usec, config.rate_limit_burst),
            procs,
            registry: Registry::default(),
            max_level_store: i32::from(config.max_level_store),
            hostname,
            user,
            own,
            stored: 0,
            forward: None,
        }
    }

    /// Works out the origin of a message from `creds`, with the unit (and
    /// invocation) a trusted stream header vouched for, if any.
    pub fn origin(
        &mut self,
        creds: Option<Creds>,
        vouched: Option<(&str, Option<journal::Id128>)>,
    ) -> Origin {
        let info = creds.filter(|c| c.pid > 0).map(|c| self.procs.get(c.pid));
        let registered = || {
            let a = creds.and_then(|c| self.registry.get(c.pid))?;
            Some((&*a.unit, a.invocation_id))
        };
        let (unit, invocation_id) = if let Some((unit, id)) = vouched.or_else(registered) {
            (Some(unit.to_string()), id.map(|i| i.to_hex()))
        } else {
            (info.as_ref().and_then(|i| i.unit.clone()), None)
        };
        Origin {
            creds,
            info,
            unit,
            invocation_id,
        }
    }

    /// Stores one message with `fields` from `origin` at `priority`
    /// (facility included). `source_time` is the sender's timestamp
    /// (`SO_TIMESTAMP`), `object` the origin of a trusted `OBJECT_PID=`.
    pub fn dispatch<'a>(
        &mut self,
        fields: Vec<Field<'a>>,
        origin: &'a Origin,
        priority: i32,
        source_time: Option<u64>,
        object: Option<&'a (i32, Origin)>,
    ) {
        if priority & 7 > self.max_level_store {
            return;
        }
        if self.limiter.enabled() {
            let available = self.storage.as_mut().map_or(0, |s| s.available());
            let mut evicted = Vec::new();
            let verdict = self.limiter.test(
                &origin.source(),
                priority & 7,
                now_monotonic(),
                available,
                &mut evicted,
            );
            for r in evicted {
                self.note_suppressed(&r);
            }
            match verdict {
                Verdict::Suppress => return,
                Verdict::Pass { reported: 0 } => {}
                Verdict::Pass { reported } => {
                    let r = Report {
                        source: origin.source().into_owned(),
                        suppressed: reported,
                    };
                    self.note_suppressed(&r);
                }
            }
        }
        self.store(fields, origin, source_time, object);
    }

    fn store<'a>(
        &mut self,
        mut fields: Vec<Field<'a>>,
        origin: &'a Origin,
        source_time: Option<u64>,
        object: Option<&'a (i32, Origin)>,
    ) {
        if let Some(f) = self.forward.as_mut() {
            let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| &**v);
            if let Some(message) = field("MESSAGE") {
                let priority = field("PRIORITY").and_then(|p| std::str::from_utf8(p).ok()?.parse::<i32>().ok()).unwrap_or(6);
                let facility = field("SYSLOG_FACILITY").and_then(|p| std::str::from_utf8(p).ok()?.parse::<i32>().ok()).unwrap_or(3);
                let ident = field("SYSLOG_IDENTIFIER").or_else(|| origin.info.as_ref().and_then(|i| i.comm.as_deref()).map(str::as_bytes));
                f.send((facility << 3) | (priority & 7), ident, origin.creds.map(|c| c.pid), message);
            }
        }
        trusted(&mut fields, origin, "", self.user);
        if let Some((pid, o)) = object {
            fields.push(("OBJECT_PID", Cow::Owned(pid.to_string().into_bytes())));
            trusted(&mut fields, o, "OBJECT", self.user);
        }
        if let Some(t) = source_time {
            fields.push(("_SOURCE_REALTIME_TIMESTAMP", Cow::Owned(t.to_string().into_bytes())));
        }
        let Some(storage) = self.storage.as_mut() else {
            return;
        };
        let (boot_id, machine_id) = (storage.boot_id().hex_bytes(), storage.machine_id().hex_bytes());
        let scope: &[u8] = if self.user { b"user" } else { b"system" };
        let mut refs: Vec<(&str, &[u8])> = Vec::with_capacity(fields.len() + 4);
        refs.extend(fields.iter().map(|(n, v)| (*n, &**v)));
        refs.push(("_BOOT_ID", &boot_id));
        refs.push(("_MACHINE_ID", &machine_id));
        if !self.hostname.is_empty() {
            refs.push(("_HOSTNAME", &self.hostname));
        }
        refs.push(("_RUNTIME_SCOPE", scope));
        storage.append(now_realtime(), now_monotonic(), &refs);
        self.stored += 1;
    }

    /// Writes journald's "Suppressed N messages from SOURCE" note.
    pub fn note_suppressed(&mut self, r: &Report) {
        let message = format!("Suppressed {} messages from {}", r.suppressed, r.source);
        let mut fields: Vec<Field> = vec![
            ("SYSLOG_FACILITY", Cow::Borrowed(b"3")),
            ("SYSLOG_IDENTIFIER", Cow::Borrowed(b"systemd-journald")),
            ("_TRANSPORT", Cow::Borrowed(b"driver")),
            ("PRIORITY", Cow::Borrowed(b"6")),
            ("MESSAGE_ID", Cow::Borrowed(MESSAGE_ID_DROPPED.as_bytes())),
            ("MESSAGE", Cow::Owned(message.into_bytes())),
            ("N_DROPPED", Cow::Owned(r.suppressed.to_string().into_bytes())),
        ];
        let object = if let Some(pid) = r.source.strip_prefix("pid ") {
            fields.push(("OBJECT_PID", Cow::Borrowed(pid.as_bytes())));
            None
        } else {
            Some(r.source.clone())
        };
        if let Some(unit) = object {
            let field = if self.user {
                "OBJECT_SYSTEMD_USER_UNIT"
            } else {
                "OBJECT_SYSTEMD_UNIT"
            };
            fields.push((field, Cow::Owned(unit.into_bytes())));
        }
        let own = self.own.clone();
        self.store(fields, &own, None, None);
    }

    /// Notes for every rate-limit window that ended by now.
    pub fn expire_rate_limits(&mut self) {
        for r in self.limiter.expire(now_monotonic()) {
            self.note_suppressed(&r);
        }
    }

    /// At shutdown: report every suppressed message still counted.
    pub fn finish(&mut self) {
        for r in self.limiter.drain() {
            self.note_suppressed(&r);
        }
        if let Some(s) = self.storage.as_mut() {
            s.close();
        }
    }
}

/// Appends the trusted fields of `o`, named `_X` (or `OBJECT_X` when
/// `prefix` is "OBJECT"), borrowing its values; `user`: a user manager's
/// journal.
fn trusted<'a>(fields: &mut Vec<Field<'a>>, o: &'a Origin, prefix: &str, user: bool) {
    let object = prefix == "OBJECT";
    let name = |plain: &'static str, obj: &'static str| if object { obj } else { plain };
    let text = |v: &'a String| Cow::Borrowed(v.as_bytes());
    if let Some(c) = o.creds {
        // OBJECT_PID= itself is added by the caller.
        if !object {
            fields.push(("_PID", Cow::Owned(c.pid.to_string().into_bytes())));
        }
        fields.push((name("_UID", "OBJECT_UID"), Cow::Owned(c.uid.to_string().into_bytes())));
        fields.push((name("_GID", "OBJECT_GID"), Cow::Owned(c.gid.to_string().into_bytes())));
    }
    if let Some(i) = &o.info {
        if let Some(v) = &i.comm {
            fields.push((name("_COMM", "OBJECT_COMM"), text(v)));
        }
        if let Some(v) = &i.exe {
            fields.push((name("_EXE", "OBJECT_EXE"), text(v)));
        }
        if let Some(v) = &i.cmdline {
            fields.push((name("_CMDLINE", "OBJECT_CMDLINE"), Cow::Borrowed(v)));
        }
        if let Some(v) = &i.cap_effective {
            fields.push((name("_CAP_EFFECTIVE", "OBJECT_CAP_EFFECTIVE"), text(v)));
        }
        if let Some(v) = &i.cgroup {
            fields.push((name("_SYSTEMD_CGROUP", "OBJECT_SYSTEMD_CGROUP"), text(v)));
        }
        if let Some(v) = &i.slice {
            fields.push((name("_SYSTEMD_SLICE", "OBJECT_SYSTEMD_SLICE"), text(v)));
        }
    }
    if let Some(u) = &o.unit {
        // A unit the cgroup names is a system unit; one the (user)
        // manager vouched for is a user unit in --user mode.
        let from_cgroup = o.info.as_ref().and_then(|i| i.unit.as_ref()) == Some(u)
            && o.invocation_id.is_none();
        let user_unit = user && !from_cgroup;
        let field = match (object, user_unit) {
            (false, false) => "_SYSTEMD_UNIT",
            (false, true) => "_SYSTEMD_USER_UNIT",
            (true, false) => "OBJECT_SYSTEMD_UNIT",
            (true, true) => "OBJECT_SYSTEMD_USER_UNIT",
        };
        fields.push((field, text(u)));
    }
    if let Some(id) = &o.invocation_id {
        fields.push((
            name("_SYSTEMD_INVOCATION_ID", "OBJECT_SYSTEMD_INVOCATION_ID"),
            text(id),
        ));
    }
}
