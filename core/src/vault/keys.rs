//! An account's keys, one per generation (docs/FORMAT.md, "Keys").
//!
//! Each password change or recovery starts a new generation with a fresh random key; the
//! keys of the earlier ones are sealed under it. Whatever the program writes is sealed or
//! authenticated under the newest key, or, for a photo's own records, under the key of the
//! generation it was imported in, and then pinned by the manifest, which the newest key
//! seals. So someone who once knew an older password keeps only what existed then.

use zeroize::Zeroizing;

use crate::crypto::{KdfParams, SecretKey, Subkey, derive_subkey, open, password_key, seal};
use crate::platform::locked::Locked;

use super::error::StorageError;
use super::records::{AccountRecord, decode, encode};

/// The associated data of generation `generation`'s key sealed under the password key.
fn key_aad(account_id: u64, generation: u32) -> Vec<u8> {
    [b"secure-photo-gallery v3 account key".as_slice(), &account_id.to_be_bytes(), &generation.to_be_bytes()].concat()
}

/// Generation `generation`'s key of account `account_id`, unwrapped from `sealed` (a
/// `key_by_password`) with `password` at `kdf` and `salt` (Argon2id runs here); `None` when
/// the password is not the one it was wrapped under.
pub(crate) fn open_password_wrap(
    password: &str,
    (kdf, salt): (KdfParams, &[u8; 16]),
    account_id: u64,
    generation: u32,
    sealed: &[u8],
) -> Option<SecretKey> {
    let key = password_key(password, salt, kdf);
    let plain = Zeroizing::new(open(&key, &key_aad(account_id, generation), sealed).ok()?);
    SecretKey::from_slice(&plain)
}

/// A new login password's key: its salt, its cost and the Argon2id key (the slow part,
/// done before any write transaction so the single writer is not held for it).
pub(crate) struct PasswordKey {
    pub(super) kdf: KdfParams,
    pub(super) salt: [u8; 16],
    key: SecretKey,
}

impl PasswordKey {
    /// Argon2id of `password` at `kdf`, under a fresh salt.
    pub(crate) fn new(password: &str, kdf: KdfParams) -> PasswordKey {
        let salt: [u8; 16] = crate::crypto::random_array();
        PasswordKey { kdf, salt, key: password_key(password, &salt, kdf) }
    }

    /// Sets `record`'s password wrap of `key`, the key of its generation.
    pub(super) fn wrap(&self, record: &mut AccountRecord, account_id: u64, key: &SecretKey) {
        record.kdf = self.kdf;
        record.salt = self.salt;
        record.key_by_password = seal(&self.key, &key_aad(account_id, record.generation), key.expose());
    }
}

/// The keys of an account's generations, 1 to the current one, in memory kept out of swap.
pub(crate) struct AccountKeys {
    /// `keys[g - 1]` is the key of generation `g`; never empty.
    keys: Locked<SecretKey>,
}

impl Clone for AccountKeys {
    fn clone(&self) -> Self {
        AccountKeys { keys: Locked::new(self.keys.as_slice().to_vec()) }
    }
}

impl std::fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccountKeys(generation {}, <redacted>)", self.generation())
    }
}

/// The associated data of the older keys of `account` sealed in generation `generation`.
fn older_aad(account: u64, generation: u32) -> Vec<u8> {
    [b"secure-photo-gallery v3 older keys".as_slice(), &account.to_be_bytes(), &generation.to_be_bytes()].concat()
}

impl AccountKeys {
    /// The keys of a new account: generation 1 only.
    pub(crate) fn first(key: SecretKey) -> AccountKeys {
        AccountKeys { keys: Locked::new(vec![key]) }
    }

    /// Opens an account's keys: `current`, the key of generation `generation`, and the
    /// earlier ones from `older` (the record's `older_keys`, sealed under it).
    pub(crate) fn open(
        account: u64,
        generation: u32,
        current: SecretKey,
        older: &[u8],
    ) -> Result<AccountKeys, StorageError> {
        let damaged = || StorageError::tampered("the keys of the account's earlier generations do not open");
        let mut keys = if generation <= 1 {
            if !older.is_empty() {
                return Err(damaged());
            }
            Vec::new()
        } else {
            let plain = Zeroizing::new(
                open(&derive_subkey(&current, Subkey::OlderKeys), &older_aad(account, generation), older)
                    .map_err(|_| damaged())?,
            );
            let raw: Zeroizing<Vec<[u8; 32]>> = Zeroizing::new(decode(&plain).map_err(|_| damaged())?);
            if raw.len() != generation as usize - 1 {
                return Err(damaged());
            }
            raw.iter().map(|k| SecretKey::from_bytes(*k)).collect()
        };
        keys.push(current);
        Ok(AccountKeys { keys: Locked::new(keys) })
    }

    /// The keys after a password change or recovery: these, then `next`.
    pub(crate) fn then(&self, next: SecretKey) -> AccountKeys {
        let mut keys = self.keys.as_slice().to_vec();
        keys.push(next);
        AccountKeys { keys: Locked::new(keys) }
    }

    /// The record's `older_keys` for the current generation: every earlier key, sealed
    /// under the current one.
    pub(crate) fn seal_older(&self, account: u64) -> Vec<u8> {
        let (current, older) = self.keys.as_slice().split_last().expect("an account has a key");
        if older.is_empty() {
            return Vec::new();
        }
        let raw: Zeroizing<Vec<[u8; 32]>> = Zeroizing::new(older.iter().map(|k| *k.expose()).collect());
        let plain = Zeroizing::new(encode(&*raw));
        seal(&derive_subkey(current, Subkey::OlderKeys), &older_aad(account, self.generation()), &plain)
    }

    /// The current generation's number.
    pub(crate) fn generation(&self) -> u32 {
        self.keys.as_slice().len() as u32
    }

    /// The current generation's key.
    pub(crate) fn current(&self) -> &SecretKey {
        self.keys.as_slice().last().expect("an account has a key")
    }

    /// The key of generation `generation`, if the account has it.
    pub(crate) fn of(&self, generation: u32) -> Option<&SecretKey> {
        self.keys.as_slice().get((generation as usize).checked_sub(1)?)
    }

    /// The current generation's key for `purpose`.
    pub(crate) fn current_subkey(&self, purpose: Subkey) -> SecretKey {
        derive_subkey(self.current(), purpose)
    }

    /// Generation `generation`'s key for `purpose`, if the account has it.
    pub(crate) fn subkey(&self, generation: u32, purpose: Subkey) -> Option<SecretKey> {
        self.of(generation).map(|k| derive_subkey(k, purpose))
    }

    /// Every generation with its key, oldest first.
    pub(crate) fn all(&self) -> impl DoubleEndedIterator<Item = (u32, &SecretKey)> {
        self.keys.as_slice().iter().enumerate().map(|(i, k)| (i as u32 + 1, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_keys_open_only_under_their_generation_and_account() {
        let first = AccountKeys::first(SecretKey::random());
        assert_eq!(first.seal_older(5), Vec::<u8>::new());
        let third = first.then(SecretKey::random()).then(SecretKey::random());
        assert_eq!(third.generation(), 3);
        let sealed = third.seal_older(5);
        let opened = AccountKeys::open(5, 3, third.current().clone(), &sealed).unwrap();
        assert!(opened.all().zip(third.all()).all(|((g, a), (h, b))| g == h && a == b));
        assert_eq!(opened.of(1), third.of(1));
        assert!(opened.of(0).is_none() && opened.of(4).is_none());
        assert!(AccountKeys::open(6, 3, third.current().clone(), &sealed).is_err(), "another account");
        assert!(AccountKeys::open(5, 2, third.current().clone(), &sealed).is_err(), "another generation");
        assert!(AccountKeys::open(5, 3, SecretKey::random(), &sealed).is_err(), "another key");
        assert!(AccountKeys::open(5, 1, third.current().clone(), &sealed).is_err(), "generation 1 has none");
        assert!(format!("{third:?}").contains("redacted"));
    }
}
