//! Harness for the Docker tests: vigil inside real containers, driven
//! through the `docker` CLI.
//!
//! Images come from `scripts/docker-image` (no registry: a debootstrapped
//! base plus the binary under test, both reused while unchanged); every
//! test process calls [`ensure_images`] once, and the script's flock makes
//! parallel test processes wait for a single build.
//!
//! Rules that keep these tests robust:
//! - every container a test starts is owned by a [`Container`] guard that
//!   runs `docker rm -f` on drop, panics included; names are unique per
//!   process and test ([`unique_name`]);
//! - containers and images carry the label `org.vigil.test.pid=PID`; one
//!   whose test process is gone (killed by a timeout, say) is removed by
//!   the next run's [`ensure_images`];
//! - every docker command runs under a deadline ([`run_timeout`]) and every
//!   wait polls ([`poll`]); nothing sleeps for a fixed time;
//! - Docker must be there: these tests fail loudly when `docker info`
//!   fails, because every machine that runs this suite has an engine.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const BASE: &str = "vigil-test-base:bookworm";
/// `vigil-test:<first 12 digits of the binary's sha256>`: the image
/// holding the binary under test. `scripts/docker-image` also tags it
/// `vigil-test:latest`, but another checkout testing another binary at the
/// same time moves that tag; this one stays put.
pub fn image() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let o = Command::new("sha256sum").arg(vigil_bin()).output().expect("run sha256sum");
        let sum = String::from_utf8_lossy(&o.stdout);
        let sum = sum.split_whitespace().next().filter(|s| s.len() == 64).expect("sha256sum output");
        format!("vigil-test:{}", &sum[..12])
    })
}
/// The base plus Debian's systemd package, systemd as PID 1: the oracle.
pub const ORACLE: &str = "vigil-test-systemd:bookworm";
/// Label naming the test process that owns a container or image.
pub const OWNER_LABEL: &str = "org.vigil.test.pid";

/// Short docker commands (inspect, rm, exec of a quick tool).
pub const QUICK: Duration = Duration::from_secs(30);
/// `apt-get update && apt-get install` inside a container.
pub const APT: Duration = Duration::from_secs(300);

pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// Run `cmd` to completion, killing it and panicking when `limit` passes.
/// stdin is closed; stdout and stderr are captured.
pub fn run_timeout(cmd: &mut Command, limit: Duration) -> Output {
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {desc}: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout piped")));
    let err = reader(Box::new(child.stderr.take().expect("stderr piped")));
    let mut status = None;
    let finished = poll(limit, || {
        status = child.try_wait().expect("wait for child");
        status.is_some()
    });
    if !finished {
        let _ = child.kill();
        let _ = child.wait();
        let so = out.join().unwrap_or_default();
        let se = err.join().unwrap_or_default();
        panic!(
            "{desc} did not finish within {limit:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&so),
            String::from_utf8_lossy(&se)
        );
    }
    Output {
        status: status.expect("finished"),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Poll `cond` with a growing pause (1 ms … 100 ms) until it holds or
/// `limit` passes; returns whether it held.
pub fn poll(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    let mut pause = Duration::from_millis(1);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `docker ARGS…` under a deadline.
pub fn docker(args: &[&str], limit: Duration) -> Output {
    run_timeout(Command::new("docker").args(args), limit)
}

/// `docker ARGS…` that must succeed; returns its trimmed stdout.
pub fn docker_ok(args: &[&str], limit: Duration) -> String {
    let o = docker(args, limit);
    assert!(o.status.success(), "docker {args:?} failed ({}):\n{}{}", o.status, text(&o.stdout), text(&o.stderr));
    text(&o.stdout).trim().to_string()
}

/// Panics (the test fails) when no Docker engine answers.
pub fn require_docker() {
    let o = match Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]).output() {
        Ok(o) => o,
        Err(e) => panic!("Docker tests need the docker CLI on PATH: {e}"),
    };
    assert!(o.status.success(), "Docker tests need a running Docker engine; `docker info` failed:\n{}", text(&o.stderr));
}

/// The report `scripts/docker-image` printed when this process first made
/// sure the images exist (timings and sizes).
pub fn ensure_images() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| {
        require_docker();
        reap_orphans();
        let o = build_images(Duration::from_secs(1200));
        eprint!("{}", text(&o.stderr));
        assert!(o.status.success(), "scripts/docker-image failed ({})", o.status);
        text(&o.stderr)
    })
}

/// Like [`ensure_images`], and the systemd oracle image too.
pub fn ensure_oracle() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| {
        ensure_images();
        let o = build_images_with(&["--oracle"], Duration::from_secs(1200));
        eprint!("{}", text(&o.stderr));
        assert!(o.status.success(), "scripts/docker-image --oracle failed ({})", o.status);
        text(&o.stderr)
    })
}

/// Run `scripts/docker-image --binary <the binary under test>`.
pub fn build_images(limit: Duration) -> Output {
    build_images_with(&[], limit)
}

fn build_images_with(extra: &[&str], limit: Duration) -> Output {
    let script = repo_root().join("scripts/docker-image");
    run_timeout(Command::new(script).args(["--binary", vigil_bin()]).args(extra), limit)
}

/// Remove containers and images left by test processes that no longer run.
fn reap_orphans() {
    let alive = |pid: &str| -> bool {
        // A live pid that is not one of our test binaries is a reused pid.
        std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.starts_with("docker_")).unwrap_or(false)
    };
    let fmt = format!("{{{{.ID}}}} {{{{.Label \"{OWNER_LABEL}\"}}}}");
    let filter = format!("label={OWNER_LABEL}");
    let containers = docker_ok(&["ps", "-a", "--filter", &filter, "--format", &fmt], QUICK);
    for line in containers.lines() {
        if let Some((id, pid)) = line.split_once(' ') {
            if !alive(pid) {
                let _ = docker(&["rm", "-f", "-v", id], QUICK);
            }
        }
    }
    let images = docker_ok(&["images", "--filter", &filter, "--format", "{{.ID}}"], QUICK);
    for id in images.lines() {
        let pid = docker_ok(&["image", "inspect", "-f", &format!("{{{{index .Config.Labels \"{OWNER_LABEL}\"}}}}"), id], QUICK);
        if !alive(&pid) {
            let _ = docker(&["rmi", "-f", id], QUICK);
        }
    }
}

/// `vigil-t<pid>-<tag>-<n>`: unique per process, readable in `docker ps`.
pub fn unique_name(tag: &str) -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("vigil-t{}-{tag}-{n}", std::process::id())
}

pub fn owner_label() -> String {
    format!("{OWNER_LABEL}={}", std::process::id())
}

/// A container this test owns; `docker rm -f` on drop.
pub struct Container {
    pub name: String,
}

impl Container {
    /// `docker run -d --name … OPTS… IMAGE CMD…`.
    pub fn run(tag: &str, opts: &[&str], image: &str, cmd: &[&str]) -> Container {
        Self::make("run", tag, opts, image, cmd)
    }

    /// `docker create --name … OPTS… IMAGE CMD…`: files can be copied in
    /// before [`Container::start`].
    pub fn create(tag: &str, opts: &[&str], image: &str, cmd: &[&str]) -> Container {
        Self::make("create", tag, opts, image, cmd)
    }

    fn make(verb: &str, tag: &str, opts: &[&str], image: &str, cmd: &[&str]) -> Container {
        // The guard exists before docker does anything, so a half-made
        // container is removed too.
        let c = Container { name: unique_name(tag) };
        let label = owner_label();
        let mut args = vec![verb];
        if verb == "run" {
            args.push("-d");
        }
        args.extend(["--name", &c.name, "--label", &label]);
        args.extend(opts);
        args.push(image);
        args.extend(cmd);
        docker_ok(&args, Duration::from_secs(60));
        c
    }

    pub fn start(&self) {
        docker_ok(&["start", &self.name], Duration::from_secs(60));
    }

    /// `docker exec C ARGS…`.
    pub fn exec(&self, args: &[&str], limit: Duration) -> Output {
        let mut a = vec!["exec", self.name.as_str()];
        a.extend(args);
        docker(&a, limit)
    }

    /// `docker exec C ARGS…` that must succeed; returns trimmed stdout.
    pub fn exec_ok(&self, args: &[&str], limit: Duration) -> String {
        let o = self.exec(args, limit);
        assert!(
            o.status.success(),
            "in {}: {args:?} failed ({}):\n{}{}",
            self.name,
            o.status,
            text(&o.stdout),
            text(&o.stderr)
        );
        text(&o.stdout).trim().to_string()
    }

    /// `docker exec C sh -c SCRIPT` that must succeed.
    pub fn sh(&self, script: &str, limit: Duration) -> String {
        self.exec_ok(&["sh", "-c", script], limit)
    }

    /// `docker inspect -f FORMAT C`.
    pub fn inspect(&self, format: &str) -> String {
        docker_ok(&["inspect", "-f", format, &self.name], QUICK)
    }

    pub fn running(&self) -> bool {
        self.inspect("{{.State.Running}}") == "true"
    }

    /// stdout and stderr of PID 1 so far (the container's console).
    pub fn logs(&self) -> String {
        let o = docker(&["logs", &self.name], QUICK);
        format!("{}{}", text(&o.stdout), text(&o.stderr))
    }

    /// Copy host `src` (a directory's contents when it ends in `/.`) to
    /// `dest` in the container; works on created and stopped containers.
    pub fn copy_in(&self, src: &Path, dest: &str) {
        let to = format!("{}:{dest}", self.name);
        docker_ok(&["cp", &src.display().to_string(), &to], QUICK);
    }

    /// Read a file from the container, running or stopped.
    pub fn read_file(&self, path: &str) -> Option<String> {
        let dir = TempDir::new("cp");
        let from = format!("{}:{path}", self.name);
        let o = docker(&["cp", &from, &dir.path.display().to_string()], QUICK);
        if !o.status.success() {
            return None;
        }
        let name = Path::new(path).file_name()?;
        std::fs::read_to_string(dir.path.join(name)).ok()
    }

    /// The container's whole filesystem, unpacked into `dest`.
    pub fn export_to(&self, dest: &Path) {
        let script = format!("docker export '{}' | tar -x -C '{}'", self.name, dest.display());
        let o = run_timeout(Command::new("bash").args(["-o", "pipefail", "-c", &script]), Duration::from_secs(120));
        assert!(o.status.success(), "{script} failed: {}", text(&o.stderr));
    }

    /// Whether docker still knows this container.
    pub fn exists(&self) -> bool {
        container_exists(&self.name)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let o = docker(&["rm", "-f", "-v", &self.name], QUICK);
        if !o.status.success() && container_exists(&self.name) {
            eprintln!("warning: could not remove container {}: {}", self.name, text(&o.stderr));
        }
    }
}

pub fn container_exists(name: &str) -> bool {
    let filter = format!("name=^/?{name}$");
    !docker_ok(&["ps", "-a", "-q", "--filter", &filter], QUICK).is_empty()
}

/// `docker run --rm OPTS… IMAGE CMD…` in the foreground; the container
/// is removed even when the deadline passes.
pub fn run_rm(tag: &str, opts: &[&str], image: &str, cmd: &[&str], limit: Duration) -> Output {
    let guard = Container { name: unique_name(tag) };
    let label = owner_label();
    let mut args = vec!["run", "--rm", "--name", guard.name.as_str(), "--label", label.as_str()];
    args.extend(opts);
    args.push(image);
    args.extend(cmd);
    docker(&args, limit)
}

/// An image this test made (`docker commit`); `docker rmi -f` on drop.
pub struct Image {
    pub tag: String,
}

impl Image {
    /// Commit `c` as a new image, with `changes` (`--change` lines such as
    /// `ENTRYPOINT [...]`).
    pub fn commit(c: &Container, changes: &[&str]) -> Image {
        let img = Image { tag: format!("{}:latest", unique_name("img")) };
        let label = format!("LABEL {}", owner_label());
        let mut args = vec!["commit", "--change", &label];
        for ch in changes {
            args.extend(["--change", ch]);
        }
        args.extend([c.name.as_str(), img.tag.as_str()]);
        docker_ok(&args, Duration::from_secs(120));
        img
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = docker(&["rmi", "-f", &self.tag], QUICK);
    }
}

/// A host directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique_name(tag));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `docker image inspect` size in bytes.
pub fn image_size(image: &str) -> u64 {
    docker_ok(&["image", "inspect", "-f", "{{.Size}}", image], QUICK).parse().expect("image size")
}

/// Install `packages` from Debian inside a container started with
/// `--network host`, with a policy-rc.d that denies every service start
/// during installation (Debian's convention for chroots and images:
/// invoke-rc.d exits 101 "action forbidden by policy").
pub fn apt_install(c: &Container, packages: &[&str]) {
    c.sh(
        "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d",
        QUICK,
    );
    let script = format!(
        "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends {} 2>&1",
        packages.join(" ")
    );
    let t0 = Instant::now();
    let out = c.exec(&["sh", "-c", &script], APT);
    assert!(out.status.success(), "apt-get install {packages:?} failed:\n{}", text(&out.stdout));
    eprintln!("apt-get install {} took {:.1} s", packages.join(" "), t0.elapsed().as_secs_f64());
}
