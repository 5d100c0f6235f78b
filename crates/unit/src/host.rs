//! Reading the [`Host`] facts specifiers need, from a root directory.
//!
//! Files are read inside the root (`--root=DIR` gives that tree's
//! machine-id and os-release, as `systemctl --root` would), while facts of
//! the running kernel (boot id, kernel release, architecture, hostname when
//! `/etc/hostname` is absent) come from the running system, because that is
//! where the units will run.

use std::path::Path;

use crate::paths::{in_root, Scope};
use crate::specifier::Host;

/// systemd's name for the architecture we were built for
/// (`systemd.unit(5)`, `ConditionArchitecture=`).
pub fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "loongarch64" => "loongarch64",
        "mips64" => "mips64",
        other => other,
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Parse os-release (`os-release(5)`): `KEY=value` lines, optional quotes.
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.replace("\\\"", "\"").replace("\\\\", "\\")))
        })
        .collect()
}

/// A user's name, uid, gid, home and shell from the root's `/etc/passwd`.
fn passwd_entry(root: &Path, uid: u32) -> Option<(String, u32, String, String)> {
    let text = std::fs::read_to_string(in_root(root, Path::new("/etc/passwd"))).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid) {
            Some((f[0].to_string(), f[3].parse().ok()?, f[5].to_string(), f[6].to_string()))
        } else {
            None
        }
    })
}

fn group_name(root: &Path, gid: u32) -> Option<String> {
    let text = std::fs::read_to_string(in_root(root, Path::new("/etc/group"))).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && f[2].parse::<u32>().ok() == Some(gid)).then(|| f[0].to_string())
    })
}

impl Host {
    /// Gather the facts for a manager of `scope` whose user is `uid`/`gid`,
    /// reading configuration files from `root`.
    pub fn detect(root: &Path, scope: Scope, uid: u32, gid: u32) -> Host {
        let f = |p: &str| in_root(root, Path::new(p));
        let os = std::fs::read_to_string(f("/etc/os-release"))
            .or_else(|_| std::fs::read_to_string(f("/usr/lib/os-release")))
            .map(|t| parse_os_release(&t))
            .unwrap_or_default();
        let osv = |k: &str| os.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let kernel_hostname = read_trimmed(Path::new("/proc/sys/kernel/hostname"));
        let hostname = read_trimmed(&f("/etc/hostname"))
            .or(kernel_hostname)
            .unwrap_or_else(|| "localhost".to_string());
        let pretty = std::fs::read_to_string(f("/etc/machine-info"))
            .ok()
            .and_then(|t| parse_os_release(&t).into_iter().find(|(k, _)| k == "PRETTY_HOSTNAME"))
            .map(|(_, v)| v);
        let (user_name, home, shell) = match (scope, passwd_entry(root, uid)) {
            // systemd.unit(5): for the system manager %u/%h/%s resolve to
            // root's values.
            (Scope::System, _) => ("root".to_string(), "/root".to_string(), "/bin/sh".to_string()),
            (_, Some((n, _, h, s))) => (n, h, s),
            (_, None) => (
                std::env::var("USER").unwrap_or_else(|_| uid.to_string()),
                std::env::var("HOME").unwrap_or_else(|_| "/".to_string()),
                std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".to_string()),
            ),
        };
        let group = if scope == Scope::System {
            "root".to_string()
        } else {
            group_name(root, gid).unwrap_or_else(|| gid.to_string())
        };
        let xdg = |var: &str, default: &str| -> Option<std::path::PathBuf> {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(Into::into)
                .or_else(|| (!default.is_empty()).then(|| Path::new(&home).join(default)))
        };
        let user_scope = scope != Scope::System;
        Host {
            machine_id: read_trimmed(&f("/etc/machine-id")),
            boot_id: read_trimmed(Path::new("/proc/sys/kernel/random/boot_id")).map(|b| b.replace('-', "")),
            hostname,
            pretty_hostname: pretty,
            kernel_release: nix_uname_release(),
            architecture: architecture().to_string(),
            os_id: osv("ID"),
            os_version_id: osv("VERSION_ID"),
            os_build_id: osv("BUILD_ID"),
            os_variant_id: osv("VARIANT_ID"),
            os_image_id: osv("IMAGE_ID"),
            os_image_version: osv("IMAGE_VERSION"),
            user_name,
            uid: if user_scope { uid } else { 0 },
            group_name: group,
            gid: if user_scope { gid } else { 0 },
            home: home.clone().into(),
            shell: shell.into(),
            user_runtime_dir: if user_scope { xdg("XDG_RUNTIME_DIR", "") } else { None },
            user_state_dir: if user_scope { xdg("XDG_STATE_HOME", ".local/state") } else { None },
            user_cache_dir: if user_scope { xdg("XDG_CACHE_HOME", ".cache") } else { None },
            user_config_dir: if user_scope { xdg("XDG_CONFIG_HOME", ".config") } else { None },
            user_log_dir: if user_scope {
                xdg("XDG_STATE_HOME", ".local/state").map(|p| p.join("log"))
            } else {
                None
            },
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY").map(Into::into),
        }
    }
}

/// The running kernel's release (`uname -r`).
fn nix_uname_release() -> String {
    read_trimmed(Path::new("/proc/sys/kernel/osrelease")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes() {
        let kv = parse_os_release("# c\nID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME='Debian GNU/Linux'\n\nX=\"a \\\"b\\\"\"\n");
        assert_eq!(
            kv,
            vec![
                ("ID".into(), "debian".into()),
                ("VERSION_ID".into(), "12".into()),
                ("PRETTY_NAME".into(), "Debian GNU/Linux".into()),
                ("X".into(), "a \"b\"".into()),
            ]
        );
    }

    #[test]
    fn detect_reads_inside_the_root() {
        let t = std::env::temp_dir().join(format!("vigil-host-{}", std::process::id()));
        std::fs::create_dir_all(t.join("etc")).unwrap();
        std::fs::write(t.join("etc/machine-id"), "0123456789abcdef0123456789abcdef\n").unwrap();
        std::fs::write(t.join("etc/hostname"), "inner.example\n").unwrap();
        std::fs::write(t.join("etc/os-release"), "ID=vigiltest\nVERSION_ID=7\n").unwrap();
        let h = Host::detect(&t, Scope::System, 0, 0);
        assert_eq!(h.machine_id.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(h.hostname, "inner.example");
        assert_eq!((h.os_id.as_str(), h.os_version_id.as_str()), ("vigiltest", "7"));
        assert_eq!((h.user_name.as_str(), h.home.to_str()), ("root", Some("/root")));
        assert_eq!(h.architecture, architecture());
        std::fs::remove_dir_all(&t).unwrap();
    }
}
