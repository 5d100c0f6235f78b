//! User, groups, capabilities, securebits, no_new_privs, chroot. These
//! need root (CI runs as root); elsewhere each test says it skipped.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use exec::{spawn, ExecPlan, ExitStatus, SpawnError, Step, WorkDirPath, WorkingDirectory};

const CAP_CHOWN: u32 = 0;
const CAP_NET_BIND_SERVICE: u32 = 10;
const CAP_NET_RAW: u32 = 13;

fn status_of(plan: ExecPlan) -> String {
    let mut plan = plan;
    plan.path = "/bin/cat".into();
    plan.argv0 = "cat".into();
    plan.args = vec!["/proc/self/status".into()];
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0), "{out}");
    out
}

fn hex(status: &str, field: &str) -> u64 {
    u64::from_str_radix(
        status_field(status, field).unwrap_or_else(|| panic!("no {field} in {status}")),
        16,
    )
    .unwrap()
}

#[test]
fn runs_as_nobody_with_initgroups() {
    if skip_unless_root("runs_as_nobody_with_initgroups") {
        return;
    }
    let mut plan = ExecPlan::new("/usr/bin/id");
    plan.user = Some("nobody".into());
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    // Compare with what id(1) says about the user in the database.
    let expected = std::process::Command::new("id")
        .arg("nobody")
        .output()
        .unwrap();
    assert_eq!(out, String::from_utf8_lossy(&expected.stdout));
    assert!(out.starts_with("uid=65534(nobody) gid=65534("), "{out}");
}

#[test]
fn group_and_supplementary_groups() {
    if skip_unless_root("group_and_supplementary_groups") {
        return;
    }
    let daemon = exec::resolve_group("daemon").unwrap().gid;
    let adm = exec::resolve_group("adm").unwrap().gid;
    let mut plan = ExecPlan::new("/bin/true");
    plan.user = Some("nobody".into());
    plan.group = Some("daemon".into());
    plan.supplementary_groups = vec!["adm".into()];
    let status = status_of(plan);
    assert_eq!(
        status_field(&status, "Uid"),
        Some("65534\t65534\t65534\t65534")
    );
    assert_eq!(
        status_field(&status, "Gid"),
        Some(format!("{daemon}\t{daemon}\t{daemon}\t{daemon}").as_str())
    );
    let mut groups: Vec<u32> = status_field(&status, "Groups")
        .unwrap()
        .split_whitespace()
        .map(|g| g.parse().unwrap())
        .collect();
    groups.sort_unstable();
    let mut want = exec::user_groups("nobody", daemon).unwrap();
    want.push(adm);
    want.sort_unstable();
    want.dedup();
    assert_eq!(groups, want);
}

#[test]
fn no_new_privileges_is_set() {
    if skip_unless_root("no_new_privileges_is_set") {
        return;
    }
    let mut plan = ExecPlan::new("/bin/true");
    plan.no_new_privileges = true;
    assert_eq!(status_field(&status_of(plan), "NoNewPrivs"), Some("1"));
    assert_eq!(
        status_field(&status_of(ExecPlan::new("/bin/true")), "NoNewPrivs"),
        Some("0")
    );
}

#[test]
fn capability_bounding_set_limits_root() {
    if skip_unless_root("capability_bounding_set_limits_root") {
        return;
    }
    let keep = (1u64 << CAP_CHOWN) | (1u64 << CAP_NET_BIND_SERVICE);
    let mut plan = ExecPlan::new("/bin/true");
    plan.capability_bounding_set = Some(keep);
    let status = status_of(plan);
    assert_eq!(hex(&status, "CapBnd"), keep);
    assert_eq!(hex(&status, "CapPrm"), keep);
    assert_eq!(hex(&status, "CapEff"), keep);
}

#[test]
fn ambient_capabilities_reach_a_non_root_user() {
    if skip_unless_root("ambient_capabilities_reach_a_non_root_user") {
        return;
    }
    let amb = (1u64 << CAP_NET_BIND_SERVICE) | (1u64 << CAP_NET_RAW);
    let mut plan = ExecPlan::new("/bin/true");
    plan.user = Some("nobody".into());
    plan.ambient_capabilities = amb;
    let status = status_of(plan);
    assert_eq!(
        status_field(&status, "Uid"),
        Some("65534\t65534\t65534\t65534")
    );
    assert_eq!(hex(&status, "CapAmb"), amb);
    assert_eq!(hex(&status, "CapPrm"), amb);
    assert_eq!(hex(&status, "CapEff"), amb);
    assert_eq!(hex(&status, "CapInh"), amb);

    // Without ambient caps a non-root user ends with none at all.
    let mut plan = ExecPlan::new("/bin/true");
    plan.user = Some("nobody".into());
    let status = status_of(plan);
    assert_eq!(
        (
            hex(&status, "CapPrm"),
            hex(&status, "CapEff"),
            hex(&status, "CapAmb")
        ),
        (0, 0, 0)
    );
}

#[test]
fn ambient_capability_outside_bounding_set_is_dropped_silently() {
    if skip_unless_root("ambient_capability_outside_bounding_set_is_dropped_silently") {
        return;
    }
    let mut plan = ExecPlan::new("/bin/true");
    plan.user = Some("nobody".into());
    plan.capability_bounding_set = Some(1u64 << CAP_NET_BIND_SERVICE);
    plan.ambient_capabilities = (1u64 << CAP_NET_BIND_SERVICE) | (1u64 << CAP_NET_RAW);
    let status = status_of(plan);
    assert_eq!(hex(&status, "CapAmb"), 1u64 << CAP_NET_BIND_SERVICE);
    assert_eq!(hex(&status, "CapBnd"), 1u64 << CAP_NET_BIND_SERVICE);
}

#[test]
fn securebits_and_parent_death_signal_are_set() {
    if skip_unless_root("securebits_and_parent_death_signal_are_set") {
        return;
    }
    // SECBIT_NOROOT | SECBIT_NOROOT_LOCKED
    let mut plan = ExecPlan::new("/usr/bin/setpriv").args(["--dump"]);
    plan.secure_bits = 0b11;
    plan.parent_death_signal = Some(libc::SIGTERM);
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0), "{out}");
    assert_eq!(
        out.lines().find(|l| l.starts_with("Securebits:")),
        Some("Securebits: noroot,noroot_locked"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l == "Parent death signal: TERM"),
        "{out}"
    );
}

#[test]
fn working_directory_is_entered_as_the_service_user() {
    if skip_unless_root("working_directory_is_entered_as_the_service_user") {
        return;
    }
    let dir = TempDir::new("private");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut plan = ExecPlan::new("/bin/pwd");
    plan.user = Some("nobody".into());
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Path(dir.path().into()),
        missing_ok: false,
    };
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    let SpawnError::Setup {
        pid,
        step,
        errno,
        exit_code,
    } = err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!(
        (step, errno, exit_code),
        (Step::WorkingDirectory, libc::EACCES, 200)
    );
    assert_eq!(wait_exit(pid), ExitStatus::Exited(200));
}

#[test]
fn unknown_user_fails_before_fork_with_217() {
    let mut plan = ExecPlan::new("/bin/true");
    plan.user = Some("vigil-no-such-user".into());
    let err = plan.prepare().unwrap_err();
    assert_eq!(err.exit_code(), Some(217));
    assert!(err.to_string().contains("vigil-no-such-user"), "{err}");
}

/// Copies `bin` and the libraries `ldd` lists into `root`.
fn populate_chroot(root: &std::path::Path, bin: &str) {
    let out = std::process::Command::new("ldd")
        .arg(bin)
        .output()
        .expect("ldd must be installed");
    let mut files = vec![bin.to_string()];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(p) = line.split_whitespace().find(|w| w.starts_with('/')) {
            files.push(p.to_string());
        }
    }
    for f in files {
        let src = std::fs::canonicalize(&f).unwrap();
        let dst = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
    }
}

#[test]
fn root_directory_chroots_and_cwd_is_inside_it() {
    if skip_unless_root("root_directory_chroots_and_cwd_is_inside_it") {
        return;
    }
    let root = TempDir::new("chroot");
    populate_chroot(root.path(), "/bin/sh");
    std::fs::create_dir(root.path().join("sub")).unwrap();
    let mut plan = ExecPlan::new("/bin/sh").args(["-c", "echo \"$PWD\" > /marker; pwd"]);
    plan.root_directory = Some(root.path().into());
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Path("/sub".into()),
        missing_ok: false,
    };
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0), "{out}");
    assert_eq!(out, "/sub\n");
    assert_eq!(
        std::fs::read_to_string(root.path().join("marker")).unwrap(),
        "/sub\n"
    );

    // A tolerated missing directory leaves the service at the new root,
    // never outside it.
    let mut plan = ExecPlan::new("/bin/sh").args(["-c", "pwd"]);
    plan.root_directory = Some(root.path().into());
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Path("/missing".into()),
        missing_ok: true,
    };
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "/\n");
}
