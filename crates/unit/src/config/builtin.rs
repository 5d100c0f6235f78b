//! The targets a manager supplies itself when the root has none — a
//! minimal container image ships no systemd units at all, yet services
//! carry default dependencies on `sysinit.target`, `basic.target` and
//! `shutdown.target`, and `enable` links them into `multi-user.target`.
//!
//! The definitions follow the roles `systemd.special(7)` gives these
//! units (synchronisation points of boot and shutdown); they are written
//! here in our own words, as unit-file text, and go through the normal
//! parser so they behave like any other unit. A file in the root always
//! wins. `systemd-analyze verify` knows no built-ins, so `vigil verify`
//! does not use them (its exit codes must match).

/// The unit-file text of a built-in unit, if `name` is one.
pub fn builtin_unit(name: &str) -> Option<&'static str> {
    Some(match name {
        "default.target" => {
            "[Unit]\nDescription=Default target (built-in: multi-user)\nRequires=multi-user.target\nAfter=multi-user.target\nAllowIsolate=yes\n"
        }
        "multi-user.target" => {
            "[Unit]\nDescription=Multi-User System\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n"
        }
        "graphical.target" => {
            "[Unit]\nDescription=Graphical Interface\nRequires=multi-user.target\nAfter=multi-user.target\nAllowIsolate=yes\n"
        }
        "basic.target" => {
            "[Unit]\nDescription=Basic System\nRequires=sysinit.target\nWants=sockets.target timers.target paths.target slices.target\nAfter=sysinit.target sockets.target paths.target slices.target\n"
        }
        "sysinit.target" => {
            "[Unit]\nDescription=System Initialization\nDefaultDependencies=no\nWants=local-fs.target swap.target\nAfter=local-fs.target swap.target\n"
        }
        "local-fs.target" => "[Unit]\nDescription=Local File Systems\nDefaultDependencies=no\n",
        "swap.target" => "[Unit]\nDescription=Swaps\nDefaultDependencies=no\n",
        "sockets.target" => "[Unit]\nDescription=Sockets\nDefaultDependencies=no\n",
        "timers.target" => "[Unit]\nDescription=Timers\nDefaultDependencies=no\n",
        "paths.target" => "[Unit]\nDescription=Path Units\nDefaultDependencies=no\n",
        "slices.target" => {
            "[Unit]\nDescription=Slice Units\nDefaultDependencies=no\nWants=-.slice system.slice\nAfter=-.slice system.slice\n"
        }
        "network.target" => "[Unit]\nDescription=Network\n",
        "network-pre.target" => "[Unit]\nDescription=Preparation for Network\nDefaultDependencies=no\n",
        "network-online.target" => "[Unit]\nDescription=Network is Online\nAfter=network.target\n",
        "nss-lookup.target" => "[Unit]\nDescription=Host and Network Name Lookups\nDefaultDependencies=no\n",
        "nss-user-lookup.target" => "[Unit]\nDescription=User and Group Name Lookups\nDefaultDependencies=no\n",
        "remote-fs.target" => "[Unit]\nDescription=Remote File Systems\nDefaultDependencies=no\n",
        "time-set.target" => "[Unit]\nDescription=System Time Set\nDefaultDependencies=no\n",
        "time-sync.target" => "[Unit]\nDescription=System Time Synchronized\nDefaultDependencies=no\nAfter=time-set.target\n",
        "getty.target" => "[Unit]\nDescription=Login Prompts\n",
        "shutdown.target" => "[Unit]\nDescription=System Shutdown\nDefaultDependencies=no\nRefuseManualStart=yes\n",
        // ctrl-alt-del.target: what SIGINT starts in a system manager; an
        // alias of reboot.target in systemd's units.
        "halt.target" | "poweroff.target" | "reboot.target" | "exit.target" | "ctrl-alt-del.target" => {
            "[Unit]\nDescription=Manager shutdown (built-in)\nDefaultDependencies=no\nRequires=shutdown.target\nAfter=shutdown.target\nAllowIsolate=yes\n"
        }
        _ => return None,
    })
}
