//! Differential test of condition evaluation against the real
//! `systemd-analyze condition` (systemd 252) on this machine (root `/`).
//!
//! `systemd-analyze condition ASSIGNMENT…` evaluates the assignments for a
//! dummy `test.service` with the same code the manager uses and prints one
//! line per evaluated check on stderr (`test.service:
//! ConditionPathExists=/etc/passwd succeeded.`, `… failed.`, or
//! `test.service: Couldn't determine result for …, assuming failed: …`),
//! then `Conditions succeeded.`/`Conditions failed.`; it exits non-zero
//! when the list is not met. For each case we compare the exit status with
//! our list verdict and every per-check line with our messages (for
//! errors, up to "assuming failed", since the reason is an errno text in
//! systemd and a sentence here).
//!
//! The tool runs in the same environment as the test, plus
//! `VIGIL_COND_TEST=1`, which we add to our environment too. The tool is
//! required: without it this test fails.

use std::path::Path;
use std::process::Command;

use unit::condition::{evaluate_all, CheckEnv};
use unit::paths::Scope;
use unit::value::condition::parse_condition;
use unit::value::Condition;

/// Single checks, each evaluated alone.
const SINGLE: &[&str] = &[
    "ConditionPathExists=/etc/passwd",
    "ConditionPathExists=/nonexistent",
    "ConditionPathExists=!/nonexistent",
    "ConditionPathExists=!/etc/passwd",
    "ConditionPathExists=|/etc/passwd",
    "ConditionPathExists=/etc//passwd/",
    "AssertPathExists=/etc",
    "AssertPathExists=/nonexistent",
    "ConditionPathExistsGlob=/etc/pass*",
    "ConditionPathExistsGlob=/etc/*.nope",
    "ConditionPathExistsGlob=/etc/{nope,passwd}",
    "ConditionPathExistsGlob=/usr/lib/os-rel?ase",
    "ConditionPathExistsGlob=/e*/pa[s]swd",
    "ConditionPathExistsGlob=!/nonexistent/*",
    "ConditionPathIsDirectory=/etc",
    "ConditionPathIsDirectory=/etc/passwd",
    "ConditionPathIsDirectory=/nonexistent",
    "ConditionPathIsSymbolicLink=/etc/localtime",
    "ConditionPathIsSymbolicLink=/etc/passwd",
    "ConditionPathIsSymbolicLink=/bin",
    "ConditionPathIsMountPoint=/",
    "ConditionPathIsMountPoint=/proc",
    "ConditionPathIsMountPoint=/sys",
    "ConditionPathIsMountPoint=/dev",
    "ConditionPathIsMountPoint=/etc",
    "ConditionPathIsMountPoint=/etc/hostname",
    "ConditionPathIsMountPoint=/etc/resolv.conf",
    "ConditionPathIsMountPoint=/nonexistent",
    "ConditionPathIsMountPoint=/proc/sys",
    "ConditionPathIsReadWrite=/",
    "ConditionPathIsReadWrite=/proc/sys",
    "ConditionPathIsReadWrite=/sys",
    "ConditionPathIsReadWrite=/tmp",
    "ConditionPathIsReadWrite=/nonexistent",
    "ConditionPathIsEncrypted=/",
    "ConditionPathIsEncrypted=/nonexistent",
    "ConditionPathIsEncrypted=!/",
    "ConditionDirectoryNotEmpty=/etc",
    "ConditionDirectoryNotEmpty=/nonexistent",
    "ConditionDirectoryNotEmpty=/etc/passwd",
    "ConditionFileNotEmpty=/etc/passwd",
    "ConditionFileNotEmpty=/etc",
    "ConditionFileNotEmpty=/nonexistent",
    "ConditionFileIsExecutable=/bin/sh",
    "ConditionFileIsExecutable=/etc/passwd",
    "ConditionFileIsExecutable=/usr/bin",
    "ConditionNeedsUpdate=/etc",
    "ConditionNeedsUpdate=/var",
    "ConditionFirstBoot=yes",
    "ConditionFirstBoot=no",
    "ConditionFirstBoot=maybe",
    "ConditionArchitecture=x86-64",
    "ConditionArchitecture=arm64",
    "ConditionArchitecture=native",
    "ConditionArchitecture=foo",
    "ConditionFirmware=uefi",
    "ConditionFirmware=device-tree",
    "ConditionFirmware=device-tree-compatible(foo)",
    "ConditionFirmware=smbios-field(sys_vendor = QEMU)",
    "ConditionFirmware=smbios-field(foo)",
    "ConditionFirmware=bogus",
    "ConditionVirtualization=yes",
    "ConditionVirtualization=no",
    "ConditionVirtualization=container",
    "ConditionVirtualization=vm",
    "ConditionVirtualization=docker",
    "ConditionVirtualization=podman",
    "ConditionVirtualization=kvm",
    "ConditionVirtualization=private-users",
    "ConditionVirtualization=!container",
    "ConditionHost=*",
    "ConditionHost=nonexistent-host",
    "ConditionHost=00000000000000000000000000000001",
    "ConditionKernelCommandLine=quiet",
    "ConditionKernelCommandLine=panic=1",
    "ConditionKernelCommandLine=panic=2",
    "ConditionKernelCommandLine=panic",
    "ConditionKernelCommandLine=pani",
    "ConditionKernelCommandLine=nonexistent",
    "ConditionKernelVersion=>=3",
    "ConditionKernelVersion=<3",
    "ConditionKernelVersion=>= 4.0",
    "ConditionKernelVersion=*.*",
    "ConditionKernelVersion=$=*.*",
    "ConditionKernelVersion=!=1",
    "ConditionKernelVersion=>4 <100",
    "ConditionKernelVersion=>4 < 100",
    "ConditionKernelVersion=foo bar baz",
    "ConditionCredential=foo",
    "ConditionCredential=../x",
    "ConditionSecurity=selinux",
    "ConditionSecurity=apparmor",
    "ConditionSecurity=smack",
    "ConditionSecurity=ima",
    "ConditionSecurity=audit",
    "ConditionSecurity=uefi-secureboot",
    "ConditionSecurity=tpm2",
    "ConditionSecurity=tomoyo",
    "ConditionSecurity=cvm",
    "ConditionSecurity=bogus",
    "ConditionCapability=CAP_SYS_ADMIN",
    "ConditionCapability=cap_chown",
    "ConditionCapability=CAP_SYS_MODULE",
    "ConditionCapability=CAP_BOGUS",
    "ConditionACPower=true",
    "ConditionACPower=false",
    "ConditionACPower=maybe",
    "ConditionMemory=>1G",
    "ConditionMemory=<1G",
    "ConditionMemory=1",
    "ConditionMemory=>=100T",
    "ConditionMemory=foo",
    "ConditionCPUs=>=1",
    "ConditionCPUs=>1",
    "ConditionCPUs=<2",
    "ConditionCPUs=64",
    "ConditionCPUs=foo",
    "ConditionCPUFeature=sse2",
    "ConditionCPUFeature=avx2",
    "ConditionCPUFeature=fma3",
    "ConditionCPUFeature=pclmul",
    "ConditionCPUFeature=avx512f",
    "ConditionCPUFeature=constant_tsc",
    "ConditionCPUFeature=osxsave",
    "ConditionCPUFeature=SSE4_2",
    "ConditionCPUFeature=bogus",
    "ConditionEnvironment=PATH",
    "ConditionEnvironment=VIGIL_COND_TEST=1",
    "ConditionEnvironment=VIGIL_COND_TEST=2",
    "ConditionEnvironment=VIGIL_COND",
    "ConditionEnvironment=NONEXISTENT_VARIABLE",
    "ConditionUser=root",
    "ConditionUser=0",
    "ConditionUser=@system",
    "ConditionUser=nobody",
    "ConditionUser=1000",
    "ConditionUser=daemon",
    "ConditionUser=nonexistent-user",
    "ConditionGroup=root",
    "ConditionGroup=0",
    "ConditionGroup=1",
    "ConditionGroup=adm",
    "ConditionGroup=nonexistent-group",
    "ConditionControlGroupController=v1",
    "ConditionControlGroupController=v2",
    "ConditionControlGroupController=cpu",
    "ConditionControlGroupController=memory pids",
    "ConditionControlGroupController=io",
    "ConditionControlGroupController=bogus",
    "ConditionControlGroupController=bpf-firewall",
    "ConditionOSRelease=ID=debian",
    "ConditionOSRelease=ID=ubuntu",
    "ConditionOSRelease=VERSION_ID>=11",
    "ConditionOSRelease=VERSION_ID<11",
    "ConditionOSRelease=ID$=deb*",
    "ConditionOSRelease=ID!=foo",
    "ConditionOSRelease=NONEXISTENT_KEY=",
    "ConditionOSRelease=ID=debian VERSION_ID=12",
    "ConditionOSRelease=foo",
    "ConditionOSRelease=ID= debian",
    "ConditionMemoryPressure=100%",
    "ConditionMemoryPressure=!100%",
    "ConditionMemoryPressure=50%/10sec",
    "ConditionCPUPressure=100%/1min",
    "ConditionIOPressure=90%/5min",
    "ConditionIOPressure=90%/2min",
    "ConditionMemoryPressure=bogus",
    "ConditionMemoryPressure=foo.slice:20%",
];

/// Lists that exercise the trigger rules and evaluation order.
const LISTS: &[&[&str]] = &[
    &["ConditionPathExists=|/nonexistent", "ConditionPathExists=|/etc/passwd"],
    &["ConditionPathExists=|/nonexistent", "ConditionPathExists=|/nonexistent2"],
    &["ConditionPathExists=/etc/passwd", "ConditionPathExists=|/nonexistent"],
    &["ConditionPathExists=/etc/passwd", "ConditionPathExists=|!/nonexistent"],
    &["ConditionPathExists=/nonexistent", "ConditionPathExists=/etc/passwd"],
    &["ConditionPathExists=/etc/passwd", "ConditionPathExists=/nonexistent", "ConditionPathIsDirectory=/etc"],
    &["ConditionMemory=foo", "ConditionPathExists=|/etc"],
    &["ConditionPathExists=|/etc", "ConditionPathExists=|/nonexistent", "ConditionUser=root"],
    &["ConditionVirtualization=container", "ConditionKernelVersion=>=3", "ConditionPathExists=|!/etc"],
];

fn tool(assignments: &[&str]) -> (bool, Vec<String>) {
    let out = Command::new("systemd-analyze")
        .env("VIGIL_COND_TEST", "1")
        .env("SYSTEMD_LOG_COLOR", "0")
        .arg("condition")
        .args(assignments)
        .output()
        .expect("systemd-analyze (systemd 252) is required for this test: run scripts/test-deps");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<String> =
        stderr.lines().filter_map(|l| l.strip_prefix("test.service: ")).map(str::to_string).collect();
    assert!(
        stderr.contains("Conditions succeeded.") || stderr.contains("Conditions failed.") || stderr.contains("Asserts "),
        "unexpected output for {assignments:?}:\n{stderr}"
    );
    (out.status.success(), lines)
}

fn env() -> CheckEnv {
    let mut env = CheckEnv::current(Path::new("/"), Scope::System);
    env.environment.push("VIGIL_COND_TEST=1".into());
    env
}

fn parse(assignment: &str) -> (String, Condition) {
    let (name, value) = assignment.split_once('=').expect("NAME=VALUE");
    let cond = parse_condition(value, &mut |s: &str| Ok(s.to_string())).expect("condition value");
    (name.to_string(), cond)
}

/// Our verdict and lines for a list, asserts first as systemd prints them.
fn ours(assignments: &[&str], env: &CheckEnv) -> (bool, Vec<String>) {
    let parsed: Vec<(String, Condition)> = assignments.iter().map(|a| parse(a)).collect();
    let mut met = true;
    let mut lines = Vec::new();
    for prefix in ["Assert", "Condition"] {
        let list: Vec<(&str, &Condition)> =
            parsed.iter().filter(|(n, _)| n.starts_with(prefix)).map(|(n, c)| (n.as_str(), c)).collect();
        if list.is_empty() {
            continue;
        }
        let r = evaluate_all(&list, env);
        met &= r.met;
        lines.extend(r.checks.iter().map(|(_, o)| o.message.clone()));
    }
    (met, lines)
}

/// Error lines end in the reason, which differs in wording.
fn comparable(line: &str) -> String {
    match line.find("assuming failed") {
        Some(i) => line[..i + "assuming failed".len()].to_string(),
        None => line.to_string(),
    }
}

fn compare(assignments: &[&str], env: &CheckEnv) -> Option<String> {
    let (want_met, want_lines) = tool(assignments);
    let (got_met, got_lines) = ours(assignments, env);
    let want: Vec<String> = want_lines.iter().map(|l| comparable(l)).collect();
    let got: Vec<String> = got_lines.iter().map(|l| comparable(l)).collect();
    (want_met != got_met || want != got)
        .then(|| format!("{assignments:?}\n  systemd: {want_met} {want:?}\n  ours:    {got_met} {got:?}"))
}

#[test]
fn single_checks_match_systemd() {
    let env = env();
    assert!(SINGLE.len() >= 40);
    let failures: Vec<String> = SINGLE.iter().filter_map(|a| compare(&[a], &env)).collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), SINGLE.len(), failures.join("\n"));
}

#[test]
fn both_verdicts_are_exercised() {
    let met = SINGLE.iter().filter(|a| tool(&[a]).0).count();
    assert!(met >= 30 && SINGLE.len() - met >= 30, "{met} of {} met", SINGLE.len());
}

#[test]
fn lists_match_systemd() {
    let env = env();
    let failures: Vec<String> = LISTS.iter().filter_map(|l| compare(l, &env)).collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), LISTS.len(), failures.join("\n"));
}
