//! The verbs that read unit file state: `is-enabled` and
//! `list-unit-files`.
//!
//! `is-enabled` is the one scripts call in loops, so it does only what
//! the answer needs: mangle the names, the SysV step, then one state
//! lookup per name along the search path — no index of all units. It
//! prints one state per line and exits 0 if any unit counts as enabled
//! (`systemctl(1)`, "is-enabled"); the first lookup error ends it with
//! "Failed to get unit file state for …" and exit 1.
//!
//! `list-unit-files` filters by glob patterns, `--type=` and `--state=`.
//! systemctl compares states as strings, so an unknown `--state=` value
//! is no error — it just matches nothing.

use unit::install::output;
use unit::install::{Outcome, UnitFileEntry, UnitFileState};

use super::context::{emit, err_line, failed, Context};
use super::sysv;

/// `systemctl is-enabled UNIT…`.
pub fn is_enabled(cx: &Context, words: &[String]) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let mut names = match unit::install::args::mangle_names("to check", words, &cwd) {
        Ok((names, notices)) => {
            if !cx.quiet {
                for n in notices {
                    err_line(&n);
                }
            }
            names
        }
        Err(msg) => {
            err_line(&msg);
            return 1;
        }
    };
    let style = cx.style(false);
    let inst = match cx.installer() {
        Ok(i) => i,
        Err(e) => {
            let first = names.first().cloned().unwrap_or_default();
            return emit(&output::is_enabled(&[(first, failed(e))], style));
        }
    };
    let sysv_enabled = match sysv::step(cx, &inst, "is-enabled", &mut names) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut results: Vec<(String, Outcome<UnitFileState>)> = Vec::with_capacity(names.len());
    for n in names {
        let o = inst.state(&n);
        let stop = o.result.is_err();
        results.push((n, o));
        // The renderer stops at the first error; so does systemctl.
        if stop {
            break;
        }
    }
    let failed_lookup = results.iter().any(|(_, o)| o.result.is_err());
    let mut p = output::is_enabled(&results, style);
    if cx.full && !cx.quiet && !failed_lookup {
        // systemctl(1) is-enabled --full: each unit's state, then the
        // links `disable` would remove, indented. (systemd 252's own
        // systemctl looks these up on the host even with --root; vigil
        // looks in the root.)
        let mut out = String::new();
        for (n, o) in &results {
            if let Ok(s) = &o.result {
                out.push_str(s.as_str());
                out.push('\n');
            }
            for c in inst.links(&[n], cx.flags()).changes {
                if let unit::install::Change::Unlink { path } = c {
                    out.push_str(&format!("  {path}\n"));
                }
            }
        }
        p.stdout = out;
    }
    if sysv_enabled && !failed_lookup {
        p.exit_code = 0;
    }
    emit(&p)
}

/// `systemctl list-unit-files [PATTERN…]`.
pub fn list_unit_files(cx: &Context, patterns: &[String]) -> u8 {
    let style = cx.style(false);
    let wanted = &cx.states;
    let known: Vec<UnitFileState> = wanted.iter().filter_map(|s| UnitFileState::parse(s)).collect();
    let outcome: Outcome<Vec<UnitFileEntry>> = match cx.installer() {
        Ok(inst) => {
            let mut o = inst.list_unit_files(patterns, &known, &cx.types);
            // Only unknown states asked for: the library would read that
            // as "no filter", systemctl lists nothing.
            if known.is_empty() && !wanted.is_empty() {
                if let Ok(rows) = &mut o.result {
                    rows.clear();
                }
            }
            o
        }
        Err(e) => failed(e),
    };
    emit(&output::list_unit_files(&outcome, style))
}
