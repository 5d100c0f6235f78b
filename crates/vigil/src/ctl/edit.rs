//! `systemctl edit UNIT…`: write a drop-in (or with `--full` the whole
//! unit) in an editor, as systemd 252's `verb_edit()` does, checked
//! against it in the oracle container.
//!
//! - Only on a terminal (stdout and stderr): "Cannot edit units if not on
//!   a tty.", exit 1.
//! - The file edited is `/etc/systemd/system/UNIT.d/override.conf`
//!   (`--runtime`: under `/run`; `--user`: the user's configuration), or
//!   with `--full` `/etc/systemd/system/UNIT`. The editor gets a temporary
//!   copy beside it, named `.#override.conf` and 16 random hex digits:
//!
//!   ```text
//!   ### Editing /etc/systemd/system/x.service.d/override.conf
//!   ### Anything between here and the comment below will become the new contents of the file
//!
//!   …the drop-in as it is now…
//!
//!   ### Lines below this comment will be discarded
//!
//!   ### /lib/systemd/system/x.service
//!   # …each line of the unit's other files, commented out…
//!   ```
//!
//!   With `--full` it gets the unit file as it is (copied from where it
//!   was found). A unit that has no file is refused ("No files found for
//!   X." and the hint to `--force --full`), unless `--force`: the editor
//!   is then started on a temporary name that does not exist yet, as
//!   systemd does.
//! - The editor is `$SYSTEMD_EDITOR`, `$EDITOR` or `$VISUAL` (split at
//!   blanks), else the first of `editor`, `nano`, `vim`, `vi` found; it
//!   gets every unit's file at once. A failure is "(editor) failed with
//!   exit status N.", exit 1.
//! - After it: what lies between the two markers (the whole file with
//!   `--full`), blanks at both ends stripped, replaces the file; empty, it
//!   leaves the file as it was ("Editing "F" canceled: temporary file is
//!   empty."). Then the manager, when one runs, reloads its units.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use unit::install::args;
use unit::load::{LoadState, UnitIndex};
use unit::paths::{in_root, DirKind};
use unit::UnitName;

use super::context::{err_line, Context};

const MARKER_START: &str = "### Anything between here and the comment below will become the new contents of the file";
const MARKER_END: &str = "### Lines below this comment will be discarded";

/// One file to edit: the target (in-root), the temporary copy (on disk).
struct Edit {
    target: PathBuf,
    temp: PathBuf,
    full: bool,
}

/// The temporary file's name beside `target`: `.#NAME` and 16 hex digits.
fn temp_name(target: &Path) -> PathBuf {
    let mut r = [0u8; 8];
    // SAFETY: getrandom writes at most 8 bytes into `r`.
    unsafe { libc::getrandom(r.as_mut_ptr().cast(), r.len(), 0) };
    let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".#{name}{hex}"))
}

/// The text the editor gets for a drop-in: the markers around the
/// drop-in's current text, then the unit's other files commented out.
fn drop_in_template(target: &Path, current: &str, others: &[(PathBuf, String)]) -> String {
    let mut s = format!("### Editing {}\n{MARKER_START}\n\n{}\n\n{MARKER_END}\n", target.display(), current.trim());
    for (path, text) in others {
        s.push_str(&format!("\n### {}", path.display()));
        for line in text.lines() {
            s.push_str(&format!("\n# {line}"));
        }
        s.push('\n');
    }
    // The last file's last line ends the text (systemd writes no newline
    // after it).
    if !others.is_empty() {
        s.pop();
    }
    s
}

/// What the editor left that becomes the file: between the markers (when
/// the start marker is there), stripped.
fn edited_text(text: &str, full: bool) -> String {
    let body = if full {
        text
    } else {
        let after = text.find(MARKER_START).map_or(text, |i| &text[i + MARKER_START.len()..]);
        after.find(MARKER_END).map_or(after, |i| &after[..i])
    };
    body.trim().to_string()
}

/// `$SYSTEMD_EDITOR`, `$EDITOR`, `$VISUAL` split at blanks, else the first
/// of systemd's fallbacks on `$PATH`.
fn editor() -> Option<Vec<String>> {
    for var in ["SYSTEMD_EDITOR", "EDITOR", "VISUAL"] {
        if let Ok(v) = std::env::var(var) {
            let words: Vec<String> = v.split_whitespace().map(str::to_string).collect();
            if !words.is_empty() {
                return Some(words);
            }
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    ["editor", "nano", "vim", "vi"]
        .iter()
        .find(|e| std::env::split_paths(&path).any(|d| d.join(e).is_file()))
        .map(|e| vec![e.to_string()])
}

fn on_tty() -> bool {
    // SAFETY: isatty on descriptor numbers has no memory effects.
    unsafe { libc::isatty(1) == 1 && libc::isatty(2) == 1 }
}

/// The directory edits go to: the configuration (or runtime) unit
/// directory of the scope, in-root.
fn config_dir(cx: &Context, lp: &unit::LookupPaths) -> Option<PathBuf> {
    lp.first_of(if cx.runtime { DirKind::Runtime } else { DirKind::Config }).map(Path::to_path_buf)
}

/// The exit code, and whether a file was written (the caller reloads
/// the manager then).
pub fn edit(cx: &Context, words: &[String], user: bool) -> (u8, bool) {
    if !on_tty() {
        err_line("Cannot edit units if not on a tty.");
        return (1, false);
    }
    let lp = match cx.lookup_paths() {
        Ok(lp) => lp,
        Err(e) => {
            err_line(&format!("Failed to initialize unit search paths: {e}"));
            return (1, false);
        }
    };
    let Some(dir) = config_dir(cx, &lp) else {
        err_line("No configuration directory to write to.");
        return (1, false);
    };
    let root = cx.root_dir();
    let index = UnitIndex::build(&lp);
    let mut edits = Vec::new();
    for w in words {
        let name = match args::mangle(w, "", ".service", true) {
            Ok(m) => m.name,
            Err(e) => {
                err_line(&format!("Failed to mangle name: {e}"));
                return (1, false);
            }
        };
        let Ok(un) = UnitName::parse(&name) else {
            err_line(&format!("Failed to mangle name: {name}"));
            return (1, false);
        };
        let src = index.load(&un);
        if src.load_state == LoadState::Masked {
            err_line(&format!("Cannot edit {name}: unit is masked."));
            return (1, false);
        }
        let exists = src.fragment.is_some();
        if !exists && !cx.force {
            err_line(&format!("No files found for {name}."));
            let user = if user { " --user" } else { "" };
            err_line(&format!("Run 'systemctl edit{user} --force --full {name}' to create a new unit."));
            return (1, false);
        }
        let target = if cx.full { dir.join(&name) } else { dir.join(format!("{name}.d/override.conf")) };
        let on_disk = in_root(root, &target);
        if let Some(parent) = on_disk.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                err_line(&format!("Failed to create directory {}: {e}", parent.display()));
                return (1, false);
            }
        }
        let temp = temp_name(&on_disk);
        let read = |p: &Path| std::fs::read_to_string(in_root(root, p)).unwrap_or_default();
        // A new unit's editor starts on a file that does not exist yet.
        if exists {
            let text = if cx.full {
                let from = if on_disk.exists() { target.clone() } else { src.fragment.as_deref().map(Path::to_path_buf).unwrap_or_default() };
                read(&from)
            } else {
                let others: Vec<(PathBuf, String)> = src
                    .fragment
                    .iter()
                    .map(|p| &**p)
                    .chain(src.dropin_paths.iter().map(PathBuf::as_path))
                    .filter(|p| *p != target)
                    .map(|p| (p.to_path_buf(), read(p)))
                    .collect();
                drop_in_template(&target, &read(&target), &others)
            };
            if let Err(e) = std::fs::write(&temp, text) {
                err_line(&format!("Failed to create temporary file for \"{}\": {e}", target.display()));
                return (1, false);
            }
        }
        edits.push(Edit { target, temp, full: cx.full });
    }
    let done = run_editor(&edits).map_or_else(|code| (code, false), |()| finish(root, &edits));
    for e in &edits {
        let _ = std::fs::remove_file(&e.temp);
    }
    done
}

/// Start the editor on every temporary file and wait for it.
fn run_editor(edits: &[Edit]) -> Result<(), u8> {
    let Some(argv) = editor() else {
        err_line("Cannot edit files, no editor available. Please set either $SYSTEMD_EDITOR, $EDITOR or $VISUAL.");
        return Err(1);
    };
    let _ = std::io::stdout().flush();
    let status = std::process::Command::new(&argv[0]).args(&argv[1..]).args(edits.iter().map(|e| &e.temp)).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => {
            let how = s.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
            err_line(&format!("(editor) failed with {how}."));
            Err(1)
        }
        Err(e) => {
            err_line(&format!("Failed to execute {}: {e}", argv[0]));
            Err(1)
        }
    }
}

/// Move what the editor left into place: the exit code, and whether a
/// file was written.
fn finish(root: &Path, edits: &[Edit]) -> (u8, bool) {
    let mut changed = false;
    for e in edits {
        let Ok(text) = std::fs::read_to_string(&e.temp) else { continue };
        let body = edited_text(&text, e.full);
        if body.is_empty() {
            err_line(&format!("Editing \"{}\" canceled: temporary file is empty.", e.target.display()));
            continue;
        }
        let written = std::fs::write(&e.temp, &body).and_then(|()| std::fs::rename(&e.temp, in_root(root, &e.target)));
        if let Err(err) = written {
            err_line(&format!("Failed to write \"{}\": {err}", e.target.display()));
            return (1, changed);
        }
        changed = true;
    }
    (0, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_as_systemd_writes_it() {
        let t = drop_in_template(
            Path::new("/etc/systemd/system/tick.service.d/override.conf"),
            "[Service]\nEnvironment=X=1\n",
            &[
                ("/etc/systemd/system/tick.service".into(), "[Unit]\nDescription=Tick\n".into()),
                ("/etc/systemd/system/tick.service.d/10-other.conf".into(), "[Unit]\nDescription=Other\n".into()),
            ],
        );
        assert_eq!(
            t,
            "### Editing /etc/systemd/system/tick.service.d/override.conf\n\
             ### Anything between here and the comment below will become the new contents of the file\n\
             \n[Service]\nEnvironment=X=1\n\n\
             ### Lines below this comment will be discarded\n\
             \n### /etc/systemd/system/tick.service\n# [Unit]\n# Description=Tick\n\
             \n### /etc/systemd/system/tick.service.d/10-other.conf\n# [Unit]\n# Description=Other"
        );
        let empty = drop_in_template(Path::new("/x.d/override.conf"), "", &[]);
        assert!(empty.ends_with(&format!("{MARKER_START}\n\n\n\n{MARKER_END}\n")), "{empty:?}");
        assert_eq!(edited_text(&t, false), "[Service]\nEnvironment=X=1");
        assert_eq!(edited_text(&empty, false), "");
        assert_eq!(edited_text("  [Unit]\nA=b\n\n", true), "[Unit]\nA=b");
    }
}
