//! A cgroup per unit, where a writable cgroup v2 hierarchy exists.
//!
//! The manager finds the cgroup2 mount (`/sys/fs/cgroup`, on hybrid hosts
//! `/sys/fs/cgroup/unified`, else where `/proc/self/mountinfo` lists it:
//! [`mount`]), its own cgroup in it
//! (`/proc/self/cgroup`, the `0::` line) and creates `vigil-PID/` below it
//! — PID being the manager's, so several managers (tests, `--root`
//! managers next to a system one) never share units' groups. Each unit
//! gets `vigil-PID/UNIT/`; the child is created in it (`clone3` with
//! `CLONE_INTO_CGROUP`; on older kernels the exec step writes it into
//! `cgroup.procs` before `execve`), so everything it forks stays there.
//! The group outlives an automatic restart (the restarted process goes
//! into the same one) and is removed when the unit stops.
//!
//! At start, empty `vigil-PID*` groups of managers that are gone (killed
//! managers never remove theirs) are swept from the same parent; groups
//! that still hold processes are left to their root's next manager
//! (`leftovers.rs`).
//!
//! Every operation on a unit's group goes through a descriptor of the base
//! group kept open (`mkdirat`, `openat`, `unlinkat` of `UNIT/…`): the
//! absolute path would walk `/sys/fs/cgroup/…/vigil-PID/` component by
//! component, each a kernfs lookup and revalidation, several times per
//! start and stop of a unit (an `Accept=yes` connection is one of each).
//! Only `inotify_add_watch(2)`, which has no `*at` form, takes the path.
//!
//! With it: the unit's processes are `cgroup.procs`, `KillMode=control-group`
//! signals each of them, and "the unit is empty" is `populated 0` in `cgroup.events`. Without a
//! writable hierarchy, [`Cgroups::base`] is `None` and the manager falls
//! back to the process tree under its subreaper.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use engine::name::Name;
use engine::name_hash::NameHash;

/// Rounds of re-reading `cgroup.procs` while SIGKILLing a group whose
/// processes fork.
const KILL_ROUNDS: usize = 16;

/// What [`Cgroups::kill`] found in the group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signalled {
    /// Processes `cgroup.procs` listed, the spared ones included.
    pub listed: usize,
    /// Processes signalled.
    pub signalled: usize,
}

pub struct Cgroups {
    base: Option<PathBuf>,
    /// `base` opened `O_PATH`: the directory the unit groups are made,
    /// opened and removed relative to (module docs).
    base_fd: Option<OwnedFd>,
    /// The cgroup2 mount point, for group paths as systemd shows them
    /// (`ControlGroup=`, relative to the mount).
    mount: Option<PathBuf>,
    /// inotify on each unit's `cgroup.events`: the kernel touches it when
    /// `populated` changes, which is how we learn that a unit's last
    /// process is gone even when that process was not our child.
    inotify: Option<std::os::fd::OwnedFd>,
    watches: std::collections::HashMap<i32, Name>,
    /// The watch of each unit's group: removing a group at stop finds it
    /// without scanning every watch (N scans of N at stop-all). The name
    /// is the manager's interned one (the key of its unit table), which
    /// both maps share: no copy of its own (an `Rc<str>` was a 48-byte
    /// heap block per watched unit and two words per slot in each map,
    /// ~80 bytes per service in all).
    watch_of: std::collections::HashMap<Name, i32, NameHash>,
    /// Groups read as empty since their last spawn and their last event:
    /// [`Cgroups::populated`] answers these without reading again.
    known_empty: RefCell<engine::name_hash::NameSet>,
    swept: usize,
}

/// Unit names may contain `\` (escapes) and `@`: both are fine in a
/// directory name, `/` cannot occur in a valid unit name.
fn dir_name(unit: &str) -> &str {
    unit
}

impl Cgroups {
    pub fn detect() -> Cgroups {
        let found = Self::find();
        let swept = found.as_ref().map_or(0, |(_, _, n)| *n);
        let mount = found.as_ref().map(|(_, m, _)| m.clone());
        let base = found.and_then(|(b, _, _)| std::fs::create_dir_all(&b).ok().map(|_| b));
        let base_fd = base.as_deref().and_then(|b| open_at(libc::AT_FDCWD, &CString::new(b.as_os_str().as_encoded_bytes()).ok()?, libc::O_PATH | libc::O_DIRECTORY));
        // Without the descriptor no group can be made: run without cgroups.
        let base = base.filter(|_| base_fd.is_some());
        // SAFETY: inotify_init1 with flags; the fd is owned right away.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        let inotify = (fd >= 0 && base.is_some()).then(|| {
            // SAFETY: fd is a fresh, valid descriptor we own.
            unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) }
        });
        Cgroups { base, base_fd, mount, inotify, watches: Default::default(), watch_of: Default::default(), known_empty: Default::default(), swept }
    }

    /// How many empty groups of dead managers [`Cgroups::detect`] removed.
    pub fn swept(&self) -> usize {
        self.swept
    }

    /// Without cgroups (tests of the fallback, or a read-only hierarchy).
    pub fn disabled() -> Cgroups {
        Cgroups {
            base: None,
            base_fd: None,
            mount: None,
            inotify: None,
            watches: Default::default(),
            watch_of: Default::default(),
            known_empty: Default::default(),
            swept: 0,
        }
    }

    /// The inotify descriptor to poll, if cgroups are in use.
    pub fn events_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.inotify.as_ref().map(|f| f.as_fd())
    }

    /// Drain the inotify queue; the units whose `cgroup.events` changed.
    pub fn changed_units(&mut self) -> Vec<String> {
        use std::os::fd::AsRawFd;
        let Some(fd) = &self.inotify else { return Vec::new() };
        let mut out = Vec::new();
        // One drain can hold an event of every unit (all stopped at once):
        // duplicates are dropped by watch, not by scanning `out`.
        let mut seen = std::collections::HashSet::new();
        // Not zeroed: only the bytes the kernel wrote are read back (a
        // zeroed 4 KiB was half of this function's instructions per wake-up).
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
        loop {
            // SAFETY: read into a local buffer of the given size.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            let mut off = 0usize;
            let hdr = std::mem::size_of::<libc::inotify_event>();
            while off + hdr <= n as usize {
                // SAFETY: the kernel wrote whole inotify_event records into
                // the first n bytes, and off + hdr <= n.
                let ev: libc::inotify_event = unsafe { std::ptr::read_unaligned(buf.as_ptr().add(off).cast()) };
                if let Some(u) = self.watches.get(&ev.wd) {
                    // Something changed: the next `populated` reads again.
                    self.known_empty.get_mut().remove(&**u);
                    if seen.insert(ev.wd) {
                        out.push(u.to_string());
                    }
                }
                off += hdr + ev.len as usize;
            }
            // Room was left for one more event of any size: the queue was
            // empty, and the read that would say so (EAGAIN) is left out —
            // the descriptor is polled level-triggered, so an event that
            // came meanwhile wakes the loop again. (One system call less
            // in the turn that restarts a killed service.)
            // (`inotify(7)`: an event's name is at most NAME_MAX + 1 bytes.)
            const NAME_ROOM: usize = 256;
            if n as usize + hdr + NAME_ROOM <= buf.len() {
                break;
            }
        }
        out
    }

    fn find() -> Option<(PathBuf, PathBuf, usize)> {
        let mount = mount()?;
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let own = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/').to_string();
        let parent = mount.join(&own);
        let swept = sweep(&parent);
        // A group of our name that still holds processes belongs to a dead
        // manager of another root that had our pid: not ours to reuse.
        let mut base = parent.join(format!("vigil-{}", std::process::id()));
        let mut n = 1;
        while populated(&base) == Some(true) {
            base = parent.join(format!("vigil-{}-{n}", std::process::id()));
            n += 1;
        }
        // Probe: we must be able to create and remove a group here.
        let probe = base.join("probe");
        std::fs::create_dir_all(&probe).ok()?;
        std::fs::remove_dir(&probe).ok()?;
        Some((base, mount, swept))
    }

    pub fn base(&self) -> Option<&Path> {
        self.base.as_deref()
    }

    /// A group's path below the cgroup2 mount, `/`-rooted, as systemd's
    /// `ControlGroup` property shows it.
    pub fn relative(&self, group: &Path) -> Option<String> {
        let rel = group.strip_prefix(self.mount.as_ref()?).ok()?;
        Some(format!("/{}", rel.display()))
    }

    /// The unit's tasks (`TasksCurrent`): `pids.current` where the pids
    /// controller is on, else the threads listed in `cgroup.threads`.
    pub fn tasks(&self, group: &Path) -> Option<u64> {
        let read = |name: &str| read_proc(group.join(name)).and_then(|b| String::from_utf8(b).ok());
        if let Some(s) = read("pids.current") {
            return s.trim().parse().ok();
        }
        read("cgroup.threads").map(|s| s.lines().count() as u64)
    }

    /// One number from a file of the group: `memory.current`, or the
    /// `KEY VALUE` line `key` of a flat-keyed file (`cpu.stat`).
    pub fn number(&self, group: &Path, file: &str, key: Option<&str>) -> Option<u64> {
        let text = String::from_utf8(read_proc(group.join(file))?).ok()?;
        match key {
            None => text.trim().parse().ok(),
            Some(k) => text.lines().find_map(|l| l.strip_prefix(k)?.strip_prefix(' ')?.trim().parse().ok()),
        }
    }

    /// The cgroup2 mount point, when cgroups are found.
    pub fn mount_point(&self) -> Option<&Path> {
        self.mount.as_deref()
    }

    /// The unit's group, created if needed. Its events are watched from
    /// [`Cgroups::watch`], which the caller calls once the first process is
    /// in it.
    pub fn create(&mut self, unit: &str) -> Option<PathBuf> {
        self.known_empty.get_mut().remove(unit);
        let p = self.base.as_ref()?.join(dir_name(unit));
        let name = CString::new(dir_name(unit)).ok()?;
        let mkdir = |base_fd: &OwnedFd| {
            // SAFETY: valid directory descriptor and NUL-terminated name.
            let r = unsafe { libc::mkdirat(base_fd.as_raw_fd(), name.as_ptr(), 0o777) };
            match r {
                0 => Ok(()),
                _ => match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EEXIST) => Ok(()),
                    e => Err(e),
                },
            }
        };
        if let Err(e) = mkdir(self.base_fd.as_ref()?) {
            // The base itself was removed under us (an empty base can be):
            // made again and opened again, as the path-based
            // `create_dir_all` did.
            if e != Some(libc::ENOENT) {
                return None;
            }
            let base = self.base.as_ref()?;
            std::fs::create_dir_all(base).ok()?;
            self.base_fd = Some(open_at(libc::AT_FDCWD, &CString::new(base.as_os_str().as_encoded_bytes()).ok()?, libc::O_PATH | libc::O_DIRECTORY)?);
            mkdir(self.base_fd.as_ref()?).ok()?;
        }
        Some(p)
    }

    /// Watch the unit's `cgroup.events`, unless it is watched already.
    /// Called after a spawn into the group has returned, not when the group
    /// is made: the child is in the group by then (`CLONE_INTO_CGROUP`, or
    /// the exec step's `cgroup.procs` write before `execve` for a `CLONE_VM`
    /// child), so the kernel's "populated 0 → 1" change mostly comes before
    /// the watch and never wakes the manager. Watched from `create`, it woke
    /// the loop for nothing once per new group (an `Accept=yes` connection:
    /// one `epoll_wait`, two inotify reads and a `cgroup.events` read). No
    /// emptying is missed: if the group empties before the watch exists,
    /// the main process is gone too, and its reaping checks `populated`
    /// (`Manager::reap_one`); any later change is watched.
    /// `unit` is the manager's shared copy of the name.
    pub fn watch(&mut self, unit: Name) {
        if self.watch_of.contains_key(&*unit) {
            return;
        }
        let Some(p) = self.base.as_ref().map(|b| b.join(dir_name(&unit))) else { return };
        if let (Some(fd), Ok(events)) = (&self.inotify, std::ffi::CString::new(p.join("cgroup.events").as_os_str().as_encoded_bytes())) {
            // SAFETY: valid fd and NUL-terminated path.
            let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), events.as_ptr(), libc::IN_MODIFY) };
            if wd >= 0 {
                self.watches.insert(wd, unit.clone());
                if let Some(old) = self.watch_of.insert(unit, wd) {
                    if old != wd {
                        self.watches.remove(&old);
                    }
                }
            }
        }
    }

    /// When `plan` runs in a group, the unit's group directory opened
    /// `O_PATH` and lent to it for `CLONE_INTO_CGROUP`
    /// ([`exec::ExecPlan::cgroup_fd`]): the caller keeps the returned
    /// descriptor until the spawn has returned.
    pub fn open_dir_for(&self, plan: &mut exec::ExecPlan, unit: &str) -> Option<OwnedFd> {
        plan.cgroup.as_ref()?;
        // A process goes into it now.
        self.known_empty.borrow_mut().remove(unit);
        let dir = open_at(self.base_fd.as_ref()?.as_raw_fd(), &CString::new(dir_name(unit)).ok()?, libc::O_PATH | libc::O_DIRECTORY)?;
        plan.cgroup_fd = Some(dir.as_raw_fd());
        Some(dir)
    }

    /// `file` of the unit's group, opened read-only relative to the base.
    fn open_file(&self, unit: &str, file: &str) -> Option<std::fs::File> {
        // One buffer, sized once, handed to the CString as it is (no
        // `format!` and copy: this runs at every reaping of a unit's
        // process, and for each unit of a stop-all).
        let dir = dir_name(unit);
        let mut rel = Vec::with_capacity(dir.len() + 1 + file.len() + 1);
        rel.extend_from_slice(dir.as_bytes());
        rel.push(b'/');
        rel.extend_from_slice(file.as_bytes());
        let rel = CString::new(rel).ok()?;
        open_at(self.base_fd.as_ref()?.as_raw_fd(), &rel, libc::O_RDONLY).map(std::fs::File::from)
    }

    /// The unit's group (whether it exists or not): `base/unit`, as
    /// [`Cgroups::create`] makes it.
    pub fn path(&self, unit: &str) -> Option<PathBuf> {
        Some(self.base.as_ref()?.join(dir_name(unit)))
    }

    /// `Some(false)` when the unit's group exists and is empty.
    ///
    /// An empty group stays empty until a process is put into it: no
    /// member is left to fork, and a process enters only by a write to
    /// `cgroup.procs` or `clone3(CLONE_INTO_CGROUP)` (`cgroups(7)`), which
    /// the manager does only in a spawn ([`Cgroups::open_dir_for`]) and
    /// anyone else's changes `cgroup.events`, which its watch reports
    /// ([`Cgroups::changed_units`]). So an "empty" read is kept until the
    /// next spawn into the group or its next event. Read each time, the
    /// restart of a killed service read `cgroup.events` twice in one turn
    /// (for the group's event, then at the reaping of its main process).
    pub fn populated(&self, unit: &str) -> Option<bool> {
        if self.known_empty.borrow().contains(unit) {
            return Some(false);
        }
        let populated = events_populated(self.open_file(unit, "cgroup.events")?)?;
        if !populated {
            self.known_empty.borrow_mut().insert(unit.to_string());
        }
        Some(populated)
    }

    /// Whether the group was read as empty since its last spawn and its
    /// last event ([`Cgroups::populated`] answers without a read).
    pub fn known_empty(&self, unit: &str) -> bool {
        self.known_empty.borrow().contains(unit)
    }

    pub fn pids(&self, unit: &str) -> Vec<i32> {
        self.open_file(unit, "cgroup.procs")
            .and_then(read_small)
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Signal every process of the unit except `except` (the main and
    /// control processes, which the engine signals on their own: a second
    /// SIGTERM would run a shell's trap twice), each followed by `SIGCONT`
    /// when `cont` is set — pid by pid, from one read of `cgroup.procs`,
    /// as systemd's `cg_kill_items()` does with `CGROUP_SIGCONT`. Returns
    /// how many processes the group listed, `except` included (best
    /// effort: more than zero means it was populated when read), and how
    /// many of them were signalled here.
    ///
    /// SIGKILL is sent pid by pid, re-reading `cgroup.procs` until no new
    /// process shows up (a process forking meanwhile is caught on the next
    /// round), not through `cgroup.kill`: on some kernels (seen on 6.18)
    /// every child later created in a group that was once killed through
    /// `cgroup.kill` with `CLONE_INTO_CGROUP` is SIGKILLed at birth, which
    /// would kill an `ExecStopPost=` or the restarted process in the group
    /// kept across an automatic restart.
    pub fn kill(&self, unit: &str, signal: i32, cont: bool, except: &[i32]) -> Signalled {
        let mut pids = self.pids(unit);
        let listed = pids.len();
        let mut signalled = 0;
        let mut sent: std::collections::HashSet<i32> = except.iter().copied().collect();
        for _round in 0..KILL_ROUNDS {
            let fresh: Vec<i32> = pids.iter().copied().filter(|p| sent.insert(*p)).collect();
            if fresh.is_empty() {
                break;
            }
            signalled += fresh.len();
            for pid in fresh {
                // SAFETY: kill(2) with plain integers.
                unsafe {
                    libc::kill(pid, signal);
                    if cont {
                        libc::kill(pid, libc::SIGCONT);
                    }
                }
            }
            if signal != libc::SIGKILL {
                break;
            }
            pids = self.pids(unit);
        }
        Signalled { listed, signalled }
    }

    /// Remove the unit's group (after the unit stopped) if it is empty:
    /// the kernel refuses (`EBUSY`) a group that holds a process or a
    /// child group, atomically, so no `populated` read comes first.
    /// Returns whether the group is gone (removed now, or never there).
    pub fn remove(&mut self, unit: &str) -> bool {
        let (Some(base_fd), Ok(name)) = (&self.base_fd, CString::new(dir_name(unit))) else { return false };
        // SAFETY: valid directory descriptor and NUL-terminated name.
        let r = unsafe { libc::unlinkat(base_fd.as_raw_fd(), name.as_ptr(), libc::AT_REMOVEDIR) };
        let gone = r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT);
        if gone {
            self.known_empty.get_mut().remove(unit);
            // The watch went away with the directory (IN_IGNORED).
            if let Some(wd) = self.watch_of.remove(unit) {
                self.watches.remove(&wd);
            }
        }
        gone
    }

    /// At exit: remove every (empty) group and the base.
    /// The groups are the base's directories (its files are the kernel's
    /// interface files), each removed relative to the base (module docs).
    /// A stop-all leaves every unit's group to this (`Manager::release`).
    pub fn cleanup(&self) {
        use std::os::unix::ffi::OsStrExt;
        let (Some(base), Some(base_fd)) = (&self.base, &self.base_fd) else { return };
        if let Ok(rd) = std::fs::read_dir(base) {
            for e in rd.flatten() {
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                if let Ok(name) = CString::new(e.file_name().as_bytes()) {
                    // SAFETY: valid directory descriptor and NUL-terminated name.
                    unsafe { libc::unlinkat(base_fd.as_raw_fd(), name.as_ptr(), libc::AT_REMOVEDIR) };
                }
            }
        }
        let _ = std::fs::remove_dir(base);
    }
}

/// The cgroup2 mount point; `systemctl status` reads the unit's
/// processes below it too. First the two places systemd mounts it
/// (`cg_unified_cached()`): `/sys/fs/cgroup` on a unified host,
/// `/sys/fs/cgroup/unified` on a hybrid one, each a `statfs(2)` that says
/// `CGROUP2_SUPER_MAGIC` or not; then the first `cgroup2` line of
/// `/proc/self/mountinfo` (`proc(5)`), read in one `read` ([`read_proc`]).
/// Why not `mountinfo` alone: the kernel formats the whole mount table for
/// it — 60–70 µs of a `status` (`perf trace`), the largest part of what
/// `status` costs beyond `is-active`, on a host with ~25 mounts and more
/// on one with hundreds; a `statfs` is one path walk.
pub fn mount() -> Option<PathBuf> {
    for dir in [c"/sys/fs/cgroup", c"/sys/fs/cgroup/unified"] {
        if is_cgroup2(dir) {
            return Some(PathBuf::from(dir.to_str().ok()?));
        }
    }
    let mountinfo = read_proc("/proc/self/mountinfo")?;
    cgroup2_mount_in(std::str::from_utf8(&mountinfo).ok()?)
}

/// Whether the host has only the unified hierarchy: cgroup2 at
/// `/sys/fs/cgroup` itself (systemd's `cg_all_unified()`), not a legacy
/// or hybrid layout.
pub fn all_unified() -> bool {
    is_cgroup2(c"/sys/fs/cgroup")
}

/// Whether `dir` is (the root of) a cgroup2 file system.
fn is_cgroup2(dir: &CStr) -> bool {
    // SAFETY: statfs writes into the zeroed struct we own; the path is
    // NUL-terminated.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::statfs(dir.as_ptr(), &mut st) } == 0;
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
    let cgroup2 = st.f_type as i64 == libc::CGROUP2_SUPER_MAGIC as i64;
    ok && cgroup2
}

/// A file of `/proc` or of the cgroup file system read whole: open, read
/// until a read returns nothing, close. `std::fs::read` and
/// `Read::read_to_end` on a `File` would first `statx` it and `lseek` for
/// a size hint (these files say 0) — two system calls per file, and
/// `status` reads four of them. The reads go into the vector's unused
/// capacity: a zeroed buffer cost more than the reads (callgrind).
pub fn read_proc(path: impl AsRef<Path>) -> Option<Vec<u8>> {
    read_open(&std::fs::File::open(path).ok()?)
}

/// [`read_proc`] of a file already open.
fn read_open(f: &std::fs::File) -> Option<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity());
        }
        let spare = buf.spare_capacity_mut();
        // SAFETY: the descriptor is open; at most `spare.len()` bytes are
        // written, into memory the vector owns.
        let n = unsafe { libc::read(f.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
        match n {
            0 => break,
            // SAFETY: the kernel initialised these `n` bytes.
            1.. => unsafe { buf.set_len(buf.len() + n as usize) },
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return None,
        }
    }
    Some(buf)
}

/// The mount point (fifth field) of the first line of `mountinfo` whose
/// file system type — the first word after the ` - ` separator
/// (`proc(5)`) — is `cgroup2`. One search of the whole text for
/// ` - cgroup2 ` instead of splitting every line: the separator is the
/// first ` - ` of its line, since the fields before it escape blanks
/// (`\040`) and the optional ones are `tag:value` words.
fn cgroup2_mount_in(mountinfo: &str) -> Option<PathBuf> {
    // From one '-' to the next (a byte search, `memchr`), the separator
    // told by its neighbours: faster than a substring search.
    let mut from = 0;
    let at = loop {
        let dash = from + mountinfo[from..].find('-')?;
        if mountinfo[..dash].ends_with(' ') && mountinfo[dash + 1..].starts_with(" cgroup2 ") {
            break dash - 1;
        }
        from = dash + 1;
    };
    let line = &mountinfo[mountinfo[..at].rfind('\n').map_or(0, |i| i + 1)..at];
    line.split_whitespace().nth(4).map(PathBuf::from)
}

/// `openat(dir, path, flags | O_CLOEXEC)`.
fn open_at(dir: RawFd, path: &CStr, flags: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: NUL-terminated path; the descriptor is owned right away.
    let fd = unsafe { libc::openat(dir, path.as_ptr(), flags | libc::O_CLOEXEC) };
    // SAFETY: a fresh descriptor nobody else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A small kernel file (`cgroup.procs`, `cgroup.events`) read to its end:
/// open, read, close — without the `statx` that `fs::read_to_string`
/// makes for a size hint (these files report size 0). Read per unit on
/// every stop, so the syscall counts.
fn read_small(f: std::fs::File) -> Option<String> {
    String::from_utf8(read_open(&f)?).ok()
}

/// `populated` of a group's `cgroup.events` (`cgroup(7)`): whether it or
/// any group below holds a process; `None` when it does not exist. Read every
/// time a unit's group changes, so with one `read` into a small buffer —
/// the file is two short lines, `populated` first — rather than
/// `read_to_string`'s `fstat` and the `read` that finds the end.
fn populated(group: &Path) -> Option<bool> {
    events_populated(std::fs::File::open(group.join("cgroup.events")).ok()?)
}

/// [`populated`] from an open `cgroup.events`.
fn events_populated(mut f: std::fs::File) -> Option<bool> {
    use std::io::Read;
    let mut buf = [0u8; 256];
    let mut len = 0;
    loop {
        let n = match f.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        len += n;
        let at_end = n == 0 || len == buf.len();
        let text = std::str::from_utf8(&buf[..len]).ok()?;
        for line in text.split_inclusive('\n') {
            if let Some(v) = line.strip_prefix("populated ") {
                if line.ends_with('\n') || at_end {
                    return Some(v.trim() == "1");
                }
            }
        }
        if at_end {
            return None;
        }
    }
}

/// The manager pid in a base group's name: `vigil-PID` or `vigil-PID-N`.
fn manager_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("vigil-")?;
    let pid = rest.split_once('-').map_or(rest, |(p, n)| if n.bytes().all(|b| b.is_ascii_digit()) { p } else { "" });
    pid.parse().ok()
}

/// Remove the empty base groups (and their empty unit groups) that
/// managers which are gone left in `parent` — killed managers never run
/// [`Cgroups::cleanup`]. A group that still holds processes stays: its
/// processes belong to a crashed manager of some root, whose next start
/// cleans them up (`leftovers.rs`). Returns how many bases were removed.
fn sweep(parent: &Path) -> usize {
    let me = std::process::id();
    let Ok(rd) = std::fs::read_dir(parent) else { return 0 };
    let mut removed = 0;
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(manager_pid) else { continue };
        if pid == me || Path::new(&format!("/proc/{pid}")).exists() || populated(&e.path()) != Some(false) {
            continue;
        }
        if let Ok(units) = std::fs::read_dir(e.path()) {
            for u in units.flatten().filter(|u| u.file_type().is_ok_and(|t| t.is_dir())) {
                let _ = std::fs::remove_dir(u.path());
            }
        }
        if std::fs::remove_dir(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cgroup2_mount_is_found() {
        let info = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                    30 29 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n\
                    31 30 0:27 / /sys/fs/cgroup/un\\040ified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n\
                    32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n\
                    40 27 0:27 / /mnt/cg rw - cgroup2 cgroup2 rw\n";
        assert_eq!(cgroup2_mount_in(info), Some("/sys/fs/cgroup/un\\040ified".into()));
        let first = "29 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_eq!(cgroup2_mount_in(first), Some("/sys/fs/cgroup".into()));
        assert_eq!(cgroup2_mount_in("32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw\n"), None);
    }

    #[test]
    fn the_mount_found_by_statfs_is_the_one_mountinfo_lists_first() {
        // Where cgroup2 sits at one of systemd's two places (every host
        // these tests run on), `mount()` must name the mount that reading
        // `mountinfo` alone named before it looked there first.
        let info = String::from_utf8(read_proc("/proc/self/mountinfo").unwrap()).unwrap();
        let listed = cgroup2_mount_in(&info);
        if listed.as_deref().is_some_and(|m| m == Path::new("/sys/fs/cgroup") || m == Path::new("/sys/fs/cgroup/unified")) {
            assert_eq!(mount(), listed);
        }
    }

    #[test]
    fn base_names_give_the_manager_pid() {
        assert_eq!(manager_pid("vigil-123"), Some(123));
        assert_eq!(manager_pid("vigil-123-2"), Some(123));
        assert_eq!(manager_pid("vigil-x"), None);
        assert_eq!(manager_pid("vigil-12-x"), None);
        assert_eq!(manager_pid("system.slice"), None);
    }

    /// Groups made, read and removed through the base's descriptor; a busy
    /// group is refused, a missing one counts as gone, and a base removed
    /// under the manager is made again. Needs root and a writable cgroup2.
    #[test]
    fn unit_groups_live_below_the_kept_base_descriptor() {
        let mut cg = Cgroups::detect();
        let Some(base) = cg.base().map(Path::to_path_buf) else {
            eprintln!("skipped: no writable cgroup2 hierarchy here");
            return;
        };
        let dir = cg.create("a.service").expect("group made");
        assert_eq!(dir, base.join("a.service"));
        assert!(dir.is_dir());
        assert_eq!(cg.populated("a.service"), Some(false));
        assert!(cg.pids("a.service").is_empty());
        // A process in it, as a spawn puts it there (the group lent to the
        // plan first, which forgets the "empty" just read): rmdir is
        // refused and the group stays.
        let mut plan = exec::ExecPlan::new("/bin/sleep");
        plan.cgroup = Some(dir.clone());
        let lent = cg.open_dir_for(&mut plan, "a.service").expect("group opened");
        assert_eq!(plan.cgroup_fd, Some(lent.as_raw_fd()));
        let mut child = std::process::Command::new("/bin/sleep").arg("30").spawn().unwrap();
        std::fs::write(dir.join("cgroup.procs"), child.id().to_string()).unwrap();
        drop(lent);
        assert_eq!(cg.pids("a.service"), vec![child.id() as i32]);
        assert_eq!(cg.populated("a.service"), Some(true));
        assert!(!cg.remove("a.service"));
        assert!(dir.is_dir());
        // Watched once the process is in it; a second call adds nothing.
        assert!(cg.watch_of.is_empty(), "create does not watch");
        cg.watch("a.service".into());
        cg.watch("a.service".into());
        assert_eq!((cg.watch_of.len(), cg.watches.len()), (1, 1));
        child.kill().unwrap();
        child.wait().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while cg.populated("a.service") != Some(false) {
            assert!(std::time::Instant::now() < deadline, "the group never emptied");
            std::thread::yield_now();
        }
        // The emptying is reported through the watch.
        while !cg.changed_units().iter().any(|u| u == "a.service") {
            assert!(std::time::Instant::now() < deadline, "no event for the emptied group");
            std::thread::yield_now();
        }
        // "Empty" is kept, until an event says the group changed: a process
        // put there by someone else is seen once its event is read.
        assert_eq!(cg.populated("a.service"), Some(false));
        assert!(cg.known_empty.borrow().contains("a.service"));
        let mut other = std::process::Command::new("/bin/sleep").arg("30").spawn().unwrap();
        std::fs::write(dir.join("cgroup.procs"), other.id().to_string()).unwrap();
        while !cg.changed_units().iter().any(|u| u == "a.service") {
            assert!(std::time::Instant::now() < deadline, "no event for the repopulated group");
            std::thread::yield_now();
        }
        assert_eq!(cg.populated("a.service"), Some(true));
        other.kill().unwrap();
        other.wait().unwrap();
        while cg.populated("a.service") != Some(false) {
            assert!(std::time::Instant::now() < deadline, "the group never emptied again");
            let _ = cg.changed_units();
            std::thread::yield_now();
        }
        assert!(cg.remove("a.service"));
        assert!(!dir.exists());
        assert!(cg.remove("a.service"), "a missing group is gone");
        assert_eq!(cg.populated("a.service"), None);
        // The base removed under us: the next group brings it back.
        std::fs::remove_dir(&base).unwrap();
        let dir = cg.create("b.service").expect("base and group made again");
        assert!(dir.is_dir());
        assert_eq!(cg.populated("b.service"), Some(false));
        cg.cleanup();
        assert!(!base.exists());
    }

    /// A group kill says how many processes the group listed and how many
    /// it signalled (the spared ones not); the exit's cleanup removes the
    /// groups a stop-all left. Needs root and a writable cgroup2.
    #[test]
    fn group_kill_counts_listed_and_signalled_and_cleanup_removes_groups() {
        let mut cg = Cgroups::detect();
        let Some(base) = cg.base().map(Path::to_path_buf) else {
            eprintln!("skipped: no writable cgroup2 hierarchy here");
            return;
        };
        let dir = cg.create("k.service").expect("group made");
        assert_eq!(cg.kill("k.service", 0, false, &[]), Signalled { listed: 0, signalled: 0 });
        let mut a = std::process::Command::new("/bin/sleep").arg("30").spawn().unwrap();
        let mut b = std::process::Command::new("/bin/sleep").arg("30").spawn().unwrap();
        for c in [&a, &b] {
            std::fs::write(dir.join("cgroup.procs"), c.id().to_string()).unwrap();
        }
        let (pa, pb) = (a.id() as i32, b.id() as i32);
        // Signal 0 checks the pids without signalling anything.
        assert_eq!(cg.kill("k.service", 0, false, &[pa]), Signalled { listed: 2, signalled: 1 });
        assert_eq!(cg.kill("k.service", 0, false, &[pa, pb]), Signalled { listed: 2, signalled: 0 });
        assert_eq!(cg.kill("k.service", 0, false, &[]), Signalled { listed: 2, signalled: 2 });
        // SIGTERM to b only: a is spared and lives on.
        assert_eq!(cg.kill("k.service", libc::SIGTERM, true, &[pa]), Signalled { listed: 2, signalled: 1 });
        b.wait().unwrap();
        assert_eq!(cg.pids("k.service"), vec![pa]);
        a.kill().unwrap();
        a.wait().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while cg.populated("k.service") != Some(false) {
            assert!(std::time::Instant::now() < deadline, "the group never emptied");
            std::thread::yield_now();
        }
        cg.create("l.service").expect("second group made");
        cg.cleanup();
        assert!(!dir.exists() && !base.join("l.service").exists());
        assert!(!base.exists());
    }
}
