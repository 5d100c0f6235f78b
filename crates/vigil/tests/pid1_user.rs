//! `--user` (issue 7, "with `--user` where it makes sense"): an
//! unprivileged user's manager — `nobody`, through `runuser`, with
//! `XDG_RUNTIME_DIR` and `XDG_CONFIG_HOME` in a temporary directory it
//! owns — starts a service of that user, restarts it when it is killed
//! (`Restart=always`), stops it, and exits; no root anywhere in the chain
//! except `runuser` itself.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::{pid_alive, stderr, stdout, vigil, wait_until};

struct UserManager {
    dir: PathBuf,
    daemon: Option<Child>,
}

impl UserManager {
    fn env(&self) -> [String; 3] {
        [
            format!("XDG_RUNTIME_DIR={}", self.dir.join("run").display()),
            format!("XDG_CONFIG_HOME={}", self.dir.join("config").display()),
            format!("HOME={}", self.dir.display()),
        ]
    }

    /// `runuser -u nobody -- env … vigil ARGS…`.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", "env"]).args(self.env()).arg(vigil()).args(args);
        c
    }

    fn ctl(&self, args: &[&str]) -> Output {
        let mut all = vec!["--user"];
        all.extend(args);
        self.command(&all).output().expect("run vigil --user")
    }

    fn main_pid(&self, unit: &str) -> i32 {
        stdout(&self.ctl(&["show", "-p", "MainPID", "--value", unit])).trim().parse().unwrap_or(0)
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            let _ = self.ctl(&["--no-autostart", "exit"]);
            if !wait_until(Duration::from_secs(10), || matches!(d.try_wait(), Ok(Some(_)))) {
                let _ = d.kill();
                let _ = d.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn uid_of(pid: i32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("Uid:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn chown_nobody(p: &Path) {
    let o = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(p).output().expect("chown");
    assert!(o.status.success(), "chown: {}", stderr(&o));
}

#[test]
fn unprivileged_user_manager_supervises_its_service() {
    if !common::is_root() {
        eprintln!("skipping unprivileged_user_manager_supervises_its_service: needs root to become nobody (runuser)");
        return;
    }
    let dir = PathBuf::from(format!("/tmp/vt-user-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let units = dir.join("config/systemd/user");
    std::fs::create_dir_all(&units).expect("mkdir");
    std::fs::create_dir_all(dir.join("run")).expect("mkdir");
    std::fs::write(
        units.join("ticker.service"),
        "[Unit]\nDescription=A user's ticker\n\n[Service]\nExecStart=/bin/sh -c 'echo ticking; exec sleep infinity'\nRestart=always\nRestartSec=100ms\nPrivateTmp=yes\n",
    )
    .expect("write unit");
    chown_nobody(&dir);
    // The binary must be reachable for nobody: the target/ tree is usually
    // world-readable; check rather than assume.
    let mut um = UserManager { dir, daemon: None };
    std::fs::set_permissions(um.dir.join("run"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let probe = um.command(&["--version"]).output().expect("runuser");
    assert!(probe.status.success(), "nobody cannot run {}: {}", vigil(), stderr(&probe));

    let daemon = um
        .command(&["daemon", "--user"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the user manager");
    um.daemon = Some(daemon);
    let control = um.dir.join("run/vigil/control");
    assert!(wait_until(Duration::from_secs(20), || control.exists()), "the user manager did not come up");

    let o = um.ctl(&["start", "ticker.service"]);
    assert!(o.status.success(), "start: {}", stderr(&o));
    assert_eq!(stdout(&um.ctl(&["is-active", "ticker.service"])).trim(), "active");
    let first = um.main_pid("ticker.service");
    assert!(first > 0 && pid_alive(first), "MainPID {first}");
    let nobody = stdout(&Command::new("id").args(["-u", "nobody"]).output().expect("id")).trim().parse::<u32>().expect("uid");
    assert_eq!(uid_of(first), Some(nobody), "the service runs as the user");
    // Its output is in the user's journal.
    let logged = wait_until(Duration::from_secs(10), || stdout(&um.ctl(&["status", "ticker.service", "--no-pager"])).contains("ticking"));
    assert!(logged, "status: {}", stdout(&um.ctl(&["status", "ticker.service", "--no-pager"])));
    // An unprivileged manager cannot make namespaces: status says the
    // sandboxing is not applied rather than dropping it silently.
    let status = stdout(&um.ctl(&["status", "ticker.service", "--no-pager"]));
    assert!(status.contains("Not yet: PrivateTmp"), "status: {status}");

    // Supervised: killed, it comes back with a new main process.
    // SAFETY: kill(2) of the service's process, started by this test.
    unsafe { libc::kill(first, libc::SIGKILL) };
    let mut second = 0;
    let back = wait_until(Duration::from_secs(20), || {
        second = um.main_pid("ticker.service");
        second > 0 && second != first && stdout(&um.ctl(&["is-active", "ticker.service"])).trim() == "active"
    });
    assert!(back, "not restarted after SIGKILL (MainPID {second})");

    let o = um.ctl(&["stop", "ticker.service"]);
    assert!(o.status.success(), "stop: {}", stderr(&o));
    assert_eq!(stdout(&um.ctl(&["is-active", "ticker.service"])).trim(), "inactive");
    assert!(wait_until(Duration::from_secs(10), || !pid_alive(second)), "the service's process survived stop");

    let o = um.ctl(&["exit"]);
    assert!(o.status.success(), "exit: {}", stderr(&o));
    let mut d = um.daemon.take().expect("daemon");
    assert!(wait_until(Duration::from_secs(10), || matches!(d.try_wait(), Ok(Some(_)))), "the user manager did not exit");
}
