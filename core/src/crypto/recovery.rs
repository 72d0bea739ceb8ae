//! The recovery key: 256 random bits shown once at registration as 24 BIP39 words.
//!
//! Everything is sealed to an X25519 public key derived from it, so that sealing needs only
//! the public half while opening needs the words: each generation's account key (so that a
//! password change, which does not know the words, still leaves the account reachable by
//! them, and `recover` can set a new login password), and each photo key (the break-glass
//! path to every photo). The login password alone never reaches a photo key.

use bip39::Mnemonic;
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::kdf::derive_labelled;
use super::{DecryptionFailed, SEALED_OVERHEAD, SecretKey, open, seal};

/// Bytes of a photo key sealed to the recovery public key: ephemeral public key,
/// then the sealed 32-byte key.
pub const SEALED_TO_RECOVERY_LEN: usize = 32 + SEALED_OVERHEAD + SecretKey::LEN;

/// How many words a recovery key has.
pub const RECOVERY_WORDS: usize = 24;

/// What [`RecoveryKey::check`] found in a text that should hold the 24 words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordsCheck {
    /// Fewer than 24 words so far (this many), all of them recovery words.
    Incomplete(usize),
    /// A word that is not on the list of recovery words (BIP39 English), at this place.
    UnknownWord {
        /// 1 for the first word.
        position: usize,
        /// The word as typed.
        word: String,
    },
    /// More than 24 words.
    TooMany(usize),
    /// 24 recovery words, but not a recovery key: a word is wrong or two are swapped.
    BadChecksum,
    /// A recovery key.
    Valid,
}

/// The words of `text`, lower-cased, without the numbers a written-down copy may have
/// (`1.`, `2)`, `3:`), which are not words.
fn recovery_words(text: &str) -> Vec<Zeroizing<String>> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | ':')))
        .filter(|w| !w.is_empty())
        .map(|w| Zeroizing::new(w.to_lowercase()))
        .collect()
}

/// The recovery key's entropy. Zeroized on drop, never printed by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey([u8; 32]);

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate() -> Self {
        Self(super::random_array())
    }

    /// Rebuilds a recovery key from its 32 bytes of entropy (the words are their BIP39 form).
    pub fn from_entropy(entropy: [u8; 32]) -> Self {
        Self(entropy)
    }

    /// Reads the 24 words (any case, any white space between them, numbered or not as they
    /// were written down: `1. abandon 2. ability …`).
    pub fn parse(words: &str) -> Option<Self> {
        let words = recovery_words(words);
        let normalized = Zeroizing::new(words.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(" "));
        let mnemonic = Mnemonic::parse_normalized(&normalized).ok()?;
        let (entropy, len) = mnemonic.to_entropy_array();
        let key = <[u8; 32]>::try_from(&entropy[..len]).ok().map(Self);
        let mut entropy = entropy;
        entropy.zeroize();
        key
    }

    /// How far `text` is from being a recovery key, as it is typed or pasted.
    pub fn check(text: &str) -> WordsCheck {
        let words = recovery_words(text);
        if let Some((at, word)) =
            words.iter().enumerate().find(|(_, w)| bip39::Language::English.find_word(w).is_none())
        {
            // The word being typed may be a prefix of a real one: only a finished word counts.
            let typing = at + 1 == words.len() && !text.ends_with(char::is_whitespace);
            let could_grow = typing && !bip39::Language::English.words_by_prefix(word).is_empty();
            if !could_grow {
                return WordsCheck::UnknownWord { position: at + 1, word: word.to_string() };
            }
        }
        match words.len() {
            n if n < RECOVERY_WORDS => WordsCheck::Incomplete(n),
            n if n > RECOVERY_WORDS => WordsCheck::TooMany(n),
            _ if Self::parse(text).is_none() => WordsCheck::BadChecksum,
            _ => WordsCheck::Valid,
        }
    }

    /// The 24 words, separated by single spaces.
    pub fn to_words(&self) -> Zeroizing<String> {
        let mnemonic = Mnemonic::from_entropy(&self.0).expect("32 bytes is valid BIP39 entropy");
        Zeroizing::new(mnemonic.to_string())
    }

    fn x25519_secret(&self) -> StaticSecret {
        let k = derive_labelled(&self.0, b"secure-photo-gallery v1 recovery x25519");
        StaticSecret::from(*k.expose())
    }

    /// The public half that import seals photo keys to.
    pub fn public_key(&self) -> RecoveryPublicKey {
        RecoveryPublicKey(PublicKey::from(&self.x25519_secret()).to_bytes())
    }

    /// Opens a photo key sealed by [`RecoveryPublicKey::seal_photo_key`].
    pub fn open_photo_key(&self, photo_id: u64, sealed: &[u8]) -> Result<SecretKey, DecryptionFailed> {
        self.open_key(Sealed::PhotoKey, &photo_id.to_be_bytes(), sealed)
    }

    /// Opens an account key sealed by [`RecoveryPublicKey::seal_account_key`].
    pub fn open_account_key(
        &self,
        account: u64,
        generation: u32,
        sealed: &[u8],
    ) -> Result<SecretKey, DecryptionFailed> {
        self.open_key(Sealed::AccountKey, &account_key_aad(account, generation), sealed)
    }

    fn open_key(&self, what: Sealed, aad: &[u8], sealed: &[u8]) -> Result<SecretKey, DecryptionFailed> {
        if sealed.len() != SEALED_TO_RECOVERY_LEN {
            return Err(DecryptionFailed);
        }
        let (eph_pub, rest) = sealed.split_at(32);
        let eph_pub: [u8; 32] = eph_pub.try_into().expect("split at 32");
        let shared = self.x25519_secret().diffie_hellman(&PublicKey::from(eph_pub));
        if !shared.was_contributory() {
            return Err(DecryptionFailed);
        }
        let key = seal_key(what, shared.as_bytes(), &eph_pub, &self.public_key().0);
        let plain = Zeroizing::new(open(&key, aad, rest)?);
        SecretKey::from_slice(&plain).ok_or(DecryptionFailed)
    }
}

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}

/// The X25519 public key derived from a recovery key; stored with the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPublicKey(pub [u8; 32]);

/// The recovery public key is a low-order point: the shared secret would be one that
/// anyone can compute, so nothing may be sealed to it. Only a changed vault holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored recovery key is not a valid public key")]
pub struct LowOrderKey;

impl RecoveryPublicKey {
    /// Seals a photo key so that only the recovery key opens it (ECIES: ephemeral X25519,
    /// HKDF-SHA256 over the shared secret and both public keys, XChaCha20-Poly1305).
    /// Refuses a public key whose shared secret is not contributory (a low-order point).
    pub fn seal_photo_key(&self, photo_id: u64, photo_key: &SecretKey) -> Result<Vec<u8>, LowOrderKey> {
        self.seal_key(Sealed::PhotoKey, &photo_id.to_be_bytes(), photo_key)
    }

    /// Seals the key of an account's generation `generation` so that the recovery key opens
    /// it: a password change starts a generation without the words.
    pub fn seal_account_key(&self, account: u64, generation: u32, key: &SecretKey) -> Result<Vec<u8>, LowOrderKey> {
        self.seal_key(Sealed::AccountKey, &account_key_aad(account, generation), key)
    }

    fn seal_key(&self, what: Sealed, aad: &[u8], secret: &SecretKey) -> Result<Vec<u8>, LowOrderKey> {
        let eph = StaticSecret::from(super::random_array::<32>());
        let eph_pub = PublicKey::from(&eph).to_bytes();
        let shared = eph.diffie_hellman(&PublicKey::from(self.0));
        if !shared.was_contributory() {
            return Err(LowOrderKey);
        }
        let key = seal_key(what, shared.as_bytes(), &eph_pub, &self.0);
        let mut out = Vec::with_capacity(SEALED_TO_RECOVERY_LEN);
        out.extend_from_slice(&eph_pub);
        out.extend_from_slice(&seal(&key, aad, secret.expose()));
        Ok(out)
    }
}

/// What a value sealed to the recovery key holds: each kind has its own HKDF label.
#[derive(Clone, Copy)]
enum Sealed {
    PhotoKey,
    AccountKey,
}

/// The associated data of an account key sealed to the recovery key.
fn account_key_aad(account: u64, generation: u32) -> Vec<u8> {
    [account.to_be_bytes().as_slice(), &generation.to_be_bytes()].concat()
}

fn seal_key(what: Sealed, shared: &[u8; 32], eph_pub: &[u8; 32], recipient: &[u8; 32]) -> SecretKey {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(eph_pub);
    salt[32..].copy_from_slice(recipient);
    let label: &[u8] = match what {
        Sealed::PhotoKey => b"secure-photo-gallery v1 recovery photo-key",
        Sealed::AccountKey => b"secure-photo-gallery v3 recovery account-key",
    };
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(&salt), shared)
        .expand(label, out.as_mut())
        .expect("32 bytes is a valid HKDF output length");
    SecretKey::from_bytes(*out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_checked_as_they_are_typed() {
        let words = RecoveryKey::from_entropy([7; 32]).to_words();
        let list: Vec<&str> = words.split(' ').collect();
        assert_eq!(RecoveryKey::check(""), WordsCheck::Incomplete(0));
        assert_eq!(RecoveryKey::check(&list[..3].join(" ")), WordsCheck::Incomplete(3));
        // A word being typed is not wrong yet; once finished, it is.
        let typing = format!("{} aban", list[0]);
        assert_eq!(RecoveryKey::check(&typing), WordsCheck::Incomplete(2));
        let unknown = format!("{} abandonx ", list[0]);
        assert_eq!(RecoveryKey::check(&unknown), WordsCheck::UnknownWord { position: 2, word: "abandonx".into() });
        // Numbered as written down from the screen.
        let numbered: String = list.iter().enumerate().map(|(i, w)| format!("{}. {w}\n", i + 1)).collect();
        assert_eq!(RecoveryKey::check(&numbered), WordsCheck::Valid);
        assert!(RecoveryKey::parse(&numbered).is_some());
        let mut swapped = list.clone();
        swapped.swap(0, 5);
        assert_ne!(swapped, list);
        assert_eq!(RecoveryKey::check(&swapped.join(" ")), WordsCheck::BadChecksum);
        assert_eq!(RecoveryKey::check(&format!("{} abandon", words.as_str())), WordsCheck::TooMany(25));
    }

    #[test]
    fn words_round_trip_forgivingly() {
        let key = RecoveryKey::generate();
        let words = key.to_words();
        assert_eq!(words.split(' ').count(), 24);
        let messy = format!("  {}\n", words.to_uppercase().replace(' ', "\n  "));
        let parsed = RecoveryKey::parse(&messy).unwrap();
        assert_eq!(parsed.public_key(), key.public_key());
        assert!(RecoveryKey::parse("abandon abandon").is_none());
        let mut wrong: Vec<&str> = words.split(' ').collect();
        wrong.swap(0, 1);
        // A swapped word almost always breaks the checksum; if not, it is another key.
        if let Some(other) = RecoveryKey::parse(&wrong.join(" ")) {
            assert_ne!(other.public_key(), key.public_key());
        }
    }

    #[test]
    fn sealed_photo_keys_open_only_with_the_recovery_key_and_id() {
        let rk = RecoveryKey::generate();
        let photo_key = SecretKey::random();
        let sealed = rk.public_key().seal_photo_key(7, &photo_key).unwrap();
        assert_eq!(sealed.len(), SEALED_TO_RECOVERY_LEN);
        assert_eq!(rk.open_photo_key(7, &sealed).unwrap(), photo_key);
        assert!(rk.open_photo_key(8, &sealed).is_err());
        assert!(RecoveryKey::generate().open_photo_key(7, &sealed).is_err());
        let mut bad = sealed.clone();
        bad[40] ^= 1;
        assert!(rk.open_photo_key(7, &bad).is_err());
        // An account key sealed for one account and generation opens for no other, and is
        // never taken for a photo key.
        let account_key = rk.public_key().seal_account_key(7, 2, &photo_key).unwrap();
        assert_eq!(rk.open_account_key(7, 2, &account_key).unwrap(), photo_key);
        assert!(rk.open_account_key(7, 3, &account_key).is_err());
        assert!(rk.open_account_key(8, 2, &account_key).is_err());
        assert!(rk.open_photo_key(7, &account_key).is_err());
    }

    #[test]
    fn nothing_is_sealed_to_a_low_order_point() {
        for point in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            assert_eq!(RecoveryPublicKey(point).seal_photo_key(7, &SecretKey::random()), Err(LowOrderKey));
        }
    }
}
