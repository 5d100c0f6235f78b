//! Link the unwinder into the binary instead of loading `libgcc_s.so.1`.
//!
//! Every `systemctl is-active x` is a fresh process, and a control round
//! trip within 1 ms is a target of its own (issue 8). On glibc targets
//! Rust's std links the unwinder (`_Unwind_Backtrace`, `_Unwind_Resume`…)
//! from the shared `libgcc_s.so.1` unless the whole binary is static. That
//! costs every start of the binary one more library for the dynamic loader
//! to find, open, map and relocate, and one more object searched by each of
//! the ~250 symbol look-ups of `-z now` binding: for `is-active` 36 k of
//! 395 k instructions, 9 of 50 syscalls and 9 page faults (callgrind,
//! `strace -c`, `perf stat -e page-faults`; see the commit that added this
//! file).
//!
//! Naming the static archive `libgcc_eh.a` (GCC's own unwinder, what
//! `-static-libgcc` and std's `crt-static` build use) as a library of this
//! crate puts it on the link line before std's `-lgcc_s`: the unwinder's
//! symbols are then defined when the linker reaches `-lgcc_s`, which
//! `--as-needed` (rustc's default) leaves out. Why this is safe: the only
//! code that unwinds is this binary's own (release builds abort on panic,
//! test builds unwind through Rust frames only); no C++ library or other
//! shared object with its own unwinder is linked in, so there is no second
//! unwinder with its own frame registry to disagree with. Frames are found
//! through `PT_GNU_EH_FRAME` (rustc links with `--eh-frame-hdr`) exactly as
//! the shared `libgcc_s` finds them.
//!
//! Only for Linux glibc targets that link dynamically: a `crt-static` build
//! already gets `gcc_eh` from std, and other C libraries bring their own
//! unwinder arrangement.
//!
//! The binary keeps rustc's full RELRO (`-z now`, every import bound at
//! start, the GOT read-only afterwards) although binding is most of the
//! loader's work for a `systemctl is-active`. Measured (session 11,
//! `bench/client_cost.py`): `-C relro-level=partial` makes rustc call our
//! crates' imports through a lazy PLT; std's imports stay bound at start
//! (std is compiled with its calls through the GOT): 297 → 171 look-ups,
//! client 340k → 267k instructions, page faults equal, and `is-active`
//! 0.781 → 0.770 ms (`hyperfine -N`, 5th percentile, 8 alternated rounds;
//! `status -n0` ~0.03 ms). Not adopted for ~1.5 %: it would leave the
//! `.got.plt` of the manager — PID 1 — writable for its whole life. A
//! non-PIE link (`-C relocation-model=static`: no relative relocations,
//! 295k instructions) would give up the address randomisation of the
//! binary; not adopted either. (Page faults of two builds compare only
//! between files written alike: a `cp` of the same binary takes 4–6 more
//! than the file the linker wrote here, likely from how the page cache
//! holds each file.)

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    // The order of the release binary's code (scripts/link-hot, the linker
    // of .cargo/config.toml): a new order is a new link.
    println!("cargo::rerun-if-changed=hot-code.txt");
    println!("cargo::rerun-if-changed=../../scripts/link-hot");
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && env == "gnu" && !crt_static {
        println!("cargo::rustc-link-lib=static=gcc_eh");
        if native_glibc_has_relr() {
            println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        }
    }
}

/// Whether the binary may pack its relative relocations (`DT_RELR`,
/// `ld -z pack-relative-relocs`): the C library it will run with must be
/// glibc 2.36 or later. Known only for a native build, where that is the
/// C library this build script itself runs on; a cross build keeps the
/// plain `RELA` table. (An older `ld` ignores the option with a warning;
/// the binary then carries the version need `GLIBC_ABI_DT_RELR`, so an
/// older glibc refuses to load it instead of misreading it.)
///
/// Why: the ~3,700 relative relocations of `R_X86_64_RELATIVE`, 24 bytes
/// each, are ~90 kB of `.rela.dyn` the loader reads page by page at every
/// start of the binary — every `systemctl status` — to do one store each;
/// `DT_RELR` encodes them as a bitmap of a few kB.
fn native_glibc_has_relr() -> bool {
    if std::env::var("HOST").ok() != std::env::var("TARGET").ok() {
        return false;
    }
    extern "C" {
        fn gnu_get_libc_version() -> *const std::ffi::c_char;
    }
    // SAFETY: glibc returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) };
    let mut parts = version.to_str().unwrap_or("").split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}
