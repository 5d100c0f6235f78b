//! Differential test of the whole unit-language stack against the real
//! systemd 252: every service and socket unit of the Debian corpus is loaded
//! by `systemd --test` (scripts/systemd-test-dump) and by our
//! `config::Graph`, and the results must agree on dependencies (explicit,
//! implicit and default, with their origins) and on the parsed fields.
//!
//! Edges whose only origins come from the host's live state — mount points
//! (`origin-mountinfo`, `origin-path`, `origin-mount-file`), udev and
//! `/proc/swaps` — are left out: they describe the machine the oracle ran
//! on, not the unit files. Mount units themselves exist only from the
//! host's mount table, so they are not compared either.

mod oracle;

use std::collections::BTreeSet;
use std::path::Path;

use oracle::*;
use unit::config::graph::Graph;
use unit::config::Loader;
use unit::paths::LookupPaths;
use unit::specifier::Host;
use unit::{Scope, UnitName};

const HOST_ORIGINS: &[&str] = &["udev", "path", "mountinfo", "mount-file", "proc-swap"];

fn keep_word(w: &str) -> bool {
    let what = w.split_once('-').map(|(_, x)| x).unwrap_or(w);
    !HOST_ORIGINS.contains(&what)
}

/// Units that only exist from the host's live state (mount table,
/// perpetual scopes, devices, swaps) are not unit-file behaviour.
fn compared_unit(name: &str) -> bool {
    ![".mount", ".automount", ".scope", ".device", ".swap"].iter().any(|s| name.ends_with(s))
}

fn compared_edge(kind: &str, other: &str) -> bool {
    kind != "References" && kind != "ReferencedBy" && other != "vigil-oracle.target" && compared_unit(other)
}

fn corpus_units(root: &Path) -> Vec<String> {
    let dir = root.join("usr/lib/systemd/system");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus unit dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| (n.ends_with(".service") || n.ends_with(".socket")) && !n.contains("@."))
        .collect();
    v.sort();
    v
}

fn tmp(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn corpus_dependencies_match_systemd() {
    let root = tmp("parse-oracle");
    corpus_root(&root);
    let units = corpus_units(&root);
    assert!(units.len() > 50, "corpus has {} service/socket units", units.len());
    let Some(dump) = systemd_dump(&root, &units) else {
        panic!("the systemd oracle needs root (a private mount namespace); CI runs as root");
    };

    let host = Host::detect(&root, Scope::System, 0, 0);
    let loader = Loader::new(LookupPaths::system(&root), host);
    let roots: Vec<UnitName> = units.iter().map(|u| UnitName::parse(u).unwrap()).collect();
    let graph = Graph::load_closure(&loader, &roots);

    // Compare the units the unit files themselves lead to: those reachable
    // from the oracle target through edges that do not come from the
    // host's live state.
    let mut reachable = BTreeSet::new();
    let mut todo = vec!["vigil-oracle.target".to_string()];
    while let Some(u) = todo.pop() {
        if !reachable.insert(u.clone()) {
            continue;
        }
        if let Some(d) = dump.get(&u) {
            for (k, other, origins) in &d.deps {
                if k != "ReferencedBy" && compared_unit(other) && origins.split(' ').any(|w| w.starts_with("origin-") && keep_word(w)) {
                    todo.push(other.clone());
                }
            }
        }
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, d) in &dump {
        if !compared_unit(name) || name == "vigil-oracle.target" || !reachable.contains(name) {
            continue;
        }
        let theirs: BTreeSet<String> = d
            .deps
            .iter()
            .filter(|(k, other, _)| compared_edge(k, other) && reachable.contains(other))
            .filter_map(|(k, other, origins)| {
                let words: Vec<&str> = origins.split(' ').filter(|w| keep_word(w)).collect();
                (!words.is_empty()).then(|| format!("{k}: {other} ({})", words.join(" ")))
            })
            .collect();
        let ours: BTreeSet<String> = graph
            .edges_of(name)
            .into_iter()
            .filter(|((k, other), _)| compared_edge(k, other) && reachable.contains(other))
            .map(|((k, other), words)| format!("{k}: {other} ({})", words.join(" ")))
            .collect();
        compared += 1;
        if theirs != ours {
            let missing: Vec<_> = theirs.difference(&ours).collect();
            let extra: Vec<_> = ours.difference(&theirs).collect();
            failures.push(format!("{name}:\n  missing {missing:?}\n  extra   {extra:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(compared > 100, "only {compared} units compared");
    assert!(failures.is_empty(), "{} of {compared} units differ:\n{}", failures.len(), failures.join("\n"));
}
#[test]
fn parse_dump_sample() {
    let text = "-> By units:\n\t-> Unit a.service:\n\t\tDescription: A thing\n\t\tRequires: sysinit.target (origin-default)\n\t\tAfter: b.service (origin-file destination-implicit)\n\t\tType: simple\n\t\t-> ExecStart:\n\t\t\tCommand Line: /bin/a \"x y\"\n\t\t\tCommand Line: /bin/b\n\t\tCapabilityBoundingSet: \n\t-> Unit b.service:\n\t\tDescription: B\n";
    let d = parse_dump(text);
    let a = &d["a.service"];
    assert_eq!(a.prop("Type"), Some("simple"));
    assert_eq!(a.prop("CapabilityBoundingSet"), Some(""));
    assert!(a.deps.contains(&("After".into(), "b.service".into(), "origin-file destination-implicit".into())));
    assert_eq!(a.exec, vec![("ExecStart".to_string(), vec!["/bin/a \"x y\"".to_string(), "/bin/b".to_string()])]);
    assert_eq!(d["b.service"].prop("Description"), Some("B"));
}

/// What `systemd --test` prints for a service's settings, built from our
/// `ServiceView` in the same words and formats.
fn our_service_fields(cfg: &unit::config::UnitConfig) -> Vec<(String, String)> {
    use unit::config::service::{quote_command_line, ServiceView, EXEC_PHASES};
    use unit::value::time::format_timespan;
    let s = ServiceView::new(cfg);
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    let ts = |u: unit::value::Usec| format_timespan(u.0, 1);
    let mut f = vec![
        ("Type".to_string(), s.service_type().to_string()),
        ("Restart".into(), s.restart().to_string()),
        ("RestartSec".into(), ts(s.restart_sec())),
        ("TimeoutStartSec".into(), ts(s.timeout_start())),
        ("TimeoutStopSec".into(), ts(s.timeout_stop())),
        ("RuntimeMaxSec".into(), ts(s.runtime_max())),
        ("WatchdogSec".into(), ts(s.watchdog())),
        ("RemainAfterExit".into(), yn(s.remain_after_exit())),
        ("GuessMainPID".into(), yn(s.guess_main_pid())),
        ("NotifyAccess".into(), s.notify_access().to_string()),
        ("KillMode".into(), s.kill_mode().to_string()),
        ("KillSignal".into(), unit::value::signal::name_of(s.signal("KillSignal", 15))),
    ];
    if let Some(p) = s.pid_file() {
        f.push(("PIDFile".into(), p.to_string()));
    }
    if let Some(u) = s.user() {
        f.push(("User".into(), u.to_string()));
    }
    if let Some(g) = s.group() {
        f.push(("Group".into(), g.to_string()));
    }
    for (k, v) in s.environment() {
        f.push(("Environment".into(), format!("{k}={v}")));
    }
    for (p, optional) in s.environment_files() {
        f.push(("EnvironmentFile".into(), format!("{}{p}", if optional { "-" } else { "" })));
    }
    for phase in EXEC_PHASES {
        for c in s.exec(phase) {
            f.push((phase.to_string(), quote_command_line(&c.argv.to_vec())));
        }
    }
    f
}

fn their_service_fields(d: &UnitDump) -> Vec<(String, String)> {
    const KEYS: &[&str] = &[
        "Type", "Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec", "RuntimeMaxSec", "WatchdogSec",
        "RemainAfterExit", "GuessMainPID", "NotifyAccess", "KillMode", "KillSignal", "PIDFile", "User", "Group",
        "Environment", "EnvironmentFile",
    ];
    let mut f: Vec<(String, String)> = Vec::new();
    for k in KEYS {
        for v in d.props_named(k) {
            f.push((k.to_string(), v.to_string()));
        }
    }
    for (phase, cmds) in &d.exec {
        for c in cmds {
            f.push((phase.clone(), c.clone()));
        }
    }
    f
}

#[test]
fn corpus_service_settings_match_systemd() {
    let root = tmp("parse-oracle-fields");
    corpus_root(&root);
    let units: Vec<String> = corpus_units(&root).into_iter().filter(|u| u.ends_with(".service")).collect();
    let Some(dump) = systemd_dump(&root, &units) else {
        panic!("the systemd oracle needs root (a private mount namespace); CI runs as root");
    };
    let host = Host::detect(&root, Scope::System, 0, 0);
    let loader = Loader::new(LookupPaths::system(&root), host);
    let mut failures = Vec::new();
    let mut compared = 0;
    for u in &units {
        let cfg = loader.load(&UnitName::parse(u).unwrap());
        let Some(d) = dump.get(cfg.id.as_str()) else { continue };
        if d.prop("Unit Load State") != Some("loaded") {
            continue;
        }
        compared += 1;
        let mut ours = our_service_fields(&cfg);
        let mut theirs = their_service_fields(d);
        ours.sort();
        theirs.sort();
        if ours != theirs {
            let o: BTreeSet<_> = ours.iter().collect();
            let t: BTreeSet<_> = theirs.iter().collect();
            failures.push(format!(
                "{u}:\n  systemd only {:?}\n  vigil only   {:?}",
                t.difference(&o).collect::<Vec<_>>(),
                o.difference(&t).collect::<Vec<_>>()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(compared > 60, "only {compared} services compared");
    assert!(failures.is_empty(), "{} of {compared} services differ:\n{}", failures.len(), failures.join("\n"));
}
