//! `[Install]`: how `systemctl enable` wires a unit in
//! (`systemd.unit(5)`, "[Install] Section Options").
//!
//! The manager never reads this section; only the install logic does, so
//! systemd exposes none of it over D-Bus (the `WantedBy` *property* is the
//! reverse of `Wants=`, a different thing). `WantedBy=`, `RequiredBy=` and
//! `Alias=` are cleared by an empty assignment; `Also=` is not — verified
//! with `systemctl --root=DIR enable` on a unit assigning each twice
//! around an empty value.

use super::{implemented, Def};
use crate::directive::Kind as K;

pub(in crate::directive) const INSTALL: &[Def] = &[
    implemented("Alias", K::Units).list().no_property(),
    implemented("WantedBy", K::Units).list().no_property(),
    implemented("RequiredBy", K::Units).list().no_property(),
    implemented("Also", K::Units).no_reset().no_property(),
    implemented("DefaultInstance", K::String).no_property(),
];
