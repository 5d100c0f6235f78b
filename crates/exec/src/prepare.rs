//! [`PreparedPlan`]: an [`ExecPlan`] turned into exactly the bytes and
//! numbers the forked child needs, so that the child never allocates.
//!
//! Everything that may allocate, fail on bad input or take a lock happens
//! here, in the parent: `CString`s for the path, argv, environment and
//! every file name; user and group resolution through NSS ([`crate::creds`]);
//! the `oom_score_adj` text; the systemd rules that decide what an
//! `inherit` standard stream means (`systemd.exec(5)`, "Logging and
//! Standard Input/Output"). A prepared plan holds no descriptors and can be
//! spawned any number of times (restarts reuse it).
//!
//! Main types: [`PreparedPlan`], [`PrepareError`].

use std::ffi::CString;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

use libc::{c_int, gid_t, mode_t, uid_t};

use crate::creds::{self, CredError, UserInfo};
use crate::exit_status;
use crate::plan::{ExecPlan, FileMode, Stdio, WorkDirPath};
use crate::sys;

/// Why a plan cannot be prepared. Nothing has been forked yet.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("executable path {0:?} is not absolute")]
    RelativePath(std::path::PathBuf),
    #[error("{what} contains a NUL byte: {value:?}")]
    Nul { what: &'static str, value: String },
    #[error("StandardInput= cannot be inherit (pass the manager's descriptor 0 as Fd(0) instead)")]
    StdinInherit,
    #[error("{stream}: data is valid for StandardInput= only")]
    DataOutput { stream: &'static str },
    #[error("{stream}: file mode {mode:?} is not valid for this stream")]
    FileMode {
        stream: &'static str,
        mode: FileMode,
    },
    #[error("FileDescriptorName= {0:?} is invalid (must be 1-255 printable ASCII characters without ':')")]
    ListenFdName(String),
    #[error("environment entry {0:?} is not of the form KEY=VALUE")]
    Environment(String),
    #[error("parent death signal {0} is not a valid signal number")]
    Signal(i32),
    #[error("User={name}: {source}")]
    User {
        name: String,
        #[source]
        source: CredError,
    },
    #[error("Group={name}: {source}")]
    Group {
        name: String,
        #[source]
        source: CredError,
    },
    #[error("WorkingDirectory=~: cannot determine the home directory: {0}")]
    Home(#[source] CredError),
}

impl PrepareError {
    /// The exit code systemd's child would have exited with for this
    /// failure (it resolves credentials after fork; we do it before), so
    /// that the manager can report the same `status=217/USER`.
    pub fn exit_code(&self) -> Option<u8> {
        match self {
            PrepareError::User { .. } => Some(exit_status::EXIT_USER),
            PrepareError::Group { .. } => Some(exit_status::EXIT_GROUP),
            PrepareError::Home(_) => Some(exit_status::EXIT_CHDIR),
            _ => None,
        }
    }
}

/// How the child sets up one standard descriptor; the resolved form of
/// [`Stdio`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PStdio {
    /// The manager's own descriptor with this number stays as it is.
    Keep,
    /// `/dev/null` opened with the stream's access mode.
    Null,
    /// A copy of the child's fd 0 (already set up).
    DupStdin,
    /// A copy of the child's fd 1 (already set up).
    DupStdout,
    /// A caller descriptor (lifted above the target range first).
    Fd { fd: RawFd, socket: bool },
    /// A terminal device.
    Tty(CString),
    /// A file (or `AF_UNIX` stream socket) path with `open(2)` flags.
    File {
        path: CString,
        flags: c_int,
        mode: mode_t,
    },
    /// Stdin only: a sealed memfd holding these bytes, made in the child.
    Data(Vec<u8>),
}

/// A plan ready for [`spawn`](crate::spawn): plain bytes and numbers only.
#[derive(Clone, Debug)]
pub struct PreparedPlan {
    pub(crate) path: CString,
    pub(crate) argv: Vec<CString>,
    pub(crate) env: Vec<CString>,
    pub(crate) listen_fds: Vec<RawFd>,
    pub(crate) non_blocking: bool,
    pub(crate) stdio: [PStdio; 3],
    pub(crate) cwd: CString,
    pub(crate) cwd_missing_ok: bool,
    pub(crate) root: Option<CString>,
    pub(crate) uid: Option<uid_t>,
    pub(crate) gid: Option<gid_t>,
    pub(crate) groups: Option<Vec<gid_t>>,
    pub(crate) user: Option<UserInfo>,
    pub(crate) umask: mode_t,
    pub(crate) nice: Option<c_int>,
    pub(crate) oom_score_adjust: Option<Vec<u8>>,
    pub(crate) rlimits: Vec<(libc::__rlimit_resource_t, libc::rlimit)>,
    pub(crate) ignore_sigpipe: bool,
    pub(crate) no_new_privileges: bool,
    pub(crate) bounding_set: Option<u64>,
    pub(crate) ambient: u64,
    pub(crate) secure_bits: c_int,
    pub(crate) new_session: bool,
    pub(crate) cgroup_procs: Option<CString>,
    /// [`crate::ExecPlan::cgroup_fd`], only with a `cgroup_procs`.
    pub(crate) cgroup_fd: Option<c_int>,
    pub(crate) pdeathsig: Option<c_int>,
    pub(crate) cap_last_cap: u32,
    pub(crate) exec_directory_failure: Option<(crate::plan::ExecDirectory, c_int)>,
    pub(crate) sandbox: Option<crate::sandbox::PreparedSandbox>,
}

impl PreparedPlan {
    /// The resolved `User=`, if any (for `$HOME`, `$USER`, `$SHELL`).
    pub fn user(&self) -> Option<&UserInfo> {
        self.user.as_ref()
    }

    /// The UID the child switches to, if any.
    pub fn uid(&self) -> Option<u32> {
        self.uid
    }

    /// The GID the child switches to, if any.
    pub fn gid(&self) -> Option<u32> {
        self.gid
    }

    /// The supplementary groups the child sets, if it sets any.
    pub fn supplementary_groups(&self) -> Option<&[u32]> {
        self.groups.as_deref()
    }
}

fn cstring(what: &'static str, bytes: &[u8]) -> Result<CString, PrepareError> {
    CString::new(bytes).map_err(|_| PrepareError::Nul {
        what,
        value: String::from_utf8_lossy(bytes).into_owned(),
    })
}

fn path_cstring(what: &'static str, p: &Path) -> Result<CString, PrepareError> {
    cstring(what, p.as_os_str().as_bytes())
}

/// `fdname_is_valid()` in systemd: printable ASCII, no `:`, 1..=255 bytes.
fn fd_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b':')
}

const LISTEN_KEYS: [&[u8]; 3] = [b"LISTEN_PID=", b"LISTEN_FDS=", b"LISTEN_FDNAMES="];

fn cap_last_cap() -> u32 {
    static LAST: OnceLock<u32> = OnceLock::new();
    *LAST.get_or_init(sys::cap_last_cap)
}

fn file_flags(mode: FileMode) -> c_int {
    let base = libc::O_NOCTTY | libc::O_CLOEXEC;
    match mode {
        FileMode::Read => base | libc::O_RDONLY,
        FileMode::Write => base | libc::O_WRONLY | libc::O_CREAT,
        FileMode::Append => base | libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND,
        FileMode::Truncate => base | libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
    }
}

/// Resolves the three streams with systemd's `setup_input()`/`setup_output()`
/// rules: `inherit`, a file shared between input and output (opened once,
/// read-write), and stderr going to the same place as stdout (one shared
/// descriptor, so that writes share the file offset).
fn resolve_stdio(plan: &ExecPlan, manager_is_pid1: bool) -> Result<[PStdio; 3], PrepareError> {
    let file_mode = 0o666 & !(plan.umask as mode_t) & 0o777;
    let same_file_as_stdin = |s: &Stdio| match (&plan.stdin, s) {
        (
            Stdio::File {
                path: a,
                mode: FileMode::Read,
            },
            Stdio::File {
                path: b,
                mode: FileMode::Write,
            },
        ) => a == b,
        (Stdio::Tty(a), Stdio::Tty(b)) => a == b,
        _ => false,
    };
    let output = |stream: &'static str, s: &Stdio| -> Result<PStdio, PrepareError> {
        Ok(match s {
            Stdio::Null => PStdio::Null,
            // `inherit` is resolved by the callers below before they get here.
            Stdio::Inherit => PStdio::Keep,
            _ if same_file_as_stdin(s) => PStdio::DupStdin,
            Stdio::Tty(p) => PStdio::Tty(path_cstring("TTYPath=", p)?),
            Stdio::Fd(fd) => PStdio::Fd {
                fd: *fd,
                socket: false,
            },
            Stdio::Socket(fd) => PStdio::Fd {
                fd: *fd,
                socket: true,
            },
            Stdio::Data(_) => return Err(PrepareError::DataOutput { stream }),
            Stdio::File {
                mode: FileMode::Read,
                ..
            } => {
                return Err(PrepareError::FileMode {
                    stream,
                    mode: FileMode::Read,
                })
            }
            Stdio::File { path, mode } => PStdio::File {
                path: path_cstring(stream, path)?,
                flags: file_flags(*mode),
                mode: file_mode,
            },
        })
    };

    let stdin = match &plan.stdin {
        Stdio::Null => PStdio::Null,
        Stdio::Inherit => return Err(PrepareError::StdinInherit),
        Stdio::Data(bytes) => PStdio::Data(bytes.clone()),
        Stdio::Tty(p) => PStdio::Tty(path_cstring("TTYPath=", p)?),
        Stdio::Fd(fd) => PStdio::Fd {
            fd: *fd,
            socket: false,
        },
        Stdio::Socket(fd) => PStdio::Fd {
            fd: *fd,
            socket: true,
        },
        Stdio::File {
            path,
            mode: FileMode::Read,
        } => {
            let shared = [&plan.stdout, &plan.stderr]
                .iter()
                .any(|s| same_file_as_stdin(s));
            let flags = if shared {
                libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_RDWR | libc::O_CREAT
            } else {
                file_flags(FileMode::Read)
            };
            PStdio::File {
                path: path_cstring("StandardInput=", path)?,
                flags,
                mode: file_mode,
            }
        }
        Stdio::File { mode, .. } => {
            return Err(PrepareError::FileMode {
                stream: "StandardInput=",
                mode: *mode,
            })
        }
    };

    // A null stdin has nothing worth copying: the output keeps the
    // manager's own descriptor, or gets a fresh write-only /dev/null when
    // the manager is PID 1 (its descriptors are the console).
    let stdin_is_null = plan.stdin == Stdio::Null;
    let stdout = match &plan.stdout {
        Stdio::Inherit if stdin_is_null && manager_is_pid1 => PStdio::Null,
        Stdio::Inherit if stdin_is_null => PStdio::Keep,
        Stdio::Inherit => PStdio::DupStdin,
        s => output("StandardOutput=", s)?,
    };
    let stderr = match &plan.stderr {
        Stdio::Inherit if plan.stdout == Stdio::Inherit && stdin_is_null && !manager_is_pid1 => {
            PStdio::Keep
        }
        Stdio::Inherit => PStdio::DupStdout,
        s if *s == plan.stdout => PStdio::DupStdout,
        s => output("StandardError=", s)?,
    };
    Ok([stdin, stdout, stderr])
}

impl ExecPlan {
    /// Resolves users and groups, checks the plan and builds every string
    /// the child needs. Call in the manager (single thread), then
    /// [`spawn`](crate::spawn) as often as needed.
    pub fn prepare(&self) -> Result<PreparedPlan, PrepareError> {
        if !self.path.is_absolute() {
            return Err(PrepareError::RelativePath(self.path.clone()));
        }
        let path = path_cstring("executable path", &self.path)?;
        let mut argv = Vec::with_capacity(self.args.len() + 1);
        argv.push(cstring("argv[0]", self.argv0.as_bytes())?);
        for a in &self.args {
            argv.push(cstring("argument", a.as_bytes())?);
        }

        for l in &self.listen_fds {
            if !fd_name_valid(&l.name) {
                return Err(PrepareError::ListenFdName(l.name.clone()));
            }
        }
        let mut env = Vec::with_capacity(self.environment.len() + 2);
        for e in &self.environment {
            let bytes = e.as_bytes();
            match bytes.iter().position(|&b| b == b'=') {
                Some(i) if i > 0 => {}
                _ => return Err(PrepareError::Environment(e.to_string_lossy().into_owned())),
            }
            // The listen descriptors belong to this spawn; stale values
            // from the caller's list would point the service at wrong fds.
            if !self.listen_fds.is_empty() && LISTEN_KEYS.iter().any(|k| bytes.starts_with(k)) {
                continue;
            }
            env.push(cstring("environment entry", bytes)?);
        }
        if !self.listen_fds.is_empty() {
            env.push(cstring(
                "LISTEN_FDS",
                format!("LISTEN_FDS={}", self.listen_fds.len()).as_bytes(),
            )?);
            let names: Vec<&str> = self.listen_fds.iter().map(|l| l.name.as_str()).collect();
            env.push(cstring(
                "LISTEN_FDNAMES",
                format!("LISTEN_FDNAMES={}", names.join(":")).as_bytes(),
            )?);
        }

        let user = match &self.user {
            Some(name) => Some(
                creds::resolve_user(name).map_err(|source| PrepareError::User {
                    name: name.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let group = match &self.group {
            Some(name) => {
                Some(
                    creds::resolve_group(name).map_err(|source| PrepareError::Group {
                        name: name.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let uid = user.as_ref().map(|u| u.uid);
        let gid = group
            .as_ref()
            .map(|g| g.gid)
            .or(user.as_ref().map(|u| u.gid));
        let mut groups: Option<Vec<gid_t>> = None;
        if let (Some(u), Some(g)) = (&user, gid) {
            // systemd skips the database for gid 0 (root keeps its groups).
            if g != 0 {
                let list = creds::user_groups(&u.name, g).map_err(|source| PrepareError::User {
                    name: u.name.clone(),
                    source,
                })?;
                groups = Some(list);
            }
        }
        for name in &self.supplementary_groups {
            let g = creds::resolve_group(name).map_err(|source| PrepareError::Group {
                name: name.clone(),
                source,
            })?;
            groups.get_or_insert_with(Vec::new).push(g.gid);
        }
        if groups.as_ref().is_some_and(|g| g.is_empty()) {
            groups = None;
        }

        let cwd = match &self.working_directory.path {
            WorkDirPath::Path(p) => path_cstring("WorkingDirectory=", p)?,
            WorkDirPath::Home => {
                let home = match &user {
                    Some(u) if u.home.as_os_str().is_empty() => std::path::PathBuf::from("/"),
                    Some(u) => u.home.clone(),
                    None => creds::own_home().map_err(PrepareError::Home)?,
                };
                path_cstring("WorkingDirectory=", &home)?
            }
        };
        let root = match &self.root_directory {
            Some(p) => Some(path_cstring("RootDirectory=", p)?),
            None => None,
        };
        let cgroup_procs = match &self.cgroup {
            Some(p) => Some(path_cstring("cgroup path", &p.join("cgroup.procs"))?),
            None => None,
        };
        if let Some(sig) = self.parent_death_signal {
            if !(1..=libc::SIGRTMAX()).contains(&sig) {
                return Err(PrepareError::Signal(sig));
            }
        }

        Ok(PreparedPlan {
            path,
            argv,
            env,
            listen_fds: self.listen_fds.iter().map(|l| l.fd).collect(),
            non_blocking: self.non_blocking,
            stdio: resolve_stdio(self, crate::sys::own_pid() == 1)?,
            cwd,
            cwd_missing_ok: self.working_directory.missing_ok,
            root,
            uid,
            gid,
            groups,
            user,
            umask: (self.umask & 0o7777) as mode_t,
            nice: self.nice,
            oom_score_adjust: self.oom_score_adjust.map(|v| format!("{v}\n").into_bytes()),
            rlimits: self
                .rlimits
                .iter()
                .map(|r| {
                    (
                        r.resource.as_raw(),
                        libc::rlimit {
                            rlim_cur: r.soft as libc::rlim_t,
                            rlim_max: r.hard as libc::rlim_t,
                        },
                    )
                })
                .collect(),
            ignore_sigpipe: self.ignore_sigpipe,
            no_new_privileges: self.no_new_privileges,
            bounding_set: self.capability_bounding_set,
            ambient: self.ambient_capabilities,
            secure_bits: self.secure_bits as c_int,
            new_session: self.new_session,
            cgroup_fd: self.cgroup_fd.filter(|_| cgroup_procs.is_some()),
            cgroup_procs,
            pdeathsig: self.parent_death_signal,
            cap_last_cap: cap_last_cap(),
            exec_directory_failure: self.exec_directory_failure,
            sandbox: match &self.sandbox {
                Some(s) => Some(s.prepare().map_err(|value| PrepareError::Nul { what: "sandbox path", value })?),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ListenFd;

    fn plan() -> ExecPlan {
        ExecPlan::new("/bin/true")
    }

    #[test]
    fn inherit_rules_follow_systemd() {
        let p = plan();
        assert_eq!(
            resolve_stdio(&p, false).unwrap(),
            [PStdio::Null, PStdio::Keep, PStdio::Keep]
        );
        assert_eq!(
            resolve_stdio(&p, true).unwrap(),
            [PStdio::Null, PStdio::Null, PStdio::DupStdout]
        );
        let mut p = plan();
        p.stdin = Stdio::Socket(7);
        assert_eq!(
            resolve_stdio(&p, false).unwrap(),
            [
                PStdio::Fd {
                    fd: 7,
                    socket: true
                },
                PStdio::DupStdin,
                PStdio::DupStdout
            ]
        );
        let mut p = plan();
        p.stdout = Stdio::Fd(9);
        assert_eq!(resolve_stdio(&p, false).unwrap()[2], PStdio::DupStdout);
        p.stderr = Stdio::Fd(9);
        assert_eq!(resolve_stdio(&p, false).unwrap()[2], PStdio::DupStdout);
        p.stderr = Stdio::Fd(10);
        assert_eq!(
            resolve_stdio(&p, false).unwrap()[2],
            PStdio::Fd {
                fd: 10,
                socket: false
            }
        );
    }

    #[test]
    fn shared_file_is_opened_once_read_write() {
        let mut p = plan();
        let f = std::path::PathBuf::from("/tmp/x");
        p.stdin = Stdio::File {
            path: f.clone(),
            mode: FileMode::Read,
        };
        p.stdout = Stdio::File {
            path: f.clone(),
            mode: FileMode::Write,
        };
        p.stderr = Stdio::File {
            path: f,
            mode: FileMode::Write,
        };
        let s = resolve_stdio(&p, false).unwrap();
        assert!(
            matches!(&s[0], PStdio::File { flags, .. } if flags & libc::O_ACCMODE == libc::O_RDWR)
        );
        assert_eq!(s[1], PStdio::DupStdin);
        assert_eq!(s[2], PStdio::DupStdout);
    }

    #[test]
    fn invalid_inputs_are_rejected() {
        let mut p = plan();
        p.stdin = Stdio::Inherit;
        assert!(matches!(p.prepare(), Err(PrepareError::StdinInherit)));
        let mut p = plan();
        p.stdout = Stdio::File {
            path: "/tmp/x".into(),
            mode: FileMode::Read,
        };
        assert!(matches!(p.prepare(), Err(PrepareError::FileMode { .. })));
        assert!(matches!(
            ExecPlan::new("bin/true").prepare(),
            Err(PrepareError::RelativePath(_))
        ));
        let mut p = plan();
        p.environment = vec!["NOEQUALS".into()];
        assert!(matches!(p.prepare(), Err(PrepareError::Environment(_))));
        let mut p = plan();
        p.listen_fds = vec![ListenFd {
            fd: 3,
            name: "a:b".into(),
        }];
        assert!(matches!(p.prepare(), Err(PrepareError::ListenFdName(_))));
        let mut p = plan();
        p.user = Some("no-such-user-vigil".into());
        let e = p.prepare().unwrap_err();
        assert_eq!(e.exit_code(), Some(217));
        assert!(e.to_string().contains("no-such-user-vigil"), "{e}");
    }

    #[test]
    fn listen_env_replaces_caller_entries() {
        let mut p = plan();
        p.environment = vec!["A=1".into(), "LISTEN_FDS=9".into(), "LISTEN_PID=1".into()];
        p.listen_fds = vec![
            ListenFd {
                fd: 5,
                name: "web".into(),
            },
            ListenFd {
                fd: 6,
                name: "admin".into(),
            },
        ];
        let prepared = p.prepare().unwrap();
        let env: Vec<&[u8]> = prepared.env.iter().map(|c| c.as_bytes()).collect();
        assert_eq!(
            env,
            vec![&b"A=1"[..], b"LISTEN_FDS=2", b"LISTEN_FDNAMES=web:admin"]
        );
    }

    #[test]
    fn groups_follow_initgroups_plus_supplementary() {
        let mut p = plan();
        p.user = Some("nobody".into());
        p.supplementary_groups = vec!["daemon".into()];
        let prepared = p.prepare().unwrap();
        let daemon = creds::resolve_group("daemon").unwrap().gid;
        let groups = prepared.supplementary_groups().unwrap();
        assert_eq!(groups.first(), Some(&65534));
        assert_eq!(groups.last(), Some(&daemon));
        assert_eq!((prepared.uid(), prepared.gid()), (Some(65534), Some(65534)));
        let mut p = plan();
        p.user = Some("root".into());
        assert_eq!(p.prepare().unwrap().supplementary_groups(), None);
    }
}
