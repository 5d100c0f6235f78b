//! `vigil verify` / `systemd-analyze verify`: load units the way the
//! manager would and report every problem, exiting non-zero exactly when
//! systemd 252's `systemd-analyze verify --man=no` does.
//!
//! What counts as an error (exit 1), as the real tool decides:
//!
//! - the unit does not load: "Unit X not found.", "Unit X is masked.", a
//!   fatal setting or a refused combination of settings ("Unit X has a bad
//!   unit file setting.", after the line saying why, e.g. "X: Timer unit
//!   lacks value setting. Refusing." — see `unit::config::checks`), or a
//!   syntax error ("Unit X failed to load properly, please adjust/correct
//!   and reload service manager: Bad message");
//! - the first command of one of a service's command lists whose
//!   executable does not exist or is not executable inside the root
//!   (unless it has the `-` prefix):
//!   "X: Command /path is not executable: No such file or directory";
//! - a start job for the unit cannot be built because something it
//!   requires (`Requires=`, `Requisite=`, `BindsTo=`, also through default
//!   dependencies, transitively) is missing, masked or broken:
//!   "X: Failed to create X/start: Unit Y not found.".
//!
//! Everything else — unknown keys, unparsable values — is printed as
//! `file:line: message` and does not change the exit code. vigil adds one
//! kind of line systemd does not have: directives vigil parses but does
//! not act on yet, as `file:line: X= is not supported by vigil yet` (a
//! notice: the manager will run the unit without it and says so at start).
//!
//! A FILE argument (anything with a `/`) is loaded under its file name,
//! with its directory put in front of the search path, as systemd does —
//! under `--root` that directory is taken inside the root, which is why
//! systemd reports such files as not found there; we do the same.

use std::collections::{HashSet, VecDeque};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use unit::config::deps::{self, DepKind};
use unit::config::service::EXEC_PHASES;
use unit::config::{Loader, UnitConfig};
use unit::load::LoadState;
use unit::paths::{in_root, DirKind, LookupPaths, SearchDir, UserEnv};
use unit::specifier::Host;
use unit::{Scope, UnitName};

pub struct VerifyArgs {
    pub root: PathBuf,
    pub scope: Scope,
    pub units: Vec<String>,
}

/// Run the checks, print findings to stderr, return the exit code.
pub fn run(args: &VerifyArgs) -> u8 {
    let mut lookup = match args.scope {
        Scope::System => LookupPaths::system(&args.root),
        Scope::User => LookupPaths::user(&args.root, &UserEnv::from_env()),
        Scope::Global => LookupPaths::global(&args.root),
    };
    let mut names = Vec::new();
    let mut extra_dirs: Vec<PathBuf> = Vec::new();
    for arg in &args.units {
        if arg.contains('/') {
            let p = std::path::absolute(Path::new(arg)).unwrap_or_else(|_| PathBuf::from(arg));
            if let Some(dir) = p.parent() {
                if !extra_dirs.iter().any(|d| d == dir) {
                    extra_dirs.push(dir.to_path_buf());
                }
            }
            names.push(p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
        } else {
            names.push(arg.clone());
        }
    }
    for (i, d) in extra_dirs.into_iter().enumerate() {
        lookup.dirs.insert(i, SearchDir { path: d, kind: DirKind::Runtime });
    }
    let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
    let host = Host::detect(&args.root, args.scope, uid, gid);
    let loader = Loader::new(lookup, host);

    let mut failed = false;
    for name in &names {
        let un = match UnitName::parse(name) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("Failed to load unit {name}: {e}");
                failed = true;
                continue;
            }
        };
        let mut cfg = loader.load(&un);
        // Files are named as on disk (with the root), as systemd-analyze does.
        let at = |span: &unit::Span| format!("{}:{}", in_root(&args.root, &span.file).display(), span.line);
        for d in &cfg.diagnostics {
            eprintln!("{}: {}", at(&d.span), d.message);
        }
        for (d, span) in &cfg.unsupported {
            let what = if d.security { " (security-relevant: the unit runs less confined than written)" } else { "" };
            eprintln!("{}: {}= is not supported by vigil yet{what}", at(span), d.name);
        }
        for c in &cfg.checks {
            eprintln!("{}: {}", cfg.id, c.message);
        }
        if let Some(refusal) = socket_refusal(&cfg) {
            eprintln!("{}: {refusal}", cfg.id);
            cfg.load_state = LoadState::BadSetting;
        }
        if let Some(msg) = load_problem(&cfg, name) {
            eprintln!("{msg}");
            failed = true;
            continue;
        }
        if check_executables(&cfg, &args.root) {
            failed = true;
        }
        if let Some(msg) = start_job_problem(&loader, &cfg) {
            eprintln!("{}: Failed to create {}/start: {msg}", cfg.id, cfg.id);
            failed = true;
        }
    }
    u8::from(failed)
}

/// `systemd-analyze verify`'s line for a unit that did not load
/// (`bus_unit_validate_load_state()`).
fn load_problem(cfg: &UnitConfig, asked: &str) -> Option<String> {
    match cfg.load_state {
        LoadState::Loaded => None,
        LoadState::NotFound => Some(format!("Unit {asked} not found.")),
        LoadState::Masked => Some(format!("Unit {asked} is masked.")),
        LoadState::BadSetting => Some(format!("Unit {} has a bad unit file setting.", cfg.id)),
        LoadState::Error => Some(format!(
            "Unit {} failed to load properly, please adjust/correct and reload service manager: {}",
            cfg.id,
            cfg.load_error.unwrap_or(if cfg.has_errors() { "Bad message" } else { "Invalid argument" })
        )),
    }
}

/// `socket_verify()`: kept with the socket settings the manager builds
/// (they need the parsed ports), asked here so that verify refuses what
/// the manager refuses.
fn socket_refusal(cfg: &UnitConfig) -> Option<String> {
    if cfg.id.unit_type() != unit::UnitType::Socket || cfg.load_state != LoadState::Loaded {
        return None;
    }
    crate::daemon::sockets::SocketSettings::from_config(cfg, &mut Vec::new()).err()
}

/// "Command X is not executable": systemd 252 checks the *first* command
/// of each of a service's command lists (`ExecStartPre=`, `ExecStart=`, …),
/// unless it has the `-` prefix; a plain name is looked up in systemd's
/// fixed search path inside the root. Other unit types' commands are not
/// checked (they are only known while running).
fn check_executables(cfg: &UnitConfig, root: &Path) -> bool {
    if cfg.id.unit_type() != unit::UnitType::Service {
        return false;
    }
    let view = unit::config::service::ServiceView::new(cfg);
    let mut bad = false;
    for phase in EXEC_PHASES {
        let Some(c) = view.exec(phase).into_iter().next() else { continue };
        if c.flags.ignore_failure {
            continue;
        }
        let path = if c.path.starts_with('/') {
            Some(c.path.to_string())
        } else {
            unit::value::exec::resolve_executable(&c.path, |p| executable_problem(root, p).is_none())
        };
        let err = match &path {
            Some(p) => executable_problem(root, p),
            None => Some("No such file or directory"),
        };
        if let Some(e) = err {
            eprintln!("{}: Command {} is not executable: {e}", cfg.id, c.path);
            bad = true;
        }
    }
    bad
}

/// Why `path` (in-root) cannot be executed, if it cannot.
fn executable_problem(root: &Path, path: &str) -> Option<&'static str> {
    let p = match unit::paths::chase(root, Path::new(path)) {
        Ok(p) => in_root(root, &p),
        Err(_) => in_root(root, Path::new(path)),
    };
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => None,
        Ok(m) if m.is_dir() => Some("Is a directory"),
        Ok(_) => Some("Permission denied"),
        Err(_) => Some("No such file or directory"),
    }
}

/// Would a start job for the unit be refused? Everything it requires,
/// transitively, must load.
fn start_job_problem(loader: &Loader, cfg: &UnitConfig) -> Option<String> {
    let scope = loader.lookup.scope;
    let mut seen: HashSet<String> = cfg.names().map(|n| n.as_str().to_string()).collect();
    let mut queue: VecDeque<UnitConfig> = VecDeque::from([cfg.clone()]);
    while let Some(u) = queue.pop_front() {
        for d in deps::unit_deps(&u, scope) {
            if !matches!(d.kind, DepKind::Requires | DepKind::Requisite | DepKind::BindsTo) {
                continue;
            }
            if !seen.insert(d.other.clone()) {
                continue;
            }
            let Ok(name) = UnitName::parse(&d.other) else { continue };
            let dep = loader.load(&name);
            match dep.load_state {
                LoadState::Loaded => {
                    for n in dep.names() {
                        seen.insert(n.as_str().to_string());
                    }
                    queue.push_back(dep);
                }
                LoadState::NotFound => return Some(format!("Unit {} not found.", d.other)),
                LoadState::Masked => return Some(format!("Unit {} is masked.", d.other)),
                LoadState::BadSetting | LoadState::Error => {
                    // Loading it logged why, as systemd's loader does.
                    for c in &dep.checks {
                        eprintln!("{}: {}", dep.id, c.message);
                    }
                    return load_problem(&dep, &d.other);
                }
            }
        }
    }
    None
}
