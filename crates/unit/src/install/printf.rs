//! Specifiers in `[Install]` values (`WantedBy=`, `RequiredBy=`, `Alias=`,
//! `Also=`, `DefaultInstance=`), as systemd 252's `install_name_printf()`
//! resolves them.
//!
//! This is a *smaller* table than the one units are loaded with
//! (`systemd.unit(5)`, "Specifiers", which [`crate::specifier`] serves):
//! only `%i %j %n %N %p` about the unit, the system facts `%a %A %b %B %H
//! %l %q %m %M %o %v %w %W`, the credentials `%g %G %u %U`, and `%%`. Any
//! other letter or digit after `%` is an error (`EBADSLT`, printed by
//! systemctl as "invalid specifier in …"); any other character after `%`
//! is kept literally, and a trailing `%` stays. Two differences from unit
//! loading matter for templates: `%i`, `%n` and `%N` of a template fill in
//! its `DefaultInstance=`, so `WantedBy=foo@%i.target` follows the default.
//!
//! Facts come from the root being operated on where systemd reads them
//! there (`/etc/machine-id`, os-release — missing files give `EUNATCH`,
//! "cannot resolve specifiers") and from the running system otherwise
//! (hostname, kernel, boot ID), exactly as `systemctl --root=` does.
//! [`Facts`] holds them; tests can fill it by hand.

use std::fs;
use std::path::Path;

use super::errno::Errno;
use super::fsutil::Root;
use super::names;
use crate::paths::Scope;

/// `UNIT_NAME_MAX`: an expanded value may not grow longer than this.
const MAX_LEN: usize = 256;

/// The machine facts `[Install]` specifiers can expand to.
#[derive(Clone, Debug)]
pub struct Facts {
    /// `%m`: the root's `/etc/machine-id`.
    pub machine_id: Result<String, Errno>,
    /// `%b`: the running system's boot ID.
    pub boot_id: Result<String, Errno>,
    /// `%H`: the running system's hostname.
    pub hostname: String,
    /// `%q`: `PRETTY_HOSTNAME=` of `/etc/machine-info`, if set.
    pub pretty_hostname: Option<String>,
    /// `%v`: the running kernel's release.
    pub kernel_release: Result<String, Errno>,
    /// `%a`: systemd's name for the architecture (`x86-64`, `arm64`…).
    pub architecture: String,
    /// The root's os-release fields; `None` when it has no os-release.
    pub os_release: Option<Vec<(String, String)>>,
    /// `%u`/`%U` and `%g`/`%G` of the manager the files are for.
    pub user: Result<(String, u32), Errno>,
    pub group: Result<(String, u32), Errno>,
}

impl Facts {
    /// Read the facts the way `systemctl --root=ROOT` would for `scope`.
    pub fn gather(root: &Path, scope: Scope) -> Facts {
        Facts::gather_in(&Root::new(root), scope)
    }

    pub(crate) fn gather_in(root: &Root, scope: Scope) -> Facts {
        let machine_id = match root.chase(Path::new("/etc/machine-id"), false) {
            Ok(p) => match fs::read_to_string(root.host(&p)) {
                Ok(s) => parse_id128(&s),
                // systemd turns a missing file under a root into EUNATCH.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && root.is_set() => {
                    Err(Errno::EUNATCH)
                }
                Err(e) => Err(Errno::from(&e)),
            },
            Err(e) => Err(e),
        };
        let boot_id = fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map_err(|e| Errno::from(&e))
            .and_then(|s| parse_id128(&s.trim().replace('-', "")));
        let hostname = fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty() && h != "(none)")
            .unwrap_or_else(|| "localhost".to_string());
        let pretty_hostname = fs::read_to_string("/etc/machine-info")
            .ok()
            .and_then(|s| env_value(&parse_env(&s), "PRETTY_HOSTNAME").filter(|v| !v.is_empty()));
        let kernel_release = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .map_err(|e| Errno::from(&e));
        let os_release = ["/etc/os-release", "/usr/lib/os-release"].iter().find_map(|p| {
            let c = root.chase(Path::new(p), false).ok()?;
            fs::read_to_string(root.host(&c)).ok().map(|s| parse_env(&s))
        });
        let (user, group) = match scope {
            Scope::Global => (Err(Errno::EINVAL), Err(Errno::EINVAL)),
            // uid 0 resolves to "root" without any NSS lookup in systemd.
            Scope::System => (Ok(("root".to_string(), 0)), Ok(("root".to_string(), 0))),
            Scope::User => {
                let (uid, gid) = own_ids();
                (
                    Ok((id_name("/etc/passwd", uid), uid)),
                    Ok((id_name("/etc/group", gid), gid)),
                )
            }
        };
        Facts {
            machine_id,
            boot_id,
            hostname,
            pretty_hostname,
            kernel_release,
            architecture: architecture().to_string(),
            os_release,
            user,
            group,
        }
    }

    fn os_field(&self, key: &str) -> Result<String, Errno> {
        match &self.os_release {
            None => Err(Errno::EUNATCH),
            Some(fields) => Ok(env_value(fields, key).unwrap_or_default()),
        }
    }
}

/// `id128_read_fd(…, ID128_FORMAT_PLAIN)`: 32 hex digits, optional newline.
fn parse_id128(s: &str) -> Result<String, Errno> {
    let t = s.strip_suffix('\n').unwrap_or(s);
    if t == "uninitialized" {
        return Err(Errno::ENOMEDIUM);
    }
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Errno::EINVAL);
    }
    if t.bytes().all(|b| b == b'0') {
        return Err(Errno::ENOMEDIUM);
    }
    Ok(t.to_ascii_lowercase())
}

/// A minimal env-file reader for os-release and machine-info: `KEY=value`
/// lines, optional single or double quotes, `#` comments.
fn parse_env(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in s.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else { continue };
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
        {
            let inner = &v[1..v.len() - 1];
            if v.starts_with('"') {
                let mut r = String::new();
                let mut esc = false;
                for c in inner.chars() {
                    if esc {
                        r.push(c);
                        esc = false;
                    } else if c == '\\' {
                        esc = true;
                    } else {
                        r.push(c);
                    }
                }
                r
            } else {
                inner.to_string()
            }
        } else {
            v.to_string()
        };
        out.push((k.trim().to_string(), v));
    }
    out
}

fn env_value(fields: &[(String, String)], key: &str) -> Option<String> {
    fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Real uid and gid of this process, from `/proc/self/status`.
fn own_ids() -> (u32, u32) {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u32 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Uid:"), field("Gid:"))
}

/// Name of an id from a passwd/group file, or the number itself, as
/// `uid_to_name()`/`gid_to_name()` answer for unknown ids.
fn id_name(file: &str, id: u32) -> String {
    if id == 0 {
        return "root".to_string();
    }
    fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let _pw = f.next()?;
                (f.next()?.parse::<u32>().ok()? == id).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

/// systemd's architecture names (`systemd-analyze architectures`).
fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "x86" => "x86",
        "aarch64" => {
            if cfg!(target_endian = "big") {
                "arm64-be"
            } else {
                "arm64"
            }
        }
        "arm" => "arm",
        "riscv64" => "riscv64",
        "powerpc64" => {
            if cfg!(target_endian = "little") {
                "ppc64-le"
            } else {
                "ppc64"
            }
        }
        "powerpc" => "ppc",
        "s390x" => "s390x",
        "loongarch64" => "loongarch64",
        "mips64" => "mips64",
        "mips" => "mips",
        "sparc64" => "sparc64",
        other => other,
    }
}

/// What of the unit a specifier may look at.
pub(crate) struct Unit<'a> {
    pub name: &'a str,
    pub default_instance: Option<&'a str>,
}

/// `install_name_printf()`.
pub(crate) fn expand(scope: Scope, facts: &Facts, unit: &Unit<'_>, format: &str) -> Result<String, Errno> {
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
        } else {
            match chars.next() {
                None => out.push('%'),
                Some('%') => out.push('%'),
                Some(s) => match resolve(scope, facts, unit, s)? {
                    Some(v) => out.push_str(&v),
                    None if s.is_ascii_alphanumeric() => return Err(Errno::EBADSLT),
                    None => {
                        out.push('%');
                        out.push(s);
                    }
                },
            }
        }
        if out.len() > MAX_LEN {
            return Err(Errno::ENAMETOOLONG);
        }
    }
    Ok(out)
}

/// The value of one specifier, `None` if it is not in the table.
fn resolve(scope: Scope, facts: &Facts, unit: &Unit<'_>, c: char) -> Result<Option<String>, Errno> {
    let name = unit.name;
    let di = unit.default_instance;
    let _ = scope;
    let v = match c {
        'i' => {
            let inst = names::classify(name).ok_or(Errno::EINVAL).map(|_| names::instance(name))?;
            match inst {
                Some(i) if !i.is_empty() => i.to_string(),
                _ => di.unwrap_or("").to_string(),
            }
        }
        'j' => {
            let p = names::prefix(name).ok_or(Errno::EINVAL)?;
            p.rsplit_once('-').map(|(_, t)| t).unwrap_or(p).to_string()
        }
        'n' => match di {
            Some(d) if names::is_valid(name, names::TEMPLATE) => {
                names::replace_instance(name, d).ok_or(Errno::EINVAL)?
            }
            _ => name.to_string(),
        },
        'N' => {
            let stem = names::stem(name).ok_or(Errno::EINVAL)?;
            match di {
                Some(d) if stem.ends_with('@') => format!("{stem}{d}"),
                _ => stem.to_string(),
            }
        }
        'p' => names::prefix(name).ok_or(Errno::EINVAL)?.to_string(),
        'a' => facts.architecture.clone(),
        'A' => facts.os_field("IMAGE_VERSION")?,
        'b' => facts.boot_id.clone()?,
        'B' => facts.os_field("BUILD_ID")?,
        'H' => facts.hostname.clone(),
        'l' => facts.hostname.split('.').next().unwrap_or("").to_string(),
        'q' => facts
            .pretty_hostname
            .clone()
            .unwrap_or_else(|| facts.hostname.split('.').next().unwrap_or("").to_string()),
        'm' => facts.machine_id.clone()?,
        'M' => facts.os_field("IMAGE_ID")?,
        'o' => facts.os_field("ID")?,
        'v' => facts.kernel_release.clone()?,
        'w' => facts.os_field("VERSION_ID")?,
        'W' => facts.os_field("VARIANT_ID")?,
        'g' => facts.group.clone()?.0,
        'G' => facts.group.clone()?.1.to_string(),
        'u' => facts.user.clone()?.0,
        'U' => facts.user.clone()?.1.to_string(),
        _ => return Ok(None),
    };
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            machine_id: Ok("0123456789abcdef0123456789abcdef".into()),
            boot_id: Err(Errno::ENOENT),
            hostname: "box.example.org".into(),
            pretty_hostname: None,
            kernel_release: Ok("6.1.0".into()),
            architecture: "x86-64".into(),
            os_release: None,
            user: Ok(("root".into(), 0)),
            group: Ok(("root".into(), 0)),
        }
    }

    fn ex(name: &str, di: Option<&str>, f: &str) -> Result<String, Errno> {
        expand(Scope::System, &facts(), &Unit { name, default_instance: di }, f)
    }

    #[test]
    fn unit_specifiers_with_default_instance() {
        assert_eq!(ex("getty@.service", Some("tty1"), "%n|%N|%i|%p|%j").unwrap(), "getty@tty1.service|getty@tty1|tty1|getty|getty");
        assert_eq!(ex("a-b@x.service", None, "%n|%N|%i|%p|%j").unwrap(), "a-b@x.service|a-b@x|x|a-b|b");
        assert_eq!(ex("foo.service", None, "[%i]").unwrap(), "[]");
    }

    #[test]
    fn table_limits() {
        assert_eq!(ex("a.service", None, "%I"), Err(Errno::EBADSLT));
        assert_eq!(ex("a.service", None, "%f"), Err(Errno::EBADSLT));
        assert_eq!(ex("a.service", None, "%o"), Err(Errno::EUNATCH));
        assert_eq!(ex("a.service", None, "%H-%l-%q").unwrap(), "box.example.org-box-box");
        assert_eq!(ex("a.service", None, "100%%-%!-%").unwrap(), "100%-%!-%");
        assert_eq!(ex("a.service", None, "%u:%U:%g:%G:%m").unwrap(), "root:0:root:0:0123456789abcdef0123456789abcdef");
        assert_eq!(ex("a.service", None, &"x".repeat(300)), Err(Errno::ENAMETOOLONG));
    }
}
