//! Sandboxing (`systemd.exec(5)`): a service with every file-system and
//! namespace setting vigil applies checks, from inside, what it can see
//! and change, and writes its findings where `ReadWritePaths=` lets it.
//! The host is checked afterwards: nothing of the service's writes leaked
//! out, its private `/tmp` is gone. Needs root (mount namespaces).

mod common;

use std::process::{Child, Command};
use std::time::Duration;

use common::*;

struct Manager {
    root: TestRoot,
    child: Child,
    /// The service's files: outside /tmp, which `PrivateTmp=` replaces.
    data: std::path::PathBuf,
}

impl Manager {
    fn start(name: &str, unit: &str, script: &str) -> Manager {
        let root = TestRoot::new(name);
        let data = std::path::PathBuf::from(format!("/var/lib/vigil-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        let r = data.display().to_string();
        let dir = root.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("box.service"), unit.replace("@ROOT@", &r)).unwrap();
        let check = data.join("check.sh");
        // A file in the host's /tmp that a private /tmp must not show.
        let mark = root.path.join("host-mark");
        std::fs::write(&mark, "").unwrap();
        let script = script.replace("@ROOT@", &r).replace("@HOSTMARK@", &mark.display().to_string());
        std::fs::write(&check, format!("#!/bin/sh\n{script}")).unwrap();
        Command::new("chmod").arg("755").arg(&check).status().unwrap();
        let child = Command::new(vigil())
            .args(["daemon", &root.root_arg()])
            .env("VIGIL_JOURNAL", "off")
            .stderr(std::fs::File::create(root.path.join("console.log")).unwrap())
            .spawn()
            .unwrap();
        // The socket file appears at bind(), before listen(): wait until a
        // connection succeeds.
        let up = || std::os::unix::net::UnixStream::connect(root.control()).is_ok();
        assert!(wait_until(Duration::from_secs(5), up), "manager did not start");
        Manager { root, child, data }
    }

    fn console(&self) -> String {
        std::fs::read_to_string(self.root.path.join("console.log")).unwrap_or_default()
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        let _ = self.root.vigil(&["--no-autostart", "exit"]);
        if !wait_until(Duration::from_secs(20), || matches!(self.child.try_wait(), Ok(Some(_)))) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

const UNIT: &str = "[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=@ROOT@/check.sh
ProtectSystem=strict
ReadWritePaths=@ROOT@/out
PrivateTmp=yes
ProtectHome=yes
InaccessiblePaths=@ROOT@/secret
TemporaryFileSystem=@ROOT@/scratch
BindReadOnlyPaths=@ROOT@/src:@ROOT@/dst
ProtectKernelTunables=yes
ProtectKernelLogs=yes
ProtectHostname=yes
PrivateNetwork=yes
PrivateDevices=yes
PrivateIPC=yes
ProtectProc=invisible
";

/// Each line: a finding the test looks for. Writes into /proc/sys re-write
/// the value already there, so a sandbox that failed changes nothing.
const SCRIPT: &str = r#"out=@ROOT@/out/result
: > $out
say() { echo "$1" >> $out; }
if touch /usr/.vigil-sandbox-probe 2>/dev/null; then say usr-writable; rm -f /usr/.vigil-sandbox-probe; else say usr-readonly; fi
if touch @ROOT@/elsewhere 2>/dev/null; then say root-writable; else say root-readonly; fi
echo private > /tmp/probe && if [ -e @HOSTMARK@ ]; then say tmp-shared; else say tmp-private; fi
if [ -e @ROOT@/secret/file ]; then say secret-visible; else say secret-hidden; fi
if touch @ROOT@/scratch/x 2>/dev/null; then say scratch-writable; fi
if cat @ROOT@/dst/f >/dev/null 2>&1; then say bind-readable; fi
if touch @ROOT@/dst/g 2>/dev/null; then say bind-writable; else say bind-readonly; fi
if v=$(cat /proc/sys/kernel/core_uses_pid); then
  if echo "$v" > /proc/sys/kernel/core_uses_pid 2>/dev/null; then say sysctl-writable; else say sysctl-readonly; fi
fi
if hostname vigil-sandboxed 2>/dev/null; then say "hostname $(hostname)"; fi
say "interfaces $(tail -n +3 /proc/net/dev | wc -l)"
if [ -e /dev/null ] && [ ! -e /dev/kmsg ]; then say dev-private; fi
if [ -d /home ] && [ -z "$(ls -A /home 2>/dev/null)" ]; then say home-empty; fi
if grep -q " /proc .*hidepid=invisible" /proc/self/mountinfo; then say proc-private; fi
say "ipc $(readlink /proc/self/ns/ipc)"
"#;

#[test]
fn a_sandboxed_service_sees_what_its_settings_say_and_leaves_nothing_behind() {
    if !is_root() {
        eprintln!("skipped: sandboxing needs root (mount namespaces)");
        return;
    }
    let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let m = Manager::start("sandbox", UNIT, SCRIPT);
    let p = |s: &str| m.data.join(s);
    for d in ["out", "secret", "scratch", "src", "dst"] {
        std::fs::create_dir_all(p(d)).unwrap();
    }
    std::fs::write(p("secret/file"), "s").unwrap();
    std::fs::write(p("src/f"), "f").unwrap();
    let out = m.root.vigil(&["--no-autostart", "start", "box.service"]);
    assert!(out.status.success(), "start failed: {}\nconsole:\n{}", stderr(&out), m.console());
    let result = std::fs::read_to_string(p("out/result")).unwrap_or_default();
    for want in [
        "usr-readonly",
        "root-readonly",
        "tmp-private",
        "secret-hidden",
        "scratch-writable",
        "bind-readable",
        "bind-readonly",
        "sysctl-readonly",
        "hostname vigil-sandboxed",
        "interfaces 1",
        "dev-private",
        "home-empty",
        "proc-private",
    ] {
        assert!(result.lines().any(|l| l == want), "missing {want:?} in:\n{result}\nconsole:\n{}", m.console());
    }
    let host_ipc = std::fs::read_link("/proc/self/ns/ipc").unwrap().display().to_string();
    assert!(result.lines().any(|l| l.starts_with("ipc ipc:[") && l != format!("ipc {host_ipc}")), "PrivateIPC=: {result}");
    // Nothing leaked to the host.
    assert_eq!(std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(), host_name);
    assert!(!p("elsewhere").exists());
    assert!(!p("scratch/x").exists(), "the tmpfs was the host's directory");
    assert!(!p("dst/f").exists(), "the bind mount leaked to the host");
    let private: Vec<_> = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("vigil-private-box.service-"))
        .collect();
    assert_eq!(private.len(), 1, "one private /tmp while the unit is active");
    assert!(private[0].path().join("tmp/probe").exists());
    // Stopping the unit removes its private /tmp and /var/tmp.
    assert!(m.root.vigil(&["--no-autostart", "stop", "box.service"]).status.success());
    assert!(!private[0].path().exists(), "private /tmp left after stop");
    let var_tmp = std::path::Path::new("/var/tmp").join(private[0].file_name());
    assert!(!var_tmp.exists(), "private /var/tmp left after stop");
}

#[test]
fn a_missing_path_fails_the_start_with_namespace_unless_prefixed_with_a_dash() {
    if !is_root() {
        eprintln!("skipped: sandboxing needs root (mount namespaces)");
        return;
    }
    let unit = "[Service]\nType=oneshot\nExecStart=@ROOT@/check.sh\nReadOnlyPaths=@ROOT@/nowhere\n";
    let m = Manager::start("sandbox-missing", unit, "true\n");
    let out = m.root.vigil(&["--no-autostart", "start", "box.service"]);
    assert!(!out.status.success());
    let show = m.root.vigil(&["--no-autostart", "show", "-p", "ExecMainStatus", "--value", "box.service"]);
    assert_eq!(stdout(&show).trim(), "226", "console:\n{}", m.console());
    let unit = unit.replace("ReadOnlyPaths=@ROOT@", "ReadOnlyPaths=-@ROOT@").replace("@ROOT@", &m.data.display().to_string());
    std::fs::write(m.root.path.join("etc/systemd/system/box.service"), unit).unwrap();
    assert!(m.root.vigil(&["--no-autostart", "daemon-reload"]).status.success());
    let out = m.root.vigil(&["--no-autostart", "start", "box.service"]);
    assert!(out.status.success(), "{}\nconsole:\n{}", stderr(&out), m.console());
}
