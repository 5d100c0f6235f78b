//! Debian's own packages, unmodified, under vigil as PID 1 (issue 7).
//!
//! One namespace (see `pid1_support`: the host's real root under a
//! throw-away overlay, private PID, mount and network namespaces) boots
//! `pid1-test.target`, which wants the services scripts/test-deps
//! installed: nginx, redis-server, memcached, ssh, cron, rsyslog and
//! postgresql (whose generator makes `postgresql@15-main.service`
//! wanted). A target of our own rather than `default.target`: the host
//! also has docker.service enabled, which has no business starting in
//! here. Each service then has to do its job, checked with its own
//! client; then `systemctl status`/`reload`, a package reinstall that
//! restarts nginx through our `systemctl`, and SIGTERM to PID 1 stopping
//! everything in reverse order.
//!
//! One test, because booting the set costs a few seconds and the checks
//! are a story: the reinstall needs the running nginx, the shutdown needs
//! everything up.

mod common;
mod pid1_support;

use std::path::Path;
use std::time::Duration;

use pid1_support::{unsupported, Namespace};

/// The services of the packages, as `systemctl is-active` names them.
const SERVICES: [&str; 7] = [
    "nginx.service",
    "redis-server.service",
    "memcached.service",
    "ssh.service",
    "cron.service",
    "rsyslog.service",
    "postgresql@15-main.service",
];

/// scripts/test-deps keeps the installed nginx's .debs here.
const DEBS: &str = "/var/cache/vigil-test/debs";

fn write(root: &Path, rel: &str, content: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, content).expect("write kit file");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn kit() -> common::TestRoot {
    let kit = common::TestRoot::new("pid1-kit");
    let k = &kit.path;
    let wants = "nginx.service redis-server.service memcached.service ssh.service cron.service rsyslog.service postgresql.service";
    write(
        k,
        "etc/systemd/system/pid1-test.target",
        &format!("[Unit]\nDescription=vigil PID-1 test packages\nWants={wants}\nAfter={wants}\n"),
        0o644,
    );
    // Debian's cron runs @reboot jobs once per boot: when /run/crond.reboot
    // does not exist yet, which in a fresh /run it does not.
    write(k, "etc/cron.d/pid1-test", "@reboot root echo fired-by-cron > /var/tmp/pid1-cron\n", 0o644);
    // The nginx .debs in apt's cache: the reinstall needs no network.
    if let Ok(dir) = std::fs::read_dir(DEBS) {
        let archives = k.join("var/cache/apt/archives");
        std::fs::create_dir_all(&archives).expect("mkdir archives");
        for e in dir.flatten() {
            if e.file_name().to_string_lossy().ends_with(".deb") {
                std::fs::copy(e.path(), archives.join(e.file_name())).expect("copy deb");
            }
        }
    }
    kit
}

fn main_pid(ns: &Namespace, unit: &str) -> String {
    ns.ok(&format!("systemctl show -p MainPID --value {unit}"))
}

fn http_status(ns: &Namespace) -> String {
    ns.ok("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/")
}

#[test]
fn debian_packages_serve_under_vigil_as_pid1() {
    if let Some(why) = unsupported() {
        eprintln!("skipping debian_packages_serve_under_vigil_as_pid1: {why}");
        return;
    }
    for pkg in ["nginx", "redis-server", "memcached", "openssh-server", "cron", "rsyslog", "postgresql", "curl"] {
        let o = std::process::Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]).output().expect("dpkg-query");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("install ok installed"),
            "{pkg} is not installed: run scripts/test-deps"
        );
    }
    let kit = kit();
    let mut ns = Namespace::boot("pkgs", "pid1-test.target", &kit.path);

    // Each service reaches active.
    let want = vec!["active"; SERVICES.len()].join("\n");
    let mut last = String::new();
    let up = common::wait_until(Duration::from_secs(90), || {
        last = String::from_utf8_lossy(&ns.sh(&format!("systemctl is-active {}", SERVICES.join(" "))).stdout).trim().to_string();
        last == want
    });
    assert!(up, "not all active: {SERVICES:?} = {last:?}; console:\n{}", ns.console());
    assert_eq!(ns.ok("cat /proc/1/comm"), "vigil");

    // nginx serves.
    assert_eq!(http_status(&ns), "200", "console:\n{}", ns.console());
    // redis answers as User=redis with its RuntimeDirectory.
    assert_eq!(ns.ok("redis-cli -h 127.0.0.1 ping"), "PONG");
    // memcached answers `version`.
    let v = ns.ok(r#"bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; printf "version\r\n" >&3; head -n1 <&3'"#);
    assert!(v.starts_with("VERSION "), "memcached said {v:?}");
    // ssh logs in with a key made here.
    ns.ok("mkdir -p -m 700 /root/.ssh && ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/pid1_test && cat /root/.ssh/pid1_test.pub >> /root/.ssh/authorized_keys");
    let who = ns.ok(
        "ssh -i /root/.ssh/pid1_test -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
         -o LogLevel=ERROR root@127.0.0.1 'echo logged-in-as-$(id -un)'",
    );
    assert_eq!(who, "logged-in-as-root");
    // postgres accepts connections.
    let pg = ns.ok("pg_isready");
    assert!(pg.contains("accepting connections"), "pg_isready: {pg}");
    // The cron.d job fired.
    let fired = common::wait_until(Duration::from_secs(70), || ns.sh("grep -q fired-by-cron /var/tmp/pid1-cron").status.success());
    assert!(fired, "the cron.d job did not fire; cron: {}", ns.ok("systemctl status cron --no-pager || true"));
    // logger -> /dev/log -> the journal -> rsyslog -> /var/log/syslog.
    let marker = format!("pid1-logger-{}", std::process::id());
    ns.ok(&format!("logger -t pid1test {marker}"));
    let journaled = common::wait_until(Duration::from_secs(20), || {
        String::from_utf8_lossy(&ns.sh("journalctl -t pid1test --no-pager -o cat").stdout).contains(&marker)
    });
    assert!(journaled, "logger text not in the journal: {}", ns.ok("journalctl -n 20 --no-pager || true"));
    let syslogged = common::wait_until(Duration::from_secs(20), || ns.sh(&format!("grep -q {marker} /var/log/syslog")).status.success());
    assert!(syslogged, "logger text not in /var/log/syslog: {}", ns.ok("tail -n 20 /var/log/syslog || true"));

    // systemctl status shows the unit's log lines.
    let o = ns.sh("systemctl status nginx --no-pager");
    let status = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(status.contains("active (running)"), "{status}{}", common::stderr(&o));
    assert!(status.contains("Started nginx.service - A high performance web server"), "no log lines in status:\n{status}");

    // reload keeps the master.
    let master = main_pid(&ns, "nginx");
    assert_eq!(ns.ok("cat /run/nginx.pid"), master);
    ns.ok("systemctl reload nginx");
    assert_eq!(main_pid(&ns, "nginx"), master, "reload replaced nginx's master");
    assert_eq!(ns.ok("systemctl is-active nginx"), "active");
    assert_eq!(http_status(&ns), "200");

    // A package reinstall restarts nginx through our systemctl, as on a
    // systemd machine (deb-systemd-invoke and invoke-rc.d see
    // /run/systemd/system).
    assert!(
        ns.sh("ls /var/cache/apt/archives/nginx_*.deb").status.success(),
        "no nginx .deb in {DEBS}: scripts/test-deps could not download it"
    );
    let o = ns.sh_timeout(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall --no-download nginx nginx-common 2>&1",
        Duration::from_secs(120),
    );
    assert!(o.status.success(), "apt-get install --reinstall nginx failed:\n{}", String::from_utf8_lossy(&o.stdout));
    let restarted = common::wait_until(Duration::from_secs(30), || {
        ns.sh("systemctl is-active nginx").status.success() && main_pid(&ns, "nginx") != master
    });
    assert!(
        restarted,
        "nginx was not restarted by the reinstall (master {master}); apt said:\n{}\nconsole:\n{}",
        common::stdout(&o),
        ns.console()
    );
    assert_eq!(ns.ok("cat /run/nginx.pid"), main_pid(&ns, "nginx"));
    assert_eq!(http_status(&ns), "200");

    // SIGTERM to PID 1: everything stops, in reverse order, and the
    // namespace ends with nothing left.
    let before = ns.console().len();
    let code = ns.terminate(Duration::from_secs(60));
    let console = ns.console();
    let stop = &console[before..];
    assert_eq!(code, Some(0), "PID 1 exit status; console:\n{stop}");
    let at = |line: &str| stop.find(line).unwrap_or_else(|| panic!("{line:?} not on the console:\n{stop}"));
    let target = at("Stopped target pid1-test.target - vigil PID-1 test packages.");
    for svc in [
        "Stopped nginx.service - A high performance web server and a reverse proxy server.",
        "Stopped redis-server.service - Advanced key-value store.",
        "Stopped memcached.service - memcached daemon.",
        "Stopped ssh.service - OpenBSD Secure Shell server.",
        "Stopped cron.service - Regular background program processing daemon.",
        "Stopped rsyslog.service - System Logging Service.",
        "Stopped postgresql.service - PostgreSQL RDBMS.",
    ] {
        assert!(target < at(svc), "{svc} before the target stopped:\n{stop}");
        assert!(at(svc) < at("Stopped target sysinit.target - System Initialization."), "{svc} after sysinit.target:\n{stop}");
    }
    // postgresql@.service is Before=postgresql.service; rsyslog is After=
    // its socket.
    assert!(at("Stopped postgresql.service - PostgreSQL RDBMS.") < at("Stopped postgresql@15-main.service - PostgreSQL Cluster 15-main."), "{stop}");
    assert!(at("Stopped rsyslog.service - System Logging Service.") < at("Closed syslog.socket - Syslog Socket."), "{stop}");
    assert!(ns.processes().is_empty(), "processes of the namespace remain: {:?}", ns.processes());
}
