//! The terminal side of systemctl's output: colors, glyphs and the pager.
//!
//! - **Colors** (`colors_enabled()` of systemd 252): `SYSTEMD_COLORS`
//!   decides when it is a boolean (or `16`/`256`/`24bit`, meaning on);
//!   otherwise never as PID 1, never with `NO_COLOR` set, never when
//!   `TERM` is unset or `dumb`, and only when stdout and stderr are
//!   terminals. Decided once, before a pager takes stdout over.
//! - **Glyphs**: `●`, `○`, `×`, `↻` and the tree drawing `├─ └─ │` on a
//!   UTF-8 locale, systemd's ASCII stand-ins otherwise.
//! - **Pager** (`pager_open()`): never with `--no-pager` or when stdout is
//!   not a terminal (or `TERM` is unset or `dumb`); the command is
//!   `SYSTEMD_PAGER`, else `PAGER` (split into words; empty or `cat`
//!   means no pager), then `pager`, `less`, `more`, the first that starts.
//!   The pager gets `LESS=FRSXMK` (or `SYSTEMD_LESS`) and
//!   `LESSCHARSET=utf-8` on a UTF-8 locale (or `SYSTEMD_LESSCHARSET`), as
//!   systemd sets them. Our stdout becomes the pager's input until
//!   [`Pager::close`], which waits for the pager to end.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use super::context::{env_bool, locale_is_utf8};

fn isatty(fd: i32) -> bool {
    // SAFETY: isatty(3) on a plain descriptor number.
    unsafe { libc::isatty(fd) == 1 }
}

fn on_tty() -> bool {
    static T: OnceLock<bool> = OnceLock::new();
    *T.get_or_init(|| isatty(1) && isatty(2))
}

/// `columns()`: `COLUMNS` when set, else the terminal's width, else 80.
/// Decided once, before a pager takes stdout over.
pub fn columns() -> usize {
    static W: OnceLock<usize> = OnceLock::new();
    *W.get_or_init(|| {
        if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).filter(|n| *n > 0) {
            return n;
        }
        // SAFETY: TIOCGWINSZ fills a winsize struct we own.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        if unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0 && ws.ws_col > 0 {
            return ws.ws_col as usize;
        }
        80
    })
}

/// `terminal_is_dumb()`: not on a terminal, or `TERM` unset or `dumb`.
fn terminal_is_dumb() -> bool {
    !on_tty() || std::env::var("TERM").map_or(true, |t| t == "dumb")
}

/// Whether output is colored (see the module essay).
pub fn colors_enabled() -> bool {
    static C: OnceLock<bool> = OnceLock::new();
    *C.get_or_init(|| {
        if let Ok(v) = std::env::var("SYSTEMD_COLORS") {
            if let Some(b) = env_bool("SYSTEMD_COLORS") {
                return b;
            }
            if matches!(v.as_str(), "16" | "256" | "24bit") {
                return true;
            }
        }
        if std::process::id() == 1 || std::env::var_os("NO_COLOR").is_some() {
            return false;
        }
        !terminal_is_dumb()
    })
}

/// ANSI sequences systemd uses (`ansi_highlight_*()`), empty when colors
/// are off.
pub mod ansi {
    pub const GREEN: &str = "\x1b[0;1;32m";
    pub const RED: &str = "\x1b[0;1;31m";
    pub const HIGHLIGHT: &str = "\x1b[0;1;39m";
    /// `ANSI_HIGHLIGHT_YELLOW`, the 256-color form systemctl picks on a
    /// color terminal.
    pub const HIGHLIGHT_YELLOW: &str = "\x1b[0;1;38;5;185m";
    pub const NORMAL: &str = "\x1b[0m";
}

/// `text` wrapped in `color` when colors are on.
pub fn paint(color: &str, text: &str) -> String {
    if colors_enabled() && !color.is_empty() {
        format!("{color}{text}{}", ansi::NORMAL)
    } else {
        text.to_string()
    }
}

/// The glyphs systemd draws, UTF-8 or ASCII.
#[derive(Clone, Copy, Debug)]
pub struct Glyphs {
    utf8: bool,
}

impl Glyphs {
    pub fn detect() -> Glyphs {
        Glyphs { utf8: locale_is_utf8() }
    }

    pub fn is_utf8(self) -> bool {
        self.utf8
    }

    fn pick(self, u: &'static str, a: &'static str) -> &'static str {
        if self.utf8 {
            u
        } else {
            a
        }
    }

    /// `unit_active_state_to_glyph()`.
    pub fn state(self, active: &str) -> &'static str {
        match active {
            "active" | "activating" | "deactivating" => self.pick("●", "*"),
            "reloading" => self.pick("↻", "<>"),
            "failed" => self.pick("×", "x"),
            _ => self.pick("○", "*"),
        }
    }

    pub fn black_circle(self) -> &'static str {
        self.pick("●", "*")
    }

    pub fn tree_vertical(self) -> &'static str {
        self.pick("│ ", "| ")
    }

    pub fn tree_branch(self) -> &'static str {
        self.pick("├─", "|-")
    }

    pub fn tree_right(self) -> &'static str {
        self.pick("└─", "`-")
    }

    pub fn tree_space(self) -> &'static str {
        "  "
    }
}

/// The color of an active state (`format_active_state()`).
pub fn state_color(active: &str) -> &'static str {
    match active {
        "active" | "reloading" => ansi::GREEN,
        "failed" => ansi::RED,
        _ => "",
    }
}

/// A running pager; [`Pager::close`] ends it.
pub struct Pager {
    child: Option<Child>,
    saved: Option<OwnedFd>,
}

impl Pager {
    /// No pager (for verbs that do not page).
    pub fn none() -> Pager {
        Pager { child: None, saved: None }
    }

    /// Start the pager if systemctl would (see the module essay).
    pub fn open(no_pager: bool) -> Pager {
        // Decide colors and width while stdout is still the terminal.
        let _ = colors_enabled();
        let _ = columns();
        if no_pager || terminal_is_dumb() {
            return Pager::none();
        }
        let configured = ["SYSTEMD_PAGER", "PAGER"].iter().find_map(|v| std::env::var(v).ok());
        let mut candidates: Vec<Vec<String>> = Vec::new();
        if let Some(p) = configured {
            if p.is_empty() || p == "cat" {
                return Pager::none();
            }
            candidates.push(p.split_whitespace().map(str::to_string).collect());
        }
        // Then Debian's alternative, less and more, as systemd tries them.
        candidates.extend(["pager", "less", "more"].iter().map(|p| vec![p.to_string()]));
        for words in candidates {
            let Some(prog) = words.first() else { continue };
            let mut cmd = Command::new(prog);
            cmd.args(&words[1..]).stdin(Stdio::piped());
            // systemd sets these for the pager unconditionally.
            cmd.env("LESS", std::env::var("SYSTEMD_LESS").unwrap_or_else(|_| "FRSXMK".into()));
            match std::env::var("SYSTEMD_LESSCHARSET") {
                Ok(c) => {
                    cmd.env("LESSCHARSET", c);
                }
                Err(_) if locale_is_utf8() => {
                    cmd.env("LESSCHARSET", "utf-8");
                }
                Err(_) => {}
            }
            let Ok(mut child) = cmd.spawn() else { continue };
            let Some(stdin) = child.stdin.take() else { continue };
            let _ = std::io::stdout().flush();
            let saved = nix::unistd::dup(1).ok().map(|fd| {
                // SAFETY: dup() just returned this descriptor; we own it.
                unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) }
            });
            // SAFETY: dup2 of a live pipe descriptor over stdout.
            unsafe { libc::dup2(stdin.as_raw_fd(), 1) };
            drop(stdin);
            // A pager the user quits early closes the pipe: end quietly
            // on the next write, as a classic filter does, instead of
            // reporting the broken pipe.
            // SAFETY: restoring the default disposition of one signal.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
            return Pager { child: Some(child), saved };
        }
        Pager::none()
    }

    /// Give stdout back, let the pager see the end of its input and wait
    /// until the user quits it.
    pub fn close(mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = std::io::stdout().flush();
        if let Some(saved) = self.saved.take() {
            // SAFETY: restores our original stdout over the pipe's end.
            unsafe { libc::dup2(saved.as_raw_fd(), 1) };
        }
        let _ = child.wait();
    }
}
