//! The conditions about the machine, the kernel and the manager itself
//! (`systemd.unit(5)`, "Conditions and Asserts"), each a port of the
//! matching `condition_test_*()` of systemd 252, reading the kernel's files
//! under [`CheckEnv::system`] and the OS's files under [`CheckEnv::root`].
//!
//! Where systemd asks the kernel through a system call we read the file
//! that carries the same fact: the CPU affinity count from
//! `Cpus_allowed_list` in `/proc/self/status`, physical memory from
//! `MemTotal` in `/proc/meminfo`, CPU flags from `/proc/cpuinfo`, the
//! hostname from `/proc/sys/kernel/hostname`. `ConditionSecurity=audit`
//! is the one approximation: systemd opens an audit netlink socket, we test
//! for `/proc/self/loginuid`, which exists exactly when the kernel has audit
//! support. `ConditionSecurity=cvm` does not exist in 252 (it came in 254)
//! and, like every unknown word, is not met.

use std::path::Path;

use super::compare::{fnmatch, parse_operator, test_order, version_or_fnmatch, MatchFlags, Op, OpFlags, OPERATOR_CHARS};
use super::virt::{detect_container, detect_virtualization, is_container, is_vm, running_in_userns};
use super::{CheckEnv, Verdict};
use crate::paths::in_root;
use crate::value::boolean::parse_boolean;
use crate::value::caps::capability_from_name;
use crate::value::path::{fdname_is_valid, filename_is_valid};
use crate::value::size::{parse_permyriad, parse_size};
use crate::value::words::{ExtractFlags, Words, WHITESPACE};

fn read(env: &CheckEnv, path: &str) -> Option<String> {
    read_in(&env.system, path)
}

fn exists(env: &CheckEnv, path: &str) -> bool {
    exists_in(&env.system, path)
}

/// `path` of the system interfaces under `system` (`/` but in tests;
/// [`CheckEnv::system`]).
fn read_in(system: &Path, path: &str) -> Option<String> {
    std::fs::read_to_string(in_root(system, Path::new(path))).ok()
}

fn exists_in(system: &Path, path: &str) -> bool {
    std::fs::symlink_metadata(in_root(system, Path::new(path))).is_ok()
}

/// The kernel command line as systemd reads it: `$SYSTEMD_PROC_CMDLINE`,
/// else PID 1's arguments inside a container, else `/proc/cmdline`.
pub(super) fn proc_cmdline(env: &CheckEnv) -> Option<String> {
    if let Some(v) = env.env_value("SYSTEMD_PROC_CMDLINE") {
        return Some(v.to_string());
    }
    if detect_container(env).is_some() {
        let raw = std::fs::read(env.system_path("/proc/1/cmdline")).ok()?;
        let args: Vec<String> =
            raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        return Some(args.join(" "));
    }
    read(env, "/proc/cmdline").map(|s| s.trim_end_matches('\n').to_string())
}

fn cmdline_words(env: &CheckEnv) -> Option<Vec<String>> {
    let line = proc_cmdline(env)?;
    let mut words = Words::new(&line, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::RELAX);
    let mut out = Vec::new();
    while let Ok(Some(w)) = words.next_word() {
        out.push(w);
    }
    Some(out)
}

/// The value of `key=` on the kernel command line (`"1"` for a bare
/// `key`); the last occurrence wins, `-` and `_` are interchangeable.
pub(super) fn cmdline_value(env: &CheckEnv, key: &str) -> Option<String> {
    let norm = |s: &str| s.replace('-', "_");
    let key = norm(key);
    cmdline_words(env)?.iter().rev().find_map(|w| match w.split_once('=') {
        Some((k, v)) if norm(k) == key => Some(v.to_string()),
        None if norm(w) == key => Some("1".to_string()),
        _ => None,
    })
}

pub(super) fn kernel_command_line(env: &CheckEnv, arg: &str) -> Verdict {
    let words = cmdline_words(env).ok_or("cannot read the kernel command line")?;
    let equal = arg.contains('=');
    Ok(words.iter().any(|w| {
        if equal {
            w == arg
        } else {
            w.strip_prefix(arg).is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        }
    }))
}

const CMP_STRINGS: OpFlags = OpFlags { fnmatch: true, equal_by_string: true };

pub(super) fn kernel_version(env: &CheckEnv, arg: &str) -> Verdict {
    let release = env.host.kernel_release.as_str();
    let mut words = Words::new(arg, WHITESPACE, ExtractFlags::UNQUOTE);
    let mut first = true;
    loop {
        let word = match words.next_word() {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(true),
            Err(e) => return Err(format!("Failed to parse condition string \"{arg}\": {e}")),
        };
        let s = word.trim_matches([' ', '\t', '\n', '\r']);
        let (op, rest) = match parse_operator(s, CMP_STRINGS) {
            Ok(Some((op, rest))) => (op, rest),
            Ok(None) => (Op::FnmatchEqual, s),
            Err(_) => return Err(format!("Invalid operator in \"{arg}\"")),
        };
        let rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        let value = if rest.is_empty() {
            // Blanks between the operator and the value are allowed, but
            // only in the first expression (backwards compatibility).
            if !first {
                return Err(format!("Unexpected end of expression: {arg}"));
            }
            let mut raw = Words::new(words.rest().unwrap_or(""), WHITESPACE, ExtractFlags::NONE);
            let next = raw.next_word().ok().flatten().ok_or_else(|| format!("Unexpected end of expression: {arg}"))?;
            words.set_rest(raw.rest());
            next
        } else {
            rest.to_string()
        };
        if !version_or_fnmatch(op, release, &value) {
            return Ok(false);
        }
        first = false;
    }
}

fn env_name_is_valid(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The os-release of the root: `/etc/os-release`, else
/// `/usr/lib/os-release`.
fn os_release(env: &CheckEnv) -> Option<Vec<(String, String)>> {
    let f = |p: &str| std::fs::read_to_string(in_root(&env.root, Path::new(p)));
    let text = f("/etc/os-release").or_else(|_| f("/usr/lib/os-release")).ok()?;
    Some(crate::host::parse_os_release(&text))
}

pub(super) fn os_release_check(env: &CheckEnv, arg: &str) -> Verdict {
    let mut words = Words::new(arg, WHITESPACE, ExtractFlags::UNQUOTE);
    loop {
        let cond = match words.next_word() {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(true),
            Err(e) => return Err(format!("Failed to parse parameter: {e}")),
        };
        let bad = || "Failed to parse parameter, key/value format expected".to_string();
        let split = cond.find(OPERATOR_CHARS).ok_or_else(bad)?;
        let (key, expr) = cond.split_at(split);
        if key.is_empty() || !env_name_is_valid(key) {
            return Err(bad());
        }
        let (op, value) = match parse_operator(expr, CMP_STRINGS) {
            Ok(Some(x)) => x,
            _ => return Err(bad()),
        };
        if value.is_empty() || value.starts_with([' ', '\t', '\n', '\r']) {
            return Err(bad());
        }
        let os = os_release(env).ok_or("Failed to parse os-release: No such file or directory")?;
        let actual = os.iter().rev().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str());
        if !version_or_fnmatch(op, actual, value) {
            return Ok(false);
        }
    }
}

/// `physical_memory()`: RAM, capped by the root cgroup's memory limit —
/// what `ConditionMemory=` compares and `MemoryMax=50%` scales
/// (`config::show`). `system` is where `/proc` and `/sys` are.
pub(crate) fn physical_memory(system: &Path) -> Option<u64> {
    let meminfo = read_in(system, "/proc/meminfo")?;
    let kb: u64 = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    let mem = kb * 1024;
    let root = cgroup_root(system).unwrap_or_default();
    let limit = if cgroup_unified(system) {
        read_in(system, &format!("/sys/fs/cgroup{root}/memory.max"))
    } else {
        read_in(system, &format!("/sys/fs/cgroup/memory{root}/memory.limit_in_bytes"))
    };
    let page = 4096;
    match limit.as_deref().map(str::trim).and_then(|l| l.parse::<u64>().ok()) {
        Some(l) if l != u64::MAX => Some(mem.min(l / page * page)),
        _ => Some(mem),
    }
}

fn comparison(arg: &str) -> Result<(Op, &str), String> {
    match parse_operator(arg, OpFlags::default()) {
        Ok(Some(x)) => Ok(x),
        Ok(None) => Ok((Op::GreaterOrEqual, arg)),
        Err(_) => Err(format!("invalid operator in '{arg}'")),
    }
}

pub(super) fn memory(env: &CheckEnv, arg: &str) -> Verdict {
    let m = physical_memory(&env.system).ok_or("cannot determine physical memory")?;
    let (op, rest) = comparison(arg)?;
    let k = parse_size(rest, 1024).map_err(|e| format!("Failed to parse size '{rest}': {e}"))?;
    test_order(m.cmp(&k), op).ok_or_else(|| format!("invalid operator in '{arg}'"))
}

/// CPUs in our affinity mask (`Cpus_allowed_list`).
fn cpus_in_affinity_mask(env: &CheckEnv) -> Option<u32> {
    let status = read(env, "/proc/self/status")?;
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim();
    let mut n = 0u32;
    for part in list.split(',').filter(|p| !p.is_empty()) {
        n += match part.split_once('-') {
            Some((a, b)) => b.parse::<u32>().ok()?.checked_sub(a.parse().ok()?)? + 1,
            None => {
                part.parse::<u32>().ok()?;
                1
            }
        };
    }
    (n > 0).then_some(n)
}

pub(super) fn cpus(env: &CheckEnv, arg: &str) -> Verdict {
    let n = cpus_in_affinity_mask(env).ok_or("Failed to determine CPUs in affinity mask")?;
    let (op, rest) = comparison(arg)?;
    let k = crate::value::number::parse_unsigned(rest)
        .ok()
        .and_then(|k| u32::try_from(k).ok())
        .ok_or_else(|| format!("Failed to parse number of CPUs: {rest}"))?;
    test_order(n.cmp(&k), op).ok_or_else(|| format!("invalid operator in '{arg}'"))
}

/// systemd's names for the CPUID bits it knows, and the `/proc/cpuinfo`
/// flag the kernel shows for each.
const CPU_FEATURES: &[(&str, &str)] = &[
    ("fpu", "fpu"), ("vme", "vme"), ("de", "de"), ("pse", "pse"), ("tsc", "tsc"), ("msr", "msr"), ("pae", "pae"),
    ("mce", "mce"), ("cx8", "cx8"), ("apic", "apic"), ("sep", "sep"), ("mtrr", "mtrr"), ("pge", "pge"),
    ("mca", "mca"), ("cmov", "cmov"), ("pat", "pat"), ("pse36", "pse36"), ("clflush", "clflush"), ("mmx", "mmx"),
    ("fxsr", "fxsr"), ("sse", "sse"), ("sse2", "sse2"), ("ht", "ht"), ("pni", "pni"), ("pclmul", "pclmulqdq"),
    ("monitor", "monitor"), ("ssse3", "ssse3"), ("fma3", "fma"), ("cx16", "cx16"), ("sse4_1", "sse4_1"),
    ("sse4_2", "sse4_2"), ("movbe", "movbe"), ("popcnt", "popcnt"), ("aes", "aes"), ("xsave", "xsave"),
    ("osxsave", "osxsave"), ("avx", "avx"), ("f16c", "f16c"), ("rdrand", "rdrand"), ("bmi1", "bmi1"),
    ("avx2", "avx2"), ("bmi2", "bmi2"), ("rdseed", "rdseed"), ("adx", "adx"), ("sha_ni", "sha_ni"),
    ("syscall", "syscall"), ("rdtscp", "rdtscp"), ("lm", "lm"), ("lahf_lm", "lahf_lm"), ("abm", "abm"),
    ("constant_tsc", "constant_tsc"),
];

pub(super) fn cpu_feature(env: &CheckEnv, arg: &str) -> Verdict {
    if !cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
        return Ok(false);
    }
    let want = arg.to_ascii_lowercase();
    let Some((_, flag)) = CPU_FEATURES.iter().find(|(n, _)| *n == want) else { return Ok(false) };
    let cpuinfo = read(env, "/proc/cpuinfo").ok_or("cannot read /proc/cpuinfo")?;
    let flags = cpuinfo.lines().find_map(|l| l.strip_prefix("flags")).and_then(|l| l.split_once(':')).map(|(_, f)| f);
    // The kernel hides osxsave from the flags; xsave enabled by the kernel
    // is what it means.
    let flag = if *flag == "osxsave" { "xsave" } else { flag };
    Ok(flags.is_some_and(|f| f.split_whitespace().any(|x| x == flag)))
}

pub(super) fn environment(env: &CheckEnv, arg: &str) -> Verdict {
    let equal = arg.contains('=');
    Ok(env.environment.iter().any(|e| {
        if equal {
            e == arg
        } else {
            e.strip_prefix(arg).is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        }
    }))
}

/// A `name:x:id:…` entry's id from the system's passwd or group file.
fn lookup_id(env: &CheckEnv, file: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(env.system_path(file)).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

fn lookup_name(env: &CheckEnv, file: &str, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(env.system_path(file)).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.get(2)?.parse::<u32>().ok()? == id).then(|| f[0].to_string())
    })
}

/// `parse_uid()`: a decimal id that is not -1 or 65535.
fn parse_id(s: &str) -> Option<u32> {
    let v: u32 = crate::value::number::parse_unsigned(s).ok()?.try_into().ok()?;
    (v != u32::MAX && v != 65535).then_some(v)
}

/// The highest system uid: `SYS_UID_MAX` from the system's
/// `/etc/login.defs`, else Debian's 999.
fn system_uid_max(env: &CheckEnv) -> u32 {
    let defs = std::fs::read_to_string(env.system_path("/etc/login.defs")).unwrap_or_default();
    defs.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "SYS_UID_MAX").then(|| w.next()?.parse().ok())?
        })
        .unwrap_or(999)
}

pub(super) fn user(env: &CheckEnv, arg: &str) -> Verdict {
    let ours = |id: u32| id == env.uid || id == env.euid;
    match arg {
        "root" => return Ok(ours(0)),
        "nobody" => return Ok(ours(65534)),
        "@system" => {
            let max = system_uid_max(env);
            return Ok(env.uid <= max || env.euid <= max);
        }
        _ => {}
    }
    if let Some(id) = parse_id(arg) {
        return Ok(ours(id));
    }
    if lookup_name(env, "/etc/passwd", env.uid).as_deref() == Some(arg) {
        return Ok(true);
    }
    Ok(lookup_id(env, "/etc/passwd", arg).is_some_and(ours))
}

pub(super) fn group(env: &CheckEnv, arg: &str) -> Verdict {
    let in_gid = |g: u32| g == env.gid || g == env.egid || env.groups.contains(&g);
    if let Some(id) = parse_id(arg) {
        return Ok(in_gid(id));
    }
    Ok(lookup_id(env, "/etc/group", arg).is_some_and(in_gid))
}

fn cgroup_unified(system: &Path) -> bool {
    exists_in(system, "/sys/fs/cgroup/cgroup.controllers")
}

/// `cg_get_root_path()`: PID 1's cgroup minus `/init.scope`.
fn cgroup_root(system: &Path) -> Option<String> {
    let text = read_in(system, "/proc/1/cgroup")?;
    let unified = cgroup_unified(system);
    let path = text.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, ctl, path) = (f.next()?, f.next()?, f.next()?);
        let wanted = if unified { ctl.is_empty() } else { ctl == "name=systemd" };
        wanted.then(|| path.to_string())
    })?;
    let trimmed = ["/init.scope", "/system.slice", "/system"].iter().find_map(|s| path.strip_suffix(s));
    let p = trimmed.unwrap_or(&path);
    Some(if p == "/" { String::new() } else { p.to_string() })
}

const CONTROLLERS: &[&str] = &[
    "cpu", "cpuacct", "cpuset", "io", "blkio", "memory", "devices", "pids", "bpf-firewall", "bpf-devices",
    "bpf-foreign", "bpf-socket-bind", "bpf-restrict-network-interfaces",
];
const V1: &[&str] = &["cpu", "cpuacct", "cpuset", "blkio", "memory", "devices", "pids"];
const V2: &[&str] = &["cpu", "cpuset", "io", "memory", "pids"];

/// `cg_mask_supported()` as controller names.
fn supported_controllers(env: &CheckEnv) -> Option<Vec<&'static str>> {
    let root = cgroup_root(&env.system).unwrap_or_default();
    if cgroup_unified(&env.system) {
        let list = read(env, &format!("/sys/fs/cgroup{root}/cgroup.controllers"))?;
        let words: Vec<&str> = list.split_whitespace().collect();
        Some(V2.iter().copied().filter(|c| words.contains(c)).collect())
    } else {
        Some(
            V1.iter()
                .copied()
                .filter(|c| {
                    let dir = match *c {
                        "cpu" | "cpuacct" => c.to_string(),
                        other => other.to_string(),
                    };
                    exists(env, &format!("/sys/fs/cgroup/{dir}{root}/cgroup.procs"))
                })
                .collect(),
        )
    }
}

pub(super) fn control_group_controller(env: &CheckEnv, arg: &str) -> Verdict {
    match arg {
        "v2" => return Ok(cgroup_unified(&env.system)),
        "v1" => return Ok(!cgroup_unified(&env.system)),
        _ => {}
    }
    let have = supported_controllers(env).ok_or("Failed to determine supported controllers")?;
    let wanted: Vec<&str> = arg.split_whitespace().filter(|w| CONTROLLERS.contains(w)).collect();
    // systemd: a list without any known controller is not an error, and
    // passes.
    if wanted.is_empty() {
        return Ok(true);
    }
    Ok(wanted.iter().all(|w| have.contains(w)))
}

pub(super) fn virtualization(env: &CheckEnv, arg: &str) -> Verdict {
    if arg == "private-users" {
        return Ok(running_in_userns(env));
    }
    let v = detect_virtualization(env);
    if let Ok(b) = parse_boolean(arg) {
        return Ok(b == v.is_some());
    }
    Ok(match arg {
        "vm" => v.is_some_and(is_vm),
        "container" => v.is_some_and(is_container),
        other => v == Some(other),
    })
}

/// `is_efi_boot()`: never inside a container.
fn is_efi_boot(env: &CheckEnv) -> bool {
    detect_container(env).is_none() && exists(env, "/sys/firmware/efi")
}

pub(super) fn firmware(env: &CheckEnv, arg: &str) -> Verdict {
    if arg == "device-tree" {
        return Ok(exists(env, "/sys/firmware/devicetree"));
    }
    if arg == "uefi" {
        return Ok(is_efi_boot(env));
    }
    if let Some(inner) = arg.strip_prefix("device-tree-compatible(") {
        let Some(want) = inner.strip_suffix(')') else { return Ok(false) };
        let raw = std::fs::read(env.system_path("/proc/device-tree/compatible")).unwrap_or_default();
        if raw.last() != Some(&0) {
            return Ok(false);
        }
        return Ok(raw.split(|&b| b == 0).any(|s| s == want.as_bytes()));
    }
    if let Some(inner) = arg.strip_prefix("smbios-field(") {
        let malformed = || format!("Malformed ConditionFirmware={arg}");
        let expr = inner.strip_suffix(')').ok_or_else(malformed)?;
        let split = expr.find(OPERATOR_CHARS).ok_or_else(malformed)?;
        let (field, rest) = expr.split_at(split);
        let field = field.trim_end_matches([' ', '\t', '\n', '\r']);
        let (op, value) = match parse_operator(rest, CMP_STRINGS) {
            Ok(Some(x)) => x,
            _ => return Err(malformed()),
        };
        let mut words = Words::new(value, WHITESPACE, ExtractFlags::UNQUOTE);
        let expected = words.next_word().ok().flatten().ok_or_else(malformed)?;
        if words.rest().is_some_and(|r| !r.is_empty()) {
            return Err(malformed());
        }
        if !filename_is_valid(field) {
            return Err(malformed());
        }
        return match read(env, &format!("/sys/class/dmi/id/{field}")) {
            Some(actual) => Ok(version_or_fnmatch(op, actual.trim_end(), &expected)),
            None => Ok(false),
        };
    }
    Ok(false)
}

/// A machine id in either of `sd_id128_from_string()`'s spellings.
fn parse_id128(s: &str) -> Option<String> {
    let hex: String = match s.len() {
        32 => s.to_string(),
        36 if [8, 13, 18, 23].iter().all(|&i| s.as_bytes().get(i) == Some(&b'-')) => s.replace('-', ""),
        _ => return None,
    };
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_ascii_lowercase())
}

pub(super) fn host(env: &CheckEnv, arg: &str) -> Verdict {
    if let Some(id) = parse_id128(arg) {
        let mine = env.host.machine_id.as_deref().ok_or("No machine ID set")?;
        return Ok(mine.eq_ignore_ascii_case(&id));
    }
    let hostname = read(env, "/proc/sys/kernel/hostname")
        .map(|h| h.trim_end().to_string())
        .unwrap_or_else(|| env.host.hostname.clone());
    Ok(fnmatch(arg, &hostname, MatchFlags { casefold: true, file_name: false }))
}

pub(super) fn architecture(env: &CheckEnv, arg: &str) -> Verdict {
    let running = env.host.architecture.as_str();
    if arg == "native" {
        return Ok(running == crate::host::architecture());
    }
    Ok(arg == running)
}

pub(super) fn credential(env: &CheckEnv, arg: &str) -> Verdict {
    if !(filename_is_valid(arg) && fdname_is_valid(arg)) {
        return Ok(false);
    }
    for var in ["CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"] {
        let Some(dir) = env.env_value(var) else { continue };
        if !dir.starts_with('/') {
            return Err(format!("${var} is not an absolute path"));
        }
        match std::fs::symlink_metadata(Path::new(dir).join(arg)) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(false)
}

pub(super) fn security(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(match arg {
        "selinux" => exists(env, "/sys/fs/selinux/enforce"),
        "smack" => exists(env, "/sys/fs/smackfs"),
        "apparmor" => read(env, "/sys/module/apparmor/parameters/enabled")
            .and_then(|v| parse_boolean(v.lines().next().unwrap_or_default()).ok())
            .unwrap_or(false),
        "audit" => exists(env, "/proc/self/loginuid"),
        "ima" => exists(env, "/sys/kernel/security/ima"),
        "tomoyo" => exists(env, "/sys/kernel/security/tomoyo/version"),
        "uefi-secureboot" => {
            is_efi_boot(env)
                && std::fs::read(env.system_path(
                    "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
                ))
                .ok()
                .is_some_and(|v| v.len() == 5 && v[4] != 0)
        }
        "tpm2" => {
            // Kernel subsystem (a /sys/class/tpmrm directory, never trusted
            // in a container) and firmware support (the ACPI TPM2 table).
            let subsystem = detect_container(env).is_none() && exists(env, "/sys/class/tpmrm");
            subsystem && is_efi_boot(env) && exists(env, "/sys/firmware/acpi/tables/TPM2")
        }
        _ => false,
    })
}

pub(super) fn capability(env: &CheckEnv, arg: &str) -> Verdict {
    let cap = capability_from_name(arg).ok_or_else(|| format!("unknown capability '{arg}'"))?;
    let status = read(env, "/proc/self/status").ok_or("cannot read /proc/self/status")?;
    let bounding = match status.lines().find_map(|l| l.strip_prefix("CapBnd:")) {
        Some(hex) => u64::from_str_radix(hex.trim(), 16).map_err(|_| "malformed CapBnd".to_string())?,
        None => u64::MAX,
    };
    Ok(bounding & (1 << cap) != 0)
}

/// `on_ac_power()`: an online non-battery supply means AC; otherwise a
/// discharging battery means battery; otherwise AC. (systemd also skips
/// USB-C supplies whose Type-C port is in source mode, found through the
/// `typec` class; we count every online USB supply.)
fn on_ac_power(env: &CheckEnv) -> bool {
    let Ok(dir) = std::fs::read_dir(env.system_path("/sys/class/power_supply")) else { return true };
    let (mut online, mut discharging) = (false, false);
    for e in dir.flatten() {
        let p = e.path();
        let attr = |name: &str| std::fs::read_to_string(p.join(name)).ok().map(|s| s.trim_end().to_string());
        let Some(kind) = attr("type") else { continue };
        if kind == "Battery" {
            let device_scope = attr("scope").as_deref() == Some("Device");
            let absent = attr("present").and_then(|v| parse_boolean(&v).ok()) == Some(false);
            let status = attr("status");
            if !device_scope && !absent && status.as_deref().is_none_or(|s| s == "Discharging") {
                discharging = true;
            }
            continue;
        }
        if attr("online").and_then(|v| v.parse::<u64>().ok()).is_some_and(|v| v > 0) {
            online = true;
        }
    }
    online || !discharging
}

pub(super) fn ac_power(env: &CheckEnv, arg: &str) -> Verdict {
    let want = parse_boolean(arg).map_err(|e| e.to_string())?;
    Ok(on_ac_power(env) == want)
}

pub(super) fn first_boot(env: &CheckEnv, arg: &str) -> Verdict {
    let want = parse_boolean(arg).map_err(|e| e.to_string())?;
    let marker = std::fs::symlink_metadata(in_root(&env.root, Path::new("/run/systemd/first-boot"))).is_ok();
    Ok(marker == want)
}

/// A PSI average in the kernel's fixed point (11 fractional bits), from
/// `INT.FRAC` with two decimals.
fn loadavg_fixed(int: u64, frac: u64) -> Option<u64> {
    let f = (frac << 11).div_ceil(100);
    (f < (1 << 11)).then_some((int << 11) | f)
}

fn parse_loadavg(s: &str) -> Option<u64> {
    let (i, f) = s.split_once('.')?;
    loadavg_fixed(i.parse().ok()?, f.parse().ok()?)
}

/// `(avg10, avg60, avg300)` of the `kind` ("some"/"full") line.
fn read_pressure(path: &Path, kind: &str) -> Result<Option<[u64; 3]>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let Some(line) = text.lines().find_map(|l| l.strip_prefix(kind).filter(|r| r.starts_with(' '))) else {
        return Ok(None);
    };
    let mut avg = [None; 3];
    for w in line.split_whitespace() {
        for (k, key) in ["avg10=", "avg60=", "avg300="].iter().enumerate() {
            if let Some(v) = w.strip_prefix(key) {
                avg[k] = Some(parse_loadavg(v).ok_or_else(|| format!("malformed {path:?}"))?);
            }
        }
    }
    match avg {
        [Some(a), Some(b), Some(c)] => Ok(Some([a, b, c])),
        _ => Err(format!("malformed {}", path.display())),
    }
}

/// `ConditionMemoryPressure=`, `ConditionCPUPressure=`,
/// `ConditionIOPressure=`: `[SLICE:]PERCENT[/WINDOW]`.
pub(super) fn pressure(env: &CheckEnv, resource: &str, arg: &str) -> Verdict {
    let supported = ["cpu", "io", "memory"].iter().all(|r| read(env, &format!("/proc/pressure/{r}")).is_some());
    if !supported {
        return Ok(true);
    }
    let bad = || format!("Failed to parse condition parameter {arg}");
    let parts: Vec<&str> = arg.split(':').filter(|p| !p.is_empty()).collect();
    let (path, value, mut kind) = match parts.as_slice() {
        [v] => (env.system_path(&format!("/proc/pressure/{resource}")), *v, if resource == "cpu" { "some" } else { "full" }),
        [slice, v, ..] => {
            let slice = slice.trim();
            if !cgroup_unified(&env.system) {
                return Ok(true);
            }
            let needed = if resource == "io" { "io" } else { resource };
            if !supported_controllers(env).is_some_and(|c| c.contains(&needed)) {
                return Ok(true);
            }
            let slice_path = slice_to_path(slice).ok_or_else(bad)?;
            let root = cgroup_root(&env.system).unwrap_or_default();
            (env.system_path(&format!("/sys/fs/cgroup{root}{slice_path}/{resource}.pressure")), *v, "full")
        }
        [] => return Err(bad()),
    };
    let (pct, window) = match value.split_once('/') {
        Some((p, w)) => (p, Some(w.trim_start())),
        None => (value, None),
    };
    let idx = match window {
        None => 2,
        Some(w) if w.starts_with("10sec") => 0,
        Some(w) if w.starts_with("1min") => 1,
        Some(w) if w.starts_with("5min") => 2,
        Some(_) => return Err(bad()),
    };
    let permyriad = parse_permyriad(pct.trim()).map_err(|e| e.to_string())?;
    let limit = loadavg_fixed(u64::from(permyriad / 100), u64::from(permyriad % 100)).ok_or_else(bad)?;
    if !path.exists() {
        return Ok(true);
    }
    let mut avgs = read_pressure(&path, kind)?;
    if avgs.is_none() && kind == "full" {
        kind = "some";
        avgs = read_pressure(&path, kind)?;
    }
    let avgs = avgs.ok_or_else(|| format!("no pressure data in {}", path.display()))?;
    Ok(avgs[idx] <= limit)
}

/// `cg_slice_to_path()`: `a-b.slice` → `/a.slice/a-b.slice`.
fn slice_to_path(slice: &str) -> Option<String> {
    if slice == "-.slice" {
        return Some(String::new());
    }
    let base = slice.strip_suffix(".slice")?;
    if base.is_empty() || base.starts_with('-') || base.ends_with('-') || base.contains("--") {
        return None;
    }
    let mut out = String::new();
    let mut prefix = String::new();
    for part in base.split('-') {
        if !prefix.is_empty() {
            prefix.push('-');
        }
        prefix.push_str(part);
        out.push('/');
        out.push_str(&prefix);
        out.push_str(".slice");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_and_slices() {
        assert_eq!(loadavg_fixed(0, 0), Some(0));
        assert_eq!(parse_loadavg("1.00"), Some(2048));
        assert_eq!(parse_loadavg("0.50"), Some(1024));
        assert_eq!(slice_to_path("a-b.slice").as_deref(), Some("/a.slice/a-b.slice"));
        assert_eq!(slice_to_path("-.slice").as_deref(), Some(""));
        assert_eq!(slice_to_path("x.service"), None);
        assert_eq!(parse_id128("0123456789ABCDEF0123456789abcdef").as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(parse_id128("01234567-89ab-cdef-0123-456789abcdef").as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(parse_id128("host"), None);
    }
}
