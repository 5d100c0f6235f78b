//! `[Mount]`, `[Automount]` and `[Swap]` (`systemd.mount(5)`,
//! `systemd.automount(5)`, `systemd.swap(5)`): the type-specific part; the
//! execution, resource-control and kill families are added for `[Mount]`
//! and `[Swap]` by the layout.

use super::{planned, Def};
use crate::directive::Kind as K;

pub(in crate::directive) const MOUNT: &[Def] = &[
    // What= is a device node, a `LABEL=`/`UUID=` spec or a network share,
    // not necessarily a path.
    planned("What", K::String),
    planned("Where", K::Path),
    planned("Options", K::String),
    planned("Type", K::String),
    planned("TimeoutSec", K::Seconds).property("TimeoutUSec"),
    planned("DirectoryMode", K::Mode).security(),
    planned("SloppyOptions", K::Bool),
    planned("LazyUnmount", K::Bool),
    planned("ForceUnmount", K::Bool),
    planned("ReadWriteOnly", K::Bool),
];

pub(in crate::directive) const AUTOMOUNT: &[Def] = &[
    planned("Where", K::Path),
    planned("ExtraOptions", K::String),
    planned("DirectoryMode", K::Mode).security(),
    planned("TimeoutIdleSec", K::Seconds).property("TimeoutIdleUSec"),
];

pub(in crate::directive) const SWAP: &[Def] = &[
    planned("What", K::Path),
    // A signed priority, or empty for the kernel's default.
    planned("Priority", K::Int),
    planned("Options", K::String),
    planned("TimeoutSec", K::Seconds).property("TimeoutUSec"),
];
