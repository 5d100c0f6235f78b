//! `vigil cat` on a small root written here: the fragment, drop-ins from
//! several directories in application order (a higher directory's
//! drop-in hiding a lower one of the same name, a masked drop-in, the
//! type-wide `service.d/`), aliases, templates, masked and missing units,
//! and systemd's line endings — compared with the text `systemctl cat`
//! prints for the same files on a live system.

mod ctl_support;

use ctl_support::*;

fn small_root(s: &Scratch) -> std::path::PathBuf {
    let r = s.path("root");
    let roots: &[&std::path::Path] = &[&r];
    write_in(roots, "usr/lib/systemd/system/web.service", "[Unit]\nDescription=Web\n\n[Service]\nExecStart=/bin/web\n");
    write_in(roots, "etc/systemd/system/web.service.d/10-a.conf", "[Service]\nEnvironment=A=1\n");
    // Hidden by /etc's file of the same name.
    write_in(roots, "run/systemd/system/web.service.d/10-a.conf", "[Service]\nEnvironment=A=run\n");
    write_in(roots, "usr/lib/systemd/system/web.service.d/20-b.conf", "[Service]\nEnvironment=B=2\n");
    // No trailing newline, Windows and old Mac line ends.
    write_in(roots, "usr/lib/systemd/system/web.service.d/30-c.conf", "[Service]\r\nEnvironment=C=3\rNice=5");
    write_in(roots, "etc/systemd/system/service.d/99-all.conf", "[Service]\nTimeoutStopSec=5\n");
    symlink_in(roots, "etc/systemd/system/www.service", "/usr/lib/systemd/system/web.service");
    symlink_in(roots, "etc/systemd/system/gone.service", "/dev/null");
    write_in(roots, "usr/lib/systemd/system/gone.service", "[Service]\nExecStart=/bin/gone\n");
    write_in(roots, "usr/lib/systemd/system/tmpl@.service", "[Service]\nExecStart=/bin/t %i\n");
    write_in(roots, "etc/systemd/system/tmpl@one.service.d/one.conf", "[Service]\nNice=1\n");
    write_in(roots, "usr/lib/systemd/system/dropins-only.slice.d/x.conf", "[Slice]\nCPUWeight=10\n");
    r
}

const WEB: &str = "\
# /usr/lib/systemd/system/web.service
[Unit]
Description=Web

[Service]
ExecStart=/bin/web

# /etc/systemd/system/web.service.d/10-a.conf
[Service]
Environment=A=1

# /usr/lib/systemd/system/web.service.d/20-b.conf
[Service]
Environment=B=2

# /usr/lib/systemd/system/web.service.d/30-c.conf
[Service]
Environment=C=3
Nice=5

# /etc/systemd/system/service.d/99-all.conf
[Service]
TimeoutStopSec=5
";

fn cat(root: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["cat"];
    all.extend_from_slice(args);
    ours(Some(root), &all, &[])
}

#[test]
fn fragment_then_dropins_in_order() {
    let s = Scratch::new("cat");
    let r = small_root(&s);
    let got = cat(&r, &["web"]);
    assert_eq!(got.stdout, WEB);
    assert_eq!((got.stderr.as_str(), got.code), ("", 0));
    // An alias shows the unit it names, under the unit's own paths.
    assert_eq!(cat(&r, &["www.service"]).stdout, WEB);
}

/// Drop-ins apply in file-name order whatever directory they are in, so
/// the type-wide `99-all.conf` comes before the instance's `one.conf`.
#[test]
fn units_are_separated_by_one_blank_line() {
    let s = Scratch::new("cat2");
    let r = small_root(&s);
    let got = cat(&r, &["web.service", "tmpl@one"]);
    let want = format!(
        "{WEB}\n# /usr/lib/systemd/system/tmpl@.service\n[Service]\nExecStart=/bin/t %i\n\n\
         # /etc/systemd/system/service.d/99-all.conf\n[Service]\nTimeoutStopSec=5\n\n\
         # /etc/systemd/system/tmpl@one.service.d/one.conf\n[Service]\nNice=1\n"
    );
    assert_eq!(got.stdout, want);
    assert_eq!(got.code, 0, "{}", got.stderr);
}

#[test]
fn masked_missing_and_dropin_only_units() {
    let s = Scratch::new("cat3");
    let r = small_root(&s);
    // nope.service has only the type-wide drop-in: a service without a
    // fragment is not found. A slice may exist without one.
    let got = cat(&r, &["gone", "nope", "dropins-only.slice", "tmpl@.service"]);
    assert_eq!(
        got.stdout,
        "# Unit gone.service is masked.\n\
         # /usr/lib/systemd/system/dropins-only.slice.d/x.conf\n[Slice]\nCPUWeight=10\n\n\
         # /usr/lib/systemd/system/tmpl@.service\n[Service]\nExecStart=/bin/t %i\n\n\
         # /etc/systemd/system/service.d/99-all.conf\n[Service]\nTimeoutStopSec=5\n"
    );
    assert_eq!(got.stderr, "No files found for nope.service.\n");
    assert_eq!(got.code, 1);
    // A masked unit alone is no failure.
    let got = cat(&r, &["gone.service"]);
    assert_eq!((got.stdout.as_str(), got.code), ("# Unit gone.service is masked.\n", 0));
}

#[test]
fn a_masked_dropin_shows_empty_and_hides_the_lower_one() {
    let s = Scratch::new("cat4");
    let r = small_root(&s);
    symlink_in(&[&r], "etc/systemd/system/web.service.d/20-b.conf", "/dev/null");
    let got = cat(&r, &["web"]);
    let want = WEB.replace(
        "# /usr/lib/systemd/system/web.service.d/20-b.conf\n[Service]\nEnvironment=B=2\n",
        "# /etc/systemd/system/web.service.d/20-b.conf\n",
    );
    assert_eq!(got.stdout, want);
    assert_eq!(got.code, 0, "{}", got.stderr);
}

#[test]
fn globs_match_unit_files_and_names_are_mangled() {
    let s = Scratch::new("cat5");
    let r = small_root(&s);
    // `www.service` is an alias: globs match units, not their aliases.
    let got = cat(&r, &["w*"]);
    assert_eq!(got.stdout, WEB);
    let got = cat(&r, &["bad name"]);
    assert_eq!(
        got.stderr,
        "Invalid unit name \"bad name\" escaped as \"bad\\x20name\" (maybe you should use systemd-escape?).\n\
         No files found for bad\\x20name.service.\n"
    );
    assert_eq!(got.code, 1);
    let got = cat(&r, &["-q", "bad name"]);
    assert_eq!(got.stderr, "No files found for bad\\x20name.service.\n");
    let got = cat(&r, &["nomatch*"]);
    assert_eq!((got.stdout.as_str(), got.stderr.as_str(), got.code), ("", "", 0));
}

#[test]
fn corpus_units_through_debian_lib_link() {
    let s = Scratch::new("cat6");
    let t = corpus_template(&s);
    // sshd.service is an /etc alias of ssh.service, found via /lib.
    let got = cat(&t, &["sshd"]);
    let fragment = std::fs::read_to_string(t.join("usr/lib/systemd/system/ssh.service")).expect("read ssh.service");
    assert_eq!(got.stdout, format!("# /lib/systemd/system/ssh.service\n{fragment}"));
    let got = cat(&t, &["rc-local"]);
    assert!(
        got.stdout.contains("\n\n# /usr/lib/systemd/system/rc-local.service.d/debian.conf\n"),
        "{}",
        got.stdout
    );
}

#[test]
fn errors() {
    let s = Scratch::new("cat7");
    let r = small_root(&s);
    let got = ours(Some(&r), &["cat"], &[]);
    assert_eq!((got.stderr.as_str(), got.code), ("Too few arguments.\n", 1));
    let got = ours(Some(&r), &["--user", "cat", "web"], &[]);
    assert_eq!(
        got.stderr,
        format!("Failed to initialize unit search paths for root directory {}: Invalid argument\n", r.display())
    );
    assert_eq!(got.code, 1);
    // A fragment that cannot be read: the unit could not be loaded.
    std::fs::remove_file(r.join("usr/lib/systemd/system/web.service")).expect("rm");
    std::fs::create_dir_all(r.join("srv/dir")).expect("mkdir");
    symlink_in(&[&r], "etc/systemd/system/web.service", "/srv/dir");
    let got = cat(&r, &["web"]);
    assert_eq!((got.stdout.as_str(), got.code), ("# Unit web.service could not be loaded.\n", 0), "{}", got.stderr);
    // A dangling one: a service without fragment is not found, even
    // with drop-ins.
    symlink_in(&[&r], "etc/systemd/system/web.service", "/nowhere/web.service");
    let got = cat(&r, &["web"]);
    assert_eq!((got.stdout.as_str(), got.stderr.as_str(), got.code), ("", "No files found for web.service.\n", 1));
    // A drop-in that opens but cannot be read stops the command after
    // its header.
    symlink_in(&[&r], "etc/systemd/system/tmpl@.service.d/dir.conf", "/srv/dir");
    let got = cat(&r, &["tmpl@x", "web"]);
    assert_eq!(
        got.stdout,
        "# /usr/lib/systemd/system/tmpl@.service\n[Service]\nExecStart=/bin/t %i\n\n\
         # /etc/systemd/system/service.d/99-all.conf\n[Service]\nTimeoutStopSec=5\n\n\
         # /etc/systemd/system/tmpl@.service.d/dir.conf\n"
    );
    assert_eq!(
        got.stderr,
        "Failed to read \"/etc/systemd/system/tmpl@.service.d/dir.conf\": Is a directory\n\
         Failed to cat /etc/systemd/system/tmpl@.service.d/dir.conf: Is a directory\n"
    );
    assert_eq!(got.code, 1);
}
