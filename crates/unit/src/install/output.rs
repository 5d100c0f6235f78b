//! What `systemctl` prints for the install operations, byte for byte, so
//! the command-line front end only has to write these strings out.
//!
//! systemctl logs to stderr — the "Created symlink …" and "Removed …" lines,
//! warnings and errors — and prints results (`is-enabled` states,
//! `get-default`, the `list-unit-files` table) on stdout. Every renderer
//! here returns a [`Printed`]: both streams and the exit status systemctl
//! would end with (0, or 1 for any failure, for "not enabled", and for an
//! empty listing).
//!
//! The arrow of "Created symlink A → B." and the bullets of the "no
//! installation config" notice are the UTF-8 glyphs only in a UTF-8
//! locale, `->` and `*` otherwise, as [`Style::utf8`] selects.

use super::errno::Errno;
use super::state::{UnitFileEntry, UnitFileState};
use super::{Change, LogLine, Outcome};

/// Rendering choices that depend on the terminal/locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// UTF-8 glyphs (`→`, `•`).
    pub utf8: bool,
    /// `--quiet`: suppress informational change messages and results.
    pub quiet: bool,
    /// `--no-legend` turns this off: table header and footer.
    pub legend: bool,
    /// On a live system (no `--root`), systemctl has the manager make the
    /// change and prints its D-Bus error ("Failed to mask unit: File X
    /// already exists."), not the offline wording ("Failed to mask unit,
    /// file "X" already exists."); read off systemd 252 both ways.
    pub live: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style { utf8: true, quiet: false, legend: true, live: false }
    }
}

impl Style {
    fn arrow(self) -> &'static str {
        if self.utf8 {
            "\u{2192}"
        } else {
            "->"
        }
    }

    fn bullet(self) -> &'static str {
        if self.utf8 {
            "\u{2022}"
        } else {
            "*"
        }
    }
}

/// What a command prints and how it exits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

impl Printed {
    fn err_line(&mut self, s: &str) {
        self.stderr.push_str(s);
        self.stderr.push('\n');
    }

    fn out_line(&mut self, s: &str) {
        self.stdout.push_str(s);
        self.stdout.push('\n');
    }

    fn log(&mut self, lines: &[LogLine]) {
        for l in lines {
            self.err_line(&l.message);
        }
    }
}

/// The message for one change (`install_changes_dump()`), and whether it
/// is an error. `verb` is systemctl's ("enable", "set default", …).
/// Informational messages are `None` when `quiet`.
pub fn change_message(verb: &str, c: &Change, style: Style) -> Option<(bool, String)> {
    let info = |s: String| if style.quiet { None } else { Some((false, s)) };
    match c {
        Change::Symlink { path, target } => info(format!("Created symlink {path} {} {target}.", style.arrow())),
        Change::Unlink { path } => info(format!("Removed \"{path}\".")),
        Change::Masked { path } => info(format!("Unit {path} is masked, ignoring.")),
        Change::MaskedByGenerator { unit, .. } => {
            info(format!("Unit {unit} is masked via a generator and cannot be unmasked."))
        }
        Change::Dangling { path } => info(format!("Unit {path} is an alias to a unit that is not present, ignoring.")),
        Change::DestinationNotPresent { unit, dependent } => {
            info(format!("Unit {dependent} is added as a dependency to a non-existent unit {unit}."))
        }
        Change::AuxiliaryFailed { unit } => info(format!("Failed to enable auxiliary unit {unit}, ignoring.")),
        Change::Failed { errno, path, source } => Some((
            true,
            match style.live.then(|| live_failure(*errno, path, source.as_deref())).flatten() {
                Some(m) => format!("Failed to {verb} unit: {m}"),
                None => failure_message(verb, *errno, path, source.as_deref()),
            },
        )),
    }
}

/// The manager's D-Bus error for a failed change (`install_error()`),
/// for the errors checked against systemd 252; the others keep the
/// offline wording.
fn live_failure(e: Errno, path: &str, source: Option<&str>) -> Option<String> {
    Some(match (e, source) {
        (Errno::EEXIST, Some(s)) => format!("File {path} already exists and is a symlink to {s}."),
        (Errno::EEXIST, None) => format!("File {path} already exists."),
        (Errno::ERFKILL, _) => format!("Unit file {path} is masked."),
        (Errno::ENOENT, _) => format!("Unit file {path} does not exist."),
        (Errno::ELOOP, _) => format!("Refusing to operate on alias name or linked unit file: {path}"),
        (Errno::EBADSLT, _) => format!("Invalid specifier in {path}."),
        _ => return None,
    })
}

fn failure_message(verb: &str, e: Errno, path: &str, source: Option<&str>) -> String {
    match (e, source) {
        (Errno::EEXIST, Some(s)) => {
            format!("Failed to {verb} unit, file \"{path}\" already exists and is a symlink to \"{s}\".")
        }
        (Errno::EEXIST, None) => format!("Failed to {verb} unit, file \"{path}\" already exists."),
        (Errno::ERFKILL, _) => format!("Failed to {verb} unit, unit {path} is masked."),
        (Errno::EADDRNOTAVAIL, _) => format!("Failed to {verb} unit, unit {path} is transient or generated."),
        (Errno::ETXTBSY, _) => {
            format!("Failed to {verb} unit, file {path} is under the systemd unit hierarchy already.")
        }
        (Errno::EBADSLT, _) => format!("Failed to {verb} unit, invalid specifier in \"{path}\"."),
        (Errno::EIDRM, s) => format!(
            "Failed to {verb} {}, destination unit {path} is a non-template unit.",
            s.unwrap_or("(null)")
        ),
        (Errno::EUCLEAN, _) => format!("Failed to {verb} unit, \"{path}\" is not a valid unit name."),
        (Errno::ELOOP, _) => format!("Failed to {verb} unit, refusing to operate on linked unit file {path}."),
        (Errno::EXDEV, Some(s)) => format!("Failed to {verb} unit, cannot alias {s} as {path}."),
        (Errno::EXDEV, None) => format!("Failed to {verb} unit, invalid unit reference \"{path}\"."),
        (Errno::ENOENT, _) => format!("Failed to {verb} unit, unit {path} does not exist."),
        (Errno::EUNATCH, _) => format!("Failed to {verb} unit, cannot resolve specifiers in \"{path}\"."),
        (e, _) => format!("Failed to {verb} unit, file \"{path}\": {e}"),
    }
}

/// `install_changes_dump()`: the change messages, then "Failed to VERB:
/// …." if the operation failed without any error change explaining why.
pub fn changes<T>(verb: &str, outcome: &Outcome<T>, style: Style) -> Vec<String> {
    let mut out = Vec::new();
    let mut any_err = false;
    for c in &outcome.changes {
        if let Some((is_err, m)) = change_message(verb, c, style) {
            any_err |= is_err;
            out.push(m);
        }
    }
    if let Err(e) = &outcome.result {
        if !any_err {
            out.push(format!("Failed to {verb}: {e}."));
        }
    }
    out
}

/// The notice `systemctl enable` prints for units without `[Install]`.
pub fn no_install_config_notice(style: Style) -> String {
    let b = style.bullet();
    format!(
        "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\n\
         Alias= settings in the [Install] section, and DefaultInstance= for template\n\
         units). This means they are not meant to be enabled using systemctl.\n \n\
         Possible reasons for having this kind of units are:\n\
         {b} A unit may be statically enabled by being symlinked from another unit's\n  \
         .wants/ or .requires/ directory.\n\
         {b} A unit's purpose may be to act as a helper for some other unit which has\n  \
         a requirement dependency on it.\n\
         {b} A unit may be started when needed via activation (socket, path, timer,\n  \
         D-Bus, udev, scripted systemctl call, ...).\n\
         {b} In case of template units, the unit is meant to be enabled with some\n  \
         instance name specified."
    )
}

/// `systemctl VERB …` for enable, disable, reenable, link, preset, mask,
/// unmask, revert (`verb` as typed), `preset-all` (verb "preset") and
/// `add-wants`/`add-requires` (verb "add dependency on").
pub fn install_verb(verb: &str, outcome: &Outcome<usize>, style: Style) -> Printed {
    let mut p = Printed::default();
    p.log(&outcome.log);
    for m in changes(verb, outcome, style) {
        p.err_line(&m);
    }
    match outcome.result {
        Err(_) => p.exit_code = 1,
        Ok(n) => {
            if n == 0 && matches!(verb, "enable" | "reenable") && !style.quiet {
                p.err_line(&no_install_config_notice(style));
            }
        }
    }
    p
}

/// `systemctl is-enabled NAME…`: one state per line; the first error
/// stops the command. Exit 0 if any unit counts as enabled.
pub fn is_enabled(results: &[(String, Outcome<UnitFileState>)], style: Style) -> Printed {
    let mut p = Printed::default();
    let mut enabled = false;
    for (name, o) in results {
        p.log(&o.log);
        match o.result {
            Err(e) => {
                p.err_line(&format!("Failed to get unit file state for {name}: {e}"));
                p.exit_code = 1;
                return p;
            }
            Ok(s) => {
                enabled |= s.counts_as_enabled();
                if !style.quiet {
                    p.out_line(s.as_str());
                }
            }
        }
    }
    p.exit_code = if enabled { 0 } else { 1 };
    p
}

/// The SysV step before `enable`/`disable`/`is-enabled`: its log, and on
/// failure the message that aborts the command (exit 1). For each script
/// found, [`sysv_redirect`] says what to print before running the helper.
pub fn sysv_check(outcome: &Outcome<Vec<super::SysvScript>>) -> Printed {
    let mut p = Printed::default();
    p.log(&outcome.log);
    if let Err(e) = &outcome.result {
        p.err_line(&format!("Failed to look up unit file state: {e}"));
        p.exit_code = 1;
    }
    p
}

/// What systemctl prints when handing `script` to `systemd-sysv-install`
/// (nothing when quiet), and the command line it runs.
pub fn sysv_redirect(script: &super::SysvScript, verb: &str, root: Option<&str>, style: Style) -> (Printed, Vec<String>) {
    let mut argv = vec!["/lib/systemd/systemd-sysv-install".to_string()];
    if let Some(r) = root {
        argv.push(format!("--root={r}"));
    }
    argv.push(verb.to_string());
    argv.push(script.script.clone());
    let mut p = Printed::default();
    if !style.quiet {
        if script.native {
            p.err_line(&format!(
                "Synchronizing state of {} with SysV service script with /lib/systemd/systemd-sysv-install.",
                script.unit
            ));
        } else {
            p.err_line(&format!("{} is not a native service, redirecting to systemd-sysv-install.", script.unit));
        }
        p.err_line(&format!("Executing: {}", argv.join(" ")));
    }
    (p, argv)
}

/// `systemctl get-default`.
pub fn get_default(outcome: &Outcome<String>) -> Printed {
    let mut p = Printed::default();
    p.log(&outcome.log);
    match &outcome.result {
        Ok(n) => p.out_line(n),
        Err(Errno::ERFKILL) => {
            p.err_line("Failed to get default target: Unit file is masked.");
            p.exit_code = 1;
        }
        Err(e) => {
            p.err_line(&format!("Failed to get default target: {e}"));
            p.exit_code = 1;
        }
    }
    p
}

/// `systemctl set-default NAME`: the changes, then — unless quiet — a
/// note if the default now resolves to something else (`after` is
/// [`super::Installer::get_default`] run after the change).
pub fn set_default(name: &str, outcome: &Outcome<usize>, after: &Outcome<String>, style: Style) -> Printed {
    let mut p = Printed::default();
    p.log(&outcome.log);
    for m in changes("set default", outcome, style) {
        p.err_line(&m);
    }
    if outcome.result.is_err() {
        p.exit_code = 1;
        return p;
    }
    if !style.quiet {
        p.log(&after.log);
        match &after.result {
            Ok(f) if f != name => {
                p.err_line(&format!("Note: \"{f}\" is the default unit (possibly a runtime override)."));
            }
            Ok(_) => {}
            Err(e) => {
                let m = if *e == Errno::ERFKILL {
                    "Failed to get default target: Unit file is masked.".to_string()
                } else {
                    format!("Failed to get default target: {e}")
                };
                p.err_line(&m);
                p.exit_code = 1;
            }
        }
    }
    p
}

/// The `list-unit-files` table: columns `UNIT FILE`, `STATE`, `PRESET`,
/// each as wide as its widest cell, one space apart, the last one not
/// padded; `-` for no preset; "N unit files listed." below. An empty
/// listing exits 1.
pub fn list_unit_files(outcome: &Outcome<Vec<UnitFileEntry>>, style: Style) -> Printed {
    let mut p = Printed::default();
    p.log(&outcome.log);
    let rows = match &outcome.result {
        Ok(r) => r,
        Err(e) => {
            p.err_line(&format!("Failed to get unit file list: {e}"));
            p.exit_code = 1;
            return p;
        }
    };
    let cells: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r.name.as_str(), r.state.as_str(), r.preset.map(|s| s.as_str()).unwrap_or("-")])
        .collect();
    let header = ["UNIT FILE", "STATE", "PRESET"];
    let mut w = [0usize; 3];
    for row in cells.iter().chain(style.legend.then_some(&header)) {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut line = |row: &[&str; 3]| {
        let s = format!("{:<w0$} {:<w1$} {}", row[0], row[1], row[2], w0 = w[0], w1 = w[1]);
        p.out_line(&s);
    };
    if style.legend {
        line(&header);
    }
    for row in &cells {
        line(row);
    }
    if style.legend {
        p.stdout.push_str(&format!("\n{} unit files listed.\n", rows.len()));
    }
    if rows.is_empty() {
        p.exit_code = 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::state::PresetState;
    use std::path::PathBuf;

    fn outcome<T>(changes: Vec<Change>, result: Result<T, Errno>) -> Outcome<T> {
        Outcome { log: Vec::new(), changes, result }
    }

    #[test]
    fn change_lines() {
        let o = outcome(
            vec![
                Change::Unlink { path: "/r/etc/a".into() },
                Change::Symlink { path: "/r/etc/b".into(), target: "/lib/x".into() },
            ],
            Ok(1),
        );
        let p = install_verb("enable", &o, Style::default());
        assert_eq!(p.stderr, "Removed \"/r/etc/a\".\nCreated symlink /r/etc/b \u{2192} /lib/x.\n");
        assert_eq!(p.exit_code, 0);
        let ascii = Style { utf8: false, ..Style::default() };
        assert!(install_verb("enable", &o, ascii).stderr.contains("/r/etc/b -> /lib/x."));
    }

    #[test]
    fn failures_and_fallback_message() {
        let o = outcome::<usize>(
            vec![Change::Failed { errno: Errno::ENOENT, path: "x.service".into(), source: None }],
            Err(Errno::ENOENT),
        );
        let p = install_verb("enable", &o, Style::default());
        assert_eq!(p.stderr, "Failed to enable unit, unit x.service does not exist.\n");
        assert_eq!(p.exit_code, 1);
        let o = outcome::<usize>(vec![], Err(Errno::EINVAL));
        assert_eq!(install_verb("mask", &o, Style::default()).stderr, "Failed to mask: Invalid argument.\n");
        let o = outcome::<usize>(vec![], Ok(0));
        let p = install_verb("enable", &o, Style::default());
        assert!(p.stderr.starts_with("The unit files have no installation config"));
        assert!(p.stderr.contains("\n \nPossible reasons"));
        assert!(install_verb("disable", &o, Style::default()).stderr.is_empty());
    }

    #[test]
    fn table_layout() {
        let rows = vec![
            UnitFileEntry {
                name: "a.service".into(),
                path: PathBuf::from("/x/a.service"),
                state: UnitFileState::Enabled,
                preset: Some(PresetState::Enabled),
            },
            UnitFileEntry {
                name: "long-name.socket".into(),
                path: PathBuf::from("/x/long-name.socket"),
                state: UnitFileState::Static,
                preset: None,
            },
        ];
        let p = list_unit_files(&outcome(vec![], Ok(rows.clone())), Style::default());
        assert_eq!(
            p.stdout,
            "UNIT FILE        STATE   PRESET\na.service        enabled enabled\nlong-name.socket static  -\n\n2 unit files listed.\n"
        );
        let p = list_unit_files(&outcome(vec![], Ok(rows)), Style { legend: false, ..Style::default() });
        assert_eq!(p.stdout, "a.service        enabled enabled\nlong-name.socket static  -\n");
        let p = list_unit_files(&outcome(vec![], Ok(vec![])), Style::default());
        assert_eq!(p.stdout, "UNIT FILE STATE PRESET\n\n0 unit files listed.\n");
        assert_eq!(p.exit_code, 1);
    }

    /// On a live system the manager's D-Bus wording, read off systemd 252
    /// (`systemctl enable|mask` without `--root`); the rest keep the
    /// offline one.
    #[test]
    fn live_failures_in_the_managers_words() {
        let live = Style { live: true, ..Style::default() };
        let msg = |verb: &str, errno: Errno, path: &str| {
            change_message(verb, &Change::Failed { errno, path: path.into(), source: None }, live).map(|(_, m)| m)
        };
        assert_eq!(msg("mask", Errno::EEXIST, "/etc/systemd/system/tick.service").unwrap(), "Failed to mask unit: File /etc/systemd/system/tick.service already exists.");
        assert_eq!(msg("enable", Errno::ERFKILL, "/etc/systemd/system/zz.service").unwrap(), "Failed to enable unit: Unit file /etc/systemd/system/zz.service is masked.");
        assert_eq!(msg("enable", Errno::ENOENT, "nothere.service").unwrap(), "Failed to enable unit: Unit file nothere.service does not exist.");
        assert_eq!(msg("enable", Errno::ELOOP, "alias1.service").unwrap(), "Failed to enable unit: Refusing to operate on alias name or linked unit file: alias1.service");
        assert_eq!(msg("enable", Errno::EBADSLT, "%Z.target").unwrap(), "Failed to enable unit: Invalid specifier in %Z.target.");
        assert_eq!(msg("enable", Errno::EUCLEAN, "x").unwrap(), "Failed to enable unit, \"x\" is not a valid unit name.");
    }
}
