//! One parsed configuration line: its [`Kind`] (the type letter), path,
//! ownership, mode, age and argument, and where it came from.
//!
//! The kinds split in two families that matter everywhere
//! (tmpfiles.d(5), "Type"): those that take a *literal path* and create
//! something (`f d L C …`), and those whose path is a *shell glob* and
//! that adjust or remove what exists (`w e z Z t a h x r R …`). The two
//! are kept in separate tables, the literal ones applied first, because
//! creating usually has to happen before adjusting.
//!
//! Main types: [`Item`], [`Kind`], [`AgeBy`], [`Origin`].

use std::fmt;
use std::path::PathBuf;

use crate::acl::AclSpec;

/// The type letter of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    CreateFile = b'f',
    TruncateFile = b'F',
    WriteFile = b'w',
    CreateDirectory = b'd',
    TruncateDirectory = b'D',
    CreateSubvolume = b'v',
    CreateSubvolumeInheritQuota = b'q',
    CreateSubvolumeNewQuota = b'Q',
    EmptyDirectory = b'e',
    CreateFifo = b'p',
    CreateSymlink = b'L',
    CreateCharDevice = b'c',
    CreateBlockDevice = b'b',
    CopyFiles = b'C',
    IgnorePath = b'x',
    IgnoreDirectoryPath = b'X',
    RemovePath = b'r',
    RecursiveRemovePath = b'R',
    AdjustMode = b'm',
    RelabelPath = b'z',
    RecursiveRelabelPath = b'Z',
    SetXattr = b't',
    RecursiveSetXattr = b'T',
    SetAttribute = b'h',
    RecursiveSetAttribute = b'H',
    SetAcl = b'a',
    RecursiveSetAcl = b'A',
}

impl Kind {
    pub fn from_char(c: char) -> Option<Kind> {
        use Kind::*;
        Some(match c {
            'f' => CreateFile,
            'F' => TruncateFile,
            'w' => WriteFile,
            'd' => CreateDirectory,
            'D' => TruncateDirectory,
            'v' => CreateSubvolume,
            'q' => CreateSubvolumeInheritQuota,
            'Q' => CreateSubvolumeNewQuota,
            'e' => EmptyDirectory,
            'p' => CreateFifo,
            'L' => CreateSymlink,
            'c' => CreateCharDevice,
            'b' => CreateBlockDevice,
            'C' => CopyFiles,
            'x' => IgnorePath,
            'X' => IgnoreDirectoryPath,
            'r' => RemovePath,
            'R' => RecursiveRemovePath,
            'm' => AdjustMode,
            'z' => RelabelPath,
            'Z' => RecursiveRelabelPath,
            't' => SetXattr,
            'T' => RecursiveSetXattr,
            'h' => SetAttribute,
            'H' => RecursiveSetAttribute,
            'a' => SetAcl,
            'A' => RecursiveSetAcl,
            _ => return None,
        })
    }

    pub fn letter(self) -> char {
        self as u8 as char
    }

    /// Lines whose path is a glob (`needs_glob()`).
    pub fn takes_glob(self) -> bool {
        use Kind::*;
        matches!(
            self,
            WriteFile
                | EmptyDirectory
                | SetXattr
                | RecursiveSetXattr
                | SetAcl
                | RecursiveSetAcl
                | SetAttribute
                | RecursiveSetAttribute
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
                | RelabelPath
                | RecursiveRelabelPath
                | AdjustMode
        )
    }

    /// Lines that own their path (`takes_ownership()`): two of them for one
    /// path must agree, and they are applied before the adjusting ones.
    pub fn takes_ownership(self) -> bool {
        use Kind::*;
        matches!(
            self,
            CreateFile
                | TruncateFile
                | CreateDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
                | CreateFifo
                | CreateSymlink
                | CreateCharDevice
                | CreateBlockDevice
                | CopyFiles
                | WriteFile
                | EmptyDirectory
                | IgnorePath
                | IgnoreDirectoryPath
                | RemovePath
                | RecursiveRemovePath
        )
    }

    /// Kinds whose default mode is 0755 rather than 0644.
    pub fn is_directory_like(self) -> bool {
        use Kind::*;
        matches!(
            self,
            CreateDirectory
                | TruncateDirectory
                | CreateSubvolume
                | CreateSubvolumeInheritQuota
                | CreateSubvolumeNewQuota
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// Which timestamps keep an entry from being cleaned (tmpfiles.d(5),
/// "Age": the `age-by` prefix). Bits: atime, btime, ctime, mtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AgeBy(pub u8);

impl AgeBy {
    pub const ATIME: u8 = 1;
    pub const BTIME: u8 = 2;
    pub const CTIME: u8 = 4;
    pub const MTIME: u8 = 8;
    /// Files: every timestamp.
    pub const DEFAULT_FILE: AgeBy = AgeBy(1 | 2 | 4 | 8);
    /// Directories: all but ctime, which cleaning itself changes.
    pub const DEFAULT_DIR: AgeBy = AgeBy(1 | 2 | 8);

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// Where a line came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One configuration line, ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: Kind,
    /// Absolute, normalized, inside the root.
    pub path: PathBuf,
    /// The argument after escapes and specifiers (symlink target, copy
    /// source, device numbers, attribute letters, ACL text…).
    pub argument: Option<String>,
    /// Bytes to write for `f`/`F`/`w`: the argument, base64-decoded (`~`)
    /// or read from a credential (`^`).
    pub content: Option<Vec<u8>>,
    pub xattrs: Vec<(String, String)>,
    pub acl: Option<AclSpec>,
    /// `h`/`H`: flag values and which flags to touch.
    pub attributes: Option<(u32, u32)>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
    pub mode_set: bool,
    /// `:` prefixes: apply only to newly created inodes.
    pub uid_only_create: bool,
    pub gid_only_create: bool,
    pub mode_only_create: bool,
    /// `~` mode prefix.
    pub mask_perms: bool,
    /// Cleanup age in microseconds.
    pub age: Option<u64>,
    pub age_by_file: AgeBy,
    pub age_by_dir: AgeBy,
    /// `~` age prefix: keep the first level below the directory.
    pub keep_first_level: bool,
    pub major_minor: Option<(u32, u32)>,
    /// Modifiers: `!`, `+`, `-`, `=`.
    pub boot_only: bool,
    pub append_or_force: bool,
    pub allow_failure: bool,
    pub try_replace: bool,
    pub origin: Origin,
}

impl Item {
    /// The bytes `f`/`F`/`w` write.
    pub fn data(&self) -> Option<&[u8]> {
        self.content.as_deref().or(self.argument.as_deref().map(str::as_bytes))
    }

    /// `item_compatible()`: two owning lines for one path must say the
    /// same thing, or the later one is a duplicate.
    pub fn compatible(&self, other: &Item) -> bool {
        if !(self.kind.takes_ownership() && other.kind.takes_ownership()) {
            return true;
        }
        self.data() == other.data()
            && self.uid == other.uid
            && self.uid_only_create == other.uid_only_create
            && self.gid == other.gid
            && self.gid_only_create == other.gid_only_create
            && self.mode_set == other.mode_set
            && self.mode == other.mode
            && self.mode_only_create == other.mode_only_create
            && self.age == other.age
            && self.age_by_file == other.age_by_file
            && self.age_by_dir == other.age_by_dir
            && self.mask_perms == other.mask_perms
            && self.keep_first_level == other.keep_first_level
            && self.major_minor == other.major_minor
    }
}
