//! Dependencies: what a unit file says, what its type implies, and the
//! default dependencies of `DefaultDependencies=yes`.
//!
//! Every edge carries its [`Origin`], as `systemd --test` prints it
//! (`origin-file`, `origin-implicit`, `origin-default`,
//! `origin-slice-property`), because the rules differ in what they may
//! override and because the oracle tests compare them one by one.
//!
//! Per unit ([`unit_deps`]), from `systemd.unit(5)` "Implicit
//! Dependencies"/"Default Dependencies" and the per-type man pages:
//!
//! - the `[Unit]` dependency directives and `.wants/`/`.requires/` links
//!   (file);
//! - services, sockets, mounts, swaps and scopes live in a slice:
//!   `Slice=` or the default (`system.slice`; for instances of templates
//!   `system-PREFIX.slice` in the system manager, `app.slice`/`app-PREFIX.slice`
//!   for users), with `Requires=` + `After=` on it (file, as systemd labels
//!   them) and `InSlice` (slice-property); a slice requires and orders
//!   after its parent (`a-b.slice` → `a.slice` → `-.slice`, implicit);
//! - system services whose output or error goes to the journal, syslog or
//!   kmsg (the default) order after `systemd-journald.socket` (file);
//!   `PrivateTmp=yes` wants and orders after `tmp.mount` and
//!   `systemd-tmpfiles-setup.service` (file);
//! - a socket triggers and orders before its service (`Service=` or the
//!   same name; none for `Accept=yes`), a timer or path unit its `Unit=` or
//!   same-name service (implicit); `Sockets=` of a service wants and orders
//!   after those sockets (file);
//! - default dependencies (system manager; the user manager leaves out
//!   `sysinit.target`):
//!   - service: `Requires=` + `After=sysinit.target`, `After=basic.target`,
//!     `Conflicts=` + `Before=shutdown.target`;
//!   - socket: the same minus `basic.target`, plus `Before=sockets.target`;
//!   - timer: like socket with `timers.target`, plus `After=time-set.target
//!     time-sync.target` when it has an `OnCalendar=`;
//!   - path: like socket with `paths.target`;
//!   - target and slice: `Conflicts=` + `Before=shutdown.target`.
//!
//! One rule needs the other unit ([`target_default_after`]): a target with
//! default dependencies orders after every unit it requires or wants that
//! itself has default dependencies, unless the target is ordered before
//! it.

use std::borrow::Cow;

use crate::config::UnitConfig;
use crate::directive::SectionKind as S;
use crate::name::{escape, UnitName, UnitType};
use crate::paths::Scope;
use crate::value::{StdOutput, Value};

/// Forward dependency kinds (`systemd.unit(5)`, "[Unit] Section Options").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    Requires,
    Requisite,
    Wants,
    BindsTo,
    PartOf,
    Upholds,
    Conflicts,
    Before,
    After,
    OnSuccess,
    OnFailure,
    Triggers,
    PropagatesReloadTo,
    ReloadPropagatedFrom,
    PropagatesStopTo,
    StopPropagatedFrom,
    JoinsNamespaceOf,
    InSlice,
    /// The inverse of `Triggers`, declared from the triggered side
    /// (a service's `Sockets=`).
    TriggeredBy,
}

impl DepKind {
    /// The `[Unit]` directive that declares this kind in a unit file.
    pub fn directive(self) -> Option<&'static str> {
        Some(match self {
            DepKind::Requires => "Requires",
            DepKind::Requisite => "Requisite",
            DepKind::Wants => "Wants",
            DepKind::BindsTo => "BindsTo",
            DepKind::PartOf => "PartOf",
            DepKind::Upholds => "Upholds",
            DepKind::Conflicts => "Conflicts",
            DepKind::Before => "Before",
            DepKind::After => "After",
            DepKind::OnSuccess => "OnSuccess",
            DepKind::OnFailure => "OnFailure",
            DepKind::PropagatesReloadTo => "PropagatesReloadTo",
            DepKind::ReloadPropagatedFrom => "ReloadPropagatedFrom",
            DepKind::PropagatesStopTo => "PropagatesStopTo",
            DepKind::StopPropagatedFrom => "StopPropagatedFrom",
            DepKind::JoinsNamespaceOf => "JoinsNamespaceOf",
            DepKind::Triggers | DepKind::InSlice | DepKind::TriggeredBy => return None,
        })
    }

    /// The name `systemd --test` and `systemctl show` use for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Triggers => "Triggers",
            DepKind::TriggeredBy => "TriggeredBy",
            DepKind::InSlice => "InSlice",
            other => other.directive().unwrap_or(""),
        }
    }

    /// The name of the inverse edge as seen from the other unit.
    pub fn inverse(self) -> &'static str {
        match self {
            DepKind::Requires => "RequiredBy",
            DepKind::Requisite => "RequisiteOf",
            DepKind::Wants => "WantedBy",
            DepKind::BindsTo => "BoundBy",
            DepKind::PartOf => "ConsistsOf",
            DepKind::Upholds => "UpheldBy",
            DepKind::Conflicts => "ConflictedBy",
            DepKind::Before => "After",
            DepKind::After => "Before",
            DepKind::OnSuccess => "OnSuccessOf",
            DepKind::OnFailure => "OnFailureOf",
            DepKind::Triggers => "TriggeredBy",
            DepKind::PropagatesReloadTo => "ReloadPropagatedFrom",
            DepKind::ReloadPropagatedFrom => "PropagatesReloadTo",
            DepKind::PropagatesStopTo => "StopPropagatedFrom",
            DepKind::StopPropagatedFrom => "PropagatesStopTo",
            DepKind::JoinsNamespaceOf => "JoinsNamespaceOf",
            DepKind::InSlice => "SliceOf",
            DepKind::TriggeredBy => "Triggers",
        }
    }

    const FILE_KINDS: [DepKind; 16] = [
        DepKind::Requires,
        DepKind::Requisite,
        DepKind::Wants,
        DepKind::BindsTo,
        DepKind::PartOf,
        DepKind::Upholds,
        DepKind::Conflicts,
        DepKind::Before,
        DepKind::After,
        DepKind::OnSuccess,
        DepKind::OnFailure,
        DepKind::PropagatesReloadTo,
        DepKind::ReloadPropagatedFrom,
        DepKind::PropagatesStopTo,
        DepKind::StopPropagatedFrom,
        DepKind::JoinsNamespaceOf,
    ];
}

/// Why an edge exists (`systemd --test`'s `origin-…` words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    File,
    Implicit,
    Default,
    SliceProperty,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Implicit => "implicit",
            Origin::Default => "default",
            Origin::SliceProperty => "slice-property",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dep {
    pub kind: DepKind,
    pub other: String,
    pub origin: Origin,
}

/// A [`Dep`] whose other unit's name is borrowed from the unit's settings
/// (or is one of the fixed names of the implicit and default
/// dependencies): what [`unit_deps_ref`] lists without a heap block per
/// edge. Ordered as [`Dep`] is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepRef<'a> {
    pub kind: DepKind,
    pub other: Cow<'a, str>,
    pub origin: Origin,
}

impl DepRef<'_> {
    pub fn to_dep(&self) -> Dep {
        Dep { kind: self.kind, other: self.other.to_string(), origin: self.origin }
    }
}

/// How many edges a [`DepList`] holds before it moves to the heap: a
/// service with default dependencies has about ten.
const INLINE_DEPS: usize = 24;

/// The edges of one unit, sorted and without duplicates, held inline up
/// to [`INLINE_DEPS`] of them.
///
/// The manager indexes every unit's edges as it loads, between the
/// allocations of units that stay. A list made on the heap (grown by
/// doubling, a string per edge) and freed again was the first occupant of
/// a third of the free room in the manager's resident heap pages at 1000
/// services (`bench/heap_trace.sh`, `HOLES_FIRST=1`); gone, the loader's
/// other temporaries took that room, but each load makes a dozen blocks
/// fewer.
pub struct DepList<'a> {
    inline: [DepRef<'a>; INLINE_DEPS],
    len: usize,
    /// Every edge once there are more than fit inline (a target's
    /// `.wants/` directory).
    spilled: Vec<DepRef<'a>>,
}

impl<'a> DepList<'a> {
    fn new() -> Self {
        let empty = DepRef { kind: DepKind::Requires, other: Cow::Borrowed(""), origin: Origin::File };
        DepList { inline: std::array::from_fn(|_| empty.clone()), len: 0, spilled: Vec::new() }
    }

    fn push(&mut self, d: DepRef<'a>) {
        if !self.spilled.is_empty() {
            self.spilled.push(d);
        } else if self.len < INLINE_DEPS {
            self.inline[self.len] = d;
            self.len += 1;
        } else {
            self.spilled.reserve(2 * INLINE_DEPS);
            self.spilled.extend(self.inline.iter().cloned());
            self.spilled.push(d);
            self.len = 0;
        }
    }

    /// Sort, then drop repeated edges (`Vec::dedup` on the slice in use).
    fn sort_dedup(&mut self) {
        if !self.spilled.is_empty() {
            self.spilled.sort();
            self.spilled.dedup();
            return;
        }
        let v = &mut self.inline[..self.len];
        v.sort();
        let mut kept = 0;
        for i in 0..v.len() {
            if kept == 0 || v[i] != v[kept - 1] {
                v.swap(kept, i);
                kept += 1;
            }
        }
        self.len = kept;
    }
}

impl<'a> std::ops::Deref for DepList<'a> {
    type Target = [DepRef<'a>];
    fn deref(&self) -> &[DepRef<'a>] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

fn push<'a>(out: &mut DepList<'a>, me: &str, kind: DepKind, other: impl Into<Cow<'a, str>>, origin: Origin) {
    let other = other.into();
    // systemd drops dependencies of a unit on itself.
    if other != me {
        out.push(DepRef { kind, other, origin });
    }
}

/// Whether `DefaultDependencies=` is on (the default; never for the
/// manager's perpetual units).
pub fn default_dependencies(cfg: &UnitConfig) -> bool {
    !cfg.perpetual && cfg.bool_or(S::Unit, "DefaultDependencies", true)
}

/// The slice a unit is placed in (`Slice=` or systemd's default), for the
/// types that live in slices.
pub fn slice_of(cfg: &UnitConfig, scope: Scope) -> Option<String> {
    slice_ref(cfg, scope).map(Cow::into_owned)
}

/// [`slice_of`], borrowed where the name is the setting's or a fixed one.
fn slice_ref(cfg: &UnitConfig, scope: Scope) -> Option<Cow<'_, str>> {
    let ty = cfg.id.unit_type();
    let own = match ty {
        UnitType::Service => S::Service,
        UnitType::Socket => S::Socket,
        UnitType::Mount => S::Mount,
        UnitType::Swap => S::Swap,
        UnitType::Scope => S::Scope,
        UnitType::Slice => return parent_slice(cfg.id.as_str()).map(Cow::Owned),
        _ => return None,
    };
    if let Some(s) = cfg.string(own, "Slice") {
        return Some(Cow::Borrowed(s));
    }
    let base = if scope == Scope::System { "system" } else { "app" };
    Some(match (ty, cfg.id.instance()) {
        // systemd 252 unit_set_default_slice(): instances of templates get
        // a slice of their own per template.
        (UnitType::Service | UnitType::Socket, Some(_)) => {
            Cow::Owned(format!("{base}-{}.slice", escape(cfg.id.prefix())))
        }
        _ => Cow::Borrowed(if scope == Scope::System { "system.slice" } else { "app.slice" }),
    })
}

/// `a-b.slice` → `a.slice` → `-.slice` → none.
pub fn parent_slice(slice: &str) -> Option<String> {
    let stem = slice.strip_suffix(".slice")?;
    if stem == "-" {
        return None;
    }
    Some(match stem.rfind('-') {
        Some(i) if i > 0 => format!("{}.slice", &stem[..i]),
        _ => "-.slice".to_string(),
    })
}

/// The service a socket, timer or path unit activates.
pub fn triggered_unit(cfg: &UnitConfig) -> Option<String> {
    triggered_ref(cfg).map(Cow::into_owned)
}

/// [`triggered_unit`], borrowed when the setting names it.
fn triggered_ref(cfg: &UnitConfig) -> Option<Cow<'_, str>> {
    let ty = cfg.id.unit_type();
    let explicit = match ty {
        UnitType::Socket => {
            if cfg.bool_or(S::Socket, "Accept", false) {
                return None;
            }
            cfg.string(S::Socket, "Service")
        }
        UnitType::Timer => cfg.string(S::Timer, "Unit"),
        UnitType::Path => cfg.string(S::Path, "Unit"),
        _ => return None,
    };
    Some(match explicit {
        Some(u) => Cow::Borrowed(u),
        None => Cow::Owned(format!("{}.service", cfg.id.stem())),
    })
}

fn output_uses_journal(o: &StdOutput) -> bool {
    matches!(o, StdOutput::Journal | StdOutput::JournalConsole | StdOutput::Kmsg | StdOutput::KmsgConsole)
}

/// `StandardOutput=` and `StandardError=` in effect (`systemd.exec(5)`):
/// output defaults to the journal, except that a service reading from a
/// TTY writes to it (`inherit`); error defaults to `inherit`, i.e. the
/// same as output.
pub fn effective_output(cfg: &UnitConfig, sec: crate::directive::SectionKind) -> (StdOutput, StdOutput) {
    use crate::value::StdInput;
    let tty_in = matches!(
        cfg.value(sec, "StandardInput"),
        Some(Value::Input(StdInput::Tty | StdInput::TtyForce | StdInput::TtyFail))
    );
    let out = match cfg.value(sec, "StandardOutput") {
        Some(Value::Output(StdOutput::Inherit)) | None if tty_in => StdOutput::Tty,
        Some(Value::Output(o)) => o.clone(),
        _ => StdOutput::Journal,
    };
    let err = match cfg.value(sec, "StandardError") {
        Some(Value::Output(StdOutput::Inherit)) | None => out.clone(),
        Some(Value::Output(o)) => o.clone(),
        _ => out.clone(),
    };
    (out, err)
}

/// The manager's "perpetual" units, which exist without a file and have no
/// default dependencies: the root slice and the system slice.
pub fn is_perpetual(name: &str, scope: Scope) -> bool {
    name == "-.slice" || (scope == Scope::System && name == "system.slice")
}

/// The edges one unit has on its own account, sorted, each once.
pub fn unit_deps(cfg: &UnitConfig, scope: Scope) -> Vec<Dep> {
    unit_deps_ref(cfg, scope).iter().map(DepRef::to_dep).collect()
}

/// [`unit_deps`] without a heap block per edge (see [`DepList`]).
pub fn unit_deps_ref(cfg: &UnitConfig, scope: Scope) -> DepList<'_> {
    let me = cfg.id.as_str();
    let mut out = DepList::new();
    let ty = cfg.id.unit_type();
    // Units that did not load (not found, masked, bad) have no
    // dependencies of their own; others may still point at them.
    if cfg.load_state != crate::load::LoadState::Loaded {
        return out;
    }
    for kind in DepKind::FILE_KINDS {
        if let Some(d) = kind.directive() {
            for other in cfg.strings(S::Unit, d) {
                push(&mut out, me, kind, other, Origin::File);
            }
        }
    }
    for w in &cfg.dir_wants {
        push(&mut out, me, DepKind::Wants, w.as_str(), Origin::File);
    }
    for r in &cfg.dir_requires {
        push(&mut out, me, DepKind::Requires, r.as_str(), Origin::File);
    }

    // Slices.
    if let Some(slice) = slice_ref(cfg, scope) {
        // A slice's link to its parent is implicit; other units' link to
        // their slice counts as coming from the file (systemd's labels).
        let implicit = ty == UnitType::Slice;
        let origin = if implicit { Origin::Implicit } else { Origin::File };
        push(&mut out, me, DepKind::Requires, slice.clone(), origin);
        push(&mut out, me, DepKind::After, slice.clone(), origin);
        let in_origin = if implicit { Origin::Implicit } else { Origin::SliceProperty };
        push(&mut out, me, DepKind::InSlice, slice, in_origin);
    }

    // Execution context (system manager only, as systemd's
    // unit_add_exec_dependencies()).
    let exec_section = match ty {
        UnitType::Service => Some(S::Service),
        UnitType::Socket => Some(S::Socket),
        UnitType::Mount => Some(S::Mount),
        UnitType::Swap => Some(S::Swap),
        _ => None,
    };
    if let (Some(sec), Scope::System) = (exec_section, scope) {
        let (o, e) = effective_output(cfg, sec);
        if ty == UnitType::Service && (output_uses_journal(&o) || output_uses_journal(&e)) {
            push(&mut out, me, DepKind::After, "systemd-journald.socket", Origin::File);
        }
        // State, cache and logs directories need a writable /var.
        if ["StateDirectory", "CacheDirectory", "LogsDirectory"]
            .iter()
            .any(|d| !cfg.settings.get(sec, d).is_empty())
        {
            push(&mut out, me, DepKind::After, "systemd-remount-fs.service", Origin::File);
        }
        if cfg.bool_or(sec, "PrivateTmp", false) {
            push(&mut out, me, DepKind::Wants, "tmp.mount", Origin::File);
            push(&mut out, me, DepKind::After, "tmp.mount", Origin::File);
            push(&mut out, me, DepKind::After, "systemd-tmpfiles-setup.service", Origin::File);
        }
    }

    // Activation: socket/timer/path → service.
    if let Some(target) = triggered_ref(cfg) {
        push(&mut out, me, DepKind::Before, target.clone(), Origin::Implicit);
        push(&mut out, me, DepKind::Triggers, target, Origin::Implicit);
    }
    if ty == UnitType::Service {
        for s in cfg.strings(S::Service, "Sockets") {
            push(&mut out, me, DepKind::Wants, s, Origin::File);
            push(&mut out, me, DepKind::After, s, Origin::File);
            push(&mut out, me, DepKind::TriggeredBy, s, Origin::File);
        }
        // A service that owns a bus name needs the bus (unless it opted
        // out of default dependencies, as early-boot services do).
        if cfg.string(S::Service, "BusName").is_some() && default_dependencies(cfg) {
            push(&mut out, me, DepKind::Requires, "dbus.socket", Origin::File);
            push(&mut out, me, DepKind::After, "dbus.socket", Origin::File);
        }
    }

    if default_dependencies(cfg) {
        let system = scope == Scope::System;
        let sysinit = |out: &mut DepList<'_>| {
            if system {
                push(out, me, DepKind::Requires, "sysinit.target", Origin::Default);
                push(out, me, DepKind::After, "sysinit.target", Origin::Default);
            }
        };
        let shutdown = |out: &mut DepList<'_>| {
            push(out, me, DepKind::Conflicts, "shutdown.target", Origin::Default);
            push(out, me, DepKind::Before, "shutdown.target", Origin::Default);
        };
        match ty {
            UnitType::Service => {
                sysinit(&mut out);
                push(&mut out, me, DepKind::After, "basic.target", Origin::Default);
                shutdown(&mut out);
            }
            UnitType::Socket => {
                sysinit(&mut out);
                push(&mut out, me, DepKind::Before, "sockets.target", Origin::Default);
                shutdown(&mut out);
            }
            UnitType::Timer => {
                sysinit(&mut out);
                push(&mut out, me, DepKind::Before, "timers.target", Origin::Default);
                if !cfg.settings.get(S::Timer, "OnCalendar").is_empty() {
                    push(&mut out, me, DepKind::After, "time-set.target", Origin::Default);
                    push(&mut out, me, DepKind::After, "time-sync.target", Origin::Default);
                }
                shutdown(&mut out);
            }
            UnitType::Path => {
                sysinit(&mut out);
                push(&mut out, me, DepKind::Before, "paths.target", Origin::Default);
                shutdown(&mut out);
            }
            UnitType::Target | UnitType::Slice => shutdown(&mut out),
            // Mounts, swaps, automounts, devices and scopes get their
            // defaults from fstab/udev/runtime rules not modelled yet.
            UnitType::Mount
            | UnitType::Swap
            | UnitType::Automount
            | UnitType::Device
            | UnitType::Scope => {}
        }
    }
    out.sort_dedup();
    out
}

/// The cross-unit default: `target` (with default dependencies) orders
/// after `other` when it requires/wants it and `other` has default
/// dependencies itself, unless the two are already ordered the other way
/// round — `Before=other` on the target or `After=target` on the other —
/// which would make a loop (systemd's `unit_add_default_target_dependency()`).
pub fn target_default_after(target: &UnitConfig, target_deps: &[Dep], other: &UnitConfig, other_deps: &[Dep]) -> bool {
    target.id.unit_type() == UnitType::Target
        && other.load_state == crate::load::LoadState::Loaded
        && default_dependencies(target)
        && default_dependencies(other)
        && target_deps.iter().any(|d| {
            d.other == other.id.as_str()
                && matches!(d.kind, DepKind::Requires | DepKind::Requisite | DepKind::Wants | DepKind::BindsTo)
        })
        && !target_deps.iter().any(|d| d.kind == DepKind::Before && d.other == other.id.as_str())
        && !other_deps.iter().any(|d| d.kind == DepKind::After && d.other == target.id.as_str())
}

/// Parse a unit name the way dependency lists hold them.
pub fn dep_name(d: &Dep) -> Option<UnitName> {
    UnitName::parse(&d.other).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_slices() {
        assert_eq!(parent_slice("system-getty.slice").as_deref(), Some("system.slice"));
        assert_eq!(parent_slice("system.slice").as_deref(), Some("-.slice"));
        assert_eq!(parent_slice("-.slice"), None);
        assert_eq!(parent_slice("a-b-c.slice").as_deref(), Some("a-b.slice"));
    }

    fn load(name: &str, text: &str) -> UnitConfig {
        crate::config::load_for_test("deps", name, text)
    }

    /// The borrowed list holds the edges the owned one does, in the same
    /// order and each once: inline (a service's defaults), and once more
    /// than fit inline are named, repeated names included.
    #[test]
    fn the_borrowed_list_is_the_owned_one_inline_and_spilled() {
        let few = load("a.service", "[Unit]\nAfter=b.service b.service\nWants=c.service\n[Service]\nExecStart=/bin/true\n");
        let many: String = (0..40).map(|i| format!("After=u{i}.service u{}.service\n", i % 7)).collect();
        let many = load("m.service", &format!("[Unit]\n{many}[Service]\nExecStart=/bin/true\n"));
        for (cfg, spilled, after) in [(few, false, "b.service"), (many, true, "u39.service")] {
            let list = unit_deps_ref(&cfg, Scope::System);
            assert_eq!(list.spilled.is_empty(), !spilled);
            let owned: Vec<Dep> = list.iter().map(DepRef::to_dep).collect();
            let mut expect = owned.clone();
            expect.sort();
            expect.dedup();
            assert_eq!(owned, expect, "sorted, each once");
            assert!(owned.iter().any(|d| d.kind == DepKind::After && d.other == after));
            assert!(owned.iter().any(|d| d.kind == DepKind::InSlice && d.other == "system.slice"));
            assert_eq!(unit_deps(&cfg, Scope::System), owned);
        }
    }
}
