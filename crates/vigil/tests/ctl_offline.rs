//! The offline unit file verbs of the `systemctl` personality against the
//! real `systemctl --root=DIR` (systemd 252), on copies of the Debian
//! corpus: same stdout, stderr, exit status, and the same symlinks left
//! under `etc/` and `run/`.

mod ctl_support;

use ctl_support::*;

#[test]
fn enable_disable_reenable_like_systemctl() {
    sequence(
        "enable",
        |_| {},
        &[
            &["enable", "cron"],
            &["disable", "cron"],
            &["enable", "cron.service"],
            &["reenable", "ssh"],
            &["disable", "sshd"],
            &["enable", "ssh"],
            &["enable", "sshd"],
            &["reenable", "sshd.service"],
            &["enable", "getty@tty2"],
            &["enable", "getty@.service"],
            &["disable", "getty@tty1.service"],
            &["disable", "getty@.service"],
            &["enable", "nonexistent"],
            &["disable", "nonexistent", "cron"],
            &["enable", "apt-daily.service"],
            &["enable", "ssh.socket", "--runtime"],
            &["--runtime", "disable", "ssh.socket"],
            &["-q", "disable", "nginx", "rsyslog"],
            &["enable", "--quiet", "nginx"],
            &["disable", "/lib/systemd/system/nginx.service"],
            &["enable", "/lib/systemd/system/nginx.service"],
            &["enable", "bad name"],
            &["enable", "ssh*"],
            &["--no-reload", "reenable", "--force", "memcached", "redis"],
            &["enable", "multi-user"],
            &["enable", "", "cron"],
        ],
    );
}

#[test]
fn mask_unmask_link_revert_like_systemctl() {
    sequence(
        "mask",
        |roots| {
            write_in(roots, "opt/foo.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
            write_in(roots, "etc/systemd/system/ssh.service.d/override.conf", "[Service]\nRestart=always\n");
            write_in(roots, "etc/systemd/system/cron.service", "[Service]\nExecStart=/usr/sbin/cron -f\n");
            // A conflicting link `enable` refuses without --force.
            symlink_in(roots, "etc/systemd/system/multi-user.target.wants/memcached.service", "/nowhere/memcached.service");
        },
        &[
            &["mask", "cron"],
            &["enable", "cron"],
            &["is-enabled", "cron"],
            &["mask", "rsyslog", "syslog.service"],
            &["enable", "rsyslog"],
            &["is-enabled", "rsyslog"],
            &["disable", "rsyslog"],
            &["unmask", "rsyslog"],
            &["enable", "rsyslog"],
            &["unmask", "cron"],
            &["unmask", "cron"],
            &["mask", "--runtime", "nginx", "x11-common"],
            &["is-enabled", "nginx"],
            &["unmask", "--runtime", "nginx"],
            &["unmask", "x11-common"],
            &["mask", "foo@.service", "nonexistent.socket"],
            &["link", "/opt/foo.service"],
            &["is-enabled", "foo"],
            &["enable", "foo.service"],
            &["reenable", "/opt/foo.service"],
            &["disable", "foo"],
            &["link", "relative.service"],
            &["link", "/opt/missing.service"],
            &["enable", "memcached"],
            &["enable", "--force", "memcached"],
            &["revert", "ssh", "cron"],
            &["revert", "nonexistent"],
        ],
    );
}

#[test]
fn presets_defaults_and_dependencies_like_systemctl() {
    sequence(
        "preset",
        |roots| {
            write_in(roots, "etc/systemd/system-preset/10-local.preset", "disable cron.service\nenable foo@.service bar baz\n");
            write_in(roots, "usr/lib/systemd/system/foo@.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
        },
        &[
            &["preset", "cron", "ssh.socket"],
            &["preset", "--preset-mode=enable-only", "cron", "memcached"],
            &["preset", "foo@.service"],
            &["preset", "nonexistent"],
            &["preset", "--runtime", "ssh.socket", "rsync"],
            &["--preset-mode=enable-only", "preset-all"],
            &["preset-all", "--preset-mode=disable-only"],
            &["preset-all"],
            &["add-wants", "multi-user.target", "memcached"],
            &["add-requires", "multi-user", "ssh", "cron.service"],
            &["add-wants", "nonexistent.target", "cron"],
            &["add-wants", "multi-user.target", "nonexistent"],
            &["get-default"],
            &["set-default", "multi-user"],
            &["get-default"],
            &["set-default", "graphical.target"],
            &["set-default", "-q", "rescue.target"],
            &["get-default"],
            &["set-default", "nonexistent.target"],
            &["set-default", "cron.service"],
        ],
    );
}

/// A generator's `default.target` overrides what `set-default` writes:
/// systemctl says so.
#[test]
fn runtime_default_override_note_like_systemctl() {
    sequence(
        "default",
        |roots| symlink_in(roots, "run/systemd/generator.early/default.target", "/lib/systemd/system/rescue.target"),
        &[
            &["get-default"],
            &["set-default", "multi-user.target"],
            &["-q", "set-default", "graphical"],
            &["get-default"],
            &["set-default", "bad name"],
        ],
    );
}

/// `preset-all` over the whole corpus (without the one alias whose
/// target's `Alias=` does not name it, which makes systemd give up).
#[test]
fn preset_all_like_systemctl() {
    sequence(
        "presetall",
        |roots| {
            for r in roots {
                std::fs::remove_file(r.join("etc/systemd/system/dbus-org.freedesktop.timesync1.service"))
                    .expect("remove the alias");
            }
            write_in(roots, "etc/systemd/system-preset/10-local.preset", "disable cron.service\nenable ssh.socket\n");
        },
        &[
            &["preset-all", "--preset-mode=enable-only"],
            &["preset-all", "--preset-mode=disable-only"],
            &["preset-all"],
            &["--runtime", "preset-all"],
            &["preset-all"],
        ],
    );
}

#[test]
fn is_enabled_like_systemctl() {
    sequence(
        "isenabled",
        |roots| {
            symlink_in(roots, "run/systemd/system/sockets.target.wants/ssh.socket", "/lib/systemd/system/ssh.socket");
            write_in(roots, "run/systemd/generator/gen.service", "[Service]\nExecStart=/bin/true\n");
        },
        &[
            &["is-enabled", "ssh"],
            &["is-enabled", "sshd"],
            &["is-enabled", "ssh.socket"],
            &["is-enabled", "memcached", "ssh.socket", "systemd-timesyncd"],
            &["is-enabled", "dbus-org.freedesktop.timesync1.service"],
            &["is-enabled", "getty@tty1"],
            &["is-enabled", "getty@tty5.service"],
            &["is-enabled", "getty@.service"],
            &["is-enabled", "x11-common"],
            &["is-enabled", "systemd-journald"],
            &["is-enabled", "remote-fs.target"],
            &["is-enabled", "gen.service"],
            &["is-enabled", "nonexistent"],
            &["is-enabled", "ssh", "nonexistent", "cron"],
            &["is-enabled", "apt-daily.service", "x11-common"],
            &["is-enabled", "x11-common", "ssh.socket"],
            &["-q", "is-enabled", "ssh"],
            &["is-enabled", "--quiet", "x11-common"],
            // `--full` is not compared: systemd 252's systemctl looks the
            // links up on the host even with --root (see the next test).
            &["is-enabled", "/dev/sda1"],
            &["is-enabled", "bad name"],
        ],
    );
}

/// `is-enabled --full` lists the links `disable` would remove, found in
/// the root (not on the host, where systemd 252's systemctl looks).
#[test]
fn is_enabled_full_lists_the_links_in_the_root() {
    let s = Scratch::new("full");
    let t = corpus_template(&s);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg(format!("--root={}", t.display()))
        .args(["is-enabled", "--full", "cron", "x11-common"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("enabled\n  {}/etc/systemd/system/multi-user.target.wants/cron.service\nmasked\n", t.display())
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn list_unit_files_like_systemctl() {
    sequence(
        "list",
        |_| {},
        &[
            &["list-unit-files"],
            &["list-unit-files", "--no-legend"],
            &["list-unit-files", "ssh*"],
            &["list-unit-files", "*.timer", "getty*"],
            &["list-unit-files", "--type=socket"],
            &["list-unit-files", "-t", "service,,target", "s*"],
            &["list-unit-files", "-t", "masked"],
            &["list-unit-files", "--state=enabled,static", "--no-legend"],
            &["--state=masked", "--state=alias", "list-unit-files"],
            &["list-unit-files", "--state=bogus"],
            &["list-unit-files", "--state=bogus,enabled", "a*"],
            &["list-unit-files", "nothing-matches*"],
            &["list-unit-files", "--no-pager", "--full", "--plain", "cron*"],
        ],
    );
}

#[test]
fn argument_errors_like_systemctl() {
    sequence(
        "errors",
        |_| {},
        &[
            &["enable"],
            &["is-enabled"],
            &["add-wants", "multi-user.target"],
            &["set-default"],
            &["get-default", "extra"],
            &["preset-all", "extra"],
            &["set-default", "a", "b"],
            &["frobnicate", "x"],
            &["list-unit-files", "--type=foo"],
            &["list-unit-files", "--type="],
            &["list-unit-files", "--state="],
            &["list-unit-files", "--type=help"],
            &["list-unit-files", "--state=help"],
            &["--no-legend", "list-unit-files", "-t", "help"],
            &["preset-all", "--preset-mode=bogus"],
            &["preset-all", "--preset-mode=help"],
            &["--nonsense", "get-default"],
        ],
    );
}

#[test]
fn global_and_user_scopes_like_systemctl() {
    sequence(
        "scopes",
        |roots| {
            write_in(roots, "usr/lib/systemd/user/foo.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n");
        },
        &[
            &["--global", "is-enabled", "foo"],
            &["--global", "enable", "foo"],
            &["--global", "is-enabled", "foo"],
            &["--global", "list-unit-files", "foo*", "dbus*"],
            &["--global", "disable", "foo"],
            &["--global", "mask", "dbus.socket"],
            &["--global", "get-default"],
            &["--user", "enable", "foo"],
            &["--user", "is-enabled", "foo", "bar"],
            &["--user", "list-unit-files"],
            &["--user", "get-default"],
            &["--user", "set-default", "x"],
            &["--user", "add-wants", "default.target", "foo"],
            &["--user", "preset-all"],
        ],
    );
}

#[test]
fn ascii_arrows_in_the_c_locale_like_systemctl() {
    let s = Scratch::new("locale");
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "r");
    let mut d = Diffs::default();
    d.check_env(&a, &b, &["disable", "cron"], &[("LANG", "C")]);
    d.check_env(&a, &b, &["enable", "cron"], &[("LANG", "C")]);
    d.check_env(&a, &b, &["enable", "apt-daily.service"], &[("LANG", "POSIX")]);
    d.check_env(&a, &b, &["reenable", "cron"], &[("LC_ALL", "C.UTF-8"), ("LANG", "C")]);
    d.check_env(&a, &b, &["reenable", "cron"], &[("LANG", "xx_YY.ISO-8859-1")]);
    d.assert_none();
    let r = d.check_env(&a, &b, &["reenable", "cron"], &[("LANG", "C")]);
    assert!(r.stderr.contains(" -> /lib/systemd/system/cron.service."), "{}", r.stderr);
}

/// The SysV step: `/etc/init.d/NAME` without a native unit is handed to
/// the real `systemd-sysv-install` by both tools.
#[test]
fn sysv_init_scripts_like_systemctl() {
    let s = Scratch::new("sysv");
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "r");
    write_in(&[&a, &b], "etc/init.d/legacy", "#!/bin/sh\nexit 0\n");
    write_in(&[&a, &b], "etc/init.d/cron", "#!/bin/sh\nexit 0\n");
    write_in(&[&a, &b], "etc/rc5.d/S01enabledlegacy", "");
    write_in(&[&a, &b], "etc/init.d/enabledlegacy", "#!/bin/sh\nexit 0\n");
    let mut d = Diffs::default();
    d.check(&a, &b, &["is-enabled", "legacy"]);
    d.check(&a, &b, &["is-enabled", "enabledlegacy"]);
    d.check(&a, &b, &["is-enabled", "legacy", "ssh"]);
    d.check(&a, &b, &["is-enabled", "enabledlegacy", "nonexistent"]);
    d.check(&a, &b, &["-q", "is-enabled", "legacy", "enabledlegacy"]);
    d.check(&a, &b, &["is-enabled", "cron"]);
    d.check(&a, &b, &["disable", "legacy"]);
    d.check(&a, &b, &["disable", "cron"]);
    d.check(&a, &b, &["enable", "legacy", "legacy"]);
    d.check_env(&a, &b, &["is-enabled", "legacy"], &[("SYSTEMCTL_SKIP_SYSV", "1")]);
    d.check_env(&a, &b, &["enable", "cron"], &[("SYSTEMCTL_SKIP_SYSV", "yes")]);
    d.assert_none();
}

/// `--user` without a root: the calling user's unit files under `$HOME`
/// (no user manager runs, so systemctl works on the files too).
#[test]
fn user_scope_in_a_home_like_systemctl() {
    let s = Scratch::new("user");
    let homes = [s.path("ha"), s.path("hb")];
    for h in &homes {
        write_in(&[h], ".config/systemd/user/foo.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n");
        write_in(&[h], ".config/systemd/user/bar.service", "[Service]\nExecStart=/bin/true\n");
        std::fs::create_dir_all(h.join("rt")).expect("mkdir rt");
    }
    let cmds: &[&[&str]] = &[
        &["--user", "is-enabled", "foo", "bar"],
        &["--user", "enable", "foo"],
        &["--user", "is-enabled", "foo"],
        &["--user", "enable", "bar"],
        &["--user", "list-unit-files", "foo*", "bar*"],
        &["--user", "--runtime", "mask", "bar"],
        &["--user", "is-enabled", "bar"],
        &["--user", "disable", "foo"],
        &["--user", "mask", "foo"],
        &["--user", "unmask", "foo"],
        &["--user", "get-default"],
    ];
    let mut found = Vec::new();
    for c in cmds {
        let runs: Vec<(Run, String)> = homes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let home = h.display().to_string();
                let rt = h.join("rt").display().to_string();
                let env = [
                    ("HOME", home.as_str()),
                    ("XDG_RUNTIME_DIR", rt.as_str()),
                    ("XDG_CONFIG_HOME", ""),
                    ("XDG_DATA_HOME", ""),
                    ("XDG_CONFIG_DIRS", ""),
                    ("XDG_DATA_DIRS", ""),
                    ("SYSTEMD_UNIT_PATH", ""),
                ];
                let r = if i == 0 { systemctl(None, c, &env) } else { ours(None, c, &env) };
                (r, home)
            })
            .collect();
        let norm = |(r, home): &(Run, String)| {
            (r.stdout.replace(home.as_str(), "<HOME>"), r.stderr.replace(home.as_str(), "<HOME>"), r.code)
        };
        let (want, got) = (norm(&runs[0]), norm(&runs[1]));
        if want != got {
            found.push(format!("`systemctl {}`\n--- systemctl:\n{want:?}\n--- vigil:\n{got:?}", c.join(" ")));
        }
        let trees: Vec<_> = homes
            .iter()
            .map(|h| {
                let mut t = std::collections::BTreeSet::new();
                for e in walkdir(h) {
                    t.insert(e.replace(&h.display().to_string(), "<HOME>"));
                }
                t
            })
            .collect();
        if trees[0] != trees[1] {
            found.push(format!("homes differ after `{}`: {:#?} vs {:#?}", c.join(" "), trees[0], trees[1]));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}

/// Every path under `dir`, symlinks with their targets.
fn walkdir(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd.flatten() {
        let p = e.path();
        let ft = e.file_type().expect("file type");
        if ft.is_symlink() {
            out.push(format!("L {} -> {}", p.display(), std::fs::read_link(&p).expect("readlink").display()));
        } else if ft.is_dir() {
            out.push(format!("D {}", p.display()));
            out.extend(walkdir(&p));
        } else {
            out.push(format!("F {}", p.display()));
        }
    }
    out
}
