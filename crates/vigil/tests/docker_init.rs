//! vigil as PID 1 of real Docker containers (issue 9), checked scenario by
//! scenario against real systemd 252 as PID 1 of the same kind of
//! container.
//!
//! Every scenario is one function taking an [`Init`] and runs twice:
//! - `Init::Vigil`: `vigil-test:<sha12>` (see `docker_common::image`) started with a plain `docker run`
//!   (no options: working in an ordinary container is the point of
//!   `vigil init`).
//! - `Init::Systemd`: `vigil-test-systemd:bookworm` (Debian's systemd
//!   package on the same base). systemd needs help to run in a container
//!   on this cgroup-v1 host: the host cgroup namespace with /sys/fs/cgroup
//!   mounted read-write, and /run on tmpfs; without them it refuses to boot
//!   ("Failed to create … init.scope control group"). These runs prove the
//!   scenarios themselves: what they assert is what systemd does.
//!
//! Each container gets a small unit set (the "kit") copied in before it
//! starts: two ordered services, enabled, that record their start and stop
//! in /var/lib/vigil-test, and one installed-but-disabled service. Nothing
//! else: minbase has no systemd package and so no target units, and vigil
//! must boot such an image with its built-in targets; the systemd flavour
//! has the package's own (default.target -> graphical.target, which pulls
//! in multi-user.target).

mod docker_common;

use std::path::Path;
use std::time::{Duration, Instant};

use docker_common::*;

/// Which init runs as PID 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    Vigil,
    Systemd,
}

/// Booting, including a first `systemctl` answer.
const BOOT: Duration = Duration::from_secs(60);
/// `docker stop` must finish well inside Docker's default 10 s grace.
const QUICK_STOP: Duration = Duration::from_secs(5);
const STATE_DIR: &str = "/var/lib/vigil-test";

impl Init {
    fn image(self) -> &'static str {
        match self {
            Init::Vigil => image(),
            Init::Systemd => ORACLE,
        }
    }

    fn ensure_image(self) {
        match self {
            Init::Vigil => ensure_images(),
            Init::Systemd => ensure_oracle(),
        };
    }

    /// `docker run` options this init needs (see the module essay).
    fn run_opts(self) -> &'static [&'static str] {
        match self {
            Init::Vigil => &[],
            Init::Systemd => &["--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"],
        }
    }

    fn entrypoint(self) -> &'static str {
        match self {
            Init::Vigil => r#"ENTRYPOINT ["/usr/local/bin/vigil", "init"]"#,
            Init::Systemd => r#"ENTRYPOINT ["/lib/systemd/systemd"]"#,
        }
    }

    /// `/proc/1/comm` of the booted container.
    fn comm(self) -> &'static str {
        match self {
            Init::Vigil => "vigil",
            Init::Systemd => "systemd",
        }
    }
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, content).expect("write kit file");
}

fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, &p).expect("symlink");
}

/// A service that records its start (in ExecStartPre, so the order of
/// records is the start order) and, on SIGTERM, its stop.
fn recorder(name: &str, after: &str) -> String {
    let after = if after.is_empty() { String::new() } else { format!("After={after}\n") };
    format!(
        "[Unit]\nDescription=vigil test: {name}\n{after}\n\
         [Service]\n\
         ExecStartPre=/bin/sh -c 'mkdir -p {STATE_DIR} && echo {name} >> {STATE_DIR}/started'\n\
         ExecStart=/bin/sh -c 'trap \"echo {name} >> {STATE_DIR}/stopped; exit 0\" TERM; sleep infinity & wait'\n\n\
         [Install]\nWantedBy=multi-user.target\n"
    )
}

/// The unit set copied into every container (see the module essay).
fn kit() -> TempDir {
    let dir = TempDir::new("kit");
    let r = &dir.path;
    let etc = "etc/systemd/system";
    write(r, &format!("{etc}/early.service"), &recorder("early", ""));
    write(r, &format!("{etc}/late.service"), &recorder("late", "early.service"));
    write(r, &format!("{etc}/extra.service"), &recorder("extra", ""));
    link(r, &format!("{etc}/multi-user.target.wants/early.service"), "/etc/systemd/system/early.service");
    link(r, &format!("{etc}/multi-user.target.wants/late.service"), "/etc/systemd/system/late.service");
    dir
}

/// Create a container of `image` with the kit (plus `extra` files) copied
/// in, and start it.
fn boot_image(init: Init, tag: &str, image: &str, opts: &[&str], extra: &[(&str, &str)]) -> Container {
    let mut all: Vec<&str> = init.run_opts().to_vec();
    all.extend(opts);
    let c = Container::create(tag, &all, image, &[]);
    let k = kit();
    for (rel, content) in extra {
        if let Some(target) = content.strip_prefix("->") {
            link(&k.path, rel, target);
        } else {
            write(&k.path, rel, content);
        }
    }
    c.copy_in(&k.path.join("."), "/");
    c.start();
    c
}

fn boot(init: Init, tag: &str, opts: &[&str], extra: &[(&str, &str)]) -> Container {
    init.ensure_image();
    boot_image(init, tag, init.image(), opts, extra)
}

/// Poll `systemctl is-system-running` until boot has finished ("running"
/// or "degraded") and return that state.
fn wait_booted(c: &Container) -> String {
    let mut last = String::new();
    let done = poll(BOOT, || {
        assert!(c.running(), "{} exited during boot:\n{}", c.name, c.logs());
        let o = c.exec(&["systemctl", "is-system-running"], QUICK);
        last = format!("{}{}", text(&o.stdout).trim(), text(&o.stderr).trim());
        last == "running" || last == "degraded"
    });
    assert!(done, "{} did not finish booting in {BOOT:?}; last state {last:?}; console:\n{}", c.name, c.logs());
    last
}

/// `systemctl is-active UNITS…`: one state per line.
fn is_active(c: &Container, units: &[&str]) -> String {
    let mut args = vec!["systemctl", "is-active"];
    args.extend(units);
    text(&c.exec(&args, QUICK).stdout).trim().to_string()
}

/// Records in STATE_DIR/`file`, one unit name per line.
fn records(c: &Container, file: &str) -> Vec<String> {
    c.read_file(&format!("{STATE_DIR}/{file}")).unwrap_or_default().lines().map(str::to_string).collect()
}

fn boots_to_default_target(init: Init) {
    let c = boot(init, "boot", &[], &[]);
    assert_eq!(wait_booted(&c), "running", "console:\n{}", c.logs());
    assert_eq!(c.sh("cat /proc/1/comm", QUICK), init.comm());
    assert_eq!(
        is_active(&c, &["default.target", "multi-user.target", "basic.target", "early.service", "late.service"]),
        "active\nactive\nactive\nactive\nactive"
    );
    // Installed but not enabled: not started, and is-active says so with 3.
    let o = c.exec(&["systemctl", "is-active", "extra.service"], QUICK);
    assert_eq!((text(&o.stdout).trim(), o.status.code()), ("inactive", Some(3)));
    assert_eq!(records(&c, "started"), ["early", "late"], "After= ordering not kept");
}

fn docker_stop_exits_zero_quickly(init: Init) {
    let c = boot(init, "stop", &[], &[]);
    wait_booted(&c);
    let t0 = Instant::now();
    docker_ok(&["stop", "-t", "20", &c.name], Duration::from_secs(30));
    let took = t0.elapsed();
    eprintln!("{init:?}: docker stop took {:.2} s", took.as_secs_f64());
    assert!(took < QUICK_STOP, "docker stop took {took:?}");
    assert_eq!(c.inspect("{{.State.ExitCode}}"), "0", "console:\n{}", c.logs());
    assert_eq!(c.inspect("{{.State.OOMKilled}}"), "false");
    // Units were stopped, in reverse start order, by SIGTERM.
    assert_eq!(records(&c, "stopped"), ["late", "early"], "console:\n{}", c.logs());
}

fn systemctl_exit_sets_exit_code(init: Init) {
    let c = boot(init, "exit", &[], &[]);
    wait_booted(&c);
    let o = c.exec(&["systemctl", "exit", "3"], QUICK);
    assert!(o.status.success(), "systemctl exit 3: {}", text(&o.stderr));
    let code = docker_ok(&["wait", &c.name], Duration::from_secs(20));
    assert_eq!(code, "3", "console:\n{}", c.logs());
    assert_eq!(c.inspect("{{.State.ExitCode}}"), "3");
    assert_eq!(records(&c, "stopped"), ["late", "early"], "units not stopped before exit");
}

fn docker_restart_keeps_enabled_units(init: Init) {
    let c = boot(init, "restart", &[], &[]);
    wait_booted(&c);
    c.exec_ok(&["systemctl", "enable", "--now", "extra.service"], QUICK);
    assert_eq!(is_active(&c, &["extra.service"]), "active");
    let started = c.inspect("{{.State.StartedAt}}");

    docker_ok(&["restart", "-t", "20", &c.name], Duration::from_secs(60));
    assert_ne!(c.inspect("{{.State.StartedAt}}"), started, "docker restart did not restart");
    assert_eq!(wait_booted(&c), "running", "console:\n{}", c.logs());
    assert_eq!(c.exec_ok(&["systemctl", "is-enabled", "extra.service"], QUICK), "enabled");
    assert_eq!(is_active(&c, &["early.service", "late.service", "extra.service"]), "active\nactive\nactive");
    let mut starts = records(&c, "started");
    starts.sort();
    assert_eq!(starts, ["early", "early", "extra", "extra", "late", "late"], "each unit starts once per boot");
}

/// Without CAP_SETUID/CAP_SETGID a unit with `User=` cannot start. The
/// manager must carry on: the other units run, the system says
/// "degraded", and the failed unit is listed. vigil also names it on its
/// console (`docker logs`); systemd does that only with a tty, so that
/// check is vigil's alone.
fn unprivileged_container_degrades_visibly(init: Init) {
    let unit = "[Unit]\nDescription=vigil test: needs CAP_SETUID\n\n[Service]\nUser=nobody\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n";
    let extra = [
        ("etc/systemd/system/privileged.service", unit),
        ("etc/systemd/system/multi-user.target.wants/privileged.service", "->/etc/systemd/system/privileged.service"),
    ];
    let c = boot(init, "unpriv", &["--cap-drop=SETUID", "--cap-drop=SETGID"], &extra);
    assert_eq!(wait_booted(&c), "degraded", "console:\n{}", c.logs());
    let o = c.exec(&["systemctl", "is-system-running"], QUICK);
    assert_ne!(o.status.code(), Some(0), "is-system-running must fail when degraded");
    assert_eq!(is_active(&c, &["early.service", "late.service"]), "active\nactive");
    let o = c.exec(&["systemctl", "is-failed", "privileged.service"], QUICK);
    assert_eq!((text(&o.stdout).trim(), o.status.code()), ("failed", Some(0)));
    let failed = c.exec_ok(&["systemctl", "--failed", "--no-legend", "--plain", "--no-pager"], QUICK);
    assert!(failed.contains("privileged.service"), "--failed lists: {failed:?}");
    assert!(c.running(), "the container must keep running");
    if init == Init::Vigil {
        assert!(c.logs().contains("privileged.service"), "console does not name the failed unit:\n{}", c.logs());
    }
}

/// The real thing: nginx installed by apt into the image, started by the
/// init at boot (the package enabled it), answering HTTP, stopped cleanly.
fn nginx_from_apt_serves_http(init: Init) {
    init.ensure_image();
    let setup = Container::run("nginx-setup", &["--network", "host", "--entrypoint", "sleep"], init.image(), &["infinity"]);
    apt_install(&setup, &["nginx"]);
    setup.sh("rm -f /usr/sbin/policy-rc.d /var/lib/apt/lists/*; true", QUICK);
    docker_ok(&["stop", "-t", "0", &setup.name], QUICK);
    let image = Image::commit(&setup, &[init.entrypoint(), "CMD []"]);
    drop(setup);

    let c = boot_image(init, "nginx", &image.tag, &[], &[]);
    assert_eq!(wait_booted(&c), "running", "console:\n{}", c.logs());
    assert_eq!(is_active(&c, &["nginx.service"]), "active");
    let get = "exec 3<>/dev/tcp/127.0.0.1/80; printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; cat <&3";
    let page = c.exec_ok(&["bash", "-c", get], QUICK);
    assert!(page.starts_with("HTTP/1.1 200 OK"), "nginx answered: {page}");
    assert!(page.contains("Welcome to nginx"), "nginx answered: {page}");

    let t0 = Instant::now();
    docker_ok(&["stop", "-t", "20", &c.name], Duration::from_secs(30));
    assert!(t0.elapsed() < QUICK_STOP, "docker stop took {:?}", t0.elapsed());
    assert_eq!(c.inspect("{{.State.ExitCode}}"), "0", "console:\n{}", c.logs());
}

/// Packages installed into a running container start through its init,
/// as on a systemd machine: with no `policy-rc.d` denying starts, nginx's
/// maintainer scripts (`deb-systemd-invoke`, which checks
/// `/run/systemd/system`) call `systemctl` and nginx runs. Then the
/// journal, `service` and the halt signal of systemd images
/// (`SIGRTMIN+3`) work from `docker exec` and `docker kill`.
fn apt_install_in_running_container_starts_through_init(init: Init) {
    let c = boot(init, "apt", &["--network", "host"], &[]);
    assert_eq!(wait_booted(&c), "running", "console:\n{}", c.logs());
    c.sh("rm -f /usr/sbin/policy-rc.d; true", QUICK);
    let script = "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx 2>&1";
    let out = c.exec(&["sh", "-c", script], APT);
    assert!(out.status.success(), "apt-get install nginx failed:\n{}", text(&out.stdout));
    // Started by the package's own scripts, through the container's init.
    assert!(poll(BOOT, || is_active(&c, &["nginx.service"]) == "active"), "nginx not active; console:\n{}", c.logs());
    let get = "exec 3<>/dev/tcp/127.0.0.1/80; printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; cat <&3";
    let page = c.exec_ok(&["bash", "-c", get], QUICK);
    assert!(page.starts_with("HTTP/1.1 200 OK"), "nginx answered: {page}");
    // The journal has the recorder services' unit attribution, and the
    // `service` wrapper reaches the init.
    let o = c.exec(&["systemctl", "status", "nginx.service", "--no-pager"], QUICK);
    assert!(text(&o.stdout).contains("active (running)"), "{}", text(&o.stdout));
    let o = c.exec(&["service", "nginx", "status"], QUICK);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = c.exec(&["journalctl", "-u", "early.service", "--no-pager", "-o", "cat"], QUICK);
    assert!(o.status.success(), "journalctl -u: {}", text(&o.stderr));
    // Halt as systemd images ask for it.
    let t0 = Instant::now();
    docker_ok(&["kill", "-s", "SIGRTMIN+3", &c.name], QUICK);
    let code = docker_ok(&["wait", &c.name], Duration::from_secs(30));
    eprintln!("{init:?}: SIGRTMIN+3 halt took {:.2} s", t0.elapsed().as_secs_f64());
    assert_eq!(code, "0", "console:\n{}", c.logs());
    assert_eq!(records(&c, "stopped"), ["late", "early"], "console:\n{}", c.logs());
}

/// Timers: one of the test's own, enabled into `timers.target`, starts
/// its service again and again; Debian's own enabled timers (apt, dpkg,
/// e2fsprogs; `fstrim.timer` is skipped in a container by its condition)
/// are waiting, and `list-timers` lists the same ones under either init.
fn timers_run_after_boot(init: Init) {
    let svc = format!(
        "[Unit]\nDescription=vigil test: tick\n[Service]\nType=oneshot\n\
         ExecStart=/bin/sh -c 'mkdir -p {STATE_DIR} && echo tick >> {STATE_DIR}/ticked'\n"
    );
    let timer = "[Unit]\nDescription=vigil test: tick timer\n[Timer]\nOnActiveSec=1\nOnUnitActiveSec=2\nAccuracySec=1us\n\
                 [Install]\nWantedBy=timers.target\n";
    let c = boot(
        init,
        "timer",
        &[],
        &[
            ("etc/systemd/system/tick.service", &svc),
            ("etc/systemd/system/tick.timer", timer),
            ("etc/systemd/system/timers.target.wants/tick.timer", "->/etc/systemd/system/tick.timer"),
        ],
    );
    wait_booted(&c);
    assert!(poll(Duration::from_secs(30), || records(&c, "ticked").len() >= 2), "tick.service ran {:?}; console:\n{}", records(&c, "ticked"), c.logs());
    let o = c.exec(&["systemctl", "list-timers", "--no-pager"], QUICK);
    let out = text(&o.stdout);
    assert!(o.status.success() && out.starts_with("NEXT "), "{out}{}", text(&o.stderr));
    let rows: Vec<&str> = out.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    // The systemd image has systemd's own `systemd-tmpfiles-clean.timer`
    // too; the packages' timers are the same in both.
    let mut listed: Vec<String> = rows
        .iter()
        .map(|l| l.split_whitespace().rev().take(2).collect::<Vec<_>>().join(" "))
        .filter(|l| !l.contains("systemd-"))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "apt-daily-upgrade.service apt-daily-upgrade.timer",
            "apt-daily.service apt-daily.timer",
            "dpkg-db-backup.service dpkg-db-backup.timer",
            "e2scrub_all.service e2scrub_all.timer",
            "tick.service tick.timer"
        ],
        "{out}"
    );
    let footer = format!("\n{} timers listed.\nPass --all to see loaded but inactive timers, too.\n", rows.len());
    assert!(out.contains(&footer), "{out}");
    assert_eq!(is_active(&c, &["timers.target", "apt-daily.timer", "fstrim.timer"]), "active\nactive\ninactive");
    let status = text(&c.exec(&["systemctl", "status", "--no-pager", "-n0", "apt-daily.timer"], QUICK).stdout);
    assert!(status.contains("     Active: active (waiting) since "), "{status}");
    assert!(status.lines().any(|l| l.starts_with("    Trigger: ") && l.ends_with(" left")), "{status}");
    assert!(status.contains("   Triggers: ● apt-daily.service"), "{status}");
    // Persistent=true: the stamp exists from the first start on.
    assert_eq!(c.sh("test -e /var/lib/systemd/timers/stamp-apt-daily.timer && echo yes", QUICK), "yes");
}

/// One test per (scenario, init), both run.
macro_rules! scenario_both {
    ($scenario:ident, $vigil:ident, $systemd:ident) => {
        #[test]
        fn $vigil() {
            $scenario(Init::Vigil);
        }

        #[test]
        fn $systemd() {
            $scenario(Init::Systemd);
        }
    };
}

scenario_both!(
    boots_to_default_target,
    vigil_boots_to_default_target,
    systemd_boots_to_default_target
);
scenario_both!(
    docker_stop_exits_zero_quickly,
    vigil_docker_stop_exits_zero_quickly,
    systemd_docker_stop_exits_zero_quickly
);
scenario_both!(
    systemctl_exit_sets_exit_code,
    vigil_systemctl_exit_sets_exit_code,
    systemd_systemctl_exit_sets_exit_code
);
scenario_both!(
    docker_restart_keeps_enabled_units,
    vigil_docker_restart_keeps_enabled_units,
    systemd_docker_restart_keeps_enabled_units
);
scenario_both!(
    unprivileged_container_degrades_visibly,
    vigil_unprivileged_container_degrades_visibly,
    systemd_unprivileged_container_degrades_visibly
);
scenario_both!(
    nginx_from_apt_serves_http,
    vigil_nginx_from_apt_serves_http,
    systemd_nginx_from_apt_serves_http
);
scenario_both!(
    apt_install_in_running_container_starts_through_init,
    vigil_apt_install_in_running_container_starts_through_init,
    systemd_apt_install_in_running_container_starts_through_init
);
scenario_both!(
    timers_run_after_boot,
    vigil_timers_run_after_boot,
    systemd_timers_run_after_boot
);
