//! The directive table: every key systemd 252 knows, in every section it
//! may appear in, with its value [`Kind`], how repeated assignments
//! [`Merge`], whether vigil acts on it ([`Support`]), whether ignoring it
//! would weaken a service's confinement, and the D-Bus property systemd
//! shows it as.
//!
//! # Main types
//!
//! - [`SectionKind`]: the `[Section]` names of unit files. Besides the
//!   eleven sections that carry directives there are `[Target]` and
//!   `[Device]`: systemd accepts them in `.target`/`.device` files (an
//!   unknown key there gets `Unknown key 'Foo' in section [Target]`), but
//!   no directive lives in them. Any other section is "Unknown section
//!   'X'. Ignoring." — verified with `systemd --test`.
//! - [`UnitType`]: the unit suffixes, and through [`UnitType::sections`]
//!   which sections a file of that type may contain: always `[Unit]`, the
//!   type's own section, and `[Install]`, as each systemd unit vtable
//!   declares.
//! - [`Directive`]: one row of the table, keyed by (section, name). Names
//!   are case-sensitive, as systemd's lookup is.
//! - [`Merge`]: what a second assignment of the same key does. systemd 252
//!   is not uniform here, and the differences matter when drop-ins are
//!   layered over a vendor unit:
//!   - [`Merge::Override`]: the last assignment wins (`Type=`,
//!     `Description=`); an empty value restores the default.
//!   - [`Merge::First`]: the first assignment wins and later ones are
//!     ignored with "Multiple units to trigger specified, ignoring"
//!     (`Unit=` of timers and paths).
//!   - [`Merge::List`]: values accumulate, an empty assignment clears what
//!     came before (`ExecStart=`, `Environment=`, `Documentation=`,
//!     `WantedBy=`). This is the common case for lists.
//!   - [`Merge::ListNoReset`]: values accumulate and an empty assignment
//!     does nothing. All dependency directives (`After=`, `Wants=`, …),
//!     `RequiresMountsFor=`, `Sockets=` and `[Install] Also=` behave like
//!     this: `After=a.service`, `After=`, `After=b.service` leaves both
//!     `a` and `b` in the `systemd --test` dump.
//!   - [`Merge::Shared`]: values accumulate into a list shared by several
//!     directives, and an empty assignment of *any* of them clears the whole
//!     shared list ([`ResetGroup`]). `ConditionPathExists=` (empty) drops a
//!     `ConditionHost=` assigned before it but leaves `Assert*=` alone;
//!     `ListenDatagram=` (empty) drops every `Listen*=`; `OnBootSec=` (empty)
//!     drops `OnCalendar=`; the same holds for path specs, stdin data and
//!     credentials.
//! - [`Support`]: [`Support::Implemented`] (vigil acts on it),
//!   [`Support::Planned`] (parsed and kept, reported as unsupported by
//!   `verify` and at load time), [`Support::Obsolete`] (systemd ignores it
//!   with the stored warning), [`Support::Alias`] (an old spelling systemd
//!   maps onto another directive, see [`Directive::canonical`]).
//!
//! # Deprecations
//!
//! Independent of support, [`Directive::deprecated`] holds the warning
//! systemd 252 logs, verbatim, every time the directive is used — e.g.
//! `MemoryLimit=` ("Unit uses MemoryLimit=; please use MemoryMax= instead.
//! Support for MemoryLimit= will be removed soon.") or the
//! `RequiresOverridable=` alias ("Unit dependency type RequiresOverridable=
//! is obsolete, replacing by Requires=, please update your unit file"). The
//! texts were taken from `systemd --test` runs on this machine.
//!
//! # Completeness
//!
//! The table holds exactly the (section, name) pairs systemd 252 prints
//! with `--dump-configuration-items` (the test suite compares against that
//! dump), plus the handful of [`Support::Obsolete`] directives it still
//! recognises only to warn that their support "has been removed"
//! (`Capabilities=`, `NetClass=`, `SysVStartPriority=`, `BusPolicy=`,
//! `IgnoreOnSnapshot=`); the dump omits those, but a unit using them gets
//! that warning, not "Unknown key".
//!
//! # Layout
//!
//! The data lives in `table/`, one file per family. Families that systemd
//! repeats in several sections — the execution context (`systemd.exec(5)`),
//! the kill context (`systemd.kill(5)`) and the resource-control context
//! (`systemd.resource-control(5)`) — are defined once and registered for
//! each section that includes them. [`all`] builds the flat table once,
//! sorted by (section, name), so [`lookup`] is a binary search.
//!
//! To switch a directive on once the manager acts on it, change the word
//! `planned(` at the start of its entry to `implemented(`.

pub mod kind;
mod table;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

pub use kind::{Kind, LimitUnit};

/// A `[Section]` of a unit file that systemd knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    Unit,
    Install,
    Service,
    Socket,
    Mount,
    Automount,
    Swap,
    Timer,
    Path,
    Slice,
    Scope,
    /// Accepted in `.target` files; holds no directives.
    Target,
    /// Accepted in `.device` files; holds no directives.
    Device,
}

impl SectionKind {
    /// Every section, in declaration order.
    pub const ALL: [SectionKind; 13] = [
        SectionKind::Unit,
        SectionKind::Install,
        SectionKind::Service,
        SectionKind::Socket,
        SectionKind::Mount,
        SectionKind::Automount,
        SectionKind::Swap,
        SectionKind::Timer,
        SectionKind::Path,
        SectionKind::Slice,
        SectionKind::Scope,
        SectionKind::Target,
        SectionKind::Device,
    ];

    /// The name between the brackets.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Unit => "Unit",
            SectionKind::Install => "Install",
            SectionKind::Service => "Service",
            SectionKind::Socket => "Socket",
            SectionKind::Mount => "Mount",
            SectionKind::Automount => "Automount",
            SectionKind::Swap => "Swap",
            SectionKind::Timer => "Timer",
            SectionKind::Path => "Path",
            SectionKind::Slice => "Slice",
            SectionKind::Scope => "Scope",
            SectionKind::Target => "Target",
            SectionKind::Device => "Device",
        }
    }

    /// The section called `name` (case-sensitive, without brackets).
    pub fn from_name(name: &str) -> Option<SectionKind> {
        SectionKind::ALL.into_iter().find(|s| s.name() == name)
    }
}

pub use crate::name::UnitType;

/// What the directive table knows about each unit type.
impl UnitType {
    /// The section named after the type (`[Service]` for services).
    pub fn own_section(self) -> SectionKind {
        match self {
            UnitType::Service => SectionKind::Service,
            UnitType::Socket => SectionKind::Socket,
            UnitType::Target => SectionKind::Target,
            UnitType::Device => SectionKind::Device,
            UnitType::Mount => SectionKind::Mount,
            UnitType::Automount => SectionKind::Automount,
            UnitType::Swap => SectionKind::Swap,
            UnitType::Timer => SectionKind::Timer,
            UnitType::Path => SectionKind::Path,
            UnitType::Slice => SectionKind::Slice,
            UnitType::Scope => SectionKind::Scope,
        }
    }

    /// The sections a unit file of this type may contain: `[Unit]`, its
    /// own section and `[Install]` (systemd's per-type `sections` lists).
    /// Other sections are warned about and skipped, `X-` ones kept.
    pub fn sections(self) -> &'static [SectionKind] {
        use SectionKind as S;
        match self {
            UnitType::Service => &[S::Unit, S::Service, S::Install],
            UnitType::Socket => &[S::Unit, S::Socket, S::Install],
            UnitType::Target => &[S::Unit, S::Target, S::Install],
            UnitType::Device => &[S::Unit, S::Device, S::Install],
            UnitType::Mount => &[S::Unit, S::Mount, S::Install],
            UnitType::Automount => &[S::Unit, S::Automount, S::Install],
            UnitType::Swap => &[S::Unit, S::Swap, S::Install],
            UnitType::Timer => &[S::Unit, S::Timer, S::Install],
            UnitType::Path => &[S::Unit, S::Path, S::Install],
            UnitType::Slice => &[S::Unit, S::Slice, S::Install],
            UnitType::Scope => &[S::Unit, S::Scope, S::Install],
        }
    }

    /// [`UnitType::sections`] as names, the shape
    /// [`crate::syntax::Sections::Only`] takes.
    pub fn section_names(self) -> &'static [&'static str] {
        match self {
            UnitType::Service => &["Unit", "Service", "Install"],
            UnitType::Socket => &["Unit", "Socket", "Install"],
            UnitType::Target => &["Unit", "Target", "Install"],
            UnitType::Device => &["Unit", "Device", "Install"],
            UnitType::Mount => &["Unit", "Mount", "Install"],
            UnitType::Automount => &["Unit", "Automount", "Install"],
            UnitType::Swap => &["Unit", "Swap", "Install"],
            UnitType::Timer => &["Unit", "Timer", "Install"],
            UnitType::Path => &["Unit", "Path", "Install"],
            UnitType::Slice => &["Unit", "Slice", "Install"],
            UnitType::Scope => &["Unit", "Scope", "Install"],
        }
    }
}

/// What assigning a directive again does (see the module essay).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Merge {
    /// The last assignment wins; an empty one restores the default.
    Override,
    /// The first assignment wins; systemd warns about and ignores later ones.
    First,
    /// Assignments accumulate; an empty assignment clears the list.
    List,
    /// Assignments accumulate; an empty assignment is a no-op.
    ListNoReset,
    /// Assignments accumulate into a list shared with the other directives
    /// of the group; an empty assignment of any of them clears it all.
    Shared(ResetGroup),
}

/// Directives that feed one list in systemd, so that an empty assignment
/// of one clears what the others added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResetGroup {
    /// `Condition*=` (`systemd.unit(5)`, "Conditions and Asserts").
    Conditions,
    /// `Assert*=`, separate from the conditions.
    Asserts,
    /// `[Socket] Listen*=`.
    Listen,
    /// `[Timer] OnCalendar=`, `OnActiveSec=`, `OnBootSec=`, …
    Timers,
    /// `[Path] PathExists=`, `PathChanged=`, …
    PathSpecs,
    /// `StandardInputText=` and `StandardInputData=`, one stdin buffer.
    StdinData,
    /// `SetCredential=` and `SetCredentialEncrypted=`.
    SetCredentials,
    /// `LoadCredential=` and `LoadCredentialEncrypted=`.
    LoadCredentials,
    /// `BlockIOReadBandwidth=` and `BlockIOWriteBandwidth=`: an empty
    /// assignment of either resets both limits of every device.
    BlockIoBandwidth,
}

/// How far vigil goes with a directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Support {
    /// vigil acts on it.
    Implemented,
    /// Parsed and kept, but vigil does not act on it yet: `verify` and the
    /// loader report it as unsupported.
    Planned,
    /// systemd 252 ignores it and logs `message` (verbatim).
    Obsolete { message: &'static str },
    /// An old spelling of another directive: assigning it is assigning
    /// `of` in `section` (the alias's own section when `None`). The alias
    /// entry carries its target's kind, merge rule, security flag and
    /// property.
    Alias { of: &'static str, section: Option<SectionKind> },
}

/// One known key of one section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Directive {
    /// The key, case-sensitive (`ExecStart`).
    pub name: &'static str,
    pub section: SectionKind,
    /// The value syntax.
    pub kind: Kind,
    pub merge: Merge,
    pub support: Support,
    /// True when ignoring the directive would let the process do more than
    /// the unit allows: identity (`User=`), privileges and capabilities,
    /// sandboxing and namespaces, system call and network filters, device
    /// access, and the modes and owners of what the manager creates
    /// (`UMask=`, `SocketMode=`, `StateDirectoryMode=`).
    pub security: bool,
    /// The D-Bus (`systemctl show`) property systemd exposes the setting
    /// as, per `org.freedesktop.systemd1(5)`: `TimeoutStartSec` →
    /// `TimeoutStartUSec`, conditions → `Conditions`. Empty when none does
    /// (`[Install]` keys, `PermissionsStartOnly=`, and `[Service]
    /// TimeoutSec=`, which sets both `TimeoutStartUSec` and
    /// `TimeoutStopUSec`). Aliases name their target's property.
    pub property: &'static str,
    /// The warning systemd 252 logs whenever the directive is used, if any.
    pub deprecated: Option<&'static str>,
}

impl Directive {
    /// The directive an alias stands for; any other directive is its own
    /// canonical form.
    pub fn canonical(&'static self) -> &'static Directive {
        match self.support {
            Support::Alias { of, section } => {
                lookup(section.unwrap_or(self.section), of).unwrap_or(self)
            }
            _ => self,
        }
    }

    /// Whether vigil acts on this directive (through its alias target).
    pub fn is_implemented(&'static self) -> bool {
        self.canonical().support == Support::Implemented
    }
}

static TABLE: LazyLock<Vec<Directive>> = LazyLock::new(table::build);

/// FNV-1a, for maps keyed by the directive table's own names (nothing an
/// attacker chooses, so SipHash's flooding resistance buys nothing there).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The most sections one directive name is in: the resource-control
/// family's six (`[Service]`, `[Socket]`, `[Mount]`, `[Swap]`, `[Slice]`,
/// `[Scope]`). A test holds the table to it.
const PLACES_MAX: usize = 6;

/// The sections a directive name is in, each with its row in [`TABLE`],
/// held inline: a list per name was 447 heap blocks of the manager's
/// (its heap at 1000 units: −20 kB, `bench/mem.sh`).
#[derive(Clone, Copy)]
struct Places {
    len: u8,
    at: [(SectionKind, u16); PLACES_MAX],
}

impl Places {
    fn as_slice(&self) -> &[(SectionKind, u16)] {
        self.at.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

type ByName = std::collections::HashMap<&'static str, Places, std::hash::BuildHasherDefault<Fnv>>;

/// Name → (section, index in [`TABLE`]): `lookup` runs for every setting
/// read (a binary search with a string compare per step was a fifth of
/// the manager's instructions per `Accept=yes` connection).
static BY_NAME: LazyLock<ByName> = LazyLock::new(|| {
    let mut m = ByName::default();
    let none = Places { len: 0, at: [(SectionKind::Unit, 0); PLACES_MAX] };
    for (i, d) in TABLE.iter().enumerate() {
        let p = m.entry(d.name).or_insert(none);
        // Past PLACES_MAX (or 65535 rows) a row could not be found by
        // name; `lookup_finds_every_entry_and_is_case_sensitive` fails then.
        if let (Some(slot), Ok(i)) = (p.at.get_mut(usize::from(p.len)), u16::try_from(i)) {
            *slot = (d.section, i);
            p.len += 1;
        }
    }
    m
});

/// The whole table, sorted by section (in [`SectionKind`] declaration
/// order), then name.
pub fn all() -> &'static [Directive] {
    &TABLE
}

/// The directive `key` of `section`, if systemd knows it there.
pub fn lookup(section: SectionKind, key: &str) -> Option<&'static Directive> {
    let (_, i) = BY_NAME.get(key)?.as_slice().iter().find(|(s, _)| *s == section)?;
    TABLE.get(usize::from(*i))
}

/// The directives of one section, sorted by name.
pub fn in_section(section: SectionKind) -> impl Iterator<Item = &'static Directive> {
    let table = all();
    let start = table.partition_point(|d| d.section < section);
    let end = table.partition_point(|d| d.section <= section);
    table.get(start..end).unwrap_or(&[]).iter()
}
