//! The comparison language shared by `ConditionKernelVersion=`,
//! `ConditionOSRelease=`, `ConditionFirmware=smbios-field(…)`,
//! `ConditionMemory=` and `ConditionCPUs=` (`systemd.unit(5)`), and the
//! shell-style patterns of `ConditionHost=`, `ConditionPathExistsGlob=`
//! and the `$=` operator.
//!
//! Operators are matched longest-first in systemd's order: `$=` `!$=`
//! (patterns, where allowed), `<>` `<=` `>=` `<` `>` `==`, then `=` and `!=`
//! — which compare plain strings where "equal by string" is asked for
//! (`OSRelease`, `KernelVersion`) and versions otherwise. Versions compare
//! with `strverscmp_improved()`: numeric and alphabetic segments, `~`
//! sorts before everything, `-` before `^` before `.`, longer is newer.

/// A comparison operator (`CompareOperator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    StringEqual,
    StringUnequal,
    FnmatchEqual,
    FnmatchUnequal,
    LowerOrEqual,
    GreaterOrEqual,
    Lower,
    Greater,
    Equal,
    Unequal,
}

/// `COMPARE_ALLOW_FNMATCH` / `COMPARE_EQUAL_BY_STRING`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpFlags {
    pub fnmatch: bool,
    pub equal_by_string: bool,
}

/// The characters operators are made of (`COMPARE_OPERATOR_WITH_FNMATCH_CHARS`).
pub const OPERATOR_CHARS: &[char] = &['!', '<', '=', '>', '$'];

/// A pattern operator (`$=`, `!$=`) where none is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatternNotAllowed;

/// `parse_compare_operator()`: the operator at the start of `s` and the
/// rest.
pub fn parse_operator(s: &str, flags: OpFlags) -> Result<Option<(Op, &str)>, PatternNotAllowed> {
    const TABLE: [(Op, &str, u8); 12] = [
        (Op::FnmatchEqual, "$=", 1),
        (Op::FnmatchUnequal, "!$=", 1),
        (Op::Unequal, "<>", 0),
        (Op::LowerOrEqual, "<=", 0),
        (Op::GreaterOrEqual, ">=", 0),
        (Op::Lower, "<", 0),
        (Op::Greater, ">", 0),
        (Op::Equal, "==", 0),
        (Op::StringEqual, "=", 2),
        (Op::Equal, "=", 0),
        (Op::StringUnequal, "!=", 2),
        (Op::Unequal, "!=", 0),
    ];
    for (op, text, need) in TABLE {
        if need == 2 && !flags.equal_by_string {
            continue;
        }
        if let Some(rest) = s.strip_prefix(text) {
            if need == 1 && !flags.fnmatch {
                return Err(PatternNotAllowed);
            }
            return Ok(Some((op, rest)));
        }
    }
    Ok(None)
}

/// `test_order()`: an ordering against an order operator.
pub fn test_order(ord: std::cmp::Ordering, op: Op) -> Option<bool> {
    use std::cmp::Ordering::*;
    Some(match op {
        Op::Lower => ord == Less,
        Op::LowerOrEqual => ord != Greater,
        Op::Equal => ord == Equal,
        Op::Unequal => ord != Equal,
        Op::GreaterOrEqual => ord != Less,
        Op::Greater => ord == Greater,
        _ => return None,
    })
}

/// `version_or_fnmatch_compare(op, actual, expected)`.
pub fn version_or_fnmatch(op: Op, actual: &str, expected: &str) -> bool {
    match op {
        Op::StringEqual => actual == expected,
        Op::StringUnequal => actual != expected,
        Op::FnmatchEqual => fnmatch(expected, actual, MatchFlags::default()),
        Op::FnmatchUnequal => !fnmatch(expected, actual, MatchFlags::default()),
        _ => test_order(strverscmp_improved(actual, expected), op).unwrap_or(false),
    }
}

fn valid_version_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.')
}

/// systemd's `strverscmp_improved()`.
pub fn strverscmp_improved(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let at = |s: &[u8], k: usize| s.get(k).copied().unwrap_or(0);
    loop {
        while at(a, i) != 0 && !valid_version_char(at(a, i)) {
            i += 1;
        }
        while at(b, j) != 0 && !valid_version_char(at(b, j)) {
            j += 1;
        }
        for sep in [b'~', b'-', b'^', b'.'] {
            if sep == b'-' && (at(a, i) == 0 || at(b, j) == 0) {
                // After '~': one string ended, the longer one is newer.
                return at(a, i).cmp(&at(b, j));
            }
            if at(a, i) == sep || at(b, j) == sep {
                let r = (at(a, i) != sep).cmp(&(at(b, j) != sep));
                if r != Ordering::Equal {
                    return r;
                }
                i += 1;
                j += 1;
            }
        }
        if at(a, i).is_ascii_digit() || at(b, j).is_ascii_digit() {
            let (ia, jb) = (i, j);
            let mut ea = i;
            while at(a, ea).is_ascii_digit() {
                ea += 1;
            }
            let mut eb = j;
            while at(b, eb).is_ascii_digit() {
                eb += 1;
            }
            let r = (ea != ia).cmp(&(eb != jb));
            if r != Ordering::Equal {
                return r;
            }
            while at(a, i) == b'0' && i < ea {
                i += 1;
            }
            while at(b, j) == b'0' && j < eb {
                j += 1;
            }
            let r = (ea - i).cmp(&(eb - j));
            if r != Ordering::Equal {
                return r;
            }
            let r = a.get(i..ea).cmp(&b.get(j..eb));
            if r != Ordering::Equal {
                return r;
            }
            i = ea;
            j = eb;
        } else {
            let mut ea = i;
            while at(a, ea).is_ascii_alphabetic() {
                ea += 1;
            }
            let mut eb = j;
            while at(b, eb).is_ascii_alphabetic() {
                eb += 1;
            }
            let n = (ea - i).min(eb - j);
            let r = a.get(i..i + n).cmp(&b.get(j..j + n));
            if r != Ordering::Equal {
                return r;
            }
            let r = (ea - i).cmp(&(eb - j));
            if r != Ordering::Equal {
                return r;
            }
            i = ea;
            j = eb;
        }
    }
}

/// `fnmatch()` flags we need.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatchFlags {
    /// `FNM_CASEFOLD`.
    pub casefold: bool,
    /// `FNM_PATHNAME | FNM_PERIOD` as `glob()` matches one file name:
    /// wildcards never match a leading `.`.
    pub file_name: bool,
}

/// A bracket expression at `p[i]` (just after `[`): whether it matches
/// `c`, and the index after its `]`; `None` if unterminated (then `[` is a
/// literal).
fn bracket(p: &[char], mut i: usize, c: char, casefold: bool) -> Option<(bool, usize)> {
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let fold = |x: char| if casefold { x.to_ascii_lowercase() } else { x };
    let c = fold(c);
    let mut matched = false;
    let mut first = true;
    loop {
        let &ch = p.get(i)?;
        if ch == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if ch == '[' && p.get(i + 1) == Some(&':') {
            let rest: String = p.get(i + 2..)?.iter().collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                let hit = match class {
                    "alpha" => c.is_alphabetic(),
                    "digit" => c.is_ascii_digit(),
                    "alnum" => c.is_alphanumeric(),
                    "upper" => c.is_uppercase() || (casefold && c.is_lowercase()),
                    "lower" => c.is_lowercase() || (casefold && c.is_uppercase()),
                    "space" => c.is_whitespace(),
                    "blank" => c == ' ' || c == '\t',
                    "punct" => c.is_ascii_punctuation(),
                    "xdigit" => c.is_ascii_hexdigit(),
                    "cntrl" => c.is_control(),
                    "print" => !c.is_control(),
                    "graph" => !c.is_control() && c != ' ',
                    _ => return None,
                };
                matched |= hit;
                i += 2 + class.chars().count() + 2;
                continue;
            }
        }
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&n| n != ']') {
            let mut hi = *p.get(i + 1)?;
            i += 2;
            if hi == '\\' {
                hi = *p.get(i)?;
                i += 1;
            }
            if fold(lo) <= c && c <= fold(hi) {
                matched = true;
            }
        } else if fold(lo) == c {
            matched = true;
        }
    }
}

/// `fnmatch(pattern, text, flags) == 0`.
pub fn fnmatch(pattern: &str, text: &str, flags: MatchFlags) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    match_from(&p, 0, &t, 0, flags)
}

fn match_from(p: &[char], mut pi: usize, t: &[char], mut ti: usize, flags: MatchFlags) -> bool {
    let eq = |a: char, b: char| if flags.casefold { a.eq_ignore_ascii_case(&b) } else { a == b };
    let leading_dot = |ti: usize| flags.file_name && ti == 0 && t.first() == Some(&'.');
    while pi < p.len() {
        match p[pi] {
            '*' => {
                if leading_dot(ti) {
                    return false;
                }
                while p.get(pi) == Some(&'*') {
                    pi += 1;
                }
                if pi == p.len() {
                    return !flags.file_name || !t[ti..].contains(&'/');
                }
                for k in ti..=t.len() {
                    if match_from(p, pi, t, k, flags) {
                        return true;
                    }
                    if flags.file_name && t.get(k) == Some(&'/') {
                        break;
                    }
                }
                return false;
            }
            '?' => {
                if ti >= t.len() || leading_dot(ti) || (flags.file_name && t[ti] == '/') {
                    return false;
                }
                pi += 1;
                ti += 1;
            }
            '[' => {
                let Some(&c) = t.get(ti) else { return false };
                match bracket(p, pi + 1, c, flags.casefold) {
                    Some((hit, next)) => {
                        if !hit || leading_dot(ti) {
                            return false;
                        }
                        pi = next;
                        ti += 1;
                    }
                    None => {
                        if !eq('[', c) {
                            return false;
                        }
                        pi += 1;
                        ti += 1;
                    }
                }
            }
            '\\' if pi + 1 < p.len() => {
                if ti >= t.len() || !eq(p[pi + 1], t[ti]) {
                    return false;
                }
                pi += 2;
                ti += 1;
            }
            c => {
                if ti >= t.len() || !eq(c, t[ti]) {
                    return false;
                }
                pi += 1;
                ti += 1;
            }
        }
    }
    ti == t.len()
}

/// Whether a glob pattern has any magic (`*?[`).
pub fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `GLOB_BRACE` expansion: `a{b,c}d` → `abd`, `acd`, nested braces too.
/// An unbalanced `{` stays literal.
pub fn expand_braces(pattern: &str) -> Vec<String> {
    let b = pattern.as_bytes();
    let mut depth = 0;
    let mut open = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\\' => continue,
            b'{' => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let Some(o) = open else { break };
                    let (head, body, tail) = (&pattern[..o], &pattern[o + 1..i], &pattern[i + 1..]);
                    let mut alternatives = Vec::new();
                    let mut d = 0;
                    let mut last = 0;
                    for (k, ch) in body.char_indices() {
                        match ch {
                            '{' => d += 1,
                            '}' => d -= 1,
                            ',' if d == 0 => {
                                alternatives.push(&body[last..k]);
                                last = k + 1;
                            }
                            _ => {}
                        }
                    }
                    alternatives.push(&body[last..]);
                    return alternatives
                        .into_iter()
                        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
                        .collect();
                }
            }
            _ => {}
        }
    }
    vec![pattern.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn versions_like_systemd() {
        let ordered = [
            "122.1", "123~rc1-1", "123", "123-a", "123-a.1", "123-1", "123-1.1", "123^post1", "123.a-1", "123.1-1",
            "123a-1", "124-1",
        ];
        for w in ordered.windows(2) {
            assert_eq!(strverscmp_improved(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
            assert_eq!(strverscmp_improved(w[1], w[0]), Greater, "{} > {}", w[1], w[0]);
        }
        assert_eq!(strverscmp_improved("00123", "123"), Equal);
        assert_eq!(strverscmp_improved("123_a", "123a"), Equal);
        assert_eq!(strverscmp_improved("6.1.0-18-amd64", "6.1"), Greater);
        assert_eq!(strverscmp_improved("", ""), Equal);
    }

    #[test]
    fn operators() {
        let f = OpFlags { fnmatch: true, equal_by_string: true };
        assert_eq!(parse_operator(">=5", f), Ok(Some((Op::GreaterOrEqual, "5"))));
        assert_eq!(parse_operator("!$=x*", f), Ok(Some((Op::FnmatchUnequal, "x*"))));
        assert_eq!(parse_operator("=5", f), Ok(Some((Op::StringEqual, "5"))));
        assert_eq!(parse_operator("=5", OpFlags::default()), Ok(Some((Op::Equal, "5"))));
        assert_eq!(parse_operator("$=5", OpFlags::default()), Err(PatternNotAllowed));
        assert_eq!(parse_operator("5", f), Ok(None));
        assert!(version_or_fnmatch(Op::Greater, "6.1.0-18-amd64", "5.10"));
        assert!(version_or_fnmatch(Op::FnmatchEqual, "6.1.0-18-amd64", "6.*"));
    }

    #[test]
    fn patterns() {
        let d = MatchFlags::default();
        assert!(fnmatch("a*c", "abbbc", d));
        assert!(fnmatch("a?c", "abc", d));
        assert!(!fnmatch("a?c", "ac", d));
        assert!(fnmatch("[a-c]x", "bx", d));
        assert!(fnmatch("[!a-c]x", "dx", d));
        assert!(fnmatch("[]]", "]", d));
        assert!(fnmatch("[[:digit:]]*", "5abc", d));
        assert!(fnmatch("a\\*", "a*", d));
        assert!(fnmatch("[", "[", d));
        assert!(!fnmatch("HOST", "host", d));
        assert!(fnmatch("HOST*", "host-1", MatchFlags { casefold: true, file_name: false }));
        let f = MatchFlags { casefold: false, file_name: true };
        assert!(!fnmatch("*", ".hidden", f));
        assert!(fnmatch(".*", ".hidden", f));
        assert_eq!(expand_braces("a{b,c{d,e}}f"), ["abf", "acdf", "acef"]);
        assert_eq!(expand_braces("a{b"), ["a{b"]);
    }
}
