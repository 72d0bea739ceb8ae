//! The manifest of an account: a sealed record of what the account holds, rewritten in the
//! same transaction as every write, so that changes made to the vault file by anyone
//! without the current generation's key are noticed at login and by `verify`.
//!
//! Its head pins a counter (raised by every write transaction), a digest of the account
//! record (so that a replaced recovery public key, key wrap or profile, an older copy of any
//! of them included, is refused at login) and the number of photos. Each photo's entry
//! (its id and the digests of its record and of its preview rows) sits in a bucket of ids:
//! the buckets cover the ids in ranges, each sealed with the counter at which it was last
//! written, which the head lists, and a bucket that grows past [`MAX_BUCKET`] entries is
//! cut in two. A write rewrites the head and the buckets it touches, however large the
//! account; an old copy of a bucket does not open under the head. Which photo went
//! missing, which one should not be there, and which one's rows were replaced, can then be
//! named.
//!
//! Everything is bound to the vault's random id, so a manifest cannot be moved into another
//! vault; the counter lets the front ends notice a whole vault replaced by an older copy
//! (`seen`).

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use crate::crypto::{SecretKey, Subkey, keyed_hash, open, seal};

use super::PhotoId;
use super::error::StorageError;
use super::keys::AccountKeys;
pub(crate) use super::records::Entry;
use super::records::{MANIFEST_VERSION, ManifestHead, decode, encode};
use super::schema::{MANIFEST_BUCKETS, MANIFESTS};

/// A bucket with more entries than this after a write is cut into buckets of half as many
/// (8 in the unit tests, so that a few photos make several).
pub(crate) const MAX_BUCKET: usize = if cfg!(test) { 8 } else { 1024 };
/// How many earlier heads a head lists (see `ManifestHead::recent_heads`).
pub(crate) const RECENT_HEADS: usize = 32;

/// The fingerprint of a head as stored (its sealed bytes), or of a recovery public key:
/// what the computer remembers outside the vault (`seen`).
pub(crate) fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// A 16-byte digest of `parts` under `label` (BLAKE3, truncated): what the manifest and a
/// backup's snapshot pin of a photo's rows.
fn digest(label: &[u8], id: u64, parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(label);
    hasher.update(&id.to_be_bytes());
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().as_bytes()[..16].try_into().expect("16 of 32 bytes")
}

/// The digest of photo `id`'s record as stored.
pub(crate) fn record_digest(id: u64, record: &[u8]) -> [u8; 16] {
    digest(b"secure-photo-gallery v3 record", id, &[record])
}

/// The digest of album `id`'s row as stored: what the profile pins of it.
pub(crate) fn album_digest(id: u64, row: &[u8]) -> [u8; 16] {
    digest(b"secure-photo-gallery v3 album row", id, &[row])
}

/// The digest of photo `id`'s preview rows as stored (either may be absent).
pub(crate) fn previews_digest(id: u64, thumbnail: Option<&[u8]>, private: Option<&[u8]>) -> [u8; 16] {
    let row = |value: Option<&[u8]>| -> Vec<u8> {
        match value {
            None => vec![0],
            Some(v) => [[1u8].as_slice(), &(v.len() as u64).to_be_bytes(), v].concat(),
        }
    };
    digest(b"secure-photo-gallery v3 previews", id, &[&row(thumbnail), &row(private)])
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

const CHANGED: Tampered = Tampered("the list of the account's photos was changed or replaced by an older copy");

/// The manifest's key (the current generation's) and the place it belongs to.
pub(crate) struct ManifestKey {
    key: SecretKey,
    generation: u32,
    vault_id: [u8; 16],
    account: u64,
}

/// One change a write makes to the account.
pub(crate) enum Change<'a> {
    /// A photo was stored, or its preview rows changed: its entry as it is now.
    Put(Entry),
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

/// Which bucket of `buckets` (sorted by their first id, the first at 0) holds `id`.
fn bucket_of(buckets: &[(u64, u64)], id: u64) -> usize {
    buckets.partition_point(|&(first, _)| first <= id).saturating_sub(1)
}

type BucketTable<'t> = redb::Table<'t, (u64, u64), &'static [u8]>;

impl ManifestKey {
    /// The manifest key of `account` in the vault `vault_id`: the current generation's.
    pub(crate) fn new(keys: &AccountKeys, vault_id: [u8; 16], account: u64) -> Self {
        ManifestKey { key: keys.current_subkey(Subkey::Manifest), generation: keys.generation(), vault_id, account }
    }

    fn head_aad(&self) -> Vec<u8> {
        [b"secure-photo-gallery v3 manifest".as_slice(), &self.vault_id, &self.account.to_be_bytes()].concat()
    }

    fn bucket_aad(&self, first: u64, version: u64) -> Vec<u8> {
        [
            b"secure-photo-gallery v3 manifest bucket".as_slice(),
            &self.vault_id,
            &self.account.to_be_bytes(),
            &first.to_be_bytes(),
            &version.to_be_bytes(),
        ]
        .concat()
    }

    /// The digest of an account record's stored bytes that the head pins.
    pub(crate) fn account_digest(&self, record: &[u8]) -> [u8; 32] {
        keyed_hash(&self.key, &[b"secure-photo-gallery v3 account record".as_slice(), record].concat())
    }

    /// Writes the manifest of a new account, or of one restored from a backup, in the
    /// transaction that stores its record: counter 1, `entries` (ascending) in buckets of
    /// half the largest size, each written at version 1; an account without photos has one
    /// empty bucket.
    pub(crate) fn write_first(
        &self,
        txn: &WriteTransaction,
        record: &[u8],
        entries: &[Entry],
    ) -> Result<(u64, [u8; 32]), StorageError> {
        let mut table = txn.open_table(MANIFEST_BUCKETS)?;
        let mut buckets = Vec::new();
        let pieces: Vec<&[Entry]> =
            if entries.is_empty() { vec![&[]] } else { entries.chunks(MAX_BUCKET / 2).collect() };
        for (i, piece) in pieces.into_iter().enumerate() {
            let first = if i == 0 { 0 } else { piece[0].id };
            self.write_bucket(&mut table, first, 1, piece)?;
            buckets.push((first, 1));
        }
        let head = ManifestHead {
            version: MANIFEST_VERSION,
            generation: self.generation,
            counter: 1,
            account_digest: self.account_digest(record),
            photo_count: entries.len() as u64,
            buckets,
            recent_heads: Vec::new(),
        };
        let sealed = self.seal_head(&head);
        txn.open_table(MANIFESTS)?.insert(self.account, sealed.as_slice())?;
        Ok((1, fingerprint(&sealed)))
    }

    fn seal_head(&self, head: &ManifestHead) -> Vec<u8> {
        seal(&self.key, &self.head_aad(), &encode(head))
    }

    fn open_head(&self, sealed: Option<&[u8]>) -> Result<ManifestHead, Tampered> {
        let changed = Tampered("the account's manifest was changed");
        let sealed = sealed.ok_or(Tampered("the account's manifest is missing"))?;
        let plain = open(&self.key, &self.head_aad(), sealed).map_err(|_| changed.clone())?;
        let head: ManifestHead = decode(&plain).map_err(|_| changed.clone())?;
        let buckets_fit = head.buckets.first().is_some_and(|&(first, _)| first == 0)
            && head.buckets.windows(2).all(|w| w[0].0 < w[1].0)
            && head.buckets.iter().all(|&(_, version)| (1..=head.counter).contains(&version));
        if head.version != MANIFEST_VERSION
            || head.generation != self.generation
            || !buckets_fit
            || head.recent_heads.len() > RECENT_HEADS
        {
            return Err(changed);
        }
        Ok(head)
    }

    fn write_bucket(
        &self,
        table: &mut BucketTable<'_>,
        first: u64,
        version: u64,
        entries: &[Entry],
    ) -> Result<(), StorageError> {
        let sealed = seal(&self.key, &self.bucket_aad(first, version), &encode(&entries));
        table.insert((self.account, first), sealed.as_slice())?;
        Ok(())
    }

    /// Bucket `index` of `head`, opened and checked: its entries ascend and lie in its
    /// range.
    fn open_bucket(
        &self,
        table: &impl ReadableTable<(u64, u64), &'static [u8]>,
        head: &ManifestHead,
        index: usize,
    ) -> Result<Vec<Entry>, ManifestError> {
        let (first, version) = head.buckets[index];
        let end = head.buckets.get(index + 1).map_or(u64::MAX, |&(next, _)| next);
        let stored = table.get((self.account, first))?.ok_or(CHANGED)?;
        let plain = open(&self.key, &self.bucket_aad(first, version), stored.value()).map_err(|_| CHANGED)?;
        let entries: Vec<Entry> = decode(&plain).map_err(|_| CHANGED)?;
        let fits = entries.windows(2).all(|w| w[0].id < w[1].id)
            && entries.first().is_none_or(|e| e.id >= first)
            && entries.last().is_none_or(|e| e.id < end);
        if !fits {
            return Err(CHANGED.into());
        }
        Ok(entries)
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

    /// Every entry the manifest lists, ascending, each bucket checked against the head,
    /// handed to `each` a bucket at a time (at a million photos the whole list is 40 MB).
    pub(crate) fn for_each_bucket(
        &self,
        txn: &ReadTransaction,
        head: &ManifestHead,
        mut each: impl FnMut(Vec<Entry>),
    ) -> Result<(), ManifestError> {
        let table = txn.open_table(MANIFEST_BUCKETS)?;
        let mut count = 0u64;
        for index in 0..head.buckets.len() {
            let entries = self.open_bucket(&table, head, index)?;
            count += entries.len() as u64;
            each(entries);
        }
        if count != head.photo_count {
            return Err(Tampered("the list of the account's photos was changed").into());
        }
        Ok(())
    }

    /// Every entry the manifest lists, ascending.
    pub(crate) fn read_entries(&self, txn: &ReadTransaction, head: &ManifestHead) -> Result<Vec<Entry>, ManifestError> {
        let mut all = Vec::with_capacity(head.photo_count.min(1 << 24) as usize);
        self.for_each_bucket(txn, head, |entries| all.extend(entries))?;
        Ok(all)
    }

    /// The entry of photo `id`, if the manifest lists it (one bucket is read).
    pub(crate) fn entry(
        &self,
        txn: &ReadTransaction,
        head: &ManifestHead,
        id: u64,
    ) -> Result<Option<Entry>, ManifestError> {
        let table = txn.open_table(MANIFEST_BUCKETS)?;
        let entries = self.open_bucket(&table, head, bucket_of(&head.buckets, id))?;
        Ok(entries.binary_search_by_key(&id, |e| e.id).ok().map(|i| entries[i]))
    }

    /// The head as `txn` sees it now, opened and checked.
    pub(crate) fn current_head(&self, txn: &WriteTransaction) -> Result<ManifestHead, StorageError> {
        let stored = txn.open_table(MANIFESTS)?.get(self.account)?.map(|g| g.value().to_vec());
        self.open_head(stored.as_deref()).map_err(|t| StorageError::tampered(t.0))
    }

    /// Opens the head for a write: checked, its counter raised by one and the previous
    /// head listed first among the recent ones.
    fn next_head(&self, txn: &WriteTransaction) -> Result<ManifestHead, StorageError> {
        let heads = txn.open_table(MANIFESTS)?;
        let stored = heads.get(self.account)?;
        let sealed = stored.as_ref().map(|g| g.value());
        let mut head = self.open_head(sealed).map_err(|t| StorageError::tampered(t.0))?;
        head.counter += 1;
        head.recent_heads.insert(0, fingerprint(sealed.unwrap_or_default()));
        head.recent_heads.truncate(RECENT_HEADS);
        Ok(head)
    }

    /// Records `changes` in the manifest within `txn`, the transaction that makes them:
    /// the counter goes up by one, and each bucket they touch is written once. Returns the
    /// new counter and the new head's fingerprint.
    pub(crate) fn apply(
        &self,
        txn: &WriteTransaction,
        changes: &[Change<'_>],
    ) -> Result<(u64, [u8; 32]), StorageError> {
        let mut head = self.next_head(txn)?;
        let mut table = txn.open_table(MANIFEST_BUCKETS)?;
        // The buckets changed, by their place in the head, as they will be written.
        let mut touched: BTreeMap<usize, Vec<Entry>> = BTreeMap::new();
        for change in changes {
            let (id, put) = match change {
                Change::Account { previous, new } => {
                    if head.account_digest != self.account_digest(previous) {
                        return Err(StorageError::tampered(
                            "the account record was changed or replaced by an older copy",
                        ));
                    }
                    head.account_digest = self.account_digest(new);
                    continue;
                }
                Change::Put(entry) => (entry.id, Some(*entry)),
                Change::Remove(id) => (*id, None),
            };
            let index = bucket_of(&head.buckets, id);
            let entries = match touched.entry(index) {
                std::collections::btree_map::Entry::Occupied(bucket) => bucket.into_mut(),
                std::collections::btree_map::Entry::Vacant(bucket) => {
                    bucket.insert(self.open_bucket(&table, &head, index).map_err(StorageError::from)?)
                }
            };
            match (entries.binary_search_by_key(&id, |e| e.id), put) {
                (Ok(at), Some(entry)) => entries[at] = entry,
                (Err(at), Some(entry)) => {
                    entries.insert(at, entry);
                    head.photo_count += 1;
                }
                (Ok(at), None) => {
                    entries.remove(at);
                    head.photo_count = head.photo_count.saturating_sub(1);
                }
                // Removing an unlisted id (deleting a photo that should not be there)
                // changes nothing but the counter.
                (Err(_), None) => {}
            }
        }
        // From the last bucket down, so that a bucket cut in two or removed leaves the
        // places of the ones before it as they are.
        for (index, entries) in touched.into_iter().rev() {
            let first = head.buckets[index].0;
            if entries.is_empty() && index > 0 {
                // Its range joins the bucket before it.
                table.remove((self.account, first))?;
                head.buckets.remove(index);
                continue;
            }
            let pieces: Vec<&[Entry]> =
                if entries.len() > MAX_BUCKET { entries.chunks(MAX_BUCKET / 2).collect() } else { vec![&entries] };
            for (i, piece) in pieces.iter().enumerate() {
                let start = if i == 0 { first } else { piece[0].id };
                self.write_bucket(&mut table, start, head.counter, piece)?;
                if i == 0 {
                    head.buckets[index].1 = head.counter;
                } else {
                    head.buckets.insert(index + i, (start, head.counter));
                }
            }
        }
        let sealed = self.seal_head(&head);
        txn.open_table(MANIFESTS)?.insert(self.account, sealed.as_slice())?;
        Ok((head.counter, fingerprint(&sealed)))
    }

    /// A password change or recovery: re-seals the whole manifest under `to`, the new
    /// generation's key, pinning the record `new` in place of `previous` (which must be
    /// the one pinned now). Every bucket is written again at the new counter.
    pub(crate) fn rekey(
        &self,
        txn: &WriteTransaction,
        to: &ManifestKey,
        previous: &[u8],
        new: &[u8],
    ) -> Result<(u64, [u8; 32]), StorageError> {
        let mut head = self.next_head(txn)?;
        if head.account_digest != self.account_digest(previous) {
            return Err(StorageError::tampered("the account record was changed or replaced by an older copy"));
        }
        let mut table = txn.open_table(MANIFEST_BUCKETS)?;
        for index in 0..head.buckets.len() {
            let entries = self.open_bucket(&table, &head, index).map_err(StorageError::from)?;
            let first = head.buckets[index].0;
            to.write_bucket(&mut table, first, head.counter, &entries)?;
            head.buckets[index].1 = head.counter;
        }
        head.generation = to.generation;
        head.account_digest = to.account_digest(new);
        let sealed = to.seal_head(&head);
        txn.open_table(MANIFESTS)?.insert(self.account, sealed.as_slice())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    fn entry(id: u64) -> Entry {
        Entry { id, generation: 1, record: [id as u8; 16], previews: [!(id as u8); 16] }
    }

    #[test]
    fn buckets_split_as_they_grow_join_when_emptied_and_rekey_to_a_new_generation() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("m.redb")).unwrap();
        let keys = AccountKeys::first(SecretKey::random());
        let key = ManifestKey::new(&keys, [9; 16], 4);
        let txn = db.begin_write().unwrap();
        key.write_first(&txn, b"record", &[]).unwrap();
        txn.commit().unwrap();
        // Twenty photos, five transactions of four: the buckets split along the way.
        for run in 0..5u64 {
            let txn = db.begin_write().unwrap();
            let changes: Vec<Change<'_>> = (0..4).map(|i| Change::Put(entry(100 + run * 4 + i))).collect();
            assert_eq!(key.apply(&txn, &changes).unwrap().0, run + 2, "one counter step a transaction");
            txn.commit().unwrap();
        }
        let read = |key: &ManifestKey, record: &[u8]| {
            let txn = db.begin_read().unwrap();
            let (head, _) = key.read_head(&txn, record).map_err(StorageError::from)?;
            let all = key.read_entries(&txn, &head).map_err(StorageError::from)?;
            Ok::<_, StorageError>((head, all))
        };
        let (head, all) = read(&key, b"record").unwrap();
        assert!(head.buckets.len() > 2, "{:?}", head.buckets);
        assert_eq!(all, (100..120).map(entry).collect::<Vec<_>>());
        assert_eq!(head.photo_count, 20);
        // A changed preview digest replaces the entry; removing every photo of a bucket
        // removes the bucket.
        let txn = db.begin_write().unwrap();
        let mut changed = entry(105);
        changed.previews = [0; 16];
        let mut changes = vec![Change::Put(changed)];
        changes.extend((112..120).map(Change::Remove));
        key.apply(&txn, &changes).unwrap();
        txn.commit().unwrap();
        let (after, all) = read(&key, b"record").unwrap();
        assert!(after.buckets.len() < head.buckets.len());
        assert_eq!(all.len(), 12);
        assert_eq!(all[5], changed);
        // The next generation's key takes over; the old one opens nothing any more.
        let next = keys.then(SecretKey::random());
        let to = ManifestKey::new(&next, [9; 16], 4);
        let txn = db.begin_write().unwrap();
        key.rekey(&txn, &to, b"record", b"record 2").unwrap();
        txn.commit().unwrap();
        assert!(read(&key, b"record 2").is_err());
        assert!(read(&to, b"record").is_err(), "the new record is pinned");
        assert_eq!(read(&to, b"record 2").unwrap().1, all);
    }

    #[test]
    fn an_old_copy_of_a_bucket_or_a_bucket_moved_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("m.redb")).unwrap();
        let key = ManifestKey::new(&AccountKeys::first(SecretKey::random()), [9; 16], 4);
        let txn = db.begin_write().unwrap();
        key.write_first(&txn, b"r", &[entry(1), entry(2)]).unwrap();
        txn.commit().unwrap();
        let old = db
            .begin_read()
            .unwrap()
            .open_table(MANIFEST_BUCKETS)
            .unwrap()
            .get((4, 0))
            .unwrap()
            .unwrap()
            .value()
            .to_vec();
        let txn = db.begin_write().unwrap();
        key.apply(&txn, &[Change::Remove(1)]).unwrap();
        txn.commit().unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(MANIFEST_BUCKETS).unwrap().insert((4, 0), old.as_slice()).unwrap();
        txn.commit().unwrap();
        let txn = db.begin_read().unwrap();
        let (head, _) = key.read_head(&txn, b"r").unwrap();
        assert!(matches!(key.read_entries(&txn, &head), Err(ManifestError::Tampered(_))));
    }
}
