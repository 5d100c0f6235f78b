//! The Debian corpus, loaded unit by unit and compared with systemd 252:
//! the index against `systemd-analyze unit-files`, every unit's id,
//! names, load state, fragment, drop-ins and file-originated Wants=
//! against `systemd --test`, for the system and the user search path.

mod load_support;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use load_support::*;
use unit::load::{EntryKind, LoadState, LoadedSource, UnitIndex};
use unit::paths::{LookupPaths, UserEnv};
use unit::{Severity, UnitName};

#[test]
fn corpus_matches_systemd() {
    let tmp = TempDir::new("corpus");
    let root = tmp.path().join("root");
    corpus_root(&root);
    let copy = tmp.path().join("oracle");
    oracle_root(&root, &copy);

    let lookup = LookupPaths::system(&root);
    let (index, loaded) = compare_scope(tmp.path(), &copy, &lookup, false);
    // systemd-analyze unit-files counts 222 names in the system search path.
    assert!(index.len() >= 200, "corpus has {} names", index.len());
    assert!(!index.options().check_ownership, "a --root tree is not ownership-checked by default");

    // A few facts known independently of the oracle.
    let get = |n: &str| &loaded.iter().find(|(x, _)| x.as_str() == n).unwrap().1;
    let sshd = get("sshd.service");
    assert_eq!(sshd.name.as_str(), "ssh.service");
    assert_eq!(
        sshd.fragment.as_deref(),
        Some(std::path::Path::new("/lib/systemd/system/ssh.service"))
    );
    let names: Vec<&str> = sshd.names.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["ssh.service", "sshd.service"]);
    assert_eq!(get("cryptdisks.service").load_state, LoadState::Masked);
    let user = get("user@.service");
    assert_eq!(
        user.dropin_paths,
        [std::path::PathBuf::from("/usr/lib/systemd/system/user@.service.d/10-login-barrier.conf")]
    );
    assert_eq!(user.dropins.len(), 1);
    assert!(user.dropins[0].entries("Unit").next().is_some());
    let mu = get("multi-user.target");
    assert!(mu.wants.iter().any(|d| d.name.as_str() == "ssh.service"), "{:?}", mu.wants);
}

#[test]
fn corpus_user_units_match_systemd() {
    let tmp = TempDir::new("corpus-user");
    let root = tmp.path().join("root");
    corpus_root(&root);
    let copy = tmp.path().join("oracle");
    oracle_root(&root, &copy);
    let env = UserEnv { home: "/home/u".into(), ..UserEnv::default() };
    let lookup = LookupPaths::user(&root, &env);
    let (index, loaded) = compare_scope(tmp.path(), &copy, &lookup, true);
    assert!(index.len() >= 30, "corpus has {} user names", index.len());
    let gpg = &loaded.iter().find(|(n, _)| n.as_str() == "gpg-agent.socket").unwrap().1;
    assert_eq!(gpg.fragment.as_deref(), Some(Path::new("/usr/lib/systemd/user/gpg-agent.socket")));
}

/// Index and load every name of `lookup` and compare with the oracle;
/// returns the index and every (name, load result).
fn compare_scope(
    scratch: &Path,
    copy: &Path,
    lookup: &LookupPaths,
    user: bool,
) -> (UnitIndex, Vec<(UnitName, LoadedSource)>) {
    let tag = if user { "user" } else { "system" };
    let t = Instant::now();
    let index = UnitIndex::build(lookup);
    eprintln!("corpus/{tag}: indexed {} unit names in {:?}", index.len(), t.elapsed());
    assert_eq!(index.diagnostics().count(), 0, "{:?}", index.diagnostics().collect::<Vec<_>>());

    // The index against systemd's own name maps.
    let dirs = oracle_dirs(lookup, copy);
    let maps = analyze_unit_files(&dirs);
    let entries = index.list();
    let ours: HashMap<&str, String> = entries
        .iter()
        .map(|e| {
            let v = match e.kind {
                EntryKind::Alias(to) => to.to_string(),
                EntryKind::File | EntryKind::Linked => e.path.display().to_string(),
            };
            (e.name, v)
        })
        .collect();
    let theirs: HashMap<&str, String> =
        maps.ids.iter().map(|(k, v)| (k.as_str(), in_root(copy, v))).collect();
    assert_eq!(ours, theirs, "ids map differs from systemd-analyze unit-files");
    for (k, v) in &maps.aliases {
        let got: BTreeSet<String> = index.aliases_of(k).iter().map(|s| s.to_string()).collect();
        assert_eq!(&got, v, "aliases of {k}");
    }

    let t = Instant::now();
    let mut loaded = Vec::new();
    for e in &entries {
        let name = UnitName::parse(e.name).unwrap();
        let src = index.load(&name);
        loaded.push((name, src));
    }
    eprintln!("corpus/{tag}: loaded {} units in {:?}", loaded.len(), t.elapsed());

    let mut warnings = 0;
    for (name, src) in &loaded {
        let errors: Vec<_> =
            src.all_diagnostics().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        warnings += src.all_diagnostics().count();
        assert_ne!(src.load_state, LoadState::Error, "{name}");
    }
    eprintln!("corpus/{tag}: {warnings} warnings/notices");

    // Templates cannot be loaded by the manager: ask for an instance, and
    // check that the template itself has the same fragment and drop-ins
    // (the corpus has no directory specific to that instance).
    let mut requests: Vec<(String, usize)> = Vec::new(); // (name to ask, index in loaded)
    let mut instances = Vec::new();
    for (i, (name, src)) in loaded.iter().enumerate() {
        if name.is_template() {
            let inst = name.with_instance("vigiloracle").unwrap();
            let isrc = index.load(&inst);
            assert_eq!(isrc.fragment, src.fragment, "{name}");
            assert_eq!(isrc.dropin_paths, src.dropin_paths, "{name}");
            instances.push((inst, isrc));
        } else {
            requests.push((name.to_string(), i));
        }
    }
    let mut by_unit: HashMap<String, Vec<(String, unit::load::LoadedSource)>> = HashMap::new();
    for (name, i) in &requests {
        let src = loaded[*i].1.clone();
        by_unit.entry(src.name.to_string()).or_default().push((name.clone(), src));
    }
    for (inst, isrc) in instances {
        by_unit.entry(isrc.name.to_string()).or_default().push((inst.to_string(), isrc));
    }
    let rounds = by_unit.values().map(|v| v.len()).max().unwrap_or(0);
    let mut compared = 0;
    for r in 0..rounds {
        let batch: Vec<&(String, unit::load::LoadedSource)> =
            by_unit.values().filter_map(|v| v.get(r)).collect();
        let names: Vec<String> = batch.iter().map(|(n, _)| n.clone()).collect();
        let dump = manager_dump_scope(scratch, &dirs, &names, user);
        for (name, src) in batch {
            let u = find_unit(&dump, name).unwrap_or_else(|| panic!("oracle lost {name}"));
            assert_eq!(src.name.as_str(), u.id, "id of {name}");
            let ours: BTreeSet<String> = src.names.iter().map(|n| n.to_string()).collect();
            assert_eq!(ours, u.names(), "names of {name}");
            assert_eq!(src.load_state.as_str(), u.load_state, "load state of {name}");
            let frag = u.fragment.as_deref().map(|f| in_root(copy, f));
            assert_eq!(
                src.fragment.as_ref().map(|p| p.display().to_string()),
                frag,
                "fragment of {name}"
            );
            let dropins: Vec<String> = u.dropins.iter().map(|d| in_root(copy, d)).collect();
            let ours: Vec<String> =
                src.dropin_paths.iter().map(|p| p.display().to_string()).collect();
            assert_eq!(ours, dropins, "drop-ins of {name}");
            // The manager's file-originated Wants= are those of the
            // `.wants/` directories plus the Wants= lines, all by unit id.
            let canon = |n: &str| match UnitName::parse(n) {
                Ok(n) => index.unit_names(&n)[0].to_string(),
                Err(_) => n.to_string(),
            };
            let mut want: BTreeSet<String> =
                src.wants.iter().map(|d| canon(d.name.as_str())).collect();
            for f in src.fragment_file.iter().chain(src.dropins.iter()) {
                // `Sockets=` of a service implies Wants= on them.
                let lines = f
                    .entries("Unit")
                    .filter(|e| e.key == "Wants")
                    .chain(f.entries("Service").filter(|e| e.key == "Sockets"));
                for e in lines {
                    // The corpus only uses %i in these lines.
                    let inst = src.name.instance().unwrap_or("");
                    let v = e.value.replace("%i", inst);
                    want.extend(v.split_whitespace().map(canon));
                }
            }
            let mut got: BTreeSet<String> = u.file_deps("Wants").into_iter().collect();
            // PrivateTmp= adds Wants=tmp.mount, also marked as from the file.
            if !want.contains("tmp.mount") {
                got.remove("tmp.mount");
            }
            assert_eq!(want, got, "Wants of {name}");
            compared += 1;
        }
    }
    eprintln!("corpus/{tag}: {compared} names compared with systemd --test in {rounds} runs");
    assert_eq!(compared, entries.len());
    (index, loaded)
}
