//! [`UnitIndex::load`]: one unit's names, fragment, drop-ins and
//! dependency directories, put together the way `unit_load_fragment()`
//! and `unit_load_dropin()` do.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Severity, Span};
use crate::name::UnitName;
use crate::syntax::{self, ParsedFile, Sections};

use super::dropin::SearchNames;
use super::index::{UnitIndex, Unresolved};
use super::read::{truncate_at_fatal, Read};
use super::{sections_for, LoadState, LoadedSource};

/// The unit's id for a fragment: the fragment's file name, with the
/// requested instance filled in when the fragment is a template.
fn id_for(requested: &UnitName, fragment: &Path) -> Option<UnitName> {
    let base = UnitName::parse(fragment.file_name()?.to_str()?).ok()?;
    if base.is_template() && requested.is_instance() {
        base.with_instance(requested.instance()?).ok()
    } else {
        Some(base)
    }
}

impl UnitIndex {
    /// The unit's names as `load` orders them (id first, then the rest in
    /// byte order), and the fragment lookup result.
    fn names_and_fragment(
        &self,
        name: &UnitName,
    ) -> (Vec<UnitName>, super::index::Found<'_>) {
        let (found, mut names) = self.find_fragment(name);
        let id = match &found {
            Ok((p, _)) => id_for(name, p).unwrap_or_else(|| name.clone()),
            Err(_) => name.clone(),
        };
        names.retain(|n| n != &id);
        names.sort();
        names.insert(0, id);
        (names, found)
    }

    /// All names of the unit `name` resolves to, its id first.
    pub fn unit_names(&self, name: &UnitName) -> Vec<UnitName> {
        self.names_and_fragment(name).0
    }

    /// Find and read everything that makes up the unit `name`.
    pub fn load(&self, name: &UnitName) -> LoadedSource {
        let mut diags: Vec<Diagnostic> = Vec::new();
        let (names, found) = self.names_and_fragment(name);
        let id = names.first().cloned().unwrap_or_else(|| name.clone());
        for n in std::iter::once(name).chain(names.iter()) {
            if let Some(notes) = self.notes.get(n.as_str()) {
                for d in notes {
                    if !diags.contains(d) {
                        diags.push(d.clone());
                    }
                }
            }
        }
        let sections = sections_for(name.unit_type());

        let fragment = match found {
            Ok((p, _)) => Some(p.clone()),
            Err(Unresolved::Loop) => {
                let at = self.entry(name.as_str()).map(|e| e.path).unwrap_or_default();
                diags.push(Diagnostic::error(
                    Span::new(Arc::from(at.as_path()), 0, 0),
                    format!("Cannot load unit {name}: too many levels of symbolic links"),
                ));
                None
            }
            Err(_) => None,
        };

        let mut fragment = fragment;
        let (mut load_state, fragment_file) = match &fragment {
            None => (LoadState::NotFound, None),
            Some(p) => match self.read_file(p, name.unit_type(), &mut diags) {
                Read::Masked => (LoadState::Masked, None),
                // systemd fails before recording the fragment path and
                // setting the load state: not-found, no fragment.
                Read::Failed(d) => {
                    diags.push(d);
                    fragment = None;
                    (LoadState::NotFound, None)
                }
                Read::Refused(d) => {
                    diags.push(d);
                    (LoadState::Error, None)
                }
                Read::Parsed(f) => {
                    let st = if f.has_errors() { LoadState::Error } else { LoadState::Loaded };
                    (st, Some(f))
                }
            },
        };

        let mut dropin_paths = Vec::new();
        let mut dropins = Vec::new();
        let mut refused = false;
        let search = SearchNames::new(&names, id.unit_type());
        for found in self.collect(&search, ".d", Some(".conf"), &mut diags) {
            let file = match self.read_file(&Arc::from(found.path.as_path()), name.unit_type(), &mut diags) {
                Read::Parsed(mut f) => {
                    truncate_at_fatal(&mut f);
                    f
                }
                Read::Masked => empty(&found.path, sections),
                Read::Failed(mut d) => {
                    // systemd ignores drop-ins it cannot read.
                    d.severity = Severity::Warning;
                    d.message.push_str(", ignoring");
                    diags.push(d);
                    empty(&found.path, sections)
                }
                Read::Refused(d) => {
                    refused = true;
                    diags.push(d);
                    empty(&found.path, sections)
                }
            };
            dropin_paths.push(found.path);
            dropins.push(file);
        }
        if refused && load_state == LoadState::Loaded {
            load_state = LoadState::Error;
        }

        let wants = self.dir_dependencies(&id, &search, ".wants", &mut diags);
        let requires = self.dir_dependencies(&id, &search, ".requires", &mut diags);

        LoadedSource {
            name: id,
            names,
            fragment,
            fragment_file,
            dropin_paths,
            dropins,
            load_state,
            wants,
            requires,
            diagnostics: diags,
        }
    }
}

fn empty(path: &Path, sections: &[&str]) -> ParsedFile {
    syntax::parse(Arc::from(path), "", Sections::Only(sections))
}
