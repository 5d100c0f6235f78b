//! The `systemd-analyze` personality (`vigil analyze`).
//!
//! Verbs are added here as they are implemented; each prints what
//! `systemd-analyze` prints and exits as it does.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use unit::paths::{LookupPaths, UserEnv};

#[derive(Parser, Debug)]
#[command(name = "systemd-analyze", disable_version_flag = true)]
struct Analyze {
    /// Operate on an alternate root directory.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Operate on the user manager's units.
    #[arg(long, global = true, conflicts_with = "global")]
    user: bool,
    /// Operate on the system manager (default).
    #[arg(long, global = true)]
    system: bool,
    /// Operate on the units shared by all users.
    #[arg(long, global = true)]
    global: bool,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// List the directories unit files are loaded from, highest priority first.
    UnitPaths,
}

pub fn main(args: Vec<String>) -> u8 {
    let cli = match Analyze::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let root = cli.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    match cli.verb {
        Verb::UnitPaths => {
            let lp = if cli.user {
                LookupPaths::user(&root, &UserEnv::from_env())
            } else if cli.global {
                LookupPaths::global(&root)
            } else {
                LookupPaths::system(&root)
            };
            // systemd-analyze prints the paths without the root prefix.
            for d in &lp.dirs {
                println!("{}", d.path.display());
            }
            0
        }
    }
}
