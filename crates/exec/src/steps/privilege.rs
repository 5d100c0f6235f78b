//! Credential and capability steps, the root and working directory, and
//! exec itself. Child-side code: async-signal-safe only (see the parent
//! module). Capability rules: `capabilities(7)`, "Ambient capability set",
//! "Effect of user ID changes on capabilities", "The securebits flags".

use libc::c_int;

use super::Ctx;
use crate::raw;
use crate::sys::{self, CapSets};

fn bit(cap: u32) -> u64 {
    1u64 << cap
}

/// Mask of every capability the running kernel knows.
fn all_caps(last: u32) -> u64 {
    if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

/// Makes sure `CAP_SETPCAP` is effective (a manager running as PID 1 may
/// hold it only in the permitted set). Returns the sets as they were.
fn with_setpcap() -> Result<CapSets, c_int> {
    let caps = sys::capget()?;
    if caps.effective & bit(sys::CAP_SETPCAP) == 0 && caps.permitted & bit(sys::CAP_SETPCAP) != 0 {
        sys::capset(CapSets {
            effective: caps.effective | bit(sys::CAP_SETPCAP),
            ..caps
        })?;
    }
    Ok(caps)
}

/// Step 14: supplementary groups (initgroups list + `SupplementaryGroups=`),
/// then real/effective/saved GID.
pub(super) fn groups(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    if let Some(list) = &ctx.plan.groups {
        // The raw system calls, not glibc's wrappers, which would also
        // signal the manager's other threads ("setxid", crate::vfork).
        raw::setgroups(list)?;
    }
    if let Some(gid) = ctx.plan.gid {
        raw::setresgid(gid)?;
    }
    Ok(())
}

/// Step 15: `CapabilityBoundingSet=`. Each capability outside the kept set
/// is dropped from the bounding set and from the inheritable set (so it
/// cannot come back through file capabilities at exec). A drop that fails
/// for a capability we never had is not an error, as in systemd.
pub(super) fn bounding_set(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(keep) = ctx.plan.bounding_set else {
        return Ok(());
    };
    let last = ctx.plan.cap_last_cap;
    if keep & all_caps(last) == all_caps(last) {
        return Ok(());
    }
    let before = with_setpcap()?;
    let mut inheritable = before.inheritable;
    for cap in 0..=last {
        if keep & bit(cap) != 0 {
            continue;
        }
        if let Err(e) = sys::prctl(sys::PR_CAPBSET_DROP, libc::c_ulong::from(cap)) {
            if sys::prctl(sys::PR_CAPBSET_READ, libc::c_ulong::from(cap)) != Ok(0) {
                return Err(e);
            }
        }
        inheritable &= !bit(cap);
    }
    // Restores the effective set we started with and applies the trimmed
    // inheritable set.
    sys::capset(CapSets {
        inheritable,
        ..before
    })
}

/// Step 16: the ambient set before the user change. Requested capabilities
/// missing from the bounding set are silently left out (systemd does the
/// same). The inheritable set becomes exactly the ambient set, the ambient
/// set is (re)built, and keep-caps is turned on when a switch to a non-root
/// user must preserve the permitted set.
pub(super) fn ambient_prepare(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let mut ambient = ctx.plan.ambient & all_caps(ctx.plan.cap_last_cap);
    for cap in 0..=ctx.plan.cap_last_cap {
        if ambient & bit(cap) != 0
            && sys::prctl(sys::PR_CAPBSET_READ, libc::c_ulong::from(cap)) != Ok(1)
        {
            ambient &= !bit(cap);
        }
    }
    ctx.ambient = ambient;

    let caps = sys::capget()?;
    if caps.inheritable != ambient {
        sys::capset(CapSets {
            inheritable: ambient,
            ..caps
        })?;
    }
    match sys::prctl(
        sys::PR_CAP_AMBIENT,
        sys::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
    ) {
        // A kernel without ambient capabilities (< 4.3) has nothing to clear.
        Err(libc::EINVAL) if ambient == 0 => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    raise_ambient(ambient)?;

    let switching_to_non_root = matches!(ctx.plan.uid, Some(uid) if uid != 0);
    if switching_to_non_root && (ambient != 0 || ctx.plan.secure_bits != 0) {
        sys::prctl(sys::PR_SET_KEEPCAPS, 1)?;
    }
    Ok(())
}

fn raise_ambient(ambient: u64) -> Result<(), c_int> {
    for cap in 0..64u32 {
        if ambient & bit(cap) != 0 {
            sys::prctl3(
                sys::PR_CAP_AMBIENT,
                sys::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                libc::c_ulong::from(cap),
            )?;
        }
    }
    Ok(())
}

/// Step 17: `RootDirectory=`, then `/` inside it.
pub(super) fn chroot(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let Some(root) = &ctx.plan.root else {
        return Ok(());
    };
    raw::chroot(root.as_ptr())?;
    raw::chdir(c"/".as_ptr())?;
    Ok(())
}

/// Step 18: real/effective/saved UID.
pub(super) fn user(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    if let Some(uid) = ctx.plan.uid {
        // Raw, as in `groups`.
        raw::setresuid(uid)?;
    }
    Ok(())
}

/// Step 19: raise the ambient set again after the UID change cleared it.
pub(super) fn ambient_raise(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    if ctx.plan.uid.is_some() && ctx.ambient != 0 {
        raise_ambient(ctx.ambient)?;
    }
    Ok(())
}

/// Step 21: `WorkingDirectory=`; the `-` prefix tolerates any failure.
pub(super) fn working_directory(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    match raw::chdir(ctx.plan.cwd.as_ptr()) {
        Err(_) if ctx.plan.cwd_missing_ok => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// Step 22: `SecureBits=`, only when it differs from the current bits
/// (setting them is privileged, reading is not). The keep-caps bit is left
/// out of the comparison: step 16 may have set it, and exec clears it.
pub(super) fn secure_bits(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    let want = ctx.plan.secure_bits;
    let current = sys::prctl(sys::PR_GET_SECUREBITS, 0)?;
    if current & !sys::SECBIT_KEEP_CAPS == want & !sys::SECBIT_KEEP_CAPS {
        return Ok(());
    }
    with_setpcap()?;
    sys::prctl(sys::PR_SET_SECUREBITS, want as libc::c_ulong)?;
    Ok(())
}

/// Step 23: `NoNewPrivileges=`.
pub(super) fn no_new_privileges(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    if ctx.plan.no_new_privileges {
        sys::prctl(sys::PR_SET_NO_NEW_PRIVS, 1)?;
    }
    Ok(())
}

/// Writes `prefix` + the child's own PID + NUL into a slot the parent
/// allocated with `cap` bytes (a null slot is skipped).
fn fill_pid_slot(slot: *mut u8, cap: usize, prefix: &[u8]) -> Result<(), c_int> {
    if slot.is_null() {
        return Ok(());
    }
    let mut digits = [0u8; 24];
    let pid = sys::format_i64(i64::from(raw::getpid()), &mut digits);
    let total = prefix.len() + pid.len();
    if total + 1 > cap {
        return Err(libc::E2BIG);
    }
    for (i, b) in prefix.iter().chain(pid.iter()).chain(std::iter::once(&0u8)).enumerate() {
        // SAFETY: i < total + 1 <= capacity of the parent-allocated slot.
        unsafe { slot.add(i).write(*b) };
    }
    Ok(())
}

/// Step 24: fill `LISTEN_PID=` and `SYSTEMD_EXEC_PID=` (`systemd.exec(5)`,
/// "$SYSTEMD_EXEC_PID": the PID of the process the manager forked, which
/// is this one until the exec) and `execve(2)`. Returns only on failure.
pub(super) fn exec(ctx: &mut Ctx<'_>) -> Result<(), c_int> {
    fill_pid_slot(ctx.listen_pid, ctx.pid_slot_cap, b"LISTEN_PID=")?;
    fill_pid_slot(ctx.exec_pid, ctx.pid_slot_cap, b"SYSTEMD_EXEC_PID=")?;
    // Path, argv and envp are NUL-terminated arrays prepared before the
    // clone and kept alive by the parent until we exec or exit.
    Err(raw::execve(ctx.plan.path.as_ptr(), ctx.argv, ctx.envp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_caps_mask() {
        assert_eq!(all_caps(40), (1u64 << 41) - 1);
        assert_eq!(all_caps(63), u64::MAX);
    }
}
