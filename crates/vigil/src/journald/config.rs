//! `journald.conf(5)`: the `[Journal]` settings the journal daemon honours.
//!
//! Files are read the way systemd reads its daemon configuration
//! (`systemd.syntax(7)`, "Configuration Directories and Precedence"): the
//! main file `ROOT/etc/systemd/journald.conf`, then drop-ins named `*.conf`
//! from `journald.conf.d/` under `/etc/systemd`, `/run/systemd`,
//! `/usr/lib/systemd` and `/lib/systemd` of the root — a drop-in in `/etc`
//! hides one with the same name further down, and all of them are applied
//! in the order of their file names, later assignments winning.
//!
//! Values that do not parse are reported (file:line, key, value) and the
//! setting keeps its previous value, as journald logs "Failed to parse …,
//! ignoring". Sizes accept the IEC suffixes (`K`, `M`, `G`…, base 1024),
//! times `systemd.time(7)` spans (`30s`, `5min`).
//!
//! Defaults follow `journald.conf(5)`: `Storage=auto`, rate limit 10000
//! messages per 30 s, `MaxLevelStore=debug`, `SyncIntervalSec=5min`, and
//! size limits computed from the file system holding the journal ("10% of
//! the size of the respective file system, capped at 4G"; "keep 15% free";
//! a single file at most an eighth of the maximum use, capped at 128M).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use unit::syntax::{self, Sections};
use unit::value::boolean::parse_boolean;
use unit::value::size::parse_size;
use unit::value::syslog::parse_syslog_level;
use unit::value::time::parse_sec;

/// `Storage=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageMode {
    Volatile,
    Persistent,
    Auto,
    None,
}

/// Size limits of one storage area; `None` means "derive from the file system".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeLimits {
    pub max_use: Option<u64>,
    pub keep_free: Option<u64>,
    pub max_file_size: Option<u64>,
}

/// The effective `[Journal]` configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub storage: StorageMode,
    /// `System*=`: limits for `/var/log/journal`.
    pub system: SizeLimits,
    /// `Runtime*=`: limits for `/run/log/journal`.
    pub runtime: SizeLimits,
    /// `MaxRetentionSec=` in µs; 0 = no time-based removal.
    pub max_retention_usec: u64,
    /// `RateLimitIntervalSec=` in µs; 0 disables rate limiting.
    pub rate_limit_interval_usec: u64,
    /// `RateLimitBurst=`; 0 disables rate limiting.
    pub rate_limit_burst: u32,
    /// `MaxLevelStore=`: entries above this priority are not stored.
    pub max_level_store: u8,
    /// `SyncIntervalSec=` in µs: how long after a write the files are
    /// synced and marked OFFLINE.
    pub sync_interval_usec: u64,
    /// `LineMax=`: longest stdout-stream line before it is split.
    pub line_max: usize,
    /// `ForwardToSyslog=`: also send every entry to the syslog daemon's
    /// socket (see `forward`). Debian's default is yes.
    pub forward_to_syslog: bool,
}

/// journald's default `LineMax=` (48K).
pub const DEFAULT_LINE_MAX: usize = 48 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            storage: StorageMode::Auto,
            system: SizeLimits::default(),
            runtime: SizeLimits::default(),
            max_retention_usec: 0,
            rate_limit_interval_usec: 30_000_000,
            rate_limit_burst: 10_000,
            max_level_store: 7,
            sync_interval_usec: 300_000_000,
            line_max: DEFAULT_LINE_MAX,
            forward_to_syslog: true,
        }
    }
}

/// A setting that could not be applied, for the daemon to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning(pub String);

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The configuration files of `root`, in the order they apply.
pub fn config_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let main = root.join("etc/systemd/journald.conf");
    if main.is_file() {
        files.push(main);
    }
    // name -> path; the first directory that has a name wins.
    let mut dropins: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in [
        "etc/systemd/journald.conf.d",
        "run/systemd/journald.conf.d",
        "usr/lib/systemd/journald.conf.d",
        "lib/systemd/journald.conf.d",
    ] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".conf") && !dropins.contains_key(&name) {
                dropins.insert(name, e.path());
            }
        }
    }
    files.extend(dropins.into_values());
    files
}

/// Reads the configuration of `root`. Problems become warnings; the daemon
/// always gets a usable configuration.
pub fn load(root: &Path) -> (Config, Vec<ConfigWarning>) {
    let mut config = Config::default();
    let mut warnings = Vec::new();
    for path in config_files(root) {
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                warnings.push(ConfigWarning(format!(
                    "{}: cannot read: {e}",
                    path.display()
                )));
                continue;
            }
        };
        let parsed = syntax::parse(path.as_path(), &text, Sections::Only(&["Journal"]));
        for d in &parsed.diagnostics {
            warnings.push(ConfigWarning(format!("{}: {}", path.display(), d.message)));
        }
        for entry in parsed.entries("Journal") {
            if let Err(why) = apply(&mut config, &entry.key, &entry.value) {
                warnings.push(ConfigWarning(format!(
                    "{}:{}: {}={}: {why}, ignoring",
                    path.display(),
                    entry.span.line,
                    entry.key,
                    entry.value
                )));
            }
        }
    }
    (config, warnings)
}

/// Applies one `Key=value` of the `[Journal]` section.
pub fn apply(c: &mut Config, key: &str, value: &str) -> Result<(), String> {
    let size = |v: &str| -> Result<Option<u64>, String> {
        if v.is_empty() {
            return Ok(None);
        }
        parse_size(v, 1024).map(Some).map_err(|e| e.to_string())
    };
    let span =
        |v: &str| -> Result<u64, String> { parse_sec(v).map(|u| u.0).map_err(|e| e.to_string()) };
    match key {
        "Storage" => {
            c.storage = match value {
                "volatile" => StorageMode::Volatile,
                "persistent" => StorageMode::Persistent,
                "auto" => StorageMode::Auto,
                "none" => StorageMode::None,
                _ => return Err("unknown storage mode".into()),
            }
        }
        "SystemMaxUse" => c.system.max_use = size(value)?,
        "SystemKeepFree" => c.system.keep_free = size(value)?,
        "SystemMaxFileSize" => c.system.max_file_size = size(value)?,
        "RuntimeMaxUse" => c.runtime.max_use = size(value)?,
        "RuntimeKeepFree" => c.runtime.keep_free = size(value)?,
        "RuntimeMaxFileSize" => c.runtime.max_file_size = size(value)?,
        "MaxRetentionSec" => c.max_retention_usec = span(value)?,
        "RateLimitIntervalSec" | "RateLimitInterval" => c.rate_limit_interval_usec = span(value)?,
        "RateLimitBurst" => {
            c.rate_limit_burst = value.parse().map_err(|_| "not a number".to_string())?
        }
        "MaxLevelStore" => {
            c.max_level_store = parse_syslog_level(value).map_err(|e| e.to_string())?
        }
        "SyncIntervalSec" => c.sync_interval_usec = span(value)?,
        "LineMax" => {
            let v = size(value)?.unwrap_or(DEFAULT_LINE_MAX as u64);
            // journald's bounds: at least 79 bytes, at most 64 MiB - 1.
            c.line_max = v.clamp(79, 64 * 1024 * 1024 - 1) as usize;
        }
        // Settings journald has and we accept without acting on them
        // (forwarding, compression, sealing, audit): no warning, as on a
        // systemd machine the same file must not produce noise.
        "ForwardToSyslog" => c.forward_to_syslog = parse_boolean(value).map_err(|e| e.to_string())?,
        "Compress" | "Seal" | "SplitMode" | "ForwardToKMsg"
        | "ForwardToConsole" | "ForwardToWall" | "TTYPath" | "MaxLevelSyslog" | "MaxLevelKMsg"
        | "MaxLevelConsole" | "MaxLevelWall" | "ReadKMsg" | "Audit" | "SystemMaxFiles"
        | "RuntimeMaxFiles" | "MaxFileSec" => {}
        _ => return Err("unknown setting".into()),
    }
    Ok(())
}

/// `journald.conf(5)` defaults for a storage area on a file system of
/// `fs_size` bytes, completed with what the configuration fixed.
pub fn effective_limits(configured: SizeLimits, fs_size: u64) -> (u64, u64, u64) {
    const CAP: u64 = 4 * 1024 * 1024 * 1024;
    let max_use = configured
        .max_use
        .unwrap_or_else(|| (fs_size / 10).min(CAP));
    let keep_free = configured
        .keep_free
        .unwrap_or_else(|| (fs_size * 15 / 100).min(CAP));
    let max_file = configured
        .max_file_size
        .unwrap_or_else(|| (max_use / 8).min(128 * 1024 * 1024));
    // journald's floor for a file: 512K.
    (max_use, keep_free, max_file.max(512 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_apply_and_bad_values_warn() {
        let dir = std::env::temp_dir().join(format!("vigil-jconf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc/systemd/journald.conf.d")).unwrap();
        std::fs::write(
            dir.join("etc/systemd/journald.conf"),
            "[Journal]\nStorage=volatile\nRateLimitBurst=5\nSystemMaxUse=1M\nForwardToSyslog=no\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("etc/systemd/journald.conf.d/50-x.conf"),
            "[Journal]\nRateLimitBurst=7\nRateLimitIntervalSec=2s\nMaxLevelStore=warning\nSystemMaxFileSize=bogus\n",
        )
        .unwrap();
        let (c, w) = load(&dir);
        assert_eq!(c.storage, StorageMode::Volatile);
        assert_eq!(c.rate_limit_burst, 7);
        assert_eq!(c.rate_limit_interval_usec, 2_000_000);
        assert_eq!(c.max_level_store, 4);
        assert_eq!(c.system.max_use, Some(1024 * 1024));
        assert_eq!(c.system.max_file_size, None);
        assert!(!c.forward_to_syslog);
        assert!(Config::default().forward_to_syslog, "Debian's default");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].0.contains("50-x.conf:5"), "{w:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn default_limits_follow_the_man_page() {
        let (max_use, keep_free, max_file) = effective_limits(SizeLimits::default(), 100 << 30);
        assert_eq!(max_use, 4 << 30);
        assert_eq!(keep_free, 4 << 30);
        assert_eq!(max_file, 128 << 20);
        let (max_use, _, max_file) = effective_limits(SizeLimits::default(), 1 << 30);
        assert_eq!(max_use, (1u64 << 30) / 10);
        assert_eq!(max_file, max_use / 8);
    }
}
