//! The unit-file stack on real and hostile input: every corpus unit loads
//! with zero errors; arbitrary bytes and mutated corpus files never panic
//! the parser or the directive layer, and every finding names a file and a
//! line; a broken line costs only that line.

mod oracle;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use unit::config::Loader;
use unit::directive::SectionKind;
use unit::load::LoadState;
use unit::paths::LookupPaths;
use unit::specifier::Host;
use unit::{Scope, Severity, UnitName};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn every_corpus_unit_loads_without_errors() {
    let root = tmp("robust-corpus");
    oracle::corpus_root(&root);
    let loader = Loader::new(LookupPaths::system(&root), Host::detect(&root, Scope::System, 0, 0));
    let mut loaded = 0;
    let mut problems = Vec::new();
    for e in loader.index.list() {
        let Ok(name) = UnitName::parse(e.name) else { continue };
        let name = if name.is_template() { name.with_instance("vigiltest").unwrap() } else { name };
        let cfg = loader.load(&name);
        if matches!(cfg.load_state, LoadState::Loaded) {
            loaded += 1;
        }
        for d in cfg.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            problems.push(format!("{}: {d}", name));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(loaded > 200, "only {loaded} units loaded");
    assert!(problems.is_empty(), "errors:\n{}", problems.join("\n"));
}

#[test]
fn a_broken_line_costs_only_that_line() {
    let root = tmp("robust-broken");
    let dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("x.service"),
        "[Unit]\nDescription=still here\n[Service]\nTimeoutStartSec=soon\nRestart=always\nUser=nobody\nExecStart=/bin/true\n",
    )
    .unwrap();
    let loader = Loader::new(LookupPaths::system(&root), Host::default());
    let cfg = loader.load(&UnitName::parse("x.service").unwrap());
    assert_eq!(cfg.load_state, LoadState::Loaded);
    assert_eq!(cfg.string(SectionKind::Unit, "Description"), Some("still here"));
    assert_eq!(cfg.string(SectionKind::Service, "Restart"), Some("always"));
    assert_eq!(cfg.string(SectionKind::Service, "User"), Some("nobody"));
    assert!(cfg.value(SectionKind::Service, "TimeoutStartSec").is_none());
    let d = cfg.diagnostics.iter().find(|d| d.message.contains("TimeoutStartSec")).expect("a diagnostic");
    assert_eq!(d.span.line, 4);
    assert_eq!(d.span.file.as_ref(), Path::new("/etc/systemd/system/x.service"));
    assert!(d.message.contains("soon"), "{}", d.message);
    let _ = std::fs::remove_dir_all(&root);
}

/// Load `text` as a unit file and check the invariants: no panic, every
/// diagnostic points into the file.
fn load_text(root: &Path, name: &str, text: &[u8]) {
    let dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    let loader = Loader::new(LookupPaths::system(root), Host::default());
    let cfg = loader.load(&UnitName::parse(name).unwrap());
    let lines = text.split(|b| *b == b'\n').count() as u32;
    for d in &cfg.diagnostics {
        assert!(d.span.line <= lines + 1, "diagnostic beyond the file: {d}");
        assert!(!d.message.is_empty());
    }
    // Values that parsed can be formatted.
    for (_, list) in cfg.settings.iter() {
        for a in list {
            let _ = unit::config::show::format_value(&a.value);
        }
    }
    let _ = unit::config::deps::unit_deps(&cfg, Scope::System);
}

fn corpus_texts() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = dir.ancestors().find_map(|a| {
        let c = a.join("shared/corpus/usr/lib/systemd/system");
        c.is_dir().then_some(c).or_else(|| {
            let c = a.join("../shared/corpus/usr/lib/systemd/system");
            c.is_dir().then_some(c)
        })
    });
    let corpus = corpus.expect("shared/corpus not found");
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(corpus)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "service" || x == "socket"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter(|t| t.len() > 40)
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let root = tmp("robust-bytes");
        load_text(&root, "f.service", &bytes);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn mutated_corpus_files_never_panic(pick in 0usize..1000, edits in proptest::collection::vec((0usize..100_000, any::<u8>(), 0u8..4), 1..24)) {
        let texts = corpus_texts();
        let mut t = texts[pick % texts.len()].clone();
        for (pos, byte, op) in edits {
            if t.is_empty() {
                t.push(byte);
                continue;
            }
            let i = pos % t.len();
            match op {
                0 => t[i] = byte,
                1 => t.insert(i, byte),
                2 => { t.remove(i); }
                _ => {
                    // Structural bytes are where parsers break.
                    let special = *b"\\\n=[]%$\"';#";
                    t.insert(i, special[usize::from(byte) % special.len()]);
                }
            }
        }
        let root = tmp("robust-mut");
        load_text(&root, "m.service", &t);
        let _ = std::fs::remove_dir_all(&root);
    }
}
