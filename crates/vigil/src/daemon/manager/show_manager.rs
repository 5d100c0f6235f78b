//! `systemctl show` without a unit: the manager's own properties, those
//! of systemd's `org.freedesktop.systemd1.Manager` interface
//! (`org.freedesktop.systemd1(5)`), in the order systemctl 252 prints
//! them (read off Debian's systemd 252 as PID 1 of the Docker tests'
//! oracle container by `systemctl show --all`).
//!
//! Three kinds of value:
//!
//! - what vigil keeps and counts: the instants of its start-up
//!   ([`BootTimes`]: the manager's start, its generators, the loading of
//!   the boot's units, the end of the boot's jobs), the units and names
//!   loaded, the jobs queued, installed since start and failed, the
//!   system state, the environment services get, the unit search path;
//! - what the manager inherits and hands on to services that set nothing
//!   else: its resource limits (`DefaultLimit*`), timer slack and OOM
//!   score adjustment, read from the process as a unit's `show` reads them
//!   (`show_all.rs`), so the two always agree;
//! - fixed defaults, which vigil does not read from `system.conf` (only
//!   `LogLevel=` is read there): the ones its units are given
//!   (`DefaultTimeoutStartUSec`, `DefaultRestartUSec`,
//!   `DefaultStartLimit*`, the accounting defaults), and zero for what it
//!   does not do (hardware watchdogs: `RuntimeWatchdogUSec=0`…), never a
//!   figure it would not act on (`DefaultTasksMax=infinity`: vigil writes
//!   no `pids.max` of its own).
//!
//! Which names a request wants is matched against the table only; a name
//! the manager does not have is left out, as systemctl leaves it out
//! (checked: `systemctl show -p Foo` prints nothing and exits 0). Unlike a
//! unit's `show -p A -p B` (printed in the order asked), the manager's
//! properties come in the table's order whatever the order asked — both as
//! systemctl 252 does.

use super::props::{Instant2, Prop};
use super::Manager;

/// The instants of the manager's start-up (systemd's `dual_timestamp`s of
/// `manager.h`); [`Instant2::default`] = did not happen.
#[derive(Clone, Copy, Debug, Default)]
pub struct BootTimes {
    /// The manager process started (`UserspaceTimestamp`).
    pub userspace: Instant2,
    /// Around the generators, which only the init runs (`boot.rs`).
    pub generators_start: Instant2,
    pub generators_finish: Instant2,
    /// Around the boot's transaction, which loads the units it pulls in.
    pub units_load_start: Instant2,
    pub units_load_finish: Instant2,
    /// The boot's last job finished; for a manager started without a boot
    /// (`--boot`/`--init` not given), as soon as it runs.
    pub finish: Instant2,
}

/// The manager's properties. `NAME=DEFAULT` lines; a value of `\0` is
/// computed ([`Manager::manager_value`]).
const MANAGER: &str = "\
Version=\0
Features=\0
Virtualization=\0
Architecture=\0
Tainted=\0
FirmwareTimestamp=
FirmwareTimestampMonotonic=0
LoaderTimestamp=
LoaderTimestampMonotonic=0
KernelTimestamp=\0
KernelTimestampMonotonic=\0
InitRDTimestamp=
InitRDTimestampMonotonic=0
UserspaceTimestamp=\0
UserspaceTimestampMonotonic=\0
FinishTimestamp=\0
FinishTimestampMonotonic=\0
SecurityStartTimestamp=
SecurityStartTimestampMonotonic=0
SecurityFinishTimestamp=
SecurityFinishTimestampMonotonic=0
GeneratorsStartTimestamp=\0
GeneratorsStartTimestampMonotonic=\0
GeneratorsFinishTimestamp=\0
GeneratorsFinishTimestampMonotonic=\0
UnitsLoadStartTimestamp=\0
UnitsLoadStartTimestampMonotonic=\0
UnitsLoadFinishTimestamp=\0
UnitsLoadFinishTimestampMonotonic=\0
UnitsLoadTimestamp=
UnitsLoadTimestampMonotonic=0
InitRDSecurityStartTimestamp=
InitRDSecurityStartTimestampMonotonic=0
InitRDSecurityFinishTimestamp=
InitRDSecurityFinishTimestampMonotonic=0
InitRDGeneratorsStartTimestamp=
InitRDGeneratorsStartTimestampMonotonic=0
InitRDGeneratorsFinishTimestamp=
InitRDGeneratorsFinishTimestampMonotonic=0
InitRDUnitsLoadStartTimestamp=
InitRDUnitsLoadStartTimestampMonotonic=0
InitRDUnitsLoadFinishTimestamp=
InitRDUnitsLoadFinishTimestampMonotonic=0
LogLevel=\0
LogTarget=\0
NNames=\0
NFailedUnits=\0
NJobs=\0
NInstalledJobs=\0
NFailedJobs=\0
Progress=\0
Environment=\0
ConfirmSpawn=no
ShowStatus=yes
UnitPath=\0
DefaultStandardOutput=\0
DefaultStandardError=inherit
WatchdogDevice=
WatchdogLastPingTimestamp=
WatchdogLastPingTimestampMonotonic=18446744073709551615
RuntimeWatchdogUSec=0
RuntimeWatchdogPreUSec=0
RuntimeWatchdogPreGovernor=
RebootWatchdogUSec=0
KExecWatchdogUSec=0
ServiceWatchdogs=yes
ControlGroup=\0
SystemState=\0
ExitCode=
DefaultTimerAccuracyUSec=1min
DefaultTimeoutStartUSec=\0
DefaultTimeoutStopUSec=\0
DefaultTimeoutAbortUSec=\0
DefaultDeviceTimeoutUSec=1min 30s
DefaultRestartUSec=\0
DefaultStartLimitIntervalUSec=\0
DefaultStartLimitBurst=\0
DefaultCPUAccounting=no
DefaultBlockIOAccounting=no
DefaultMemoryAccounting=yes
DefaultTasksAccounting=yes
DefaultLimit=\0
DefaultTasksMax=infinity
TimerSlackNSec=\0
DefaultOOMPolicy=stop
DefaultOOMScoreAdjust=\0
CtrlAltDelBurstAction=reboot-force
";

/// systemd's compile-time feature list (`systemctl --version`'s second
/// line), `+` for what vigil does: SysV init scripts (the generator,
/// `boot.rs`) and the unified cgroup hierarchy only.
const FEATURES: &str = "-PAM -AUDIT -SELINUX -APPARMOR -IMA -SMACK -SECCOMP -GCRYPT -GNUTLS -OPENSSL -ACL -BLKID \
-CURL -ELFUTILS -FIDO2 -IDN2 -IDN -IPTC -KMOD -LIBCRYPTSETUP -LIBFDISK -PCRE2 -PWQUALITY -P11KIT -QRENCODE -TPM2 \
-BZIP2 -LZ4 -XZ -ZLIB -ZSTD -BPF_FRAMEWORK -XKBCOMMON -UTMP +SYSVINIT default-hierarchy=unified";

impl Manager {
    /// The manager's properties, in systemctl's order; only those named in
    /// `wanted` (all when it is empty). `system_state` is what the event
    /// loop answers `is-system-running` with.
    pub fn manager_properties(&self, wanted: &[String], system_state: &str) -> Vec<Prop> {
        let want = |k: &str| wanted.is_empty() || wanted.iter().any(|w| w == k);
        let _zone = crate::journalctl::time::ZoneScope::enter();
        let mut out = Vec::new();
        for line in MANAGER.lines() {
            let Some((name, default)) = line.split_once('=') else { continue };
            match (name, default) {
                // An instant: wall-clock time (empty when never), or
                // monotonic µs.
                (n, "\0") if want(n) && n.contains("Timestamp") => {
                    let v = match n.strip_suffix("Monotonic") {
                        Some(wall) => self.boot_instant(wall).mono.to_string(),
                        None => match self.boot_instant(n).wall {
                            0 => String::new(),
                            w => crate::journalctl::time::format_timestamp(w, false),
                        },
                    };
                    out.push((n.into(), v));
                }
                ("DefaultLimit", _) => {
                    for r in exec::Resource::ALL {
                        let (soft, hard) = super::show_all::own_limit(r);
                        let base = format!("Default{}", r.directive());
                        if want(&base) {
                            out.push((base.clone().into(), super::show_all::limit_word(hard)));
                        }
                        let soft_name = format!("{base}Soft");
                        if want(&soft_name) {
                            out.push((soft_name.into(), super::show_all::limit_word(soft)));
                        }
                    }
                }
                (n, "\0") if want(n) => {
                    let v = self.manager_value(n, system_state);
                    out.push((n.into(), v));
                }
                (n, d) if want(n) => out.push((n.into(), d.to_string())),
                _ => {}
            }
        }
        out
    }

    fn boot_instant(&self, name: &str) -> Instant2 {
        let b = &self.boot;
        match name {
            "KernelTimestamp" => kernel_instant(b.userspace),
            "UserspaceTimestamp" => b.userspace,
            "FinishTimestamp" => b.finish,
            "GeneratorsStartTimestamp" => b.generators_start,
            "GeneratorsFinishTimestamp" => b.generators_finish,
            "UnitsLoadStartTimestamp" => b.units_load_start,
            "UnitsLoadFinishTimestamp" => b.units_load_finish,
            _ => Instant2::default(),
        }
    }

    /// One computed value of [`MANAGER`].
    fn manager_value(&self, name: &str, system_state: &str) -> String {
        let root = &self.loader.lookup.root;
        let span = |u: unit::value::time::Usec| unit::value::time::format_timespan(u.0, 1);
        match name {
            "Version" => env!("CARGO_PKG_VERSION").to_string(),
            "Features" => FEATURES.to_string(),
            "Virtualization" => {
                let env = unit::condition::CheckEnv::current(root, self.loader.lookup.scope);
                unit::condition::virt::detect_virtualization(&env).unwrap_or_default().to_string()
            }
            "Architecture" => unit::host::architecture().to_string(),
            "Tainted" => tainted(root, crate::daemon::cgroup::all_unified()),
            "LogLevel" => level_name(self.log_max).to_string(),
            // Without the journal process (`VIGIL_JOURNAL=off`) the
            // manager's lines and services' output go to its console.
            "LogTarget" => (if self.journal.running() { "journal" } else { "console" }).to_string(),
            "DefaultStandardOutput" => (if self.journal.running() { "journal" } else { "inherit" }).to_string(),
            "NNames" => self.units.values().map(|u| u.cfg.names().count()).sum::<usize>().to_string(),
            "NFailedUnits" => self.units.values().filter(|u| u.active_state() == "failed").count().to_string(),
            "NJobs" => self.jobs.len().to_string(),
            "NInstalledJobs" => self.installed_jobs().to_string(),
            "NFailedJobs" => self.failed_jobs.to_string(),
            "Progress" => progress(self.boot.finish != Instant2::default(), self.jobs.len(), self.installed_jobs()),
            "Environment" => unit::config::service::quote_command_line(&self.environment_block()),
            "UnitPath" => {
                let dirs: Vec<String> = self.loader.lookup.dirs.iter().map(|d| d.path.display().to_string()).collect();
                dirs.join(" ")
            }
            "ControlGroup" => self.cgroups.base().and_then(|b| self.cgroups.relative(b)).unwrap_or_default(),
            "SystemState" => system_state.to_string(),
            "DefaultTimeoutStartUSec" | "DefaultTimeoutStopUSec" | "DefaultTimeoutAbortUSec" => {
                span(unit::config::service::DEFAULT_TIMEOUT)
            }
            "DefaultRestartUSec" => span(unit::config::service::DEFAULT_RESTART),
            "DefaultStartLimitIntervalUSec" => {
                unit::value::time::format_timespan(engine::service::StartLimit::default().interval, 1)
            }
            "DefaultStartLimitBurst" => engine::service::StartLimit::default().burst.to_string(),
            // SAFETY: PR_GET_TIMERSLACK only reads the caller's slack.
            "TimerSlackNSec" => unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) }.to_string(),
            "DefaultOOMScoreAdjust" => super::show_all::own_proc("oom_score_adj").unwrap_or_else(|| "0".into()),
            _ => {
                debug_assert!(false, "{name}: no value in manager_value");
                String::new()
            }
        }
    }

    /// Jobs installed since the manager started (`NInstalledJobs`): job
    /// ids are handed out from 1, one per job installed, none for a job
    /// merged into one already installed (`jobs.rs`).
    fn installed_jobs(&self) -> u32 {
        self.next_job - 1
    }
}

/// `KernelTimestamp`: the boot of the kernel, which only a machine's init
/// outside a container knows to be its own (systemd leaves it unset in a
/// container, as the oracle shows): the wall-clock time at monotonic 0.
fn kernel_instant(userspace: Instant2) -> Instant2 {
    let machine_init = std::process::id() == 1 && crate::daemon::finish::is_machine_init();
    if !machine_init || userspace.wall == 0 {
        return Instant2::default();
    }
    Instant2 { wall: userspace.wall.saturating_sub(userspace.mono), mono: 0 }
}

/// systemd's `LogLevel` words, by syslog priority.
fn level_name(level: u8) -> &'static str {
    ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"].get(usize::from(level)).copied().unwrap_or("debug")
}

/// `Progress`: 1 once the boot finished, else the share of the installed
/// jobs done (`manager_get_progress()`), printed as `%g` prints a double.
fn progress(finished: bool, jobs: usize, installed: u32) -> String {
    if finished || installed == 0 {
        return "1".to_string();
    }
    format_g(1.0 - jobs as f64 / f64::from(installed))
}

/// C's `%g`: six significant digits, trailing zeros dropped, an exponent
/// below 1e-4.
fn format_g(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    // The decimal exponent by steps, not `log10`/`floor`: those are the
    // C library's libm, and linking it costs every start of the binary
    // (every `systemctl is-active`) a library to load: +32k loader
    // instructions, +9 system calls (`bench/client_cost.py`).
    let mut exp = 0i32;
    let mut x = v.abs();
    while x >= 10.0 {
        x /= 10.0;
        exp += 1;
    }
    while x < 1.0 {
        x *= 10.0;
        exp -= 1;
    }
    if exp < -4 {
        let s = format!("{v:.5e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `Tainted`: systemd's list of what it finds odd about the system
/// (`manager_taint_string()`), the checks that apply to a tree vigil
/// manages: `/usr` not merged, `/var/run` not a link to `/run`, no
/// unified cgroup hierarchy, and the kernel's overflow ids not 65534.
fn tainted(root: &std::path::Path, unified: bool) -> String {
    let mut taints = Vec::new();
    let link_to = |p: &str, wants: &[&str]| {
        std::fs::read_link(root.join(p)).is_ok_and(|t| wants.iter().any(|w| t == std::path::Path::new(w)))
    };
    if !link_to("bin", &["usr/bin", "/usr/bin"]) {
        taints.push("unmerged-usr");
    }
    if !link_to("var/run", &["../run", "/run"]) {
        taints.push("var-run-bad");
    }
    if !unified {
        taints.push("cgroupsv1");
    }
    let overflow = |file: &str| std::fs::read_to_string(file).map(|s| s.trim() == "65534").unwrap_or(true);
    if !overflow("/proc/sys/kernel/overflowuid") {
        taints.push("overflowuid-not-65534");
    }
    if !overflow("/proc/sys/kernel/overflowgid") {
        taints.push("overflowgid-not-65534");
    }
    taints.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_as_c() {
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(1.0 / 3.0), "0.333333");
        assert_eq!(format_g(2.0 / 3.0), "0.666667");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.00001), "1e-05");
        assert_eq!(format_g(0.000123456789), "0.000123457");
        assert_eq!(format_g(0.25), "0.25");
    }

    #[test]
    fn progress_counts_jobs_left() {
        assert_eq!(progress(true, 3, 10), "1");
        assert_eq!(progress(false, 0, 0), "1");
        assert_eq!(progress(false, 5, 10), "0.5");
        assert_eq!(progress(false, 1, 3), "0.666667");
    }

    #[test]
    fn tainted_reads_the_tree() {
        let d = std::env::temp_dir().join(format!("vigil-taint-{}", std::process::id()));
        std::fs::create_dir_all(d.join("var")).unwrap();
        std::fs::create_dir_all(d.join("usr/bin")).unwrap();
        assert!(tainted(&d, true).starts_with("unmerged-usr:var-run-bad"));
        std::os::unix::fs::symlink("usr/bin", d.join("bin")).unwrap();
        std::os::unix::fs::symlink("../run", d.join("var/run")).unwrap();
        let t = tainted(&d, false);
        assert!(t.starts_with("cgroupsv1"), "{t}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
