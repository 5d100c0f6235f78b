//! One command of a unit → an [`ExecPlan`] the exec crate can spawn.
//!
//! The environment is built in systemd's order (`systemd.exec(5)`,
//! "Environment Variables in Spawned Processes", and `build_environment()`
//! then `exec_child()` in systemd 252): the manager's own block (`PATH`…),
//! the per-invocation variables (`INVOCATION_ID`, `NOTIFY_SOCKET`,
//! `MAINPID`, `$SERVICE_RESULT`/`$EXIT_CODE`/`$EXIT_STATUS` for stop
//! commands), the user's `HOME`/`USER`/`LOGNAME`/`SHELL` when `User=` is
//! set, `JOURNAL_STREAM` when output goes to the journal,
//! `$RUNTIME_DIRECTORY` and its siblings, then `PassEnvironment=`
//! (from the manager's own environment), `Environment=`, `EnvironmentFile=`
//! (later wins), and last `UnsetEnvironment=` takes entries out. `$VAR` in
//! arguments is expanded from that block afterwards.
//!
//! The command prefixes decide what applies (`systemd.service(5)`, table
//! "Special executable prefixes"): `+` skips the user switch and every
//! privilege restriction (capabilities, securebits, `NoNewPrivileges=`);
//! `!` skips only the user switch; `!!` is `!` on kernels without ambient
//! capabilities, which vigil does not support, so it changes nothing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use exec::{ExecPlan, FileMode, Stdio, WorkDirPath, WorkingDirectory};
use unit::config::service::ServiceView;
use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::value::env::{env_replace, parse_env_file};
use unit::value::exec::{expand_argv, resolve_executable};
use unit::value::{ExecCommand, StdInput, StdOutput, Value};

use super::exec_dirs;

/// systemd's default `PATH` for services.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Per-spawn facts the unit file does not hold.
pub struct SpawnContext<'a> {
    pub invocation_id: &'a str,
    pub notify_socket: Option<&'a Path>,
    pub main_pid: Option<u32>,
    /// The watchdog timeout in effect (`WatchdogSec=`, or `WATCHDOG_USEC=`
    /// from the service), for `$WATCHDOG_USEC`.
    pub watchdog_usec: Option<u64>,
    /// `(SERVICE_RESULT, EXIT_CODE, EXIT_STATUS)` for stop commands.
    pub exit_info: Option<(String, String, String)>,
    pub cgroup: Option<PathBuf>,
    /// The manager's environment block (`systemctl set-environment`).
    pub manager_env: &'a [(String, String)],
    /// A stream to the journal for `StandardOutput=journal` and friends;
    /// `None` when there is no journal (output goes to the manager's own).
    pub journal: Option<std::os::fd::RawFd>,
    /// Socket activation: descriptors and `REMOTE_ADDR`/`REMOTE_PORT`.
    pub activation: &'a crate::daemon::sockets::Activation,
    /// Where the exec directories (`RuntimeDirectory=`…) live.
    pub dirs: &'a exec_dirs::Bases,
    /// What sandboxes need from the manager (`sandbox.rs`).
    pub sandbox: &'a super::sandbox::Base,
}

/// Problems building the plan; the manager reports them as a failed spawn.
#[derive(Debug)]
pub struct PlanError(pub String);

/// The descriptor named `name` among the unit's sockets (`fd:NAME`; the
/// bare `fd` means the stream's own name), as `exec_context_named_iofds()`
/// looks it up.
fn named_fd(ctx: &SpawnContext<'_>, name: Option<&str>, default: &str) -> Result<std::os::fd::RawFd, PlanError> {
    let want = name.unwrap_or(default);
    ctx.activation
        .fds
        .iter()
        .find(|l| l.name == want)
        .map(|l| l.fd)
        .ok_or_else(|| PlanError(format!("Failed to load a named file descriptor: {want}: No such file or directory")))
}

/// `TTYPath=`, for `tty` inputs and outputs.
fn tty_path(cfg: &UnitConfig) -> PathBuf {
    PathBuf::from(cfg.string(S::Service, "TTYPath").unwrap_or("/dev/console"))
}

fn output(cfg: &UnitConfig, o: &StdOutput, ctx: &SpawnContext<'_>, stream: &str) -> Result<Stdio, PlanError> {
    let journal = ctx.journal;
    Ok(match o {
        StdOutput::Journal | StdOutput::JournalConsole | StdOutput::Kmsg | StdOutput::KmsgConsole => {
            journal.map(Stdio::Fd).unwrap_or(Stdio::Inherit)
        }
        StdOutput::Null => Stdio::Null,
        StdOutput::Tty => Stdio::Tty(tty_path(cfg)),
        StdOutput::File(Some(p)) => Stdio::File { path: (**p).into(), mode: FileMode::Write },
        StdOutput::Append(Some(p)) => Stdio::File { path: (**p).into(), mode: FileMode::Append },
        StdOutput::Truncate(Some(p)) => Stdio::File { path: (**p).into(), mode: FileMode::Truncate },
        StdOutput::Fd(name) => Stdio::Fd(named_fd(ctx, name.as_deref(), stream)?),
        // inherit, and socket (set by `sockets::pass::apply`): the
        // manager's own output until then.
        _ => Stdio::Inherit,
    })
}

/// systemd's `EXEC_STDIN_DATA_MAX`: 64 MiB.
const STDIN_DATA_MAX: usize = 64 * 1024 * 1024;

/// The buffer of `StandardInputText=`/`StandardInputData=` (`systemd.exec(5)`):
/// in file order, a text line is C-unescaped, trimmed and followed by a
/// newline, data is base64 with blanks ignored; an empty assignment of
/// either clears the buffer (the settings layer already dropped what came
/// before it). `None` when neither is set.
pub fn stdin_data(cfg: &UnitConfig) -> Result<Option<Vec<u8>>, PlanError> {
    // Two lookups for the common unit without either (every spawn asks).
    if ["StandardInputText", "StandardInputData"].iter().all(|n| cfg.settings.get(S::Service, n).is_empty()) {
        return Ok(None);
    }
    let shared = unit::directive::Merge::Shared(unit::directive::ResetGroup::StdinData);
    let parts = cfg.settings.in_order(|d| d.section == S::Service && d.merge == shared);
    if parts.is_empty() {
        return Ok(None);
    }
    let mut buf = Vec::new();
    for (d, a) in parts {
        let Value::String(raw) = &a.value else { continue };
        if d.name == "StandardInputText" {
            let text = unit::value::words::cunescape(raw.trim())
                .map_err(|e| PlanError(format!("StandardInputText={raw}: {e}")))?;
            buf.extend_from_slice(text.as_bytes());
            buf.push(b'\n');
        } else {
            let bytes = tmpfiles::parse::base64_decode(raw)
                .ok_or_else(|| PlanError(format!("StandardInputData=: failed to decode base64 data {raw:?}")))?;
            buf.extend_from_slice(&bytes);
        }
        if buf.len() > STDIN_DATA_MAX {
            return Err(PlanError(format!("Standard input data too large ({} bytes), maximum of {STDIN_DATA_MAX} permitted", buf.len())));
        }
    }
    Ok(Some(buf))
}

/// `StandardInput=`. `socket` is set by `sockets::pass::apply`; `data`
/// (the default when `StandardInputText=`/`StandardInputData=` is set
/// and `StandardInput=` is not) feeds the buffer of [`stdin_data`].
fn input(cfg: &UnitConfig, ctx: &SpawnContext<'_>) -> Result<Stdio, PlanError> {
    Ok(match cfg.value(S::Service, "StandardInput") {
        Some(Value::Input(StdInput::Tty | StdInput::TtyForce | StdInput::TtyFail)) => {
            Stdio::Tty(tty_path(cfg))
        }
        Some(Value::Input(StdInput::File(Some(p)))) => Stdio::File { path: (**p).into(), mode: FileMode::Read },
        Some(Value::Input(StdInput::Fd(name))) => Stdio::Fd(named_fd(ctx, name.as_deref(), "stdin")?),
        Some(Value::Input(StdInput::Data)) => Stdio::Data(stdin_data(cfg)?.unwrap_or_default()),
        None => stdin_data(cfg)?.map_or(Stdio::Null, Stdio::Data),
        _ => Stdio::Null,
    })
}

/// The environment of one command, in systemd's order.
pub fn environment(cfg: &UnitConfig, ctx: &SpawnContext<'_>) -> Vec<(String, String)> {
    let v = ServiceView::new(cfg);
    let mut env: Vec<(String, String)> = vec![("PATH".into(), DEFAULT_PATH.into())];
    for (k, val) in ctx.manager_env {
        env_replace(&mut env, k.clone(), val.clone());
    }
    env_replace(&mut env, "INVOCATION_ID".into(), ctx.invocation_id.into());
    if let Some(n) = ctx.notify_socket {
        env_replace(&mut env, "NOTIFY_SOCKET".into(), n.display().to_string());
    }
    if let Some(pid) = ctx.main_pid {
        env_replace(&mut env, "MAINPID".into(), pid.to_string());
    }
    // systemd.exec(5), "$WATCHDOG_USEC": set when the watchdog is on.
    // (Its companion $WATCHDOG_PID, the process's own pid, is not set:
    // the environment is built before the fork.)
    if let Some(usec) = ctx.watchdog_usec {
        env_replace(&mut env, "WATCHDOG_USEC".into(), usec.to_string());
    }
    if let Some((result, code, status)) = &ctx.exit_info {
        env_replace(&mut env, "SERVICE_RESULT".into(), result.clone());
        if !code.is_empty() {
            env_replace(&mut env, "EXIT_CODE".into(), code.clone());
            env_replace(&mut env, "EXIT_STATUS".into(), status.clone());
        }
    }
    for (k, val) in &ctx.activation.env {
        env_replace(&mut env, k.clone(), val.clone());
    }
    if let Some(user) = v.user() {
        if let Ok(info) = exec::resolve_user(user) {
            env_replace(&mut env, "HOME".into(), info.home.display().to_string());
            env_replace(&mut env, "USER".into(), info.name.clone());
            env_replace(&mut env, "LOGNAME".into(), info.name.clone());
            env_replace(&mut env, "SHELL".into(), info.shell.display().to_string());
        }
    }
    // `JOURNAL_STREAM=DEV:INODE` of the journal stream, so that a service
    // can tell its output goes to the journal (`systemd.exec(5)`).
    if let Some(fd) = ctx.journal {
        // SAFETY: fstat on a descriptor the caller keeps open, into a local.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } == 0 {
            env_replace(&mut env, "JOURNAL_STREAM".into(), format!("{}:{}", st.st_dev, st.st_ino));
        }
    }
    for (k, val) in exec_dirs::environment(cfg, ctx.dirs) {
        env_replace(&mut env, k, val);
    }
    // `PassEnvironment=`: from the manager's own environment; names it
    // does not have are skipped, as in systemd.
    for name in cfg.strings(S::Service, "PassEnvironment").into_iter().filter(|n| !n.contains('=')) {
        if let Some(val) = std::env::var_os(name) {
            env_replace(&mut env, name.to_string(), val.to_string_lossy().into_owned());
        }
    }
    for (k, val) in v.environment() {
        env_replace(&mut env, k, val);
    }
    for (path, _optional) in v.environment_files() {
        // A missing optional file is fine; a missing mandatory one fails
        // the command in systemd (exit 226/NAMESPACE-style); we skip it
        // here and the manager logs it when building the plan.
        if let Ok(bytes) = std::fs::read(path) {
            let mut warnings = Vec::new();
            if let Ok(list) = parse_env_file(&bytes, &mut warnings) {
                for (k, val) in list {
                    env_replace(&mut env, k, val);
                }
            }
        }
    }
    // `UnsetEnvironment=`: a name removes the variable, `NAME=value` only
    // that exact assignment (`strv_env_delete()`).
    for pat in cfg.strings(S::Service, "UnsetEnvironment") {
        env.retain(|(k, val)| match pat.split_once('=') {
            Some((pk, pv)) => !(k == pk && val == pv),
            None => k != pat,
        });
    }
    env
}

/// Build the plan for `cmd` of `cfg`.
pub fn build(cfg: &UnitConfig, cmd: &ExecCommand, ctx: &SpawnContext<'_>) -> Result<ExecPlan, PlanError> {
    let v = ServiceView::new(cfg);
    for (path, optional) in v.environment_files() {
        if !optional && std::fs::metadata(path).is_err() {
            return Err(PlanError(format!("Failed to load environment files: {path}: No such file or directory")));
        }
    }
    let env = environment(cfg, ctx);
    let path = resolve_executable(&cmd.path, |p| {
        std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false)
    })
    .ok_or_else(|| PlanError(format!("Unable to locate executable '{}': No such file or directory", cmd.path)))?;
    let argv = if cmd.flags.no_env_expand {
        cmd.argv.to_vec()
    } else {
        expand_argv(cmd, |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    let mut plan = ExecPlan::new(PathBuf::from(&path));
    let mut args = argv.into_iter();
    plan.argv0 = OsString::from(args.next().unwrap_or_else(|| path.clone()));
    plan.args = args.map(OsString::from).collect();
    plan.environment = env
        .iter()
        .map(|(k, v)| {
            let mut kv = String::with_capacity(k.len() + 1 + v.len());
            kv.push_str(k);
            kv.push('=');
            kv.push_str(v);
            OsString::from(kv)
        })
        .collect();
    if let Some(Value::String(wd)) = cfg.value(S::Service, "WorkingDirectory") {
        let (missing_ok, wd) = match wd.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, wd.as_str()),
        };
        let path = if wd == "~" { WorkDirPath::Home } else { WorkDirPath::Path(PathBuf::from(wd)) };
        plan.working_directory = WorkingDirectory { path, missing_ok };
    }
    if let Some(Value::String(rd)) = cfg.value(S::Service, "RootDirectory") {
        plan.root_directory = Some(PathBuf::from(rd));
    }
    // `+` runs the command with full privileges, `!` without the user
    // switch (systemd.service(5)).
    let sandboxed = !cmd.flags.privileged;
    if sandboxed && !cmd.flags.no_setuid {
        plan.user = v.user().map(str::to_string);
        plan.group = v.group().map(str::to_string);
        plan.supplementary_groups =
            cfg.strings(S::Service, "SupplementaryGroups").into_iter().map(str::to_string).collect();
    }
    if let Some(Value::Mode(m)) = cfg.value(S::Service, "UMask") {
        plan.umask = *m;
    }
    if let Some(Value::Int(n)) = cfg.value(S::Service, "Nice") {
        plan.nice = i32::try_from(*n).ok();
    }
    if let Some(Value::Int(n)) = cfg.value(S::Service, "OOMScoreAdjust") {
        plan.oom_score_adjust = i32::try_from(*n).ok();
    }
    plan.rlimits = rlimits(cfg);
    plan.ignore_sigpipe = cfg.bool_or(S::Service, "IgnoreSIGPIPE", true);
    if sandboxed {
        plan.no_new_privileges = cfg.bool_or(S::Service, "NoNewPrivileges", false);
        plan.capability_bounding_set = Some(capability_set(cfg, "CapabilityBoundingSet", u64::MAX))
            .filter(|&m| m != u64::MAX);
        plan.ambient_capabilities = capability_set(cfg, "AmbientCapabilities", 0);
        if let Some(Value::SecureBits(b)) = cfg.value(S::Service, "SecureBits") {
            plan.secure_bits = b.0;
        }
        let has_user = plan.user.as_deref().is_some_and(|u| u != "root" && u != "0");
        let shaped = super::sandbox::shape(cfg, ctx.invocation_id, ctx.sandbox, ctx.dirs, has_user, plan.capability_bounding_set)
            .map_err(PlanError)?;
        if shaped.drop_caps != 0 {
            plan.capability_bounding_set = Some(plan.capability_bounding_set.unwrap_or(u64::MAX) & !shaped.drop_caps);
        }
        plan.no_new_privileges |= shaped.implies_no_new_privileges;
        plan.sandbox = shaped.sandbox;
    }
    plan.stdin = input(cfg, ctx)?;
    let (out, err) = unit::config::deps::effective_output(cfg, S::Service);
    plan.stdout = output(cfg, &out, ctx, "stdout")?;
    plan.stderr = output(cfg, &err, ctx, "stderr")?;
    crate::daemon::sockets::pass::apply(&mut plan, cfg, ctx.activation).map_err(PlanError)?;
    if let Err(e) = exec_dirs::setup(cfg, ctx.dirs) {
        plan.exec_directory_failure = Some(e.for_child());
    }
    plan.cgroup = ctx.cgroup.clone();
    Ok(plan)
}

/// Every `Limit*=` the unit sets, as `(soft, hard)` pairs.
fn rlimits(cfg: &UnitConfig) -> Vec<exec::Rlimit> {
    exec::Resource::ALL
        .iter()
        .filter_map(|&resource| match cfg.value(S::Service, resource.directive()) {
            Some(Value::Limit(l)) => Some(exec::Rlimit { resource, soft: l.soft, hard: l.hard }),
            _ => None,
        })
        .collect()
}

/// `CapabilityBoundingSet=`/`AmbientCapabilities=` folded the way
/// systemd's `config_parse_capability_set()` does: starting from
/// `initial` (all for the bounding set, none for the ambient set), an
/// assignment replaces the set while it is still `initial` or when it
/// names nothing (`~` alone); otherwise it adds its capabilities, or with
/// `~` removes them.
pub fn capability_set(cfg: &UnitConfig, name: &str, initial: u64) -> u64 {
    let mut set = initial;
    for a in cfg.settings.get(S::Service, name) {
        let Value::Capabilities(c) = &a.value else { continue };
        if c.mask == 0 || set == initial {
            set = if c.invert { !c.mask } else { c.mask };
        } else if c.invert {
            set &= !c.mask;
        } else {
            set |= c.mask;
        }
    }
    set
}

/// Whether a command's output goes to the journal (so the manager must
/// open a stream for it).
///
/// With `StandardInput=socket`, an unset (or `inherit`) output stays on
/// the socket, as systemd 252's `service_fix_stdio()` leaves it for
/// bidirectional inputs ([`crate::daemon::sockets::pass`] puts it there):
/// an `Accept=yes` instance writes to its connection, so it gets no
/// journal stream (and no `JOURNAL_STREAM=`).
pub fn wants_journal(cfg: &UnitConfig) -> bool {
    let (out, err) = unit::config::deps::effective_output(cfg, S::Service);
    let socket_in = matches!(cfg.value(S::Service, "StandardInput"), Some(Value::Input(StdInput::Socket)));
    let inherits = |name: &str| matches!(cfg.value(S::Service, name), None | Some(Value::Output(StdOutput::Inherit)));
    let out_on_socket = socket_in && inherits("StandardOutput");
    let err_on_socket = out_on_socket && inherits("StandardError");
    let j = |o: &StdOutput| matches!(o, StdOutput::Journal | StdOutput::JournalConsole | StdOutput::Kmsg | StdOutput::KmsgConsole);
    (j(&out) && !out_on_socket) || (j(&err) && !err_on_socket)
}

/// The stream header's identifier and priority (`SyslogIdentifier=`,
/// `SyslogFacility=` × 8 + `SyslogLevel=`, `SyslogLevelPrefix=`).
pub fn journal_identity(cfg: &UnitConfig, cmd: &ExecCommand) -> (String, u8, bool) {
    let ident = cfg
        .string(S::Service, "SyslogIdentifier")
        .map(str::to_string)
        .unwrap_or_else(|| Path::new(&*cmd.path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
    (ident, syslog_priority(cfg), cfg.bool_or(S::Service, "SyslogLevelPrefix", true))
}

/// `SyslogFacility=` × 8 + `SyslogLevel=` (`daemon.info`, 30, unset).
pub fn syslog_priority(cfg: &UnitConfig) -> u8 {
    let facility = match cfg.value(S::Service, "SyslogFacility") {
        Some(Value::SyslogFacility(f)) => *f,
        _ => 3,
    };
    let level = match cfg.value(S::Service, "SyslogLevel") {
        Some(Value::SyslogLevel(l)) => *l,
        _ => 6,
    };
    facility.saturating_mul(8).saturating_add(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(n: u32, text: &str) -> UnitConfig {
        let dir = std::env::temp_dir().join(format!("vigil-exec-plan-{}-{n}", std::process::id()));
        let units = dir.join("etc/systemd/system");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(units.join("x.service"), format!("[Service]\nExecStart=/bin/true\n{text}")).unwrap();
        let lookup = unit::LookupPaths::system(&dir);
        let host = unit::specifier::Host::detect(&dir, unit::Scope::System, 0, 0);
        let c = unit::config::Loader::new(lookup, host).load(&unit::UnitName::parse("x.service").unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        c
    }

    /// `service_fix_stdio()`: output left on the connection needs no
    /// journal stream; an explicit journal output, or no socket input, does.
    #[test]
    fn socket_input_needs_no_journal_stream() {
        assert!(!wants_journal(&cfg(1, "StandardInput=socket\n")));
        assert!(!wants_journal(&cfg(2, "StandardInput=socket\nStandardOutput=inherit\n")));
        assert!(!wants_journal(&cfg(3, "StandardInput=socket\nStandardError=null\n")));
        assert!(wants_journal(&cfg(4, "StandardInput=socket\nStandardError=journal\n")));
        assert!(wants_journal(&cfg(5, "StandardInput=socket\nStandardOutput=journal\n")));
        assert!(wants_journal(&cfg(6, "StandardInput=null\n")));
        assert!(wants_journal(&cfg(7, "")));
    }
}
