//! What the install logic knows about one unit name, and the set of names
//! one operation works on.
//!
//! An [`Info`] is systemd's `InstallInfo`: a name, where its file was found,
//! what kind of file that is ([`Mode`]), and the `[Install]` lists read from
//! it and its drop-ins. A [`Context`] is `InstallContext`: the names still
//! to process, in the order they were added (`Also=` appends to the end, so
//! `enable ssh.service` processes `ssh.socket` after `ssh.service`), and the
//! names already processed. A name is in a context once; asking for it again
//! returns the same entry. Entries live in an arena and are addressed by
//! index, so that following an alias can hand back "the other entry" the
//! way systemd hands back a pointer.
//!
//! The `[Install]` parser here is systemd's `unit_file_load()` table: five
//! keys (`systemd.unit(5)`, "\[Install\] Section Options": `Alias=`,
//! `WantedBy=`, `RequiredBy=`, `Also=`, `DefaultInstance=`) — `UpheldBy=`
//! does not exist in systemd 252 and is reported as an unknown key. Other
//! known sections are skipped silently; unknown ones and unknown keys are
//! warned about with systemd's wording, as `systemctl` prints them.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use super::errno::Errno;
use super::fsutil::basename;
use super::names;

/// What the file behind a name is (`InstallMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A real unit file.
    Regular,
    /// A symlink to a file outside the search path (`systemctl link`).
    Linked,
    /// A symlink to another name inside the search path.
    Alias,
    /// `/dev/null` or an empty file.
    Masked,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Info {
    pub name: String,
    /// Where the file was found, inside the root.
    pub path: Option<PathBuf>,
    pub aliases: Vec<String>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
    /// Where a symlink (`Linked`/`Alias`) resolves to, inside the root.
    pub symlink_target: Option<PathBuf>,
    /// `None` until the file has been looked at.
    pub mode: Option<Mode>,
    /// Pulled in by `Also=`: failing to find it is not fatal.
    pub auxiliary: bool,
}

impl Info {
    pub(crate) fn new(name: String, path: Option<PathBuf>, auxiliary: bool) -> Info {
        Info { name, path, auxiliary, ..Info::default() }
    }

    /// `install_info_has_rules()`.
    pub(crate) fn has_rules(&self) -> bool {
        !self.aliases.is_empty() || !self.wanted_by.is_empty() || !self.required_by.is_empty()
    }
}

/// `InstallContext`.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub infos: Vec<Info>,
    by_name: HashMap<String, usize>,
    will: VecDeque<usize>,
}

impl Context {
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// `install_info_add()`: the entry for `name` (or the basename of
    /// `path`), created at the end of the to-do list if new. Returns the
    /// index and whether it was created.
    pub(crate) fn add(
        &mut self,
        name: Option<&str>,
        path: Option<PathBuf>,
        auxiliary: bool,
    ) -> Result<(usize, bool), Errno> {
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let p = path.as_ref().ok_or(Errno::EINVAL)?;
                basename(&p.to_string_lossy()).to_string()
            }
        };
        if !names::is_valid(&name, names::ANY) {
            return Err(Errno::EINVAL);
        }
        if let Some(i) = self.find(&name) {
            let info = &mut self.infos[i];
            info.auxiliary = info.auxiliary && auxiliary;
            return Ok((i, false));
        }
        let i = self.infos.len();
        self.infos.push(Info::new(name.clone(), path, auxiliary));
        self.by_name.insert(name, i);
        self.will.push_back(i);
        Ok((i, true))
    }

    /// Take the oldest entry off the to-do list (it stays findable, as
    /// systemd moves it to `have_processed`).
    pub(crate) fn next_todo(&mut self) -> Option<usize> {
        self.will.pop_front()
    }

}

/// Which `extract_first_word()` flags a caller uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// `EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE` (`config_parse_strv`): quotes
    /// group and are removed, backslashes are ordinary characters.
    UnquoteRetainEscape,
    /// No flags (`Also=`): quotes are ordinary, a backslash escapes the
    /// next character and is dropped.
    Plain,
    /// `EXTRACT_RETAIN_ESCAPE` (preset lines): only whitespace separates.
    RetainEscape,
}

/// `extract_first_word()` with systemd's WHITESPACE separators. Returns the
/// word and the rest (`None` once the input is used up), or `EINVAL` for an
/// unterminated quote or a trailing backslash.
pub(crate) fn extract_word(s: &str, how: Split) -> Result<Option<(String, Option<&str>)>, Errno> {
    let is_sep = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let start = match s.find(|c: char| !is_sep(c)) {
        Some(i) => i,
        None => return Ok(None),
    };
    let rest = &s[start..];
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut backslash = false;
    for (i, c) in rest.char_indices() {
        if backslash {
            word.push(c);
            backslash = false;
            continue;
        }
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                word.push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' if how == Split::UnquoteRetainEscape => quote = Some(c),
            '\\' if how == Split::Plain => backslash = true,
            c if is_sep(c) => {
                let after = &rest[i..];
                let next = after.find(|c: char| !is_sep(c)).map(|j| &after[j..]);
                return Ok(Some((word, next)));
            }
            c => word.push(c),
        }
    }
    if backslash || quote.is_some() {
        return Err(Errno::EINVAL);
    }
    Ok(Some((word, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str, how: Split) -> Result<Vec<String>, Errno> {
        let mut out = Vec::new();
        let mut cur = Some(s);
        while let Some(c) = cur {
            match extract_word(c, how)? {
                Some((w, rest)) => {
                    out.push(w);
                    cur = rest;
                }
                None => break,
            }
        }
        Ok(out)
    }

    #[test]
    fn word_splitting_like_systemd() {
        assert_eq!(words("  a  b\tc ", Split::UnquoteRetainEscape).unwrap(), ["a", "b", "c"]);
        assert_eq!(words("\"a b\" 'c'd", Split::UnquoteRetainEscape).unwrap(), ["a b", "cd"]);
        assert_eq!(words("a\\x2d.service", Split::UnquoteRetainEscape).unwrap(), ["a\\x2d.service"]);
        assert_eq!(words("\"a", Split::UnquoteRetainEscape), Err(Errno::EINVAL));
        assert_eq!(words("a\\ b \"c\"", Split::Plain).unwrap(), ["a b", "\"c\""]);
        assert_eq!(words("a\\", Split::Plain), Err(Errno::EINVAL));
        assert!(words("   ", Split::Plain).unwrap().is_empty());
    }

    #[test]
    fn context_keeps_order_and_identity() {
        let mut c = Context::default();
        let (a, new) = c.add(Some("a.service"), None, true).unwrap();
        assert!(new);
        let (b, _) = c.add(None, Some(PathBuf::from("/x/b.service")), false).unwrap();
        let (a2, new2) = c.add(Some("a.service"), None, false).unwrap();
        assert_eq!((a, new2), (a2, false));
        assert!(!c.infos[a].auxiliary);
        assert_eq!(c.add(Some("bad"), None, false), Err(Errno::EINVAL));
        assert_eq!(c.next_todo(), Some(a));
        assert_eq!(c.next_todo(), Some(b));
        assert_eq!(c.next_todo(), None);
        assert_eq!(c.find("b.service"), Some(b));
    }
}
