//! Command lines (`ExecStart=` and friends), per `systemd.service(5)`,
//! "COMMAND LINES", and systemd 252's `config_parse_exec()`.
//!
//! Parsing one assignment, in the order systemd does it:
//!
//! 1. The value is split into words with quotes and C escapes
//!    ([`ExtractFlags::UNQUOTE`] | [`ExtractFlags::CUNESCAPE`]). An unknown
//!    escape (`\q`) is kept verbatim with a warning; unbalanced quotes are an
//!    error.
//! 2. A first word of exactly `;` is skipped. Otherwise its leading
//!    prefix characters are consumed, each at most once: `-` (failure is
//!    ignored), `@` (the second word becomes `argv[0]`), `:` (no `$VAR`
//!    expansion), and at most one of `+` (full privileges), `!` (no
//!    user/group switch) or `!!` (ambient capabilities instead). A prefix
//!    character that is not allowed at that point ends the prefix and
//!    becomes part of the path: `+!ls` runs an executable called `!ls`.
//! 3. Specifiers are expanded in the rest of the first word — *after*
//!    unquoting, so `"%n"` and `%n` are the same — giving the executable.
//!    It must be non-empty, free of control characters, quotes and
//!    backslashes, not end in `/`, and be either absolute or a plain file
//!    name (looked up in [`DEFAULT_PATH`] when the command runs, see
//!    [`resolve_executable`]).
//! 4. The remaining words are unquoted and specifier-expanded one by one.
//!    A word that is a lone `;` (unquoted, followed by a blank or the end)
//!    ends this command and starts the next one in the same assignment;
//!    `\;` is a literal `;` argument. `a;b` and `";x"` are ordinary words.
//! 5. Without `@`, `argv[0]` is the executable as written; the executable
//!    path itself is simplified (`//bin//true` runs `/bin/true` with
//!    `argv[0]` still `//bin//true`).
//!
//! Errors in a command without `-` make systemd refuse the unit
//! ([`ValueError::is_fatal`]); with `-` the rest of the assignment is
//! dropped with a warning. A broken *first* word is never fatal: systemd
//! just ignores the assignment.
//!
//! `$VAR` expansion happens later, when the command runs, against the
//! service's environment: [`expand_argv`].
//!
//! Main type: [`ExecCommand`].

use super::error::{ExecErrorReason, ValueError};
use super::path::{filename_is_valid, path_is_absolute, path_simplify, string_is_safe};
use super::words::{split, ExtractFlags, Words, WHITESPACE};

/// The fixed search path for plain executable names (`systemd-path
/// search-binaries-default` on Debian 12).
pub const DEFAULT_PATH: [&str; 6] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// The prefix flags of a command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExecFlags {
    /// `-`: a non-zero exit (or a missing executable) counts as success.
    pub ignore_failure: bool,
    /// `:`: no `$VAR`/`${VAR}` expansion.
    pub no_env_expand: bool,
    /// `+`: run with full privileges, no sandboxing.
    pub privileged: bool,
    /// `!`: sandboxing applies, but `User=`/`Group=` are not switched to.
    pub no_setuid: bool,
    /// `!!`: like `!` unless the kernel has ambient capabilities, in which
    /// case the credentials are applied normally.
    pub ambient: bool,
}

/// One parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCommand {
    /// The executable: absolute and simplified, or a plain file name to be
    /// looked up in [`DEFAULT_PATH`]. (A `Box<str>`: kept for every
    /// command of every loaded unit, and no `String` capacity to keep.)
    pub path: Box<str>,
    /// The arguments, `argv[0]` included (with `@`, the word after the
    /// executable; otherwise the executable as written).
    pub argv: Argv,
    pub flags: ExecFlags,
}

/// A command's arguments in one heap block: each word followed by a NUL,
/// which no word can hold (the word splitter refuses a `\0` escape and
/// ends the input at a NUL byte, as C does, and `execve(2)` could not pass
/// one either). Parsed commands live as long as their unit: a
/// `Vec<String>` was a list block and a block per word (`/bin/sleep
/// infinity`: three blocks, 128 bytes; this is one of 32; 1000 services,
/// ~100 kB and two thousand blocks among the units' own).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Argv(Box<str>);

impl Argv {
    pub fn len(&self) -> usize {
        self.0.bytes().filter(|&b| b == 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The words, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + Clone + '_ {
        self.0.split_terminator('\0')
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.iter().nth(i)
    }

    /// The words joined by `sep`.
    pub fn join(&self, sep: &str) -> String {
        self.iter().collect::<Vec<_>>().join(sep)
    }

    /// The words as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// Sized once: the block is the unit's for its life, and a string grown
    /// by doubling would leave its smaller blocks behind as holes.
    fn from_words<S: AsRef<str>>(words: &[S]) -> Argv {
        // A word holding a NUL (impossible from a unit file, see the
        // type's documentation) is cut there, as `execve(2)` would read it.
        fn word<S: AsRef<str>>(w: &S) -> &str {
            let w = w.as_ref();
            w.split('\0').next().unwrap_or(w)
        }
        let mut joined = String::with_capacity(words.iter().map(|w| word(w).len() + 1).sum());
        for w in words {
            joined.push_str(word(w));
            joined.push('\0');
        }
        Argv(joined.into_boxed_str())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Argv {
    fn from_iter<I: IntoIterator<Item = S>>(words: I) -> Argv {
        Argv::from_words(&words.into_iter().collect::<Vec<S>>())
    }
}

impl From<Vec<String>> for Argv {
    fn from(v: Vec<String>) -> Argv {
        Argv::from_words(&v)
    }
}

impl std::ops::Index<usize> for Argv {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(w) => w,
            None => panic!("argument {i} of a command of {} arguments", self.len()),
        }
    }
}

impl std::fmt::Debug for Argv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Argv {
    fn eq(&self, other: &[S; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Argv {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

/// The state of one command while its words are read.
struct Partial {
    flags: ExecFlags,
    separate_argv0: bool,
}

fn exec_error(reason: ExecErrorReason, text: impl Into<String>, fatal: bool) -> ValueError {
    ValueError::Exec { reason, text: text.into(), fatal }
}

/// With `-`, systemd logs the problem and keeps the commands it already
/// has; without, the unit is refused.
fn fail(ignore: bool, warnings: &mut Vec<ValueError>, reason: ExecErrorReason, text: String) -> Result<(), ValueError> {
    let e = exec_error(reason, text, !ignore);
    if ignore {
        warnings.push(e);
        Ok(())
    } else {
        Err(e)
    }
}

/// Strip the prefix characters of `first`, as systemd's loop does.
fn strip_prefixes(first: &str) -> (Partial, &str) {
    let mut p = Partial { flags: ExecFlags::default(), separate_argv0: false };
    let mut f = first;
    loop {
        let fl = &mut p.flags;
        let sandbox_set = fl.privileged || fl.no_setuid || fl.ambient;
        match f.as_bytes().first() {
            Some(b'-') if !fl.ignore_failure => fl.ignore_failure = true,
            Some(b'@') if !p.separate_argv0 => p.separate_argv0 = true,
            Some(b':') if !fl.no_env_expand => fl.no_env_expand = true,
            Some(b'+') if !sandbox_set => fl.privileged = true,
            Some(b'!') if !sandbox_set => fl.no_setuid = true,
            Some(b'!') if !fl.privileged && !fl.ambient => {
                fl.no_setuid = false;
                fl.ambient = true;
            }
            _ => return (p, f),
        }
        f = &f[1..];
    }
}

/// `;` or `\;` as a whole word at the start of `rest`: the length of that
/// token, or `None`.
fn lone_token(rest: &str, token: &str) -> Option<usize> {
    let after = rest.strip_prefix(token)?;
    match after.bytes().next() {
        None => Some(token.len()),
        Some(b) if WHITESPACE.as_bytes().contains(&b) => Some(token.len()),
        Some(_) => None,
    }
}

fn skip_blanks(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// Parse the value of an `Exec*=` assignment into its commands.
///
/// `expand` resolves `%` specifiers in one word (after unquoting). Problems
/// systemd only warns about are pushed to `warnings`; an `Err` is always
/// fatal for the unit. An empty or blank value gives no commands (the
/// caller resets the list, as systemd does for `ExecStart=`).
pub fn parse_exec(
    raw: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
    warnings: &mut Vec<ValueError>,
) -> Result<Vec<ExecCommand>, ValueError> {
    let mut commands = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::CUNESCAPE);
    loop {
        let first = match words.next_word_relaxed(warnings) {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(commands),
            Err(e) => {
                warnings.push(e);
                return Ok(commands);
            }
        };
        if first == ";" {
            continue;
        }
        let (partial, f) = strip_prefixes(&first);
        let ignore = partial.flags.ignore_failure;

        let path = match expand(f) {
            Ok(p) => p,
            Err(why) => {
                fail(ignore, warnings, ExecErrorReason::Specifier, format!("'{f}': {why}"))?;
                return Ok(commands);
            }
        };
        let problem = if path.is_empty() {
            Some((ExecErrorReason::EmptyPath, raw.to_string()))
        } else if !string_is_safe(&path) {
            Some((ExecErrorReason::SpecialCharacters, path.clone()))
        } else if path.ends_with('/') {
            Some((ExecErrorReason::Directory, path.clone()))
        } else if !path_is_absolute(&path) && !filename_is_valid(&path) {
            Some((ExecErrorReason::NotAbsoluteOrName, path.clone()))
        } else {
            None
        };
        if let Some((reason, text)) = problem {
            fail(ignore, warnings, reason, text)?;
            return Ok(commands);
        }

        let mut argv = Vec::new();
        if !partial.separate_argv0 {
            argv.push(path.clone());
        }
        let path = path_simplify(&path);

        let mut another = false;
        while let Some(rest) = words.rest().filter(|r| !r.is_empty()) {
            if let Some(n) = lone_token(rest, ";") {
                words.set_rest(Some(skip_blanks(&rest[n..])));
                another = true;
                break;
            }
            if let Some(n) = lone_token(rest, "\\;") {
                words.set_rest(Some(skip_blanks(&rest[n..])));
                argv.push(";".to_string());
                continue;
            }
            let word = match words.next_word_relaxed(warnings) {
                Ok(Some(w)) => w,
                Ok(None) => break,
                Err(e) => {
                    let reason = match e {
                        ValueError::InvalidUtf8(_) => ExecErrorReason::InvalidUtf8,
                        _ => ExecErrorReason::UnbalancedQuoting,
                    };
                    fail(ignore, warnings, reason, raw.to_string())?;
                    return Ok(commands);
                }
            };
            match expand(&word) {
                Ok(w) => argv.push(w),
                Err(why) => {
                    fail(ignore, warnings, ExecErrorReason::Specifier, format!("'{word}': {why}"))?;
                    return Ok(commands);
                }
            }
        }
        if argv.is_empty() {
            fail(ignore, warnings, ExecErrorReason::EmptyArgv0, raw.to_string())?;
            return Ok(commands);
        }
        commands.push(ExecCommand { path: path.into(), argv: Argv::from(argv), flags: partial.flags });
        if !another {
            commands.shrink_to_fit();
            return Ok(commands);
        }
    }
}

/// Find a plain executable name in [`DEFAULT_PATH`]; absolute paths are
/// returned as they are. `is_executable` decides whether a candidate path
/// exists and may be run (systemd 252 does this when the command is
/// started, not when the unit is loaded).
pub fn resolve_executable(name: &str, mut is_executable: impl FnMut(&str) -> bool) -> Option<String> {
    if path_is_absolute(name) {
        return Some(name.to_string());
    }
    DEFAULT_PATH.iter().map(|dir| format!("{dir}/{name}")).find(|candidate| is_executable(candidate))
}

/// `$VAR` and `${VAR}` expansion of the arguments, as done right before
/// the command runs (`systemd.service(5)`, "COMMAND LINES"; systemd's
/// `replace_env_argv()`):
///
/// - a word that is exactly `$NAME` is replaced by the value split at
///   blanks (quotes in the value group and are removed), giving zero or
///   more arguments; an unset variable removes the word;
/// - `${NAME}` anywhere in a word is replaced by the value verbatim, empty
///   if unset; the word stays one argument;
/// - `$$` is a literal `$`; any other `$` is kept as it is, as are
///   `${NAME:-default}` forms, which systemd 252 does not interpret here;
/// - with the `:` prefix nothing is expanded.
///
/// The executable path is never expanded.
pub fn expand_argv<F, S>(cmd: &ExecCommand, lookup: F) -> Vec<String>
where
    F: Fn(&str) -> Option<S>,
    S: AsRef<str>,
{
    if cmd.flags.no_env_expand {
        return cmd.argv.to_vec();
    }
    let mut out = Vec::with_capacity(cmd.argv.len());
    for arg in cmd.argv.iter() {
        if let Some(name) = arg.strip_prefix('$') {
            if !name.starts_with(['{', '$']) {
                if let Some(value) = lookup(name) {
                    if let Ok(parts) = split(value.as_ref(), WHITESPACE, ExtractFlags::RELAX | ExtractFlags::UNQUOTE) {
                        out.extend(parts);
                    }
                }
                continue;
            }
        }
        out.push(replace_env(arg, &lookup));
    }
    out
}

/// systemd's `replace_env(format, env, 0)`: `${NAME}` and `$$` only.
fn replace_env<F, S>(s: &str, lookup: &F) -> String
where
    F: Fn(&str) -> Option<S>,
    S: AsRef<str>,
{
    #[derive(PartialEq)]
    enum State {
        Word,
        Curly,
        Variable,
    }
    if !s.contains('$') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut word = 0usize;
    let mut state = State::Word;
    for (i, &c) in b.iter().enumerate() {
        match state {
            State::Word => {
                if c == b'$' {
                    state = State::Curly;
                }
            }
            State::Curly => {
                if c == b'{' {
                    out.push_str(&s[word..i - 1]);
                    word = i - 1;
                    state = State::Variable;
                } else if c == b'$' {
                    out.push_str(&s[word..i]);
                    word = i + 1;
                    state = State::Word;
                } else {
                    state = State::Word;
                }
            }
            State::Variable => {
                if c == b'}' {
                    if let Some(v) = lookup(&s[word + 2..i]) {
                        out.push_str(v.as_ref());
                    }
                    word = i + 1;
                    state = State::Word;
                } else if c == b':' {
                    state = State::Word;
                }
            }
        }
    }
    out.push_str(&s[word..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_specifiers(s: &str) -> Result<String, String> {
        Ok(s.to_string())
    }

    fn parse(raw: &str) -> (Result<Vec<ExecCommand>, ValueError>, Vec<ValueError>) {
        let mut w = Vec::new();
        let r = parse_exec(raw, &mut no_specifiers, &mut w);
        (r, w)
    }

    #[test]
    fn argv_keeps_every_word_in_one_block() {
        let a: Argv = ["/bin/echo", "", "a b", ""].iter().collect();
        assert_eq!(a.len(), 4);
        assert_eq!(a, ["/bin/echo", "", "a b", ""]);
        assert_eq!(a.get(2), Some("a b"));
        assert_eq!(a.get(4), None);
        assert_eq!(a.join(" "), "/bin/echo  a b ");
        assert_eq!(a.to_vec(), ["/bin/echo", "", "a b", ""]);
        assert_eq!(format!("{a:?}"), r#"["/bin/echo", "", "a b", ""]"#);
        let one_empty = Argv::from(vec![String::new()]);
        assert_eq!((one_empty.len(), one_empty.iter().count()), (1, 1));
        let none = Argv::default();
        assert!(none.is_empty());
        assert_eq!(none.iter().count(), 0);
        assert_eq!(none, [""; 0]);
        // A NUL cannot come from a unit file; one given anyway ends its
        // word, as execve(2) would read it, and does not split it.
        assert_eq!(Argv::from(vec!["a\0b".to_string(), "c".to_string()]), ["a", "c"]);
        // One boxed string: [`ExecCommand`] is kept per command of every
        // loaded unit.
        assert_eq!(std::mem::size_of::<Argv>(), 16);
        // A service's one `ExecStart=` command is a 48-byte list block
        // (64 with a `String` path and a `Vec` of words).
        assert!(std::mem::size_of::<ExecCommand>() <= 40, "{}", std::mem::size_of::<ExecCommand>());
    }

    fn one(raw: &str) -> ExecCommand {
        let (r, w) = parse(raw);
        let mut v = r.unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert!(w.is_empty(), "{raw}: unexpected warnings {w:?}");
        assert_eq!(v.len(), 1, "{raw}");
        v.remove(0)
    }

    fn fatal_reason(raw: &str) -> ExecErrorReason {
        match parse(raw).0 {
            Err(ValueError::Exec { reason, fatal: true, .. }) => reason,
            other => panic!("{raw}: expected a fatal error, got {other:?}"),
        }
    }

    #[test]
    fn plain_and_quoted() {
        let c = one("/bin/echo 'b c' a\\x41 \"\"");
        assert_eq!(&*c.path, "/bin/echo");
        assert_eq!(c.argv, ["/bin/echo", "b c", "aA", ""]);
        assert_eq!(c.flags, ExecFlags::default());
        let c = one("\"/usr/bin/my prog\" arg");
        assert_eq!(&*c.path, "/usr/bin/my prog");
        let c = one("/bin/echo \"a\"b\"c d\"");
        assert_eq!(c.argv, ["/bin/echo", "abc d"]);
    }

    #[test]
    fn prefixes() {
        let c = one("@-:/bin/echo argz x");
        assert_eq!(&*c.path, "/bin/echo");
        assert_eq!(c.argv, ["argz", "x"]);
        assert!(c.flags.ignore_failure && c.flags.no_env_expand);
        let c = one("!!ls x");
        assert!(c.flags.ambient && !c.flags.no_setuid);
        assert_eq!(&*c.path, "ls");
        let c = one("+!ls x");
        assert!(c.flags.privileged);
        assert_eq!(&*c.path, "!ls", "! after + is part of the name");
        let c = one("!+ls x");
        assert!(c.flags.no_setuid);
        assert_eq!(&*c.path, "+ls");
        let c = one("!!!ls");
        assert_eq!(&*c.path, "!ls");
        let c = one("-@ls x");
        assert_eq!(c.argv, ["x"]);
    }

    #[test]
    fn semicolons() {
        let (r, w) = parse("echo one ; echo \"two two\"");
        assert!(w.is_empty());
        let v = r.unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].argv, ["echo", "one"]);
        assert_eq!(v[1].argv, ["echo", "two two"]);
        let c = one("echo / >/dev/null & \\; ls");
        assert_eq!(c.argv, ["echo", "/", ">/dev/null", "&", ";", "ls"]);
        let v = parse("/bin/echo a;b ; ; /bin/true").0.unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].argv, ["/bin/echo", "a;b"]);
        assert_eq!(one("/bin/echo x ;/bin/true").argv, ["/bin/echo", "x", ";/bin/true"]);
        assert_eq!(parse("/bin/true ;").0.unwrap().len(), 1);
        assert_eq!(parse("; /bin/true").0.unwrap().len(), 1);
    }

    #[test]
    fn escaped_semicolon_words_warn() {
        let (r, w) = parse("/bin/echo a \\\\; b \"\\;\" c ;");
        let v = r.unwrap();
        assert_eq!(v[0].argv, ["/bin/echo", "a", "\\;", "b", "\\;", "c"]);
        assert_eq!(w, [ValueError::UnknownEscapeIgnored("\\;".into())]);
    }

    #[test]
    fn path_checks() {
        assert_eq!(fatal_reason("/bin/"), ExecErrorReason::Directory);
        assert_eq!(fatal_reason("sub/dir x"), ExecErrorReason::NotAbsoluteOrName);
        assert_eq!(fatal_reason("./rel"), ExecErrorReason::NotAbsoluteOrName);
        assert_eq!(fatal_reason("/bin/ec\\\\ho"), ExecErrorReason::SpecialCharacters);
        assert_eq!(fatal_reason("/bin/x\\ty"), ExecErrorReason::SpecialCharacters);
        assert_eq!(fatal_reason("@"), ExecErrorReason::EmptyPath);
        assert_eq!(fatal_reason("@/bin/echo"), ExecErrorReason::EmptyArgv0);
        assert_eq!(fatal_reason("/bin/echo \"unbalanced"), ExecErrorReason::UnbalancedQuoting);
        let c = one("//bin//true/. a");
        assert_eq!(&*c.path, "/bin/true");
        assert_eq!(&c.argv[0], "//bin//true/.");
        assert_eq!(&*one("/bin/echo\\x20x").path, "/bin/echo x");
    }

    #[test]
    fn non_fatal_cases() {
        let (r, w) = parse("-");
        assert_eq!(r.unwrap(), []);
        assert!(matches!(w[..], [ValueError::Exec { reason: ExecErrorReason::EmptyPath, fatal: false, .. }]));
        let (r, w) = parse("-/bin/true \"unbal");
        assert_eq!(r.unwrap(), []);
        assert_eq!(w.len(), 1);
        assert!(!w[0].is_fatal());
        let (r, w) = parse("\"unbal");
        assert_eq!(r.unwrap(), [], "a broken first word only drops the assignment");
        assert!(matches!(w[..], [ValueError::UnbalancedQuoting(_)]));
        let (r, w) = parse("/bin/echo bad\\q esc");
        assert_eq!(r.unwrap()[0].argv, ["/bin/echo", "bad\\q", "esc"]);
        assert_eq!(w, [ValueError::UnknownEscapeIgnored("bad\\q".into())]);
        let (r, _) = parse("/bin/true ; -/bin/");
        assert_eq!(r.unwrap().len(), 1, "the good first command survives");
        assert!(parse("   ").0.unwrap().is_empty());
    }

    #[test]
    fn specifiers_after_unquoting() {
        let mut seen = Vec::new();
        let mut expand = |s: &str| {
            seen.push(s.to_string());
            if s.contains("%q") {
                return Err("unknown specifier".to_string());
            }
            Ok(s.replace("%n", "foo.service"))
        };
        let mut w = Vec::new();
        let v = parse_exec("-:%n \"%n x\" \\; ${A}", &mut expand, &mut w).unwrap();
        assert_eq!(&*v[0].path, "foo.service");
        assert_eq!(v[0].argv, ["foo.service", "foo.service x", ";", "${A}"]);
        let mut w = Vec::new();
        match parse_exec("/bin/echo %q", &mut expand, &mut w) {
            Err(ValueError::Exec { reason: ExecErrorReason::Specifier, fatal: true, .. }) => {}
            other => panic!("{other:?}"),
        }
        let v = parse_exec("-/bin/echo %q", &mut expand, &mut w).unwrap();
        assert!(v.is_empty() && w.len() == 1);
        assert_eq!(seen[..3], ["%n", "%n x", "${A}"], "prefixes stripped first, `\\;` not expanded");
    }

    #[test]
    fn env_expansion_man_page_examples() {
        let env = |name: &str| match name {
            "ONE" => Some("one"),
            "TWO" => Some("two two"),
            "THREE" => Some(""),
            _ => None,
        };
        let c = one("echo $ONE $TWO ${TWO}");
        assert_eq!(expand_argv(&c, env), ["echo", "one", "two", "two", "two two"]);

        let quoted = |name: &str| match name {
            "ONE" => Some("'one'".to_string()),
            "TWO" => Some("'two two' too".to_string()),
            "THREE" => Some(String::new()),
            _ => None,
        };
        let c = one("/bin/echo ${ONE} ${TWO} ${THREE}");
        assert_eq!(expand_argv(&c, quoted), ["/bin/echo", "'one'", "'two two' too", ""]);
        let c = one("/bin/echo $ONE $TWO $THREE");
        assert_eq!(expand_argv(&c, quoted), ["/bin/echo", "one", "two two", "too"]);
    }

    #[test]
    fn env_expansion_edge_cases() {
        let env = |name: &str| (name == "A").then_some("x y");
        let c = one("/bin/echo $$ a$$b ${A}-${B}! $B $A.b $ ${A:-z} ${A a$b");
        assert_eq!(expand_argv(&c, env), ["/bin/echo", "$", "a$b", "x y-!", "${A:-z}", "${A", "a$b"]);
        let c = one(":/bin/echo $A ${A}");
        assert_eq!(expand_argv(&c, env), ["/bin/echo", "$A", "${A}"]);
    }

    #[test]
    fn executable_lookup() {
        let found = resolve_executable("true", |p| p == "/usr/bin/true" || p == "/bin/true");
        assert_eq!(found.as_deref(), Some("/usr/bin/true"));
        assert_eq!(resolve_executable("nope", |_| false), None);
        assert_eq!(resolve_executable("/opt/x", |_| false).as_deref(), Some("/opt/x"));
    }
}
