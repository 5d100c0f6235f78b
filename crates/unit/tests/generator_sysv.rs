//! SysV generator: header parsing edge cases (pure functions) and runs
//! over temporary roots (skipping, trust, duplicates, symlinks).

mod generator_util;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use generator_util::{my_uid, snapshot, Out, TempDir};
use unit::generator::sysv::{parse_script, unit_from_script, unit_name_for_script};
use unit::generator::{run_sysv, GenOptions};
use unit::Severity;

fn info(text: &str) -> unit::generator::sysv::ScriptInfo {
    parse_script(Path::new("/etc/init.d/foo"), text)
}

#[test]
fn facilities_map_to_targets() {
    let i = info(
        "### BEGIN INIT INFO\n# Required-Start: $local_fs $syslog $network $named $portmap $remote_fs $time $all $x-display-manager foo foo.sh bar.sh\n### END INIT INFO\n",
    );
    assert_eq!(
        i.after,
        [
            "network-online.target",
            "nss-lookup.target",
            "rpcbind.target",
            "remote-fs.target",
            "time-sync.target",
            "all.target",
            "x-display-manager.target",
            "foo.service",
            "bar.service"
        ]
    );
    // `foo` is the script itself and is dropped; `foo.sh` is not equal to
    // the file name `foo`, so it maps to foo.service as systemd does.
    assert_eq!(i.wants, ["network-online.target"]);
    assert!(i.has_lsb);
}

#[test]
fn provides_aliases_and_targets() {
    let i = info("### BEGIN INIT INFO\n# Provides: foo alias1 $network $mytarget odd.socket\n### END INIT INFO\n");
    assert_eq!(i.aliases, ["alias1.service"]);
    assert_eq!(i.before, ["network-online.target", "network.target", "mytarget.target"]);
    assert_eq!(i.wants, ["network-online.target", "network.target", "mytarget.target"]);
    assert_eq!(i.diagnostics.len(), 1);
    assert_eq!(i.diagnostics[0].span.line, 2);
    assert!(i.diagnostics[0].message.contains("odd.socket"));
}

#[test]
fn x_start_before_network_is_only_ordering() {
    let i = info("### BEGIN INIT INFO\n# X-Start-Before: $network other\n# X-Start-After: late\n### END INIT INFO\n");
    assert_eq!(i.before, ["network-online.target", "other.service"]);
    assert_eq!(i.after, ["late.service"]);
    assert!(i.wants.is_empty());
}

#[test]
fn description_priority_and_continuations() {
    // Short-Description beats everything.
    let i = info("### BEGIN INIT INFO\n# Description: long\n#  more\n# Short-Description: short\n### END INIT INFO\n# description: chk\n");
    assert_eq!(i.description.as_deref(), Some("LSB: short"));
    // Red Hat description beats LSB Description.
    let i = info("### BEGIN INIT INFO\n# Description: long\n### END INIT INFO\n# description: chk \\\n#   config\n");
    assert_eq!(i.description.as_deref(), Some("LSB: chk config"));
    // Continuations need `#` + tab or two spaces at the very start.
    let i = info("### BEGIN INIT INFO\n# Description: one\n#\ttwo\n#  three\n# four\n#  five\n### END INIT INFO\n");
    assert_eq!(i.description.as_deref(), Some("LSB: one two three"));
    // No header: SYSV prefix; no description at all: none.
    assert_eq!(info("# description: old\n").description.as_deref(), Some("SYSV: old"));
    assert_eq!(info("#!/bin/sh\nexit 0\n").description, None);
    // Keys are case-insensitive, an empty value means none.
    let i = info(
        "### BEGIN INIT INFO\n# short-description:\n# DESCRIPTION: Upper\n### END INIT INFO\n",
    );
    assert_eq!(i.description.as_deref(), Some("LSB: Upper"));
}

#[test]
fn begin_must_be_the_whole_line() {
    let i = info("#### BEGIN INIT INFO\n# Provides: x\n### END INIT INFO\n");
    assert!(!i.has_lsb);
    assert!(i.aliases.is_empty());
    // Surrounding blanks are fine.
    let i = info("   ### BEGIN INIT INFO   \n# Provides: x\n### END INIT INFO\n");
    assert!(i.has_lsb);
    assert_eq!(i.aliases, ["x.service"]);
}

#[test]
fn reload_detection() {
    assert!(info("echo \"Usage: $0 {start|stop|reload}\"\n").reload);
    assert!(info("echo \"USAGE: x {reload|start}\"\n").reload);
    assert!(info("echo \"usage: x start|reload\"\n").reload);
    assert!(!info("echo \"usage: x {start|stop|force-reload}\"\n").reload);
    assert!(!info("# usage: x {start|reload}\n").reload, "comments do not count");
    assert!(
        info("echo \"Usage: x \\\n  {start|stop|reload|status}\"\n").reload,
        "continued usage line"
    );
    assert!(!info("echo \"Usage: x\"\necho {start|reload}\n").reload, "not continued");
}

#[test]
fn words_unquote_like_systemd() {
    let i = info("### BEGIN INIT INFO\n# Should-Start: \"a b\" 'c d' e\\ f \"unterminated g\n### END INIT INFO\n");
    assert_eq!(
        i.after,
        ["a\\x20b.service", "c\\x20d.service", "e\\x20f.service", "unterminated\\x20g.service"]
    );
}

#[test]
fn pidfile_and_escaping_in_unit_text() {
    let (unit, info) = unit_from_script(
        Path::new("/etc/init.d/50%"),
        "# description: uses 100% \n# pidfile: /run/x%i.pid\n",
    );
    assert_eq!(info.pid_file.as_deref(), Some("/run/x%i.pid"));
    assert_eq!(
        unit,
        "# Automatically generated by systemd-sysv-generator\n\n[Unit]\nDocumentation=man:systemd-sysv-generator(8)\n\
         SourcePath=/etc/init.d/50%%\nDescription=SYSV: uses 100%%\n\n[Service]\nType=forking\nRestart=no\n\
         TimeoutSec=5min\nIgnoreSIGPIPE=no\nKillMode=process\nGuessMainPID=no\nRemainAfterExit=no\n\
         PIDFile=/run/x%%i.pid\nExecStart=/etc/init.d/50%% start\nExecStop=/etc/init.d/50%% stop\n"
    );
    let i = parse_script(Path::new("/etc/init.d/x"), "# pidfile: run/x.pid\n");
    assert_eq!(i.pid_file, None);
    assert_eq!(i.diagnostics[0].severity, Severity::Error);
}

#[test]
fn script_names() {
    assert_eq!(unit_name_for_script("hwclock.sh").as_deref(), Some("hwclock.service"));
    assert_eq!(unit_name_for_script("a+b").as_deref(), Some("a\\x2bb.service"));
    assert_eq!(unit_name_for_script(".sh"), None);
}

// ---- runs over a temporary root ----

const HEADER: &str = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: PLACEHOLDER\n# Short-Description: test\n### END INIT INFO\n";

fn script(root: &Path, name: &str, mode: u32) {
    let p = root.join("etc/init.d").join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, HEADER.replace("PLACEHOLDER", name)).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn opts(root: &Path) -> GenOptions {
    GenOptions {
        system_mode: true,
        unit_search_path: vec![root.join("units")],
        also_trust_uid: Some(my_uid(root)),
    }
}

#[test]
fn group_or_world_writable_scripts_are_refused() {
    let t = TempDir::new("sysv-trust");
    let root = t.path().join("root");
    script(&root, "good", 0o755);
    script(&root, "open", 0o777);
    script(&root, "group", 0o775);
    let out = t.path().join("out");
    let report = run_sysv(&root, &out, &opts(&root)).expect("run");
    assert_eq!(report.units, ["good.service"]);
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        errors,
        [
            "/etc/init.d/group:0: refusing, mode 0775 is writable by group or others",
            "/etc/init.d/open:0: refusing, mode 0777 is writable by group or others",
        ]
    );
    assert!(!out.join("open.service").exists());
}

#[test]
fn scripts_not_owned_by_root_are_refused() {
    let t = TempDir::new("sysv-owner");
    let root = t.path().join("root");
    script(&root, "theirs", 0o755);
    let p = root.join("etc/init.d/theirs");
    // As root, hand the file to another user; otherwise it already
    // belongs to us, a non-root user. Either way it is not root's.
    if my_uid(t.path()) == 0 {
        std::os::unix::fs::chown(&p, Some(1000), Some(1000)).expect("chown");
    }
    let owner = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&p).expect("stat").uid()
    };
    assert_ne!(owner, 0);
    let strict = GenOptions { also_trust_uid: None, ..opts(&root) };
    let report = run_sysv(&root, &t.path().join("out"), &strict).expect("run");
    assert!(report.units.is_empty());
    let msg = report
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("an error")
        .to_string();
    assert_eq!(msg, format!("/etc/init.d/theirs:0: refusing, owned by uid {owner} (not root)"));
}

#[test]
fn user_mode_generates_nothing() {
    let t = TempDir::new("sysv-user");
    let root = t.path().join("root");
    script(&root, "good", 0o755);
    let o = GenOptions { system_mode: false, ..opts(&root) };
    let report = run_sysv(&root, &t.path().join("out"), &o).expect("run");
    assert_eq!(report, Default::default());
    assert!(!t.path().join("out").exists());
}

#[test]
fn first_of_foo_and_foo_sh_wins_and_aliases_yield_to_real_scripts() {
    let t = TempDir::new("sysv-dup");
    let root = t.path().join("root");
    script(&root, "foo", 0o755);
    script(&root, "foo.sh", 0o755);
    // `alpha` provides `beta`, but a real `beta` script exists: the real
    // unit replaces the alias symlink.
    let a = root.join("etc/init.d/alpha");
    std::fs::write(&a, HEADER.replace("PLACEHOLDER", "alpha beta gamma")).expect("write");
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script(&root, "beta", 0o755);
    let out = t.path().join("out");
    let report = run_sysv(&root, &out, &opts(&root)).expect("run");
    assert_eq!(report.units, ["alpha.service", "beta.service", "foo.service"]);
    let snap = snapshot(&out);
    assert_eq!(snap.get(Path::new("gamma.service")), Some(&Out::Link("alpha.service".into())));
    assert!(
        matches!(snap.get(Path::new("beta.service")), Some(Out::File(t)) if t.contains("SourcePath=/etc/init.d/beta\n"))
    );
    assert!(
        matches!(snap.get(Path::new("foo.service")), Some(Out::File(t)) if t.contains("SourcePath=/etc/init.d/foo\n"))
    );
    assert_eq!(report.links, [("gamma.service".into(), "alpha.service".into())]);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.message.contains("foo.service is already generated from /etc/init.d/foo")));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.message.contains("Overwriting existing symlink beta.service")));
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let t = TempDir::new("sysv-link");
    let root = t.path().join("root");
    // /etc/init.d/svc -> /opt/svc (absolute, inside the root).
    let target = root.join("opt/svc");
    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    std::fs::write(&target, HEADER.replace("PLACEHOLDER", "svc")).expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::create_dir_all(root.join("etc/init.d")).expect("mkdir");
    std::os::unix::fs::symlink("/opt/svc", root.join("etc/init.d/svc")).expect("symlink");
    // A native unit given as an absolute symlink inside the root shadows `shadow`.
    script(&root, "shadow", 0o755);
    std::fs::create_dir_all(root.join("units")).expect("mkdir");
    std::fs::create_dir_all(root.join("lib/real")).expect("mkdir");
    std::fs::write(root.join("lib/real/shadow.service"), "[Service]\nExecStart=/bin/true\n")
        .expect("write");
    std::os::unix::fs::symlink("/lib/real/shadow.service", root.join("units/shadow.service"))
        .expect("symlink");
    // A dangling one does not shadow `ghost`.
    script(&root, "ghost", 0o755);
    std::os::unix::fs::symlink("/nowhere/ghost.service", root.join("units/ghost.service"))
        .expect("symlink");
    let report = run_sysv(&root, &t.path().join("out"), &opts(&root)).expect("run");
    assert_eq!(report.units, ["ghost.service", "svc.service"]);
}
