//! Units as the manager sees them: files found by [`crate::load`], every
//! assignment parsed by the directive table's [`Kind`] and merged into
//! [`Settings`], dependencies (explicit, implicit and default) computed.
//!
//! [`Loader`] owns what is shared by all units of one manager — the index
//! of the search path, the host facts for specifiers, the scope — and
//! turns a name into a [`UnitConfig`]. Loading never fails as a whole:
//! every problem becomes a [`Diagnostic`] with file:line, the way systemd
//! logs and carries on, and the unit's [`LoadState`] says whether it can be
//! used:
//!
//! - an unknown key: "Unknown key 'Foo' in section [Unit], ignoring."
//!   (`X-` keys are silently kept out);
//! - a value that does not parse: the assignment is skipped with a
//!   warning, except where systemd refuses the unit (a command line
//!   without `-` whose executable is not absolute…), which makes the unit
//!   `bad-setting`;
//! - a directive systemd knows but vigil does not act on yet
//!   ([`Support::Planned`]) is applied and kept like any other, and listed
//!   in [`UnitConfig::unsupported`] so that `verify`, `status` and the
//!   load-time journal message can say so — never silently dropped.
//!
//! Once all files are applied, [`checks`] runs the consistency checks
//! systemd makes after loading ("Service has no ExecStart=, ExecStop=, or
//! SuccessAction=. Refusing."), which can turn the unit `bad-setting`.
//!
//! `TimeoutSec=` is the one directive that sets two others
//! (`systemd.service(5)`: "a shorthand for configuring both
//! TimeoutStartSec= and TimeoutStopSec="); it is expanded here.

pub mod builtin;
pub mod checks;
pub mod deps;
pub mod graph;
pub mod service;
pub mod show;
mod settings;

/// A unit file written under a fresh temporary root and loaded as the
/// system manager would (unit tests of this module's parts); `tag` keeps
/// the roots of tests running at once apart.
#[cfg(test)]
pub(crate) fn load_for_test(tag: &str, name: &str, text: &str) -> UnitConfig {
    let root = std::env::temp_dir().join(format!("vigil-{tag}-{}-{name}", std::process::id()));
    let dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    let loader = Loader::new(crate::paths::LookupPaths::system(&root), crate::specifier::Host::default());
    let cfg = loader.load(&crate::UnitName::parse(name).unwrap());
    let _ = std::fs::remove_dir_all(&root);
    cfg
}

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use settings::{Applied, Assignment, Settings};

use crate::diag::{Diagnostic, Severity, Span};
use crate::few::Few;
use crate::directive::{self, Directive, SectionKind, Support};
use crate::load::{LoadOptions, LoadState, LoadedSource, UnitIndex};
use crate::name::UnitName;
use crate::paths::LookupPaths;
use crate::specifier::{self, Context, Host};
use crate::syntax::ParsedFile;
use crate::value::{self, Value, ValueError};

/// One unit, fully read.
#[derive(Clone, Debug)]
pub struct UnitConfig {
    /// The unit's id (the fragment's name).
    pub id: UnitName,
    /// Its other names (aliases), in the loader's order; the id is not
    /// repeated: [`UnitConfig::names`] lists them all, the id first. (A
    /// list of all names was a vector and a copy of the id in every
    /// unit, which has no alias most of the time: 64 bytes of heap each.)
    pub aliases: Few<UnitName>,
    pub load_state: LoadState,
    /// The fragment's path: the `Arc` its parsed file and every span of
    /// its assignments hold, not a copy of its own.
    pub fragment: Option<Arc<Path>>,
    // The lists below are empty for the common unit, which the manager
    // keeps for its life: [`Few`]s, one word each while empty.
    pub dropin_paths: Few<PathBuf>,
    pub settings: Settings,
    /// The names linked from its `.wants/` and `.requires/` directories
    /// (the links themselves are the loader's business, in
    /// [`LoadedSource`]: a target every service is wanted by kept a path
    /// per service).
    pub dir_wants: Few<UnitName>,
    pub dir_requires: Few<UnitName>,
    /// Directives used by this unit that vigil does not act on yet, with
    /// where they were set.
    pub unsupported: Few<(&'static Directive, Span)>,
    /// Everything worth saying about the unit's files, in file order.
    pub diagnostics: Few<Diagnostic>,
    /// What the load-time consistency checks ([`checks`]) found about the
    /// unit as a whole, printed as "unit: message".
    pub checks: Few<checks::Check>,
    /// systemd's errno text when the unit is in the `error` load state
    /// because a check failed before verification ("Invalid argument").
    pub load_error: Option<&'static str>,
    /// One of the manager's perpetual units (`-.slice`, `system.slice`),
    /// which exist without a file and have no default dependencies.
    pub perpetual: bool,
}

impl UnitConfig {
    /// All names, the id first.
    pub fn names(&self) -> impl Iterator<Item = &UnitName> + Clone {
        std::iter::once(&self.id).chain(self.aliases.iter())
    }

    /// The value of a single-valued directive, if set.
    pub fn value(&self, section: SectionKind, name: &str) -> Option<&Value> {
        self.settings.value(section, name)
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// A boolean directive, or its default.
    pub fn bool_or(&self, section: SectionKind, name: &str, default: bool) -> bool {
        match self.value(section, name) {
            Some(Value::Bool(b)) => *b,
            _ => default,
        }
    }

    /// A string-like directive (`Kind::String`, `Unit`, `Path`, `Raw`).
    pub fn string(&self, section: SectionKind, name: &str) -> Option<&str> {
        match self.value(section, name) {
            Some(Value::String(s)) => Some(s),
            Some(Value::Enum(s)) => Some(s),
            _ => None,
        }
    }

    /// All words of a list directive (`Kind::Strings`, `Units`), in order.
    pub fn strings(&self, section: SectionKind, name: &str) -> Vec<&str> {
        self.settings
            .get(section, name)
            .iter()
            .flat_map(|a| match &a.value {
                Value::Strings(v) => v.iter().map(String::as_str).collect::<Vec<_>>(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Loads units for one manager.
pub struct Loader {
    pub lookup: LookupPaths,
    pub index: UnitIndex,
    pub host: Host,
    /// Supply [`builtin`] targets missing from the root (the manager does;
    /// `verify` must not, to match `systemd-analyze verify`).
    pub builtin_targets: bool,
    /// Modification times of the search directories when the index was
    /// built, to tell whether it is out of date.
    stamp: Vec<Option<std::time::SystemTime>>,
}

fn dir_stamp(lookup: &LookupPaths) -> Vec<Option<std::time::SystemTime>> {
    lookup
        .dirs
        .iter()
        .map(|d| std::fs::metadata(lookup.on_disk(&d.path)).and_then(|m| m.modified()).ok())
        .collect()
}

impl Loader {
    pub fn new(lookup: LookupPaths, host: Host) -> Loader {
        let stamp = dir_stamp(&lookup);
        let index = UnitIndex::build(&lookup);
        Loader { lookup, index, host, builtin_targets: false, stamp }
    }

    pub fn with_options(lookup: LookupPaths, host: Host, options: LoadOptions) -> Loader {
        let stamp = dir_stamp(&lookup);
        let index = UnitIndex::build_with(&lookup, options);
        Loader { lookup, index, host, builtin_targets: false, stamp }
    }

    /// Re-scan the search path (`daemon-reload`).
    pub fn reindex(&mut self) {
        self.stamp = dir_stamp(&self.lookup);
        self.index = UnitIndex::build_with(&self.lookup, self.index.options());
    }

    /// Whether a search directory changed (a file added, removed or
    /// renamed) since the index was built.
    pub fn index_stale(&self) -> bool {
        dir_stamp(&self.lookup) != self.stamp
    }

    pub fn load(&self, name: &UnitName) -> UnitConfig {
        let mut src = self.index.load(name);
        if src.load_state == LoadState::NotFound && self.builtin_targets {
            if let Some(text) = builtin::builtin_unit(name.as_str()) {
                let path: Arc<std::path::Path> = Arc::from(std::path::Path::new("/builtin").join(name.as_str()));
                src.fragment_file = Some(crate::syntax::parse(
                    path.clone(),
                    text,
                    crate::syntax::Sections::Only(name.unit_type().section_names()),
                ));
                src.fragment = Some(path);
                src.load_state = LoadState::Loaded;
                src.diagnostics.clear();
            }
        }
        let mut cfg = self.assemble(src);
        // Kept for the manager's life: no room for growth.
        cfg.settings.shrink_to_fit();
        cfg
    }

    fn assemble(&self, src: LoadedSource) -> UnitConfig {
        let mut cfg = UnitConfig {
            id: src.name.clone(),
            aliases: src.names.iter().skip(1).cloned().collect(),
            load_state: src.load_state,
            // The index's path, which the parsed fragment's spans share.
            fragment: src.fragment.clone(),
            dropin_paths: src.dropin_paths.iter().cloned().collect(),
            settings: Settings::default(),
            dir_wants: src.wants.iter().map(|w| w.name.clone()).collect(),
            dir_requires: src.requires.iter().map(|r| r.name.clone()).collect(),
            unsupported: Few::new(),
            diagnostics: src.all_diagnostics().cloned().collect(),
            checks: Few::new(),
            load_error: None,
            perpetual: false,
        };
        // Slices and devices need no file (systemd loads them with the
        // fragment optional); the root and system slices are the manager's
        // own.
        if cfg.load_state == LoadState::NotFound
            && matches!(cfg.id.unit_type(), crate::UnitType::Slice | crate::UnitType::Device)
        {
            cfg.load_state = LoadState::Loaded;
            cfg.perpetual = deps::is_perpetual(cfg.id.as_str(), self.lookup.scope);
        }
        if cfg.load_state != LoadState::Loaded {
            return cfg;
        }
        let fragment = src.fragment.as_deref();
        let files = src.fragment_file.iter().chain(src.dropins.iter());
        for file in files {
            self.apply_file(&mut cfg, file, fragment);
        }
        checks::run(&mut cfg);
        cfg
    }

    fn apply_file(&self, cfg: &mut UnitConfig, file: &ParsedFile, fragment: Option<&Path>) {
        let id = cfg.id.clone();
        let ctx = Context { unit: &id, fragment, scope: self.lookup.scope, host: &self.host };
        for section in &file.sections {
            let Some(kind) = SectionKind::from_name(&section.name) else {
                // `X-` sections: kept by the parser for tools, nothing to apply.
                continue;
            };
            for entry in &section.entries {
                apply_entry(cfg, kind, &entry.key, &entry.value, &entry.span, &ctx);
            }
        }
    }
}

fn apply_entry(cfg: &mut UnitConfig, section: SectionKind, key: &str, raw: &str, span: &Span, ctx: &Context<'_>) {
    let Some(d) = directive::lookup(section, key) else {
        if !key.starts_with("X-") {
            cfg.diagnostics.push(Diagnostic::warning(
                span.clone(),
                format!("Unknown key '{key}' in section [{}], ignoring.", section.name()),
            ));
        }
        return;
    };
    if let Support::Obsolete { message } = d.support {
        cfg.diagnostics.push(Diagnostic::warning(span.clone(), message));
        return;
    }
    if let Some(msg) = d.deprecated {
        cfg.diagnostics.push(Diagnostic::warning(span.clone(), msg));
    }
    let d = d.canonical();
    let mut expand = |s: &str| specifier::expand(s, ctx).map_err(|e| e.to_string());
    let mut warnings: Vec<ValueError> = Vec::new();
    let parsed = value::parse_with_warnings(d.kind, raw, &mut expand, &mut warnings);
    for w in warnings {
        cfg.diagnostics.push(Diagnostic::warning(span.clone(), format!("{key}=: {w}")));
    }
    let v = match parsed {
        Ok(v) => v,
        Err(e) if e.is_fatal() => {
            // systemd logs the reason alone ("Neither a valid executable name…").
            cfg.diagnostics.push(Diagnostic::error(span.clone(), e.to_string()));
            cfg.load_state = LoadState::BadSetting;
            return;
        }
        Err(e) => {
            cfg.diagnostics
                .push(Diagnostic::warning(span.clone(), format!("Failed to parse {key}= value, ignoring: {raw} ({e})")));
            return;
        }
    };
    if d.support == Support::Planned && !matches!(v, Value::Empty) {
        cfg.unsupported.push((d, span.clone()));
    }
    // systemd.service(5): TimeoutSec= sets TimeoutStartSec= and TimeoutStopSec=.
    if d.section == SectionKind::Service && d.name == "TimeoutSec" {
        for target in ["TimeoutStartSec", "TimeoutStopSec"] {
            if let Some(t) = directive::lookup(SectionKind::Service, target) {
                cfg.settings.apply(t, v.clone(), span.clone());
            }
        }
        return;
    }
    if cfg.settings.apply(d, v, span.clone()) == Applied::IgnoredAlreadySet {
        cfg.diagnostics.push(Diagnostic::warning(
            span.clone(),
            format!("{key}= was already set, ignoring this assignment."),
        ));
    }
}
