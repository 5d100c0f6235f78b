//! The execution context of `systemd.exec(5)` reaches the service: the
//! real `vigil daemon --root=DIR` runs units whose commands report what
//! they got (credentials, capabilities, limits, umask, nice level, OOM
//! score, environment, standard streams, directories), and the test reads
//! the report. Settings vigil does not apply are named in `status` and in
//! the journal at each start. Tests that switch users or chown need root
//! and say so when skipped; CI runs them as root.

#[path = "socket_support/mod.rs"]
mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

fn need_root(test: &str) -> bool {
    if !is_root() {
        eprintln!("{test}: skipped, needs root (User=, chown); CI runs it as root");
    }
    is_root()
}

fn unit(name: &'static str, text: &str) -> (&'static str, String) {
    (name, text.to_string())
}

/// `key=value` lines of a report into a lookup.
fn field<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in report:\n{report}"))
}

fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o7777
}

fn owner_of(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid())
}

/// What the service's process sees of itself, one `key=value` per line.
const PROBE_PY: &str = r#"#!@PYTHON@
import os, resource, ctypes
out = []
for l in open('/proc/self/status'):
    k, _, v = l.partition(':')
    if k in ('Uid', 'Gid', 'Groups', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'):
        out.append('%s=%s' % (k, ' '.join(v.split())))
out.append('umask=%04o' % os.umask(0))
out.append('nice=%d' % os.nice(0))
out.append('oom=%s' % open('/proc/self/oom_score_adj').read().strip())
# RLIMIT_* by number: Python's resource module lacks some names.
for i, n in enumerate(('CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS',
                       'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME')):
    s, h = resource.getrlimit(i)
    f = lambda x: 'infinity' if x == resource.RLIM_INFINITY else str(x)
    out.append('Limit%s=%s:%s' % (n, f(s), f(h)))
out.append('securebits=%d' % ctypes.CDLL(None).prctl(27, 0, 0, 0, 0))
out.append('cwd=%s' % os.getcwd())
print('\n'.join(out))
"#;

#[test]
fn process_settings_reach_a_service_running_as_nobody() {
    if !need_root("process_settings_reach_a_service_running_as_nobody") {
        return;
    }
    // Limits are chosen under the hard limits the manager inherits: a
    // manager without CAP_SYS_RESOURCE (a container) cannot raise them,
    // and then settles for the hard limit as systemd does.
    let hard = |r: libc::__rlimit_resource_t| {
        let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: valid pointer to a local.
        unsafe { libc::getrlimit(r, &mut rl) };
        rl.rlim_max
    };
    let nice_limit = hard(libc::RLIMIT_NICE).min(15);
    let rtprio = hard(libc::RLIMIT_RTPRIO).min(3);
    let s = Sock::with_manager(
        "xproc",
        &[unit(
            "p.service",
            &format!(
                "[Service]\nType=oneshot\nUser=nobody\nSupplementaryGroups=daemon\n\
                 ExecStart=@ROOT@/probe.py\nStandardOutput=file:@ROOT@/p.out\n\
                 UMask=0027\nNice=7\nOOMScoreAdjust=321\n\
                 LimitCPU=1h\nLimitFSIZE=1G\nLimitDATA=infinity\nLimitSTACK=16M\nLimitCORE=0\nLimitRSS=infinity\n\
                 LimitNOFILE=1000:2000\nLimitAS=infinity\nLimitNPROC=4321\nLimitMEMLOCK=64K\nLimitLOCKS=77\n\
                 LimitSIGPENDING=100\nLimitMSGQUEUE=400K\nLimitNICE={nice_limit}\nLimitRTPRIO={rtprio}\n\
                 LimitRTTIME=1s:2s\n\
                 NoNewPrivileges=yes\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN\n\
                 AmbientCapabilities=CAP_NET_BIND_SERVICE\nSecureBits=noroot no-setuid-fixup\n"
            ),
        )],
        &[("probe.py", PROBE_PY.to_string())],
    );
    s.start("p.service");
    let r = std::fs::read_to_string(s.path("p.out")).unwrap();
    assert_eq!(field(&r, "Uid"), "65534 65534 65534 65534", "{r}");
    assert_eq!(field(&r, "Gid"), "65534 65534 65534 65534", "{r}");
    assert!(field(&r, "Groups").split(' ').any(|g| g == "1"), "SupplementaryGroups=daemon: {r}");
    // CAP_CHOWN (0) and CAP_NET_BIND_SERVICE (10) stay bounded; only the
    // ambient one is held.
    assert_eq!(field(&r, "CapBnd"), "0000000000000401", "{r}");
    assert_eq!(field(&r, "CapAmb"), "0000000000000400", "{r}");
    assert_eq!(field(&r, "CapEff"), "0000000000000400", "{r}");
    assert_eq!(field(&r, "NoNewPrivs"), "1", "{r}");
    assert_eq!(field(&r, "securebits"), "5", "{r}");
    assert_eq!(field(&r, "umask"), "0027", "{r}");
    assert_eq!(field(&r, "nice"), "7", "{r}");
    assert_eq!(field(&r, "oom"), "321", "{r}");
    let nice_limit = format!("{nice_limit}:{nice_limit}");
    let rtprio = format!("{rtprio}:{rtprio}");
    for (name, want) in [
        ("CPU", "3600:3600"),
        ("FSIZE", "1073741824:1073741824"),
        ("DATA", "infinity:infinity"),
        ("STACK", "16777216:16777216"),
        ("CORE", "0:0"),
        ("NOFILE", "1000:2000"),
        ("NPROC", "4321:4321"),
        ("MEMLOCK", "65536:65536"),
        ("LOCKS", "77:77"),
        ("SIGPENDING", "100:100"),
        ("MSGQUEUE", "409600:409600"),
        ("NICE", &nice_limit),
        ("RTPRIO", &rtprio),
        ("RTTIME", "1000000:2000000"),
    ] {
        assert_eq!(field(&r, &format!("Limit{name}")), want, "Limit{name}=: {r}");
    }
    assert_eq!(field(&r, "cwd"), "/", "{r}");
}

#[test]
fn standard_environment_pass_and_unset() {
    if !need_root("standard_environment_pass_and_unset") {
        return;
    }
    // The manager's own environment: only what PassEnvironment= names
    // reaches the service.
    std::env::set_var("VIGIL_PASSED", "from the manager");
    std::env::set_var("VIGIL_NOT_PASSED", "secret");
    let s = Sock::with_manager(
        "xenv",
        &[unit(
            "e.service",
            // RemainAfterExit= keeps the unit loaded (and its InvocationID
            // readable) after the command ends.
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nUser=nobody\nExecStart=/usr/bin/env\nStandardOutput=file:@ROOT@/e.out\n\
             Environment=KEEP=1 DROP=2 PAIR=a\nEnvironment=PAIR2=b\n\
             PassEnvironment=VIGIL_PASSED VIGIL_ABSENT\nUnsetEnvironment=DROP PAIR2=b PAIR=zzz\n\
             RuntimeDirectory=envrt\nStateDirectory=envst one/two\nCacheDirectory=envca\n\
             LogsDirectory=envlg\nConfigurationDirectory=envcf\n",
        )],
        &[],
    );
    s.start("e.service");
    let env = std::fs::read_to_string(s.path("e.out")).unwrap();
    // The finished oneshot is unloaded at once (unit GC, as in systemd),
    // so its InvocationID= is no longer shown: check the variable's form.
    assert!(
        env.lines().any(|l| l
            .strip_prefix("INVOCATION_ID=")
            .is_some_and(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))),
        "no INVOCATION_ID in:\n{env}"
    );
    let root = s.root.path.display().to_string();
    let want = [
        "HOME=/".into(),
        "USER=nobody".into(),
        "LOGNAME=nobody".into(),
        "SHELL=/usr/sbin/nologin".into(),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        "KEEP=1".into(),
        "PAIR=a".into(),
        "VIGIL_PASSED=from the manager".into(),
        format!("RUNTIME_DIRECTORY={root}/run/envrt"),
        format!("STATE_DIRECTORY={root}/var/lib/envst:{root}/var/lib/one/two"),
        format!("CACHE_DIRECTORY={root}/var/cache/envca"),
        format!("LOGS_DIRECTORY={root}/var/log/envlg"),
        format!("CONFIGURATION_DIRECTORY={root}/etc/envcf"),
    ];
    for w in &want {
        assert!(env.lines().any(|l| l == w), "missing {w:?} in:\n{env}");
    }
    for gone in ["DROP=", "PAIR2=", "VIGIL_ABSENT=", "VIGIL_NOT_PASSED="] {
        assert!(!env.lines().any(|l| l.starts_with(gone)), "{gone} must not be set:\n{env}");
    }
}

#[test]
fn exec_directories_are_created_owned_and_cleaned_up() {
    if !need_root("exec_directories_are_created_owned_and_cleaned_up") {
        return;
    }
    let mut s = Sock::setup(
        "xdirs",
        &[unit(
            "d.service",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nUser=nobody\nGroup=daemon\nExecStart=@ROOT@/d.sh\n\
             RuntimeDirectory=rt foo/bar rt:rtlink\nRuntimeDirectoryMode=0750\nStateDirectory=st\n\
             CacheDirectory=ca\nLogsDirectory=lg\nLogsDirectoryMode=0700\n\
             ConfigurationDirectory=cf newcf\nConfigurationDirectoryMode=0710\n",
        )],
        // Written as nobody into each directory it owns.
        &[(
            "d.sh",
            "#!/bin/sh\nset -e\nfor d in $(echo \"$RUNTIME_DIRECTORY:$STATE_DIRECTORY:$CACHE_DIRECTORY:$LOGS_DIRECTORY\" | tr : ' '); do\n  echo hi > \"$d/written\"\ndone\n".to_string(),
        )],
    );
    // A state directory left by root with content: chowned as a tree.
    std::fs::create_dir_all(s.path("var/lib/st/sub")).unwrap();
    std::fs::write(s.path("var/lib/st/sub/old"), "old").unwrap();
    // An existing configuration directory keeps its mode and owner.
    std::fs::create_dir_all(s.path("etc/cf")).unwrap();
    std::fs::set_permissions(s.path("etc/cf"), std::fs::Permissions::from_mode(0o700)).unwrap();
    s.start_manager(&[]);
    s.start("d.service");
    let (nobody, daemon) = (65534, 1);
    for d in ["run/rt", "run/foo/bar", "var/lib/st", "var/cache/ca", "var/log/lg"] {
        assert_eq!(owner_of(&s.path(d)), (nobody, daemon), "{d}");
        assert!(s.path(d).join("written").exists(), "{d}: the service could not write; console:\n{}", s.console());
    }
    assert_eq!(mode_of(&s.path("run/rt")), 0o750);
    assert_eq!(mode_of(&s.path("run/foo/bar")), 0o750);
    assert_eq!(mode_of(&s.path("var/lib/st")), 0o755);
    assert_eq!(mode_of(&s.path("var/log/lg")), 0o700);
    // Parents are created 0755 and stay root's.
    assert_eq!(owner_of(&s.path("run/foo")), (0, 0));
    assert_eq!(mode_of(&s.path("run/foo")), 0o755);
    assert_eq!(owner_of(&s.path("var/lib/st/sub/old")), (nobody, daemon));
    assert_eq!(std::fs::read_link(s.path("run/rtlink")).unwrap(), s.path("run/rt"));
    assert_eq!((owner_of(&s.path("etc/cf")), mode_of(&s.path("etc/cf"))), ((0, 0), 0o700));
    assert_eq!((owner_of(&s.path("etc/newcf")), mode_of(&s.path("etc/newcf"))), ((0, 0), 0o710));

    let o = s.vigil(&["stop", "d.service"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for gone in ["run/rt", "run/foo/bar", "run/rtlink"] {
        assert!(std::fs::symlink_metadata(s.path(gone)).is_err(), "{gone} must be removed at stop");
    }
    for kept in ["run/foo", "var/lib/st/written", "var/cache/ca", "var/log/lg", "etc/newcf"] {
        assert!(s.path(kept).exists(), "{kept} must survive the stop");
    }
}

#[test]
fn runtime_directory_preserve_no_restart_yes() {
    let svc = |name: &'static str, mode: &str| {
        unit(
            name,
            &format!(
                "[Service]\nExecStart=/bin/sleep 300\nRestart=always\nRestartSec=0\n\
                 RuntimeDirectory=keep-{mode}\nRuntimeDirectoryPreserve={mode}\n"
            ),
        )
    };
    let s = Sock::with_manager("xpres", &[svc("no.service", "no"), svc("restart.service", "restart"), svc("yes.service", "yes")], &[]);
    let marker = |m: &str| s.path(&format!("run/keep-{m}/marker"));
    for m in ["no", "restart", "yes"] {
        s.start(&format!("{m}.service"));
        std::fs::write(marker(m), "x").unwrap();
    }
    // A restart job: only Preserve=no loses the directory's content.
    for m in ["no", "restart", "yes"] {
        let o = s.vigil(&["restart", &format!("{m}.service")]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(!marker("no").exists() && s.path("run/keep-no").is_dir());
    assert!(marker("restart").exists() && marker("yes").exists());
    std::fs::write(marker("no"), "x").unwrap();
    // An automatic restart (Restart=always after SIGKILL) likewise.
    for m in ["no", "restart"] {
        let pid: i32 = s.prop(&format!("{m}.service"), "MainPID").parse().unwrap();
        // SAFETY: kill(2) on the service's main process.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        s.wait_prop(&format!("{m}.service"), "NRestarts", "1");
        s.wait_prop(&format!("{m}.service"), "SubState", "running");
    }
    assert!(!marker("no").exists(), "Preserve=no: auto-restart must empty the directory");
    assert!(marker("restart").exists(), "Preserve=restart: auto-restart must keep the directory");
    // A stop: only Preserve=yes keeps it.
    for m in ["no", "restart", "yes"] {
        let o = s.vigil(&["stop", &format!("{m}.service")]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(!s.path("run/keep-no").exists());
    assert!(!s.path("run/keep-restart").exists());
    assert!(marker("yes").exists());
}

#[test]
fn unapplied_settings_are_in_status_and_logged_at_each_start() {
    let s = Sock::with_manager(
        "xunap",
        &[unit(
            "u.service",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n\
             SystemCallFilter=@system-service\nRestrictRealtime=yes\nLogRateLimitBurst=5\n",
        )],
        &[],
    );
    s.start("u.service");
    let status = stdout(&s.vigil(&["status", "u.service", "--no-pager"]));
    let line = status.lines().find(|l| l.contains("Not yet:")).unwrap_or_else(|| panic!("status:\n{status}"));
    for d in ["SystemCallFilter", "RestrictRealtime", "LogRateLimitBurst"] {
        assert!(line.contains(d), "{d} not listed: {line}");
    }
    let o = s.vigil(&["restart", "u.service"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let security = "SystemCallFilter=, RestrictRealtime= not applied by vigil: the service runs without this confinement.";
    let other = "LogRateLimitBurst= not applied by vigil yet.";
    // The manager's messages about a unit carry `UNIT=` (`-u` matches
    // them only from PID 1, as journalctl does).
    let logs = || stdout(&s.vigil(&["logs", "UNIT=u.service", "-o", "cat", "--no-pager"]));
    let twice = |text: &str, what: &str| text.lines().filter(|l| l.contains(what)).count() == 2;
    let ok = wait_until(Duration::from_secs(10), || {
        let l = logs();
        twice(&l, security) && twice(&l, other)
    });
    assert!(ok, "expected both notices once per start in the journal:\n{}", logs());
}

#[test]
fn type_exec_fails_the_start_when_exec_fails_idle_and_dbus_run() {
    let s = Sock::with_manager(
        "xtypes",
        &[
            unit("x.service", "[Service]\nType=exec\nExecStart=@ROOT@/not-executable\n"),
            unit("sx.service", "[Service]\nType=simple\nExecStart=@ROOT@/not-executable\n"),
            unit("i.service", "[Service]\nType=idle\nExecStart=/bin/sleep 300\n"),
            unit("b.service", "[Service]\nType=dbus\nBusName=org.example.Vigil\nExecStart=/bin/sleep 300\n"),
            // Type=dbus pulls in dbus.socket (systemd.service(5)); a
            // socket that nothing answers on stands for a bus vigil cannot
            // talk to.
            unit("dbus.socket", "[Socket]\nListenStream=@ROOT@/bus\n"),
            unit("dbus.service", "[Service]\nExecStart=/bin/sleep 300\n"),
        ],
        // A file that exists but cannot be executed: execve(2) fails.
        &[("not-executable", "echo never\n".to_string())],
    );
    // Type=exec: the start job fails with the exec failure.
    let o = s.vigil(&["start", "x.service"]);
    assert!(!o.status.success(), "Type=exec start must fail");
    assert_eq!(s.prop("x.service", "ActiveState"), "failed");
    assert_eq!(s.prop("x.service", "Result"), "exit-code");
    assert_eq!(s.prop("x.service", "ExecMainStatus"), "203");
    // Type=simple: the start succeeds, then the service fails the same way.
    let o = s.vigil(&["start", "sx.service"]);
    assert!(o.status.success(), "Type=simple start succeeds: {}", stderr(&o));
    s.wait_prop("sx.service", "ActiveState", "failed");
    assert_eq!(s.prop("sx.service", "ExecMainStatus"), "203");
    s.start("i.service");
    assert_eq!(s.prop("i.service", "SubState"), "running");
    s.start("b.service");
    assert_eq!(s.prop("b.service", "SubState"), "running");
    assert_eq!(s.prop("b.service", "Type"), "dbus");
    let logs = || stdout(&s.vigil(&["logs", "UNIT=b.service", "-o", "cat", "--no-pager"]));
    let said = wait_until(Duration::from_secs(10), || logs().contains("Type=dbus: no D-Bus system bus to watch BusName= on"));
    assert!(said, "journal:\n{}", logs());
}

#[test]
fn standard_streams_from_and_to_files() {
    let s = Sock::with_manager(
        "xstdio",
        &[
            unit(
                "io.service",
                "[Service]\nType=oneshot\nExecStart=@ROOT@/io.sh\nStandardInput=file:@ROOT@/in.txt\n\
                 StandardOutput=append:@ROOT@/out.txt\nStandardError=truncate:@ROOT@/err.txt\n",
            ),
            unit("w.service", "[Service]\nType=oneshot\nExecStart=/bin/echo ab\nStandardOutput=file:@ROOT@/w.txt\n"),
            unit(
                "n.service",
                "[Service]\nType=oneshot\nExecStart=@ROOT@/n.sh\nStandardInput=null\nStandardOutput=null\n",
            ),
        ],
        &[
            ("io.sh", "#!/bin/sh\ncat\necho to-err >&2\n".to_string()),
            (
                "n.sh",
                "#!/bin/sh\nx=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\necho \"$x\" > @ROOT@/n.txt\n".to_string(),
            ),
            ("in.txt", "line from stdin\n".to_string()),
            ("out.txt", "old\n".to_string()),
            ("err.txt", "stale stale stale\n".to_string()),
            ("w.txt", "0123456789\n".to_string()),
        ],
    );
    for u in ["io.service", "w.service", "n.service"] {
        s.start(u);
    }
    assert_eq!(std::fs::read_to_string(s.path("out.txt")).unwrap(), "old\nline from stdin\n");
    assert_eq!(std::fs::read_to_string(s.path("err.txt")).unwrap(), "to-err\n");
    // file: writes from the start without truncating.
    assert_eq!(std::fs::read_to_string(s.path("w.txt")).unwrap(), "ab\n3456789\n");
    assert_eq!(std::fs::read_to_string(s.path("n.txt")).unwrap(), "/dev/null\n/dev/null\n/dev/null\n");
}

/// Copy `bin` and the libraries `ldd` names into `jail`.
fn populate_jail(jail: &Path, bin: &str) {
    let o = Command::new("ldd").arg(bin).output().expect("ldd");
    let mut files = vec![bin.to_string()];
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        if let Some(p) = l.split_whitespace().find(|w| w.starts_with('/')) {
            files.push(p.to_string());
        }
    }
    for f in files {
        let dest = jail.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
}

#[test]
fn working_directory_and_root_directory() {
    if !need_root("working_directory_and_root_directory") {
        return;
    }
    let mut s = Sock::setup(
        "xwd",
        &[
            unit(
                "home.service",
                "[Service]\nType=oneshot\nUser=daemon\nWorkingDirectory=~\nExecStart=/bin/pwd\nStandardOutput=file:@ROOT@/home.txt\n",
            ),
            unit(
                "opt.service",
                "[Service]\nType=oneshot\nWorkingDirectory=-@ROOT@/missing\nExecStart=/bin/true\n",
            ),
            unit("must.service", "[Service]\nType=oneshot\nWorkingDirectory=@ROOT@/missing\nExecStart=/bin/true\n"),
            unit(
                "jail.service",
                "[Service]\nType=oneshot\nRootDirectory=@ROOT@/jail\nWorkingDirectory=/sub\n\
                 ExecStart=/bin/sh -c 'pwd > /inside'\n",
            ),
        ],
        &[],
    );
    let jail = s.path("jail");
    populate_jail(&jail, "/bin/sh");
    populate_jail(&jail, "/bin/pwd");
    std::fs::create_dir_all(jail.join("sub")).unwrap();
    s.start_manager(&[]);
    s.start("home.service");
    let home = std::fs::read_to_string(s.path("home.txt")).unwrap();
    let daemon_home = stdout(&Command::new("getent").args(["passwd", "daemon"]).output().unwrap());
    assert_eq!(home.trim(), daemon_home.trim().split(':').nth(5).unwrap());
    s.start("opt.service");
    assert!(!s.vigil(&["start", "must.service"]).status.success());
    assert_eq!(s.prop("must.service", "ExecMainStatus"), "200");
    s.start("jail.service");
    assert_eq!(std::fs::read_to_string(jail.join("inside")).unwrap(), "/sub\n");
}

/// Debian's `redis-server.service` as shipped (`RuntimeDirectory=redis`,
/// `RuntimeDirectoryMode=2755`, `User=redis`, `Type=notify`, a wall of
/// sandboxing), with a drop-in that only moves it to a free loopback port
/// and keeps its files in `$RUNTIME_DIRECTORY`.
#[test]
fn redis_debian_unit_runs_in_its_runtime_directory() {
    if !need_root("redis_debian_unit_runs_in_its_runtime_directory") {
        return;
    }
    let shipped = Path::new("/lib/systemd/system/redis-server.service");
    assert!(
        shipped.exists() && Path::new("/usr/bin/redis-server").exists(),
        "redis is missing: install the test dependencies with `apt-get install -y redis-server`"
    );
    let port = free_port();
    let s = Sock::with_manager(
        "xredis",
        &[
            unit("redis-server.service", &std::fs::read_to_string(shipped).unwrap()),
        ],
        &[(
                "etc/systemd/system/redis-server.service.d/test.conf",
                format!(
                    "[Service]\nExecStart=\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd \
                     --daemonize no --port {port} --bind 127.0.0.1 --pidfile ${{RUNTIME_DIRECTORY}}/redis-server.pid \
                     --logfile \"\" --dir ${{RUNTIME_DIRECTORY}} --save \"\"\nPIDFile=@ROOT@/run/redis/redis-server.pid\n"
                ),
        )],
    );
    s.start("redis-server.service");
    let rt = s.path("run/redis");
    let redis = stdout(&Command::new("id").args(["-u", "redis"]).output().unwrap()).trim().parse::<u32>().unwrap();
    assert_eq!(owner_of(&rt).0, redis);
    assert_eq!(mode_of(&rt), 0o2755);
    let pong = tcp_exchange(loopback(port), "PING\r\nQUIT\r\n").unwrap();
    assert!(pong.starts_with("+PONG"), "{pong:?}");
    let main = s.prop("redis-server.service", "MainPID");
    let status = std::fs::read_to_string(format!("/proc/{main}/status")).unwrap();
    assert!(status.lines().any(|l| l == "NoNewPrivs:\t1"), "{status}");
    assert!(status.lines().any(|l| l == "CapBnd:\t0000000000000000"), "{status}");
    let o = s.vigil(&["stop", "redis-server.service"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!rt.exists(), "RuntimeDirectory= must be removed at stop");
}

/// `StandardInput=fd:NAME` takes the socket unit's descriptor of that
/// `FileDescriptorName=`; a name no socket has fails the start.
/// `IgnoreSIGPIPE=` decides whether SIGPIPE (bit 13, mask 0x1000) is
/// ignored; `SyslogFacility=`/`SyslogLevel=`/`SyslogIdentifier=` label
/// the service's journal stream.
#[test]
fn named_fd_input_sigpipe_and_syslog_labels() {
    let report = "#!/bin/sh\nx=$(readlink /proc/$$/fd/0)\necho \"$x\"\ngrep ^SigIgn /proc/$$/status\n";
    let s = Sock::with_manager(
        "xfd",
        &[
            unit("ctl.socket", "[Socket]\nListenStream=@ROOT@/ctl.sock\nFileDescriptorName=ctl\n"),
            unit(
                "ctl.service",
                "[Service]\nType=oneshot\nExecStart=@ROOT@/report.sh\nStandardInput=fd:ctl\nStandardOutput=file:@ROOT@/fd.txt\n",
            ),
            unit(
                "nope.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\nStandardInput=fd:nope\n",
            ),
            unit(
                "pipe.service",
                "[Service]\nType=oneshot\nExecStart=@ROOT@/report.sh\nIgnoreSIGPIPE=no\nStandardOutput=file:@ROOT@/pipe.txt\n",
            ),
            unit(
                "talk.service",
                "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo labelled stream=$$JOURNAL_STREAM'\nSyslogIdentifier=ident\n\
                 SyslogFacility=local3\nSyslogLevel=warning\n",
            ),
        ],
        &[("report.sh", report.to_string())],
    );
    s.start("ctl.socket");
    s.start("ctl.service");
    let fd = std::fs::read_to_string(s.path("fd.txt")).unwrap();
    let mut lines = fd.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("socket:[")), "stdin is the socket: {fd}");
    let ignored = |line: Option<&str>| {
        let mask = line.and_then(|l| l.split_whitespace().nth(1)).map(|h| u64::from_str_radix(h, 16).unwrap()).unwrap();
        mask & 0x1000 != 0
    };
    assert!(ignored(lines.next()), "IgnoreSIGPIPE=yes is the default: {fd}");
    assert!(!s.vigil(&["start", "nope.service"]).status.success());
    // The journal is written asynchronously: poll.
    let logs = || stdout(&s.vigil(&["logs", "UNIT=nope.service", "-o", "cat", "--no-pager"]));
    assert!(
        wait_until(Duration::from_secs(10), || logs().contains("Failed to load a named file descriptor: nope")),
        "{}",
        logs()
    );
    s.start("pipe.service");
    let pipe = std::fs::read_to_string(s.path("pipe.txt")).unwrap();
    assert!(!ignored(pipe.lines().nth(1)), "IgnoreSIGPIPE=no: {pipe}");
    s.start("talk.service");
    let v = || stdout(&s.vigil(&["logs", "-u", "talk.service", "-o", "verbose", "--no-pager"]));
    assert!(wait_until(Duration::from_secs(10), || v().contains("MESSAGE=labelled")), "{}", v());
    let v = v();
    for f in ["SYSLOG_IDENTIFIER=ident", "PRIORITY=4", "SYSLOG_FACILITY=19"] {
        assert!(v.contains(f), "{f} missing:\n{v}");
    }
    // JOURNAL_STREAM=DEV:INODE names the stream the output goes to.
    let stream = v.lines().find_map(|l| l.trim().strip_prefix("MESSAGE=labelled stream=")).unwrap_or_default();
    let parts: Vec<&str> = stream.split(':').collect();
    assert!(parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())), "{v}");
}

/// `StandardInput=tty` with `TTYPath=`: the service gets the terminal as
/// its standard streams and as its controlling terminal. The test holds
/// the master side of a fresh pseudo-terminal.
#[test]
fn tty_input_and_output_on_tty_path() {
    // SAFETY: plain libc calls on a descriptor this test owns.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(master >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
    // SAFETY: as above; ptsname's buffer is read at once.
    let pts = unsafe {
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        std::ffi::CStr::from_ptr(libc::ptsname(master)).to_string_lossy().into_owned()
    };
    let s = Sock::with_manager(
        "xtty",
        &[unit(
            "t.service",
            &format!(
                "[Service]\nType=oneshot\nStandardInput=tty\nTTYPath={pts}\nExecStart=@ROOT@/t.sh\n"
            ),
        )],
        &[("t.sh", "#!/bin/sh\nx=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\necho $x > @ROOT@/t.txt\ntty_nr=$(cut -d' ' -f7 /proc/$$/stat)\necho \"$tty_nr\" >> @ROOT@/t.txt\necho on-the-terminal\n".to_string())],
    );
    s.start("t.service");
    let t = std::fs::read_to_string(s.path("t.txt")).unwrap();
    let mut lines = t.lines();
    assert_eq!(lines.next(), Some(format!("{pts} {pts} {pts}").as_str()), "{t}");
    // tty_nr (stat field 7) is the controlling terminal: non-zero.
    assert_ne!(lines.next(), Some("0"), "no controlling terminal: {t}");
    let mut got = Vec::new();
    let ok = wait_until(Duration::from_secs(10), || {
        let mut buf = [0u8; 256];
        // SAFETY: reading into a local buffer; non-blocking via poll first.
        let n = unsafe {
            let mut p = libc::pollfd { fd: master, events: libc::POLLIN, revents: 0 };
            if libc::poll(&mut p, 1, 0) == 1 {
                libc::read(master, buf.as_mut_ptr().cast(), buf.len())
            } else {
                0
            }
        };
        if n > 0 {
            got.extend_from_slice(&buf[..n as usize]);
        }
        String::from_utf8_lossy(&got).contains("on-the-terminal")
    });
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(master) };
    assert!(ok, "terminal got {:?}", String::from_utf8_lossy(&got));
}
