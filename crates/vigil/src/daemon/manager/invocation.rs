//! A unit's invocation id (`InvocationID=`, `$INVOCATION_ID`): 128 random
//! bits made at each start (systemd's `unit_set_invocation_id()`), shown
//! as 32 lowercase hex digits; none before the first start and after a
//! socket unit's clean-up. Kept inline in the unit — a `String` took 24
//! bytes and a 48-byte allocation beside it in every unit that ran.
//! "None" is all zero bytes rather than an `Option`: hex digits are never
//! zero, and the `Option`'s tag byte padded [`super::Unit`] by 16 bytes
//! (1000 units: 16 kB of heap; see the unit's size test).
//!
//! The random bits come from the pool in `crate::random` (one
//! `getrandom(2)` for many ids).

/// A unit's `InvocationID=`, or none (shown empty).
#[derive(Clone, Copy, Default)]
pub struct InvocationId([u8; 32]);

impl InvocationId {
    pub fn as_str(&self) -> &str {
        // Only ever made of ASCII hex digits by `invocation_id()`.
        if self.is_empty() {
            return "";
        }
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0[0] == 0
    }

    pub fn clear(&mut self) {
        self.0 = [0; 32];
    }
}

impl std::ops::Deref for InvocationId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// A fresh id (random bytes as [`crate::random::bytes16`] gives them).
pub(in crate::daemon) fn invocation_id() -> InvocationId {
    let b = crate::random::bytes16().unwrap_or_default();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 32];
    for (i, x) in b.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(x >> 4)];
        hex[2 * i + 1] = HEX[usize::from(x & 15)];
    }
    InvocationId(hex)
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
            (0..48).map(|_| invocation_id().as_str().to_string()).collect();
        assert_eq!(many.len(), 48);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)), "{}", a.as_str());
        assert_ne!(a.as_str(), b.as_str());
        let mut c = a;
        c.clear();
        assert!(c.is_empty() && !a.is_empty());
    }
}
