//! Differential tests of `preset` and `preset-all` (all modes) against the
//! real `systemctl --root=DIR`, with the corpus's preset files and custom
//! ones exercising ordering, overriding, globs and instance lists.

mod install_support;

use install_support::*;

/// The corpus has a dangling alias in /etc that makes `preset-all` fail
/// (as it does on such a system); tests that want a clean run remove it.
const DANGLING: &str = "etc/systemd/system/dbus-org.freedesktop.timesync1.service";

#[test]
fn preset_all_on_the_corpus_fails_like_systemctl() {
    let s = Scratch::new("pa-corpus");
    let t = corpus_template(&s);
    let (a, b) = pair(&s, &t, "x");
    let p = same(&a, &b, &["preset-all"]);
    assert_eq!(p.exit_code, 1, "the dangling timesync1 alias should fail preset-all: {}", p.stderr);
}

#[test]
fn preset_all_modes_with_corpus_presets() {
    let s = Scratch::new("pa-modes");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    for mode in ["full", "enable-only", "disable-only"] {
        let (a, b) = pair(&s, &t, "x");
        remove_both(&a, &b, DANGLING);
        let arg = format!("--preset-mode={mode}");
        f.check(&a, &b, &["preset-all", &arg]);
        f.check(&a, &b, &["preset-all", &arg]);
        f.check(&a, &b, &["list-unit-files"]);
    }
    let (a, b) = pair(&s, &t, "rt");
    remove_both(&a, &b, DANGLING);
    f.check(&a, &b, &["preset-all", "--runtime"]);
    f.assert_none();
}

#[test]
fn preset_every_installable_unit() {
    let s = Scratch::new("p-each");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    for u in units_with_install(&t) {
        f.check(&a, &b, &["preset", &u]);
        f.check(&a, &b, &["preset", "--preset-mode=disable-only", &u]);
        f.check(&a, &b, &["preset", "--preset-mode=enable-only", &u]);
    }
    f.check(&a, &b, &["preset", "nope.service", "cron.service"]);
    f.check(&a, &b, &["preset", "sshd.service"]);
    f.check(&a, &b, &["preset", "cryptdisks.service"]);
    f.assert_none();
}

#[test]
fn custom_preset_files() {
    let s = Scratch::new("p-custom");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    remove_both(&a, &b, DANGLING);
    // Lexicographic order across directories; /etc overrides a vendor file
    // of the same name; first match wins.
    write_both(
        &a,
        &b,
        "usr/lib/systemd/system-preset/10-vendor.preset",
        "# vendor policy\nenable ssh.*\ndisable nginx.service\nenable getty@.service tty3 tty4\nenable postgresql@.service 15-main\n\nbogus line here\nenable two.service words\ndisable *\n",
    );
    write_both(&a, &b, "etc/systemd/system-preset/10-vendor.preset", "disable cron.service\n  enable nginx.service  \n;comment\n");
    write_both(&a, &b, "etc/systemd/system-preset/05-first.preset", "enable memcached.service\ndisable rsync.service\n");
    write_both(&a, &b, "run/systemd/system-preset/50-runtime.preset", "disable ssh.socket\nenable redis-server@.service a b\n");
    for args in [
        vec!["preset", "cron.service", "nginx.service", "ssh.service", "memcached.service", "rsync.service"],
        vec!["preset", "getty@.service"],
        vec!["preset", "getty@tty3.service", "getty@tty9.service"],
        vec!["preset", "postgresql@.service", "redis-server@.service"],
        vec!["preset", "ssh.socket"],
        vec!["list-unit-files"],
        vec!["preset-all"],
        vec!["list-unit-files"],
        vec!["preset-all", "--preset-mode=enable-only"],
    ] {
        f.check(&a, &b, &args);
    }
    f.assert_none();
}

#[test]
fn preset_files_in_lib_and_masked_units() {
    let s = Scratch::new("p-lib");
    let t = corpus_template(&s);
    let mut f = Failures::default();
    let (a, b) = pair(&s, &t, "x");
    remove_both(&a, &b, DANGLING);
    // /lib is a link to /usr/lib in the corpus root: one directory.
    write_both(&a, &b, "usr/lib/systemd/system-preset/99-default.preset", "disable *\n");
    f.check(&a, &b, &["mask", "nginx.service"]);
    f.check(&a, &b, &["mask", "--runtime", "ssh.service"]);
    f.check(&a, &b, &["preset", "nginx.service", "ssh.service"]);
    f.check(&a, &b, &["preset-all"]);
    f.check(&a, &b, &["list-unit-files", "--state=masked,masked-runtime,disabled"]);
    f.assert_none();
}
