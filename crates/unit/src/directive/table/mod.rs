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
//! table is built; `removed!("NetClass")` entries carry systemd's
//! "Support for option NetClass= has been removed and it is ignored".

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
#[derive(Clone, Copy, Debug)]
pub(super) struct Def {
    name: &'static str,
    kind: Kind,
    merge: Merge,
    support: Support,
    security: bool,
    property: &'static str,
    deprecated: Option<&'static str>,
}

const fn def(name: &'static str, kind: Kind, support: Support) -> Def {
    Def {
        name,
        kind,
        merge: Merge::Override,
        support,
        security: false,
        property: name,
        deprecated: None,
    }
}

/// A directive vigil acts on.
const fn implemented(name: &'static str, kind: Kind) -> Def {
    def(name, kind, Support::Implemented)
}

/// A directive vigil parses and keeps but does not act on yet.
const fn planned(name: &'static str, kind: Kind) -> Def {
    def(name, kind, Support::Planned)
}

/// An old spelling of `of` in the same section. Kind, merge rule,
/// security flag and property are copied from the target when the table
/// is built, so they cannot drift apart.
const fn alias(name: &'static str, of: &'static str) -> Def {
    def(name, Kind::Raw, Support::Alias { of, section: None })
}

/// An old spelling of `of` in another section (`[Service]
/// StartLimitBurst=` is `[Unit] StartLimitBurst=`).
const fn alias_in(name: &'static str, section: SectionKind, of: &'static str) -> Def {
    def(name, Kind::Raw, Support::Alias { of, section: Some(section) })
}

/// A directive systemd 252 still recognises only to say it is ignored.
/// The message is the one `config_parse_warn_compat()` logs for legacy
/// options.
macro_rules! removed {
    ($name:literal) => {
        $crate::directive::table::removed_def(
            $name,
            concat!("Support for option ", $name, "= has been removed and it is ignored"),
        )
    };
}
use removed;

const fn removed_def(name: &'static str, message: &'static str) -> Def {
    let mut d = def(name, Kind::Raw, Support::Obsolete { message });
    d.property = "";
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
        self.property = property;
        self
    }

    /// systemd exposes no D-Bus property for this directive.
    const fn no_property(mut self) -> Def {
        self.property = "";
        self
    }

    /// systemd logs `message` whenever the directive is used.
    const fn deprecated(mut self, message: &'static str) -> Def {
        self.deprecated = Some(message);
        self
    }

    fn place(&self, section: SectionKind) -> Directive {
        Directive {
            name: self.name,
            section,
            kind: self.kind,
            merge: self.merge,
            support: self.support,
            security: self.security,
            property: self.property,
            deprecated: self.deprecated,
        }
    }
}

/// Which families each section is made of, in the order systemd lists
/// them. `[Target]` and `[Device]` have none.
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
    let same = |a: &[Def], b: &[Def]| a.len() == b.len() && a.first().map(|d| d.name) == b.first().map(|d| d.name);
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
    socket::SOCKET.iter().any(|d| d.name == name)
}
