//! Key derivation: Argon2id for the login password, HKDF-SHA256 for every key derived
//! from a key that is already uniformly random, and keyed BLAKE3 as a keyed hash.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::{PhotoPassword, SecretKey};

/// Argon2id cost, stored with each account so it can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 2 lanes computed on two threads: the same memory-hard cost for a
    /// guesser as one lane, half the wait at login on a two-core machine (about 120 ms
    /// here instead of 195 ms). RFC 9106's second recommended choice is 64 MiB, t=3, p=4.
    fn default() -> Self {
        Self { m_kib: 64 * 1024, t: 3, p: 2 }
    }
}

impl KdfParams {
    /// Lowest memory accepted from a stored account: 64 MiB.
    pub const MIN_M_KIB: u32 = 64 * 1024;
    /// Highest memory accepted: 2 GiB, more than any laptop should give one login.
    pub const MAX_M_KIB: u32 = 2 * 1024 * 1024;
    /// Passes accepted: 3 to 16 (16 passes of 2 GiB take about a minute here).
    pub const T_RANGE: std::ops::RangeInclusive<u32> = 3..=16;
    /// Lanes accepted.
    pub const P_RANGE: std::ops::RangeInclusive<u32> = 1..=16;

    /// Whether these may be used for a stored account: strong enough (a vault edited to
    /// weaken them would make offline guessing cheap) and not absurd (a vault edited to
    /// ask for terabytes or millions of passes would hang or abort every login).
    pub fn is_acceptable(&self) -> bool {
        (Self::MIN_M_KIB..=Self::MAX_M_KIB).contains(&self.m_kib)
            && Self::T_RANGE.contains(&self.t)
            && Self::P_RANGE.contains(&self.p)
    }

    /// The stronger of two costs, parameter by parameter: a password change keeps a cost
    /// that was raised above the default.
    pub fn strongest(self, other: KdfParams) -> KdfParams {
        KdfParams { m_kib: self.m_kib.max(other.m_kib), t: self.t.max(other.t), p: self.p.max(other.p) }
    }
}

/// A login password as it is fed to Argon2id: Unicode NFC, so that "é" typed as one
/// code point or as "e" and a combining accent (keyboards and platforms differ) is the
/// same password.
pub fn normalize_password(password: &str) -> Zeroizing<String> {
    use unicode_normalization::UnicodeNormalization;
    Zeroizing::new(password.nfc().collect())
}

/// Derives the key that wraps an account's master key from its login password (in NFC,
/// see [`normalize_password`]).
pub fn password_key(password: &str, salt: &[u8; 16], params: KdfParams) -> SecretKey {
    let params = Params::new(params.m_kib, params.t, params.p, Some(SecretKey::LEN))
        .expect("KdfParams are validated before use");
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(normalize_password(password).as_bytes(), salt, out.as_mut())
        .expect("a 16-byte salt and 32-byte output are within Argon2's limits");
    SecretKey::from_bytes(*out)
}

/// The purposes for which keys are derived from an account key (the key of one of the
/// account's generations, see `docs/FORMAT.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subkey {
    /// Seals each photo's metadata record.
    Metadata,
    /// Seals each photo's thumbnail.
    Thumbnail,
    /// Keys the content hash used to find duplicates within the account.
    ContentHash,
    /// Keys the MAC over a photo's stored ciphertext, checked by `verify`.
    Verify,
    /// Seals the account's profile and settings (email, mail transport).
    Profile,
    /// Seals and keys the account's manifest (the set of its photos and a counter).
    Manifest,
    /// Seals what a backup puts in a bucket (the account snapshot and each photo's object).
    Backup,
    /// Keys the names of a backup's photo objects (so a name says nothing of the photo id).
    BackupNames,
    /// Seals the keys of the account's earlier generations under the current one.
    OlderKeys,
    /// Makes the code that proves an email address receives the account's mail.
    AddressCode,
}

impl Subkey {
    /// Every purpose.
    pub const ALL: [Subkey; 10] = [
        Subkey::Metadata,
        Subkey::Thumbnail,
        Subkey::ContentHash,
        Subkey::Verify,
        Subkey::Profile,
        Subkey::Manifest,
        Subkey::Backup,
        Subkey::BackupNames,
        Subkey::OlderKeys,
        Subkey::AddressCode,
    ];

    fn label(self) -> &'static [u8] {
        match self {
            Subkey::Metadata => b"secure-photo-gallery v1 metadata",
            Subkey::Thumbnail => b"secure-photo-gallery v1 thumbnail",
            Subkey::ContentHash => b"secure-photo-gallery v1 content-hash",
            Subkey::Verify => b"secure-photo-gallery v1 verify",
            Subkey::Profile => b"secure-photo-gallery v1 profile",
            Subkey::Manifest => b"secure-photo-gallery v1 manifest",
            Subkey::Backup => b"secure-photo-gallery v2 backup",
            Subkey::BackupNames => b"secure-photo-gallery v2 backup names",
            Subkey::OlderKeys => b"secure-photo-gallery v3 older keys",
            Subkey::AddressCode => b"secure-photo-gallery v3 address code",
        }
    }
}

fn hkdf(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> SecretKey {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(salt, ikm).expand(info, out.as_mut()).expect("32 bytes is a valid HKDF-SHA256 output length");
    SecretKey::from_bytes(*out)
}

/// Derives the key for one purpose from an account key.
pub fn derive_subkey(account_key: &SecretKey, purpose: Subkey) -> SecretKey {
    hkdf(None, account_key.expose(), purpose.label())
}

/// Derives a key for a labelled purpose that is not tied to a master key (recovery).
pub(crate) fn derive_labelled(ikm: &[u8], label: &[u8]) -> SecretKey {
    hkdf(None, ikm, label)
}

/// Derives the key that wraps a photo's key from BOTH the account key (of the generation
/// the photo was imported in) and the photo's emailed password. HKDF (not a slow KDF) is right: the password carries 100
/// random bits, so guessing it is infeasible however fast each guess is.
pub fn derive_photo_wrap_key(account_key: &SecretKey, photo_id: u64, password: &PhotoPassword) -> SecretKey {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 + password.as_str().len()));
    ikm.extend_from_slice(account_key.expose());
    ikm.extend_from_slice(password.as_str().as_bytes());
    hkdf(Some(&photo_id.to_be_bytes()), &ikm, b"secure-photo-gallery v1 photo-key-wrap")
}

/// The key that seals a photo's sharp thumbnail when the account's previews are blurred or
/// hidden: derived from the photo key, so it needs what the photo needs.
pub fn derive_private_thumbnail_key(photo_key: &SecretKey) -> SecretKey {
    hkdf(None, photo_key.expose(), b"secure-photo-gallery v2 private thumbnail")
}

/// BLAKE3 in keyed mode: `data` hashed under `key`, a PRF and MAC. BLAKE3 rather than
/// HMAC-SHA256 for speed: an import hashes every photo twice and MACs its ciphertext once,
/// and on a CPU without SHA extensions HMAC-SHA256 was 30% of an import's CPU time.
pub fn keyed_hash(key: &SecretKey, data: &[u8]) -> [u8; 32] {
    let mut h = KeyedHasher::new(key);
    h.update(data);
    h.finalize()
}

/// Incremental keyed BLAKE3, for MACs over data that arrives in pieces. Its key-derived
/// state is wiped when it is dropped.
pub struct KeyedHasher(blake3::Hasher);

impl KeyedHasher {
    /// Starts a MAC under `key`.
    pub fn new(key: &SecretKey) -> Self {
        Self(blake3::Hasher::new_keyed(key.expose()))
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The 32-byte tag.
    pub fn finalize(self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

impl Drop for KeyedHasher {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_matches_rfc9106_shape_and_is_deterministic() {
        let params = KdfParams { m_kib: 64 * 1024, t: 3, p: 1 };
        let a = password_key("correct horse", &[7; 16], params);
        let b = password_key("correct horse", &[7; 16], params);
        let c = password_key("correct horsf", &[7; 16], params);
        let d = password_key("correct horse", &[8; 16], params);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn weak_stored_params_are_refused() {
        assert!(KdfParams::default().is_acceptable());
        assert!(!KdfParams { m_kib: 1024, t: 3, p: 1 }.is_acceptable());
        assert!(!KdfParams { m_kib: 65536, t: 1, p: 1 }.is_acceptable());
        assert!(!KdfParams { m_kib: u32::MAX, t: 3, p: 1 }.is_acceptable(), "absurd memory");
        assert!(!KdfParams { m_kib: 65536, t: 1_000_000, p: 1 }.is_acceptable(), "absurd passes");
        assert!(!KdfParams { m_kib: 65536, t: 3, p: 0 }.is_acceptable());
        let raised = KdfParams { m_kib: 256 * 1024, t: 4, p: 1 };
        assert_eq!(KdfParams::default().strongest(raised), KdfParams { m_kib: 256 * 1024, t: 4, p: 2 });
    }

    #[test]
    fn passwords_are_normalised_to_nfc() {
        let params = KdfParams::default();
        let composed = password_key("caf\u{e9} au lait", &[1; 16], params);
        assert_eq!(composed, password_key("cafe\u{301} au lait", &[1; 16], params));
        assert_ne!(composed, password_key("cafe au lait", &[1; 16], params));
    }

    #[test]
    fn photo_wrap_key_needs_both_factors() {
        let master = SecretKey::random();
        let pw = PhotoPassword::generate();
        let k = derive_photo_wrap_key(&master, 42, &pw);
        assert_eq!(k, derive_photo_wrap_key(&master, 42, &pw));
        assert_ne!(k, derive_photo_wrap_key(&SecretKey::random(), 42, &pw));
        assert_ne!(k, derive_photo_wrap_key(&master, 42, &PhotoPassword::generate()));
        assert_ne!(k, derive_photo_wrap_key(&master, 43, &pw));
    }

    #[test]
    fn subkeys_are_distinct() {
        let master = SecretKey::random();
        let all = Subkey::ALL;
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(derive_subkey(&master, *a), derive_subkey(&master, *b));
            }
        }
    }
}
