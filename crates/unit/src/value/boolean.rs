//! Booleans, as systemd's `parse_boolean()` reads them (`systemd.syntax(7)`:
//! "boolean values … 1, yes, true and on … 0, no, false and off").
//!
//! Case does not matter; the one-letter forms `y`, `t`, `n`, `f` are
//! accepted too although the man page does not list them. Nothing else is:
//! no blanks, no `enable`, no numbers other than `0` and `1`.

use super::error::ValueError;

const TRUE: [&str; 6] = ["1", "yes", "y", "true", "t", "on"];
const FALSE: [&str; 6] = ["0", "no", "n", "false", "f", "off"];

/// `parse_boolean()`.
pub fn parse_boolean(s: &str) -> Result<bool, ValueError> {
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Ok(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(s)) {
        Ok(false)
    } else {
        Err(ValueError::Bool(s.to_string()))
    }
}

/// How systemd prints a boolean (`yes_no()`).
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_true_spelling() {
        for s in ["1", "yes", "y", "true", "t", "on", "YES", "Y", "True", "T", "ON", "oN"] {
            assert_eq!(parse_boolean(s), Ok(true), "{s}");
        }
    }

    #[test]
    fn every_false_spelling() {
        for s in ["0", "no", "n", "false", "f", "off", "NO", "N", "FALSE", "F", "Off"] {
            assert_eq!(parse_boolean(s), Ok(false), "{s}");
        }
    }

    #[test]
    fn rejects_near_misses() {
        for s in ["", " yes", "yes ", "2", "01", "enable", "ye", "o", "tru", "nope", "-1", "on\n"] {
            assert_eq!(parse_boolean(s), Err(ValueError::Bool(s.to_string())), "{s:?}");
        }
    }

    #[test]
    fn prints_like_systemd() {
        assert_eq!(yes_no(true), "yes");
        assert_eq!(yes_no(false), "no");
    }
}
