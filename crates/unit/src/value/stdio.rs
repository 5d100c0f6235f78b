//! `StandardInput=`, `StandardOutput=` and `StandardError=`
//! (`systemd.exec(5)`, "LOGGING AND STANDARD INPUT/OUTPUT").
//!
//! The plain words are matched exactly (case-sensitive). The forms with an
//! argument:
//!
//! - `file:PATH` (input and output), `append:PATH`, `truncate:PATH`
//!   (output): specifiers are expanded, then the path must be absolute and
//!   normalized; it is returned simplified;
//! - `fd:NAME`: specifiers expanded; an empty name means the default
//!   (`stdin`/`stdout`/`stderr`), otherwise it must be a valid file
//!   descriptor name (printable ASCII, no `:`).
//!
//! The bare words `fd` and `file` are accepted too (systemd's tables have
//! them); `file` without a path then names no file. The obsolete
//! `syslog` and `syslog+console` become `journal` and `journal+console`
//! with a warning, as in systemd 252.
//!
//! Main types: [`StdInput`], [`StdOutput`].

use super::error::ValueError;
use super::path::{absolute_path, fdname_is_valid};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StdInput {
    Null,
    Tty,
    TtyForce,
    TtyFail,
    Socket,
    /// `data`: the contents of `StandardInputText=`/`StandardInputData=`.
    Data,
    /// `fd` or `fd:NAME`; `None` means the default name.
    Fd(Option<Box<str>>),
    /// `file:PATH`; `None` for the bare word `file`.
    File(Option<Box<str>>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StdOutput {
    Inherit,
    Null,
    Tty,
    Journal,
    JournalConsole,
    Kmsg,
    KmsgConsole,
    Socket,
    Fd(Option<Box<str>>),
    File(Option<Box<str>>),
    Append(Option<Box<str>>),
    Truncate(Option<Box<str>>),
}

type Expand<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

fn expanded(text: &str, expand: &mut Expand<'_>) -> Result<String, ValueError> {
    expand(text).map_err(|reason| ValueError::Specifier { text: text.to_string(), reason })
}

fn file_arg(path: &str, expand: &mut Expand<'_>) -> Result<Option<Box<str>>, ValueError> {
    absolute_path(&expanded(path, expand)?).map(|p| Some(p.into()))
}

fn fd_arg(name: &str, expand: &mut Expand<'_>) -> Result<Option<Box<str>>, ValueError> {
    let name = expanded(name, expand)?;
    if name.is_empty() {
        return Ok(None);
    }
    if !fdname_is_valid(&name) {
        return Err(ValueError::FdName(name));
    }
    Ok(Some(name.into()))
}

/// `config_parse_exec_input()`.
pub fn parse_input(raw: &str, expand: &mut Expand<'_>) -> Result<StdInput, ValueError> {
    if let Some(name) = raw.strip_prefix("fd:") {
        return fd_arg(name, expand).map(StdInput::Fd);
    }
    if let Some(path) = raw.strip_prefix("file:") {
        return file_arg(path, expand).map(StdInput::File);
    }
    Ok(match raw {
        "null" => StdInput::Null,
        "tty" => StdInput::Tty,
        "tty-force" => StdInput::TtyForce,
        "tty-fail" => StdInput::TtyFail,
        "socket" => StdInput::Socket,
        "data" => StdInput::Data,
        "fd" => StdInput::Fd(None),
        "file" => StdInput::File(None),
        _ => return Err(ValueError::Input(raw.to_string())),
    })
}

/// `config_parse_exec_output()`. The obsolete syslog forms are accepted
/// with a warning.
pub fn parse_output(raw: &str, expand: &mut Expand<'_>, warnings: &mut Vec<ValueError>) -> Result<StdOutput, ValueError> {
    if let Some(name) = raw.strip_prefix("fd:") {
        return fd_arg(name, expand).map(StdOutput::Fd);
    }
    if let Some(path) = raw.strip_prefix("file:") {
        return file_arg(path, expand).map(StdOutput::File);
    }
    if let Some(path) = raw.strip_prefix("append:") {
        return file_arg(path, expand).map(StdOutput::Append);
    }
    if let Some(path) = raw.strip_prefix("truncate:") {
        return file_arg(path, expand).map(StdOutput::Truncate);
    }
    Ok(match raw {
        "inherit" => StdOutput::Inherit,
        "null" => StdOutput::Null,
        "tty" => StdOutput::Tty,
        "journal" => StdOutput::Journal,
        "journal+console" => StdOutput::JournalConsole,
        "kmsg" => StdOutput::Kmsg,
        "kmsg+console" => StdOutput::KmsgConsole,
        "socket" => StdOutput::Socket,
        "fd" => StdOutput::Fd(None),
        "file" => StdOutput::File(None),
        "append" => StdOutput::Append(None),
        "truncate" => StdOutput::Truncate(None),
        "syslog" => {
            warnings.push(ValueError::ObsoleteOutput { old: raw.to_string(), new: "journal" });
            StdOutput::Journal
        }
        "syslog+console" => {
            warnings.push(ValueError::ObsoleteOutput { old: raw.to_string(), new: "journal+console" });
            StdOutput::JournalConsole
        }
        _ => return Err(ValueError::Output(raw.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Result<String, String> {
        if s.contains("%q") {
            return Err("unknown".into());
        }
        Ok(s.replace("%n", "one.service"))
    }

    fn out(raw: &str) -> (Result<StdOutput, ValueError>, Vec<ValueError>) {
        let mut w = Vec::new();
        (parse_output(raw, &mut spec, &mut w), w)
    }

    #[test]
    fn output_words() {
        for (s, v) in [
            ("inherit", StdOutput::Inherit),
            ("null", StdOutput::Null),
            ("tty", StdOutput::Tty),
            ("journal", StdOutput::Journal),
            ("journal+console", StdOutput::JournalConsole),
            ("kmsg", StdOutput::Kmsg),
            ("kmsg+console", StdOutput::KmsgConsole),
            ("socket", StdOutput::Socket),
            ("fd", StdOutput::Fd(None)),
            ("file", StdOutput::File(None)),
        ] {
            assert_eq!(out(s).0, Ok(v), "{s}");
        }
        assert_eq!(out("Journal").0, Err(ValueError::Output("Journal".into())));
        assert!(out("").0.is_err());
    }

    #[test]
    fn output_paths() {
        assert_eq!(out("file:/x").0, Ok(StdOutput::File(Some("/x".into()))));
        assert_eq!(out("append:/var//log/x/").0, Ok(StdOutput::Append(Some("/var/log/x".into()))));
        assert_eq!(out("truncate:/x/%n").0, Ok(StdOutput::Truncate(Some("/x/one.service".into()))));
        assert_eq!(out("file:rel").0, Err(ValueError::PathNotAbsolute("rel".into())));
        assert_eq!(out("file: /x").0, Err(ValueError::PathNotAbsolute(" /x".into())));
        assert_eq!(out("file:%n").0, Err(ValueError::PathNotAbsolute("one.service".into())));
        assert_eq!(out("append:/a/../b").0, Err(ValueError::PathNotNormalized("/a/../b".into())));
        assert!(matches!(out("file:/%q").0, Err(ValueError::Specifier { .. })));
    }

    #[test]
    fn output_fds_and_obsolete() {
        assert_eq!(out("fd:foo").0, Ok(StdOutput::Fd(Some("foo".into()))));
        assert_eq!(out("fd:").0, Ok(StdOutput::Fd(None)));
        assert_eq!(out("fd:a b").0, Ok(StdOutput::Fd(Some("a b".into()))));
        assert_eq!(out("fd:a:b").0, Err(ValueError::FdName("a:b".into())));
        let (r, w) = out("syslog");
        assert_eq!(r, Ok(StdOutput::Journal));
        assert_eq!(w.len(), 1);
        assert_eq!(out("syslog+console").0, Ok(StdOutput::JournalConsole));
    }

    #[test]
    fn input() {
        let p = |s: &str| parse_input(s, &mut spec);
        assert_eq!(p("null"), Ok(StdInput::Null));
        assert_eq!(p("tty-force"), Ok(StdInput::TtyForce));
        assert_eq!(p("tty-fail"), Ok(StdInput::TtyFail));
        assert_eq!(p("data"), Ok(StdInput::Data));
        assert_eq!(p("socket"), Ok(StdInput::Socket));
        assert_eq!(p("file:/dev/zero"), Ok(StdInput::File(Some("/dev/zero".into()))));
        assert_eq!(p("fd:in"), Ok(StdInput::Fd(Some("in".into()))));
        assert_eq!(p("journal"), Err(ValueError::Input("journal".into())));
        assert_eq!(p("inherit"), Err(ValueError::Input("inherit".into())));
    }
}
