//! The corpus's real Debian `tmpfiles.d` files, installed into two fresh
//! roots' `/usr/lib/tmpfiles.d` (so configuration discovery is exercised
//! too), applied by the real `systemd-tmpfiles` 252 to one and by our
//! library to the other; the trees, exit statuses and invalid lines must
//! agree — on a first boot, and again on a second run over the result.

mod common;

use std::path::{Path, PathBuf};

use common::{diff, snapshot, Scratch, ORACLE};
use tmpfiles::{apply, config, Config, LoadOptions, Ops, Scope, Severity};

const CORPUS: &str = "/work/shared/corpus/usr/lib/tmpfiles.d";

/// Users and groups the corpus lines name (`messagebus`, `man`,
/// `memcache`, `postgres`, `systemd-network`, `utmp`,
/// `systemd-journal`), plus `adm` with the host's id because ACL names
/// are resolved by the real tool through the host's NSS.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n\
messagebus:x:100:102::/nonexistent:/usr/sbin/nologin\n\
postgres:x:101:104::/var/lib/postgresql:/bin/bash\n\
memcache:x:105:106::/nonexistent:/bin/false\n\
systemd-network:x:998:998::/:/usr/sbin/nologin\n";
const GROUP: &str = "root:x:0:\n\
adm:x:4:\n\
man:x:12:\n\
utmp:x:43:\n\
messagebus:x:102:\n\
postgres:x:104:\n\
memcache:x:106:\n\
systemd-network:x:998:\n\
systemd-journal:x:999:\n";

fn corpus_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("configuration {dir} must exist: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    assert!(v.len() >= 10, "expected the Debian corpus, found {v:?}");
    v
}

/// Where the configuration and the user database come from.
struct Source {
    dir: &'static str,
    passwd: String,
    group: String,
    /// Paths the configuration must create (so that the comparison is
    /// about something).
    expect: &'static [&'static str],
}

fn prepare(root: &Path, src: &Source, machine_id: bool) {
    let dir = root.join("usr/lib/tmpfiles.d");
    std::fs::create_dir_all(&dir).unwrap();
    for f in corpus_files(src.dir) {
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd"), &src.passwd).unwrap();
    std::fs::write(root.join("etc/group"), &src.group).unwrap();
    if machine_id {
        std::fs::write(root.join("etc/machine-id"), "0123456789abcdef0123456789abcdef\n").unwrap();
        // Something for the journal lines to adjust.
        let j = root.join("var/log/journal/0123456789abcdef0123456789abcdef");
        std::fs::create_dir_all(&j).unwrap();
        std::fs::write(j.join("system.journal"), "").unwrap();
        std::fs::create_dir_all(root.join("run/log/journal/0123456789abcdef0123456789abcdef")).unwrap();
        std::fs::write(root.join("run/log/journal/0123456789abcdef0123456789abcdef/system.journal"), "").unwrap();
    }
    // State a previous boot left behind, for the `r!`/`R!`/`D` lines.
    std::fs::write(root.join("forcefsck"), "").unwrap();
    std::fs::create_dir_all(root.join("tmp/systemd-private-abc-x/tmp")).unwrap();
    std::fs::create_dir_all(root.join("tmp/.X11-unix")).unwrap();
    std::fs::write(root.join("tmp/.X0-lock"), "").unwrap();
    std::fs::write(root.join("tmp/leftover"), "").unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd.lock"), "").unwrap();
}

fn run_systemd(root: &Path, ops: Ops) -> (i32, String) {
    let mut cmd = std::process::Command::new(ORACLE);
    cmd.arg(format!("--root={}", root.display()));
    if ops.create {
        cmd.arg("--create");
    }
    if ops.remove {
        cmd.arg("--remove");
    }
    if ops.boot {
        cmd.arg("--boot");
    }
    cmd.env("HOME", "/root").env_remove("TMPDIR").env_remove("CREDENTIALS_DIRECTORY");
    let out = cmd.output().unwrap_or_else(|e| panic!("the oracle {ORACLE} must be installed: {e}"));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn run_ours(root: &Path, ops: Ops) -> (i32, String) {
    let mut host = config::detect_host(root, Scope::System);
    host.credentials_dir = None;
    let opts = LoadOptions { root, scope: Scope::System, host: &host, credentials: None, prefixes: Default::default() };
    let (cfg, diags) = Config::load_with(&opts, None).expect("load");
    let report = apply(&cfg, root, ops);
    let mut log = String::new();
    for d in diags.iter().filter(|d| d.severity != Severity::Skipped) {
        log.push_str(&format!("{d}\n"));
    }
    for f in &report.failures {
        log.push_str(&format!("{f}\n"));
    }
    (report.exit_status(&diags, ops.boot), log)
}

fn compare(src: &Source, machine_id: bool) {
    let s = Scratch::new(if machine_id { "corpus-mid" } else { "corpus" });
    let a = s.0.join("a");
    let b = s.0.join("b");
    prepare(&a, src, machine_id);
    prepare(&b, src, machine_id);
    let ops = Ops { create: true, remove: true, clean: false, boot: true };
    let mut problems = Vec::new();
    for round in 1..=2 {
        let (sys_exit, sys_log) = run_systemd(&a, ops);
        let (our_exit, our_log) = run_ours(&b, ops);
        let d = diff(&snapshot(&a), &snapshot(&b));
        for x in &d {
            problems.push(format!("round {round}: {x}"));
        }
        if sys_exit != our_exit {
            problems.push(format!("round {round}: exit status systemd {sys_exit} ours {our_exit}"));
        }
        if !d.is_empty() || sys_exit != our_exit {
            problems.push(format!("round {round} systemd log:\n{sys_log}\nour log:\n{our_log}"));
        }
    }
    if std::env::var_os("TMPFILES_TEST_VERBOSE").is_some() {
        for (p, e) in snapshot(&b) {
            eprintln!("{} {:?} {:o} {}:{}", p.display(), e.kind, e.mode, e.uid, e.gid);
        }
        eprintln!("systemd: {:?}\nours: {:?}", run_systemd(&a, ops), run_ours(&b, ops));
    }
    // The comparison must be about something: the corpus creates a lot.
    let tree = snapshot(&b);
    for p in src.expect {
        assert!(tree.contains_key(Path::new(p)), "{p} was not created: {:?}", tree.keys().collect::<Vec<_>>());
    }
    assert!(tree.len() > 30, "the configuration did little: {:?}", tree.keys().collect::<Vec<_>>());
    assert!(!tree.contains_key(Path::new("forcefsck")) || src.dir != CORPUS, "r! /forcefsck did not apply");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn corpus() -> Source {
    Source {
        dir: CORPUS,
        passwd: PASSWD.into(),
        group: GROUP.into(),
        expect: &["run/dbus/containers", "var/lib/dbus/machine-id", "run/utmp", "var/log/wtmp", "etc/mtab", "run/lock/subsys"],
    }
}

#[test]
fn debian_corpus_without_machine_id() {
    compare(&corpus(), false);
}

#[test]
fn debian_corpus_with_machine_id() {
    compare(&corpus(), true);
}

/// The configuration installed on this machine, with its own users.
#[test]
fn installed_configuration() {
    let src = Source {
        dir: "/usr/lib/tmpfiles.d",
        passwd: std::fs::read_to_string("/etc/passwd").unwrap(),
        group: std::fs::read_to_string("/etc/group").unwrap(),
        expect: &["run/utmp", "var/log/wtmp", "etc/mtab"],
    };
    compare(&src, true);
}
