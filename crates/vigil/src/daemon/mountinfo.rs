//! `/proc/self/mountinfo` as the manager needs it: each mount's point and
//! whether the mount itself is read-only (the parsing is the unit crate's,
//! `unit::mountinfo`). Used to shape a service's mount namespace
//! (`manager/sandbox.rs`) and to unmount at a machine's shutdown
//! (`finish.rs`).

/// One mount: its point and its per-mount read-only flag (the flag a
/// namespace can change; the super block's it cannot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountEntry {
    pub point: String,
    pub readonly: bool,
}

/// Every mount, in the file's order (a mount comes after the one it sits on).
pub fn parse(text: &str) -> Vec<MountEntry> {
    unit::mountinfo::parse(text)
        .into_iter()
        .map(|m| MountEntry { readonly: m.mount_readonly, point: m.point })
        .collect()
}

/// The mount table of this process.
pub fn read() -> Vec<MountEntry> {
    parse(&std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
}

/// `path` is `dir` or below it (by whole components).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_mount_flag_is_the_one_kept() {
        let t = "29 28 254:3 / /var ro,nosuid shared:8 - ext4 /dev/vdc rw\n30 22 254:4 / /srv rw - ext4 /dev/vdd ro\n";
        assert_eq!(
            parse(t),
            [MountEntry { point: "/var".into(), readonly: true }, MountEntry { point: "/srv".into(), readonly: false }]
        );
    }

    #[test]
    fn under_is_by_component() {
        assert!(is_under("/proc/sys", "/proc"));
        assert!(is_under("/proc", "/proc"));
        assert!(!is_under("/process", "/proc"));
        assert!(is_under("/x", "/"));
    }
}
