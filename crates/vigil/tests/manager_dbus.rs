//! `Type=dbus` (`systemd.service(5)`): the service is started once its
//! `BusName=` has an owner on the bus. With a private `dbus-daemon` at the
//! root's system-bus socket, the unit stays `activating` until its process
//! takes the name (`dbus-test-tool black-hole --name=…`, from Debian's
//! dbus-tests, installed by scripts/test-deps), then is `active`. Without a
//! bus (dbus.socket started, nothing answering on the bus socket) it runs
//! as `Type=simple` and the journal says so.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

struct Setup {
    root: TestRoot,
    manager: Child,
    _bus: Option<Bus>,
}

/// The private dbus-daemon, killed when dropped — also when the test
/// fails before `Setup` exists (a manager that does not start).
struct Bus(Child);

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Setup {
    fn new(name: &str, unit: &str, with_bus: bool) -> Setup {
        let root = TestRoot::new(name);
        let r = root.path.display().to_string();
        let dir = root.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("named.service"), unit.replace("@ROOT@", &r)).unwrap();
        // Type=dbus requires and is ordered after dbus.socket
        // (systemd.service(5)); the bus itself is the test's dbus-daemon,
        // so this socket only has to start (it is never triggered).
        std::fs::write(
            dir.join("dbus.socket"),
            format!("[Socket]\nListenStream={r}/run/dbus/unused\nService=dbus-unused.service\n"),
        )
        .unwrap();
        std::fs::write(dir.join("dbus-unused.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
        let bus = with_bus.then(|| {
            for tool in ["/usr/bin/dbus-daemon", "/usr/bin/dbus-test-tool"] {
                assert!(std::path::Path::new(tool).exists(), "{tool} missing: run scripts/test-deps");
            }
            let sock = root.path.join("run/dbus/system_bus_socket");
            std::fs::create_dir_all(sock.parent().unwrap()).unwrap();
            let child = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile", &format!("--address=unix:path={}", sock.display())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let bus = Bus(child);
            let up = || std::os::unix::net::UnixStream::connect(&sock).is_ok();
            assert!(wait_until(Duration::from_secs(10), up), "dbus-daemon did not start");
            bus
        });
        let manager = Command::new(vigil())
            .args(["daemon", &root.root_arg()])
            .env("VIGIL_JOURNAL", "off")
            .env_remove("DBUS_SYSTEM_BUS_ADDRESS")
            .stderr(std::fs::File::create(root.path.join("console.log")).unwrap())
            .spawn()
            .unwrap();
        let up = || std::os::unix::net::UnixStream::connect(root.control()).is_ok();
        assert!(wait_until(Duration::from_secs(5), up), "manager did not start");
        Setup { root, manager, _bus: bus }
    }

    fn ctl(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["--no-autostart"];
        a.extend_from_slice(args);
        self.root.vigil(&a)
    }

    fn state(&self) -> String {
        stdout(&self.ctl(&["is-active", "named.service"])).trim().to_string()
    }

    fn console(&self) -> String {
        std::fs::read_to_string(self.root.path.join("console.log")).unwrap_or_default()
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path.join(p)
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.ctl(&["exit"]);
        if !wait_until(Duration::from_secs(20), || matches!(self.manager.try_wait(), Ok(Some(_)))) {
            let _ = self.manager.kill();
        }
        let _ = self.manager.wait();
    }
}

const UNIT: &str = "[Service]
Type=dbus
BusName=org.vigil.Test1
Environment=DBUS_SESSION_BUS_ADDRESS=unix:path=@ROOT@/run/dbus/system_bus_socket
ExecStart=/bin/sh -c 'while [ ! -e @ROOT@/go ]; do sleep 0.05; done; exec dbus-test-tool black-hole --session --name=org.vigil.Test1'
";

#[test]
fn a_dbus_service_is_started_when_its_name_appears_on_the_bus() {
    let s = Setup::new("dbus-bus", UNIT, true);
    assert!(s.ctl(&["start", "--no-block", "named.service"]).status.success());
    // The process runs, but has not taken the name: still starting.
    assert!(wait_until(Duration::from_secs(10), || s.state() == "activating"), "state {}; console:\n{}", s.state(), s.console());
    let pid: u32 = stdout(&s.ctl(&["show", "-p", "MainPID", "--value", "named.service"])).trim().parse().unwrap_or(0);
    assert!(pid > 0, "no main process while waiting for the name");
    assert_eq!(s.state(), "activating");
    std::fs::write(s.path("go"), "").unwrap();
    assert!(wait_until(Duration::from_secs(10), || s.state() == "active"), "state {}; console:\n{}", s.state(), s.console());
    assert!(s.console().contains("Connected to the D-Bus bus"), "console:\n{}", s.console());
    assert!(s.ctl(&["stop", "named.service"]).status.success());
    assert_eq!(s.state(), "inactive");
    // A second start finds the bus connection already there.
    std::fs::remove_file(s.path("go")).unwrap();
    assert!(s.ctl(&["start", "--no-block", "named.service"]).status.success());
    assert!(wait_until(Duration::from_secs(10), || s.state() == "activating"));
    std::fs::write(s.path("go"), "").unwrap();
    assert!(wait_until(Duration::from_secs(10), || s.state() == "active"), "console:\n{}", s.console());
}

#[test]
fn without_a_bus_a_dbus_service_runs_as_simple_and_says_so() {
    let s = Setup::new("dbus-nobus", "[Service]\nType=dbus\nBusName=org.vigil.Nobody\nExecStart=/bin/sleep 1000\n", false);
    assert!(s.ctl(&["start", "named.service"]).status.success(), "console:\n{}", s.console());
    assert_eq!(s.state(), "active");
    assert!(s.console().contains("no D-Bus system bus to watch BusName= on"), "console:\n{}", s.console());
}
