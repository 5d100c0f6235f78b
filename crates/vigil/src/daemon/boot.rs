//! Early boot, for `vigil init` (or any start as PID 1), in this order:
//!
//! 1. mount the API file systems that are missing — `/proc`, `/sys`,
//!    `/dev` (devtmpfs, falling back to tmpfs), `/run` (tmpfs) — so a bare
//!    container or microVM has them; an existing mount is never touched;
//!    then, as system manager, `net.unix.max_dgram_qlen` is raised to 512
//!    if lower, as systemd does: the kernel's default queues only 10
//!    datagrams per socket, so a burst to the journal's `/dev/log` or
//!    native socket, or to the notify socket, blocks or fails its senders
//!    long before the reader gets its turn (the value is per network
//!    namespace; a container whose `/proc/sys` is read-only keeps its own,
//!    silently, as with systemd). Both come before the state directory
//!    under `/run` is made and before the first socket is bound: a tmpfs
//!    mounted on `/run` afterwards would hide them, and a socket's queue
//!    depth is fixed when the socket is made;
//! 2. `/etc/machine-id`: created (random, 32 hex digits) if absent or
//!    empty, as `systemd-machine-id-setup` does on first boot;
//! 3. `/run/systemd/system/`: its existence is how `sd_booted()` and
//!    tools like deb-systemd-invoke, pg_ctlcluster, apachectl and Ansible
//!    decide that "systemd is running" and route through `systemctl`;
//! 4. the generators, before the unit index is built: the executables
//!    packages install in the system generator directories
//!    (`systemd.generator(7)`: `/run`, `/etc`, `/usr/local/lib`,
//!    `/usr/lib/systemd/system-generators`; postgresql's makes
//!    `postgresql@15-main.service` wanted), each called with the normal,
//!    early and late output directories, then vigil's own SysV and
//!    xinetd generators into `/run/systemd/generator.late` (they replace
//!    `systemd-sysv-generator`, which is therefore not run);
//! 5. `tmpfiles.d` (`systemd-tmpfiles --create --remove --boot`), so the
//!    `/run/<daemon>` directories packages declare exist before their
//!    services start;
//! 6. (system manager on `/` with vigil's journal; done before the unit
//!    index is built, so the masks below are seen) the journal stands in
//!    for systemd-journald: the well-known sockets
//!    `/run/systemd/journal/{socket,stdout,dev-log}` and `/dev/log` become
//!    symlinks to vigil's journal, and systemd-journald's own units are
//!    masked at runtime (`/run/systemd/system/NAME -> /dev/null`, as
//!    `systemctl mask --runtime` does) so two journals never write the
//!    same files when the systemd package is installed.
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

/// Step 1: the depth systemd gives every datagram socket's queue.
const MIN_DGRAM_QLEN: u32 = 512;

/// Step 1, as system manager.
pub fn raise_dgram_qlen() {
    if let Err(e) = raise_dgram_qlen_at(Path::new("/proc/sys/net/unix/max_dgram_qlen")) {
        eprintln!("{e}");
    }
}

/// Raises the value in `path` to [`MIN_DGRAM_QLEN`]. A missing or
/// read-only file (containers) is not an error: the host decides there.
fn raise_dgram_qlen_at(path: &Path) -> Result<(), String> {
    let Ok(now) = std::fs::read_to_string(path) else { return Ok(()) };
    if now.trim().parse::<u32>().is_ok_and(|v| v >= MIN_DGRAM_QLEN) {
        return Ok(());
    }
    match std::fs::write(path, MIN_DGRAM_QLEN.to_string()) {
        Err(e) if !matches!(e.raw_os_error(), Some(libc::EROFS | libc::EACCES | libc::EPERM)) => {
            Err(format!("Failed to raise {} to {MIN_DGRAM_QLEN}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Step 3.
pub fn mark_booted(root: &Path) {
    let p = in_root(root, Path::new("/run/systemd/system"));
    if let Err(e) = std::fs::create_dir_all(&p) {
        eprintln!("Failed to create {}: {e}", p.display());
    }
}

/// systemd's system generator directories, most important first
/// (`/lib/…` for Debian roots without merged `/usr`; on merged ones it is
/// the same directory and its names are already taken).
const GENERATOR_DIRS: [&str; 5] = [
    "/run/systemd/system-generators",
    "/etc/systemd/system-generators",
    "/usr/local/lib/systemd/system-generators",
    "/usr/lib/systemd/system-generators",
    "/lib/systemd/system-generators",
];

/// How long one external generator may run before it is killed.
const GENERATOR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Step 4: run the generators; their diagnostics go to the console.
pub fn run_generators(lookup: &LookupPaths) {
    let root = &lookup.root;
    let outs = ["/run/systemd/generator", "/run/systemd/generator.early", "/run/systemd/generator.late"]
        .map(|d| in_root(root, Path::new(d)));
    for d in &outs {
        let _ = std::fs::remove_dir_all(d);
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("Failed to create {}: {e}", d.display());
            return;
        }
    }
    // Generators read the running system: only on `/`.
    if root == Path::new("/") {
        run_external_generators(&outs);
    }
    let out = &outs[2];
    let native: Vec<_> = lookup
        .dirs
        .iter()
        .filter(|d| !matches!(d.kind, unit::paths::DirKind::GeneratorEarly | unit::paths::DirKind::Generator | unit::paths::DirKind::GeneratorLate))
        .map(|d| in_root(root, &d.path))
        .collect();
    let opts = GenOptions::system(native);
    for (name, res) in [("sysv", run_sysv(root, out, &opts)), ("xinetd", run_xinetd(root, out, &opts))] {
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

/// The executables of [`GENERATOR_DIRS`], a name in an earlier directory
/// hiding the same name in a later one; a symlink to /dev/null disables
/// one (`systemd.generator(7)`).
fn external_generators() -> Vec<std::path::PathBuf> {
    let mut seen = std::collections::BTreeMap::new();
    for dir in GENERATOR_DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            seen.entry(name).or_insert_with(|| e.path());
        }
    }
    // vigil's own SysV generator replaces systemd's (step 4).
    seen.remove("systemd-sysv-generator");
    seen.into_values()
        .filter(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::canonicalize(p).map(|t| t != Path::new("/dev/null")).unwrap_or(false)
                && std::fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
        })
        .collect()
}

/// Runs each external generator with the normal, early and late output
/// directories; one that fails or hangs is reported (and killed after
/// [`GENERATOR_TIMEOUT`]), the others still run.
fn run_external_generators(outs: &[std::path::PathBuf; 3]) {
    for gen in external_generators() {
        let mut cmd = std::process::Command::new(&gen);
        // SAFETY: sigprocmask is async-signal-safe; the generator gets the
        // empty mask a program expects, not the manager's blocked set.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                Ok(())
            });
        }
        let child = cmd
            .args(outs)
            .env("SYSTEMD_SCOPE", "system")
            .env("SYSTEMD_LOG_TARGET", "console")
            .stdin(std::process::Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!("Failed to run generator {}: {e}", gen.display());
                continue;
            }
        };
        let deadline = std::time::Instant::now() + GENERATOR_TIMEOUT;
        let mut pause = std::time::Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(50));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        match status {
            Some(st) if st.success() => {}
            Some(st) => eprintln!("Generator {} failed: {st}.", gen.display()),
            None => eprintln!("Generator {} timed out after {GENERATOR_TIMEOUT:?}; killed.", gen.display()),
        }
    }
}

/// Step 6: vigil's journal (listening in `journal_dir`) answers on the
/// paths clients of systemd-journald use, and systemd-journald's units
/// are masked for this boot. Existing non-symlink files are left alone.
pub fn journal_stands_in(journal_dir: &Path) {
    let run = Path::new("/run/systemd/journal");
    if let Err(e) = std::fs::create_dir_all(run) {
        eprintln!("Failed to create {}: {e}", run.display());
        return;
    }
    let links = [
        (run.join("socket"), journal_dir.join("socket")),
        (run.join("stdout"), journal_dir.join("stdout")),
        (run.join("dev-log"), journal_dir.join("dev-log")),
        (Path::new("/dev/log").to_path_buf(), run.join("dev-log")),
    ];
    for (link, target) in links {
        replace_symlink(&link, &target);
    }
    let masks = Path::new("/run/systemd/system");
    for unit in ["systemd-journald.service", "systemd-journald.socket", "systemd-journald-dev-log.socket", "systemd-journald-audit.socket"] {
        replace_symlink(&masks.join(unit), Path::new("/dev/null"));
    }
}

/// `link` -> `target`, unless `link` exists and is not a symlink.
fn replace_symlink(link: &Path, target: &Path) {
    match std::fs::symlink_metadata(link) {
        Ok(m) if !m.file_type().is_symlink() => return,
        Ok(_) => {
            let _ = std::fs::remove_file(link);
        }
        Err(_) => {}
    }
    if let Err(e) = std::os::unix::fs::symlink(target, link) {
        eprintln!("Failed to link {} to {}: {e}", link.display(), target.display());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_datagram_queue_depth_is_raised_to_systemds_and_never_lowered() {
        let dir = std::env::temp_dir().join(format!("vigil-qlen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let f = dir.join("max_dgram_qlen");
        std::fs::write(&f, "10\n").expect("write");
        assert_eq!(raise_dgram_qlen_at(&f), Ok(()));
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "512");
        std::fs::write(&f, "1024\n").expect("write");
        assert_eq!(raise_dgram_qlen_at(&f), Ok(()));
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "1024\n");
        // No such file (no /proc): nothing to do, nothing to say.
        assert_eq!(raise_dgram_qlen_at(&dir.join("absent")), Ok(()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
