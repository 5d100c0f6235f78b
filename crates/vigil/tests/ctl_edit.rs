//! `systemctl edit` (`ctl/edit.rs`) against a running manager on a
//! temporary root, on a terminal made by `script(1)` (systemctl edits only
//! on one). The editor is a shell script that keeps a copy of what it was
//! given and changes it; what it gets, what ends up on disk and the
//! messages are systemd 252's, read off the oracle container with the
//! same units and editors.

mod common;

use std::process::Command;

use common::*;

/// `vigil --root=R ARGS` on a terminal, with `SYSTEMD_EDITOR=editor`:
/// (what the terminal showed, the exit code).
fn on_tty(r: &TestRoot, editor: &str, args: &str) -> (String, i32) {
    let cmd = format!("{} {} {args}; echo rc=$?", vigil(), r.root_arg());
    let o = Command::new("script").args(["-qec", &cmd, "/dev/null"]).env("SYSTEMD_EDITOR", editor).output().expect("script(1)");
    let text = String::from_utf8_lossy(&o.stdout).replace('\r', "");
    let (shown, code) = text.trim_end().rsplit_once("rc=").expect("rc= line");
    (shown.to_string(), code.trim().parse().unwrap())
}

fn editor(r: &TestRoot, name: &str, script: &str) -> String {
    let p = r.path.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::process::Command::new("chmod").args(["+x", p.to_str().unwrap()]).status().unwrap();
    p.display().to_string()
}

#[test]
fn edit_writes_a_drop_in_and_reloads() {
    let r = TestRoot::with_units(
        "ctl-edit",
        &[("tick.service", "[Unit]\nDescription=Tick\n[Service]\nType=oneshot\nExecStart=/bin/true\n")],
    );
    assert_eq!(r.vigil(&["start", "tick"]).status.code(), Some(0));
    let seen = r.path.join("seen");
    let add = editor(&r, "add.sh", &format!("cp \"$1\" {}\nsed -i '3i [Service]\\nEnvironment=X=1' \"$1\"", seen.display()));
    let (shown, code) = on_tty(&r, &add, "edit tick.service");
    assert_eq!((shown.as_str(), code), ("", 0));
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        "### Editing /etc/systemd/system/tick.service.d/override.conf\n\
         ### Anything between here and the comment below will become the new contents of the file\n\
         \n\n\n\
         ### Lines below this comment will be discarded\n\
         \n### /etc/systemd/system/tick.service\n# [Unit]\n# Description=Tick\n# [Service]\n# Type=oneshot\n# ExecStart=/bin/true"
    );
    let dropin = r.path.join("etc/systemd/system/tick.service.d/override.conf");
    assert_eq!(std::fs::read_to_string(&dropin).unwrap(), "[Service]\nEnvironment=X=1");
    // The manager reloaded: the drop-in is in effect.
    assert_eq!(r.prop("tick.service", "Environment"), "X=1");
    // Emptied: the file stays as it was.
    let empty = editor(&r, "empty.sh", ": > \"$1\"");
    let (shown, code) = on_tty(&r, &empty, "edit tick");
    let canceled = "Editing \"/etc/systemd/system/tick.service.d/override.conf\" canceled: temporary file is empty.";
    assert_eq!((shown.trim_end(), code), (canceled, 0));
    assert_eq!(std::fs::read_to_string(&dropin).unwrap(), "[Service]\nEnvironment=X=1");
    // A failing editor, a unit without files, no terminal.
    assert_eq!(on_tty(&r, "false", "edit tick"), ("(editor) failed with exit status 1.\n".to_string(), 1));
    let (shown, code) = on_tty(&r, "true", "edit nothere");
    assert_eq!(
        (shown.as_str(), code),
        ("No files found for nothere.service.\nRun 'systemctl edit --force --full nothere.service' to create a new unit.\n", 1)
    );
    let o = r.vigil(&["edit", "tick"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Cannot edit units if not on a tty.\n"));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(dropin.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["override.conf"]);
}

#[test]
fn edit_full_copies_the_unit_file() {
    let r = TestRoot::new("ctl-edit-full");
    let vendor = r.path.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&vendor).unwrap();
    std::fs::write(vendor.join("v.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    let seen = r.path.join("seen");
    let ed = editor(&r, "full.sh", &format!("cp \"$1\" {}\nsed -i 's/true/false/' \"$1\"", seen.display()));
    let (_, code) = on_tty(&r, &ed, "--no-autostart edit --full v.service");
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), "[Service]\nExecStart=/bin/true\n");
    assert_eq!(std::fs::read_to_string(r.path.join("etc/systemd/system/v.service")).unwrap(), "[Service]\nExecStart=/bin/false");
    // The vendor file is untouched.
    assert_eq!(std::fs::read_to_string(vendor.join("v.service")).unwrap(), "[Service]\nExecStart=/bin/true\n");
}
