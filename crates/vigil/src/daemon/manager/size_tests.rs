//! The sizes of what the manager keeps per loaded unit, pinned (issue 8:
//! the manager's memory at 1000 units). A malloc chunk is the size asked
//! for plus 8, rounded up to 16: a few bytes more can cost a whole 16 per
//! unit, so each pin is at a chunk boundary.

use std::mem::size_of;

/// Every loaded unit is one boxed `Unit` for the manager's life: its
/// size is the largest per-unit block of the manager's heap (1000
/// services: 0.9 MB of 3.1). 872 bytes is an 880-byte chunk; it was 912
/// bytes, a 928-byte chunk, until the invocation id lost its `Option` tag,
/// job ids and `JobTimeoutSec=` became non-zero integers (`Runs`,
/// `graph::Own`) and the service machine shrank (`engine::service`'s size
/// test).
#[test]
fn a_unit_fits_its_chunk() {
    assert!(size_of::<super::Unit>() <= 872, "{}", size_of::<super::Unit>());
    assert_eq!(size_of::<super::InvocationId>(), 32);
    assert!(size_of::<super::exec_status::Runs>() <= 32, "{}", size_of::<super::exec_status::Runs>());
    assert!(size_of::<Option<super::graph::Own>>() <= 32, "{}", size_of::<Option<super::graph::Own>>());
}

/// A service that ran keeps one `Run` per command of its cycle, in a
/// block of its own: 56 bytes is a 64-byte chunk (it was 72, an 80).
#[test]
fn a_run_fits_its_chunk() {
    assert!(size_of::<super::exec_status::Run>() <= 56, "{}", size_of::<super::exec_status::Run>());
}
