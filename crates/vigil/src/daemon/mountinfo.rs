//! `/proc/self/mountinfo` as the manager needs it (`proc(5)`): each
//! mount's point and whether it is mounted read-only. Used to shape a
//! service's mount namespace (`manager/sandbox.rs`) and to unmount at a
//! machine's shutdown (`finish.rs`).

/// One line of mountinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountEntry {
    pub point: String,
    /// The per-mount options start with `ro`.
    pub readonly: bool,
}

/// Every mount, in the file's order (a mount comes after the one it sits on).
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            // id parent major:minor root mount-point options …
            let mut f = line.split(' ');
            let point = f.nth(4)?;
            let opts = f.next()?;
            Some(MountEntry { point: unescape(point), readonly: opts.split(',').next() == Some("ro") })
        })
        .collect()
}

/// The mount table of this process.
pub fn read() -> Vec<MountEntry> {
    parse(&std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` is `dir` or below it (by whole components).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_read_only_flags() {
        let t = "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n\
                 29 28 254:3 / /var/lib/my\\040data ro,nosuid shared:8 - ext4 /dev/vdc rw\n";
        assert_eq!(
            parse(t),
            [
                MountEntry { point: "/".into(), readonly: false },
                MountEntry { point: "/var/lib/my data".into(), readonly: true }
            ]
        );
    }

    #[test]
    fn octal_escapes_are_decoded() {
        assert_eq!(unescape("/a\\040b\\011c\\134d"), "/a b\tc\\d");
        assert_eq!(unescape("/trailing\\04"), "/trailing\\04");
    }

    #[test]
    fn under_is_by_component() {
        assert!(is_under("/proc/sys", "/proc"));
        assert!(is_under("/proc", "/proc"));
        assert!(!is_under("/process", "/proc"));
        assert!(is_under("/x", "/"));
    }
}
