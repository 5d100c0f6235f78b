//! `Condition…=` and `Assert…=` prefixes (`systemd.unit(5)`, "CONDITIONS
//! AND ASSERTS").
//!
//! A value may start with `|` (a *triggering* condition: at least one of
//! them must hold) and then `!` (negation), in that order, each optionally
//! followed by blanks. What remains is the check's argument, specifier
//! expanded; whether it must be a path, a number or a word depends on the
//! check and is left to the caller. `!|foo` is a negated check of `|foo`,
//! as in systemd.

use super::error::ValueError;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Condition {
    /// `|`: triggering.
    pub trigger: bool,
    /// `!`: negated.
    pub negate: bool,
    /// The argument after the prefixes, specifiers expanded.
    pub arg: Box<str>,
}

fn skip_blanks(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// Split off the prefixes of a condition value and expand the rest.
pub fn parse_condition(
    raw: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Condition, ValueError> {
    let mut p = raw;
    let trigger = p.starts_with('|');
    if trigger {
        p = skip_blanks(&p[1..]);
    }
    let negate = p.starts_with('!');
    if negate {
        p = skip_blanks(&p[1..]);
    }
    let arg = expand(p).map_err(|reason| ValueError::Specifier { text: p.to_string(), reason })?;
    Ok(Condition { trigger, negate, arg: arg.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(raw: &str) -> Condition {
        parse_condition(raw, &mut |s: &str| Ok(s.replace("%n", "x.service"))).unwrap()
    }

    #[test]
    fn prefixes() {
        assert_eq!(cond("/etc/foo"), Condition { trigger: false, negate: false, arg: "/etc/foo".into() });
        assert_eq!(cond("!/etc/foo"), Condition { trigger: false, negate: true, arg: "/etc/foo".into() });
        assert_eq!(cond("|/etc/foo"), Condition { trigger: true, negate: false, arg: "/etc/foo".into() });
        assert_eq!(cond("| ! /etc/foo"), Condition { trigger: true, negate: true, arg: "/etc/foo".into() });
    }

    #[test]
    fn order_matters() {
        assert_eq!(cond("!|foo"), Condition { trigger: false, negate: true, arg: "|foo".into() });
        assert_eq!(cond("!!foo"), Condition { trigger: false, negate: true, arg: "!foo".into() });
    }

    #[test]
    fn specifiers_and_errors() {
        assert_eq!(&*cond("|/run/%n").arg, "/run/x.service");
        assert_eq!(&*cond("|").arg, "");
        let r = parse_condition("!%q", &mut |_: &str| Err("bad".to_string()));
        assert_eq!(r, Err(ValueError::Specifier { text: "%q".into(), reason: "bad".into() }));
    }
}
