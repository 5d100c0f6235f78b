//! A unit's invocation id (`InvocationID=`, `$INVOCATION_ID`): 128 random
//! bits made at each start (systemd's `unit_set_invocation_id()`), shown
//! as 32 lowercase hex digits; none before the first start and after a
//! socket unit's clean-up. Kept inline in the unit — a `String` took 24
//! bytes and a 48-byte allocation beside it in every unit that ran.
//!
//! The random bits come from `getrandom(2)`, one call for
//! [`IDS_PER_CALL`] ids: the bytes of a call are handed out once each and
//! wiped as they go, so ids are as random as one call per id made them.

/// A unit's `InvocationID=`, or none (shown empty).
#[derive(Clone, Copy, Default)]
pub struct InvocationId(Option<[u8; 32]>);

impl InvocationId {
    pub fn as_str(&self) -> &str {
        // Only ever made of ASCII hex digits by `invocation_id()`.
        self.0.as_ref().and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl std::ops::Deref for InvocationId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// How many ids one `getrandom(2)` call makes: a boot of 1000 units made
/// one call per unit, between one spawn and the next.
const IDS_PER_CALL: usize = 16;

/// Random bytes not used yet, and where the unused part begins. Each
/// byte is handed out once; the manager is single-threaded, so this is
/// per thread only for the sake of the borrow rules.
struct Pool {
    bytes: [u8; 16 * IDS_PER_CALL],
    next: usize,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> =
        const { std::cell::RefCell::new(Pool { bytes: [0; 16 * IDS_PER_CALL], next: 16 * IDS_PER_CALL }) };
}

/// 16 random bytes: from the pool, refilled by one getrandom(2) for
/// [`IDS_PER_CALL`] ids; from /dev/urandom if that fails.
fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    let pooled = POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.next + 16 > p.bytes.len() {
            let len = p.bytes.len();
            // SAFETY: getrandom(2) writes at most len bytes into the pool.
            let got = unsafe { libc::getrandom(p.bytes.as_mut_ptr().cast(), len, 0) };
            if got != len as isize {
                return false;
            }
            p.next = 0;
        }
        let at = p.next;
        b.copy_from_slice(&p.bytes[at..at + 16]);
        // Not kept once handed out.
        p.bytes[at..at + 16].fill(0);
        p.next += 16;
        true
    });
    if !pooled {
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            use std::io::Read;
            let _ = f.read_exact(&mut b);
        }
    }
    b
}

/// A fresh id (module docs; random bytes as [`random16`] gives them).
pub(in crate::daemon) fn invocation_id() -> InvocationId {
    let b = random16();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 32];
    for (i, x) in b.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(x >> 4)];
        hex[2 * i + 1] = HEX[usize::from(x & 15)];
    }
    InvocationId(Some(hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_32_hex_digits_and_fresh_each_time() {
        let none = InvocationId::default();
        assert!(none.is_empty());
        assert_eq!(none.as_str(), "");
        let (a, b) = (invocation_id(), invocation_id());
        // Across a refill of the pool too.
        let many: std::collections::HashSet<String> =
            (0..3 * IDS_PER_CALL).map(|_| invocation_id().as_str().to_string()).collect();
        assert_eq!(many.len(), 3 * IDS_PER_CALL);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)), "{}", a.as_str());
        assert_ne!(a.as_str(), b.as_str());
        let mut c = a;
        c.clear();
        assert!(c.is_empty() && !a.is_empty());
    }
}
