//! Word splitting and C escapes, as systemd 252's `extract_first_word()`
//! and `cunescape()` do them (`systemd.syntax(7)`, "Quoting").
//!
//! Almost every list-valued directive is split with `extract_first_word()`,
//! each with its own set of [`ExtractFlags`]; the flags change the language
//! noticeably, so they are reproduced one for one:
//!
//! | flag                       | effect                                                        |
//! |----------------------------|---------------------------------------------------------------|
//! | [`ExtractFlags::UNQUOTE`]  | `'…'` and `"…"` group blanks into a word; the quotes vanish  |
//! | [`ExtractFlags::KEEP_QUOTE`] | quotes group, but stay in the word                          |
//! | [`ExtractFlags::CUNESCAPE`] | `\n`, `\x41`, `\u00e9`, … are decoded                        |
//! | [`ExtractFlags::UNESCAPE_SEPARATORS`] | `\` before a separator (or `\`) yields it literally |
//! | [`ExtractFlags::UNESCAPE_RELAX`] | an unknown escape keeps its backslash instead of failing |
//! | [`ExtractFlags::RELAX`]    | unbalanced quotes or a trailing `\` end the word, no error    |
//! | [`ExtractFlags::RETAIN_ESCAPE`] | backslashes are ordinary characters                      |
//! | [`ExtractFlags::DONT_COALESCE_SEPARATORS`] | `a,,b` has an empty middle word               |
//! | [`ExtractFlags::RETAIN_SEPARATORS`] | the separator ending a word is not consumed          |
//!
//! Without `CUNESCAPE` (and without `RETAIN_ESCAPE`) a backslash simply
//! makes the next character literal: `a\ b` is one word `a b`.
//!
//! The state machine works on bytes: every character with a meaning
//! (quotes, backslash, separators) is ASCII, so UTF-8 sequences pass
//! through untouched. Escapes can produce arbitrary bytes (`\xff`); systemd
//! would keep such a word as raw bytes, while we need UTF-8, so a word that
//! does not decode to valid UTF-8 is an error ([`ValueError::InvalidUtf8`]).
//! That is the one deliberate difference.
//!
//! C strings end at the first NUL byte; [`Words`] treats a NUL in the input
//! the same way.
//!
//! Main types: [`Words`] (a cursor over a value), [`ExtractFlags`].

use std::ops::BitOr;

use super::error::ValueError;

/// systemd's `WHITESPACE`: the default separator set.
pub const WHITESPACE: &str = " \t\n\r";

/// Behaviour switches of [`Words::next_word`], named after systemd's
/// `EXTRACT_*` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtractFlags(u16);

impl ExtractFlags {
    pub const NONE: ExtractFlags = ExtractFlags(0);
    pub const RELAX: ExtractFlags = ExtractFlags(1 << 0);
    pub const CUNESCAPE: ExtractFlags = ExtractFlags(1 << 1);
    pub const UNESCAPE_RELAX: ExtractFlags = ExtractFlags(1 << 2);
    pub const UNESCAPE_SEPARATORS: ExtractFlags = ExtractFlags(1 << 3);
    pub const KEEP_QUOTE: ExtractFlags = ExtractFlags(1 << 4);
    pub const UNQUOTE: ExtractFlags = ExtractFlags(1 << 5);
    pub const DONT_COALESCE_SEPARATORS: ExtractFlags = ExtractFlags(1 << 6);
    pub const RETAIN_ESCAPE: ExtractFlags = ExtractFlags(1 << 7);
    pub const RETAIN_SEPARATORS: ExtractFlags = ExtractFlags(1 << 8);

    pub fn contains(self, other: ExtractFlags) -> bool {
        self.0 & other.0 == other.0
    }

    fn any(self, other: ExtractFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl BitOr for ExtractFlags {
    type Output = ExtractFlags;
    fn bitor(self, rhs: ExtractFlags) -> ExtractFlags {
        ExtractFlags(self.0 | rhs.0)
    }
}

/// Why a word could not be extracted; mapped to [`ValueError`] by callers
/// that know the whole value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// Quote or trailing backslash left open.
    Unbalanced,
    /// Unknown or refused escape sequence.
    Escape,
}

/// A cursor over a value, handing out one word at a time.
///
/// `None` as the remaining input is systemd's `*p == NULL`: the input has
/// been used up. It differs from an empty remainder, which with
/// [`ExtractFlags::DONT_COALESCE_SEPARATORS`] still yields one empty word
/// (`a,` splits into `a` and ``).
#[derive(Clone, Debug)]
pub struct Words<'a> {
    /// The whole value, for error messages.
    input: &'a str,
    rest: Option<&'a str>,
    separators: &'a str,
    flags: ExtractFlags,
}

impl<'a> Words<'a> {
    /// Split `input` at any character of `separators` (ASCII only; use
    /// [`WHITESPACE`] for the usual case).
    pub fn new(input: &'a str, separators: &'a str, flags: ExtractFlags) -> Words<'a> {
        let input = match input.find('\0') {
            Some(nul) => &input[..nul],
            None => input,
        };
        Words { input, rest: Some(input), separators, flags }
    }

    /// What has not been consumed yet; `None` once the end was reached.
    pub fn rest(&self) -> Option<&'a str> {
        self.rest
    }

    /// Replace the remaining input (used by parsers that look ahead
    /// themselves, like the `;` check of command lines).
    pub fn set_rest(&mut self, rest: Option<&'a str>) {
        self.rest = rest;
    }

    /// The next word, `Ok(None)` at the end. Errors are
    /// [`ValueError::UnbalancedQuoting`], [`ValueError::InvalidEscape`] or
    /// [`ValueError::InvalidUtf8`], each carrying the whole input (as
    /// systemd's messages do). On a quoting or escape error the cursor does
    /// not move; a word that is not UTF-8 has been consumed, so the caller
    /// may skip it and go on.
    pub fn next_word(&mut self) -> Result<Option<String>, ValueError> {
        let saved = self.rest;
        match self.extract(self.flags) {
            Ok(w) => w.map(|bytes| self.to_string(bytes)).transpose(),
            Err(f) => {
                self.rest = saved;
                Err(self.failure(f))
            }
        }
    }

    /// systemd's `extract_first_word_and_warn()`: on an invalid escape the
    /// word is extracted again with [`ExtractFlags::UNESCAPE_RELAX`] (the
    /// backslash is kept) and a [`ValueError::UnknownEscapeIgnored`] is
    /// pushed to `warnings`; only unbalanced quoting remains an error.
    pub fn next_word_relaxed(&mut self, warnings: &mut Vec<ValueError>) -> Result<Option<String>, ValueError> {
        let saved = self.rest;
        if let Ok(w) = self.extract(self.flags) {
            return w.map(|bytes| self.to_string(bytes)).transpose();
        }
        self.rest = saved;
        if !self.flags.contains(ExtractFlags::UNESCAPE_RELAX) {
            if let Ok(w) = self.extract(self.flags | ExtractFlags::UNESCAPE_RELAX) {
                let w = w.map(|bytes| self.to_string(bytes)).transpose()?;
                if let Some(word) = &w {
                    warnings.push(ValueError::UnknownEscapeIgnored(word.clone()));
                }
                return Ok(w);
            }
            self.rest = saved;
        }
        Err(ValueError::UnbalancedQuoting(self.input.to_string()))
    }

    fn to_string(&self, bytes: Vec<u8>) -> Result<String, ValueError> {
        String::from_utf8(bytes).map_err(|_| ValueError::InvalidUtf8(self.input.to_string()))
    }

    fn failure(&self, f: Failure) -> ValueError {
        let text = self.input.to_string();
        match f {
            Failure::Unbalanced => ValueError::UnbalancedQuoting(text),
            Failure::Escape => ValueError::InvalidEscape(text),
        }
    }

    fn is_sep(&self, b: u8) -> bool {
        self.separators.as_bytes().contains(&b)
    }

    /// The state machine of `extract_first_word()`. Positions are byte
    /// indices into the remaining input; `self.rest` is updated on success.
    fn extract(&mut self, flags: ExtractFlags) -> Result<Option<Vec<u8>>, Failure> {
        let Some(input) = self.rest else {
            return Ok(None);
        };
        let s = input.as_bytes();
        let dont_coalesce = flags.contains(ExtractFlags::DONT_COALESCE_SEPARATORS);
        let retain_seps = flags.contains(ExtractFlags::RETAIN_SEPARATORS);
        let retain_escape = flags.contains(ExtractFlags::RETAIN_ESCAPE);
        let quotes = flags.any(ExtractFlags::KEEP_QUOTE | ExtractFlags::UNQUOTE);
        let unquote = flags.contains(ExtractFlags::UNQUOTE);

        // With DONT_COALESCE a word exists even before any character is
        // seen, so a leading separator yields an empty word.
        let out: Option<Vec<u8>> = if dont_coalesce { Some(Vec::new()) } else { None };
        let mut i = 0usize;
        loop {
            let Some(&c) = s.get(i) else {
                self.rest = None;
                return Ok(out);
            };
            if self.is_sep(c) {
                if dont_coalesce {
                    if !retain_seps {
                        i += 1;
                    }
                    self.rest = Some(&input[i..]);
                    return Ok(out);
                }
                i += 1;
                continue;
            }
            break;
        }
        let mut out = out.unwrap_or_default();
        let mut quote: u8 = 0;
        let mut backslash = false;
        loop {
            let c = s.get(i).copied();
            if backslash {
                let Some(c) = c else {
                    if flags.contains(ExtractFlags::UNESCAPE_RELAX)
                        && (quote == 0 || flags.contains(ExtractFlags::RELAX))
                    {
                        out.push(b'\\');
                        self.rest = None;
                        return Ok(Some(out));
                    }
                    if flags.contains(ExtractFlags::RELAX) {
                        self.rest = None;
                        return Ok(Some(out));
                    }
                    return Err(Failure::Unbalanced);
                };
                if flags.any(ExtractFlags::CUNESCAPE | ExtractFlags::UNESCAPE_SEPARATORS) {
                    let decoded = if flags.contains(ExtractFlags::CUNESCAPE) { cunescape_one(&s[i..]) } else { None };
                    if let Some((ch, len)) = decoded {
                        ch.push_to(&mut out);
                        i += len - 1;
                    } else if flags.contains(ExtractFlags::UNESCAPE_SEPARATORS) && (self.is_sep(c) || c == b'\\') {
                        out.push(c);
                    } else if flags.contains(ExtractFlags::UNESCAPE_RELAX) {
                        out.push(b'\\');
                        out.push(c);
                    } else {
                        return Err(Failure::Escape);
                    }
                } else {
                    out.push(c);
                }
                backslash = false;
                i += 1;
                continue;
            }
            if quote != 0 {
                match c {
                    None => {
                        if flags.contains(ExtractFlags::RELAX) {
                            self.rest = None;
                            return Ok(Some(out));
                        }
                        return Err(Failure::Unbalanced);
                    }
                    Some(c) if c == quote => {
                        quote = 0;
                        if !unquote {
                            out.push(c);
                        }
                    }
                    Some(b'\\') if !retain_escape => backslash = true,
                    Some(c) => out.push(c),
                }
                i += 1;
                continue;
            }
            match c {
                None => {
                    self.rest = None;
                    return Ok(Some(out));
                }
                Some(c @ (b'\'' | b'"')) if quotes => {
                    quote = c;
                    if !unquote {
                        out.push(c);
                    }
                }
                Some(b'\\') if !retain_escape => backslash = true,
                Some(c) if self.is_sep(c) => {
                    if dont_coalesce {
                        if !retain_seps {
                            i += 1;
                        }
                        self.rest = Some(&input[i..]);
                        return Ok(Some(out));
                    }
                    if !retain_seps {
                        while s.get(i).is_some_and(|&b| self.is_sep(b)) {
                            i += 1;
                        }
                        if i == s.len() {
                            self.rest = None;
                            return Ok(Some(out));
                        }
                    }
                    self.rest = Some(&input[i..]);
                    return Ok(Some(out));
                }
                Some(c) => out.push(c),
            }
            i += 1;
        }
    }
}

/// Split all of `input` into words (systemd's `strv_split_full()`).
pub fn split(input: &str, separators: &str, flags: ExtractFlags) -> Result<Vec<String>, ValueError> {
    let mut w = Words::new(input, separators, flags);
    let mut out = Vec::new();
    while let Some(word) = w.next_word()? {
        out.push(word);
    }
    Ok(out)
}

/// One decoded escape: a raw byte (`\x..`, octal) or a code point (`\n`,
/// `\u…`). Code points are UTF-8 encoded even when they are surrogates,
/// as systemd does; such bytes then fail the final UTF-8 check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unescaped {
    Byte(u8),
    CodePoint(u32),
}

impl Unescaped {
    fn push_to(self, out: &mut Vec<u8>) {
        match self {
            Unescaped::Byte(b) => out.push(b),
            Unescaped::CodePoint(c) => encode_utf8_raw(c, out),
        }
    }
}

/// UTF-8 encoding that, like systemd's `utf8_encode_unichar()`, does not
/// refuse surrogates.
fn encode_utf8_raw(c: u32, out: &mut Vec<u8>) {
    if c < 0x80 {
        out.push(c as u8);
    } else if c < 0x800 {
        out.push(0xc0 | (c >> 6) as u8);
        out.push(0x80 | (c & 0x3f) as u8);
    } else if c < 0x10000 {
        out.push(0xe0 | (c >> 12) as u8);
        out.push(0x80 | ((c >> 6) & 0x3f) as u8);
        out.push(0x80 | (c & 0x3f) as u8);
    } else {
        out.push(0xf0 | ((c >> 18) & 0x07) as u8);
        out.push(0x80 | ((c >> 12) & 0x3f) as u8);
        out.push(0x80 | ((c >> 6) & 0x3f) as u8);
        out.push(0x80 | (c & 0x3f) as u8);
    }
}

fn hex(b: Option<&u8>) -> Option<u32> {
    b.and_then(|&b| (b as char).to_digit(16))
}

fn oct(b: Option<&u8>) -> Option<u32> {
    b.and_then(|&b| (b as char).to_digit(8))
}

/// systemd's `unichar_is_valid()`.
fn unichar_is_valid(c: u32) -> bool {
    c < 0x110000 && (c & 0xffff_f800) != 0xd800 && !(0xfdd0..=0xfdef).contains(&c) && (c & 0xfffe) != 0xfffe
}

/// `cunescape_one()`: decode the escape whose first character (after the
/// backslash) starts `p`. Returns the value and how many bytes of `p` it
/// used, or `None` for an unknown escape. Escapes that would produce NUL
/// are refused, as systemd refuses them.
fn cunescape_one(p: &[u8]) -> Option<(Unescaped, usize)> {
    let simple = |c: u8| Some((Unescaped::Byte(c), 1));
    match *p.first()? {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0b),
        b'\\' => simple(b'\\'),
        b'"' => simple(b'"'),
        b'\'' => simple(b'\''),
        b's' => simple(b' '),
        b'x' => {
            let v = (hex(p.get(1))? << 4) | hex(p.get(2))?;
            if v == 0 {
                return None;
            }
            Some((Unescaped::Byte(v as u8), 3))
        }
        b'u' => {
            let mut v = 0u32;
            for k in 1..=4 {
                v = (v << 4) | hex(p.get(k))?;
            }
            if v == 0 {
                return None;
            }
            Some((Unescaped::CodePoint(v), 5))
        }
        b'U' => {
            let mut v = 0u32;
            for k in 1..=8 {
                v = (v << 4) | hex(p.get(k))?;
            }
            if v == 0 || !unichar_is_valid(v) {
                return None;
            }
            Some((Unescaped::CodePoint(v), 9))
        }
        b'0'..=b'7' => {
            let v = (oct(p.first())? << 6) | (oct(p.get(1))? << 3) | oct(p.get(2))?;
            if v == 0 || v > 255 {
                return None;
            }
            Some((Unescaped::Byte(v as u8), 3))
        }
        _ => None,
    }
}

/// systemd's `cunescape(s, 0)`: decode every C escape of `s`. Unknown
/// escapes and a trailing backslash are errors.
pub fn cunescape(s: &str) -> Result<String, ValueError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let Some((ch, len)) = cunescape_one(&b[i + 1..]) else {
            return Err(ValueError::InvalidEscape(s.to_string()));
        };
        ch.push_to(&mut out);
        i += 1 + len;
    }
    String::from_utf8(out).map_err(|_| ValueError::InvalidUtf8(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UQ: ExtractFlags = ExtractFlags::UNQUOTE;

    fn words(s: &str, flags: ExtractFlags) -> Result<Vec<String>, ValueError> {
        split(s, WHITESPACE, flags)
    }

    #[test]
    fn blanks_and_quotes() {
        assert_eq!(words("  a  b\tc ", UQ).unwrap(), ["a", "b", "c"]);
        assert_eq!(words("'a b' \"c d\"e", UQ).unwrap(), ["a b", "c de"]);
        assert_eq!(words("a\"b c\"d", UQ).unwrap(), ["ab cd"], "quotes inside a word group too");
        assert_eq!(words("'' x", UQ).unwrap(), ["", "x"], "empty quotes give an empty word");
        assert_eq!(words("\"a b\"", ExtractFlags::KEEP_QUOTE).unwrap(), ["\"a b\""]);
        assert_eq!(words("'a b'", ExtractFlags::NONE).unwrap(), ["'a", "b'"], "no quote flag, no grouping");
        assert!(words("", UQ).unwrap().is_empty());
        assert!(words("   ", UQ).unwrap().is_empty());
    }

    #[test]
    fn unbalanced_quotes() {
        assert_eq!(words("a \"b", UQ), Err(ValueError::UnbalancedQuoting("a \"b".into())));
        assert_eq!(words("a \"b c", UQ | ExtractFlags::RELAX).unwrap(), ["a", "b c"]);
        assert!(words("'a\\", UQ).is_err(), "backslash at end inside quotes");
    }

    #[test]
    fn backslash_without_cunescape_is_literal_next() {
        assert_eq!(words("a\\ b c", UQ).unwrap(), ["a b", "c"]);
        assert_eq!(words("a\\nb", UQ).unwrap(), ["anb"]);
        assert_eq!(words("a\\nb", ExtractFlags::RETAIN_ESCAPE).unwrap(), ["a\\nb"]);
        assert_eq!(words("\"a\\\"b\"", UQ).unwrap(), ["a\"b"]);
        assert!(words("a\\", UQ).is_err(), "trailing backslash");
        assert_eq!(words("a\\", UQ | ExtractFlags::RELAX).unwrap(), ["a"]);
    }

    #[test]
    fn c_escapes() {
        let f = UQ | ExtractFlags::CUNESCAPE;
        assert_eq!(
            words("\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\\s", f).unwrap(),
            ["\x07\x08\x0c\n\r\t\x0b\\\"' "]
        );
        assert_eq!(words("\\x41\\102\\u00e9\\U0001F600", f).unwrap(), ["AB\u{e9}\u{1F600}"]);
        assert_eq!(words("\\303\\251", f).unwrap(), ["é"], "raw bytes that form UTF-8");
        assert!(matches!(words("\\q", f), Err(ValueError::InvalidEscape(_))));
        assert!(matches!(words("\\x00", f), Err(ValueError::InvalidEscape(_))), "NUL refused");
        assert!(matches!(words("\\000", f), Err(ValueError::InvalidEscape(_))));
        assert!(matches!(words("\\u0000", f), Err(ValueError::InvalidEscape(_))));
        assert!(matches!(words("\\400", f), Err(ValueError::InvalidEscape(_))), "octal above 255");
        assert!(matches!(words("\\U00110000", f), Err(ValueError::InvalidEscape(_))));
        assert!(matches!(words("\\x4", f), Err(ValueError::InvalidEscape(_))), "short hex");
        assert!(matches!(words("\\xff", f), Err(ValueError::InvalidUtf8(_))));
        assert!(matches!(words("\\ud800", f), Err(ValueError::InvalidUtf8(_))), "lone surrogate");
        assert_eq!(words("\\q", f | ExtractFlags::UNESCAPE_RELAX).unwrap(), ["\\q"]);
    }

    #[test]
    fn relaxed_retry_warns() {
        let mut warnings = Vec::new();
        let mut w = Words::new("/bin/echo bad\\q x", WHITESPACE, UQ | ExtractFlags::CUNESCAPE);
        assert_eq!(w.next_word_relaxed(&mut warnings).unwrap().as_deref(), Some("/bin/echo"));
        assert_eq!(w.next_word_relaxed(&mut warnings).unwrap().as_deref(), Some("bad\\q"));
        assert_eq!(w.next_word_relaxed(&mut warnings).unwrap().as_deref(), Some("x"));
        assert_eq!(w.next_word_relaxed(&mut warnings).unwrap(), None);
        assert_eq!(warnings, [ValueError::UnknownEscapeIgnored("bad\\q".into())]);
        let mut w = Words::new("\"open", WHITESPACE, UQ | ExtractFlags::CUNESCAPE);
        assert!(matches!(w.next_word_relaxed(&mut warnings), Err(ValueError::UnbalancedQuoting(_))));
    }

    #[test]
    fn separators_and_coalescing() {
        assert_eq!(split("a,,b", ",", ExtractFlags::NONE).unwrap(), ["a", "b"]);
        assert_eq!(split("a,,b", ",", ExtractFlags::DONT_COALESCE_SEPARATORS).unwrap(), ["a", "", "b"]);
        assert_eq!(split("5:", ":", ExtractFlags::DONT_COALESCE_SEPARATORS).unwrap(), ["5", ""]);
        assert_eq!(split(":5", ":", ExtractFlags::DONT_COALESCE_SEPARATORS).unwrap(), ["", "5"]);
        assert_eq!(split("a\\,b,c", ",", ExtractFlags::UNESCAPE_SEPARATORS).unwrap(), ["a,b", "c"]);
        assert_eq!(split("1 2,3", " \t\n\r,", UQ).unwrap(), ["1", "2", "3"]);
    }

    #[test]
    fn cursor_rest() {
        let mut w = Words::new("a  b ", WHITESPACE, UQ);
        assert_eq!(w.next_word().unwrap().as_deref(), Some("a"));
        assert_eq!(w.rest(), Some("b "));
        assert_eq!(w.next_word().unwrap().as_deref(), Some("b"));
        assert_eq!(w.rest(), None);
        let mut w = Words::new("a\0b", WHITESPACE, UQ);
        assert_eq!(w.next_word().unwrap().as_deref(), Some("a"), "NUL ends the input like in C");
        assert_eq!(w.next_word().unwrap(), None);
    }

    #[test]
    fn whole_string_unescape() {
        assert_eq!(cunescape("a\\tb\\x41").unwrap(), "a\tbA");
        assert!(cunescape("a\\").is_err());
        assert!(cunescape("\\z").is_err());
    }
}
