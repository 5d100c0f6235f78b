//! systemd's load-time consistency checks ("… Refusing."), one crafted
//! unit per check: `vigil verify` prints the same lines as `systemd-analyze
//! verify --man=no` and exits with the same code; and the manager refuses
//! to start such a unit the way systemctl reports it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

/// (unit, file text, a line systemd-analyze must print — proof that the
/// crafted unit trips the check it is here for).
const CASES: &[(&str, &str, &str)] = &[
    ("noexec.service", "[Unit]\nDescription=x\n", "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."),
    ("reboot.service", "[Unit]\nSuccessAction=reboot\n", ""),
    ("nostart.service", "[Unit]\nSuccessAction=reboot\n[Service]\nType=simple\n", "which is only allowed for Type=oneshot services"),
    ("stoponly.service", "[Service]\nExecStop=/bin/true\n", "does not have RemainAfterExit=yes set. Refusing."),
    ("stoprem.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStop=/bin/true\n", ""),
    ("two.service", "[Service]\nExecStart=/bin/true\nExecStart=/bin/true\n", "more than one ExecStart= setting"),
    ("tworeset.service", "[Service]\nExecStart=/bin/true\nExecStart=\nExecStart=/bin/true\n", ""),
    ("always.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRestart=always\n", "always or on-success"),
    ("onabnormal.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRestart=on-abnormal\n", ""),
    ("force.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRestartForceExitStatus=3\n", "RestartForceExitStatus= set"),
    ("exitcg.service", "[Service]\nType=oneshot\nExitType=cgroup\nExecStart=/bin/true\n", "ExitType=cgroup set"),
    ("dbus.service", "[Service]\nType=dbus\nExecStart=/bin/true\n", "no D-Bus service name"),
    ("pam.service", "[Service]\nPAMName=login\nKillMode=process\nExecStart=/bin/true\n", "Service has PAM enabled"),
    ("usb.service", "[Service]\nUSBFunctionDescriptors=/x\nExecStart=/bin/true\n", "but no USBFunctionStrings=. Ignoring."),
    ("runmax.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRuntimeMaxSec=5\n", "RuntimeMaxSec= has no effect"),
    ("runmax0.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRuntimeMaxSec=0\n", "RuntimeMaxSec= has no effect"),
    ("extra.service", "[Service]\nRuntimeRandomizedExtraSec=5\nExecStart=/bin/true\n", "but no RuntimeMaxSec=. Ignoring."),
    ("relative.service", "[Service]\nExecStart=foo/bar\n", "Unit configuration has fatal error, unit will not be started."),
    ("isolate.service", "[Unit]\nOnFailure=a.service b.service\nOnFailureJobMode=isolate\n[Service]\nExecStart=/bin/true\n", "OnFailureJobMode=isolate set. Refusing."),
    ("isolate2.service", "[Unit]\nOnSuccess=a.service\nOnSuccess=b.service\nOnSuccessJobMode=isolate\n[Service]\nExecStart=/bin/true\n", "OnSuccessJobMode=isolate set. Refusing."),
    ("isolate3.service", "[Unit]\nOnFailure=a.service a.service\nOnFailureJobMode=isolate\n[Service]\nExecStart=/bin/true\n", ""),
    ("both.service", "[Unit]\nOnSuccess=a.service b.service\nOnSuccessJobMode=isolate\nOnFailure=a.service b.service\nOnFailureJobMode=isolate\n[Service]\nExecStart=/bin/true\n", "OnSuccessJobMode=isolate set. Refusing."),
    ("jobrun.service", "[Unit]\nJobTimeoutSec=5\nJobRunningTimeoutSec=10\n[Service]\nExecStart=/bin/true\n", "it has no effect."),
    ("slice.service", "[Service]\nExecStart=/bin/true\nSlice=foo.service\n", "Failed to assign slice foo.service"),
    ("empty.timer", "[Timer]\nAccuracySec=1s\n", "Timer unit lacks value setting. Refusing."),
    ("badcal.timer", "[Timer]\nOnCalendar=garbage\n", "Failed to parse calendar specification, ignoring: garbage"),
    ("reset.timer", "[Timer]\nOnBootSec=5\nOnCalendar=\n", "Timer unit lacks value setting. Refusing."),
    ("clock.timer", "[Timer]\nOnClockChange=yes\n", ""),
    ("empty.path", "[Path]\nMakeDirectory=yes\n", "Path unit lacks path setting. Refusing."),
    ("nolisten.socket", "[Socket]\nAccept=yes\n", "Unit has no Listen setting"),
    ("accept.socket", "[Socket]\nListenStream=80\nAccept=yes\nService=x.service\n", "Explicit service configuration"),
    ("mnt.mount", "[Mount]\nWhat=/dev/sda\nWhere=/other\n", "Where= setting doesn't match unit name. Refusing."),
    ("nowhat.mount", "[Mount]\nWhere=/nowhat\n", "What= setting is missing. Refusing."),
    ("proc.mount", "[Mount]\nWhat=proc\n", "Cannot create mount unit for API file system /proc. Refusing."),
    ("run-host-x.mount", "[Mount]\nWhat=x\n", "Cannot create mount unit for API file system /run/host/x. Refusing."),
    ("dev-sda.swap", "[Swap]\nWhat=/dev/sdb\n", "Value of What= and unit name do not match, not loading."),
    ("x.automount", "[Automount]\nWhere=/y\n", "Where= setting doesn't match unit name. Refusing."),
    ("root.automount", "[Automount]\nWhere=/\n", "Cannot assign requested address"),
    ("y.automount", "[Automount]\nExtraOptions=ro,fd=3\n", "ExtraOptions= setting may not contain reserved option fd."),
    ("z.automount", "[Automount]\nExtraOptions=fdx,pgrpx\n", ""),
    ("pam.mount", "[Mount]\nWhat=/dev/sda\nPAMName=login\nKillMode=mixed\n", "Kill mode must be set to control-group'. Refusing."),
    ("dev-sdb.swap", "[Swap]\nPAMName=login\nKillMode=process\n", "Kill mode must be set to 'control-group'. Refusing to load."),
    ("pam.socket", "[Socket]\nListenStream=80\nPAMName=login\nKillMode=process\n", "Kill mode must be set to 'control-group'. Refusing."),
    ("a--b.slice", "[Slice]\n", "Invalid argument"),
    ("b-x.slice", "[Slice]\nSlice=b.slice\n", "Failed to assign slice b.slice to unit b-x.slice"),
    ("x.scope", "[Scope]\n", "Unit x.scope not found."),
];

fn lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> =
        text.lines().filter(|l| !l.contains("is not supported by vigil yet")).map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn verify_prints_what_systemd_analyze_prints_for_each_check() {
    let mut mismatches = Vec::new();
    for (name, text, expect) in CASES {
        let r = TestRoot::new("vchk");
        let dir = r.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
        let theirs = Command::new("systemd-analyze")
            .args(["verify", "--man=no", &r.root_arg(), name])
            .output()
            .expect("systemd-analyze (scripts/test-deps installs it)");
        let ours = r.vigil(&["verify", name]);
        let (terr, oerr) = (stderr(&theirs), stderr(&ours));
        assert!(terr.contains(expect), "{name}: the crafted unit does not trip its check:\n{terr}");
        if theirs.status.code() != ours.status.code() || lines(&terr) != lines(&oerr) {
            mismatches.push(format!(
                "{name}: systemd-analyze {:?}, vigil {:?}\n--- systemd:\n{terr}--- vigil:\n{oerr}",
                theirs.status.code(),
                ours.status.code()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} differ:\n{}", mismatches.len(), CASES.len(), mismatches.join("\n"));
}

/// A dependency refused by its checks: the line saying why, and the start
/// job that cannot be built, in systemd's words.
#[test]
fn verify_reports_a_refused_dependency() {
    let r = TestRoot::new("vchkdep");
    let dir = r.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.service"),
        "[Unit]\nDefaultDependencies=no\nRequires=bad.timer\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.timer"), "[Unit]\nDefaultDependencies=no\n[Timer]\n").unwrap();
    let theirs =
        Command::new("systemd-analyze").args(["verify", "--man=no", &r.root_arg(), "a.service"]).output().unwrap();
    let ours = r.vigil(&["verify", "a.service"]);
    let (terr, oerr) = (stderr(&theirs), stderr(&ours));
    assert!(terr.contains("Unit bad.timer has a bad unit file setting."), "{terr}");
    assert_eq!((lines(&oerr), ours.status.code()), (lines(&terr), theirs.status.code()), "vigil:\n{oerr}");
}

/// systemctl 252 refuses the start job of a bad-setting unit ("Failed to
/// start X: Unit X has a bad unit file setting.", exit 1) and the manager
/// logged why when it loaded the unit.
#[test]
fn start_refuses_a_unit_its_checks_refused() {
    let r = TestRoot::new("vchkstart");
    let dir = r.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(r.path.join("var/log/journal")).unwrap();
    std::fs::write(dir.join("noexec.service"), "[Unit]\nDescription=x\n").unwrap();
    std::fs::write(dir.join("ok.service"), "[Service]\nType=oneshot\nExecStart=/bin/true\n").unwrap();
    let o = r.vigil(&["start", "noexec.service"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().next(),
        Some("Failed to start noexec.service: Unit noexec.service has a bad unit file setting.")
    );
    let o = r.vigil(&["show", "-p", "LoadState", "noexec.service"]);
    assert_eq!(stdout(&o), "LoadState=bad-setting\n");
    // Its neighbour is not affected.
    assert_eq!(r.vigil(&["start", "ok.service"]).status.code(), Some(0));
    let journal = || stdout(&r.vigil(&["logs", "-u", "noexec.service", "-o", "cat", "--no-pager"]));
    let why = "noexec.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.";
    assert!(wait_until(Duration::from_secs(10), || journal().contains(why)), "journal: {:?}", journal());
}
