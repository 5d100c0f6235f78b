//! How a unit's processes are stopped (`systemd.kill(5)`): shared by
//! `[Service]`, `[Socket]`, `[Mount]`, `[Swap]` and `[Scope]`.
//!
//! `KillMode=none` is accepted but systemd 252 warns on every use that it
//! is unsafe and deprecated; that warning belongs to the value, not the
//! directive, so it is not stored here.

use super::words::KILL_MODES;
use super::{planned, Def};
use crate::directive::Kind as K;

pub(in crate::directive) const KILL: &[Def] = &[
    planned("SendSIGKILL", K::Bool),
    planned("SendSIGHUP", K::Bool),
    planned("KillMode", K::Enum(KILL_MODES)),
    planned("KillSignal", K::Signal),
    planned("RestartKillSignal", K::Signal),
    planned("FinalKillSignal", K::Signal),
    planned("WatchdogSignal", K::Signal),
];
