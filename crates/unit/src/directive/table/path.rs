//! `[Path]` (`systemd.path(5)`). The five watch settings feed one list: an
//! empty assignment of any clears them all. `Unit=` can be given once.
//! `DirectoryMode=` sets the mode of directories `MakeDirectory=` creates.

use super::{planned, Def};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const PATH: &[Def] = &[
    planned("PathExists", K::Path).shared(G::PathSpecs).property("Paths"),
    planned("PathExistsGlob", K::Path).shared(G::PathSpecs).property("Paths"),
    planned("PathChanged", K::Path).shared(G::PathSpecs).property("Paths"),
    planned("PathModified", K::Path).shared(G::PathSpecs).property("Paths"),
    planned("DirectoryNotEmpty", K::Path).shared(G::PathSpecs).property("Paths"),
    planned("Unit", K::Unit).first(),
    planned("MakeDirectory", K::Bool),
    planned("DirectoryMode", K::Mode).security(),
    planned("TriggerLimitIntervalSec", K::Seconds).property("TriggerLimitIntervalUSec"),
    planned("TriggerLimitBurst", K::Unsigned),
];
