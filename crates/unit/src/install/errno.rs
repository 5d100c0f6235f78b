//! Error numbers, the currency of systemd's install logic.
//!
//! `src/shared/install.c` reports every failure as a negative errno, and
//! `systemctl` picks its message by that number ("Failed to enable unit,
//! unit %s is masked." for `ERFKILL`, "…does not exist." for `ENOENT`, and
//! `strerror()` text for the rest). To print the same messages we keep the
//! same numbers: [`Errno`] is a Linux errno with its glibc `strerror()`
//! text, not an abstraction over it.

use std::fmt;
use std::io;

/// A Linux errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ENOENT: Errno = Errno(2);
    pub const EIO: Errno = Errno(5);
    pub const ENXIO: Errno = Errno(6);
    pub const ENOMEM: Errno = Errno(12);
    pub const EACCES: Errno = Errno(13);
    pub const EBUSY: Errno = Errno(16);
    pub const EEXIST: Errno = Errno(17);
    pub const EXDEV: Errno = Errno(18);
    pub const ENOTDIR: Errno = Errno(20);
    pub const EISDIR: Errno = Errno(21);
    pub const EINVAL: Errno = Errno(22);
    pub const ENOTTY: Errno = Errno(25);
    pub const ETXTBSY: Errno = Errno(26);
    pub const ENOSPC: Errno = Errno(28);
    pub const EROFS: Errno = Errno(30);
    pub const ENAMETOOLONG: Errno = Errno(36);
    pub const ENOTEMPTY: Errno = Errno(39);
    pub const ELOOP: Errno = Errno(40);
    pub const EIDRM: Errno = Errno(43);
    pub const ECHRNG: Errno = Errno(44);
    pub const EUNATCH: Errno = Errno(49);
    pub const EBADSLT: Errno = Errno(57);
    pub const ENOLINK: Errno = Errno(67);
    pub const EBADMSG: Errno = Errno(74);
    pub const EBADFD: Errno = Errno(77);
    pub const EOPNOTSUPP: Errno = Errno(95);
    pub const EADDRNOTAVAIL: Errno = Errno(99);
    pub const EUCLEAN: Errno = Errno(117);
    pub const ENOMEDIUM: Errno = Errno(123);
    pub const ERFKILL: Errno = Errno(132);

    /// glibc's `strerror()` text, which systemd prints for `%m`.
    pub fn message(self) -> String {
        let s = match self.0 {
            1 => "Operation not permitted",
            2 => "No such file or directory",
            5 => "Input/output error",
            6 => "No such device or address",
            12 => "Cannot allocate memory",
            13 => "Permission denied",
            16 => "Device or resource busy",
            17 => "File exists",
            18 => "Invalid cross-device link",
            20 => "Not a directory",
            21 => "Is a directory",
            22 => "Invalid argument",
            25 => "Inappropriate ioctl for device",
            26 => "Text file busy",
            28 => "No space left on device",
            30 => "Read-only file system",
            36 => "File name too long",
            39 => "Directory not empty",
            40 => "Too many levels of symbolic links",
            43 => "Identifier removed",
            44 => "Channel number out of range",
            49 => "Protocol driver not attached",
            57 => "Invalid slot",
            67 => "Link has been severed",
            74 => "Bad message",
            77 => "File descriptor in bad state",
            95 => "Operation not supported",
            99 => "Cannot assign requested address",
            117 => "Structure needs cleaning",
            123 => "No medium found",
            132 => "Operation not possible due to RF-kill",
            n => return format!("Unknown error {n}"),
        };
        s.to_string()
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Errno {}

impl From<&io::Error> for Errno {
    fn from(e: &io::Error) -> Errno {
        match e.raw_os_error() {
            Some(n) => Errno(n),
            None => match e.kind() {
                io::ErrorKind::NotFound => Errno::ENOENT,
                io::ErrorKind::PermissionDenied => Errno::EACCES,
                io::ErrorKind::AlreadyExists => Errno::EEXIST,
                io::ErrorKind::InvalidData => Errno::EBADMSG,
                _ => Errno::EIO,
            },
        }
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        Errno::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_glibc_strerror() {
        assert_eq!(Errno::ENOLINK.to_string(), "Link has been severed");
        assert_eq!(Errno::ERFKILL.message(), "Operation not possible due to RF-kill");
        assert_eq!(Errno(9999).message(), "Unknown error 9999");
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(Errno::from(&e), Errno::ENOENT);
    }
}
