//! With a root given, nothing outside it may change — whatever symlinks
//! the tree holds. (systemd-tmpfiles 252 itself follows some symlinks on
//! the host, e.g. when making parent directories and globbing, so these
//! are checked on our side only.)

mod common;

use std::path::Path;

use common::{prepare, snapshot, Scratch};
use tmpfiles::{apply, config, Config, LoadOptions, Ops, Scope};

fn run(root: &Path, conf: &str) -> tmpfiles::Report {
    let file = root.with_extension("conf");
    std::fs::write(&file, conf).unwrap();
    let host = config::detect_host(root, Scope::System);
    let opts = LoadOptions { root, scope: Scope::System, host: &host, credentials: None, prefixes: Default::default() };
    let (cfg, diags) = Config::load_with(&opts, Some(&[file])).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    apply(&cfg, root, Ops { create: true, remove: true, clean: true, boot: true })
}

#[test]
fn symlinks_never_lead_out_of_the_root() {
    let s = Scratch::new("safety");
    let outside = s.0.join("host");
    std::fs::create_dir_all(outside.join("dir")).unwrap();
    std::fs::write(outside.join("file"), "host data").unwrap();
    std::fs::write(outside.join("dir/inner"), "inner").unwrap();
    let before = snapshot(&outside);

    let root = s.0.join("root");
    let o = outside.display();
    prepare(
        &root,
        &format!(
            "link /run {o}\nlink /up ../../../../../../..\nlink /wlink {o}/file\nlink /rl {o}/dir\nlink /g {o}/dir\n\
             link /zl {o}/dir\nlink /src {o}/file\nlink /srcdir {o}\nlink /var/tmp {o}/dir\nlink /var/log {o}"
        ),
    );
    let report = run(
        &root,
        &format!(
            "d /run/foo 0700 - - -\n\
             f /up{o}/file - - - - overwritten?\n\
             f+ /up{o}/file - - - - truncated?\n\
             w /wlink - - - - written?\n\
             w /up{o}/file - - - - written?\n\
             R /rl\n\
             r /g/*\n\
             R /up{o}/dir\n\
             Z /zl 0700 bar bar -\n\
             z /g/inner 0600 bar - -\n\
             t /g/inner - - - - user.x=1\n\
             C /copy - - - - /src\n\
             C /copy2 - - - - /srcdir/file\n\
             e /var/tmp 0700 - - 0\n\
             D /var/log 0700 - - -\n\
             L+ /up{o}/dir - - - - /nowhere\n\
             p+ /up{o}/file 0600 - - -\n"
        ),
    );
    let changed = common::diff(&before, &snapshot(&outside));
    assert!(changed.is_empty(), "the host changed: {changed:#?}\nfailures: {:#?}", report.failures);
    // The in-root resolutions happened where they should: `/run` points to
    // a directory the root does not have, so `d /run/foo` fails (as it
    // does for systemd, whose in-root check fails after its host-side
    // mkdir); `/up/HOST/file` is the root's own `HOST/file`.
    assert!(report.failures.iter().any(|f| f.origin.line == 1), "{:#?}", report.failures);
    assert!(root.join(outside.strip_prefix("/").unwrap()).join("file").is_file());
    assert!(std::fs::symlink_metadata(root.join("rl")).is_err(), "R removes the symlink itself");
    assert!(std::fs::symlink_metadata(root.join("copy")).unwrap().file_type().is_symlink());
}

#[test]
fn unsafe_ownership_transitions_are_reported() {
    let s = Scratch::new("transition");
    let root = s.0.join("root");
    prepare(&root, "dir /home/u 0755 1001 1002\nlink /home/u/etc /etc");
    let report = run(&root, "f /home/u/etc/owned - - - - x\nz /home/u/etc 0700 - - -\n");
    assert!(!root.join("etc/owned").exists());
    let msgs: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert_eq!(report.failures.len(), 2, "{msgs:?}");
    assert!(msgs.iter().all(|m| m.contains(".conf:")), "file:line in every failure: {msgs:?}");
    assert_eq!(std::fs::metadata(root.join("etc")).unwrap().permissions().mode() & 0o7777, 0o755);
}

use std::os::unix::fs::PermissionsExt;
