//! `%` specifiers of tmpfiles.d(5), "SPECIFIERS".
//!
//! tmpfiles.d knows a subset of the unit-file specifiers, and systemd 252's
//! table is smaller than the man page's: `%a %b %B %C %g %G %h %H %l %L %m
//! %o %S %t %T %u %U %v %V %w %W %%`. `%A` and `%M` are listed in the
//! manual but unknown to 252's `systemd-tmpfiles` ("Invalid slot"), as is
//! every unit-name specifier; an unknown specifier makes the line invalid
//! configuration. A `%` at the very end of a value stays a literal `%`.
//!
//! A specifier whose fact is missing (`%m` before `/etc/machine-id`
//! exists, `%b` without `/proc`) is *unresolvable*: systemd skips the
//! whole line with a notice instead of failing, because early boot and
//! image builds legitimately run before those files exist.
//!
//! Two quirks of systemd 252 with `--root=DIR` are kept on purpose so that
//! our results match the real tool's: `%t %S %C %L` resolve to the
//! directory *prefixed with the root* (the path is then prefixed once more
//! when the line is applied, so `d %t/x` creates `DIR/DIR/run/x`), and
//! `%T`/`%V` are `/tmp` and `/var/tmp` regardless of `$TMPDIR`. Without a
//! root (`/`), `%T`/`%V` honour `$TMPDIR`, `$TEMP`, `$TMP`.
//!
//! With `--user`, `%t` is `$XDG_RUNTIME_DIR`, `%C` the cache directory, and
//! — as 252's table says and does — both `%S` and `%L` live in the
//! *config* directory (`~/.config`, `~/.config/log`), not in
//! `~/.local/state`.
//!
//! Main type: [`Specifiers`].

use std::path::Path;

use unit::specifier::Host;

use crate::Scope;

/// Why a specifier could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// Not a tmpfiles.d specifier: the line is invalid.
    Unknown(char),
    /// Known, but the fact is missing: the line is skipped.
    Unresolvable(char, &'static str),
}

/// The facts specifiers expand to, for one root and scope.
pub struct Specifiers<'a> {
    pub host: &'a Host,
    pub scope: Scope,
    /// The `--root` directory, `None` for `/`.
    pub root: Option<&'a Path>,
}

impl Specifiers<'_> {
    fn system_dir(&self, dir: &str) -> String {
        match self.root {
            Some(r) => format!("{}{}", r.display(), dir),
            None => dir.to_string(),
        }
    }

    fn dir(&self, c: char, system: &str, user: &Option<std::path::PathBuf>) -> Result<String, SpecError> {
        match self.scope {
            Scope::System => Ok(self.system_dir(system)),
            Scope::User => user
                .as_ref()
                .map(|p| p.display().to_string())
                .ok_or(SpecError::Unresolvable(c, "XDG directory not set")),
        }
    }

    fn tmp(&self, default: &str) -> String {
        if self.root.is_some() {
            return default.to_string();
        }
        ["TMPDIR", "TEMP", "TMP"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| v.starts_with('/'))
            .unwrap_or_else(|| default.to_string())
    }

    /// The value of one specifier character.
    pub fn resolve(&self, c: char) -> Result<String, SpecError> {
        let h = self.host;
        Ok(match c {
            '%' => "%".into(),
            'a' => h.architecture.clone(),
            'b' => h.boot_id.clone().ok_or(SpecError::Unresolvable('b', "no boot ID"))?,
            'B' => h.os_build_id.clone(),
            'C' => self.dir('C', "/var/cache", &h.user_cache_dir)?,
            'g' => h.group_name.clone(),
            'G' => h.gid.to_string(),
            'h' => h.home.display().to_string(),
            'H' => h.hostname.clone(),
            'l' => h.hostname.split('.').next().unwrap_or("").to_string(),
            // 252 puts the user's logs below the *config* directory.
            'L' => self.dir('L', "/var/log", &h.user_config_dir.as_ref().map(|d| d.join("log")))?,
            'm' => machine_id(h.machine_id.as_deref()).ok_or(SpecError::Unresolvable('m', "no machine ID"))?,
            'o' => h.os_id.clone(),
            // …and its state in the config directory too (tmpfiles.d(5)).
            'S' => self.dir('S', "/var/lib", &h.user_config_dir)?,
            't' => self.dir('t', "/run", &h.user_runtime_dir)?,
            'T' => self.tmp("/tmp"),
            'u' => h.user_name.clone(),
            'U' => h.uid.to_string(),
            'v' => h.kernel_release.clone(),
            'V' => self.tmp("/var/tmp"),
            'w' => h.os_version_id.clone(),
            'W' => h.os_variant_id.clone(),
            other => return Err(SpecError::Unknown(other)),
        })
    }

    /// Replace every `%X` in `s` (systemd's `specifier_printf()`).
    pub fn expand(&self, s: &str) -> Result<String, SpecError> {
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
            match chars.next() {
                Some(spec) => out.push_str(&self.resolve(spec)?),
                // "If string ended with a stray %, also end with %".
                None => out.push('%'),
            }
        }
        Ok(out)
    }
}

/// A usable machine id: 32 hex digits (lowercased), or the UUID form.
/// `uninitialized` (written by image builders) or an empty file count as
/// missing, as they do for systemd.
fn machine_id(raw: Option<&str>) -> Option<String> {
    let s: String = raw?.trim().chars().filter(|&c| c != '-').collect();
    (s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            machine_id: Some("0123456789ABCDEF0123456789abcdef".into()),
            hostname: "box.example.org".into(),
            kernel_release: "6.1.0".into(),
            architecture: "x86-64".into(),
            os_id: "debian".into(),
            user_name: "root".into(),
            group_name: "root".into(),
            home: "/root".into(),
            ..Host::default()
        }
    }

    #[test]
    fn expands_the_tmpfiles_subset() {
        let h = host();
        let s = Specifiers { host: &h, scope: Scope::System, root: None };
        assert_eq!(s.expand("%H|%l|%m|%o|%u%U|%g%G|%h").unwrap(), "box.example.org|box|0123456789abcdef0123456789abcdef|debian|root0|root0|/root");
        assert_eq!(s.expand("%t %S %C %L %V").unwrap().split(' ').next().unwrap(), "/run");
        assert_eq!(s.expand("100%").unwrap(), "100%");
        assert_eq!(s.expand("a%%b").unwrap(), "a%b");
        assert_eq!(s.expand("%A"), Err(SpecError::Unknown('A')));
        assert_eq!(s.expand("%n"), Err(SpecError::Unknown('n')));
        assert!(matches!(s.expand("%b"), Err(SpecError::Unresolvable('b', _))));
    }

    #[test]
    fn root_prefixes_the_system_directories() {
        let h = host();
        let root = Path::new("/srv/img");
        let s = Specifiers { host: &h, scope: Scope::System, root: Some(root) };
        assert_eq!(s.expand("%t/x").unwrap(), "/srv/img/run/x");
        assert_eq!(s.expand("%S %T %V").unwrap(), "/srv/img/var/lib /tmp /var/tmp");
    }

    #[test]
    fn uninitialized_machine_id_is_unresolvable() {
        let mut h = host();
        h.machine_id = Some("uninitialized".into());
        let s = Specifiers { host: &h, scope: Scope::System, root: None };
        assert!(matches!(s.expand("%m"), Err(SpecError::Unresolvable('m', _))));
    }
}
