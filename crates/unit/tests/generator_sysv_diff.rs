//! Differential test: our SysV generator against systemd 252's
//! `systemd-sysv-generator`, on the same fixture roots.
//!
//! The real generator reads its input directories from
//! `$SYSTEMD_SYSVINIT_PATH`, `$SYSTEMD_SYSVRCND_PATH` and (for the native
//! unit check) `$SYSTEMD_UNIT_PATH`, so it can run unprivileged on a
//! temporary root. It then writes the *host* path of each script
//! (`/tmp/…/etc/init.d/foo`) where a generator run inside that root writes
//! `/etc/init.d/foo`; that prefix is the only thing removed from its
//! output before comparing. Everything else — file names, every byte of
//! every unit, every symlink and its target — must be equal.
//!
//! The tool is required: if it is missing, these tests fail.

mod generator_util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use generator_util::{my_uid, root_from_fixture, snapshot, Out, TempDir};
use unit::generator::{run_sysv, GenOptions};

const REAL: &str = "/lib/systemd/system-generators/systemd-sysv-generator";

fn real_generator(root: &Path, out: &Path) -> BTreeMap<PathBuf, Out> {
    assert!(Path::new(REAL).exists(), "{REAL} is required for the differential test");
    let dirs = [out.join("normal"), out.join("early"), out.join("late")];
    for d in &dirs {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let status = Command::new(REAL)
        .args(&dirs)
        .env("SYSTEMD_SYSVINIT_PATH", root.join("etc/init.d"))
        .env("SYSTEMD_SYSVRCND_PATH", root.join("etc"))
        .env("SYSTEMD_UNIT_PATH", root.join("units"))
        .env("SYSTEMD_LOG_LEVEL", "crit")
        .env("SYSTEMD_LOG_TARGET", "console")
        .status()
        .expect("run systemd-sysv-generator");
    assert!(status.success(), "systemd-sysv-generator failed: {status}");
    // It writes only into the late directory.
    assert!(snapshot(&dirs[0]).is_empty() && snapshot(&dirs[1]).is_empty());
    let prefix = root.to_string_lossy().into_owned();
    snapshot(&dirs[2])
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Out::File(s) => Out::File(s.replace(&prefix, "")),
                l => l,
            };
            (k, v)
        })
        .collect()
}

fn ours(root: &Path, out: &Path, expected_errors: &[&str]) -> BTreeMap<PathBuf, Out> {
    let opts = GenOptions {
        system_mode: true,
        unit_search_path: vec![root.join("units")],
        also_trust_uid: Some(my_uid(root)),
    };
    let report = run_sysv(root, out, &opts).expect("run_sysv");
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == unit::Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert_eq!(errors, expected_errors, "errors differ");
    snapshot(out)
}

fn assert_same(real: &BTreeMap<PathBuf, Out>, mine: &BTreeMap<PathBuf, Out>) {
    let rk: Vec<_> = real.keys().collect();
    let mk: Vec<_> = mine.keys().collect();
    assert_eq!(rk, mk, "different sets of outputs");
    for (k, v) in real {
        assert_eq!(Some(v), mine.get(k), "output {} differs", k.display());
    }
}

#[test]
fn lsb_scripts_match_systemd_byte_for_byte() {
    let t = TempDir::new("sysv-diff");
    let root = t.path().join("root");
    root_from_fixture("sysv/lsb", &root);
    let real = real_generator(&root, &t.path().join("real"));
    let mine = ours(&root, &t.path().join("ours"), &[]);
    // The fixture exercises aliases, targets, runlevels 1-5, reload
    // detection, descriptions and skipping; make sure it produced them.
    for expected in [
        "webd.service",
        "httpd.service",
        "timed.service",
        "portmapd.service",
        "hwclock.service",
        "netup.service",
        "rescued.service",
        "plainold.service",
        "bare.service",
        "multi-user.target.wants/webd.service",
        "graphical.target.wants/timed.service",
        "rescue.target.wants/rescued.service",
    ] {
        assert!(real.contains_key(Path::new(expected)), "real generator made no {expected}");
    }
    for absent in ["shadowed.service", "masked.service", "README.service", "skeleton.service"] {
        assert!(!real.contains_key(Path::new(absent)), "real generator made {absent}");
    }
    assert_same(&real, &mine);
}

/// Scripts without LSB headers are ordered by their `S??` numbers. systemd
/// appends those `After=`/`Before=` lines in hash-map order, which changes
/// from run to run, so here lines are compared as multisets per unit (and
/// everything else exactly).
#[test]
fn start_priorities_match_systemd_as_sets() {
    let t = TempDir::new("sysv-prio");
    let root = t.path().join("root");
    root_from_fixture("sysv/legacy", &root);
    let real = real_generator(&root, &t.path().join("real"));
    // systemd logs "[/…/late:4] PID file not absolute. Ignoring." too.
    let mine = ours(
        &root,
        &t.path().join("ours"),
        &["/etc/init.d/late:4: PID file not absolute. Ignoring."],
    );
    let sorted = |m: &BTreeMap<PathBuf, Out>| -> BTreeMap<PathBuf, Out> {
        m.iter()
            .map(|(k, v)| {
                let v = match v {
                    Out::File(s) => {
                        let mut lines: Vec<&str> = s.lines().collect();
                        lines.sort_unstable();
                        Out::File(lines.join("\n"))
                    }
                    l => l.clone(),
                };
                (k.clone(), v)
            })
            .collect()
    };
    assert!(real.len() >= 4, "legacy fixture produced too little: {real:?}");
    assert_same(&sorted(&real), &sorted(&mine));
    // And our own order is the deterministic one we document: sorted by name.
    let Some(Out::File(early)) = mine.get(Path::new("early.service")) else {
        panic!("no early.service")
    };
    let before: Vec<&str> = early.lines().filter(|l| l.starts_with("Before=")).collect();
    assert_eq!(
        before,
        [
            "Before=multi-user.target",
            "Before=late.service",
            "Before=middle.service",
            "Before=modern.service",
        ]
    );
}
