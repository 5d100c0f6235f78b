//! `%` specifiers (`systemd.unit(5)`, "Specifiers").
//!
//! Specifiers are resolved when a unit file is loaded, per directive, with
//! the unit's own name and the host's facts. An unknown specifier (`%x`)
//! makes the *assignment* invalid — systemd logs "Failed to resolve
//! specifiers in …, ignoring" and skips that one line, not the unit — so
//! [`expand`] returns an error the caller turns into a diagnostic for the
//! assignment's line. A `%` at the very end of a value is also an error.
//!
//! Host facts (machine id, hostname, os-release…) are gathered once into a
//! [`Host`] and shared by every unit; reading them is the caller's job so
//! `--root=DIR` can read them from inside the root and tests can fix them.
//! Facts that are unknown (no `/etc/machine-id` yet) make the specifier
//! that needs them fail, as systemd does.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::name::{unescape, unescape_path, UnitName};
use crate::paths::Scope;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SpecifierError {
    #[error("unknown specifier '%{0}'")]
    Unknown(char),
    #[error("incomplete specifier: '%' at end of string")]
    Trailing,
    #[error("specifier '%{0}' cannot be resolved: {1}")]
    Unresolvable(char, &'static str),
}

/// Facts about the machine and the manager's user, read once.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub machine_id: Option<String>,
    pub boot_id: Option<String>,
    pub hostname: String,
    pub pretty_hostname: Option<String>,
    pub kernel_release: String,
    /// systemd's architecture name (`x86-64`, `arm64`, …).
    pub architecture: String,
    /// os-release fields: ID, VERSION_ID, BUILD_ID, VARIANT_ID, IMAGE_ID,
    /// IMAGE_VERSION (empty when unset, which systemd resolves to "").
    pub os_id: String,
    pub os_version_id: String,
    pub os_build_id: String,
    pub os_variant_id: String,
    pub os_image_id: String,
    pub os_image_version: String,
    /// The manager's user: `root`/0 and `/root` for the system manager.
    pub user_name: String,
    pub uid: u32,
    pub group_name: String,
    pub gid: u32,
    pub home: PathBuf,
    pub shell: PathBuf,
    /// `$XDG_RUNTIME_DIR`, `$XDG_STATE_HOME`, `$XDG_CACHE_HOME`,
    /// `$XDG_CONFIG_HOME` and the log dir for user managers.
    pub user_runtime_dir: Option<PathBuf>,
    pub user_state_dir: Option<PathBuf>,
    pub user_cache_dir: Option<PathBuf>,
    pub user_config_dir: Option<PathBuf>,
    pub user_log_dir: Option<PathBuf>,
    /// `$CREDENTIALS_DIRECTORY` of the manager, if it has one.
    pub credentials_dir: Option<PathBuf>,
}

/// Where and what a unit is, for the unit-dependent specifiers.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub unit: &'a UnitName,
    /// The fragment file (`%y`, `%Y`), as a path inside the root.
    pub fragment: Option<&'a Path>,
    pub scope: Scope,
    pub host: &'a Host,
}

impl Context<'_> {
    fn dir(&self, system: &str, user: &Option<PathBuf>, what: char) -> Result<String, SpecifierError> {
        match self.scope {
            Scope::System => Ok(system.to_string()),
            Scope::User | Scope::Global => user
                .as_ref()
                .map(|p| p.display().to_string())
                .ok_or(SpecifierError::Unresolvable(what, "XDG directory not set")),
        }
    }

    /// The value of one specifier character.
    pub fn resolve(&self, c: char) -> Result<String, SpecifierError> {
        let h = self.host;
        let u = self.unit;
        let prefix = u.prefix();
        Ok(match c {
            '%' => "%".into(),
            'a' => h.architecture.clone(),
            'A' => h.os_image_version.clone(),
            'b' => h.boot_id.clone().ok_or(SpecifierError::Unresolvable('b', "no boot ID"))?,
            'B' => h.os_build_id.clone(),
            'C' => self.dir("/var/cache", &h.user_cache_dir, 'C')?,
            'd' => h
                .credentials_dir
                .as_ref()
                .map(|p| p.display().to_string())
                .ok_or(SpecifierError::Unresolvable('d', "no credentials directory"))?,
            'E' => self.dir("/etc", &h.user_config_dir, 'E')?,
            'f' => match u.instance() {
                Some(i) if !i.is_empty() => unescape_path(i),
                _ => unescape_path(prefix),
            },
            'g' => h.group_name.clone(),
            'G' => h.gid.to_string(),
            'h' => h.home.display().to_string(),
            'H' => h.hostname.clone(),
            'i' => u.instance().unwrap_or("").to_string(),
            'I' => unescape(u.instance().unwrap_or("")),
            'j' => last_dash_component(prefix).to_string(),
            'J' => unescape(last_dash_component(prefix)),
            'l' => h.hostname.split('.').next().unwrap_or("").to_string(),
            'L' => self.dir("/var/log", &h.user_log_dir, 'L')?,
            'm' => h.machine_id.clone().ok_or(SpecifierError::Unresolvable('m', "no machine ID"))?,
            'M' => h.os_image_id.clone(),
            'n' => u.as_str().to_string(),
            'N' => u.stem().to_string(),
            'o' => h.os_id.clone(),
            'p' => prefix.to_string(),
            'P' => unescape(prefix),
            'q' => h.pretty_hostname.clone().unwrap_or_else(|| h.hostname.clone()),
            's' => h.shell.display().to_string(),
            'S' => self.dir("/var/lib", &h.user_state_dir, 'S')?,
            't' => self.dir("/run", &h.user_runtime_dir, 't')?,
            'T' => "/tmp".into(),
            'u' => h.user_name.clone(),
            'U' => h.uid.to_string(),
            'v' => h.kernel_release.clone(),
            'V' => "/var/tmp".into(),
            'w' => h.os_version_id.clone(),
            'W' => h.os_variant_id.clone(),
            'y' => self
                .fragment
                .map(|p| p.display().to_string())
                .ok_or(SpecifierError::Unresolvable('y', "unit has no fragment file"))?,
            'Y' => self
                .fragment
                .and_then(Path::parent)
                .map(|p| p.display().to_string())
                .ok_or(SpecifierError::Unresolvable('Y', "unit has no fragment file"))?,
            other => return Err(SpecifierError::Unknown(other)),
        })
    }
}

/// `%j`: the part of the prefix after its last `-` (all of it if none).
fn last_dash_component(prefix: &str) -> &str {
    prefix.rsplit_once('-').map(|(_, tail)| tail).unwrap_or(prefix)
}

/// `specifier_escape()`: double every `%` so the loader reads a generated
/// value literally.
pub fn escape(s: &str) -> String {
    s.replace('%', "%%")
}

/// Replace every `%X` in `s`.
pub fn expand(s: &str, ctx: &Context<'_>) -> Result<String, SpecifierError> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next().ok_or(SpecifierError::Trailing)?;
        out.push_str(&ctx.resolve(spec)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            machine_id: Some("0123456789abcdef0123456789abcdef".into()),
            boot_id: None,
            hostname: "box.example.org".into(),
            kernel_release: "6.1.0".into(),
            architecture: "x86-64".into(),
            os_id: "debian".into(),
            os_version_id: "12".into(),
            user_name: "root".into(),
            group_name: "root".into(),
            home: "/root".into(),
            shell: "/bin/sh".into(),
            ..Host::default()
        }
    }

    fn ex(unit: &str, s: &str) -> Result<String, SpecifierError> {
        let h = host();
        let u = UnitName::parse(unit).unwrap();
        let ctx = Context {
            unit: &u,
            fragment: Some(Path::new("/lib/systemd/system/x@.service")),
            scope: Scope::System,
            host: &h,
        };
        expand(s, &ctx)
    }

    #[test]
    fn unit_name_specifiers() {
        let u = "systemd-fsck@dev-disk-by\\x2duuid-AB.service";
        assert_eq!(ex(u, "%n").unwrap(), u);
        assert_eq!(ex(u, "%N").unwrap(), "systemd-fsck@dev-disk-by\\x2duuid-AB");
        assert_eq!(ex(u, "%p|%P").unwrap(), "systemd-fsck|systemd/fsck");
        assert_eq!(ex(u, "%i").unwrap(), "dev-disk-by\\x2duuid-AB");
        assert_eq!(ex(u, "%I").unwrap(), "dev/disk/by-uuid/AB");
        assert_eq!(ex(u, "%f").unwrap(), "/dev/disk/by-uuid/AB");
        assert_eq!(ex(u, "%j|%J").unwrap(), "fsck|fsck");
        assert_eq!(ex("foo-bar.service", "%f").unwrap(), "/foo/bar");
        assert_eq!(ex("foo.service", "[%i]").unwrap(), "[]");
    }

    #[test]
    fn host_and_dirs() {
        assert_eq!(ex("a.service", "%H %l %m").unwrap(), "box.example.org box 0123456789abcdef0123456789abcdef");
        assert_eq!(ex("a.service", "%t/%S/%C/%L/%E/%T/%V").unwrap(), "/run//var/lib//var/cache//var/log//etc//tmp//var/tmp");
        assert_eq!(ex("a.service", "%u:%h:%s").unwrap(), "root:/root:/bin/sh");
        assert_eq!(ex("a.service", "%y %Y").unwrap(), "/lib/systemd/system/x@.service /lib/systemd/system");
        assert_eq!(ex("a.service", "100%%").unwrap(), "100%");
    }

    #[test]
    fn errors() {
        assert_eq!(ex("a.service", "%z"), Err(SpecifierError::Unknown('z')));
        assert_eq!(ex("a.service", "50%"), Err(SpecifierError::Trailing));
        assert!(matches!(ex("a.service", "%b"), Err(SpecifierError::Unresolvable('b', _))));
    }
}
