//! [`ExecPlan`]: everything the manager decided about one process, as plain
//! data. No descriptors are owned here and nothing is resolved yet; user
//! and group names are looked up by [`ExecPlan::prepare`](crate::ExecPlan::prepare)
//! in the parent, never in the forked child.
//!
//! The defaults of [`ExecPlan::new`] are systemd's defaults for a system
//! service (`systemd.exec(5)`): working directory `/`, umask `0022`,
//! `IgnoreSIGPIPE=yes`, a new session, standard input from `/dev/null`,
//! standard output and error `inherit` (the manager's own outside PID 1).

use std::ffi::OsString;
use std::os::fd::RawFd;
use std::path::PathBuf;

/// One process to start: the command, its environment and the execution
/// context of `systemd.exec(5)` that this crate implements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlan {
    /// Executable to `execve(2)`. Must be absolute: the child does no
    /// `$PATH` search (systemd resolves bare names at load time).
    pub path: PathBuf,
    /// `argv[0]`, separate from `path` so that `ExecStart=@/bin/x name …`
    /// can pass a different name.
    pub argv0: OsString,
    /// `argv[1..]`.
    pub args: Vec<OsString>,
    /// The final environment as `KEY=VALUE` entries, already expanded by
    /// the caller. `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` are
    /// added (and any caller entries with those keys dropped) when
    /// [`listen_fds`](Self::listen_fds) is not empty.
    pub environment: Vec<OsString>,
    /// `WorkingDirectory=`; systemd's system-manager default is `/`.
    pub working_directory: WorkingDirectory,
    /// `RootDirectory=`: `chroot(2)` target. The working directory is then
    /// interpreted inside it.
    pub root_directory: Option<PathBuf>,
    /// `User=`: a name or a numeric UID, resolved before fork.
    pub user: Option<String>,
    /// `Group=`: a name or a numeric GID; defaults to the user's primary group.
    pub group: Option<String>,
    /// `SupplementaryGroups=`, added to the user's own groups (initgroups).
    pub supplementary_groups: Vec<String>,
    /// `UMask=`.
    pub umask: u32,
    /// `Nice=` (-20..=19).
    pub nice: Option<i32>,
    /// `OOMScoreAdjust=` (-1000..=1000).
    pub oom_score_adjust: Option<i32>,
    /// `LimitCPU=`, `LimitNOFILE=`, …
    pub rlimits: Vec<Rlimit>,
    /// `IgnoreSIGPIPE=`: leave `SIGPIPE` ignored in the service.
    pub ignore_sigpipe: bool,
    /// `NoNewPrivileges=`.
    pub no_new_privileges: bool,
    /// `CapabilityBoundingSet=` as the mask of capabilities to KEEP
    /// (bit `n` = capability `n`); `None` leaves the bounding set alone.
    pub capability_bounding_set: Option<u64>,
    /// `AmbientCapabilities=` as a mask (bit `n` = capability `n`).
    pub ambient_capabilities: u64,
    /// `SecureBits=` as the raw `SECBIT_*` mask.
    pub secure_bits: u32,
    /// `StandardInput=`.
    pub stdin: Stdio,
    /// `StandardOutput=`.
    pub stdout: Stdio,
    /// `StandardError=`.
    pub stderr: Stdio,
    /// Socket-activation descriptors, placed at 3, 4, … in this order
    /// (`sd_listen_fds(3)`). Borrowed: the caller keeps them open across
    /// the spawn call and closes its copies when it wants to.
    pub listen_fds: Vec<ListenFd>,
    /// `NonBlocking=`: set `O_NONBLOCK` on the listen descriptors (cleared
    /// otherwise, as systemd does).
    pub non_blocking: bool,
    /// Start a new session with `setsid(2)`. systemd always does this for
    /// service processes; only set it to `false` for helpers that must stay
    /// in the manager's session.
    pub new_session: bool,
    /// Directory of a cgroup (v2, or any hierarchy with `cgroup.procs`) that
    /// the child joins before anything else runs in it.
    pub cgroup: Option<PathBuf>,
    /// The directory of `cgroup`, already open (`O_PATH` is enough:
    /// `clone3(2)` takes it with `fget_raw`), kept open by the caller until
    /// the spawn returns. The child is then created in the group through
    /// it instead of the spawn opening `cgroup` by path: a manager that
    /// keeps its base group open reaches the unit's group in one step,
    /// where the path walks every component of `/sys/fs/cgroup/…`, each a
    /// kernfs revalidation. `cgroup` is still needed: the fork fallback
    /// writes the child's PID into its `cgroup.procs`.
    pub cgroup_fd: Option<std::os::fd::RawFd>,
    /// `prctl(PR_SET_PDEATHSIG)`: signal the child gets when the manager
    /// dies (strictly: when the thread that forked it exits, which in a
    /// single-threaded manager is the process). Not a systemd setting;
    /// useful for helper processes.
    pub parent_death_signal: Option<i32>,
    /// The caller (which creates `RuntimeDirectory=`… before fork, see
    /// the manager's `exec_dirs`) could not set up this directory kind,
    /// with this errno: the child fails at that kind's step, in systemd's
    /// place for it (after the umask, before the credentials), and exits
    /// with 233/RUNTIME_DIRECTORY, 238/STATE_DIRECTORY… as systemd's child
    /// does (`systemd.exec(5)`, "PROCESS EXIT CODES").
    pub exec_directory_failure: Option<(ExecDirectory, i32)>,
    /// The namespaces of `systemd.exec(5)`'s sandboxing settings
    /// ([`crate::sandbox`]); `None` runs in the manager's.
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// `WorkingDirectory=`: where the child `chdir(2)`s after switching user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingDirectory {
    /// Target directory.
    pub path: WorkDirPath,
    /// The `-` prefix: a missing or inaccessible directory is not an error.
    pub missing_ok: bool,
}

/// Target of [`WorkingDirectory`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkDirPath {
    /// An absolute path (inside [`ExecPlan::root_directory`] when set).
    Path(PathBuf),
    /// `~`: the home directory of [`ExecPlan::user`], or of the manager's
    /// own user when no user is set.
    Home,
}

impl Default for WorkingDirectory {
    fn default() -> Self {
        WorkingDirectory {
            path: WorkDirPath::Path(PathBuf::from("/")),
            missing_ok: false,
        }
    }
}

/// Where one standard stream of the child comes from or goes to
/// (`StandardInput=`, `StandardOutput=`, `StandardError=` in
/// `systemd.exec(5)`). The manager maps `journal`, `kmsg` and friends to
/// [`Stdio::Fd`] or [`Stdio::Socket`] carrying its journal stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// `/dev/null`, opened read-only for stdin and write-only for output.
    Null,
    /// systemd's `inherit`, for outputs only (there is no
    /// `StandardInput=inherit`; pass `Fd(0)` to hand over the manager's own
    /// stdin). Resolved as `systemd.exec(5)` describes it for
    /// `StandardOutput=inherit`: a copy of the child's stdin when that is
    /// a terminal, file or socket; otherwise the manager's own descriptor,
    /// or `/dev/null` when the manager is PID 1. For stderr: a copy of the
    /// child's stdout, except that it stays the manager's own stderr when
    /// stdout was inherited the same way.
    Inherit,
    /// A terminal device. For stdin the child also makes it its controlling
    /// terminal (`TIOCSCTTY`, which needs [`ExecPlan::new_session`]) and
    /// fails if it cannot (systemd's `tty-fail`; the waiting `tty` and the
    /// stealing `tty-force` variants are not implemented); outputs just
    /// open it.
    Tty(PathBuf),
    /// A descriptor the caller holds (a pipe, a journal stream); it is
    /// duplicated onto the stream, the caller keeps its copy.
    Fd(RawFd),
    /// A connected socket (`StandardInput=socket`, `Accept=yes`): like
    /// [`Stdio::Fd`], and `O_NONBLOCK` is cleared as systemd does.
    Socket(RawFd),
    /// `file:`, `append:`, `truncate:` (and a file as stdin). Outputs are
    /// created with mode `0666 & ~UMask=` when missing; an `AF_UNIX`
    /// stream socket at `path` is connected to instead of opened.
    File { path: PathBuf, mode: FileMode },
    /// `StandardInput=data` (stdin only): these bytes, read from a sealed
    /// memfd as systemd's `acquire_data_fd()` provides them, so the
    /// service sees a regular, seekable, read-only file.
    Data(Vec<u8>),
}

/// The five `…Directory=` kinds of `systemd.exec(5)`, in systemd's
/// `ExecDirectoryType` order (which is also the order they are set up in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecDirectory {
    Runtime,
    State,
    Cache,
    Logs,
    Configuration,
}

/// How [`Stdio::File`] opens its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileMode {
    /// Read only; the only mode valid for stdin.
    Read,
    /// `file:`: write from the start without truncating.
    Write,
    /// `append:`: `O_APPEND`.
    Append,
    /// `truncate:`: `O_TRUNC`.
    Truncate,
}

/// One socket-activation descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenFd {
    /// The caller's descriptor; duplicated to `3 + index` in the child.
    pub fd: RawFd,
    /// `FileDescriptorName=`; joined with `:` into `LISTEN_FDNAMES`.
    pub name: String,
}

/// A resource limit (`setrlimit(2)`); `u64::MAX` is `infinity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

/// The `Limit*=` resources of `systemd.exec(5)`, "Process Properties".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Cpu,
    Fsize,
    Data,
    Stack,
    Core,
    Rss,
    Nofile,
    As,
    Nproc,
    Memlock,
    Locks,
    Sigpending,
    Msgqueue,
    Nice,
    Rtprio,
    Rttime,
}

impl Resource {
    /// Every resource, in the kernel's numbering order.
    pub const ALL: [Resource; 16] = [
        Resource::Cpu,
        Resource::Fsize,
        Resource::Data,
        Resource::Stack,
        Resource::Core,
        Resource::Rss,
        Resource::Nofile,
        Resource::As,
        Resource::Nproc,
        Resource::Memlock,
        Resource::Locks,
        Resource::Sigpending,
        Resource::Msgqueue,
        Resource::Nice,
        Resource::Rtprio,
        Resource::Rttime,
    ];

    /// The `RLIMIT_*` number for `setrlimit(2)`.
    pub fn as_raw(self) -> libc::__rlimit_resource_t {
        match self {
            Resource::Cpu => libc::RLIMIT_CPU,
            Resource::Fsize => libc::RLIMIT_FSIZE,
            Resource::Data => libc::RLIMIT_DATA,
            Resource::Stack => libc::RLIMIT_STACK,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Rss => libc::RLIMIT_RSS,
            Resource::Nofile => libc::RLIMIT_NOFILE,
            Resource::As => libc::RLIMIT_AS,
            Resource::Nproc => libc::RLIMIT_NPROC,
            Resource::Memlock => libc::RLIMIT_MEMLOCK,
            Resource::Locks => libc::RLIMIT_LOCKS,
            Resource::Sigpending => libc::RLIMIT_SIGPENDING,
            Resource::Msgqueue => libc::RLIMIT_MSGQUEUE,
            Resource::Nice => libc::RLIMIT_NICE,
            Resource::Rtprio => libc::RLIMIT_RTPRIO,
            Resource::Rttime => libc::RLIMIT_RTTIME,
        }
    }

    /// The directive that sets this limit, e.g. `LimitNOFILE`.
    pub fn directive(self) -> &'static str {
        match self {
            Resource::Cpu => "LimitCPU",
            Resource::Fsize => "LimitFSIZE",
            Resource::Data => "LimitDATA",
            Resource::Stack => "LimitSTACK",
            Resource::Core => "LimitCORE",
            Resource::Rss => "LimitRSS",
            Resource::Nofile => "LimitNOFILE",
            Resource::As => "LimitAS",
            Resource::Nproc => "LimitNPROC",
            Resource::Memlock => "LimitMEMLOCK",
            Resource::Locks => "LimitLOCKS",
            Resource::Sigpending => "LimitSIGPENDING",
            Resource::Msgqueue => "LimitMSGQUEUE",
            Resource::Nice => "LimitNICE",
            Resource::Rtprio => "LimitRTPRIO",
            Resource::Rttime => "LimitRTTIME",
        }
    }
}

impl ExecPlan {
    /// A plan running `path` with `argv[0] = path`, no arguments, an empty
    /// environment and systemd's defaults for everything else.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        ExecPlan {
            argv0: path.clone().into_os_string(),
            path,
            args: Vec::new(),
            environment: Vec::new(),
            working_directory: WorkingDirectory::default(),
            root_directory: None,
            user: None,
            group: None,
            supplementary_groups: Vec::new(),
            umask: 0o022,
            nice: None,
            oom_score_adjust: None,
            rlimits: Vec::new(),
            ignore_sigpipe: true,
            no_new_privileges: false,
            capability_bounding_set: None,
            ambient_capabilities: 0,
            secure_bits: 0,
            stdin: Stdio::Null,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
            listen_fds: Vec::new(),
            non_blocking: false,
            new_session: true,
            cgroup: None,
            cgroup_fd: None,
            parent_death_signal: None,
            exec_directory_failure: None,
            sandbox: None,
        }
    }

    /// Builder-style helper: set `argv[1..]`.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
}
