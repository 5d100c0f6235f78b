//! The scan must stay linear and fast: a synthetic system of 5000 services
//! (plus aliases, enablement links and drop-ins) is indexed and every unit
//! loaded. Times are printed, not asserted (`--nocapture` shows them);
//! the counts are asserted.

mod load_support;

use std::time::Instant;

use load_support::*;
use unit::load::{LoadState, UnitIndex};
use unit::UnitName;

const E: &str = "etc/systemd/system";
const U: &str = "usr/lib/systemd/system";
const N: usize = 5000;

#[test]
fn five_thousand_units_index_quickly() {
    let t = Tree::new("perf");
    for i in 0..N {
        t.file(
            &format!("{U}/svc-{i}.service"),
            &format!("[Unit]\nDescription=service {i}\n[Service]\nExecStart=/bin/sleep {i}\n[Install]\nWantedBy=multi-user.target\n"),
        );
        if i % 5 == 0 {
            // Relative, so that the alias also holds when the tree is
            // seen from `/` below.
            t.link(
                &format!("{E}/alias-{i}.service"),
                &format!("../../../usr/lib/systemd/system/svc-{i}.service"),
            );
        }
        if i % 2 == 0 {
            t.link(
                &format!("{E}/multi-user.target.wants/svc-{i}.service"),
                &format!("/usr/lib/systemd/system/svc-{i}.service"),
            );
        }
        if i % 10 == 0 {
            t.file(&format!("{E}/svc-{i}.service.d/override.conf"), "[Service]\nNice=5\n");
        }
    }
    t.file(&format!("{U}/multi-user.target"), "[Unit]\nDescription=Multi-User\n");
    let lookup = t.lookup();

    let start = Instant::now();
    let idx = UnitIndex::build(&lookup);
    let built = start.elapsed();
    eprintln!(
        "perf: indexed {} names ({N} units) in {:.1} ms",
        idx.len(),
        built.as_secs_f64() * 1e3
    );
    assert_eq!(idx.len(), N + N / 5 + 1);

    let start = Instant::now();
    let mut dropins = 0;
    let mut loaded = 0;
    for e in idx.list() {
        let src = idx.load(&UnitName::parse(e.name).unwrap());
        assert_eq!(src.load_state, LoadState::Loaded, "{}", e.name);
        dropins += src.dropins.len();
        loaded += 1;
    }
    eprintln!(
        "perf: loaded all {loaded} names ({dropins} drop-ins) in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    // Every unit with a drop-in (i % 10 == 0) also has an alias
    // (i % 5 == 0), which loads the same drop-in.
    assert_eq!(dropins, (0..N).filter(|i| i % 10 == 0).count() * 2);
    let mu = idx.load(&UnitName::parse("multi-user.target").unwrap());
    assert_eq!(mu.wants.len(), N / 2);

    // A second build (daemon-reload) is no slower in kind.
    let start = Instant::now();
    let again = UnitIndex::build(&lookup);
    eprintln!("perf: re-indexed in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    assert_eq!(again.len(), idx.len());

    // The daemon's case: root `/`, where the kernel follows symlinks and
    // nothing is chased by hand. Same tree, seen through absolute dirs.
    let mut direct = lookup.clone();
    direct.root = "/".into();
    for d in &mut direct.dirs {
        d.path = t.root.join(d.path.strip_prefix("/").unwrap());
    }
    let idx = UnitIndex::build_with(&direct, unit::load::LoadOptions { check_ownership: false });
    let start = Instant::now();
    let mut n = 0;
    for e in idx.list() {
        let src = idx.load(&UnitName::parse(e.name).unwrap());
        n += src.names.len();
    }
    eprintln!(
        "perf: root /: loaded all {} names in {:.1} ms",
        idx.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(n, idx.len() + 2 * (N / 5));
}
