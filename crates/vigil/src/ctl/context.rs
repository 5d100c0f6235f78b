//! What every offline verb needs: which unit files (scope and root), the
//! [`Installer`] over them, how to print (locale, `--quiet`,
//! `--no-legend`), and writing what the `unit::install::output` renderers
//! return.
//!
//! Offline means what `systemctl --root=DIR` (or systemctl on a machine
//! without a running systemd) does: the verb works on the unit files
//! directly, in the client. vigil always does unit file verbs this way,
//! also on `/`; there is no manager state to consult or reload.
//!
//! systemd 252 refuses `--user` together with a root other than `/`
//! (`lookup_paths_init()` fails with `EINVAL`, and every verb reports
//! that in its own words), so [`Context::installer`] does the same.

use std::ffi::CStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use unit::install::output::{Printed, Style};
use unit::install::{Errno, Installer, Outcome, PresetMode};
use unit::paths::{LookupPaths, UserEnv};
use unit::{Scope, UnitType};

use super::cli::{Opts, Resolved};

/// The offline verbs' view of the command line.
pub struct Context {
    pub scope: Scope,
    /// `--root=` as given (absolute, simplified); `None` without it.
    pub root: Option<PathBuf>,
    pub quiet: bool,
    pub legend: bool,
    /// `--full`: `is-enabled` also lists the unit's links.
    pub full: bool,
    pub runtime: bool,
    pub force: bool,
    pub preset_mode: PresetMode,
    pub types: Vec<UnitType>,
    /// `--state=` values as typed (systemctl compares them as strings).
    pub states: Vec<String>,
}

impl Context {
    pub fn new(opts: &Opts, resolved: Resolved) -> Context {
        Context {
            scope: resolved.scope,
            root: resolved.root,
            quiet: opts.quiet,
            legend: !opts.no_legend,
            full: opts.full,
            runtime: opts.runtime,
            force: opts.force,
            preset_mode: resolved.preset_mode,
            types: resolved.types,
            states: resolved.states,
        }
    }

    /// The root directory the unit files live under (`/` by default).
    pub fn root_dir(&self) -> &Path {
        self.root.as_deref().unwrap_or(Path::new("/"))
    }

    /// The search paths of the selected scope, or `EINVAL` for `--user`
    /// under a root.
    pub fn lookup_paths(&self) -> Result<LookupPaths, Errno> {
        let root = self.root_dir().to_path_buf();
        match self.scope {
            Scope::System => Ok(LookupPaths::system(root)),
            Scope::Global => Ok(LookupPaths::global(root)),
            Scope::User if root != Path::new("/") => Err(Errno::EINVAL),
            Scope::User => Ok(LookupPaths::user(root, &UserEnv::from_env())),
        }
    }

    pub fn installer(&self) -> Result<Installer, Errno> {
        self.lookup_paths().map(|lp| Installer::new(&lp))
    }

    /// The print style. Only verbs that print arrows or bullets ask for
    /// the locale (`utf8`), because finding out loads the locale.
    pub fn style(&self, need_glyphs: bool) -> Style {
        // systemctl's `install_client_side()`: changes go through the
        // manager (and its wording) only on a booted system, without
        // `--root`, not for `--global`, and not when told otherwise.
        let live = self.root.is_none()
            && self.scope != Scope::Global
            && Path::new("/run/systemd/system").is_dir()
            && env_bool("SYSTEMCTL_INSTALL_CLIENT_SIDE") != Some(true);
        Style { utf8: !need_glyphs || locale_is_utf8(), quiet: self.quiet, legend: self.legend, live }
    }

    pub fn flags(&self) -> unit::install::Flags {
        unit::install::Flags { runtime: self.runtime, force: self.force }
    }
}

/// An outcome that failed before doing anything (for the renderers).
pub fn failed<T>(e: Errno) -> Outcome<T> {
    Outcome { log: Vec::new(), changes: Vec::new(), result: Err(e) }
}

/// systemd 252's `is_locale_utf8()`: UTF-8 glyphs unless the locale's
/// character set is something else — but an unset locale ("C" because
/// nothing is set) and a locale that cannot be loaded count as UTF-8,
/// and only an explicitly chosen `C`/`POSIX` does not.
///
/// Only `LC_CTYPE` is loaded: the character set is all this asks, and
/// loading every category (`LC_ALL`) costs a dozen file look-ups per
/// `status`. (Times are printed in the C locale's words, as `journalctl`
/// prints them.)
///
/// A locale whose name says UTF-8 (`C.UTF-8`, `en_US.utf8`) is not
/// loaded at all: it is UTF-8 if it loads and counts as UTF-8 if it does
/// not, so loading it (four file look-ups and a mapping of its `LC_CTYPE`
/// per `status`) cannot change the answer.
pub fn locale_is_utf8() -> bool {
    if named_utf8(locale_name().as_deref()) {
        return true;
    }
    // SAFETY: setlocale/nl_langinfo are called from the CLI's only thread;
    // the returned strings are copied before the next locale call.
    unsafe {
        if libc::setlocale(libc::LC_CTYPE, c"".as_ptr()).is_null() {
            return true;
        }
        let set = libc::nl_langinfo(libc::CODESET);
        if set.is_null() {
            return true;
        }
        if CStr::from_ptr(set).to_bytes() == b"UTF-8" {
            return true;
        }
        let ctype = libc::setlocale(libc::LC_CTYPE, std::ptr::null());
        if ctype.is_null() {
            return true;
        }
        let ctype = CStr::from_ptr(ctype).to_bytes();
        (ctype == b"C" || ctype == b"POSIX")
            && std::env::var_os("LC_ALL").is_none()
            && std::env::var_os("LC_CTYPE").is_none()
            && std::env::var_os("LANG").is_none()
    }
}

/// The name `setlocale(LC_CTYPE, "")` loads: the first of `LC_ALL`,
/// `LC_CTYPE`, `LANG` that is set and not empty (`locale(7)`).
fn locale_name() -> Option<String> {
    ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// Whether a locale name (`language[_territory][.codeset][@modifier]`)
/// names the UTF-8 codeset, compared as glibc normalises codesets (case
/// and punctuation ignored: `UTF-8`, `utf8`).
fn named_utf8(name: Option<&str>) -> bool {
    let Some((_, rest)) = name.and_then(|n| n.split_once('.')) else { return false };
    let codeset = rest.split('@').next().unwrap_or("");
    let norm: String = codeset.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    norm == "utf8"
}

/// systemd's `parse_boolean()` on an environment variable; `None` when
/// unset or not a boolean.
pub fn env_bool(name: &str) -> Option<bool> {
    let v = std::env::var(name).ok()?;
    let v = v.to_ascii_lowercase();
    match v.as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a word.
pub fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

/// Push out what stdout holds (before a child process writes to it).
pub fn flush_stdout() {
    let _ = std::io::stdout().lock().flush();
}

/// Write to stderr, after whatever stdout still holds.
pub fn err(s: &str) {
    let _ = std::io::stdout().lock().flush();
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(s.as_bytes());
}

/// Write one line to stderr.
pub fn err_line(s: &str) {
    err(&format!("{s}\n"));
}

/// Print what a renderer returned; its exit code.
pub fn emit(p: &Printed) -> u8 {
    out(&p.stdout);
    err(&p.stderr);
    exit_code(p.exit_code)
}

pub fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_locale_names_are_known_without_loading() {
        for n in ["C.UTF-8", "C.utf8", "en_US.UTF-8", "de_DE.utf-8@euro"] {
            assert!(named_utf8(Some(n)), "{n}");
        }
        for n in ["C", "POSIX", "en_US", "en_US.ISO-8859-1", "ja_JP.eucJP", ".", "x.utf16"] {
            assert!(!named_utf8(Some(n)), "{n}");
        }
        assert!(!named_utf8(None));
    }

    #[test]
    fn booleans_like_systemd() {
        std::env::set_var("VIGIL_TEST_BOOL", "Yes");
        assert_eq!(env_bool("VIGIL_TEST_BOOL"), Some(true));
        std::env::set_var("VIGIL_TEST_BOOL", "off");
        assert_eq!(env_bool("VIGIL_TEST_BOOL"), Some(false));
        std::env::set_var("VIGIL_TEST_BOOL", "maybe");
        assert_eq!(env_bool("VIGIL_TEST_BOOL"), None);
        std::env::remove_var("VIGIL_TEST_BOOL");
        assert_eq!(env_bool("VIGIL_TEST_BOOL"), None);
    }
}
