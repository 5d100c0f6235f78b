//! [`Name`]: a unit name shared by reference count, so that a list of
//! edges can be copied without copying its names.
//!
//! The daemon's edge index holds one copy of every name it knows and
//! hands out clones of it; a [`UnitInfo`](crate::transaction::UnitInfo)'s
//! edge list is made of such clones. A boot transaction asks for the
//! edges of every unit it touches; with a string per edge, each of 1000
//! services cost ~15 heap blocks that lived only as long as the
//! transaction, made while the units loaded, and left ~1 KB of holes per
//! unit in the manager's heap afterwards (holes between live blocks that
//! `malloc_trim(3)` cannot give back).

use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A unit name, one pointer wide: an edge `(Dep, Name)` is 16 bytes (a
/// `Rc<str>` is two words: 24). Hashes and compares as the name itself,
/// so maps keyed by it are looked up by `&str`.
#[derive(Clone)]
pub struct Name(Rc<Box<str>>);

impl Name {
    /// A new name, its only copy.
    pub fn new(s: &str) -> Name {
        Name(Rc::new(s.into()))
    }

    /// Whether `self` and `other` are clones of one name.
    pub fn same(&self, other: &Name) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Whether nothing else holds this name.
    pub fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Hash for Name {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (**self.0).hash(h)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.same(other) || *self.0 == *other.0
    }
}

impl Eq for Name {}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
