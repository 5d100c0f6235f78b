//! The verbs that change unit file state: `enable`, `disable`,
//! `reenable`, `link`, `preset`, `mask`, `unmask`, `revert`,
//! `preset-all`, `add-wants`/`add-requires`, `set-default`, and their
//! reading sibling `get-default`.
//!
//! The steps are systemctl 252's (`verb_enable()` and friends), each a
//! call into `unit::install`:
//!
//! 1. Mangle the words into names (`nginx` → `nginx.service`, paths made
//!    absolute), printing the notices unless `--quiet`
//!    ([`args::mangle_names`]).
//! 2. For `enable`/`disable` of the system's units, the SysV step
//!    ([`sysv`]): init scripts without a native unit are handed to
//!    `systemd-sysv-install` and dropped from the list; if nothing is
//!    left, the verb is done.
//! 3. `disable` takes paths by their file name (with a warning); `link`
//!    insists on absolute paths under `--root`.
//! 4. The operation, and its changes printed by the renderer — "Created
//!    symlink …", "Removed …", the per-unit errors — with exit 1 on
//!    failure.

use unit::install::output;
use unit::install::{args, Dependency, Errno};

use super::context::{emit, err_line, failed, Context};
use super::sysv;

/// The enable family: words are unit names or paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Enable,
    Disable,
    Reenable,
    Link,
    Preset,
    Mask,
    Unmask,
    Revert,
}

impl Op {
    /// The verb as systemctl names it in messages.
    fn verb(self) -> &'static str {
        match self {
            Op::Enable => "enable",
            Op::Disable => "disable",
            Op::Reenable => "reenable",
            Op::Link => "link",
            Op::Preset => "preset",
            Op::Mask => "mask",
            Op::Unmask => "unmask",
            Op::Revert => "revert",
        }
    }
}

fn cwd() -> std::path::PathBuf {
    std::env::current_dir().unwrap_or_else(|_| "/".into())
}

/// Mangle words into names, printing the notices; `Err` carries the exit
/// code after printing the error.
fn mangle(cx: &Context, operation: &str, words: &[String]) -> Result<Vec<String>, u8> {
    match args::mangle_names(operation, words, &cwd()) {
        Ok((names, notices)) => {
            if !cx.quiet {
                for n in notices {
                    err_line(&n);
                }
            }
            Ok(names)
        }
        Err(msg) => {
            err_line(&msg);
            Err(1)
        }
    }
}

/// `systemctl enable|disable|reenable|link|preset|mask|unmask|revert WORD…`.
pub fn run(cx: &Context, op: Op, words: &[String]) -> u8 {
    let verb = op.verb();
    let mut names = match mangle(cx, &format!("to {verb}"), words) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let style = cx.style(true);
    let inst = match cx.installer() {
        Ok(i) => i,
        Err(e) => return emit(&output::install_verb(verb, &failed(e), style)),
    };
    if matches!(op, Op::Enable | Op::Disable) {
        if let Err(code) = sysv::step(cx, &inst, verb, &mut names) {
            return code;
        }
        // Everything was an init script: done.
        if names.is_empty() {
            return 0;
        }
    }
    if op == Op::Disable {
        let (n, warning) = args::disable_names(&names);
        names = n;
        if let Some(w) = warning {
            err_line(&w);
        }
    }
    if op == Op::Link {
        match args::link_paths(&names, cx.root.is_some(), &cwd()) {
            Ok(p) => names = p,
            Err(msg) => {
                err_line(&msg);
                return 1;
            }
        }
    }
    let flags = cx.flags();
    let outcome = match op {
        Op::Enable => inst.enable(&names, flags),
        Op::Disable => inst.disable(&names, flags),
        Op::Reenable => inst.reenable(&names, flags),
        Op::Link => inst.link(&names, flags),
        Op::Preset => inst.preset(&names, cx.preset_mode, flags),
        Op::Mask => inst.mask(&names, flags),
        Op::Unmask => inst.unmask(&names, flags),
        Op::Revert => inst.revert(&names),
    };
    emit(&output::install_verb(verb, &outcome, style))
}

/// `systemctl preset-all`.
pub fn preset_all(cx: &Context) -> u8 {
    let style = cx.style(true);
    let outcome = match cx.installer() {
        Ok(inst) => inst.preset_all(cx.preset_mode, cx.flags()),
        Err(e) => failed(e),
    };
    emit(&output::install_verb("preset", &outcome, style))
}

/// `systemctl add-wants|add-requires TARGET UNIT…`.
pub fn add_dependency(cx: &Context, dep: Dependency, target: &str, words: &[String]) -> u8 {
    let target = match args::mangle(target, "as target", ".target", false) {
        Ok(m) => {
            if !cx.quiet {
                for n in &m.notices {
                    err_line(n);
                }
            }
            m.name
        }
        Err(e) => {
            err_line(&format!("Failed to mangle unit name: {e}"));
            return 1;
        }
    };
    let names = match mangle(cx, "as dependency", words) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let style = cx.style(true);
    let outcome = match cx.installer() {
        Ok(inst) => inst.add_dependency(&target, &names, dep, cx.flags()),
        Err(e) => failed(e),
    };
    emit(&output::install_verb("add dependency on", &outcome, style))
}

/// `systemctl get-default`.
pub fn get_default(cx: &Context) -> u8 {
    let outcome = match cx.installer() {
        Ok(inst) => inst.get_default(),
        Err(e) => failed(e),
    };
    emit(&output::get_default(&outcome))
}

/// `systemctl set-default TARGET`: then, unless quiet, a note if the
/// default resolves to something else (a runtime override).
pub fn set_default(cx: &Context, word: &str) -> u8 {
    let m = match args::mangle(word, "set-default", ".target", false) {
        Ok(m) => m,
        Err(e) => {
            err_line(&format!("Failed to mangle unit name: {e}"));
            return 1;
        }
    };
    if !cx.quiet {
        for n in &m.notices {
            err_line(n);
        }
    }
    let style = cx.style(true);
    let inst = match cx.installer() {
        Ok(i) => i,
        Err(e) => return emit(&output::set_default(&m.name, &failed(e), &failed(e), style)),
    };
    let outcome = inst.set_default(&m.name);
    // systemctl asks for the new default only to print its note.
    let after = if outcome.result.is_ok() && !cx.quiet { inst.get_default() } else { failed(Errno::ENOENT) };
    emit(&output::set_default(&m.name, &outcome, &after, style))
}
