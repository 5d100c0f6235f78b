//! `systemd-tmpfiles --user`: configuration from the user's XDG
//! directories, `%h %t %S %C %L` from the environment. The real tool and
//! our library each get their own home (twin trees) and the results are
//! compared. This binary holds a single test because it sets environment
//! variables, which are process-wide.

mod common;

use std::path::Path;

use common::{diff, snapshot, Scratch, ORACLE};
use tmpfiles::{apply, Config, Ops, Scope};

fn prepare(home: &Path) {
    let w = |p: &str, text: &str| {
        let f = home.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    w(".config/user-tmpfiles.d/a.conf", "d %h/made 0700 - - -\nf %t/runtime-file - - - - %u:%U\n");
    w(".config/user-tmpfiles.d/shared.conf", "d %h/from-config - - - -\n");
    w(".local/share/user-tmpfiles.d/shared.conf", "d %h/from-data - - - -\n");
    w(".local/share/user-tmpfiles.d/b.conf", "d %S/state - - - -\nd %C/cache - - - -\nd %L/logs - - - -\n");
    w("run/user-tmpfiles.d/c.conf", "L %h/link - - - - %h/made\nd %h/nope 0700 nobody-here - -\n");
    w("xdg-config/user-tmpfiles.d/d.conf", "d %h/from-xdg-config - - - -\n");
    w("xdg-data/user-tmpfiles.d/e.conf", "d %h/from-xdg-data - - - -\n");
    std::fs::create_dir_all(home.join("etc")).unwrap();
}

fn set_env(home: &Path) {
    std::env::set_var("HOME", home);
    std::env::set_var("XDG_RUNTIME_DIR", home.join("run"));
    std::env::set_var("XDG_CONFIG_DIRS", home.join("xdg-config"));
    std::env::set_var("XDG_DATA_DIRS", home.join("xdg-data"));
    for v in ["XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR", "CREDENTIALS_DIRECTORY"] {
        std::env::remove_var(v);
    }
}

#[test]
fn user_scope_matches_systemd() {
    let s = Scratch::new("user");
    let a = s.0.join("a");
    let b = s.0.join("b");
    prepare(&a);
    prepare(&b);

    set_env(&a);
    let out = std::process::Command::new(ORACLE)
        .args(["--user", "--create", "--remove", "--boot"])
        .output()
        .unwrap_or_else(|e| panic!("the oracle {ORACLE} must be installed: {e}"));
    let sys_exit = out.status.code().unwrap_or(-1);

    set_env(&b);
    let (cfg, diags) = Config::load(Path::new("/"), Scope::User).unwrap();
    let report = apply(&cfg, Path::new("/"), Ops { create: true, remove: true, clean: false, boot: true });
    let our_exit = report.exit_status(&diags, true);

    let ta = snapshot(&a);
    let tb = snapshot(&b);
    // The trees differ by the home's own path inside symlink targets and
    // contents; map B's spelling to A's before comparing.
    let tb: std::collections::BTreeMap<_, _> = tb
        .into_iter()
        .map(|(k, mut e)| {
            if let Some(t) = &e.target {
                e.target = Some(t.to_string_lossy().replace(&*b.to_string_lossy(), &a.to_string_lossy()).into());
            }
            (k, e)
        })
        .collect();
    let d = diff(&ta, &tb);
    assert!(d.is_empty(), "{d:#?}\nsystemd: {}\nours: {diags:#?} {:#?}", String::from_utf8_lossy(&out.stderr), report.failures);
    assert_eq!(sys_exit, our_exit, "systemd: {}", String::from_utf8_lossy(&out.stderr));
    for p in ["made", "from-config", "run/runtime-file", ".config/state", ".cache/cache", ".config/log/logs", "link", "from-xdg-config", "from-xdg-data"] {
        assert!(ta.contains_key(Path::new(p)), "{p} missing: {:?}", ta.keys().collect::<Vec<_>>());
    }
    assert!(!ta.contains_key(Path::new("from-data")), "shadowed by the config directory's file");
}
