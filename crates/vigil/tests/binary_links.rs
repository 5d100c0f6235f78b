//! Every `systemctl is-active` is a fresh start of this binary, and each
//! shared library it needs is one more for the dynamic loader to find,
//! map and relocate: libm, pulled in by one `f64::log10`, cost each start
//! 32k instructions and 9 system calls (`bench/client_cost.py`, session
//! 12), `libgcc_s` 36k before `build.rs` linked the unwinder statically.
//! The binary needs the C library and its loader, nothing else.

mod common;

/// (A glibc target that links dynamically, as this project builds.)
#[cfg(all(target_os = "linux", target_env = "gnu", not(target_feature = "crt-static")))]
#[test]
fn needs_only_the_c_library() {
    let o = std::process::Command::new("readelf").args(["-d", common::vigil()]).output().expect("readelf (binutils) is required");
    assert!(o.status.success(), "{}", common::stderr(&o));
    let mut needed: Vec<String> = common::stdout(&o)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.trim_end_matches(']').to_string()))
        .collect();
    needed.sort();
    needed.retain(|n| !n.starts_with("ld-linux"));
    assert_eq!(needed, ["libc.so.6"], "a shared library was added to every start of the binary");
}
