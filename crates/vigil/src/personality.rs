//! Which tool are we? Decided from `argv[0]` and, for `vigil`, the first
//! non-option word.

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// `systemctl`, `vigil ctl …`, `vigil <verb>`.
    Ctl,
    /// `vigild`, `vigil daemon`: the manager in the foreground.
    Daemon,
    /// `vigil init`, or any start as PID 1: the manager as init on `/`.
    Init,
    /// `service NAME VERB`, Debian's wrapper.
    Service,
    /// `systemd-analyze`, `vigil analyze`, `vigil verify` (as `analyze verify`).
    Analyze,
    /// `systemd-journald`, `vigil journald`: the journal daemon.
    Journald,
    /// `journalctl`, `vigil logs`: the journal reader.
    Journalctl,
    /// `vigil install`: put the binary in place and link the tools.
    Install,
    /// `runlevel` (systemd-sysv links it to systemctl; invoke-rc.d asks it).
    Runlevel,
    /// Plain `vigil` with no verb, `--help` or `--version`.
    Vigil,
}

/// Options of the `systemctl`/`vigil` grammar that take their value as the
/// next argument, so that `vigil --root DIR verify x` finds `verify`.
const VALUE_OPTS: &[&str] = &[
    "--root", "-p", "--property", "-t", "--type", "--state", "-o", "--output", "-n", "--lines",
    "-s", "--signal", "--kill-whom", "-H", "--host", "-M", "--machine", "--job-mode", "--unit",
    "--man", "--generators",
];

/// Returns the personality and the argument vector it should parse, whose
/// first element is the program name to show in messages.
pub fn pick(args: &[String]) -> (Personality, Vec<String>) {
    let argv0 = args.first().map(String::as_str).unwrap_or("vigil");
    let base = Path::new(argv0).file_name().and_then(|s| s.to_str()).unwrap_or("vigil");
    // As PID 1 we are init, whatever our name (`init=/usr/bin/vigil`).
    if std::process::id() == 1 && !matches!(base, "systemctl" | "journalctl" | "service" | "systemd-analyze") {
        let mut v = vec!["vigil".to_string()];
        v.extend(args.iter().skip(1).filter(|a| a.as_str() != "init").cloned());
        return (Personality::Init, v);
    }
    match base {
        "systemd-analyze" => return (Personality::Analyze, args.to_vec()),
        "systemctl" => return (Personality::Ctl, args.to_vec()),
        "service" => return (Personality::Service, args.to_vec()),
        "vigild" => return (Personality::Daemon, args.to_vec()),
        "systemd-journald" => return (Personality::Journald, args.to_vec()),
        "journalctl" => return (Personality::Journalctl, args.to_vec()),
        "runlevel" => return (Personality::Runlevel, args.to_vec()),
        _ => {}
    }
    // `vigil …`: find the first word that is not an option or an option's value.
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            break;
        }
        if a.starts_with('-') {
            if VALUE_OPTS.contains(&a) {
                i += 1;
            }
            i += 1;
            continue;
        }
        let rest = |name: &str| {
            let mut v = vec![name.to_string()];
            v.extend(args[1..i].iter().cloned());
            v.extend(args[i + 1..].iter().cloned());
            v
        };
        return match a {
            "analyze" => (Personality::Analyze, rest("vigil analyze")),
            "daemon" => (Personality::Daemon, rest("vigild")),
            "init" => (Personality::Init, rest("vigil")),
            "install" => (Personality::Install, rest("vigil install")),
            "service" => (Personality::Service, rest("service")),
            "journald" => (Personality::Journald, rest("systemd-journald")),
            "logs" => (Personality::Journalctl, rest("journalctl")),
            "ctl" => (Personality::Ctl, rest("systemctl")),
            "verify" => {
                let mut v = rest("vigil");
                v.insert(1, "verify".to_string());
                (Personality::Analyze, v)
            }
            _ => {
                let mut v = args.to_vec();
                v[0] = "systemctl".to_string();
                (Personality::Ctl, v)
            }
        };
    }
    // No verb: `vigil --help`, `vigil --version`, or options only.
    if args.iter().skip(1).any(|a| a == "--help" || a == "-h" || a == "--version" || a == "-V") || args.len() == 1 {
        return (Personality::Vigil, args.to_vec());
    }
    let mut v = args.to_vec();
    v[0] = "systemctl".to_string();
    (Personality::Ctl, v)
}

/// `runlevel`: vigil keeps no SysV runlevel records in utmp, so this
/// says what systemd's `runlevel(8)` says without them: "unknown", exit
/// 1. Callers such as invoke-rc.d then ask `systemctl is-active
/// sysinit.target` instead.
pub fn runlevel(_args: Vec<String>) -> u8 {
    println!("unknown");
    1
}

/// `vigil` alone, `vigil --help`, `vigil --version`.
pub fn vigil_help(args: Vec<String>) -> u8 {
    let version = format!("vigil {}", env!("CARGO_PKG_VERSION"));
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("{version}");
        return 0;
    }
    print!(
        "{version}\n\
         A systemd-compatible service manager.\n\n\
         Usage: vigil [--root=DIR] COMMAND [ARGS…]\n\n\
         Commands:\n  \
           daemon           run the manager in the foreground (also: vigild)\n  \
           init             run as init: early boot, then default.target\n  \
           install          install vigil, link systemctl journalctl service systemd-analyze\n                   \
                     ([--prefix=DIR, default /usr/local] [--init] [--force])\n  \
           journald         run the journal daemon (also: systemd-journald)\n  \
           logs …           read the journal (also: journalctl)\n  \
           analyze VERB …   systemd-analyze: verify unit-paths timespan calendar time blame\n                   \
                     critical-chain dot\n  \
           VERB …           a systemctl verb (also: vigil ctl VERB …):\n    \
             unit files, offline on / or --root=DIR:\n      \
               enable disable reenable preset preset-all is-enabled mask unmask\n      \
               link revert add-wants add-requires get-default set-default\n      \
               list-unit-files cat edit\n    \
             the manager: start stop restart reload status show is-active\n      \
               is-failed list-units list-timers exit is-system-running\n      \
               (and service NAME VERB)\n  \
           ctl --help       the systemctl options and verbs\n\
         \n\
         Installed under another name (a symlink), vigil acts as that tool:\n  \
           systemctl, systemd-analyze, vigild, journalctl, systemd-journald, service\n"
    );
    0
}
