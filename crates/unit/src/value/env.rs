//! Environment variables: `Environment=`, `PassEnvironment=`/
//! `UnsetEnvironment=` and the contents of `EnvironmentFile=` files
//! (`systemd.exec(5)`, "ENVIRONMENT").
//!
//! **`Environment=`** is split into words with quotes and C escapes; every
//! word must be `NAME=value` after specifier expansion. Bad words are
//! skipped with a warning ("Invalid environment assignment, ignoring"); a
//! quoting or escape error stops the line there ("Invalid syntax"), keeping
//! the assignments before it — exactly systemd 252's behaviour. A name set
//! twice keeps its first position and its last value.
//!
//! Names consist of ASCII letters, digits and `_` and do not start with a
//! digit. Values may hold anything but NUL, control characters included.
//!
//! **Environment files** are read with systemd's own shell-like state
//! machine (`parse_env_file_internal()`), which differs from a shell in
//! ways units rely on:
//!
//! - lines starting (after blanks) with `#` or `;` are comments, and in
//!   systemd 252 a comment ending in `\` swallows the next line too;
//! - `KEY=VALUE`: blanks around the key and around an unquoted value are
//!   dropped, interior blanks are kept, quotes *after* the first character
//!   of an unquoted value are literal (`A=x "y"` is `x "y"`);
//! - unquoted: `\c` is `c`, `\` + newline joins lines;
//! - `'…'`: verbatim, may span lines;
//! - `"…"`: may span lines; `\` before `"`, `\`, `` ` `` or `$` yields that
//!   character, before a newline joins lines, before anything else is
//!   kept as `\c`;
//! - a quoted piece may be followed by more: `A='x'y` is `xy`, and blanks
//!   right after a closing quote are skipped, so `A='x' "y"` is `xy` too
//!   (but `A=x "y"` keeps its quotes, as said above);
//! - a line without `=` is ignored; `export KEY=…` is *not* special — the
//!   key `export KEY` is invalid and dropped;
//! - carriage returns end a line like newlines do.
//!
//! Invalid names are dropped with a warning when the file is applied
//! (`strv_env_clean()`); invalid UTF-8 fails the whole file.

use super::error::ValueError;
use super::words::{ExtractFlags, Words, WHITESPACE};

/// `sysconf(_SC_ARG_MAX)` with the default 8 MiB stack limit: the longest
/// assignment the kernel takes.
pub const ARG_MAX: usize = 2 * 1024 * 1024;

/// `env_name_is_valid()`.
pub fn is_valid_env_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.len() <= ARG_MAX - 2
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `env_value_is_valid()`: any UTF-8 text (control characters included)
/// short enough for the kernel.
pub fn is_valid_env_value(value: &str) -> bool {
    value.len() <= ARG_MAX - 3 && !value.contains('\0')
}

/// `env_assignment_is_valid()`: `NAME=value` with a valid name and value.
pub fn is_valid_env_assignment(s: &str) -> bool {
    match s.split_once('=') {
        Some((name, value)) => is_valid_env_name(name) && is_valid_env_value(value) && s.len() < ARG_MAX,
        None => false,
    }
}

/// Set `name` in `env`, keeping the position of an earlier assignment
/// (`strv_env_replace_consume()`).
pub fn env_replace(env: &mut Vec<(String, String)>, name: String, value: String) {
    match env.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => env.push((name, value)),
    }
}

fn split_assignment(s: String) -> (String, String) {
    match s.split_once('=') {
        Some((n, v)) => (n.to_string(), v.to_string()),
        None => (s, String::new()),
    }
}

/// `Environment=`: the valid assignments of one line, in order. Problems
/// are pushed to `warnings`; there is no fatal error.
pub fn parse_environment(
    raw: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
    warnings: &mut Vec<ValueError>,
) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::CUNESCAPE);
    loop {
        let word = match words.next_word() {
            Ok(Some(w)) => w,
            Ok(None) => break,
            // The word was consumed; systemd would have kept its raw bytes
            // and refused them as an invalid assignment.
            Err(e @ ValueError::InvalidUtf8(_)) => {
                warnings.push(e);
                continue;
            }
            Err(e) => {
                warnings.push(e);
                break;
            }
        };
        let resolved = match expand(&word) {
            Ok(r) => r,
            Err(reason) => {
                warnings.push(ValueError::Specifier { text: word, reason });
                continue;
            }
        };
        if !is_valid_env_assignment(&resolved) {
            warnings.push(ValueError::EnvAssignment(resolved));
            continue;
        }
        let (name, value) = split_assignment(resolved);
        env_replace(&mut env, name, value);
    }
    env
}

/// `PassEnvironment=`/`UnsetEnvironment=`: variable names (quotes
/// allowed, no C escapes), each once. `UnsetEnvironment=` also takes
/// `NAME=value` (unset only that exact assignment), so assignments are
/// accepted too; `PassEnvironment=` callers should refuse entries that
/// contain `=`. Invalid entries are skipped with a warning.
pub fn parse_env_names(
    raw: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
    warnings: &mut Vec<ValueError>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE);
    loop {
        let word = match words.next_word() {
            Ok(Some(w)) => w,
            Ok(None) => break,
            Err(e) => {
                warnings.push(e);
                break;
            }
        };
        let resolved = match expand(&word) {
            Ok(r) => r,
            Err(reason) => {
                warnings.push(ValueError::Specifier { text: word, reason });
                continue;
            }
        };
        if !is_valid_env_name(&resolved) && !is_valid_env_assignment(&resolved) {
            warnings.push(ValueError::EnvNameOrAssignment(resolved));
            continue;
        }
        if !names.contains(&resolved) {
            names.push(resolved);
        }
    }
    names
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    PreKey,
    Key,
    PreValue,
    Value,
    ValueEscape,
    SingleQuote,
    DoubleQuote,
    DoubleQuoteEscape,
    Comment,
    CommentEscape,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_newline(b: u8) -> bool {
    matches!(b, b'\n' | b'\r')
}

/// Collects assignments as the state machine completes them.
struct EnvFileSink<'w> {
    env: Vec<(String, String)>,
    warnings: &'w mut Vec<ValueError>,
}

impl EnvFileSink<'_> {
    fn push(&mut self, key: &[u8], value: &[u8], line: u32) -> Result<(), ValueError> {
        let (Ok(key), Ok(value)) = (std::str::from_utf8(key), std::str::from_utf8(value)) else {
            return Err(ValueError::EnvFileUtf8 { line });
        };
        let assignment_ok = is_valid_env_name(key) && is_valid_env_value(value) && key.len() + value.len() < ARG_MAX;
        if !assignment_ok {
            self.warnings.push(ValueError::EnvAssignment(format!("{key}={value}")));
            return Ok(());
        }
        env_replace(&mut self.env, key.to_string(), value.to_string());
        Ok(())
    }
}

/// Parse the contents of an `EnvironmentFile=` file. Invalid assignments
/// are dropped with a warning each; invalid UTF-8 in a key or value fails
/// the whole file, as in systemd (`line` is the line the key starts on).
pub fn parse_env_file(content: &[u8], warnings: &mut Vec<ValueError>) -> Result<Vec<(String, String)>, ValueError> {
    let mut sink = EnvFileSink { env: Vec::new(), warnings };
    let mut key: Vec<u8> = Vec::new();
    let mut value: Vec<u8> = Vec::new();
    // Where trailing blanks of the key / an unquoted value begin.
    let mut key_ws: Option<usize> = None;
    let mut value_ws: Option<usize> = None;
    let mut state = State::PreKey;
    let mut line: u32 = 1;
    let mut key_line: u32 = 1;

    for &c in content {
        if c == 0 {
            // The file is read as a C string.
            break;
        }
        match state {
            State::PreKey => {
                if c == b'#' || c == b';' {
                    state = State::Comment;
                } else if !is_blank(c) {
                    state = State::Key;
                    key_ws = None;
                    key.clear();
                    key.push(c);
                    key_line = line;
                }
            }
            State::Key => {
                if is_newline(c) {
                    state = State::PreKey;
                } else if c == b'=' {
                    state = State::PreValue;
                    value.clear();
                    value_ws = None;
                } else {
                    if !is_blank(c) {
                        key_ws = None;
                    } else if key_ws.is_none() {
                        key_ws = Some(key.len());
                    }
                    key.push(c);
                }
            }
            State::PreValue => {
                if is_newline(c) {
                    state = State::PreKey;
                    sink.push(&key[..key_ws.unwrap_or(key.len())], &value, key_line)?;
                } else if c == b'\'' {
                    state = State::SingleQuote;
                } else if c == b'"' {
                    state = State::DoubleQuote;
                } else if c == b'\\' {
                    state = State::ValueEscape;
                } else if !is_blank(c) {
                    state = State::Value;
                    value.push(c);
                }
            }
            State::Value => {
                if is_newline(c) {
                    state = State::PreKey;
                    let v = &value[..value_ws.unwrap_or(value.len())];
                    sink.push(&key[..key_ws.unwrap_or(key.len())], v, key_line)?;
                } else if c == b'\\' {
                    state = State::ValueEscape;
                    value_ws = None;
                } else {
                    if !is_blank(c) {
                        value_ws = None;
                    } else if value_ws.is_none() {
                        value_ws = Some(value.len());
                    }
                    value.push(c);
                }
            }
            State::ValueEscape => {
                state = State::Value;
                if !is_newline(c) {
                    value.push(c);
                }
            }
            State::SingleQuote => {
                if c == b'\'' {
                    state = State::PreValue;
                } else {
                    value.push(c);
                }
            }
            State::DoubleQuote => {
                if c == b'"' {
                    state = State::PreValue;
                } else if c == b'\\' {
                    state = State::DoubleQuoteEscape;
                } else {
                    value.push(c);
                }
            }
            State::DoubleQuoteEscape => {
                state = State::DoubleQuote;
                if matches!(c, b'"' | b'\\' | b'`' | b'$') {
                    value.push(c);
                } else if c != b'\n' {
                    value.push(b'\\');
                    value.push(c);
                }
            }
            State::Comment => {
                if c == b'\\' {
                    state = State::CommentEscape;
                } else if is_newline(c) {
                    state = State::PreKey;
                }
            }
            // systemd 252: an escaped character, newline included, keeps
            // the comment going (changed in v254).
            State::CommentEscape => state = State::Comment,
        }
        if c == b'\n' {
            line += 1;
        }
    }

    match state {
        State::PreValue
        | State::ValueEscape
        | State::SingleQuote
        | State::DoubleQuote
        | State::DoubleQuoteEscape => {
            sink.push(&key[..key_ws.unwrap_or(key.len())], &value, key_line)?;
        }
        State::Value => {
            let v = &value[..value_ws.unwrap_or(value.len())];
            sink.push(&key[..key_ws.unwrap_or(key.len())], v, key_line)?;
        }
        State::PreKey | State::Key | State::Comment | State::CommentEscape => {}
    }
    Ok(sink.env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn env_line(raw: &str) -> (Vec<(String, String)>, Vec<ValueError>) {
        let mut w = Vec::new();
        let mut expand = |s: &str| Ok(s.replace("%n", "one.service").replace("%%", "%"));
        (parse_environment(raw, &mut expand, &mut w), w)
    }

    fn file(text: &str) -> (Vec<(String, String)>, Vec<ValueError>) {
        let mut w = Vec::new();
        let env = parse_env_file(text.as_bytes(), &mut w).unwrap();
        (env, w)
    }

    #[test]
    fn names() {
        assert!(is_valid_env_name("_B"));
        assert!(is_valid_env_name("abc_123"));
        assert!(!is_valid_env_name("1A"));
        assert!(!is_valid_env_name("A-B"));
        assert!(!is_valid_env_name(""));
        assert!(!is_valid_env_name("é"));
        assert!(is_valid_env_assignment("A="));
        assert!(is_valid_env_assignment("A=b=c"));
        assert!(!is_valid_env_assignment("A"));
        assert!(!is_valid_env_assignment("=q"));
    }

    #[test]
    fn environment_man_page_example() {
        let (env, w) = env_line("\"VAR1=word1 word2\" VAR2=word3 \"VAR3=$word 5 6\"");
        assert!(w.is_empty());
        assert_eq!(env, pairs(&[("VAR1", "word1 word2"), ("VAR2", "word3"), ("VAR3", "$word 5 6")]));
        let (env, _) = env_line("ONE='one' \"TWO='two two' too\" THREE=");
        assert_eq!(env, pairs(&[("ONE", "one"), ("TWO", "'two two' too"), ("THREE", "")]));
    }

    #[test]
    fn environment_bad_words_skipped() {
        let (env, w) = env_line("1A=x _B=y A-B=z =q C A=\\x01");
        assert_eq!(env, pairs(&[("_B", "y"), ("A", "\x01")]));
        assert_eq!(
            w,
            [
                ValueError::EnvAssignment("1A=x".into()),
                ValueError::EnvAssignment("A-B=z".into()),
                ValueError::EnvAssignment("=q".into()),
                ValueError::EnvAssignment("C".into()),
            ]
        );
    }

    #[test]
    fn environment_syntax_error_keeps_earlier() {
        let (env, w) = env_line("A=1 B=\"unbal");
        assert_eq!(env, pairs(&[("A", "1")]));
        assert!(matches!(w[..], [ValueError::UnbalancedQuoting(_)]));
        let (env, w) = env_line("A=b\\q C=d");
        assert!(env.is_empty());
        assert!(matches!(w[..], [ValueError::InvalidEscape(_)]));
    }

    #[test]
    fn environment_specifiers_unicode_and_override() {
        let (env, _) = env_line("A=%n B=%% C=\\303\\251 D=\\u00e9 A=2");
        assert_eq!(env, pairs(&[("A", "2"), ("B", "%"), ("C", "é"), ("D", "é")]));
        let (env, w) = env_line("A=\\xff B=1");
        assert_eq!(env, pairs(&[("B", "1")]));
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn names_for_pass_and_unset() {
        let mut w = Vec::new();
        let mut expand = |s: &str| Ok(s.to_string());
        let n = parse_env_names("PATH 'LANG' A=b PATH 1X", &mut expand, &mut w);
        assert_eq!(n, ["PATH", "LANG", "A=b"]);
        assert_eq!(w, [ValueError::EnvNameOrAssignment("1X".into())]);
    }

    #[test]
    fn file_basics_and_comments() {
        let (env, w) = file("# comment\n; also\n  A=1\nB = two words  \n\nnoequals\nC=\n");
        assert!(w.is_empty());
        assert_eq!(env, pairs(&[("A", "1"), ("B", "two words"), ("C", "")]));
    }

    #[test]
    fn file_quotes_man_page_rules() {
        let (env, _) = file("A='x y'\nB=\"a\\\"b\\\\c\\$d\\`e\\nf\"\nC='multi\nline'\nD=\"co\\\nnt\"\n");
        assert_eq!(
            env,
            pairs(&[("A", "x y"), ("B", "a\"b\\c$d`e\\nf"), ("C", "multi\nline"), ("D", "cont")])
        );
        let (env, _) = file("E='x'y \"z\"\nF=x \"y\" z\nG='  a  '  \nH='x' \"y\"\n");
        assert_eq!(env, pairs(&[("E", "xy \"z\""), ("F", "x \"y\" z"), ("G", "  a  "), ("H", "xy")]));
    }

    #[test]
    fn file_unquoted_escapes_and_continuation() {
        let (env, _) = file("A=a\\ b\\\\c\nB=one \\\ntwo\nC=x\\ \n");
        assert_eq!(env, pairs(&[("A", "a b\\c"), ("B", "one two"), ("C", "x ")]));
    }

    #[test]
    fn file_comment_continuation_and_export() {
        let (env, w) = file("# comment \\\nHIDDEN=1\nexport X=1\nY=2");
        assert_eq!(env, pairs(&[("Y", "2")]), "252 continues comments; export is not special");
        assert_eq!(w, [ValueError::EnvAssignment("export X=1".into())]);
    }

    #[test]
    fn file_crlf_and_duplicates() {
        let (env, _) = file("A=1\r\nB=2\r\nA=3\r\n");
        assert_eq!(env, pairs(&[("A", "3"), ("B", "2")]));
        let (env, _) = file("A=x\\\r\nB=y\n");
        assert_eq!(env, pairs(&[("A", "x"), ("B", "y")]), "an escaped CR does not join CRLF lines");
    }

    #[test]
    fn file_end_without_newline_and_unterminated_quote() {
        let (env, _) = file("A=1  ");
        assert_eq!(env, pairs(&[("A", "1")]));
        let (env, _) = file("A=\"open\nB=2");
        assert_eq!(env, pairs(&[("A", "open\nB=2")]));
        let (env, _) = file("A");
        assert!(env.is_empty());
    }

    #[test]
    fn file_invalid_utf8_fails() {
        let mut w = Vec::new();
        assert_eq!(parse_env_file(b"A=1\nB=\xff\n", &mut w), Err(ValueError::EnvFileUtf8 { line: 2 }));
    }
}
