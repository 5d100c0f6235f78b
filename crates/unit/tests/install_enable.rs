//! Differential tests: enable/disable/reenable/mask/link/… with our
//! library against the real `systemctl --root=DIR`, on copies of the
//! shared Debian corpus. See `install_support` for what is compared.

mod install_support;

use install_support::*;

/// For a template, an instance name to try (`getty@vigil1.service`).
fn instance_of(name: &str) -> Option<String> {
    name.contains("@.").then(|| name.replacen("@.", "@vigil1.", 1))
}

#[test]
fn enable_disable_reenable_every_unit_with_install_section() {
    let s = Scratch::new("every");
    let t = corpus_template(&s);
    let units = units_with_install(&t);
    assert!(units.len() > 40, "corpus should have dozens of installable units, found {}", units.len());
    let mut f = Failures::default();
    for u in &units {
        let mut names = vec![u.clone()];
        names.extend(instance_of(u));
        for n in names {
            let (a, b) = pair(&s, &t, "u");
            let n = n.as_str();
            for args in [
                vec!["disable", n],
                vec!["enable", n],
                vec!["enable", n],
                vec!["is-enabled", n],
                vec!["reenable", n],
                vec!["disable", n],
                vec!["is-enabled", n],
                vec!["enable", "--runtime", n],
                vec!["is-enabled", n],
                vec!["disable", "--runtime", n],
                vec!["enable", "--force", n],
                vec!["disable", n],
            ] {
                if f.check(&a, &b, &args).is_none() {
                    break;
                }
            }
        }
    }
    f.assert_none();
}

#[test]
fn enable_aliases_linked_files_and_errors() {
    let s = Scratch::new("alias");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    // Aliases in /etc are refused, vendor aliases are followed.
    for args in [
        vec!["enable", "sshd.service"],
        vec!["enable", "redis.service"],
        vec!["reenable", "redis.service"],
        vec!["enable", "syslog.service"],
        vec!["disable", "syslog.service"],
        vec!["enable", "autovt@tty3.service"],
        vec!["enable", "nope.service"],
        vec!["disable", "nope.service"],
        vec!["enable", "cryptdisks.service"],
        vec!["enable", "dbus-org.freedesktop.timesync1.service"],
        vec!["disable", "dbus-org.freedesktop.timesync1.service"],
        vec!["enable", "dbus.service"],
        vec!["enable", "getty@.service", "ssh.service", "cron.service"],
        vec!["disable", "getty@.service", "ssh.service"],
        vec!["enable", "serial-getty@.service"],
        vec!["enable", "serial-getty@ttyS0.service"],
        vec!["enable", "postgresql@15-main.service"],
        vec!["enable", "pg_dump@15-main.timer"],
        vec!["disable", "postgresql@15-main.service"],
        vec!["enable", "/lib/systemd/system/nginx.service"],
        vec!["disable", "nginx.service"],
        vec!["enable", "ssh.socket"],
        vec!["disable", "ssh.service"],
        vec!["disable", "/lib/systemd/system/cron.service", "rsyslog"],
        vec!["link", "nginx.service"],
        vec!["enable", "bad name", "ssh*"],
        vec!["is-enabled", "ssh", "/dev/sda1", "/home"],
        vec!["set-default", "multi-user"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn conflicting_links_and_force() {
    let s = Scratch::new("force");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    symlink_both(&a, &b, "etc/systemd/system/multi-user.target.wants/nginx.service", "/opt/other.service");
    symlink_both(&a, &b, "etc/systemd/system/syslog.service", "/lib/systemd/system/cron.service");
    for args in [
        vec!["enable", "nginx.service"],
        vec!["enable", "rsyslog.service"],
        vec!["enable", "--force", "rsyslog.service"],
        vec!["is-enabled", "rsyslog.service"],
        vec!["disable", "rsyslog.service"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn mask_unmask() {
    let s = Scratch::new("mask");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    for args in [
        vec!["mask", "nginx.service", "cron.service", "getty@tty2.service"],
        vec!["mask", "nginx.service"],
        vec!["is-enabled", "nginx.service"],
        vec!["enable", "nginx.service"],
        vec!["disable", "nginx.service"],
        vec!["mask", "ssh.service"],
        vec!["mask", "--force", "ssh.service"],
        vec!["mask", "--runtime", "redis-server.service"],
        vec!["is-enabled", "redis-server.service"],
        vec!["unmask", "--runtime", "redis-server.service"],
        vec!["mask", "bad name.service", "memcached.service"],
        vec!["mask", "nonexistent.service"],
        vec!["unmask", "nginx.service", "cron.service", "nonexistent.service", "getty@tty2.service"],
        vec!["unmask", "cryptdisks.service"],
        vec!["unmask", "ssh.service"],
        vec!["enable", "ssh.service"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn link_outside_files() {
    let s = Scratch::new("link");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    write_both(
        &a,
        &b,
        "opt/vigil/foo.service",
        "[Unit]\nDescription=foo\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlias=foo-alias.service\n",
    );
    write_both(&a, &b, "opt/vigil/bar@.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n");
    write_both(&a, &b, "opt/vigil/noinstall.service", "[Service]\nExecStart=/bin/true\n");
    for args in [
        vec!["link", "/opt/vigil/foo.service"],
        vec!["link", "/opt/vigil/foo.service"],
        vec!["is-enabled", "foo.service"],
        vec!["enable", "foo.service"],
        vec!["is-enabled", "foo.service"],
        vec!["is-enabled", "foo-alias.service"],
        vec!["disable", "foo.service"],
        vec!["is-enabled", "foo.service"],
        vec!["enable", "/opt/vigil/bar@.service"],
        vec!["is-enabled", "bar@.service"],
        vec!["is-enabled", "bar@one.service"],
        vec!["reenable", "bar@.service"],
        vec!["enable", "/opt/vigil/noinstall.service"],
        vec!["link", "/opt/vigil/missing.service"],
        vec!["link", "/lib/systemd/system/cron.service"],
        vec!["link", "/usr/lib/systemd/system/user-.slice.d/10-defaults.conf"],
        vec!["link", "/opt/vigil"],
        vec!["link", "--runtime", "/opt/vigil/noinstall.service"],
        vec!["is-enabled", "noinstall.service"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn default_target() {
    let s = Scratch::new("default");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    for args in [
        vec!["get-default"],
        vec!["set-default", "multi-user.target"],
        vec!["get-default"],
        vec!["set-default", "multi-user.target"],
        vec!["set-default", "runlevel6.target"],
        vec!["get-default"],
        vec!["set-default", "nope.target"],
        vec!["set-default", "default.target"],
        vec!["set-default", "cron.service"],
        vec!["set-default", "graphical.target"],
        vec!["get-default"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn revert_masks_dropins_and_overrides() {
    let s = Scratch::new("revert");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    f.check(&a, &b, &["mask", "nginx.service"]);
    f.check(&a, &b, &["revert", "nginx.service"]);
    write_both(&a, &b, "etc/systemd/system/cron.service.d/override.conf", "[Service]\nNice=5\n");
    write_both(&a, &b, "etc/systemd/system/cron.service.d/.hidden", "x\n");
    write_both(&a, &b, "run/systemd/system/cron.service.d/runtime.conf", "[Service]\nNice=6\n");
    write_both(&a, &b, "etc/systemd/system/ssh.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, "etc/systemd/system/local-only.service", "[Service]\nExecStart=/bin/true\n");
    for args in [
        vec!["is-enabled", "ssh.service"],
        vec!["revert", "cron.service", "ssh.service", "local-only.service"],
        vec!["is-enabled", "ssh.service"],
        vec!["revert", "nope.service"],
        vec!["revert", "bad name"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn add_wants_and_requires() {
    let s = Scratch::new("addwants");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    for args in [
        vec!["add-wants", "multi-user.target", "cron.service", "nginx.service"],
        vec!["add-requires", "graphical.target", "ssh.service"],
        vec!["add-wants", "nope.target", "cron.service"],
        vec!["add-wants", "--runtime", "multi-user.target", "memcached.service"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn install_sections_with_specifiers_and_odd_values() {
    let s = Scratch::new("spec");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    let lib = "usr/lib/systemd/system";
    write_both(&a, &b, &format!("{lib}/spec@.service"), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target %p-%i.target\nRequiredBy=getty@%i.service\nAlias=spec-%i@.service\nDefaultInstance=def\nAlso=cron.service missing-also.service\n");
    write_both(&a, &b, &format!("{lib}/badspec.service"), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=%I.target\n");
    write_both(&a, &b, &format!("{lib}/unres.service"), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=%o.target\n");
    write_both(&a, &b, &format!("{lib}/noinstall.service"), "[Unit]\nDescription=x\n[Bogus]\nA=b\n[Install]\nUpheldBy=foo.target\nX-Extra=1\n");
    write_both(&a, &b, &format!("{lib}/badalias.service"), "[Install]\nAlias=other.socket\nAlias=badalias.service\nWantedBy=\"quoted.target\" unterminated\"\n");
    write_both(&a, &b, &format!("{lib}/slice-alias.slice"), "[Install]\nAlias=x.slice\nWantedBy=multi-user.target\n");
    write_both(&a, &b, &format!("{lib}/tmpl-only@.service"), "[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, &format!("{lib}/wantsalias.service"), "[Install]\nAlias=multi-user.target.wants/wantsalias.service\nAlias=foo/wantsalias.service\n");
    write_both(&a, &b, &format!("{lib}/cont.service"), "[Install]\nWantedBy=multi-user.target \\\n# comment\n  graphical.target\nFoo=bar \\\n baz\n[Bogus]\nx\n");
    write_both(&a, &b, &format!("{lib}/badheader.service"), "[Install]\nWantedBy=multi-user.target\n[Broken\nFoo=1\n");
    write_both(&a, &b, &format!("{lib}/badalso.service"), "[Install]\nWantedBy=multi-user.target\nAlso=not-a-unit\n");
    write_both(&a, &b, &format!("{lib}/baddi@.service"), "[Install]\nWantedBy=multi-user.target\nDefaultInstance=a/b\n");
    write_both(&a, &b, &format!("{lib}/plaindi.service"), "[Install]\nWantedBy=multi-user.target\nDefaultInstance=x\nnoequals\n=novalue\n");
    write_both(&a, &b, &format!("{lib}/emptydi@.service"), "[Install]\nWantedBy=multi-user.target\nDefaultInstance=\n");
    write_both(&a, &b, &format!("{lib}/tmpl.slice"), "[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, &format!("{lib}/dropin.service"), "[Install]\nWantedBy=multi-user.target\n");
    write_both(&a, &b, &format!("{lib}/dropin.service.d/50-install.conf"), "[Install]\nWantedBy=\nWantedBy=graphical.target\nAlias=dropin-alias.service\n");
    write_both(&a, &b, "etc/systemd/system/dropin.service.d/60-more.conf", "[Install]\nRequiredBy=rescue.target\n");
    for args in [
        vec!["enable", "spec@.service"],
        vec!["is-enabled", "spec@.service"],
        vec!["enable", "spec@x1.service"],
        vec!["is-enabled", "spec@x1.service"],
        vec!["disable", "spec@.service"],
        vec!["enable", "badspec.service"],
        vec!["enable", "unres.service"],
        vec!["enable", "noinstall.service"],
        vec!["is-enabled", "noinstall.service"],
        vec!["enable", "badalias.service"],
        vec!["enable", "slice-alias.slice"],
        vec!["enable", "tmpl-only@.service"],
        vec!["enable", "tmpl-only@a.service"],
        vec!["enable", "wantsalias.service"],
        vec!["enable", "cont.service"],
        vec!["enable", "badheader.service"],
        vec!["enable", "badalso.service"],
        vec!["enable", "baddi@.service"],
        vec!["enable", "plaindi.service"],
        vec!["enable", "emptydi@.service"],
        vec!["enable", "tmpl@x.slice"],
        vec!["is-enabled", "badheader.service"],
        vec!["enable", "dropin.service"],
        vec!["is-enabled", "dropin.service"],
        vec!["disable", "dropin.service"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn global_user_units() {
    let s = Scratch::new("global");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    let units = unit_names(&t, "usr/lib/systemd/user");
    for u in &units {
        f.check(&a, &b, &["--global", "is-enabled", u]);
    }
    for args in [
        vec!["--global", "disable", "systemd-tmpfiles-clean.timer"],
        vec!["--global", "enable", "systemd-tmpfiles-clean.timer", "dbus.socket"],
        vec!["--global", "mask", "ssh-agent.service"],
        vec!["--global", "list-unit-files"],
        vec!["--global", "preset-all"],
        vec!["--global", "unmask", "ssh-agent.service"],
        vec!["--global", "list-unit-files"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}
