//! Link flags of the `vigil` binary (issue 8: a control round trip within
//! 1 ms, of which starting the binary is the larger share).
//!
//! `-no-pie`: the binary is linked at a fixed address. As a
//! position-independent executable it carried ~4,600 relative
//! relocations, most of them pointers in `.data.rel.ro` (vtables, the
//! directive and verb tables, string slices in statics): `ld.so` wrote
//! every one of its 28 pages at every start — 28 copy-on-write page
//! faults, a third of the faults of a `systemctl is-active`, before
//! `main`. Linked at a fixed address these pointers are final in the
//! file and the pages are shared from the page cache untouched. The code
//! itself is still compiled position-independent (only the link
//! changes, so build scripts and proc-macros are unaffected); the shared
//! libraries, stack, heap and mmap areas are still randomised. The price
//! is the randomisation of the binary's own image (ASLR of the
//! executable). DT_RELR (`-z pack-relative-relocs`) was measured first
//! and did not help: it shrinks the table, not the pages written.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rerun-if-changed=build.rs");
}
