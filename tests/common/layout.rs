//! The vault's layout as docs/FORMAT.md gives it, for tests that read or forge rows as an
//! outsider would (written from that page, not imported from the crate; the crate's public
//! crypto functions stand in for a crypto library).

use secure_photo_gallery::crypto::{KdfParams, SecretKey, open, password_key};
use serde::{Deserialize, Serialize};

/// `AccountRecord` as FORMAT.md lays it out.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) version: u8,
    pub(crate) username: String,
    pub(crate) generation: u32,
    pub(crate) changed_at: i64,
    pub(crate) kdf: (u32, u32, u32),
    pub(crate) salt: [u8; 16],
    pub(crate) key_by_password: Vec<u8>,
    pub(crate) key_by_recovery: Vec<u8>,
    pub(crate) recovery_public: [u8; 32],
    pub(crate) older_keys: Vec<u8>,
    pub(crate) profile: Vec<u8>,
}

/// `AK(account, g)` of FORMAT.md.
pub(crate) fn key_aad(account: u64, generation: u32) -> Vec<u8> {
    [b"secure-photo-gallery v3 account key".as_slice(), &account.to_be_bytes(), &generation.to_be_bytes()].concat()
}

/// What anyone who once knew the login password gets from a copy of the record made then
/// (or from the clear part of a backup's snapshot): the key of that generation (FORMAT.md:
/// Argon2id, then `key_by_password`).
pub(crate) fn generation_key(
    account: u64,
    generation: u32,
    kdf: (u32, u32, u32),
    salt: &[u8; 16],
    key_by_password: &[u8],
    password: &str,
) -> SecretKey {
    let (m_kib, t, p) = kdf;
    let kp = password_key(password, salt, KdfParams { m_kib, t, p });
    SecretKey::from_slice(&open(&kp, &key_aad(account, generation), key_by_password).unwrap()).unwrap()
}

/// [`generation_key`] of account 1's record `record`.
pub(crate) fn record_key(record: &[u8], password: &str) -> SecretKey {
    let r: AccountRecord = postcard::from_bytes(record).unwrap();
    generation_key(1, r.generation, r.kdf, &r.salt, &r.key_by_password, password)
}
