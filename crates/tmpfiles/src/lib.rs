//! tmpfiles.d(5): read the configuration and apply it to a root, as
//! `systemd-tmpfiles --create --remove --boot --root=DIR` (systemd 252)
//! does. vigil runs this at boot as PID 1 of a container so that
//! `/run/<daemon>` directories, `/run/utmp`, `/var/log/wtmp` and friends
//! exist before services start.
//!
//! The work is split in two steps:
//!
//! 1. [`Config::load`] finds the `*.conf` files (`/etc/tmpfiles.d`,
//!    `/run/tmpfiles.d`, `/usr/local/lib/tmpfiles.d`, `/usr/lib/tmpfiles.d`,
//!    `/lib/tmpfiles.d` inside the root; same-name files override by that
//!    priority; read in file-name order) and parses every line into an
//!    [`Item`]. Bad lines become [`Diagnostic`]s naming file:line; the
//!    rest of the configuration still counts. User and group names are
//!    resolved from the *root's* `/etc/passwd` and `/etc/group`, never
//!    through the host's NSS, because the root may be a container tree.
//! 2. [`apply()`] runs the phases [`Ops`] asks for — remove and clean first,
//!    then create — and returns a [`Report`]: every change, every failure
//!    with its file:line, every note (duplicates, lines skipped), and the
//!    exit status `systemd-tmpfiles` would have ([`Report::exit_status`]).
//!
//! [`LoadOptions`] carries what a caller may want to fix instead of
//! detecting (host facts for specifiers, `$CREDENTIALS_DIRECTORY`, and
//! [`Prefixes`] — `--prefix`, `--exclude-prefix`, `-E`). `Config::load_with`
//! can also read named files instead of the directories, like the
//! positional arguments of `systemd-tmpfiles`.
//!
//! Every type of tmpfiles.d(5) is implemented: `f f+ F w w+ d D e v q Q p
//! p+ L L+ c c+ b b+ C x X r R z Z m t T h H a a+ A A+` (252 has no
//! `C+`; its `+` is accepted and ignored, as there). Subvolume
//! types make plain directories (systemd does the same unless the root is
//! itself a btrfs subvolume; we never create subvolumes). Extended
//! attributes, chattr flags and POSIX ACLs are written directly through
//! the kernel interfaces (`setxattr`, `FS_IOC_SETFLAGS`, the
//! `system.posix_acl_*` attributes). `^` reads credentials from
//! `$CREDENTIALS_DIRECTORY`; with none passed such lines are skipped, as
//! systemd skips them.
//!
//! Safety: paths are resolved component by component inside the root
//! ([`fs`]), absolute symlinks restart at the root, `..` stops at it, and
//! ownership transitions are checked as systemd's `CHASE_SAFE` does. No
//! operation follows a symlink out of the root or touches the host.
//!
//! Deliberate differences from systemd 252, all where its behaviour is an
//! accident rather than a definition:
//!
//! - 252 makes parent directories and expands globs with host-side path
//!   resolution, so an absolute symlink inside the root is followed on the
//!   host; we resolve it inside the root, always;
//! - a line that cannot be used but is not invalid configuration (bad
//!   credential name, undecodable base64) makes 252 abort a run on files
//!   named on its command line; we drop that line only, as 252 does for
//!   files found in the configuration directories;
//! - configuration text must be UTF-8 (a line that is not is reported).
//!
//! Quirks kept on purpose so results match: `%t %S %C %L` are prefixed
//! with the root ([`spec`]); `f`/`w` append no newline; `D --remove` and
//! `C` behave as in 252, not as in later versions ([`mod@apply`]).
//!
//! Modules: [`config`] (files), [`parse`] (lines), [`spec`] (specifiers),
//! [`users`] (names), [`acl`], [`glob`], [`fs`] (in-root resolution),
//! [`mod@apply`] (phases and per-type operations), [`copy`] (`C`), [`clean`]
//! (age-based cleanup).

pub mod acl;
pub mod apply;
pub mod clean;
pub mod config;
pub mod copy;
pub mod fs;
pub mod glob;
pub mod item;
pub mod parse;
pub mod spec;
mod sys;
pub mod users;

pub use apply::{apply, Action, Failure, OpError, Ops, Report, What};
pub use config::{Config, LoadError, LoadOptions};
pub use item::{Item, Kind, Origin};
pub use parse::{Diagnostic, LineError, Prefixes, Severity};

/// Which configuration to read: the system's or the invoking user's
/// (`systemd-tmpfiles --user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    System,
    User,
}
