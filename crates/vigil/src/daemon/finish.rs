//! The last steps of a manager that is a machine's PID 1.
//!
//! Everywhere else the manager's end is simply its exit: a manager beside
//! another init exits with its status; PID 1 of a container exits too (the
//! container runtime reads the status — `docker run` returns it), exactly as
//! systemd does in a container. But PID 1 of a machine (a microVM, a small
//! box booted with `init=/usr/sbin/vigil`) must never exit: the kernel
//! panics ("Attempted to kill init!"). There, after every unit is stopped,
//! vigil does what systemd-shutdown does, in our own simple form:
//!
//! 1. SIGTERM (and SIGCONT) to every process left, reap until none is
//!    left or [`GRACE`] passes; then SIGKILL and reap again;
//! 2. `sync()`, unmount every file system but the API ones (deepest
//!    first; one that is busy is remounted read-only instead), remount
//!    `/` read-only, `sync()` again;
//! 3. `reboot(2)` with `RB_HALT_SYSTEM`, `RB_POWER_OFF` or `RB_AUTOBOOT`.
//!    `exit` has no meaning for a machine: as systemd does, it powers off.
//!    If `reboot(2)` fails, PID 1 freezes (reaping) rather than exit.
//!
//! `*-immediate` actions skip steps 1 and 2 (`systemd.unit(5)`: "immediate
//! execution of the reboot(2) system call, which might result in data
//! loss"), but still `sync()`.
//!
//! "A machine's PID 1" is PID 1 in the initial PID namespace, whose
//! `/proc/self/ns/pid` inode the kernel fixes (`PROC_PID_INIT_INO`). A
//! PID 1 that cannot read it is taken for a machine's: exiting is the one
//! thing that must not happen by mistake.

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use proto::msg::ShutdownKind;

use super::manager::Ending;
use super::mountinfo::{self, is_under};

/// `PROC_PID_INIT_INO` (include/linux/proc_ns.h): the initial PID
/// namespace's inode number.
const INIT_PID_NS_INO: u64 = 0xEFFF_FFFC;

/// How long processes left after the units get to exit after SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// Whether this process is PID 1 of a machine rather than of a container.
pub fn is_machine_init() -> bool {
    std::process::id() == 1
        && std::fs::metadata("/proc/self/ns/pid").map(|m| m.ino() == INIT_PID_NS_INO).unwrap_or(true)
}

/// The `reboot(2)` command for an ending, and what is said before it.
fn reboot_command(kind: ShutdownKind) -> (libc::c_int, &'static str) {
    match kind {
        ShutdownKind::Halt => (libc::RB_HALT_SYSTEM, "System halted."),
        ShutdownKind::Poweroff | ShutdownKind::Exit => (libc::RB_POWER_OFF, "Powering off."),
        ShutdownKind::Reboot => (libc::RB_AUTOBOOT, "Rebooting."),
    }
}

/// As a machine's PID 1: bring the machine down as `ending` says; never
/// returns. Elsewhere: returns at once, and the manager exits.
pub fn finish(ending: Ending) {
    if !is_machine_init() {
        return;
    }
    if ending.kind == ShutdownKind::Exit {
        eprintln!(
            "Exit is only supported for user service managers and system managers running in containers, falling back to poweroff."
        );
    }
    if !ending.immediate {
        eprintln!("Sending SIGTERM to remaining processes...");
        signal_all_and_reap(libc::SIGTERM, GRACE);
        eprintln!("Sending SIGKILL to remaining processes...");
        signal_all_and_reap(libc::SIGKILL, GRACE);
        // SAFETY: sync(2) has no preconditions.
        unsafe { libc::sync() };
        eprintln!("Unmounting file systems.");
        let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        for point in unmount_order(&text) {
            unmount_or_remount_ro(&point);
        }
        remount_ro("/");
    }
    let (cmd, words) = reboot_command(ending.kind);
    // SAFETY: sync(2) has no preconditions.
    unsafe { libc::sync() };
    eprintln!("{words}");
    // SAFETY: reboot(2) with one of its documented commands.
    unsafe { libc::reboot(cmd) };
    eprintln!("reboot(2) failed: {}", std::io::Error::last_os_error());
    super::freeze();
}

/// Send `sig` to every process but us (`kill(-1, …)`) and reap until
/// none is left or `grace` passes.
fn signal_all_and_reap(sig: libc::c_int, grace: Duration) {
    // SAFETY: kill(2) with pid -1 signals every process we may signal
    // except ourselves; SIGCONT wakes stopped ones so they see SIGTERM.
    unsafe {
        libc::kill(-1, sig);
        if sig == libc::SIGTERM {
            libc::kill(-1, libc::SIGCONT);
        }
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        let mut none_left = false;
        let _ = exec::reap_all(|_, _| {});
        // ECHILD: no child at all is left (as PID 1, every process is
        // ours to reap once its parent is gone).
        // SAFETY: waitpid with WNOHANG and a null status pointer.
        if unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } < 0 {
            none_left = std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        }
        if none_left {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The mount points to unmount, deepest first: every mount of
/// `/proc/self/mountinfo` but `/` and the API file systems (`/proc`,
/// `/sys`, `/dev` and what is below them), each once.
fn unmount_order(mountinfo: &str) -> Vec<String> {
    let api = |p: &str| ["/proc", "/sys", "/dev"].iter().any(|a| is_under(p, a));
    let mut points: Vec<String> = Vec::new();
    for m in mountinfo::parse(mountinfo) {
        if m.point != "/" && !api(&m.point) && !points.contains(&m.point) {
            points.push(m.point);
        }
    }
    // Later mounts may sit on earlier ones: unmount in reverse order, and
    // deeper paths before the paths that contain them.
    points.reverse();
    points.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    points
}

fn unmount_or_remount_ro(point: &str) {
    let Ok(c) = std::ffi::CString::new(point) else { return };
    // SAFETY: umount2 with a valid NUL-terminated path.
    if unsafe { libc::umount2(c.as_ptr(), 0) } != 0 {
        remount_ro(point);
    }
}

fn remount_ro(point: &str) {
    let Ok(c) = std::ffi::CString::new(point) else { return };
    // SAFETY: mount(2) remounting an existing mount point, no data.
    let r = unsafe {
        libc::mount(std::ptr::null(), c.as_ptr(), std::ptr::null(), libc::MS_REMOUNT | libc::MS_RDONLY, std::ptr::null())
    };
    if r != 0 {
        eprintln!("Could not remount {point} read-only: {}", std::io::Error::last_os_error());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
24 22 0:22 / /sys rw shared:3 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw
26 22 0:5 / /dev rw shared:5 - devtmpfs devtmpfs rw
27 22 0:24 / /run rw shared:6 - tmpfs tmpfs rw
28 22 254:2 / /var rw shared:7 - ext4 /dev/vdb rw
29 28 254:3 / /var/lib/my\\040data rw shared:8 - ext4 /dev/vdc rw
30 22 0:25 / /tmp rw shared:9 - tmpfs tmpfs rw
31 22 0:26 / /devices rw shared:10 - tmpfs tmpfs rw
";

    #[test]
    fn unmounts_deepest_first_and_keeps_the_api_file_systems() {
        assert_eq!(unmount_order(MOUNTINFO), ["/var/lib/my data", "/devices", "/tmp", "/var", "/run"]);
    }

    #[test]
    fn exit_powers_a_machine_off() {
        assert_eq!(reboot_command(ShutdownKind::Exit).0, libc::RB_POWER_OFF);
        assert_eq!(reboot_command(ShutdownKind::Reboot).0, libc::RB_AUTOBOOT);
        assert_eq!(reboot_command(ShutdownKind::Halt).0, libc::RB_HALT_SYSTEM);
    }

    #[test]
    fn a_test_process_is_not_a_machines_init() {
        assert!(!is_machine_init());
    }
}
