//! Virtualization detection for `ConditionVirtualization=`, following
//! systemd 252's `detect_virtualization()`: containers first, then
//! virtual machines.
//!
//! Containers, in this order: OpenVZ (`/proc/vz` without `/proc/bc`), WSL
//! (kernel release mentions `Microsoft` or `WSL`), proot (our tracer's
//! `comm`), `/run/host/container-manager`, then the `$container` variable —
//! our own when we are PID 1, else `/run/systemd/container` or PID 1's
//! environment — and finally the marker files `/run/.containerenv`
//! (podman) and `/.dockerenv` (docker), and a private cgroup namespace
//! (`container-other`). `container=oci` is resolved through the marker
//! files. Unknown names are `container-other`.
//!
//! Virtual machines: DMI vendor strings (`/sys/class/dmi/id/…`, checked
//! first for VirtualBox, Xen, Amazon, Parallels and Google, whose
//! hypervisors may pose as KVM), User-Mode Linux (`/proc/cpuinfo`), Xen
//! (`/proc/xen`, dom0 is not a VM), the CPUID hypervisor signature
//! ([`super::CheckEnv::cpuid_hypervisor`]), the remaining DMI vendors,
//! `/sys/hypervisor/type`, the device tree (ARM, POWER, RISC-V) and z/VM
//! (`/proc/sysinfo`). A hypervisor seen without a name is `vm-other`.
//!
//! Every file is read under [`super::CheckEnv::system`], so tests can feed
//! a fake tree.

use super::CheckEnv;

const VMS: &[&str] = &[
    "kvm", "amazon", "qemu", "bochs", "xen", "uml", "vmware", "oracle", "microsoft", "zvm", "parallels", "bhyve",
    "qnx", "acrn", "powervm", "apple", "sre", "google", "vm-other",
];

const CONTAINERS: &[&str] =
    &["systemd-nspawn", "lxc-libvirt", "lxc", "openvz", "docker", "podman", "rkt", "wsl", "proot", "pouch", "container-other"];

/// Whether a detected name is a VM (as opposed to a container).
pub fn is_vm(v: &str) -> bool {
    VMS.contains(&v)
}

pub fn is_container(v: &str) -> bool {
    CONTAINERS.contains(&v)
}

fn read_line(env: &CheckEnv, path: &str) -> Option<String> {
    let text = std::fs::read_to_string(env.system_path(path)).ok()?;
    Some(text.lines().next().unwrap_or_default().trim_end().to_string())
}

fn exists(env: &CheckEnv, path: &str) -> bool {
    std::fs::symlink_metadata(env.system_path(path)).is_ok()
}

fn container_files(env: &CheckEnv) -> Option<&'static str> {
    if exists(env, "/run/.containerenv") {
        Some("podman")
    } else if exists(env, "/.dockerenv") {
        Some("docker")
    } else {
        None
    }
}

fn translate(env: &CheckEnv, name: &str) -> &'static str {
    if name == "oci" {
        return container_files(env).unwrap_or("container-other");
    }
    CONTAINERS.iter().find(|c| **c == name && **c != "openvz").copied().unwrap_or("container-other")
}

fn cgroup_unified(env: &CheckEnv) -> bool {
    exists(env, "/sys/fs/cgroup/cgroup.controllers")
}

fn running_in_cgroupns(env: &CheckEnv) -> bool {
    if !exists(env, "/proc/self/ns/cgroup") {
        return false;
    }
    if cgroup_unified(env) {
        if !exists(env, "/sys/fs/cgroup/cgroup.events") {
            return false;
        }
        if exists(env, "/sys/fs/cgroup/cgroup.type") {
            return true;
        }
        !exists(env, "/sys/kernel/cgroup/features")
    } else {
        exists(env, "/sys/fs/cgroup/systemd") && !exists(env, "/sys/fs/cgroup/systemd/release_agent")
    }
}

/// `detect_container()`: the container technology, or `None`.
pub fn detect_container(env: &CheckEnv) -> Option<&'static str> {
    if exists(env, "/proc/vz") && !exists(env, "/proc/bc") {
        return Some("openvz");
    }
    if let Some(o) = read_line(env, "/proc/sys/kernel/osrelease") {
        if o.contains("Microsoft") || o.contains("WSL") {
            return Some("wsl");
        }
    }
    let tracer = std::fs::read_to_string(env.system_path("/proc/self/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("TracerPid:").map(|v| v.trim().to_string())));
    if let Some(pid) = tracer.filter(|p| p != "0") {
        if read_line(env, &format!("/proc/{pid}/comm")).is_some_and(|c| c.starts_with("proot")) {
            return Some("proot");
        }
    }
    if let Some(m) = read_line(env, "/run/host/container-manager").filter(|m| !m.is_empty()) {
        return Some(translate(env, &m));
    }
    if env.pid1 {
        match env.env_value("container") {
            Some("") => return None,
            Some(v) => return Some(translate(env, v)),
            None => {}
        }
    } else {
        if let Some(m) = read_line(env, "/run/systemd/container").filter(|m| !m.is_empty()) {
            return Some(translate(env, &m));
        }
        // Only readable with CAP_SYS_PTRACE; failures are ignored.
        if let Ok(environ) = std::fs::read(env.system_path("/proc/1/environ")) {
            let found = environ
                .split(|&b| b == 0)
                .find_map(|kv| kv.strip_prefix(b"container=").map(|v| String::from_utf8_lossy(v).into_owned()));
            if let Some(v) = found.filter(|v| !v.is_empty()) {
                return Some(translate(env, &v));
            }
        }
    }
    if let Some(f) = container_files(env) {
        return Some(f);
    }
    running_in_cgroupns(env).then_some("container-other")
}

const DMI_VENDORS: &[(&str, &str)] = &[
    ("KVM", "kvm"),
    ("OpenStack", "kvm"),
    ("KubeVirt", "kvm"),
    ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Oracle Corporation", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"),
    ("Google Compute Engine", "google"),
];

/// The SMBIOS "is a VM" bit: `Some(bit)`, or `None` if unreadable.
fn smbios_vm_bit(env: &CheckEnv) -> Option<bool> {
    let raw = std::fs::read(env.system_path("/sys/firmware/dmi/entries/0-0/raw")).ok()?;
    if raw.len() < 20 || raw.get(1).is_some_and(|&l| l < 20) {
        return None;
    }
    raw.get(19).map(|b| b & (1 << 4) != 0)
}

fn detect_vm_dmi(env: &CheckEnv) -> Option<&'static str> {
    if !cfg!(any(target_arch = "x86", target_arch = "x86_64", target_arch = "arm", target_arch = "aarch64", target_arch = "loongarch64")) {
        return None;
    }
    let files = ["product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"];
    let vendor = files.iter().find_map(|f| {
        let s = read_line(env, &format!("/sys/class/dmi/id/{f}"))?;
        DMI_VENDORS.iter().find(|(v, _)| s.starts_with(v)).map(|(_, id)| *id)
    });
    if vendor == Some("amazon") {
        return match smbios_vm_bit(env) {
            Some(true) => Some("amazon"),
            Some(false) => None,
            None => {
                // Metal instances say so in their product name.
                let name = read_line(env, "/sys/class/dmi/id/product_name");
                let metal = name.as_deref().and_then(|n| n.split_once(".metal")).is_some_and(|(_, rest)| rest.is_empty() || rest.starts_with('-'));
                (!metal).then_some("amazon")
            }
        };
    }
    if vendor.is_none() && smbios_vm_bit(env) == Some(true) {
        return Some("vm-other");
    }
    vendor
}

fn cpuid_vm(env: &CheckEnv) -> Option<&'static str> {
    const SIGNATURES: &[(&str, &str)] = &[
        ("XenVMMXenVMM", "xen"),
        ("KVMKVMKVM", "kvm"),
        ("Linux KVM Hv", "kvm"),
        ("TCGTCGTCGTCG", "qemu"),
        ("VMwareVMware", "vmware"),
        ("Microsoft Hv", "microsoft"),
        ("bhyve bhyve ", "bhyve"),
        ("QNXQVMBSQG", "qnx"),
        ("ACRNACRNACRN", "acrn"),
        ("SRESRESRESRE", "sre"),
        ("Apple VZ", "apple"),
    ];
    let sig = env.cpuid_hypervisor.as_deref()?;
    let sig = sig.trim_end_matches('\0');
    Some(SIGNATURES.iter().find(|(s, _)| *s == sig).map_or("vm-other", |(_, id)| id))
}

fn xen_dom0(env: &CheckEnv) -> bool {
    if let Some(f) = read_line(env, "/sys/hypervisor/properties/features") {
        if let Ok(features) = u64::from_str_radix(f.trim_start_matches("0x"), 16) {
            return features & (1 << 11) != 0;
        }
    }
    read_line(env, "/proc/xen/capabilities").is_some_and(|c| c.split(',').any(|w| w == "control_d"))
}

fn device_tree_vm(env: &CheckEnv) -> Option<&'static str> {
    if !cfg!(any(target_arch = "arm", target_arch = "aarch64", target_arch = "powerpc", target_arch = "powerpc64", target_arch = "riscv64")) {
        return None;
    }
    match read_line(env, "/proc/device-tree/hypervisor/compatible") {
        Some(h) if h == "linux,kvm" => Some("kvm"),
        Some(h) if h.contains("xen") => Some("xen"),
        Some(h) if h.contains("vmware") => Some("vmware"),
        Some(_) => Some("vm-other"),
        None => {
            if exists(env, "/proc/device-tree/ibm,partition-name")
                && exists(env, "/proc/device-tree/hmc-managed?")
                && !exists(env, "/proc/device-tree/chosen/qemu,graphic-width")
            {
                return Some("powervm");
            }
            let fw_cfg = std::fs::read_dir(env.system_path("/proc/device-tree"))
                .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().contains("fw-cfg")))
                .unwrap_or(false);
            if fw_cfg || read_line(env, "/proc/device-tree/compatible").is_some_and(|c| c == "qemu,pseries") {
                return Some("qemu");
            }
            None
        }
    }
}

/// `detect_vm()`.
pub fn detect_vm(env: &CheckEnv) -> Option<&'static str> {
    let dmi = detect_vm_dmi(env);
    if let Some(d @ ("oracle" | "xen" | "amazon" | "parallels" | "google")) = dmi {
        return Some(d);
    }
    let uml = std::fs::read_to_string(env.system_path("/proc/cpuinfo"))
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("vendor_id\t: ").map(|v| v.starts_with("User Mode Linux"))));
    if uml == Some(true) {
        return Some("uml");
    }
    let dom0 = exists(env, "/proc/xen") && xen_dom0(env);
    if exists(env, "/proc/xen") && !dom0 {
        return Some("xen");
    }
    let mut other = false;
    match cpuid_vm(env) {
        Some("vm-other") => other = true,
        Some(v) => return Some(v),
        None => {}
    }
    if dom0 {
        return other.then_some("vm-other");
    }
    match dmi {
        Some("vm-other") => other = true,
        Some(v) => return Some(v),
        None => {}
    }
    match read_line(env, "/sys/hypervisor/type") {
        Some(t) if t == "xen" => return Some("xen"),
        Some(_) => other = true,
        None => {}
    }
    match device_tree_vm(env) {
        Some("vm-other") => other = true,
        Some(v) => return Some(v),
        None => {}
    }
    if cfg!(target_arch = "s390x") {
        if let Ok(info) = std::fs::read_to_string(env.system_path("/proc/sysinfo")) {
            if let Some(cp) = info.lines().find_map(|l| l.strip_prefix("VM00 Control Program:")) {
                return Some(if cp.split_whitespace().next() == Some("z/VM") { "zvm" } else { "kvm" });
            }
        }
    }
    other.then_some("vm-other")
}

/// `detect_virtualization()`: a container if any, else a VM, else `None`.
pub fn detect_virtualization(env: &CheckEnv) -> Option<&'static str> {
    detect_container(env).or_else(|| detect_vm(env))
}

/// `running_in_userns()`: a uid or gid mapping other than the full
/// identity, or `setgroups` denied.
pub fn running_in_userns(env: &CheckEnv) -> bool {
    let mapped = |file: &str| -> bool {
        match std::fs::read_to_string(env.system_path(file)) {
            Err(_) => false,
            Ok(t) if t.trim().is_empty() => true,
            Ok(t) => {
                let n: Vec<&str> = t.split_whitespace().take(3).collect();
                n != ["0", "0", "4294967295"]
            }
        }
    };
    if mapped("/proc/self/uid_map") || mapped("/proc/self/gid_map") {
        return true;
    }
    read_line(env, "/proc/self/setgroups").is_some_and(|s| s.trim() == "deny")
}
