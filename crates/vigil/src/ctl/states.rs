//! The names `systemctl --type=help` and `--state=help` list: unit types,
//! load states, active states, unit file states and each type's
//! substates, in systemd 252's order. With `--no-legend` the headings (and
//! the blank lines between groups) are left out, as systemctl does.

use unit::install::UnitFileState;
use unit::UnitType;

/// Load states (`systemctl(1)`, "--state="), which `--type=` accepts too.
pub const LOAD_STATES: &[&str] = &["stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked"];

const ACTIVE_STATES: &[&str] =
    &["active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance"];

/// Substates per unit type, types in alphabetical order.
const SUBSTATES: &[(&str, &[&str])] = &[
    ("automount", &["dead", "waiting", "running", "failed"]),
    ("device", &["dead", "tentative", "plugged"]),
    (
        "mount",
        &[
            "dead",
            "mounting",
            "mounting-done",
            "mounted",
            "remounting",
            "unmounting",
            "remounting-sigterm",
            "remounting-sigkill",
            "unmounting-sigterm",
            "unmounting-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    ("path", &["dead", "waiting", "running", "failed"]),
    (
        "scope",
        &["dead", "start-chown", "running", "abandoned", "stop-sigterm", "stop-sigkill", "failed"],
    ),
    (
        "service",
        &[
            "dead",
            "condition",
            "start-pre",
            "start",
            "start-post",
            "running",
            "exited",
            "reload",
            "stop",
            "stop-watchdog",
            "stop-sigterm",
            "stop-sigkill",
            "stop-post",
            "final-watchdog",
            "final-sigterm",
            "final-sigkill",
            "failed",
            "auto-restart",
            "cleaning",
        ],
    ),
    ("slice", &["dead", "active"]),
    (
        "socket",
        &[
            "dead",
            "start-pre",
            "start-chown",
            "start-post",
            "listening",
            "running",
            "stop-pre",
            "stop-pre-sigterm",
            "stop-pre-sigkill",
            "stop-post",
            "final-sigterm",
            "final-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    (
        "swap",
        &[
            "dead",
            "activating",
            "activating-done",
            "active",
            "deactivating",
            "deactivating-sigterm",
            "deactivating-sigkill",
            "failed",
            "cleaning",
        ],
    ),
    ("target", &["dead", "active"]),
    ("timer", &["dead", "waiting", "running", "elapsed", "failed"]),
];

fn group(out: &mut String, legend: bool, heading: &str, names: impl IntoIterator<Item = &'static str>) {
    if legend {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(heading);
        out.push('\n');
    }
    for n in names {
        out.push_str(n);
        out.push('\n');
    }
}

/// `systemctl --type=help`.
pub fn type_help(legend: bool) -> String {
    let mut out = String::new();
    group(&mut out, legend, "Available unit types:", UnitType::ALL.iter().map(|t| t.as_str()));
    out
}

/// `systemctl --state=help`.
pub fn state_help(legend: bool) -> String {
    let mut out = String::new();
    group(&mut out, legend, "Available unit load states:", LOAD_STATES.iter().copied());
    group(&mut out, legend, "Available unit active states:", ACTIVE_STATES.iter().copied());
    group(&mut out, legend, "Available unit file states:", UnitFileState::ALL.iter().map(|s| s.as_str()));
    for (ty, subs) in SUBSTATES {
        group(&mut out, legend, &format!("Available {ty} unit substates:"), subs.iter().copied());
    }
    out
}
