//! vigil as PID 1 of a private namespace on this machine's real root,
//! with the host untouched (issue 7).
//!
//! `unshare --fork --pid --mount --net --mount-proc` starts [`NS_SH`] as
//! PID 1 of fresh PID, mount and network namespaces. The script makes the
//! namespace look like a container built on the host's root:
//!
//! - an overlay whose lower layer is `/` and whose upper layer is a tmpfs:
//!   every write (package state, postgres' data, logs, `apt-get
//!   install --reinstall`) lands in memory and vanishes with the
//!   namespace, while every package installed on the host is there;
//! - a private `/dev` (the usual device nodes bound from the host, a new
//!   devpts instance), `/run` and `/tmp` on tmpfs, `/proc` of the new PID
//!   namespace with `/proc/sys` read-only, as container runtimes mount it
//!   (systemd's own units skip kernel tuning then); or, with
//!   [`Namespace::boot_bare`], as a microVM has them: no `/run` mounted
//!   before init (vigil mounts it) and `/proc/sys` writable;
//! - `lo` up in the private network namespace: ports 80, 22, 5432… never
//!   clash with the host or other tests;
//! - PID 1 moved into its own cgroup `unified/vigil-pid1-HOSTPID`, so two
//!   such namespaces (whose managers are both "PID 1") never share the
//!   `vigil-1` group vigil creates below its own;
//! - the test's "kit" copied over the root, `vigil install --prefix=/usr
//!   --force` run (so `systemctl`, `journalctl`, `service` are vigil's,
//!   also for maintainer scripts, which apt runs with
//!   `PATH=/usr/sbin:/usr/bin:/sbin:/bin`), and finally
//!   `exec chroot ROOT /usr/bin/vigil init --unit UNIT`.
//!
//! Commands run inside through `nsenter` into the manager's namespaces
//! and root. Dropping a [`Namespace`] kills what is left (SIGKILL to its
//! PID 1 takes the whole PID namespace with it) and removes the cgroup
//! and the work directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::common::{pid_alive, vigil, wait_until};

/// The namespace's PID 1 before it becomes vigil. Arguments: work dir,
/// cgroup dir, vigil binary, unit to boot.
pub const NS_SH: &str = r#"
set -eu
T=$1 CG=$2 VIGIL=$3 UNIT=$4
mkdir -p "$CG"
echo $$ > "$CG/cgroup.procs"
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs "$T/layers"
mkdir -p "$T/layers/upper" "$T/layers/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/layers/upper,workdir=$T/layers/work" "$T/root"
R=$T/root
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
if [ -z "${BARE:-}" ]; then
  mount --bind "$R/proc/sys" "$R/proc/sys"
  mount -o remount,bind,ro "$R/proc/sys"
fi
mount --rbind /sys "$R/sys"
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for n in null zero full random urandom tty; do
  touch "$R/dev/$n"
  mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
[ -n "${BARE:-}" ] || mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
ip link set lo up
cp -a "$T/kit/." "$R/"
# Package-time starts are allowed in here (the host denies them).
rm -f "$R/usr/sbin/policy-rc.d"
# The binary under test may live under a path the namespace hides (a
# checkout in /tmp, now a fresh tmpfs): copy it into the root first.
cp "$VIGIL" "$R/.vigil-under-test"
cd "$R"
chroot . /.vigil-under-test install --prefix /usr --force >/dev/null
exec chroot . /usr/bin/vigil init --unit "$UNIT"
"#;

pub struct Namespace {
    pub dir: PathBuf,
    pub cgroup: PathBuf,
    unshare: Child,
    /// Host pid of the namespace's PID 1 (vigil).
    pub pid: i32,
    /// `/proc/PID/ns/pid` of the namespace, to find its processes.
    pub pidns: String,
}

fn cgroup2_mount() -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (_, post) = l.split_once(" - ")?;
        let target = l.split_whitespace().nth(4)?;
        (post.split_whitespace().next() == Some("cgroup2")).then(|| PathBuf::from(target))
    })
}

/// Why this machine cannot run the namespace tests, if it cannot.
pub fn unsupported() -> Option<String> {
    if !crate::common::is_root() {
        return Some("needs root (unshare, mount, overlay)".into());
    }
    for tool in ["unshare", "nsenter", "chroot", "ip"] {
        let found = std::env::var("PATH").unwrap_or_default().split(':').any(|d| Path::new(d).join(tool).exists());
        if !found {
            return Some(format!("needs {tool}"));
        }
    }
    if !std::fs::read_to_string("/proc/filesystems").unwrap_or_default().contains("overlay") {
        return Some("needs overlayfs".into());
    }
    None
}

impl Namespace {
    /// Boots `unit` with the `kit` tree (a directory copied over the root).
    pub fn boot(name: &str, unit: &str, kit: &Path) -> Namespace {
        Namespace::start(name, unit, kit, false)
    }

    /// As [`Namespace::boot`], but set up like a bare machine (a microVM)
    /// rather than a container: no `/run` mounted before init, and
    /// `/proc/sys` writable.
    pub fn boot_bare(name: &str, unit: &str, kit: &Path) -> Namespace {
        Namespace::start(name, unit, kit, true)
    }

    fn start(name: &str, unit: &str, kit: &Path, bare: bool) -> Namespace {
        let dir = PathBuf::from(format!("/tmp/vp1-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["layers", "root"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        let status = Command::new("cp").arg("-a").arg(kit).arg(dir.join("kit")).status().expect("cp kit");
        assert!(status.success(), "copying the kit failed");
        std::fs::write(dir.join("ns.sh"), NS_SH).expect("write ns.sh");
        let cg_base = cgroup2_mount().unwrap_or_else(|| PathBuf::from("/sys/fs/cgroup"));
        let cgroup = cg_base.join(format!("vigil-pid1-{name}-{}", std::process::id()));
        let console = std::fs::File::create(dir.join("console")).expect("console file");
        let unshare = Command::new("unshare")
            .args(["--fork", "--pid", "--mount", "--net", "--mount-proc", "sh"])
            .arg(dir.join("ns.sh"))
            .arg(&dir)
            .arg(&cgroup)
            .arg(vigil())
            .arg(unit)
            .env("BARE", if bare { "1" } else { "" })
            .stdin(Stdio::null())
            .stdout(console.try_clone().expect("dup"))
            .stderr(console)
            .spawn()
            .expect("run unshare");
        let mut ns = Namespace { dir, cgroup, pid: 0, pidns: String::new(), unshare };
        // The forked child of unshare becomes vigil once ns.sh execs.
        let upid = ns.unshare.id();
        let found = wait_until(Duration::from_secs(30), || {
            let kids = std::fs::read_to_string(format!("/proc/{upid}/task/{upid}/children")).unwrap_or_default();
            let Some(pid) = kids.split_whitespace().next().and_then(|p| p.parse::<i32>().ok()) else { return false };
            ns.pid = pid;
            std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim() == "vigil").unwrap_or(false)
        });
        assert!(found, "vigil did not become PID 1 of the namespace; console:\n{}", ns.console());
        ns.pidns = std::fs::read_link(format!("/proc/{}/ns/pid", ns.pid)).map(|p| p.display().to_string()).unwrap_or_default();
        let up = wait_until(Duration::from_secs(30), || ns.sh("test -S /run/vigil/control").status.success());
        assert!(up, "the manager never answered; console:\n{}", ns.console());
        ns
    }

    /// What vigil printed on its console so far.
    pub fn console(&self) -> String {
        std::fs::read_to_string(self.dir.join("console")).unwrap_or_default()
    }

    /// Runs `sh -c script` inside the namespace (its root, PID and network
    /// namespaces), with a deadline.
    pub fn sh_timeout(&self, script: &str, timeout: Duration) -> Output {
        let mut child = Command::new("nsenter")
            .args(["-t", &self.pid.to_string(), "-m", "-p", "-n", "-r", "-w", "--", "/usr/bin/env", "-i"])
            .args(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "TERM=dumb"])
            .args(["/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nsenter");
        let pid = child.id() as i32;
        let done = wait_until(timeout, || matches!(child.try_wait(), Ok(Some(_))));
        if !done {
            // SAFETY: kill(2) of our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let out = child.wait_with_output().expect("wait nsenter");
        assert!(done, "`{script}` did not finish in {timeout:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        out
    }

    pub fn sh(&self, script: &str) -> Output {
        self.sh_timeout(script, Duration::from_secs(30))
    }

    /// stdout of a script that must succeed.
    pub fn ok(&self, script: &str) -> String {
        let o = self.sh(script);
        assert!(
            o.status.success(),
            "`{script}` failed ({}):\n{}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// Host pids whose PID namespace is this one.
    pub fn processes(&self) -> Vec<i32> {
        let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| std::fs::read_link(format!("/proc/{p}/ns/pid")).map(|l| l.display().to_string() == self.pidns).unwrap_or(false))
            .collect()
    }

    /// SIGTERM to PID 1; waits for the namespace to end and returns
    /// unshare's exit code (vigil's, as PID 1's exit status).
    pub fn terminate(&mut self, deadline: Duration) -> Option<i32> {
        // SAFETY: kill(2) of the namespace's init, which we started.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
        let mut code = None;
        let done = wait_until(deadline, || match self.unshare.try_wait() {
            Ok(Some(st)) => {
                code = st.code();
                true
            }
            _ => false,
        });
        assert!(done, "the namespace did not end in {deadline:?} after SIGTERM; console:\n{}", self.console());
        code
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if matches!(self.unshare.try_wait(), Ok(None)) {
            if self.pid > 0 && pid_alive(self.pid) {
                // SAFETY: kill(2) of the namespace's init: the kernel then
                // kills every process of the PID namespace.
                unsafe { libc::kill(self.pid, libc::SIGKILL) };
            }
            let _ = self.unshare.kill();
            let _ = self.unshare.wait();
        }
        // Cgroups left by the manager (deepest first), then ours; a group
        // stays busy for a moment after its last process died.
        wait_until(Duration::from_secs(10), || {
            let _ = Command::new("find")
                .arg(&self.cgroup)
                .args(["-depth", "-type", "d", "-exec", "rmdir", "{}", ";"])
                .stderr(Stdio::null())
                .status();
            !self.cgroup.exists()
        });
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
