//! Cryptographic building blocks: keys that zeroize, AEAD sealing of small values,
//! the chunked STREAM encryption of photo bytes, key derivation (Argon2id and HKDF),
//! per-photo passwords and the recovery key.
//!
//! This module knows nothing about storage: the vault composes these pieces, and
//! `docs/FORMAT.md` writes down the exact bytes they produce.

mod aead;
pub(crate) mod crockford;
mod kdf;
mod password;
mod recovery;
mod secret;
mod stream;

pub(crate) use aead::seal_padded_with;
pub use aead::{SEALED_OVERHEAD, open, open_padded, pad, padme, seal, seal_padded, unpad};
pub use kdf::{
    KdfParams, KeyedHasher, Subkey, derive_photo_wrap_key, derive_private_thumbnail_key, derive_subkey, keyed_hash,
    normalize_password, password_key,
};
pub use password::{PHOTO_PASSWORD_LEN, PhotoPassword};
pub use recovery::{LowOrderKey, RECOVERY_WORDS, RecoveryKey, RecoveryPublicKey, SEALED_TO_RECOVERY_LEN, WordsCheck};
pub use secret::{Secret, SecretBytes, SecretKey};
pub use stream::{CHUNK_SIZE, NONCE_PREFIX_LEN, StreamDecryptor, StreamEncryptor, TAG_LEN, chunk_count};

/// Any authentication failure: a wrong key, a wrong password, or changed bytes.
///
/// Deliberately carries no detail, so a caller cannot tell a wrong password from
/// tampered data (as age's `DecryptionFailed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed: wrong password or key, or the data was changed")]
pub struct DecryptionFailed;

/// Fills `buf` from the operating system's random number generator.
///
/// # Panics
/// If the OS has no entropy source; nothing secure can be done without one.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random number generator must work");
}

/// Returns a fresh random array.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    random_bytes(&mut out);
    out
}
