//! Condition checks against temporary trees: a managed root (files,
//! directories, symlinks that must resolve inside the root, os-release)
//! and a fake kernel tree (`/proc`, `/sys`, container markers) passed as
//! `CheckEnv::system`, so every detection path runs on known inputs.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use unit::condition::{evaluate, evaluate_all, CheckEnv, CheckResult};
use unit::paths::Scope;
use unit::specifier::Host;
use unit::value::Condition;

struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("vigil-cond-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn file(&self, rel: &str, body: &str) {
        let p = self.0.join(rel.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    fn dir(&self, rel: &str) {
        std::fs::create_dir_all(self.0.join(rel.trim_start_matches('/'))).unwrap();
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn env(root: &Path, system: &Path) -> CheckEnv {
    CheckEnv {
        root: root.to_path_buf(),
        system: system.to_path_buf(),
        host: Host {
            machine_id: Some("0123456789abcdef0123456789abcdef".into()),
            hostname: "fallback".into(),
            kernel_release: "6.1.0-18-amd64".into(),
            architecture: "x86-64".into(),
            ..Host::default()
        },
        scope: Scope::System,
        uid: 1000,
        euid: 1000,
        gid: 1000,
        egid: 1000,
        groups: vec![4, 24],
        environment: vec!["PATH=/usr/bin".into(), "LANG=C.UTF-8".into(), "EMPTY=".into()],
        pid1: false,
        cpuid_hypervisor: None,
    }
}

fn c(arg: &str) -> Condition {
    Condition { trigger: false, negate: false, arg: arg.into() }
}

fn met(kind: &str, arg: &str, e: &CheckEnv) -> bool {
    let o = evaluate(kind, &c(arg), e);
    assert_ne!(o.result, CheckResult::Error, "{kind}={arg}: {}", o.message);
    o.met
}

fn error(kind: &str, arg: &str, e: &CheckEnv) -> bool {
    evaluate(kind, &c(arg), e).result == CheckResult::Error
}

#[test]
fn paths_inside_the_root() {
    let root = Tmp::new("root");
    let sys = Tmp::new("root-sys");
    root.file("/etc/full", "x");
    root.file("/etc/empty", "");
    root.file("/opt/tool", "#!/bin/sh\n");
    std::fs::set_permissions(root.0.join("opt/tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    root.dir("/srv/empty");
    root.dir("/srv/hidden");
    root.file("/srv/hidden/.dot", "");
    root.file("/srv/hidden/x.dpkg-old", "");
    root.dir("/srv/used");
    root.file("/srv/used/data", "");
    // An absolute link target must resolve inside the root, not on the host.
    symlink("/etc/full", root.0.join("etc/link")).unwrap();
    symlink("/nonexistent", root.0.join("etc/dangling")).unwrap();
    symlink("/srv/used", root.0.join("srv/to-dir")).unwrap();
    let e = env(&root.0, &sys.0);

    assert!(met("PathExists", "/etc/full", &e));
    assert!(!met("PathExists", "/etc/passwd-that-is-only-on-the-host", &e));
    assert!(met("PathExists", "/etc/link", &e));
    assert!(!met("PathExists", "/etc/dangling", &e));
    assert!(met("PathIsSymbolicLink", "/etc/link", &e));
    assert!(met("PathIsSymbolicLink", "/etc/dangling", &e));
    assert!(!met("PathIsSymbolicLink", "/etc/full", &e));
    assert!(met("PathIsDirectory", "/srv/to-dir", &e));
    assert!(!met("PathIsDirectory", "/etc/full", &e));
    assert!(met("FileNotEmpty", "/etc/link", &e));
    assert!(!met("FileNotEmpty", "/etc/empty", &e));
    assert!(!met("FileNotEmpty", "/srv/used", &e));
    assert!(met("FileIsExecutable", "/opt/tool", &e));
    assert!(!met("FileIsExecutable", "/etc/full", &e));
    assert!(!met("DirectoryNotEmpty", "/srv/empty", &e));
    assert!(!met("DirectoryNotEmpty", "/srv/hidden", &e), "hidden and backup files do not count");
    assert!(met("DirectoryNotEmpty", "/srv/used", &e));
    assert!(met("DirectoryNotEmpty", "/srv/to-dir", &e));
    assert!(!met("DirectoryNotEmpty", "/etc/full", &e));
    assert!(met("PathExistsGlob", "/etc/f*", &e));
    assert!(met("PathExistsGlob", "/srv/*/data", &e));
    assert!(met("PathExistsGlob", "/etc/{nope,empty}", &e));
    assert!(!met("PathExistsGlob", "/etc/*.conf", &e));
    assert!(met("PathExistsGlob", "/srv/hidden/*", &e));
    assert!(met("PathExistsGlob", "/srv/hidden/*.dpkg-old", &e));
    assert!(!met("PathExistsGlob", "/srv/hidden/*dot", &e), "a wildcard never matches a leading dot");
    assert!(error("PathExists", "relative/path", &e));
    assert!(error("PathExists", "/etc/../etc/full", &e));
    assert!(!met("PathIsEncrypted", "/nonexistent", &e));
}

#[test]
fn negation_errors_and_messages() {
    let root = Tmp::new("neg");
    root.file("/etc/x", "1");
    let e = env(&root.0, &root.0);
    let neg = Condition { trigger: false, negate: true, arg: "/etc/x".into() };
    let o = evaluate("PathExists", &neg, &e);
    assert!(!o.met);
    assert_eq!(o.message, "ConditionPathExists=!/etc/x failed.");
    assert_eq!(o.status_line(), "ConditionPathExists=!/etc/x was not met");
    let o = evaluate("AssertPathExists", &c("/etc//x/"), &e);
    assert_eq!(o.message, "AssertPathExists=/etc/x succeeded.");
    // An error fails even when negated.
    let bad = Condition { trigger: false, negate: true, arg: "foo".into() };
    let o = evaluate("Memory", &bad, &e);
    assert_eq!((o.met, o.result), (false, CheckResult::Error));
    assert!(o.message.starts_with("Couldn't determine result for ConditionMemory=!foo, assuming failed: "));
    let o = evaluate("NoSuchCheck", &c("x"), &e);
    assert_eq!((o.met, o.result), (false, CheckResult::Error));
}

#[test]
fn trigger_lists() {
    let root = Tmp::new("lists");
    root.file("/a", "");
    let e = env(&root.0, &root.0);
    let t = |arg: &str| Condition { trigger: true, negate: false, arg: arg.into() };
    let (a, b, na) = (t("/a"), t("/b"), c("/nope"));
    let plain = c("/a");
    assert!(evaluate_all(&[], &e).met);
    assert!(evaluate_all(&[("PathExists", &b), ("PathExists", &a)], &e).met);
    assert!(!evaluate_all(&[("PathExists", &b), ("PathExists", &b)], &e).met);
    assert!(!evaluate_all(&[("PathExists", &plain), ("PathExists", &b)], &e).met);
    // Evaluation runs from the last assignment and stops at the first
    // failing non-trigger check.
    let r = evaluate_all(&[("PathExists", &plain), ("PathExists", &na), ("PathExists", &a)], &e);
    assert!(!r.met);
    assert_eq!(r.checks.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(r.failed().map(|(i, _)| *i), Some(1));
}

#[test]
fn os_release_kernel_and_host() {
    let root = Tmp::new("os");
    let sys = Tmp::new("os-sys");
    root.file("/usr/lib/os-release", "ID=vigil\nVERSION_ID=\"12.4\"\nPRETTY_NAME='Vigil 12'\n");
    sys.file("/proc/sys/kernel/hostname", "web-01.example\n");
    sys.file("/proc/cmdline", "root=/dev/sda1 quiet systemd.condition-needs-update=0 \"x=a b\"\n");
    let e = env(&root.0, &sys.0);
    assert!(met("OSRelease", "ID=vigil", &e));
    assert!(met("OSRelease", "VERSION_ID>=12.3 VERSION_ID<13", &e));
    assert!(!met("OSRelease", "VERSION_ID>12.4", &e));
    assert!(met("OSRelease", "ID$=vig*", &e));
    assert!(met("OSRelease", "IMAGE_ID!=x", &e), "missing keys compare as empty");
    assert!(error("OSRelease", "IMAGE_ID=", &e), "an empty value is malformed");
    assert!(error("OSRelease", "ID", &e));
    assert!(error("OSRelease", "ID= vigil", &e));
    assert!(met("KernelVersion", ">=6.1", &e));
    assert!(met("KernelVersion", ">= 6.1", &e));
    assert!(met("KernelVersion", "6.1.*", &e));
    assert!(!met("KernelVersion", ">6.1 <6.1", &e));
    assert!(error("KernelVersion", ">6.1 <", &e));
    assert!(met("Host", "WEB-*", &e));
    assert!(!met("Host", "db-*", &e));
    assert!(met("Host", "01234567-89ab-cdef-0123-456789abcdef", &e));
    assert!(met("KernelCommandLine", "quiet", &e));
    assert!(met("KernelCommandLine", "root", &e));
    assert!(met("KernelCommandLine", "x=a b", &e));
    assert!(!met("KernelCommandLine", "roo", &e));
    assert!(!met("NeedsUpdate", "/etc", &e), "systemd.condition-needs-update=0 wins");
    assert!(met("Architecture", "x86-64", &e));
    assert!(!met("Architecture", "arm64", &e));
    assert!(met("Environment", "LANG", &e));
    assert!(met("Environment", "EMPTY=", &e));
    assert!(!met("Environment", "LAN", &e));
    assert!(!met("Environment", "LANG=C", &e));
}

#[test]
fn users_and_groups_from_the_system_tree() {
    let sys = Tmp::new("users");
    sys.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n");
    sys.file("/etc/group", "root:x:0:\nadm:x:4:alice\ncdrom:x:24:alice\nalice:x:1000:\nwheel:x:10:\n");
    let e = env(&sys.0, &sys.0);
    assert!(met("User", "alice", &e));
    assert!(met("User", "1000", &e));
    assert!(!met("User", "bob", &e));
    assert!(!met("User", "root", &e));
    assert!(!met("User", "@system", &e));
    assert!(met("Group", "adm", &e));
    assert!(met("Group", "24", &e));
    assert!(met("Group", "alice", &e));
    assert!(!met("Group", "wheel", &e));
    assert!(!met("Group", "nosuchgroup", &e));
}

#[test]
fn containers_and_vms() {
    let root = Tmp::new("virt");
    let e0 = env(&root.0, &root.0);
    let virt = |e: &CheckEnv, word: &str| met("Virtualization", word, e);
    assert!(virt(&e0, "no"));
    assert!(!virt(&e0, "container"));

    root.file("/.dockerenv", "");
    assert!(virt(&e0, "docker") && virt(&e0, "container") && virt(&e0, "yes") && !virt(&e0, "vm"));
    root.file("/run/.containerenv", "");
    assert!(virt(&e0, "podman"), "podman's marker is checked before docker's");
    root.file("/run/systemd/container", "systemd-nspawn\n");
    assert!(virt(&e0, "systemd-nspawn"));
    root.file("/run/systemd/container", "oci\n");
    assert!(virt(&e0, "podman"), "oci is resolved through the marker files");
    root.file("/run/systemd/container", "something-new\n");
    assert!(virt(&e0, "container-other"));
    root.file("/run/host/container-manager", "lxc\n");
    assert!(virt(&e0, "lxc"));
    let mut pid1 = e0.clone();
    pid1.pid1 = true;
    pid1.environment.push("container=lxc-libvirt".into());
    assert!(virt(&pid1, "lxc"), "/run/host/container-manager comes first");
    std::fs::remove_file(root.0.join("run/host/container-manager")).unwrap();
    assert!(virt(&pid1, "lxc-libvirt"), "PID 1 trusts its own $container");
    pid1.environment.push("container=".into());
    assert!(virt(&pid1, "no"), "an empty $container means none");

    let vm = Tmp::new("vm");
    let mut e = env(&vm.0, &vm.0);
    e.cpuid_hypervisor = Some("KVMKVMKVM".into());
    assert!(virt(&e, "kvm") && virt(&e, "vm") && !virt(&e, "container"));
    e.cpuid_hypervisor = Some("Microsoft Hv".into());
    assert!(virt(&e, "microsoft"));
    e.cpuid_hypervisor = Some("SomethingNew".into());
    assert!(virt(&e, "vm-other"));
    vm.file("/sys/class/dmi/id/sys_vendor", "QEMU\n");
    assert!(virt(&e, "qemu"), "a named DMI vendor beats an unknown CPUID signature");
    vm.file("/sys/class/dmi/id/product_name", "VirtualBox\n");
    e.cpuid_hypervisor = Some("KVMKVMKVM".into());
    assert!(virt(&e, "oracle"), "VirtualBox is found before CPUID");
    let wsl = Tmp::new("wsl");
    wsl.file("/proc/sys/kernel/osrelease", "5.15.90.1-microsoft-standard-WSL2\n");
    assert!(virt(&env(&wsl.0, &wsl.0), "wsl"));
    let userns = Tmp::new("userns");
    userns.file("/proc/self/uid_map", "         0     100000      65536\n");
    assert!(met("Virtualization", "private-users", &env(&userns.0, &userns.0)));
    userns.file("/proc/self/uid_map", "         0          0 4294967295\n");
    userns.file("/proc/self/gid_map", "         0          0 4294967295\n");
    userns.file("/proc/self/setgroups", "allow\n");
    assert!(!met("Virtualization", "private-users", &env(&userns.0, &userns.0)));
}

#[test]
fn security_firmware_and_power() {
    let s = Tmp::new("sec");
    let e = env(&s.0, &s.0);
    for word in ["selinux", "apparmor", "smack", "ima", "audit", "tomoyo", "uefi-secureboot", "tpm2", "cvm", "bogus"] {
        assert!(!met("Security", word, &e), "{word}");
    }
    s.file("/sys/module/apparmor/parameters/enabled", "Y\n");
    s.dir("/sys/kernel/security/ima");
    s.file("/proc/self/loginuid", "4294967295");
    assert!(met("Security", "apparmor", &e) && met("Security", "ima", &e) && met("Security", "audit", &e));
    s.dir("/sys/firmware/efi");
    s.file("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", "\x06\0\0\0\x01");
    assert!(met("Firmware", "uefi", &e));
    assert!(met("Security", "uefi-secureboot", &e));
    s.file("/.dockerenv", "");
    assert!(!met("Firmware", "uefi", &e), "never EFI inside a container");
    s.file("/proc/device-tree/compatible", "raspberrypi,4-model-b\0brcm,bcm2711\0");
    assert!(met("Firmware", "device-tree-compatible(brcm,bcm2711)", &e));
    assert!(!met("Firmware", "device-tree-compatible(brcm)", &e));
    s.file("/sys/class/dmi/id/bios_version", "1.16.2-debian\n");
    assert!(met("Firmware", "smbios-field(bios_version >= 1.16)", &e));
    assert!(met("Firmware", "smbios-field(bios_version $= 1.16*)", &e));
    assert!(!met("Firmware", "smbios-field(bios_version = 1.16)", &e));
    assert!(error("Firmware", "smbios-field(bios_version)", &e));

    // No supplies at all: AC. A discharging battery alone: battery.
    assert!(met("ACPower", "true", &e));
    s.file("/sys/class/power_supply/BAT0/type", "Battery\n");
    s.file("/sys/class/power_supply/BAT0/status", "Discharging\n");
    assert!(met("ACPower", "false", &e));
    s.file("/sys/class/power_supply/AC/type", "Mains\n");
    s.file("/sys/class/power_supply/AC/online", "1\n");
    assert!(met("ACPower", "yes", &e));
    assert!(error("ACPower", "sometimes", &e));
}

#[test]
fn resources_cgroups_and_pressure() {
    let s = Tmp::new("res");
    s.file("/proc/meminfo", "MemTotal:        2048000 kB\nMemFree: 1 kB\n");
    s.file("/proc/self/status", "Name:\tx\nCapBnd:\t00000000a80425fb\nCpus_allowed_list:\t0-3,6\n");
    s.file("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 pclmulqdq fma xsave\n");
    s.file("/proc/1/cgroup", "0::/init.scope\n");
    s.file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    s.file("/sys/fs/cgroup/memory.max", "1073741824\n");
    for r in ["cpu", "io", "memory"] {
        s.file(
            &format!("/proc/pressure/{r}"),
            "some avg10=1.50 avg60=0.00 avg300=0.00 total=1\nfull avg10=30.25 avg60=5.00 avg300=0.10 total=2\n",
        );
    }
    s.file("/sys/fs/cgroup/system.slice/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=90.00 avg60=0.00 avg300=0.00 total=0\n");
    let e = env(&s.0, &s.0);
    assert!(met("Memory", "1G", &e), "the cgroup limit caps the 2 GB of RAM at 1 GiB");
    assert!(!met("Memory", ">1G", &e));
    assert!(met("Memory", "<=1G", &e));
    assert!(met("CPUs", "5", &e) && met("CPUs", "=5", &e) && !met("CPUs", ">5", &e));
    assert!(met("CPUFeature", "fma3", &e) && met("CPUFeature", "PCLMUL", &e) && !met("CPUFeature", "avx", &e));
    assert!(!met("CPUFeature", "pclmulqdq", &e), "only systemd's names count");
    assert!(met("Capability", "CAP_CHOWN", &e));
    assert!(met("Capability", "cap_net_bind_service", &e));
    assert!(!met("Capability", "CAP_SYS_ADMIN", &e));
    assert!(error("Capability", "CAP_NOPE", &e));
    assert!(met("ControlGroupController", "v2", &e) && !met("ControlGroupController", "v1", &e));
    assert!(met("ControlGroupController", "cpu memory", &e));
    assert!(!met("ControlGroupController", "cpuacct", &e), "not a v2 controller");
    assert!(met("ControlGroupController", "nonsense", &e), "no known controller named: passes");
    // Memory pressure uses the "full" line, CPU pressure the "some" line;
    // without a window the 5-minute average counts.
    assert!(met("MemoryPressure", "1%", &e));
    assert!(!met("MemoryPressure", "30%/10sec", &e));
    assert!(met("MemoryPressure", "30.25%/10sec", &e));
    assert!(met("CPUPressure", "2%/10sec", &e) && !met("CPUPressure", "1%/10sec", &e));
    assert!(!met("MemoryPressure", "system.slice:50%/10sec", &e));
    assert!(met("MemoryPressure", "nosuch.slice:50%", &e), "a missing cgroup skips the check");
    assert!(error("IOPressure", "5%/2min", &e));
    assert!(error("IOPressure", "lots", &e));
    assert!(met("FirstBoot", "no", &e));
    s.file("/run/systemd/first-boot", "");
    assert!(met("FirstBoot", "yes", &e));
}
