//! How a unit's processes are stopped (`systemd.kill(5)`): shared by
//! `[Service]`, `[Socket]`, `[Mount]`, `[Swap]` and `[Scope]`.
//!
//! `KillMode=none` is accepted but systemd 252 warns on every use that it
//! is unsafe and deprecated; that warning belongs to the value, not the
//! directive, so it is not stored here.

use super::words::KILL_MODES;
use super::{implemented, Def};
use crate::directive::Kind as K;

pub(in crate::directive) const KILL: &[Def] = &[
    implemented("SendSIGKILL", K::Bool),
    implemented("SendSIGHUP", K::Bool),
    implemented("KillMode", K::Enum(KILL_MODES)),
    implemented("KillSignal", K::Signal),
    implemented("RestartKillSignal", K::Signal),
    implemented("FinalKillSignal", K::Signal),
    implemented("WatchdogSignal", K::Signal),
];
