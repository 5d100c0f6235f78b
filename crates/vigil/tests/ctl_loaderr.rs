//! Units that failed to load, as systemctl 252 shows them through a
//! running manager: `status` prints `Loaded: STATE (Reason: WHY)` with the
//! message of the unit's `LoadError` (`print_status_info()`), exits 4 only
//! for a unit that is not found (and inactive), 3 for a masked, bad-setting
//! or error unit; `show -p LoadError` prints the D-Bus error pair
//! `NAME "MESSAGE"` (`bus_unit_validate_load_state()`); a refused start
//! adds "See system logs and 'systemctl status X' for details." unless the
//! unit is unknown or masked (`start_unit_one()`).

mod common;

use common::*;

/// A root with a bad-setting, a masked, an error and a good unit.
fn root(name: &str) -> TestRoot {
    let r = TestRoot::with_units(
        name,
        &[
            // No ExecStart=: service_verify() refuses it (bad-setting).
            ("bad.service", "[Unit]\nDescription=bad one\n"),
            // An invalid slice name: slice_verify() fails with EINVAL (error).
            ("a--b.slice", "[Slice]\n"),
            ("ok.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"),
        ],
    );
    std::os::unix::fs::symlink("/dev/null", r.path.join("etc/systemd/system/m.service")).unwrap();
    std::fs::create_dir_all(r.path.join("var/log/journal")).unwrap();
    r
}

/// `status UNIT`: exit code, stdout lines, stderr.
fn status(r: &TestRoot, unit: &str) -> (Option<i32>, Vec<String>, String) {
    let o = r.vigil(&["status", "--no-pager", unit]);
    (o.status.code(), stdout(&o).lines().map(str::to_string).collect(), stderr(&o))
}

#[test]
fn status_gives_the_reason_a_unit_did_not_load() {
    let r = root("lerrst");
    let (code, lines, err) = status(&r, "bad.service");
    assert_eq!((code, err.as_str()), (Some(3), ""), "{lines:?}");
    assert!(lines[0].ends_with(" bad.service - bad one"), "{lines:?}");
    assert_eq!(lines[1], "     Loaded: bad-setting (Reason: Unit bad.service has a bad unit file setting.)");
    assert!(lines[2].starts_with("     Active: inactive (dead)"), "{lines:?}");

    // A masked unit: no description beyond its name, so no " - ".
    let (code, lines, _) = status(&r, "m");
    assert_eq!(code, Some(3), "{lines:?}");
    assert!(lines[0].ends_with(" m.service") && !lines[0].contains(" - "), "{lines:?}");
    assert_eq!(lines[1], "     Loaded: masked (Reason: Unit m.service is masked.)");

    let (code, lines, _) = status(&r, "a--b.slice");
    assert_eq!(code, Some(3), "{lines:?}");
    assert_eq!(
        lines[1],
        "     Loaded: error (Reason: Unit a--b.slice failed to load properly, please adjust/correct and reload service manager: Invalid argument)"
    );

    // Not found and inactive: systemctl's one line, under the mangled name.
    let (code, lines, err) = status(&r, "nosuch");
    assert_eq!((code, lines.len(), err.as_str()), (Some(4), 0, "Unit nosuch.service could not be found.\n"));

    // A unit that loaded has no reason line.
    let (_, lines, _) = status(&r, "ok.service");
    assert!(lines[1].starts_with("     Loaded: loaded (/etc/systemd/system/ok.service"), "{lines:?}");
}

#[test]
fn show_load_error_is_the_d_bus_error_pair() {
    let r = root("lerrshow");
    let show = |u: &str| stdout(&r.vigil(&["show", "-p", "LoadError", u]));
    assert_eq!(
        show("bad.service"),
        "LoadError=org.freedesktop.systemd1.BadUnitSetting \"Unit bad.service has a bad unit file setting.\"\n"
    );
    assert_eq!(show("m.service"), "LoadError=org.freedesktop.systemd1.UnitMasked \"Unit m.service is masked.\"\n");
    assert_eq!(show("nosuch.service"), "LoadError=org.freedesktop.systemd1.NoSuchUnit \"Unit nosuch.service not found.\"\n");
    assert_eq!(
        show("a--b.slice"),
        "LoadError=org.freedesktop.DBus.Error.InvalidArgs \"Unit a--b.slice failed to load properly, please adjust/correct and reload service manager: Invalid argument\"\n"
    );
    // Empty for a loaded unit: shown when asked for, left out otherwise.
    assert_eq!(show("ok.service"), "LoadError=\n");
    assert!(!stdout(&r.vigil(&["show", "ok.service"])).contains("LoadError="));
}

#[test]
fn refused_start_points_to_the_logs_unless_unknown_or_masked() {
    let r = root("lerrstart");
    let o = r.vigil(&["start", "bad"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (
            Some(1),
            "Failed to start bad.service: Unit bad.service has a bad unit file setting.\n\
             See system logs and 'systemctl status bad.service' for details.\n"
        )
    );
    let o = r.vigil(&["start", "m.service"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to start m.service: Unit m.service is masked.\n"));
    let o = r.vigil(&["start", "nosuch.service"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(5), "Failed to start nosuch.service: Unit nosuch.service not found.\n")
    );
}
