//! `/proc/self/mountinfo` (`proc(5)`): each mount's point and whether it
//! is read-only, per mount and per super block. Used by the path
//! conditions (`ConditionPathIsMountPoint=`, `…IsReadWrite=`) and by the
//! manager (a service's mount namespace, a machine's unmounting at
//! shutdown).

/// One line of mountinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    /// Where it is mounted, unescaped.
    pub point: String,
    /// The per-mount options say `ro`.
    pub mount_readonly: bool,
    /// The super block's options say `ro`.
    pub super_readonly: bool,
}

impl MountInfo {
    /// Read-only by either flag (`path_is_read_only_fs()`).
    pub fn readonly(&self) -> bool {
        self.mount_readonly || self.super_readonly
    }
}

/// Every mount, in the file's order (a mount comes after the one it sits
/// on); malformed lines are skipped.
pub fn parse(text: &str) -> Vec<MountInfo> {
    text.lines()
        .filter_map(|line| {
            // id parent major:minor root mount-point options [optional…] - fstype source super-options
            let f: Vec<&str> = line.split(' ').collect();
            let ro = |opts: &str| opts.split(',').any(|o| o == "ro");
            let sep = f.iter().position(|x| *x == "-")?;
            Some(MountInfo {
                point: unescape(f.get(4)?),
                mount_readonly: ro(f.get(5)?),
                super_readonly: f.get(sep + 3).is_some_and(|o| ro(o)),
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_both_read_only_flags() {
        let t = "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n\
                 29 28 254:3 / /var/lib/my\\040data ro,nosuid shared:8 - ext4 /dev/vdc rw\n\
                 30 22 254:4 / /srv rw - ext4 /dev/vdd ro\n\
                 garbage\n";
        let m = parse(t);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].point.as_str(), m[0].readonly()), ("/", false));
        assert_eq!((m[1].point.as_str(), m[1].mount_readonly, m[1].super_readonly), ("/var/lib/my data", true, false));
        assert_eq!((m[2].mount_readonly, m[2].super_readonly), (false, true));
    }

    #[test]
    fn octal_escapes_are_decoded() {
        assert_eq!(unescape("/a\\040b\\011c\\134d"), "/a b\tc\\d");
        assert_eq!(unescape("/trailing\\04"), "/trailing\\04");
    }
}
