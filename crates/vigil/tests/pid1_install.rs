//! `vigil install` against a temporary prefix (issue 7): the binary and
//! its links land there, someone else's file is not clobbered without
//! `--force`, a re-run changes nothing, and a running systemd (simulated
//! in a private PID + mount namespace whose PID 1 is named `systemd` and
//! whose private `/run` has `/run/systemd/system`) keeps its tools.

mod common;

use std::path::Path;
use std::process::Command;

use common::{stderr, stdout, vigil, TestRoot};

const TOOLS: [&str; 4] = ["systemctl", "journalctl", "service", "systemd-analyze"];

fn install(prefix: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(vigil()).arg("install").arg(format!("--prefix={}", prefix.display())).args(extra).output().expect("run vigil install")
}

fn link_target(p: &Path) -> String {
    std::fs::read_link(p).map(|t| t.display().to_string()).unwrap_or_else(|e| format!("not a link: {e}"))
}

#[test]
fn install_puts_binary_and_links_under_prefix() {
    let t = TestRoot::new("install");
    let o = install(&t.path, &["--init"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let bin = t.path.join("bin");
    let copied = std::fs::read(bin.join("vigil")).expect("bin/vigil");
    assert_eq!(copied, std::fs::read(vigil()).expect("read vigil"), "bin/vigil is not this binary");
    for tool in TOOLS {
        assert_eq!(link_target(&bin.join(tool)), "vigil", "{tool}");
    }
    assert_eq!(link_target(&t.path.join("sbin/init")), "../bin/vigil");
    // The links work: each answers as its tool.
    let o = Command::new(bin.join("systemd-analyze")).arg("--help").output().expect("run systemd-analyze");
    assert!(stdout(&o).contains("systemd-analyze"), "{}", stdout(&o));
    let o = Command::new(bin.join("systemctl")).args(["--root", "/nonexistent-root-for-test", "get-default"]).output().expect("run systemctl");
    assert!(!stderr(&o).contains("vigil install"), "{}", stderr(&o));
    // systemd-sysv links /sbin/runlevel to systemctl; invoke-rc.d asks it
    // and, without utmp records, must hear what systemd says then.
    std::os::unix::fs::symlink("systemctl", bin.join("runlevel")).expect("symlink runlevel");
    let o = Command::new(bin.join("runlevel")).output().expect("run runlevel");
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("unknown\n", Some(1)));
    // Again: nothing to do, still fine.
    let o = install(&t.path, &["--init"]);
    assert!(o.status.success(), "re-run: {}{}", stdout(&o), stderr(&o));
}

#[test]
fn install_leaves_foreign_files_alone_unless_forced() {
    let t = TestRoot::new("install-foreign");
    let bin = t.path.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::write(bin.join("systemctl"), "#!/bin/sh\necho the real systemctl\n").expect("write");
    let o = install(&t.path, &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("systemctl exists and is not vigil"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(bin.join("systemctl")).expect("read"), "#!/bin/sh\necho the real systemctl\n");
    // The others were linked all the same; no init without --init.
    assert_eq!(link_target(&bin.join("journalctl")), "vigil");
    assert!(!t.path.join("sbin/init").exists());
    let o = install(&t.path, &["--force"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(link_target(&bin.join("systemctl")), "vigil");
}

#[test]
fn install_beside_a_running_systemd() {
    if !common::is_root() {
        eprintln!("skipping install_beside_a_running_systemd: needs root (unshare, mount)");
        return;
    }
    let t = TestRoot::new("install-systemd");
    // A PID 1 whose name is "systemd": a copy of the shell.
    let fake_init = t.path.join("systemd");
    std::fs::copy("/bin/sh", &fake_init).expect("copy sh");
    let prefix = t.path.join("prefix");
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && \
         {v} install --prefix={p} --init; echo \"init=$?\"; {v} install --prefix={p}; echo \"plain=$?\"",
        v = vigil(),
        p = prefix.display()
    );
    let o = Command::new("unshare")
        .args(["--fork", "--pid", "--mount", "--mount-proc"])
        .arg(&fake_init)
        .args(["-c", &script])
        .output()
        .expect("run unshare");
    let out = stdout(&o);
    assert!(out.contains("init=1"), "--init must be refused: {out}{}", stderr(&o));
    assert!(out.contains("plain=0"), "{out}{}", stderr(&o));
    assert!(out.contains("installed beside it"), "{out}");
    assert!(stderr(&o).contains("refusing --init"), "{}", stderr(&o));
    assert!(prefix.join("bin/vigil").exists());
    for tool in TOOLS {
        assert!(std::fs::symlink_metadata(prefix.join("bin").join(tool)).is_err(), "{tool} linked beside systemd");
    }
    assert!(std::fs::symlink_metadata(prefix.join("sbin/init")).is_err());
}
