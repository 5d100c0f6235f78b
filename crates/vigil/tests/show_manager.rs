//! `systemctl show` without a unit: the manager's properties
//! (`show_manager.rs`). The names and their order, the counts of units
//! and jobs after the same steps, and the quirks of `-p` and `--value`
//! were read off Debian's systemd 252 as PID 1 of the Docker tests' oracle
//! container (`vigil-test-systemd:bookworm`) with the same units.

mod common;

use std::process::{Child, Command};
use std::time::Duration;

use common::*;

/// `systemctl show --all` of systemd 252, names in its order.
const ORACLE_NAMES: &str = "Version Features Virtualization Architecture Tainted FirmwareTimestamp \
FirmwareTimestampMonotonic LoaderTimestamp LoaderTimestampMonotonic KernelTimestamp KernelTimestampMonotonic \
InitRDTimestamp InitRDTimestampMonotonic UserspaceTimestamp UserspaceTimestampMonotonic FinishTimestamp \
FinishTimestampMonotonic SecurityStartTimestamp SecurityStartTimestampMonotonic SecurityFinishTimestamp \
SecurityFinishTimestampMonotonic GeneratorsStartTimestamp GeneratorsStartTimestampMonotonic \
GeneratorsFinishTimestamp GeneratorsFinishTimestampMonotonic UnitsLoadStartTimestamp \
UnitsLoadStartTimestampMonotonic UnitsLoadFinishTimestamp UnitsLoadFinishTimestampMonotonic UnitsLoadTimestamp \
UnitsLoadTimestampMonotonic InitRDSecurityStartTimestamp InitRDSecurityStartTimestampMonotonic \
InitRDSecurityFinishTimestamp InitRDSecurityFinishTimestampMonotonic InitRDGeneratorsStartTimestamp \
InitRDGeneratorsStartTimestampMonotonic InitRDGeneratorsFinishTimestamp InitRDGeneratorsFinishTimestampMonotonic \
InitRDUnitsLoadStartTimestamp InitRDUnitsLoadStartTimestampMonotonic InitRDUnitsLoadFinishTimestamp \
InitRDUnitsLoadFinishTimestampMonotonic LogLevel LogTarget NNames NFailedUnits NJobs NInstalledJobs NFailedJobs \
Progress Environment ConfirmSpawn ShowStatus UnitPath DefaultStandardOutput DefaultStandardError WatchdogDevice \
WatchdogLastPingTimestamp WatchdogLastPingTimestampMonotonic RuntimeWatchdogUSec RuntimeWatchdogPreUSec \
RuntimeWatchdogPreGovernor RebootWatchdogUSec KExecWatchdogUSec ServiceWatchdogs ControlGroup SystemState \
ExitCode DefaultTimerAccuracyUSec DefaultTimeoutStartUSec DefaultTimeoutStopUSec DefaultTimeoutAbortUSec \
DefaultDeviceTimeoutUSec DefaultRestartUSec DefaultStartLimitIntervalUSec DefaultStartLimitBurst \
DefaultCPUAccounting DefaultBlockIOAccounting DefaultMemoryAccounting DefaultTasksAccounting DefaultLimitCPU \
DefaultLimitCPUSoft DefaultLimitFSIZE DefaultLimitFSIZESoft DefaultLimitDATA DefaultLimitDATASoft \
DefaultLimitSTACK DefaultLimitSTACKSoft DefaultLimitCORE DefaultLimitCORESoft DefaultLimitRSS DefaultLimitRSSSoft \
DefaultLimitNOFILE DefaultLimitNOFILESoft DefaultLimitAS DefaultLimitASSoft DefaultLimitNPROC DefaultLimitNPROCSoft \
DefaultLimitMEMLOCK DefaultLimitMEMLOCKSoft DefaultLimitLOCKS DefaultLimitLOCKSSoft DefaultLimitSIGPENDING \
DefaultLimitSIGPENDINGSoft DefaultLimitMSGQUEUE DefaultLimitMSGQUEUESoft DefaultLimitNICE DefaultLimitNICESoft \
DefaultLimitRTPRIO DefaultLimitRTPRIOSoft DefaultLimitRTTIME DefaultLimitRTTIMESoft DefaultTasksMax \
TimerSlackNSec DefaultOOMPolicy DefaultOOMScoreAdjust CtrlAltDelBurstAction";

const UNITS: &[(&str, &str)] = &[
    ("a.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
    ("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n"),
    ("dep.service", "[Unit]\nRequires=bad.service\nAfter=bad.service\n[Service]\nExecStart=/bin/sleep 1000\n"),
    ("cond.service", "[Unit]\nConditionPathExists=/nonexistent/vigil\n[Service]\nExecStart=/bin/sleep 1000\n"),
    ("holder.target", "[Unit]\nWants=a.service\n"),
];

fn lines(r: &TestRoot, args: &[&str]) -> Vec<String> {
    let o = r.vigil(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

fn names(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| l.split_once('=').map_or(l.as_str(), |(k, _)| k).to_string()).collect()
}

/// `show -p N…` of the manager as `(name, value)` pairs.
fn counts(r: &TestRoot) -> Vec<(String, String)> {
    let l = lines(r, &["show", "-p", "NInstalledJobs", "-p", "NFailedJobs", "-p", "NFailedUnits", "-p", "NJobs"]);
    l.iter().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn count(c: &[(String, String)], k: &str) -> u32 {
    c.iter().find(|(n, _)| n == k).unwrap_or_else(|| panic!("{k} missing: {c:?}")).1.parse().unwrap()
}

#[test]
fn the_managers_properties_as_systemd_252_lists_them() {
    let r = TestRoot::with_units("show-mgr", UNITS);
    assert_eq!(r.vigil(&["start", "a"]).status.code(), Some(0));

    // Every name, in systemd's order, with --all; without it the empty
    // ones are left out but the order is the same.
    let all = lines(&r, &["show", "--all"]);
    let oracle: Vec<&str> = ORACLE_NAMES.split_whitespace().collect();
    assert_eq!(names(&all), oracle);
    let bare = lines(&r, &["show"]);
    let bare_names = names(&bare);
    let mut at = oracle.iter();
    for n in &bare_names {
        assert!(at.any(|o| o == n), "{n} out of systemd's order:\n{bare:#?}");
    }
    for empty in ["FirmwareTimestamp=", "WatchdogDevice=", "ExitCode=[unprintable]"] {
        assert!(all.iter().any(|l| l == empty), "{empty} missing with --all");
        assert!(!bare.iter().any(|l| l.starts_with(empty)), "{empty} without --all");
    }
    for fixed in ["FirmwareTimestampMonotonic=0", "DefaultTimeoutStartUSec=1min 30s", "DefaultRestartUSec=100ms"] {
        assert!(bare.iter().any(|l| l == fixed), "{fixed} missing:\n{bare:#?}");
    }
    let value = |k: &str| {
        let l = lines(&r, &["show", "-p", k, "--value"]);
        assert_eq!(l.len(), 1, "{k}: {l:?}");
        l[0].clone()
    };
    assert_eq!(value("Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(value("SystemState"), "running");
    assert_eq!(value("Progress"), "1");
    let started: u64 = value("UserspaceTimestampMonotonic").parse().unwrap();
    let finished: u64 = value("FinishTimestampMonotonic").parse().unwrap();
    assert!(started > 0 && finished >= started, "{started} {finished}");
    assert!(value("UnitPath").split(' ').any(|d| d == "/etc/systemd/system"));
    // What a service that sets no limit gets, as the unit's show says.
    assert_eq!(value("DefaultLimitNOFILE"), r.prop("a", "LimitNOFILE"));
    assert_eq!(value("DefaultLimitNOFILESoft"), r.prop("a", "LimitNOFILESoft"));

    // Asked for out of order: the table's order, as systemctl 252 prints
    // the manager's (a unit's come in the order asked). A name the manager
    // does not have is left out, and `--value` still names an unprintable.
    assert_eq!(lines(&r, &["show", "-p", "NNames", "-p", "Architecture", "-p", "Foo", "-p", "Version"]), names_of(&["Version", "Architecture", "NNames"], &r));
    assert_eq!(lines(&r, &["show", "-p", "Foo"]), Vec::<String>::new());
    assert_eq!(lines(&r, &["show", "-p", "ExitCode", "--value"]), vec!["ExitCode=[unprintable]".to_string()]);

    // The counts after the oracle's steps: a failing start is a failed
    // job; a dependency's failure fails two jobs, of which systemd counts
    // only the one that failed itself; a condition not met is no failure.
    let before = counts(&r);
    assert_eq!(count(&before, "NFailedJobs"), 0);
    assert_eq!(count(&before, "NFailedUnits"), 0);
    assert_eq!(count(&before, "NJobs"), 0);
    assert_ne!(r.vigil(&["start", "bad"]).status.code(), Some(0));
    let c = counts(&r);
    assert_eq!(count(&c, "NInstalledJobs"), count(&before, "NInstalledJobs") + 1);
    assert_eq!((count(&c, "NFailedJobs"), count(&c, "NFailedUnits")), (1, 1));
    assert_ne!(r.vigil(&["start", "dep"]).status.code(), Some(0));
    let c2 = counts(&r);
    assert_eq!(count(&c2, "NInstalledJobs"), count(&c, "NInstalledJobs") + 2);
    assert_eq!(count(&c2, "NFailedJobs"), 2);
    assert_eq!(r.vigil(&["start", "cond"]).status.code(), Some(0));
    let c3 = counts(&r);
    assert_eq!(count(&c3, "NInstalledJobs"), count(&c2, "NInstalledJobs") + 1);
    assert_eq!((count(&c3, "NFailedJobs"), count(&c3, "NFailedUnits")), (2, 1));
    assert_eq!(value("SystemState"), "degraded");
    // Loaded units and their names, aliases included.
    let loaded = lines(&r, &["list-units", "--all", "--no-legend", "--plain"]).len() as u32;
    assert!(value("NNames").parse::<u32>().unwrap() >= loaded, "{loaded}");

    // `status` without a unit: the system's, as systemctl 252 lays it out
    // (its version line says `systemd:`, vigil's names vigil).
    let status = lines(&r, &["status", "--no-pager"]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    // The glyph is ASCII outside a UTF-8 locale.
    let host = host.trim_end();
    assert!(status[0] == format!("● {host}") || status[0] == format!("* {host}"), "{status:#?}");
    let want = [
        "    State: degraded".to_string(),
        format!("    Units: {} loaded (incl. loaded aliases)", value("NNames")),
        "     Jobs: 0 queued".into(),
        "   Failed: 1 units".into(),
    ];
    assert_eq!(status[1..5], want, "{status:#?}");
    assert!(status[5].starts_with("    Since: ") && status[5].ends_with(" ago"), "{status:#?}");
    assert_eq!(status[6], format!("    vigil: {}", env!("CARGO_PKG_VERSION")));
    let group = value("ControlGroup");
    if !group.is_empty() {
        // The tree: each unit's group, its processes one level in.
        let main = r.prop("a", "MainPID");
        let at = status.iter().position(|l| l == &format!("   CGroup: {group}")).unwrap_or_else(|| panic!("{status:#?}"));
        let unit = status.iter().position(|l| l.ends_with("-a.service") || l.ends_with("─a.service"));
        let unit = unit.unwrap_or_else(|| panic!("{status:#?}"));
        assert!(unit > at, "{status:#?}");
        assert!(status[unit + 1].ends_with(&format!("{main} /bin/sleep 1000")), "{status:#?}");
    }

    // The environment block, quoted as systemctl quotes words with blanks.
    assert_eq!(r.vigil(&["set-environment", "A=b c", "X=1"]).status.code(), Some(0));
    let env = value("Environment");
    let words: Vec<&str> = env.split(' ').collect();
    assert!(env.contains("\"A=b c\"") && words.contains(&"X=1"), "{env}");
    assert!(words.iter().any(|w| w.starts_with("PATH=")), "{env}");
    r.vigil(&["exit"]);
}

/// The lines `show -p` prints for these names, one request per name.
fn names_of(order: &[&str], r: &TestRoot) -> Vec<String> {
    order.iter().flat_map(|n| lines(r, &["show", "-p", n])).collect()
}

struct Booted {
    root: TestRoot,
    child: Child,
}

impl Drop for Booted {
    fn drop(&mut self) {
        let _ = self.root.vigil(&["exit"]);
        let _ = self.child.wait();
    }
}

/// A manager started with `--boot`: the instants of its start-up, and
/// systemd's "Startup finished in …." once the boot's jobs are done.
/// Boot `units` with `--boot` (`default.target`, a link to
/// `holder.target`).
fn boot(name: &str, units: &[(&str, &str)]) -> Booted {
    let root = TestRoot::with_units(name, units);
    std::os::unix::fs::symlink("holder.target", root.path.join("etc/systemd/system/default.target")).unwrap();
    let child = Command::new(vigil())
        .args(["daemon", &root.root_arg(), "--boot"])
        .stderr(std::fs::File::create(root.path.join("console.log")).unwrap())
        .spawn()
        .unwrap();
    Booted { root, child }
}

const BOOT_UNITS: &[(&str, &str)] = &[
    ("a.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
    ("slow.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 0.2\n"),
    ("holder.target", "[Unit]\nWants=a.service slow.service\nAfter=slow.service\n"),
];

#[test]
fn a_boot_records_its_instants_and_says_when_it_finished() {
    let b = boot("show-mgr-boot", BOOT_UNITS);
    let r = &b.root;
    assert!(wait_until(Duration::from_secs(10), || r.control().exists()), "manager did not start");
    let value = |k: &str| stdout(&r.vigil(&["--no-autostart", "show", "-p", k, "--value"])).trim_end().to_string();
    assert!(wait_until(Duration::from_secs(10), || value("Progress") == "1"), "boot did not finish");
    let mono = |k: &str| value(&format!("{k}TimestampMonotonic")).parse::<u64>().unwrap();
    let (user, load_start, load_end, finish) = (mono("Userspace"), mono("UnitsLoadStart"), mono("UnitsLoadFinish"), mono("Finish"));
    assert!(user > 0 && user <= load_start && load_start <= load_end && load_end <= finish, "{user} {load_start} {load_end} {finish}");
    assert!(value("FinishTimestamp").ends_with("UTC"), "{}", value("FinishTimestamp"));
    assert_eq!(r.prop("a", "ActiveState"), "active");
    let said = || {
        let o = r.vigil(&["logs", "--no-pager", "-o", "cat", "MESSAGE_ID=eed00a68ffd84e31882105fd973abdd1"]);
        stdout(&o)
    };
    assert!(
        wait_until(Duration::from_secs(10), || said().lines().any(|l| l.starts_with("Startup finished in ") && l.ends_with("s."))),
        "{}",
        said()
    );
    assert_eq!(said().lines().count(), 1, "{}", said());

    // systemd-analyze time: the userspace part only (vigil knows no
    // firmware, loader or kernel times), and when the default target —
    // named by the id it links to — was reached.
    let o = r.vigil(&["analyze", "time"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let time = stdout(&o);
    let lines: Vec<&str> = time.lines().collect();
    assert_eq!(lines.len(), 2, "{time}");
    assert!(lines[0].starts_with("Startup finished in ") && lines[0].ends_with(" (userspace) "), "{time}");
    assert!(lines[1].starts_with("holder.target reached after ") && lines[1].ends_with(" in userspace."), "{time}");
    // blame: the oneshot's 0.2 s start first, the time right-aligned.
    let o = r.vigil(&["analyze", "blame"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let blame = stdout(&o);
    let first = blame.lines().next().unwrap_or_default();
    let (t, unit) = first.trim_start().split_once(' ').unwrap_or_else(|| panic!("{blame}"));
    assert_eq!(unit, "slow.service", "{blame}");
    let ms: f64 = if let Some(ms) = t.strip_suffix("ms") { ms.parse().unwrap() } else { t.trim_end_matches('s').parse::<f64>().unwrap() * 1000.0 };
    // The state change is stamped once the spawn is known, a moment
    // after the fork: a 0.2 s start reads as 0.19 s and more.
    assert!(ms >= 150.0, "{blame}");
    let width = blame.lines().map(|l| l.find(|c: char| c != ' ').unwrap() + l.trim_start().find(' ').unwrap()).collect::<Vec<_>>();
    assert!(width.windows(2).all(|w| w[0] == w[1]), "times not right-aligned:\n{blame}");
    // critical-chain: the default target (by the id it links to) waited
    // for slow.service, which took its time (`+`), after sysinit.target.
    let o = r.vigil(&["analyze", "critical-chain", "--no-pager"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let chain = stdout(&o);
    let lines: Vec<&str> = chain.lines().collect();
    assert_eq!(
        &lines[..3],
        [
            "The time when unit became active or started is printed after the \"@\" character.",
            "The time the unit took to start is printed after the \"+\" character.",
            ""
        ]
    );
    assert!(lines[3].starts_with("holder.target @"), "{chain}");
    assert!(lines[4].starts_with("└─slow.service @"), "{chain}");
    let took = lines[4].rsplit_once(" +").and_then(|(_, t)| t.strip_suffix("ms")).and_then(|t| t.parse::<u32>().ok());
    assert!(took.is_some_and(|ms| ms >= 150), "{chain}");
    assert!(lines[5].starts_with("  └─"), "{chain}");
    let o = r.vigil(&["analyze", "critical-chain", "a.service"]);
    assert!(stdout(&o).lines().nth(3).is_some_and(|l| l.starts_with("a.service @")), "{}", stdout(&o));
    // dot: the edges touching slow.service, ordering green, wanting grey.
    let o = r.vigil(&["analyze", "dot", "slow.service"]);
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph systemd {\n") && dot.ends_with("}\n"), "{dot}");
    for edge in ["\"holder.target\"->\"slow.service\" [color=\"green\"];", "\"holder.target\"->\"slow.service\" [color=\"grey66\"];"] {
        assert!(dot.lines().any(|l| l == format!("\t{edge}")), "{edge} missing:\n{dot}");
    }
    assert!(dot.lines().skip(1).take_while(|l| *l != "}").all(|l| l.contains("slow.service")), "{dot}");
    assert!(stderr(&o).starts_with("   Color legend: black     = Requires\n"), "{}", stderr(&o));
}

/// Until the boot's jobs are done, systemd-analyze refuses, in its words.
#[test]
fn analyze_waits_for_the_boot_to_finish() {
    let units = [
        ("hang.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 1000\n"),
        ("holder.target", "[Unit]\nWants=hang.service\nAfter=hang.service\n"),
    ];
    let b = boot("show-mgr-hang", &units);
    let r = &b.root;
    assert!(wait_until(Duration::from_secs(10), || r.control().exists()), "manager did not start");
    assert!(wait_until(Duration::from_secs(10), || r.prop("hang", "ActiveState") == "activating"), "hang not started");
    for verb in ["time", "blame", "critical-chain"] {
        let o = r.vigil(&["analyze", verb]);
        assert_eq!(o.status.code(), Some(1), "{verb}");
        assert!(stderr(&o).starts_with("Bootup is not yet finished"), "{verb}: {}", stderr(&o));
    }
    // Progress: the share of the boot's jobs done, short of 1.
    let progress: f64 = stdout(&r.vigil(&["show", "-p", "Progress", "--value"])).trim().parse().unwrap();
    assert!((0.0..1.0).contains(&progress), "{progress}");
    assert_eq!(stdout(&r.vigil(&["is-system-running"])).trim(), "starting");
}
