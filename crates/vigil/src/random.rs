//! Random 128-bit values for ids made in bulk: the manager's
//! `InvocationID=` per start, the journal's `_STREAM_ID=` per service
//! stream. A boot of 1000 services made one `getrandom(2)` for each, in
//! the manager between one spawn and the next and in the journal per
//! accepted stream; here one call fills a per-thread pool for
//! [`IDS_PER_CALL`] values. Each pooled byte is handed out once and wiped
//! as it goes, so the values are as random as one call per value made
//! them.
//!
//! `GRND_NONBLOCK`: early in a boot, before the kernel's generator is
//! seeded, the call fails rather than holding up PID 1 or the journal;
//! that value then comes from `/dev/urandom`, as
//! [`journal::Id128::random`] does.

use std::cell::RefCell;

/// How many 16-byte values one `getrandom(2)` call makes.
const IDS_PER_CALL: usize = 16;

/// Random bytes not handed out yet, from `next` on.
struct Pool {
    bytes: [u8; 16 * IDS_PER_CALL],
    next: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; 16 * IDS_PER_CALL], next: 16 * IDS_PER_CALL }) };
}

/// 16 random bytes (module docs); `None` only when neither
/// `getrandom(2)` nor `/dev/urandom` gave any.
pub fn bytes16() -> Option<[u8; 16]> {
    let pooled = POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.next + 16 > p.bytes.len() {
            let len = p.bytes.len();
            // SAFETY: getrandom(2) writes at most len bytes into the pool.
            let got = unsafe { libc::getrandom(p.bytes.as_mut_ptr().cast(), len, libc::GRND_NONBLOCK) };
            if got != len as isize {
                return None;
            }
            p.next = 0;
        }
        let at = p.next;
        let mut b = [0u8; 16];
        b.copy_from_slice(&p.bytes[at..at + 16]);
        p.bytes[at..at + 16].fill(0);
        p.next += 16;
        Some(b)
    });
    pooled.or_else(|| {
        use std::io::Read;
        let mut b = [0u8; 16];
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).ok().map(|_| b)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_distinct_across_refills() {
        let all: std::collections::HashSet<[u8; 16]> = (0..3 * super::IDS_PER_CALL).filter_map(|_| super::bytes16()).collect();
        assert_eq!(all.len(), 3 * super::IDS_PER_CALL);
    }
}
