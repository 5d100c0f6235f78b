//! `[Scope]`-only settings (`systemd.scope(5)`). Scopes are created over
//! the bus, never from files, but their drop-ins use this section.

use super::words::OOM_POLICIES;
use super::{planned, Def};
use crate::directive::Kind as K;

pub(in crate::directive) const SCOPE: &[Def] = &[
    planned("RuntimeMaxSec", K::Seconds).property("RuntimeMaxUSec"),
    planned("RuntimeRandomizedExtraSec", K::Seconds).property("RuntimeRandomizedExtraUSec"),
    planned("TimeoutStopSec", K::Seconds).property("TimeoutStopUSec"),
    planned("OOMPolicy", K::Enum(OOM_POLICIES)),
];
