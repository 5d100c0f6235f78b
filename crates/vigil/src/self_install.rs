//! `vigil install [--prefix DIR] [--init] [--force]`: put this binary in
//! place and link the tools it stands in for (issue 7).
//!
//! What it does, in order:
//!
//! 1. copy the running executable to `PREFIX/bin/vigil` (through a
//!    temporary file and `rename(2)`, so a `vigil` that is running keeps
//!    its old inode and nothing ever sees half a binary);
//! 2. link `systemctl`, `journalctl`, `service` and `systemd-analyze` in
//!    `PREFIX/bin` to `vigil` (relative links, so the prefix can move);
//! 3. with `--init`, link `PREFIX/sbin/init` to `../bin/vigil`.
//!
//! Two guards keep it from breaking a machine:
//!
//! - **A running systemd.** When `/run/systemd/system` exists and PID 1
//!   is systemd (`/proc/1/comm`), the tools in `PATH` must stay
//!   systemd's: vigil is installed *beside* it (step 1 only; use `vigil
//!   ctl …`), and `--init` is refused. The message says so.
//! - **Someone else's file.** A link target that exists and is not
//!   already a link to our `vigil` (systemd's `/usr/bin/systemctl` with
//!   `--prefix=/usr`) is left alone and reported, and the command fails,
//!   unless `--force` is given; then it is replaced.
//!
//! The default prefix is `/usr/local`, whose `bin` comes before `/usr/bin`
//! in Debian's default `PATH`: the installed tools shadow systemd's without
//! touching the package's files.

use std::path::{Path, PathBuf};

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "vigil install", about = "Install vigil and link systemctl, journalctl, service, systemd-analyze")]
struct Args {
    /// Install under this directory (bin/, sbin/).
    #[arg(long, value_name = "DIR", default_value = "/usr/local")]
    prefix: PathBuf,
    /// Also link sbin/init to vigil.
    #[arg(long)]
    init: bool,
    /// Replace existing files that are not links to vigil.
    #[arg(long)]
    force: bool,
}

/// The tools vigil answers to under their own names.
pub const TOOLS: [&str; 4] = ["systemctl", "journalctl", "service", "systemd-analyze"];

pub fn main(args: Vec<String>) -> u8 {
    let args: Args = match crate::parse_args(&args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigil install: {e}");
            1
        }
    }
}

/// Is systemd the running init? (`sd_booted()` plus PID 1's name: vigil
/// itself creates `/run/systemd/system` when it is init.)
fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
        && std::fs::read_to_string("/proc/1/comm").map(|c| c.trim() == "systemd").unwrap_or(false)
}

fn run(args: &Args) -> std::io::Result<u8> {
    let bin = args.prefix.join("bin");
    std::fs::create_dir_all(&bin)?;
    let exe = std::fs::read_link("/proc/self/exe")?;
    let dest = bin.join("vigil");
    if std::fs::canonicalize(&exe).ok() != std::fs::canonicalize(&dest).ok() {
        let tmp = bin.join(".vigil.new");
        std::fs::copy(&exe, &tmp)?;
        std::fs::rename(&tmp, &dest)?;
    }
    println!("Installed {}.", dest.display());
    if systemd_running() {
        println!(
            "systemd is running as PID 1: vigil is installed beside it; {} stay systemd's (use `vigil ctl …`).",
            TOOLS.join(", ")
        );
        if args.init {
            eprintln!("vigil install: refusing --init while systemd is the running init.");
            return Ok(1);
        }
        return Ok(0);
    }
    let mut links: Vec<(PathBuf, PathBuf)> = TOOLS.iter().map(|t| (bin.join(t), PathBuf::from("vigil"))).collect();
    if args.init {
        links.push((args.prefix.join("sbin/init"), PathBuf::from("../bin/vigil")));
    }
    let mut code = 0;
    for (link, target) in links {
        if let Some(dir) = link.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match place_link(&link, &target, &dest, args.force) {
            Ok(true) => println!("Linked {} -> {}.", link.display(), target.display()),
            Ok(false) => {
                eprintln!(
                    "vigil install: {} exists and is not vigil; left alone (--force replaces it).",
                    link.display()
                );
                code = 1;
            }
            Err(e) => {
                eprintln!("vigil install: linking {}: {e}", link.display());
                code = 1;
            }
        }
    }
    Ok(code)
}

/// Makes `link` a symlink to `target` (which resolves to `dest`). Returns
/// false when something else is there and `force` is off.
fn place_link(link: &Path, target: &Path, dest: &Path, force: bool) -> std::io::Result<bool> {
    if std::fs::symlink_metadata(link).is_ok() {
        let ours = std::fs::canonicalize(link).ok() == std::fs::canonicalize(dest).ok();
        if !ours && !force {
            return Ok(false);
        }
    }
    // Atomically: a new link beside, renamed over the old name.
    let tmp = link.with_file_name(format!(
        ".{}.vigil-new",
        link.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)?;
    Ok(true)
}
