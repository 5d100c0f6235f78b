//! Differential tests of the user scope without a root: the real
//! `systemctl --user` (client-side, as no manager runs here) with HOME set
//! to one scratch home, ours with another. This also exercises the
//! "no root" paths of the install logic, which `--root` tests cannot.
//! Only the homes are written; the machine's own user unit directories are
//! read as they are.

mod install_support;

use std::path::Path;

use install_support::*;
use unit::install::output::Printed;

fn user_units_with_install() -> Vec<String> {
    let dir = Path::new("/usr/lib/systemd/user");
    let mut v: Vec<String> = unit_names(Path::new("/"), "usr/lib/systemd/user")
        .into_iter()
        .filter(|n| {
            std::fs::read_to_string(dir.join(n)).map(|s| s.lines().any(|l| l.trim() == "[Install]")).unwrap_or(false)
        })
        .collect();
    v.sort();
    v
}

struct Homes {
    _s: Scratch,
    a: std::path::PathBuf,
    b: std::path::PathBuf,
}

fn homes(tag: &str) -> Homes {
    let s = Scratch::new(tag);
    let a = s.0.join("home-a");
    let b = s.0.join("home-b");
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::create_dir_all(&b).expect("mkdir");
    Homes { _s: s, a, b }
}

fn check(f: &mut Failures, h: &Homes, args: &[&str]) -> Option<Printed> {
    match compare_user(&h.a, &h.b, args) {
        Ok(p) => Some(p),
        Err(e) => {
            f.0.push(e);
            None
        }
    }
}

#[test]
fn user_enable_disable_every_installable_unit() {
    let units = user_units_with_install();
    assert!(!units.is_empty(), "this machine should ship user units with [Install]");
    let mut f = Failures::default();
    for u in &units {
        let h = homes("user-each");
        for args in [
            vec!["is-enabled", u.as_str()],
            vec!["enable", u],
            vec!["enable", u],
            vec!["is-enabled", u],
            vec!["reenable", u],
            vec!["disable", u],
            vec!["is-enabled", u],
            vec!["enable", "--runtime", u],
        ] {
            if check(&mut f, &h, &args).is_none() {
                break;
            }
        }
    }
    f.assert_none();
}

#[test]
fn user_scope_without_root() {
    let mut f = Failures::default();
    let h = homes("user-misc");
    let all: Vec<String> = unit_names(Path::new("/"), "usr/lib/systemd/user");
    for n in &all {
        check(&mut f, &h, &["is-enabled", n]);
    }
    for (home, _) in [(&h.a, 0), (&h.b, 1)] {
        let d = home.join("units");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("mine.service"), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\nAlias=mine-alias.service\n")
            .expect("write");
        let conf = home.join(".config/systemd/user");
        std::fs::create_dir_all(conf.join("dropped.service.d")).expect("mkdir");
        std::fs::write(conf.join("dropped.service.d/x.conf"), "[Service]\nNice=1\n").expect("write");
    }
    let mine_a = h.a.join("units/mine.service").display().to_string();
    let mine_b = h.b.join("units/mine.service").display().to_string();
    // Both sides get their own home's file; messages are compared with
    // the homes normalized.
    let link = |f: &mut Failures, args: &[&str]| {
        let want = systemctl_user(&h.a, &[args, &[mine_a.as_str()]].concat());
        let got = ours_user(&h.b, &[args, &[mine_b.as_str()]].concat());
        let n = |s: &str, home: &Path| s.replace(&home.display().to_string(), "<HOME>");
        if n(&want.stderr, &h.a) != n(&got.stderr, &h.b) || want.exit_code != got.exit_code {
            f.0.push(format!("`{}` differs:\n{}\n---\n{}", args.join(" "), want.stderr, got.stderr));
        }
    };
    link(&mut f, &["link"]);
    link(&mut f, &["link"]);
    for args in [
        vec!["is-enabled", "mine.service"],
        vec!["enable", "mine.service"],
        vec!["is-enabled", "mine-alias.service"],
        vec!["list-unit-files"],
        vec!["disable", "mine.service"],
        vec!["mask", "dbus.socket", "nope.service"],
        vec!["is-enabled", "dbus.socket"],
        vec!["unmask", "dbus.socket", "nope.service"],
        vec!["revert", "dropped.service"],
        vec!["mask", "--runtime", "dbus.socket"],
        vec!["is-enabled", "dbus.socket"],
        vec!["revert", "dbus.socket"],
        vec!["preset-all"],
        vec!["list-unit-files"],
        vec!["preset-all", "--preset-mode=disable-only"],
        vec!["enable", "--runtime", "dbus.socket"],
        vec!["get-default"],
    ] {
        check(&mut f, &h, &args);
    }
    f.assert_none();
}
