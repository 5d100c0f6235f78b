//! The real systemd as an oracle: run `scripts/systemd-test-dump` on a root
//! and parse what `systemd --test` prints about every loaded unit.
//!
//! The dump is one block per unit:
//!
//! ```text
//! <TAB>-> Unit cron.service:
//! <TAB><TAB>Description: Regular background program processing daemon
//! <TAB><TAB>Requires: sysinit.target (origin-default)
//! <TAB><TAB>-> ExecStart:
//! <TAB><TAB><TAB>Command Line: /usr/sbin/cron -f $EXTRA_OPTS
//! ```
//!
//! Property lines (two tabs) become `props` in order; dependency lines
//! (a known dependency word followed by `(origin-… destination-…)`) become
//! `deps`; `-> ExecX:` blocks collect their `Command Line:`s.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The dependency words `systemd --test` prints (`unit_dependency_to_string`).
pub const DEP_WORDS: &[&str] = &[
    "Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds", "RequiredBy",
    "RequisiteOf", "WantedBy", "BoundBy", "UpheldBy", "ConsistsOf", "Conflicts",
    "ConflictedBy", "Before", "After", "OnSuccess", "OnSuccessOf", "OnFailure", "OnFailureOf",
    "Triggers", "TriggeredBy", "PropagatesReloadTo", "ReloadPropagatedFrom",
    "PropagatesStopTo", "StopPropagatedFrom", "JoinsNamespaceOf", "References",
    "ReferencedBy", "InSlice", "SliceOf",
];

#[derive(Debug, Default, Clone)]
pub struct UnitDump {
    pub props: Vec<(String, String)>,
    /// (dependency word, other unit, origin words)
    pub deps: BTreeSet<(String, String, String)>,
    /// (ExecStart/ExecStop/…, command lines in order)
    pub exec: Vec<(String, Vec<String>)>,
}

impl UnitDump {
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    pub fn props_named(&self, key: &str) -> Vec<&str> {
        self.props.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

pub fn parse_dump(text: &str) -> BTreeMap<String, UnitDump> {
    let mut out: BTreeMap<String, UnitDump> = BTreeMap::new();
    let mut cur: Option<String> = None;
    let mut exec: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("\t-> Unit ") {
            let name = rest.trim_end_matches(':').to_string();
            out.entry(name.clone()).or_default();
            cur = Some(name);
            exec = None;
            continue;
        }
        if line.starts_with("\t-> ") || !line.starts_with('\t') {
            cur = None;
            exec = None;
            continue;
        }
        let Some(unit) = cur.as_ref() else { continue };
        let d = out.get_mut(unit).expect("unit entry exists");
        if let Some(rest) = line.strip_prefix("\t\t\t") {
            if let (Some(phase), Some(cmd)) = (exec.as_ref(), rest.strip_prefix("Command Line: ")) {
                if let Some((p, cmds)) = d.exec.last_mut() {
                    if p == phase {
                        cmds.push(cmd.to_string());
                    }
                }
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("\t\t") else { continue };
        if let Some(phase) = rest.strip_prefix("-> ") {
            let phase = phase.trim_end_matches(':').to_string();
            if phase.starts_with("Exec") {
                d.exec.push((phase.clone(), Vec::new()));
                exec = Some(phase);
            } else {
                exec = None;
            }
            continue;
        }
        exec = None;
        let Some((key, value)) = rest.split_once(": ").or_else(|| rest.strip_suffix(':').map(|k| (k, ""))) else {
            continue;
        };
        if DEP_WORDS.contains(&key) {
            if let Some((other, origin)) = value.split_once(" (") {
                d.deps.insert((key.to_string(), other.to_string(), origin.trim_end_matches(')').to_string()));
                continue;
            }
        }
        d.props.push((key.to_string(), value.to_string()));
    }
    out
}

/// The repository's `scripts/` directory.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

/// Materialise the shared corpus as a root under `dest`.
pub fn corpus_root(dest: &Path) {
    let st = Command::new(scripts_dir().join("corpus-root"))
        .arg(dest)
        .status()
        .expect("run scripts/corpus-root");
    assert!(st.success(), "scripts/corpus-root failed");
}

/// Run the oracle on `root` for `units`; `None` when not root (the oracle
/// needs a private mount namespace).
pub fn systemd_dump(root: &Path, units: &[String]) -> Option<BTreeMap<String, UnitDump>> {
    let out = Command::new(scripts_dir().join("systemd-test-dump"))
        .arg(root)
        .args(units)
        .output()
        .expect("run scripts/systemd-test-dump");
    if out.status.code() == Some(77) {
        return None;
    }
    assert!(
        out.status.success(),
        "systemd-test-dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(parse_dump(&String::from_utf8_lossy(&out.stdout)))
}

