//! The manifest of an account: a sealed record of what the account holds, rewritten in the
//! same transaction as every write, so that changes made to the vault file by anyone
//! without the master key are noticed at login and by `verify`.
//!
//! Its head pins a counter (raised by every write), a digest of the account record (so
//! that a replaced recovery public key, password wrap or profile, an older copy of any of
//! them included, is refused at login) and the number of photos. The photo ids themselves
//! sit in 256 buckets by `id mod 256`, each sealed with the counter at which it was last
//! written, which the head lists: a write rewrites the head and one bucket, however large
//! the account, and an old copy of a bucket does not open under the head. Which photo went
//! missing, or which one should not be there, can then be named.
//!
//! Everything is bound to the vault's random id, so a manifest cannot be moved into another
//! vault; the counter lets the front ends notice a whole vault replaced by an older copy
//! (`seen`).

use std::collections::BTreeSet;

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use crate::crypto::{SecretKey, Subkey, derive_subkey, keyed_hash, open, seal};

use super::PhotoId;
use super::error::StorageError;
use super::records::{MANIFEST_VERSION, ManifestHead, decode, encode};
use super::schema::{MANIFEST_BUCKETS, MANIFESTS};

/// Buckets of photo ids, by `id mod BUCKETS`.
pub(crate) const BUCKETS: usize = 256;
/// How many earlier heads a head lists (see `ManifestHead::recent_heads`).
pub(crate) const RECENT_HEADS: usize = 32;

/// The fingerprint of a head as stored (its sealed bytes), or of a recovery public key:
/// what the computer remembers outside the vault (`seen`).
pub(crate) fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// Which bucket holds a photo id.
pub(crate) fn bucket_of(id: u64) -> u8 {
    (id % BUCKETS as u64) as u8
}

/// Something the manifest says that the vault file does not match: found at login and by
/// `verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestProblem {
    /// The manifest lists the photo but its records are gone.
    #[error("photo {0} is missing: its records were removed from the vault file")]
    Missing(PhotoId),
    /// The photo's records are there but the manifest does not list it: deleted before,
    /// and brought back by someone who copied old records into the file.
    #[error("photo {0} should not be in the vault: it was deleted, and its records were put back")]
    Unexpected(PhotoId),
}

/// What differs between the ids the manifest lists and the ids of the photo records.
pub(crate) fn compare(listed: &BTreeSet<u64>, stored: &BTreeSet<u64>) -> Vec<ManifestProblem> {
    let missing = listed.difference(stored).map(|&id| ManifestProblem::Missing(PhotoId(id)));
    let unexpected = stored.difference(listed).map(|&id| ManifestProblem::Unexpected(PhotoId(id)));
    missing.chain(unexpected).collect()
}

/// The manifest cannot be trusted: missing, changed, or older than the account record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Tampered(pub(crate) &'static str);

/// The manifest's key and the place it belongs to.
pub(crate) struct ManifestKey {
    key: SecretKey,
    vault_id: [u8; 16],
    account: u64,
}

/// One change a write makes to the account.
pub(crate) enum Change<'a> {
    /// A photo was stored.
    Add(u64),
    /// A photo was deleted.
    Remove(u64),
    /// The account record was rewritten: the bytes it had, and its new bytes. The old ones
    /// must be the ones the manifest pins, or a record changed in the file since login
    /// would be blessed by the rewrite.
    Account {
        /// The record as it was stored.
        previous: &'a [u8],
        /// The record as it is now stored.
        new: &'a [u8],
    },
}

impl ManifestKey {
    pub(crate) fn new(master: &SecretKey, vault_id: [u8; 16], account: u64) -> Self {
        ManifestKey { key: derive_subkey(master, Subkey::Manifest), vault_id, account }
    }

    fn head_aad(&self) -> Vec<u8> {
        [b"secure-photo-gallery v2 manifest".as_slice(), &self.vault_id, &self.account.to_be_bytes()].concat()
    }

    fn bucket_aad(&self, bucket: u8, version: u64) -> Vec<u8> {
        [
            b"secure-photo-gallery v2 manifest bucket".as_slice(),
            &self.vault_id,
            &self.account.to_be_bytes(),
            &[bucket],
            &version.to_be_bytes(),
        ]
        .concat()
    }

    /// The digest of an account record's stored bytes that the head pins.
    pub(crate) fn account_digest(&self, record: &[u8]) -> [u8; 32] {
        keyed_hash(&self.key, &[b"secure-photo-gallery v2 account record".as_slice(), record].concat())
    }

    /// The head of a new account's manifest: counter 1, no photos.
    pub(crate) fn first_head(&self, record: &[u8]) -> Vec<u8> {
        self.seal_head(&ManifestHead {
            version: MANIFEST_VERSION,
            counter: 1,
            account_digest: self.account_digest(record),
            photo_count: 0,
            bucket_versions: vec![0; BUCKETS],
            recent_heads: Vec::new(),
        })
    }

    /// The manifest of an account restored from a backup, written in the transaction that
    /// stores its record: counter 1 (one write, the restore), each bucket that holds ids
    /// written at version 1.
    pub(crate) fn write_restored(
        &self,
        txn: &WriteTransaction,
        record: &[u8],
        ids: &BTreeSet<u64>,
    ) -> Result<(), StorageError> {
        let mut buckets: Vec<Vec<u64>> = vec![Vec::new(); BUCKETS];
        for &id in ids {
            buckets[usize::from(bucket_of(id))].push(id);
        }
        let mut table = txn.open_table(MANIFEST_BUCKETS)?;
        let mut versions = vec![0; BUCKETS];
        for (bucket, ids) in buckets.iter().enumerate().filter(|(_, ids)| !ids.is_empty()) {
            versions[bucket] = 1;
            let sealed = seal(&self.key, &self.bucket_aad(bucket as u8, 1), &encode(ids));
            table.insert((self.account, bucket as u8), sealed.as_slice())?;
        }
        let head = self.seal_head(&ManifestHead {
            version: MANIFEST_VERSION,
            counter: 1,
            account_digest: self.account_digest(record),
            photo_count: ids.len() as u64,
            bucket_versions: versions,
            recent_heads: Vec::new(),
        });
        txn.open_table(MANIFESTS)?.insert(self.account, head.as_slice())?;
        Ok(())
    }

    fn seal_head(&self, head: &ManifestHead) -> Vec<u8> {
        seal(&self.key, &self.head_aad(), &encode(head))
    }

    fn open_head(&self, sealed: Option<&[u8]>) -> Result<ManifestHead, Tampered> {
        let sealed = sealed.ok_or(Tampered("the account's manifest is missing"))?;
        let plain =
            open(&self.key, &self.head_aad(), sealed).map_err(|_| Tampered("the account's manifest was changed"))?;
        let head: ManifestHead = decode(&plain).map_err(|_| Tampered("the account's manifest was changed"))?;
        if head.version != MANIFEST_VERSION
            || head.bucket_versions.len() != BUCKETS
            || head.recent_heads.len() > RECENT_HEADS
        {
            return Err(Tampered("the account's manifest was changed"));
        }
        Ok(head)
    }

    fn open_bucket(&self, bucket: u8, version: u64, sealed: Option<&[u8]>) -> Result<Vec<u64>, Tampered> {
        let changed = Tampered("the list of the account's photos was changed or replaced by an older copy");
        match (version, sealed) {
            (0, None) => Ok(Vec::new()),
            (0, Some(_)) | (_, None) => Err(changed),
            (v, Some(sealed)) => {
                let plain = open(&self.key, &self.bucket_aad(bucket, v), sealed).map_err(|_| changed.clone())?;
                decode(&plain).map_err(|_| changed)
            }
        }
    }

    /// Reads and checks the head against the account record's stored bytes; returns it
    /// with its fingerprint.
    pub(crate) fn read_head(
        &self,
        txn: &ReadTransaction,
        record: &[u8],
    ) -> Result<(ManifestHead, [u8; 32]), ManifestError> {
        let table = txn.open_table(MANIFESTS)?;
        let stored = table.get(self.account)?;
        let sealed = stored.as_ref().map(|g| g.value());
        let head = self.open_head(sealed)?;
        if head.account_digest != self.account_digest(record) {
            return Err(Tampered("the account record was changed or replaced by an older copy").into());
        }
        Ok((head, fingerprint(sealed.unwrap_or_default())))
    }

    /// Every photo id the manifest lists, each bucket checked against the head.
    pub(crate) fn read_ids(&self, txn: &ReadTransaction, head: &ManifestHead) -> Result<BTreeSet<u64>, ManifestError> {
        let table = txn.open_table(MANIFEST_BUCKETS)?;
        let mut all = Vec::new();
        for (bucket, &version) in head.bucket_versions.iter().enumerate() {
            let bucket = bucket as u8;
            let stored = table.get((self.account, bucket))?;
            all.extend(self.open_bucket(bucket, version, stored.as_ref().map(|g| g.value()))?);
        }
        // Built at once from the whole list (sorted, then bulk-built), not an insert per
        // ID in the buckets' interleaved order: a tenth of a list's time at a million.
        let ids = BTreeSet::from_iter(all);
        if ids.len() as u64 != head.photo_count {
            return Err(Tampered("the list of the account's photos was changed").into());
        }
        Ok(ids)
    }

    /// Records `change` in the manifest within `txn`, the transaction that makes it:
    /// the counter goes up by one. Returns the new counter and the new head's fingerprint.
    pub(crate) fn apply(&self, txn: &WriteTransaction, change: Change<'_>) -> Result<(u64, [u8; 32]), StorageError> {
        let tampered = |t: Tampered| StorageError::tampered(t.0);
        let mut heads = txn.open_table(MANIFESTS)?;
        let (mut head, previous) = {
            let stored = heads.get(self.account)?;
            let sealed = stored.as_ref().map(|g| g.value());
            (self.open_head(sealed).map_err(tampered)?, fingerprint(sealed.unwrap_or_default()))
        };
        head.counter += 1;
        head.recent_heads.insert(0, previous);
        head.recent_heads.truncate(RECENT_HEADS);
        match change {
            Change::Account { previous, new } => {
                if head.account_digest != self.account_digest(previous) {
                    return Err(StorageError::tampered("the account record was changed or replaced by an older copy"));
                }
                head.account_digest = self.account_digest(new);
            }
            Change::Add(id) | Change::Remove(id) => {
                let adding = matches!(change, Change::Add(_));
                let bucket = bucket_of(id);
                let mut buckets = txn.open_table(MANIFEST_BUCKETS)?;
                let version = head.bucket_versions[usize::from(bucket)];
                let mut ids = {
                    let stored = buckets.get((self.account, bucket))?;
                    self.open_bucket(bucket, version, stored.as_ref().map(|g| g.value())).map_err(tampered)?
                };
                match (ids.binary_search(&id), adding) {
                    (Err(at), true) => {
                        ids.insert(at, id);
                        head.photo_count += 1;
                    }
                    (Ok(at), false) => {
                        ids.remove(at);
                        head.photo_count = head.photo_count.saturating_sub(1);
                    }
                    // Adding a listed id or removing an unlisted one (deleting a photo that
                    // should not be there) changes nothing but the counter.
                    _ => {}
                }
                head.bucket_versions[usize::from(bucket)] = head.counter;
                let sealed = seal(&self.key, &self.bucket_aad(bucket, head.counter), &encode(&ids));
                buckets.insert((self.account, bucket), sealed.as_slice())?;
            }
        }
        let sealed = self.seal_head(&head);
        heads.insert(self.account, sealed.as_slice())?;
        Ok((head.counter, fingerprint(&sealed)))
    }
}

/// Reading the manifest failed: it cannot be trusted, or the storage failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManifestError {
    #[error(transparent)]
    Tampered(#[from] Tampered),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

macro_rules! manifest_storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ManifestError {
            fn from(e: $t) -> Self { ManifestError::Storage(e.into()) }
        }
    )*};
}
manifest_storage_from!(redb::StorageError, redb::TableError);

impl From<ManifestError> for StorageError {
    fn from(e: ManifestError) -> Self {
        match e {
            ManifestError::Tampered(t) => StorageError::tampered(t.0),
            ManifestError::Storage(s) => s,
        }
    }
}
