//! The advisory-lock key that serialised a lead's first assignment before 0.4.0.
//!
//! Since 0.4.0 a claim row does it (`spi::pool::Pool::claim_lead`), because an advisory lock
//! per lead piles up in a large transaction. The lock is still taken while the database has
//! no `phone_hold_claims` yet: between installing the new library and
//! `ALTER EXTENSION phone_holds UPDATE`. The two-key form keeps our keys apart from an
//! application's single-bigint locks.

/// First key of `pg_advisory_xact_lock(int4, int4)`: ASCII "PHLD", this extension's namespace.
pub const NAMESPACE: i32 = 0x5048_4C44;

/// Second key: the lead's 128-bit id folded to 32 bits. A collision only makes two leads wait
/// for each other, never share a number.
pub fn key_for(lead: &[u8; 16]) -> i32 {
    let word = |i: usize| u32::from_be_bytes([lead[i], lead[i + 1], lead[i + 2], lead[i + 3]]);
    (word(0) ^ word(4) ^ word(8) ^ word(12)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_spread() {
        let a = [0x07, 0xf2, 0x6a, 0x19, 0xe9, 0xdc, 0x42, 0x2c, 0xb6, 0x1e, 0x03, 0x0e, 0x3c, 0x79, 0x71, 0xbb];
        let mut b = a;
        b[15] ^= 1;
        assert_eq!(key_for(&a), key_for(&a));
        assert_ne!(key_for(&a), key_for(&b));
        assert_eq!(key_for(&[0; 16]), 0);
    }
}
