//! Reading one SysV init script and writing its unit — the pure half of
//! the SysV generator.
//!
//! What systemd 252's `systemd-sysv-generator` reads from a script, and so
//! what we read (LSB Init Script spec, "Comment Conventions for Init
//! Scripts"; `systemd-sysv-generator(8)`):
//!
//! - The LSB block between `### BEGIN INIT INFO` and `### END INIT INFO`
//!   (whole comment lines, surrounding blanks ignored). Inside it, keys are
//!   matched case-insensitively after `#` and blanks:
//!   - `Provides:` — each word becomes an alias symlink to our unit if it
//!     names a service, or `Before=`+`Wants=` if it names a target (a
//!     service providing `$network` is ordered before and pulls in both
//!     `network-online.target` and `network.target`). Targets never pull the
//!     service in.
//!   - `Required-Start:`, `Should-Start:`, `X-Start-After:` → `After=`;
//!     `X-Start-Before:` → `Before=`. `$network` as a dependency also gets
//!     `Wants=network-online.target`, because that target is passive.
//!   - `Short-Description:` wins over a Red Hat `# description:` (read
//!     outside the block), which wins over `Description:`. Continuation
//!     lines of `Description:` start with `#` and a tab or two spaces. The
//!     unit's `Description=` is `LSB: …` with a header, `SYSV: …` without.
//!   - `Required-Stop:`, `Should-Stop:`, `Default-Start:`, `Default-Stop:`,
//!     `X-Interactive:` are *not* used: stop order is the reverse of start
//!     order, and runlevels come from the `rc?.d` links, not the header.
//! - Facility names: `$local_fs` and `$syslog` are dropped (always true
//!   under systemd), `$network` → `network-online.target`, `$named` →
//!   `nss-lookup.target`, `$portmap` → `rpcbind.target`, `$remote_fs` →
//!   `remote-fs.target`, `$time` → `time-sync.target`; any other `$name`
//!   → `name.target` (so `$all` → `all.target`, `$x-display-manager` →
//!   `x-display-manager.target`); a plain word → `word.service` (a trailing
//!   `.sh` dropped), skipped if it is the script's own name.
//! - `# pidfile: /abs/path` (outside the block) → `PIDFile=` and
//!   `RemainAfterExit=no`.
//! - A non-comment line containing "usage" (any case) whose text mentions
//!   `{reload|`, `|reload|`, `|reload}` (or the same with `"`) turns on
//!   `ExecReload=`; a usage line ending in `\` continues onto the next.
//!
//! Words are split as systemd's `extract_first_word()` with unquoting does:
//! blanks separate, `'…'` and `"…"` quote, a backslash takes the next
//! character literally, unterminated quotes are accepted.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Span};

/// What the comments of one script say, translated to unit terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptInfo {
    /// The script has an LSB header: `SuccessExitStatus=5 6` is added (LSB
    /// "not installed" / "not configured" are clean exits) and the
    /// description is prefixed `LSB: `.
    pub has_lsb: bool,
    /// Final `Description=` text including its `LSB: `/`SYSV: ` prefix.
    pub description: Option<String>,
    pub pid_file: Option<String>,
    pub reload: bool,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub wants: Vec<String>,
    /// Service names from `Provides:`: alias symlinks to the unit.
    pub aliases: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A file name as a unit name: `.sh` dropped, then mangled.
/// `hwclock.sh` → `hwclock.service`.
pub fn unit_name_for_script(file_name: &str) -> Option<String> {
    crate::name::mangle(file_name.strip_suffix(".sh").unwrap_or(file_name))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Normal,
    /// Inside a Red Hat `# description:` continued with `\`.
    Description,
    Lsb,
    /// After an LSB `Description:`; indented comment lines continue it.
    LsbDescription,
    /// A usage line ended in `\`.
    UsageContinuation,
}

/// Split on systemd's line ends: `\n`, `\r\n`, `\r` and NUL.
fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' | b'\0' => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&text[start..i]);
                if b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        out.push(&text[start..]);
    }
    out
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn strip_prefix_nocase<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn contains_nocase(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

fn usage_mentions_reload(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    ["{reload|", "{reload}", "{reload\"", "|reload|", "|reload}", "|reload\""]
        .iter()
        .any(|p| l.contains(p))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Split a header value into words the way `extract_first_word()` with
/// `EXTRACT_UNQUOTE|EXTRACT_RELAX` does. Empty words are dropped (systemd
/// cannot translate them either).
pub fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // A trailing lone backslash is dropped (RELAX).
            if let Some(n) = chars.next() {
                cur.push(n);
            }
            in_word = true;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if is_ws(c) => {
                if in_word && !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                cur.clear();
                in_word = false;
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// What a facility or script name in the header stands for.
enum Facility {
    /// Dropped: always satisfied, or the script's own name.
    Nothing,
    Unit(String),
    /// `$` name that does not make a valid target name.
    Invalid,
}

fn translate_facility(word: &str, own_name: &str) -> Facility {
    const TABLE: &[(&str, Option<&str>)] = &[
        ("local_fs", None),
        ("network", Some("network-online.target")),
        ("named", Some("nss-lookup.target")),
        ("portmap", Some("rpcbind.target")),
        ("remote_fs", Some("remote-fs.target")),
        ("syslog", None),
        ("time", Some("time-sync.target")),
    ];
    let bare = word.strip_prefix('$').unwrap_or(word);
    if let Some((_, target)) = TABLE.iter().find(|(n, _)| *n == bare) {
        return match target {
            Some(t) => Facility::Unit((*t).to_string()),
            None => Facility::Nothing,
        };
    }
    if word.starts_with('$') {
        return match crate::name::build(bare, ".target") {
            Some(t) => Facility::Unit(t),
            None => Facility::Invalid,
        };
    }
    if bare == own_name.strip_suffix(".sh").unwrap_or(own_name) {
        return Facility::Nothing;
    }
    match unit_name_for_script(bare) {
        Some(n) => Facility::Unit(n),
        None => Facility::Invalid,
    }
}

struct Reader<'a> {
    file: Arc<Path>,
    own_name: &'a str,
    info: ScriptInfo,
}

impl Reader<'_> {
    fn span(&self, line: u32) -> Span {
        Span::new(self.file.clone(), line, 1)
    }

    fn facilities(&mut self, line: u32, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in split_words(value) {
            match translate_facility(&w, self.own_name) {
                Facility::Nothing => {}
                Facility::Unit(u) => out.push(u),
                Facility::Invalid => {
                    let span = self.span(line);
                    self.info.diagnostics.push(Diagnostic::error(
                        span,
                        format!("Could not build a unit name for facility {w}, ignoring"),
                    ));
                }
            }
        }
        out
    }

    fn provides(&mut self, line: u32, value: &str) {
        for unit in self.facilities(line, value) {
            match crate::UnitType::from_unit_name(&unit).map(crate::UnitType::as_str) {
                Some("service") => self.info.aliases.push(unit),
                Some("target") => {
                    let network = unit == "network-online.target";
                    self.info.before.push(unit.clone());
                    self.info.wants.push(unit);
                    if network {
                        self.info.before.push("network.target".into());
                        self.info.wants.push("network.target".into());
                    }
                }
                _ => {
                    let span = self.span(line);
                    self.info.diagnostics.push(Diagnostic::warning(
                        span,
                        format!("Provides: {unit} is neither a service nor a target, ignoring"),
                    ));
                }
            }
        }
    }

    fn dependencies(&mut self, line: u32, value: &str, is_before: bool) {
        for unit in self.facilities(line, value) {
            if unit == "network-online.target" && !is_before {
                self.info.after.push(unit.clone());
                self.info.wants.push(unit);
            } else if is_before {
                self.info.before.push(unit);
            } else {
                self.info.after.push(unit);
            }
        }
    }
}

/// Read a script. `path` is where it lives inside the root
/// (`/etc/init.d/foo`); its file name decides which `Provides:` word is
/// the script itself.
pub fn parse_script(path: &Path, text: &str) -> ScriptInfo {
    let own_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut r = Reader { file: Arc::from(path), own_name, info: ScriptInfo::default() };
    let mut state = State::Normal;
    let mut short_description: Option<String> = None;
    let mut long_description: Option<String> = None;
    let mut chkconfig_description: Option<String> = None;

    for (idx, raw) in lines(text).into_iter().enumerate() {
        let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let t = raw.trim_matches(is_ws);
        if !t.starts_with('#') {
            if state == State::UsageContinuation
                || (state == State::Normal && contains_nocase(t, "usage"))
            {
                state = if usage_mentions_reload(t) {
                    r.info.reload = true;
                    State::Normal
                } else if t.ends_with('\\') {
                    State::UsageContinuation
                } else {
                    State::Normal
                };
            }
            continue;
        }
        if state == State::Normal && t == "### BEGIN INIT INFO" {
            state = State::Lsb;
            r.info.has_lsb = true;
            continue;
        }
        if matches!(state, State::Lsb | State::LsbDescription) && t == "### END INIT INFO" {
            state = State::Normal;
            continue;
        }
        let body = t[1..].trim_start_matches(is_ws);
        match state {
            State::Normal => {
                if let Some(rest) = strip_prefix_nocase(body, "description:") {
                    let rest = match rest.strip_suffix('\\') {
                        Some(r) => {
                            state = State::Description;
                            r
                        }
                        None => rest,
                    };
                    chkconfig_description = non_empty(rest.trim_matches(is_ws));
                } else if let Some(rest) = strip_prefix_nocase(body, "pidfile:") {
                    let f = rest.trim_matches(is_ws);
                    if f.starts_with('/') {
                        r.info.pid_file = Some(f.to_string());
                    } else {
                        let span = r.span(lineno);
                        r.info
                            .diagnostics
                            .push(Diagnostic::error(span, "PID file not absolute. Ignoring."));
                    }
                }
            }
            State::Description => {
                let rest = match body.strip_suffix('\\') {
                    Some(r) => r,
                    None => {
                        state = State::Normal;
                        body
                    }
                };
                let j = rest.trim_matches(is_ws);
                if !j.is_empty() {
                    chkconfig_description = Some(match chkconfig_description.take() {
                        Some(d) => format!("{d} {j}"),
                        None => j.to_string(),
                    });
                }
            }
            State::Lsb | State::LsbDescription => {
                if let Some(v) = strip_prefix_nocase(body, "Provides:") {
                    state = State::Lsb;
                    r.provides(lineno, v);
                } else if let Some(v) = strip_prefix_nocase(body, "Required-Start:")
                    .or_else(|| strip_prefix_nocase(body, "Should-Start:"))
                    .or_else(|| strip_prefix_nocase(body, "X-Start-After:"))
                {
                    state = State::Lsb;
                    r.dependencies(lineno, v, false);
                } else if let Some(v) = strip_prefix_nocase(body, "X-Start-Before:") {
                    state = State::Lsb;
                    r.dependencies(lineno, v, true);
                } else if let Some(v) = strip_prefix_nocase(body, "Description:") {
                    state = State::LsbDescription;
                    long_description = non_empty(v.trim_matches(is_ws));
                } else if let Some(v) = strip_prefix_nocase(body, "Short-Description:") {
                    state = State::Lsb;
                    short_description = non_empty(v.trim_matches(is_ws));
                } else if state == State::LsbDescription {
                    // Continuation is judged on the raw line: `#` then a tab
                    // or two spaces, at the very start.
                    if raw.starts_with("#\t") || raw.starts_with("#  ") {
                        let j = body.trim_matches(is_ws);
                        if !j.is_empty() {
                            long_description = Some(match long_description.take() {
                                Some(d) => format!("{d} {j}"),
                                None => j.to_string(),
                            });
                        }
                    } else {
                        state = State::Lsb;
                    }
                }
            }
            State::UsageContinuation => {}
        }
    }

    let description = short_description.or(chkconfig_description).or(long_description);
    let prefix = if r.info.has_lsb { "LSB: " } else { "SYSV: " };
    r.info.description = description.map(|d| format!("{prefix}{d}"));
    r.info
}

/// The unit text for the script at `path` (inside the root), with the
/// final ordering lists (header entries plus whatever runlevel links and
/// start priorities added).
pub fn render_unit(
    path: &Path,
    info: &ScriptInfo,
    before: &[String],
    after: &[String],
    wants: &[String],
) -> String {
    use std::fmt::Write;
    let p = crate::specifier::escape(&path.to_string_lossy());
    let mut s = String::new();
    s.push_str("# Automatically generated by systemd-sysv-generator\n\n");
    s.push_str("[Unit]\nDocumentation=man:systemd-sysv-generator(8)\n");
    let _ = writeln!(s, "SourcePath={p}");
    if let Some(d) = &info.description {
        let _ = writeln!(s, "Description={}", crate::specifier::escape(d));
    }
    for b in before {
        let _ = writeln!(s, "Before={b}");
    }
    for a in after {
        let _ = writeln!(s, "After={a}");
    }
    for w in wants {
        let _ = writeln!(s, "Wants={w}");
    }
    s.push_str(
        "\n[Service]\nType=forking\nRestart=no\nTimeoutSec=5min\nIgnoreSIGPIPE=no\n\
         KillMode=process\nGuessMainPID=no\n",
    );
    let _ = writeln!(s, "RemainAfterExit={}", if info.pid_file.is_some() { "no" } else { "yes" });
    if let Some(pf) = &info.pid_file {
        let _ = writeln!(s, "PIDFile={}", crate::specifier::escape(pf));
    }
    if info.has_lsb {
        // LSB exit codes 5 (not installed) and 6 (not configured).
        s.push_str("SuccessExitStatus=5 6\n");
    }
    let _ = writeln!(s, "ExecStart={p} start");
    let _ = writeln!(s, "ExecStop={p} stop");
    if info.reload {
        let _ = writeln!(s, "ExecReload={p} reload");
    }
    s
}

/// Script text → unit text, for a script with no runlevel links: what
/// the generator writes for it, minus what `rc?.d` would add.
pub fn unit_from_script(path: &Path, text: &str) -> (String, ScriptInfo) {
    let info = parse_script(path, text);
    let unit = render_unit(path, &info, &info.before, &info.after, &info.wants);
    (unit, info)
}
