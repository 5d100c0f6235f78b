//! Each check on a unit made to trip it, and its neighbour that must not
//! (the differential test against `systemd-analyze verify` lives in the
//! vigil crate: crates/vigil/tests/verify_checks.rs).

use super::*;

fn load(name: &str, text: &str) -> UnitConfig {
    crate::config::load_for_test("checks", name, text)
}

fn errors(cfg: &UnitConfig) -> Vec<&str> {
    cfg.checks.iter().filter(|c| c.severity == Severity::Error).map(|c| c.message.as_str()).collect()
}

fn warnings(cfg: &UnitConfig) -> Vec<&str> {
    cfg.checks.iter().filter(|c| c.severity == Severity::Warning).map(|c| c.message.as_str()).collect()
}

#[track_caller]
fn refused(name: &str, text: &str, message: &str) {
    let cfg = load(name, text);
    assert_eq!(cfg.load_state, LoadState::BadSetting, "{name}: {:?}", cfg.checks);
    assert_eq!(errors(&cfg), vec![message], "{name}");
}

#[track_caller]
fn accepted(name: &str, text: &str) -> UnitConfig {
    let cfg = load(name, text);
    assert_eq!(cfg.load_state, LoadState::Loaded, "{name}: {:?}", cfg.checks);
    assert!(errors(&cfg).is_empty(), "{name}: {:?}", cfg.checks);
    cfg
}

#[test]
fn services_need_something_to_run() {
    refused(
        "a.service",
        "[Unit]\nDescription=x\n",
        "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.",
    );
    // Like systemd-reboot.service: a oneshot that only triggers its action.
    accepted("b.service", "[Unit]\nSuccessAction=reboot\n");
    refused(
        "c.service",
        "[Unit]\nSuccessAction=reboot\n[Service]\nType=simple\n",
        "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.",
    );
    refused(
        "d.service",
        "[Service]\nExecStop=/bin/true\n",
        "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.",
    );
    accepted("e.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStop=/bin/true\n");
    // An empty assignment resets the list: the second service has one.
    refused(
        "f.service",
        "[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n",
        "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.",
    );
    accepted("g.service", "[Service]\nExecStart=/bin/true\nExecStart=\nExecStart=/bin/false\n");
}

#[test]
fn oneshot_and_dbus_combinations() {
    let oneshot = "[Service]\nType=oneshot\nExecStart=/bin/true\n";
    refused(
        "a.service",
        &format!("{oneshot}Restart=on-success\n"),
        "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.",
    );
    accepted("b.service", &format!("{oneshot}Restart=on-failure\n"));
    refused(
        "c.service",
        &format!("{oneshot}RestartForceExitStatus=3\n"),
        "Service has RestartForceExitStatus= set, which isn't allowed for Type=oneshot services. Refusing.",
    );
    refused(
        "d.service",
        &format!("{oneshot}ExitType=cgroup\n"),
        "Service has ExitType=cgroup set, which isn't allowed for Type=oneshot services. Refusing.",
    );
    refused(
        "e.service",
        "[Service]\nType=dbus\nExecStart=/bin/true\n",
        "Service is of type D-Bus but no D-Bus service name has been specified. Refusing.",
    );
    refused(
        "f.service",
        "[Service]\nPAMName=login\nKillMode=process\nExecStart=/bin/true\n",
        "Service has PAM enabled. Kill mode must be set to 'control-group' or 'mixed'. Refusing.",
    );
    let cfg = accepted("g.service", &format!("{oneshot}RuntimeMaxSec=5\n"));
    assert_eq!(warnings(&cfg), vec!["RuntimeMaxSec= has no effect in combination with Type=oneshot. Ignoring."]);
    let cfg = accepted("h.service", &format!("{oneshot}RuntimeMaxSec=infinity\n"));
    assert!(warnings(&cfg).is_empty());
}

#[test]
fn timers_paths_and_generic_checks() {
    refused("a.timer", "[Timer]\nOnCalendar=daily\nOnCalendar=\n", "Timer unit lacks value setting. Refusing.");
    accepted("b.timer", "[Timer]\nOnClockChange=yes\n");
    refused("bad.timer", "[Timer]\nOnCalendar=garbage\n", "Timer unit lacks value setting. Refusing.");
    let cfg = load("bad.timer", "[Timer]\nOnCalendar=garbage\n");
    let d = cfg.diagnostics.iter().find(|d| d.message.contains("calendar")).expect("warning");
    assert_eq!((d.span.line, d.message.as_str()), (2, "Failed to parse calendar specification, ignoring: garbage"));
    let cfg = load("x.scope", "[Scope]\nRuntimeMaxSec=5\n");
    assert_eq!(cfg.load_state, LoadState::NotFound);
    refused("c.path", "[Path]\nMakeDirectory=yes\n", "Path unit lacks path setting. Refusing.");
    accepted("d.path", "[Path]\nPathExists=/x\n");
    refused(
        "e.service",
        "[Unit]\nOnFailure=a.service b.service\nOnFailureJobMode=isolate\n[Service]\nExecStart=/bin/true\n",
        "More than one OnFailure= dependencies specified but OnFailureJobMode=isolate set. Refusing.",
    );
    // The legacy OnFailureIsolate= sets the same mode: the later one wins.
    let legacy = "[Unit]\nOnFailure=a.service b.service\n";
    let refusal = "More than one OnFailure= dependencies specified but OnFailureJobMode=isolate set. Refusing.";
    refused(
        "l1.service",
        &format!("{legacy}OnFailureJobMode=replace\nOnFailureIsolate=yes\n[Service]\nExecStart=/bin/true\n"),
        refusal,
    );
    accepted(
        "l2.service",
        &format!("{legacy}OnFailureIsolate=yes\nOnFailureJobMode=replace\n[Service]\nExecStart=/bin/true\n"),
    );
    // OnSuccess= is validated first.
    refused(
        "l3.service",
        &format!("{legacy}OnFailureJobMode=isolate\nOnSuccess=a.service b.service\nOnSuccessJobMode=isolate\n[Service]\nExecStart=/bin/true\n"),
        "More than one OnSuccess= dependencies specified but OnSuccessJobMode=isolate set. Refusing.",
    );
    // The same unit twice is one dependency.
    accepted(
        "f.service",
        "[Unit]\nOnFailure=a.service a.service\nOnFailureJobMode=isolate\n[Service]\nExecStart=/bin/true\n",
    );
    let cfg =
        accepted("g.service", "[Unit]\nJobTimeoutSec=5\nJobRunningTimeoutSec=10\n[Service]\nExecStart=/bin/true\n");
    assert_eq!(warnings(&cfg), vec!["JobRunningTimeoutSec= is greater than JobTimeoutSec=, it has no effect."]);
}

#[test]
fn mounts_swaps_automounts_and_slices_match_their_names() {
    refused("mnt.mount", "[Mount]\nWhat=/dev/sda\nWhere=/other\n", "Where= setting doesn't match unit name. Refusing.");
    refused("mnt.mount", "[Mount]\nWhere=/mnt\n", "What= setting is missing. Refusing.");
    accepted("mnt.mount", "[Mount]\nWhat=/dev/sda\nWhere=//mnt/\n");
    refused("proc.mount", "[Mount]\nWhat=proc\n", "Cannot create mount unit for API file system /proc. Refusing.");
    refused("dev-sda.swap", "[Swap]\nWhat=/dev/sdb\n", "Value of What= and unit name do not match, not loading.");
    accepted("dev-sda.swap", "[Swap]\n");
    refused("x.automount", "[Automount]\nWhere=/y\n", "Where= setting doesn't match unit name. Refusing.");
    let cfg = load("y.automount", "[Automount]\nWhere=/\n");
    assert_eq!((cfg.load_state, cfg.load_error), (LoadState::Error, Some("Cannot assign requested address")));
    let cfg = load("a--b.slice", "[Slice]\n");
    assert_eq!((cfg.load_state, cfg.load_error), (LoadState::Error, Some("Invalid argument")));
    assert!(slice_name_is_valid("-.slice") && slice_name_is_valid("a-b.slice"));
    assert!(!slice_name_is_valid("a-.slice") && !slice_name_is_valid("-a.slice") && !slice_name_is_valid("a@b.slice"));
}

#[test]
fn slice_assignments_that_cannot_be_made_are_ignored_at_their_line() {
    let cfg = accepted("a.service", "[Service]\nExecStart=/bin/true\nSlice=foo.service\n");
    let d = cfg.diagnostics.iter().find(|d| d.message.starts_with("Failed to assign slice")).expect("warning");
    assert_eq!(d.message, "Failed to assign slice foo.service to unit a.service, ignoring: Invalid argument");
    assert_eq!(d.span.line, 3);
    assert_eq!(crate::config::deps::slice_of(&cfg, crate::Scope::System).as_deref(), Some("system.slice"));
    let cfg = accepted("b-x.slice", "[Slice]\nSlice=b.slice\n");
    assert!(cfg.diagnostics.iter().any(|d| d.message.starts_with("Failed to assign slice b.slice to unit b-x.slice")));
}

#[test]
fn a_fatal_assignment_is_reported_once_for_the_unit() {
    let cfg = load("a.service", "[Service]\nExecStart=foo/bar\n");
    assert_eq!(cfg.load_state, LoadState::BadSetting);
    assert_eq!(errors(&cfg), vec!["Unit configuration has fatal error, unit will not be started."]);
}
