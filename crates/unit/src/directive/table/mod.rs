//! The data of the directive table, one file per family, and the recipe
//! that registers each family in the sections systemd includes it in.
//!
//! An entry is a [`Def`]: a [`Directive`] without its section, so that the
//! execution, kill and resource-control families can be written once and
//! placed in `[Service]`, `[Socket]`, `[Mount]`, `[Swap]` (and `[Slice]`,
//! `[Scope]`) exactly as systemd's `load-fragment-gperf` does. Entries are
//! built with `const fn`s that read like a sentence:
//!
//! ```text
//! planned("User", K::String).security(),
//! planned("RestartSec", K::Seconds).property("RestartUSec"),
//! implemented("Wants", K::Units).no_reset(),
//! ```
//!
//! Defaults: [`Merge::Override`], not security-relevant, property equal to
//! the name, no deprecation warning. The first word is the support level;
//! flipping `planned` to `implemented` is the whole edit when the manager
//! learns a directive. `alias("BindTo", "BindsTo")` entries take kind,
//! merge rule, security flag and property from their target when the
//! table is built; `removed("NetClass", Note::NetClassRemoved)` entries
//! carry systemd's "Support for option NetClass= has been removed and it is
//! ignored". Entries hold no pointers (see [`Def`] for why).

mod cgroup;
mod exec;
mod install;
mod kill;
mod mount;
mod path;
mod scope;
mod service;
mod socket;
mod timer;
mod unit;
mod words;

use super::{Directive, Kind, Merge, ResetGroup, SectionKind, Support};


/// One entry of a family, not yet placed in a section.
///
/// An entry holds no pointer: names are stored in the entry ([`Name`]),
/// word lists and warnings by index ([`words::ALL`], [`Note`]). In a
/// position-independent executable every pointer in static data is a
/// relative relocation the dynamic loader applies at each start, writing
/// the page it sits on — a copy-on-write fault. With `&'static str` fields
/// these arrays were ~1,300 of the binary's 4,600 relocations and 13 of its
/// ~30 relocated pages, paid by every `systemctl is-active` although only
/// the manager and `verify` read the table (issue 8: a control round trip
/// within 1 ms). Pointer-free, the arrays are plain read-only data; the
/// [`Directive`]s built from them point into them at run time.
#[derive(Clone, Copy, Debug)]
pub(super) struct Def {
    name: Name,
    /// The value syntax; a [`Kind::Enum`] is stored as [`Kind::Raw`] with
    /// its word list in `words`.
    kind: Kind,
    /// Index of the word list in [`words::ALL`], or [`NO_WORDS`].
    words: u8,
    merge: Merge,
    support: DefSupport,
    security: bool,
    property: Name,
    deprecated: Option<Note>,
}

/// [`Support`] without pointers (see [`Def`]).
#[derive(Clone, Copy, Debug)]
enum DefSupport {
    Implemented,
    Planned,
    Obsolete(Note),
    Alias { of: Name, section: Option<SectionKind> },
}

/// The longest directive or property name an entry can hold
/// (`RestrictNetworkInterfaces`, `ManagedOOMMemoryPressureLimit`… stay well
/// below); a longer one fails to compile.
const NAME_MAX: usize = 32;

/// A name stored inline (see [`Def`]).
#[derive(Clone, Copy, Debug)]
struct Name {
    len: u8,
    bytes: [u8; NAME_MAX],
}

impl Name {
    const fn new(s: &str) -> Name {
        let b = s.as_bytes();
        assert!(b.len() <= NAME_MAX, "directive name longer than NAME_MAX");
        let mut bytes = [0u8; NAME_MAX];
        let mut i = 0;
        while i < b.len() {
            bytes[i] = b[i];
            i += 1;
        }
        Name { len: b.len() as u8, bytes }
    }

    fn as_str(&self) -> &str {
        // Always whole: `new` copied a `str` of at most NAME_MAX bytes.
        self.bytes.get(..usize::from(self.len)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

/// `words` of an entry whose kind is not an enum.
const NO_WORDS: u8 = u8::MAX;

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The index of `list` in [`words::ALL`]; a list missing there fails to
/// compile.
const fn words_index(list: &[&str]) -> u8 {
    let mut i = 0;
    while i < words::ALL.len() {
        let cand = words::ALL[i];
        if cand.len() == list.len() {
            let mut j = 0;
            while j < list.len() && same_str(cand[j], list[j]) {
                j += 1;
            }
            if j == list.len() {
                return i as u8;
            }
        }
        i += 1;
    }
    panic!("a Kind::Enum word list is missing from words::ALL");
}

macro_rules! removed_text {
    ($name:literal) => {
        concat!("Support for option ", $name, "= has been removed and it is ignored")
    };
}

macro_rules! notes {
    ($($(#[$doc:meta])* $id:ident = $text:expr,)*) => {
        /// The warnings systemd 252 logs, verbatim, for deprecated and
        /// removed directives; entries name them instead of pointing at
        /// the text (see [`Def`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Note {
            $($(#[$doc])* $id,)*
        }

        impl Note {
            fn text(self) -> &'static str {
                match self {
                    $(Note::$id => $text,)*
                }
            }
        }
    };
}

notes! {
    CpuShares = "Unit uses CPUShares=; please use CPUWeight= instead. Support for CPUShares= will be removed soon.",
    StartupCpuShares = "Unit uses StartupCPUShares=; please use CPUWeight= instead. Support for StartupCPUShares= will be removed soon.",
    MemoryLimit = "Unit uses MemoryLimit=; please use MemoryMax= instead. Support for MemoryLimit= will be removed soon.",
    BlockIoDeviceWeight = "Unit uses BlockIODeviceWeight=; please use IO*= settings instead. Support for BlockIODeviceWeight= will be removed soon.",
    BlockIoReadBandwidth = "Unit uses BlockIOReadBandwidth=; please use IO*= settings instead. Support for BlockIOReadBandwidth= will be removed soon.",
    BlockIoWriteBandwidth = "Unit uses BlockIOWriteBandwidth=; please use IO*= settings instead. Support for BlockIOWriteBandwidth= will be removed soon.",
    RequiresOverridable = "Unit dependency type RequiresOverridable= is obsolete, replacing by Requires=, please update your unit file",
    RequisiteOverridable = "Unit dependency type RequisiteOverridable= is obsolete, replacing by Requisite=, please update your unit file",
    NetClassRemoved = removed_text!("NetClass"),
    CapabilitiesRemoved = removed_text!("Capabilities"),
    SysVStartPriorityRemoved = removed_text!("SysVStartPriority"),
    BusPolicyRemoved = removed_text!("BusPolicy"),
    IgnoreOnSnapshotRemoved = removed_text!("IgnoreOnSnapshot"),
}


const fn def(name: &'static str, kind: Kind, support: DefSupport) -> Def {
    let (kind, words) = match kind {
        Kind::Enum(list) => (Kind::Raw, words_index(list)),
        other => (other, NO_WORDS),
    };
    Def {
        name: Name::new(name),
        kind,
        words,
        merge: Merge::Override,
        support,
        security: false,
        property: Name::new(name),
        deprecated: None,
    }
}

const fn implemented(name: &'static str, kind: Kind) -> Def {
    def(name, kind, DefSupport::Implemented)
}

const fn planned(name: &'static str, kind: Kind) -> Def {
    def(name, kind, DefSupport::Planned)
}

const fn alias(name: &'static str, of: &'static str) -> Def {
    def(name, Kind::Raw, DefSupport::Alias { of: Name::new(of), section: None })
}

const fn alias_in(name: &'static str, section: SectionKind, of: &'static str) -> Def {
    def(name, Kind::Raw, DefSupport::Alias { of: Name::new(of), section: Some(section) })
}

/// An option systemd 252 recognises only to say it "has been removed";
/// `note` is that message.
const fn removed(name: &'static str, note: Note) -> Def {
    let mut d = def(name, Kind::Raw, DefSupport::Obsolete(note));
    d.property = Name::new("");
    d
}

impl Def {
    /// Values accumulate; an empty assignment clears them.
    const fn list(mut self) -> Def {
        self.merge = Merge::List;
        self
    }

    /// Values accumulate; an empty assignment does nothing.
    const fn no_reset(mut self) -> Def {
        self.merge = Merge::ListNoReset;
        self
    }

    /// Values accumulate into a list shared with the rest of `group`.
    const fn shared(mut self, group: ResetGroup) -> Def {
        self.merge = Merge::Shared(group);
        self
    }

    /// The first assignment wins.
    const fn first(mut self) -> Def {
        self.merge = Merge::First;
        self
    }

    /// Ignoring this directive would weaken the unit's confinement.
    const fn security(mut self) -> Def {
        self.security = true;
        self
    }

    /// The D-Bus property differs from the directive name.
    const fn property(mut self, property: &'static str) -> Def {
        self.property = Name::new(property);
        self
    }

    /// systemd exposes no D-Bus property for this directive.
    const fn no_property(mut self) -> Def {
        self.property = Name::new("");
        self
    }

    /// systemd logs `note` whenever the directive is used.
    const fn deprecated(mut self, note: Note) -> Def {
        self.deprecated = Some(note);
        self
    }

    fn place(&'static self, section: SectionKind) -> Directive {
        let kind = match words::ALL.get(usize::from(self.words)) {
            Some(list) => Kind::Enum(list),
            None => self.kind,
        };
        let support = match self.support {
            DefSupport::Implemented => Support::Implemented,
            DefSupport::Planned => Support::Planned,
            DefSupport::Obsolete(note) => Support::Obsolete { message: note.text() },
            DefSupport::Alias { ref of, section } => Support::Alias { of: of.as_str(), section },
        };
        Directive {
            name: self.name.as_str(),
            section,
            kind,
            merge: self.merge,
            support,
            security: self.security,
            property: self.property.as_str(),
            deprecated: self.deprecated.map(Note::text),
        }
    }
}

const LAYOUT: &[(SectionKind, &[&[Def]])] = &[
    (SectionKind::Unit, &[unit::UNIT]),
    (SectionKind::Service, &[service::SERVICE, exec::EXEC, cgroup::CGROUP, kill::KILL]),
    (SectionKind::Socket, &[socket::SOCKET, exec::EXEC, cgroup::CGROUP, kill::KILL]),
    (SectionKind::Mount, &[mount::MOUNT, exec::EXEC, cgroup::CGROUP, kill::KILL]),
    (SectionKind::Automount, &[mount::AUTOMOUNT]),
    (SectionKind::Swap, &[mount::SWAP, exec::EXEC, cgroup::CGROUP, kill::KILL]),
    (SectionKind::Timer, &[timer::TIMER]),
    (SectionKind::Path, &[path::PATH]),
    (SectionKind::Slice, &[cgroup::CGROUP]),
    (SectionKind::Scope, &[cgroup::CGROUP, kill::KILL, scope::SCOPE]),
    (SectionKind::Install, &[install::INSTALL]),
];

/// The flat table, sorted by (section, name) for binary search, with
/// aliases completed from their targets.
pub(super) fn build() -> Vec<Directive> {
    // The execution and kill families are shared by several sections, but
    // vigil so far acts on them only for services: elsewhere they stay
    // planned, whatever their entry says.
    // (Families are `const`s, so they are told apart by content, not address.)
    let same = |a: &[Def], b: &[Def]| a.len() == b.len() && a.first().map(|d| d.name.as_str()) == b.first().map(|d| d.name.as_str());
    let service_only = |f: &[Def]| same(f, exec::EXEC) || same(f, kill::KILL);
    let mut out: Vec<Directive> = LAYOUT
        .iter()
        .flat_map(|(section, families)| {
            families.iter().flat_map(move |f| {
                f.iter().map(move |d| {
                    let mut placed = d.place(*section);
                    if *section != SectionKind::Service && service_only(f) && placed.support == Support::Implemented {
                        placed.support = Support::Planned;
                    }
                    placed
                })
            })
        })
        .collect();
    out.sort_by(|a, b| a.section.cmp(&b.section).then_with(|| a.name.cmp(b.name)));
    for i in 0..out.len() {
        let Some(d) = out.get(i).copied() else { continue };
        let Support::Alias { of, section } = d.support else { continue };
        let section = section.unwrap_or(d.section);
        let found = out
            .binary_search_by(|t| t.section.cmp(&section).then_with(|| t.name.cmp(of)))
            .ok()
            .and_then(|j| out.get(j).copied());
        if let (Some(target), Some(slot)) = (found, out.get_mut(i)) {
            slot.kind = target.kind;
            slot.merge = target.merge;
            slot.security = target.security;
            slot.property = target.property;
        }
    }
    // Collected from a chain of iterators with no exact size: without this
    // the table keeps the slack of its last doubling for the life of the
    // process.
    out.shrink_to_fit();
    out
}

/// Whether `name` is one of the `[Socket]`-only settings (not from the
/// shared execution, kill or resource-control families).
#[cfg(test)]
pub(super) fn is_socket_own(name: &str) -> bool {
    socket::SOCKET.iter().any(|d| d.name.as_str() == name)
}
