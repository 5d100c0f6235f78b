//! The `service` personality: `service NAME VERB [ARGS]` and
//! `service --status-all`, redirected to the manager as Debian's
//! `service(8)` does on a systemd system: `start`, `stop`, `restart`,
//! `reload`, `status` map to the `systemctl` verbs of `NAME.service`;
//! `force-reload` is `systemctl try-reload-or-restart` (Debian's choice);
//! anything else (`configtest`, custom actions) runs `/etc/init.d/NAME
//! VERB` directly when such a script exists, as Debian's wrapper does.

use std::path::Path;

const USAGE: &str = "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]";

pub fn main(args: Vec<String>) -> u8 {
    // `--root=DIR` (vigil's, accepted anywhere as by every personality) and
    // `--user` select the manager; they are passed on to systemctl.
    let mut selectors: Vec<String> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a.starts_with("--root=") || a == "--user" || a == "--no-autostart" {
            selectors.push(a.clone());
        } else if a == "--root" {
            if let Some(dir) = it.next() {
                selectors.push(format!("--root={dir}"));
            }
        } else {
            rest.push(a);
        }
    }
    let ctl = |args: &[&str]| ctl(&selectors, args);
    match rest.as_slice() {
        [] | ["-h"] | ["--help"] => {
            eprintln!("{USAGE}");
            if rest.is_empty() {
                1
            } else {
                0
            }
        }
        ["--version"] | ["-V"] => {
            println!("service ver. 1.65.2 (vigil {})", env!("CARGO_PKG_VERSION"));
            0
        }
        ["--status-all"] => status_all(&selectors),
        [name, "--full-restart"] => ctl(&["restart", name]),
        [name] => {
            eprintln!("{USAGE}");
            let _ = name;
            1
        }
        [name, verb, more @ ..] => {
            let unit = format!("{}.service", name.trim_end_matches(".service"));
            match *verb {
                "start" | "stop" | "restart" | "reload" | "status" => ctl(&[verb, &unit]),
                "force-reload" => ctl(&["try-reload-or-restart", &unit]),
                other => {
                    let script = Path::new("/etc/init.d").join(name);
                    if script.exists() {
                        let st = std::process::Command::new(&script).arg(other).args(more).status();
                        st.ok().and_then(|s| s.code()).map(|c| c as u8).unwrap_or(1)
                    } else {
                        eprintln!("{name}: unrecognized service");
                        1
                    }
                }
            }
        }
    }
}

fn ctl(selectors: &[String], args: &[&str]) -> u8 {
    let mut v = vec!["systemctl".to_string()];
    v.extend(selectors.iter().cloned());
    v.extend(args.iter().map(|s| s.to_string()));
    crate::ctl::main(v)
}

/// `service --status-all`: one line per `/etc/init.d` script, `[ + ]`
/// running, `[ - ]` stopped, as Debian prints it.
fn status_all(selectors: &[String]) -> u8 {
    let root = selectors.iter().find_map(|s| s.strip_prefix("--root=")).unwrap_or("/");
    let Ok(rd) = std::fs::read_dir(Path::new(root).join("etc/init.d")) else { return 0 };
    let mut names: Vec<String> = rd
        .flatten()
        .filter(|e| e.metadata().map(|m| m.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !matches!(n.as_str(), "README" | "skeleton" | "rc" | "rcS") && !n.ends_with(".sh"))
        .collect();
    names.sort();
    for n in names {
        let active = std::process::Command::new("/proc/self/exe")
            .args(selectors)
            .args(["is-active", "--quiet", &format!("{n}.service")])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        println!(" [ {} ]  {n}", if active { "+" } else { "-" });
    }
    0
}
