//! The Docker test images and what vigil can do inside a container today,
//! without being PID 1 (containers here run `sleep infinity` or a single
//! command; `docker_init.rs` covers vigil as the container's init).
//!
//! - the images build once and are reused while the binary is unchanged;
//! - the binary and its tool-name symlinks work inside the image;
//! - a Debian package installed by apt inside the container (nginx) is
//!   judged by `vigil verify` exactly as systemd's own `systemd-analyze
//!   verify` judges the same files (the container's filesystem, exported
//!   to the host, where systemd 252 is the oracle).
//!
//! Needs a Docker engine and root (debootstrap); fails loudly without.

mod docker_common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use docker_common::*;

#[test]
fn images_build_once_and_are_reused() {
    let t0 = Instant::now();
    let first = ensure_images();
    eprintln!("ensure_images: {:.1} s", t0.elapsed().as_secs_f64());
    let base_id = docker_ok(&["image", "inspect", "-f", "{{.Id}}", BASE], QUICK);
    let image_id = docker_ok(&["image", "inspect", "-f", "{{.Id}}", image()], QUICK);

    // A second run changes nothing and says so.
    let t1 = Instant::now();
    let again = build_images(Duration::from_secs(120));
    let report = text(&again.stderr);
    assert!(again.status.success(), "scripts/docker-image failed:\n{report}");
    assert!(report.contains(&format!("reusing {BASE}")), "base image not reused:\n{report}");
    assert!(report.contains(&format!("reusing {}", image())), "vigil image not reused:\n{report}");
    eprintln!("reuse check: {:.1} s (first run reported:\n{first})", t1.elapsed().as_secs_f64());
    assert_eq!(docker_ok(&["image", "inspect", "-f", "{{.Id}}", BASE], QUICK), base_id);
    assert_eq!(docker_ok(&["image", "inspect", "-f", "{{.Id}}", image()], QUICK), image_id);

    // The image records which binary it holds, so a rebuilt binary is noticed.
    let sum = Command::new("sha256sum").arg(vigil_bin()).output().expect("run sha256sum");
    let sum = text(&sum.stdout);
    let sum = sum.split_whitespace().next().expect("sha256sum output");
    let label = docker_ok(&["image", "inspect", "-f", "{{index .Config.Labels \"org.vigil.test.binary-sha256\"}}", image()], QUICK);
    assert_eq!(label, sum, "{} does not hold the binary under test", image());

    // The example's init contract: vigil init as entry point, SIGTERM to stop.
    assert_eq!(docker_ok(&["image", "inspect", "-f", "{{json .Config.Entrypoint}}", image()], QUICK), r#"["/usr/local/bin/vigil","init"]"#);
    assert_eq!(docker_ok(&["image", "inspect", "-f", "{{.Config.StopSignal}}", image()], QUICK), "SIGTERM");

    // Small: minbase without docs; vigil adds its binary and nothing else.
    let base = image_size(BASE);
    let size = image_size(image());
    let bin = run_rm("size", &["--entrypoint", "stat"], image(), &["-c", "%s", "/usr/local/bin/vigil"], QUICK);
    let bin: u64 = text(&bin.stdout).trim().parse().expect("binary size");
    let added = size.saturating_sub(base);
    eprintln!(
        "sizes: base {:.1} MB, vigil-test {:.1} MB, added by vigil {:.2} MB (binary {:.2} MB)",
        base as f64 / 1e6,
        size as f64 / 1e6,
        added as f64 / 1e6,
        bin as f64 / 1e6
    );
    assert!(base < 120_000_000, "base image is {base} bytes; a docless minbase bookworm is about 75 MB");
    assert!(added >= bin && added < bin + 64 * 1024, "vigil adds {added} bytes for a {bin}-byte binary");
    let docs = run_rm(
        "docs",
        &["--entrypoint", "sh"],
        BASE,
        &["-c", "find /usr/share/doc /usr/share/man /usr/share/info -type f ! -name copyright | wc -l"],
        QUICK,
    );
    assert_eq!(text(&docs.stdout).trim(), "0", "the base image ships documentation");
}

#[test]
fn binary_and_tool_names_work_in_the_image() {
    ensure_images();
    let host = Command::new(vigil_bin()).arg("--version").output().expect("run vigil --version");
    let host = text(&host.stdout);
    assert!(host.starts_with("vigil "), "host vigil --version: {host:?}");

    // Not as PID 1: vigil started as PID 1 is init, whatever its arguments.
    let c = Container::run("version", &["--entrypoint", "sleep"], image(), &["infinity"]);
    assert_eq!(format!("{}\n", c.exec_ok(&["vigil", "--version"], QUICK)), host);
    // The symlinks pick the personality, and PATH finds them first.
    assert_eq!(format!("{}\n", c.exec_ok(&["systemctl", "--version"], QUICK)), host);
    drop(c);
    let script = "for t in systemctl journalctl service systemd-analyze; do p=$(command -v $t); echo \"$t $p $(readlink -f $p)\"; done";
    let o = run_rm("path", &["--entrypoint", "sh"], image(), &["-c", script], QUICK);
    let expected: String = ["systemctl", "journalctl", "service", "systemd-analyze"]
        .iter()
        .map(|t| format!("{t} /usr/local/bin/{t} /usr/local/bin/vigil\n"))
        .collect();
    assert_eq!(text(&o.stdout), expected);
}

/// Unit names in `Unit X not found.` messages, the way systemd-analyze
/// names a missing dependency.
fn missing_units(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("Unit ")? + 5..];
            let name = rest.strip_suffix(" not found.")?;
            Some(name.to_string())
        })
        .collect()
}

/// A container (`sleep infinity`, host network) with nginx installed by
/// apt, and its filesystem exported to the host.
fn nginx_container() -> (Container, TempDir) {
    ensure_images();
    let c = Container::run("nginx", &["--network", "host", "--entrypoint", "sleep"], image(), &["infinity"]);
    apt_install(&c, &["nginx"]);
    // The package enabled its unit the Debian way (deb-systemd-helper), and
    // policy-rc.d kept invoke-rc.d from starting it.
    c.sh("test -L /etc/systemd/system/multi-user.target.wants/nginx.service", QUICK);
    c.sh("! test -e /run/nginx.pid", QUICK);
    let root = TempDir::new("nginx-root");
    c.export_to(&root.path);
    (c, root)
}

/// minbase has no systemd package, hence no sysinit.target: nginx.service's
/// default dependencies cannot be loaded, so `systemd-analyze verify` fails
/// (exit 1) naming sysinit.target. vigil must fail the same way, inside the
/// container and on the exported root.
#[test]
fn nginx_from_apt_verifies_as_systemd_analyze_says() {
    let (c, root) = nginx_container();
    let name = c.name.clone();

    let inside = c.exec(&["vigil", "verify", "nginx.service"], QUICK);
    let inside_text = format!("{}{}", text(&inside.stdout), text(&inside.stderr));
    eprintln!("vigil verify nginx.service in {name}:\n{inside_text}");
    let via_link = c.exec(&["systemd-analyze", "verify", "nginx.service"], QUICK);
    assert_eq!(via_link.status.code(), inside.status.code(), "systemd-analyze symlink and vigil verify disagree");

    let root_arg = format!("--root={}", root.path.display());
    let oracle = run_timeout(
        Command::new("systemd-analyze").args(["verify", "--man=no", &root_arg, "nginx.service"]),
        Duration::from_secs(60),
    );
    let oracle_text = format!("{}{}", text(&oracle.stdout), text(&oracle.stderr));
    eprintln!("systemd-analyze verify --man=no {root_arg} nginx.service:\n{oracle_text}");
    assert_eq!(inside.status.code(), oracle.status.code(), "exit codes differ from systemd-analyze");
    assert_eq!(missing_units(&inside_text), missing_units(&oracle_text), "missing units named differently");
    assert!(missing_units(&oracle_text).contains("sysinit.target"), "oracle changed: {oracle_text}");

    let host = run_timeout(Command::new(vigil_bin()).args(["verify", &root_arg, "nginx.service"]), QUICK);
    assert_eq!(host.status.code(), inside.status.code(), "vigil --root on the export differs from vigil inside");

    drop(c);
    assert!(!container_exists(&name), "container {name} survived its guard");
}

/// The container's unit files through our systemctl must look exactly as
/// the real systemctl sees the exported root.
#[test]
fn list_unit_files_in_container_matches_systemctl() {
    let (c, root) = nginx_container();
    let ours = c.exec(&["systemctl", "--root=/", "list-unit-files", "--no-pager"], QUICK);
    let root_arg = format!("--root={}", root.path.display());
    let real = run_timeout(Command::new("systemctl").args([root_arg.as_str(), "list-unit-files", "--no-pager"]), QUICK);
    assert!(real.status.success(), "systemctl --root list-unit-files failed: {}", text(&real.stderr));
    assert_eq!(ours.status.code(), real.status.code(), "stderr: {}", text(&ours.stderr));
    assert_eq!(text(&ours.stdout), text(&real.stdout));
    assert!(text(&ours.stdout).contains("nginx.service"), "nginx.service not listed");
}
