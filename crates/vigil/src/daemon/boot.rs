//! Early boot, for `vigil init` (or any start as PID 1), in this order:
//!
//! 1. mount the API file systems that are missing — `/proc`, `/sys`,
//!    `/dev` (devtmpfs, falling back to tmpfs), `/run` (tmpfs) — so a bare
//!    container or microVM has them; an existing mount is never touched;
//! 2. `/etc/machine-id`: created (random, 32 hex digits) if absent or
//!    empty, as `systemd-machine-id-setup` does on first boot;
//! 3. `/run/systemd/system/`: its existence is how `sd_booted()` and
//!    tools like deb-systemd-invoke, pg_ctlcluster, apachectl and Ansible
//!    decide that "systemd is running" and route through `systemctl`;
//! 4. the generators (SysV init scripts, xinetd) into
//!    `/run/systemd/generator.late`, before the unit index is built;
//! 5. `tmpfiles.d` (`systemd-tmpfiles --create --remove --boot`), so the
//!    `/run/<daemon>` directories packages declare exist before their
//!    services start.
//!
//! Each step that fails is reported on the console and boot carries on:
//! PID 1 must get as far as it can.

use std::path::Path;

use unit::generator::{run_sysv, run_xinetd, GenOptions};
use unit::paths::{in_root, LookupPaths};

fn is_mountpoint(path: &str) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else { return false };
    info.lines().any(|l| l.split_whitespace().nth(4) == Some(path))
}

fn mount(source: &str, target: &str, fstype: &str, flags: libc::c_ulong, data: &str) -> std::io::Result<()> {
    let c = |s: &str| std::ffi::CString::new(s).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput));
    let (src, tgt, fs, dat) = (c(source)?, c(target)?, c(fstype)?, c(data)?);
    let _ = std::fs::create_dir_all(target);
    // SAFETY: mount(2) with valid NUL-terminated strings.
    let r = unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), fs.as_ptr(), flags, dat.as_ptr().cast()) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Step 1. `/proc` first: the others are detected through it.
pub fn mount_api_filesystems() {
    let nosuid_nodev_noexec = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    if !Path::new("/proc/self").exists() {
        if let Err(e) = mount("proc", "/proc", "proc", nosuid_nodev_noexec, "") {
            eprintln!("Failed to mount /proc: {e}");
        }
    }
    let table: [(&str, &str, libc::c_ulong, &str); 3] = [
        ("/sys", "sysfs", nosuid_nodev_noexec, ""),
        ("/dev", "devtmpfs", libc::MS_NOSUID, "mode=755"),
        ("/run", "tmpfs", libc::MS_NOSUID | libc::MS_NODEV, "mode=755,size=20%"),
    ];
    for (target, fstype, flags, data) in table {
        if is_mountpoint(target) {
            continue;
        }
        // A container's /dev and /sys are usually set up by the runtime;
        // only an empty directory gets a fresh mount.
        let empty = std::fs::read_dir(target).map(|mut d| d.next().is_none()).unwrap_or(true);
        if !empty && target != "/run" {
            continue;
        }
        let res = mount(fstype, target, fstype, flags, data).or_else(|e| {
            if fstype == "devtmpfs" {
                mount("tmpfs", target, "tmpfs", libc::MS_NOSUID, "mode=755")
            } else {
                Err(e)
            }
        });
        if let Err(e) = res {
            eprintln!("Failed to mount {target} ({fstype}): {e}; continuing without it.");
        }
    }
}

/// Step 2: make sure the root has a machine id.
pub fn ensure_machine_id(root: &Path) {
    let path = in_root(root, Path::new("/etc/machine-id"));
    let ok = std::fs::read_to_string(&path).map(|s| s.trim().len() == 32).unwrap_or(false);
    if ok {
        return;
    }
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut b);
    }
    // A version-4 UUID, as systemd generates them.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let id: String = b.iter().map(|x| format!("{x:02x}")).collect();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&path, format!("{id}\n")) {
        Ok(()) => eprintln!("Initializing machine ID from random generator: {id}"),
        Err(e) => eprintln!("Failed to write {}: {e}", path.display()),
    }
}

/// Step 3.
pub fn mark_booted(root: &Path) {
    let p = in_root(root, Path::new("/run/systemd/system"));
    if let Err(e) = std::fs::create_dir_all(&p) {
        eprintln!("Failed to create {}: {e}", p.display());
    }
}

/// Step 4: run the generators; their diagnostics go to the console.
pub fn run_generators(lookup: &LookupPaths) {
    let root = &lookup.root;
    let out = in_root(root, Path::new("/run/systemd/generator.late"));
    let _ = std::fs::remove_dir_all(&out);
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("Failed to create {}: {e}", out.display());
        return;
    }
    let native: Vec<_> = lookup
        .dirs
        .iter()
        .filter(|d| !matches!(d.kind, unit::paths::DirKind::GeneratorEarly | unit::paths::DirKind::Generator | unit::paths::DirKind::GeneratorLate))
        .map(|d| in_root(root, &d.path))
        .collect();
    let opts = GenOptions::system(native);
    for (name, res) in [("sysv", run_sysv(root, &out, &opts)), ("xinetd", run_xinetd(root, &out, &opts))] {
        match res {
            Ok(report) => {
                for d in report.diagnostics {
                    eprintln!("{name} generator: {d}");
                }
            }
            Err(e) => eprintln!("{name} generator failed: {e}"),
        }
    }
}

/// Step 5: apply the root's tmpfiles.d configuration; every line that
/// failed is reported with its file:line, the rest still applies.
pub fn apply_tmpfiles(root: &Path) {
    let (config, diags) = match tmpfiles::Config::load(root, tmpfiles::Scope::System) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tmpfiles: {e}");
            return;
        }
    };
    for d in diags {
        eprintln!("tmpfiles: {d}");
    }
    let report = tmpfiles::apply(&config, root, tmpfiles::Ops { create: true, remove: true, clean: false, boot: true });
    for f in &report.failures {
        eprintln!("tmpfiles: {f}");
    }
}
