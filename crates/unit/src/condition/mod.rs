//! Evaluating `Condition…=` and `Assert…=` checks (`systemd.unit(5)`,
//! "Conditions and Asserts").
//!
//! Main types: [`CheckEnv`] (everything a check may look at), [`Outcome`]
//! (one check's verdict and its message), [`ListOutcome`] (a whole list
//! with systemd's trigger rules), and the entry points [`evaluate`] and
//! [`evaluate_all`].
//!
//! # Verdicts
//!
//! A check yields one of systemd's results: *succeeded*, *failed*, or
//! *error* (the check could not be evaluated: bad syntax in the argument,
//! an unreadable kernel interface). `!` inverts succeeded and failed, never
//! an error — systemd logs "Couldn't determine result for …, assuming
//! failed" and an error fails whether negated or not. A kind we do not know
//! is an error too, never a silent pass.
//!
//! # Lists
//!
//! `evaluate_all()` follows `condition_test_list()`: every non-trigger
//! check must succeed, and if there are trigger (`|`) checks at least one
//! of them must succeed; an empty list is met. systemd keeps the
//! assignments of a unit in a list it prepends to, so it evaluates the
//! *last* assignment first, and it stops at the first failing non-trigger
//! check; we do the same so that the per-check messages (and which check
//! "failed" in `systemctl status`) come out the same.
//!
//! # Where facts come from
//!
//! Paths, `os-release` and the first-boot marker are read inside
//! [`CheckEnv::root`] (a `--root=DIR` manager checks its own tree);
//! kernel and host interfaces (`/proc`, `/sys`, the container marker files)
//! under [`CheckEnv::system`], `/` on a real system and a fake tree in
//! tests. The manager's identity (uids, gids) and environment are fields,
//! so a user manager checks its own. Modules: [`files`] (path checks),
//! [`system`] (everything else), [`virt`] (virtualization detection),
//! [`compare`] (operators, version comparison, patterns).

pub mod compare;
mod files;
mod system;
pub(crate) use system::physical_memory;
pub mod virt;

use std::path::{Path, PathBuf};

use crate::paths::Scope;
use crate::specifier::Host;
use crate::value::path::absolute_path;
use crate::value::Condition;

/// A check's raw verdict before negation: `Err` is "could not evaluate".
type Verdict = Result<bool, String>;

/// What a check may look at.
#[derive(Clone, Debug)]
pub struct CheckEnv {
    /// The tree the manager manages (`/`, or `--root=DIR`): path checks,
    /// `os-release`, `/run/systemd/first-boot`.
    pub root: PathBuf,
    /// Where the kernel's and the host's interfaces are (`/proc`, `/sys`,
    /// `/run/.containerenv`, `/etc/passwd` for user and group lookups):
    /// `/` except in tests.
    pub system: PathBuf,
    /// Host facts: machine id, hostname, kernel release, architecture.
    pub host: Host,
    pub scope: Scope,
    /// The manager's real and effective uid and gid, and its
    /// supplementary groups.
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub groups: Vec<u32>,
    /// The manager's environment, `NAME=value` strings
    /// (`ConditionEnvironment=`, `$CREDENTIALS_DIRECTORY`, and `$container`
    /// when PID 1).
    pub environment: Vec<String>,
    /// The manager is PID 1 (it then trusts its own `$container`).
    pub pid1: bool,
    /// The CPUID hypervisor signature (leaf 0x40000000) when the CPU says
    /// it runs under a hypervisor (leaf 1, ECX bit 31); `None` otherwise.
    pub cpuid_hypervisor: Option<String>,
}

fn status_ids(status: &str, key: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.split_whitespace().filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default()
}

/// The CPUID hypervisor signature of the CPU we run on.
#[cfg(target_arch = "x86_64")]
fn native_hypervisor() -> Option<String> {
    use std::arch::x86_64::__cpuid;
    // CPUID exists on every x86-64 CPU and has no side effects.
    let leaf1 = __cpuid(1);
    if leaf1.ecx & 0x8000_0000 == 0 {
        return None;
    }
    // Leaf 0x40000000 is reserved for hypervisors' signatures.
    let l = __cpuid(0x4000_0000);
    let mut sig = Vec::with_capacity(12);
    for r in [l.ebx, l.ecx, l.edx] {
        sig.extend_from_slice(&r.to_le_bytes());
    }
    let end = sig.iter().position(|&b| b == 0).unwrap_or(sig.len());
    Some(String::from_utf8_lossy(&sig[..end]).into_owned())
}

#[cfg(not(target_arch = "x86_64"))]
fn native_hypervisor() -> Option<String> {
    None
}

impl CheckEnv {
    /// The environment of this process as a manager of `scope` for
    /// `root`: credentials from `/proc/self/status`, the process
    /// environment, host facts from [`Host::detect`].
    pub fn current(root: &Path, scope: Scope) -> CheckEnv {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let uids = status_ids(&status, "Uid:");
        let gids = status_ids(&status, "Gid:");
        let (uid, euid) = (uids.first().copied().unwrap_or(0), uids.get(1).copied().unwrap_or(0));
        let (gid, egid) = (gids.first().copied().unwrap_or(0), gids.get(1).copied().unwrap_or(0));
        CheckEnv {
            root: root.to_path_buf(),
            system: PathBuf::from("/"),
            host: Host::detect(root, scope, uid, gid),
            scope,
            uid,
            euid,
            gid,
            egid,
            groups: status_ids(&status, "Groups:"),
            environment: std::env::vars_os().map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy())).collect(),
            pid1: std::process::id() == 1,
            cpuid_hypervisor: native_hypervisor(),
        }
    }

    /// `path` (absolute) under [`CheckEnv::system`].
    pub fn system_path(&self, path: &str) -> PathBuf {
        crate::paths::in_root(&self.system, Path::new(path))
    }

    /// The value of `name` in [`CheckEnv::environment`].
    pub fn env_value(&self, name: &str) -> Option<&str> {
        self.environment.iter().rev().find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
}

/// systemd's per-check result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckResult {
    Succeeded,
    Failed,
    /// Could not be evaluated; counts as failed.
    Error,
}

/// One check's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The check holds (negation applied); `false` for errors.
    pub met: bool,
    pub result: CheckResult,
    /// The line systemd logs for it: `ConditionPathExists=/etc/foo
    /// succeeded.`, `… failed.`, or `Couldn't determine result for …,
    /// assuming failed: REASON`.
    pub message: String,
    /// `ConditionPathExists=|!/etc/foo`: the assignment as written back.
    pub assignment: String,
    /// The check was a trigger (`|`).
    pub trigger: bool,
}

impl Outcome {
    /// The text `systemctl status` shows under a failed condition:
    /// `ConditionPathExists=/etc/foo was not met`.
    pub fn status_line(&self) -> String {
        format!("{} was not met", self.assignment)
    }
}

/// Kinds whose argument is a path (`condition_takes_path()`): systemd
/// refuses a relative one when loading the unit.
const PATH_KINDS: &[&str] = &[
    "PathExists",
    "PathExistsGlob",
    "PathIsDirectory",
    "PathIsSymbolicLink",
    "PathIsMountPoint",
    "PathIsReadWrite",
    "PathIsEncrypted",
    "DirectoryNotEmpty",
    "FileNotEmpty",
    "FileIsExecutable",
    "NeedsUpdate",
];

/// Every kind systemd 252 knows, in its table order.
pub const KINDS: &[&str] = &[
    "Architecture", "Firmware", "Virtualization", "Host", "KernelCommandLine", "KernelVersion", "Credential",
    "Security", "Capability", "ACPower", "NeedsUpdate", "FirstBoot", "PathExists", "PathExistsGlob",
    "PathIsDirectory", "PathIsSymbolicLink", "PathIsMountPoint", "PathIsReadWrite", "PathIsEncrypted",
    "DirectoryNotEmpty", "FileNotEmpty", "FileIsExecutable", "User", "Group", "ControlGroupController", "CPUs",
    "Memory", "Environment", "CPUFeature", "OSRelease", "MemoryPressure", "CPUPressure", "IOPressure",
];

fn run(kind: &str, arg: &str, env: &CheckEnv) -> Verdict {
    match kind {
        "PathExists" => files::path_exists(env, arg),
        "PathExistsGlob" => files::path_exists_glob(env, arg),
        "PathIsDirectory" => files::path_is_directory(env, arg),
        "PathIsSymbolicLink" => files::path_is_symbolic_link(env, arg),
        "PathIsMountPoint" => files::path_is_mount_point(env, arg),
        "PathIsReadWrite" => files::path_is_read_write(env, arg),
        "PathIsEncrypted" => files::path_is_encrypted(env, arg),
        "DirectoryNotEmpty" => files::directory_not_empty(env, arg),
        "FileNotEmpty" => files::file_not_empty(env, arg),
        "FileIsExecutable" => files::file_is_executable(env, arg),
        "NeedsUpdate" => files::needs_update(env, arg),
        "FirstBoot" => system::first_boot(env, arg),
        "Architecture" => system::architecture(env, arg),
        "Firmware" => system::firmware(env, arg),
        "Virtualization" => system::virtualization(env, arg),
        "Host" => system::host(env, arg),
        "KernelCommandLine" => system::kernel_command_line(env, arg),
        "KernelVersion" => system::kernel_version(env, arg),
        "Credential" => system::credential(env, arg),
        "Security" => system::security(env, arg),
        "Capability" => system::capability(env, arg),
        "ACPower" => system::ac_power(env, arg),
        "Memory" => system::memory(env, arg),
        "CPUs" => system::cpus(env, arg),
        "CPUFeature" => system::cpu_feature(env, arg),
        "Environment" => system::environment(env, arg),
        "User" => system::user(env, arg),
        "Group" => system::group(env, arg),
        "ControlGroupController" => system::control_group_controller(env, arg),
        "OSRelease" => system::os_release_check(env, arg),
        "MemoryPressure" => system::pressure(env, "memory", arg),
        "CPUPressure" => system::pressure(env, "cpu", arg),
        "IOPressure" => system::pressure(env, "io", arg),
        other => Err(format!("cannot evaluate unknown condition type '{other}'")),
    }
}

/// Split `ConditionFoo`/`AssertFoo`/`Foo` into the directive prefix and
/// the kind.
fn split_kind(kind: &str) -> (&str, &str) {
    if let Some(k) = kind.strip_prefix("Condition") {
        ("Condition", k)
    } else if let Some(k) = kind.strip_prefix("Assert") {
        ("Assert", k)
    } else {
        ("Condition", kind)
    }
}

/// Evaluate one check. `kind` is the directive name without its
/// `Condition`/`Assert` prefix (`"PathExists"`); a full directive name is
/// accepted too and only changes the wording of the messages.
pub fn evaluate(kind: &str, cond: &Condition, env: &CheckEnv) -> Outcome {
    let (prefix, bare) = split_kind(kind);
    // The argument as systemd holds it: paths simplified when the unit is
    // loaded (relative or `..` paths are refused there; a caller that did
    // not check gets an error here), CPU features lower-cased in place by
    // the check itself, which shows in its message.
    let (arg, refused) = if PATH_KINDS.contains(&bare) {
        match absolute_path(&cond.arg) {
            Ok(p) => (p, None),
            Err(e) => (cond.arg.to_string(), Some(e.to_string())),
        }
    } else if bare == "CPUFeature" {
        (cond.arg.to_ascii_lowercase(), None)
    } else {
        (cond.arg.to_string(), None)
    };
    let assignment = format!(
        "{prefix}{bare}={}{}{arg}",
        if cond.trigger { "|" } else { "" },
        if cond.negate { "!" } else { "" },
    );
    let verdict = match refused {
        Some(reason) => Err(reason),
        None => run(bare, &arg, env),
    };
    match verdict {
        Ok(raw) => {
            let met = raw != cond.negate;
            let word = if met { "succeeded" } else { "failed" };
            Outcome {
                met,
                result: if met { CheckResult::Succeeded } else { CheckResult::Failed },
                message: format!("{assignment} {word}."),
                assignment,
                trigger: cond.trigger,
            }
        }
        Err(reason) => Outcome {
            met: false,
            result: CheckResult::Error,
            message: format!("Couldn't determine result for {assignment}, assuming failed: {reason}"),
            assignment,
            trigger: cond.trigger,
        },
    }
}

/// The verdict on a whole list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOutcome {
    pub met: bool,
    /// `(index into the input list, outcome)` for every check evaluated, in
    /// evaluation order (last assignment first; stops at the first failing
    /// non-trigger check).
    pub checks: Vec<(usize, Outcome)>,
}

impl ListOutcome {
    /// The failing non-trigger check that decided the list, if any.
    pub fn failed(&self) -> Option<&(usize, Outcome)> {
        self.checks.last().filter(|(_, o)| !o.met && !o.trigger)
    }
}

/// Evaluate a unit's list of conditions (or of asserts) with systemd's
/// trigger rules. `list` is in assignment order.
pub fn evaluate_all(list: &[(&str, &Condition)], env: &CheckEnv) -> ListOutcome {
    let mut checks = Vec::new();
    let mut triggered: Option<bool> = None;
    for (i, (kind, cond)) in list.iter().enumerate().rev() {
        let o = evaluate(kind, cond, env);
        let met = o.met;
        checks.push((i, o));
        if !cond.trigger && !met {
            return ListOutcome { met: false, checks };
        }
        if cond.trigger && triggered != Some(true) {
            triggered = Some(met);
        }
    }
    ListOutcome { met: triggered != Some(false), checks }
}
