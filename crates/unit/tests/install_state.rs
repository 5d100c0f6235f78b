//! Differential tests of `is-enabled` and `list-unit-files` against the
//! real `systemctl --root=DIR`: every unit file of the corpus, and a root
//! arranged to produce every state of `systemctl(1)` "is-enabled".

mod install_support;

use std::path::Path;

use install_support::*;

/// Every name that appears as a unit file or unit link in the corpus
/// root's unit directories (including `.wants/` entries and aliases).
fn all_unit_names(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["usr/lib/systemd/system", "etc/systemd/system", "usr/lib/systemd/user"] {
        names.extend(unit_names(root, dir));
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.ends_with(".wants") || n.ends_with(".requires") {
                    names.extend(unit_names(root, &format!("{dir}/{n}")));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn is_enabled_for_every_unit_file_of_the_corpus() {
    let s = Scratch::new("isen");
    let t = corpus_template(&s);
    let names = all_unit_names(&t);
    assert!(names.len() > 200, "expected the whole corpus, got {} names", names.len());
    let (a, b) = pair(&s, &t, "x");
    let mut f = Failures::default();
    let mut states = std::collections::BTreeSet::new();
    for n in &names {
        if let Some(p) = f.check(&a, &b, &["is-enabled", n]) {
            states.insert(p.stdout.trim().to_string());
        }
    }
    f.assert_none();
    // The corpus alone already shows most states.
    for st in ["enabled", "disabled", "static", "alias", "masked"] {
        assert!(states.contains(st), "no corpus unit is {st}: {states:?}");
    }
}

#[test]
fn every_is_enabled_state() {
    let s = Scratch::new("zoo");
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "x");
    let mut f = Failures::default();
    let lib = "usr/lib/systemd/system";
    write_both(&a, &b, "opt/linked.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, "opt/linked-rt.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, "run/systemd/generator/gen.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, "run/systemd/generator.late/late.service", "[Service]\nExecStart=/bin/true\n");
    write_both(&a, &b, "run/systemd/transient/trans.service", "[Service]\nExecStart=/bin/true\n");
    write_both(&a, &b, &format!("{lib}/alsoonly.service"), "[Service]\nExecStart=/bin/true\n[Install]\nAlso=cron.service\n");
    write_both(&a, &b, &format!("{lib}/inst@.service"), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    symlink_both(&a, &b, &format!("{lib}/multi-user.target.wants/inst@vendor.service"), "../inst@.service");
    write_both(&a, &b, &format!("{lib}/empty.service"), "");
    symlink_both(&a, &b, "etc/systemd/system/broken-alias.service", "/lib/systemd/system/does-not-exist.service");
    symlink_both(&a, &b, "etc/systemd/system/wrong-type.service", "/lib/systemd/system/ssh.socket");
    symlink_both(&a, &b, "etc/systemd/system/other-name.service", "/opt/linked.service");
    symlink_both(&a, &b, "etc/systemd/system/multi-user.target.wants/indirect-by-name.service", "/lib/systemd/system/rsync.service");
    // SysV scripts: one without native unit, one shadowed by cron.service.
    write_both(&a, &b, "etc/init.d/foo", "#!/bin/sh\n");
    write_both(&a, &b, "etc/init.d/cron", "#!/bin/sh\n");
    for args in [
        vec!["link", "/opt/linked.service"],
        vec!["link", "--runtime", "/opt/linked-rt.service"],
        vec!["enable", "--runtime", "memcached.service"],
        vec!["disable", "memcached.service"],
        vec!["mask", "--runtime", "rsyslog.service"],
    ] {
        f.check(&a, &b, &args);
    }
    let names = [
        "linked.service",
        "linked-rt.service",
        "memcached.service",
        "rsyslog.service",
        "syslog.service",
        "gen.service",
        "late.service",
        "trans.service",
        "alsoonly.service",
        "inst@.service",
        "inst@vendor.service",
        "inst@other.service",
        "empty.service",
        "broken-alias.service",
        "wrong-type.service",
        "other-name.service",
        "rsync.service",
        "indirect-by-name.service",
        "cryptdisks.service",
        "nginx.service",
        "sshd.service",
        "getty@tty1.service",
        "getty@tty9.service",
        "autovt@tty1.service",
        "ctrl-alt-del.target",
        "nope.service",
        "bad name",
        "nginx",
        "foo.service",
        "cron.service",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if let Some(p) = f.check(&a, &b, &["is-enabled", n]) {
            seen.extend(p.stdout.lines().map(str::to_string));
        }
    }
    let all = [
        "enabled",
        "enabled-runtime",
        "linked",
        "linked-runtime",
        "alias",
        "masked",
        "masked-runtime",
        "static",
        "indirect",
        "disabled",
        "generated",
        "transient",
    ];
    for st in all {
        assert!(seen.contains(st), "no unit showed state {st}: {seen:?}");
    }
    f.check(&a, &b, &["is-enabled", "nginx.service", "ssh.service", "cron.service"]);
    f.check(&a, &b, &["is-enabled", "--quiet", "nginx.service", "console-getty.service"]);
    f.check(&a, &b, &["is-enabled", "console-getty.service", "nope.service", "nginx.service"]);
    f.check(&a, &b, &["list-unit-files"]);
    let listed = f.check(&a, &b, &["list-unit-files", "--state=enabled-runtime,linked,linked-runtime,masked-runtime,generated,transient,bad"]);
    f.assert_none();
    let listed = listed.expect("compared").stdout;
    assert!(listed.contains("broken-alias.service") && listed.contains(" bad "), "{listed}");
}

#[test]
fn list_unit_files_variants() {
    let s = Scratch::new("luf");
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "x");
    let mut f = Failures::default();
    for args in [
        vec!["list-unit-files"],
        vec!["list-unit-files", "--no-legend"],
        vec!["list-unit-files", "--type=service"],
        vec!["list-unit-files", "--type=socket,timer"],
        vec!["list-unit-files", "--state=enabled"],
        vec!["list-unit-files", "--state=enabled", "--type=service"],
        vec!["list-unit-files", "ssh*"],
        vec!["list-unit-files", "ssh*", "*.timer"],
        vec!["list-unit-files", "--state=static", "getty*"],
        vec!["list-unit-files", "nomatch*"],
        vec!["list-unit-files", "--no-legend", "nomatch*"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
    let p = same(&a, &b, &["list-unit-files"]);
    assert!(p.stdout.starts_with("UNIT FILE "), "{}", p.stdout);
    assert!(p.stdout.contains("\nnginx.service "), "{}", p.stdout);
}
