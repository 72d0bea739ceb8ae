//! Reading photos: their records, the list, and their bytes (decrypted chunk by chunk).

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// Opens a stored record of `account`: authenticates the header with the metadata, under
/// the key of the generation the header names, and returns both.
fn open_record(
    keys: &AccountKeys,
    account: u64,
    id: u64,
    bytes: &[u8],
) -> Result<(PhotoHeader, PhotoMeta), StorageError> {
    let damaged = || StorageError::DamagedPhoto(PhotoId(id));
    let record: PhotoRecord = decode(bytes)?;
    if record.header.first() != Some(&PHOTO_RECORD_VERSION) {
        return Err(damaged());
    }
    // Read before it is authenticated, to know which key authenticates it.
    let header: PhotoHeader = decode(&record.header).map_err(|_| damaged())?;
    let key = keys.subkey(header.generation, Subkey::Metadata).ok_or_else(damaged)?;
    let plain =
        Zeroizing::new(open_padded(&key, &meta_aad(account, id, &record.header), &record.meta).map_err(|_| damaged())?);
    Ok((header, decode(&plain).map_err(|_| damaged())?))
}

/// Checks a photo's rows as `verify` does, with the account's keys alone: the record opens,
/// and the segments are the ones its MAC was made over, all of them and no more.
pub(crate) fn check_rows<'a>(
    keys: &AccountKeys,
    account: u64,
    id: u64,
    record: &[u8],
    segments: impl ExactSizeIterator<Item = &'a [u8]>,
) -> Result<(PhotoHeader, PhotoMeta), StorageError> {
    let (header, meta) = open_record(keys, account, id, record)?;
    if segments.len() != segment_sizes(header.chunk_count).count() {
        return Err(StorageError::DamagedPhoto(PhotoId(id)));
    }
    let verify = keys.subkey(header.generation, Subkey::Verify).expect("the record opened under this generation");
    let mut mac = ChunkMac::new(&verify, id);
    for (index, segment) in segments.enumerate() {
        mac.segment(index as u32, segment);
    }
    if mac.0.finalize() != header.ciphertext_mac {
        return Err(StorageError::DamagedPhoto(PhotoId(id)));
    }
    Ok((header, meta))
}

impl Session {
    /// Opens a stored record: authenticates the header with the metadata and returns both.
    pub(super) fn open_record(&self, id: u64, bytes: &[u8]) -> Result<(PhotoHeader, PhotoMeta), StorageError> {
        open_record(&self.keys(), self.account_id, id, bytes)
    }

    /// [`Session::open_record`] of a record the manifest lists as `entry`: it must be the
    /// record pinned there (one sealed under an older generation could otherwise have been
    /// made by someone who knew an older password).
    pub(super) fn open_pinned_record(
        &self,
        entry: &Entry,
        bytes: &[u8],
    ) -> Result<(PhotoHeader, PhotoMeta), StorageError> {
        if record_digest(entry.id, bytes) != entry.record {
            return Err(StorageError::DamagedPhoto(PhotoId(entry.id)));
        }
        self.open_record(entry.id, bytes)
    }

    /// Every photo of the account, newest first (by date taken; those without one last, by import time).
    /// Records that cannot be read are returned apart, by ID, for the caller to report.
    ///
    /// The photos the manifest lists, with their metadata from the list index where it
    /// has them (a few large values instead of every record: see `index.rs`), and from
    /// their records where it does not; the index is then brought up to date. Without an
    /// index (the first list) every record is read, as [`Session::check_records`] does,
    /// and the index is written. A record removed from the file or put back after a
    /// delete is found here only if the index does not have the photo: `verify` and
    /// [`Session::check_records`] read every record. The front of the list (see
    /// `front.rs`) is written again when it was not taken from these photos, and whenever
    /// the index is.
    pub(crate) fn list(&self) -> Result<(Catalog, Vec<PhotoId>), StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            // The head's fingerprint and the index's segments: what the caches' write
            // checks is unchanged.
            let (_, head, head_read) = self.pinned_record(&txn)?;
            let listed = self.manifest_key().read_entries(&txn, &head)?;
            let index = self.read_index(&txn)?;
            let numbers = index.numbers();
            let state = front::photos_state(&head);
            // An account without photos needs no front.
            let front_behind = match self.read_front(&txn)? {
                Some((taken_from, _)) => taken_from != state,
                None => !listed.is_empty(),
            };
            let (mut photos, damaged, rewrite) = if index.is_empty() && !listed.is_empty() {
                let (photos, damaged) =
                    self.read_records_in(&txn, &listed, true, &AtomicBool::new(false))?.unwrap_or_default();
                // Written only where the account has none.
                (photos, damaged, Some(index::Rewrite::all(listed.iter().map(|e| e.id).collect())))
            } else {
                let (photos, damaged, problems, rewrite) = self.list_with_index(&txn, &listed, index)?;
                if !problems.is_empty() {
                    self.also_found(problems);
                }
                (photos, damaged, rewrite)
            };
            drop(txn);
            photos.sort_newest_first();
            photos.shrink_to_fit();
            // The front is written again with the index: a list that corrects the index
            // (segments damaged or removed) corrects the front taken from it.
            let front = (front_behind || rewrite.is_some()).then_some(state);
            // Only caches: a list that cannot write them (a full disk) still lists.
            let _ = self.write_caches((&numbers, head_read), rewrite, front, &photos);
            Ok((photos, damaged))
        })
    }

    /// Every photo of the account, from every record (the list without the index), newest
    /// first; the records that cannot be read apart. Compares the records with the
    /// manifest, as [`Session::check_records`] does.
    #[cfg(test)]
    pub(super) fn list_from_records(&self) -> Result<(Catalog, Vec<PhotoId>), StorageError> {
        let (mut photos, damaged) = self.read_records(true, &AtomicBool::new(false))?.unwrap_or_default();
        photos.sort_newest_first();
        Ok((photos, damaged))
    }

    /// Reads every record of the account and compares them with the manifest
    /// ([`Session::manifest_problems`]): a record removed from the file, or put back after
    /// its photo was deleted, is found here (the list takes what the index says). Returns
    /// the listed photos whose records cannot be read, or `None` when `stop` was set before
    /// the end (the app locked: at a million photos this takes seconds). The app runs this
    /// after its first screen; it keeps no photo, so that it costs no memory beside the
    /// app's own list.
    pub(crate) fn check_records(&self, stop: &AtomicBool) -> Result<Option<Vec<PhotoId>>, StorageError> {
        Ok(self.read_records(false, stop)?.map(|(_, damaged)| damaged))
    }

    /// Every record of the account: the photos (if `keep`) the manifest lists, and the
    /// records that cannot be read; `None` once `stop` is set. A photo the manifest does
    /// not list is not the account's and is left out; what differs is kept as the
    /// session's problems.
    fn read_records(&self, keep: bool, stop: &AtomicBool) -> Result<Option<(Catalog, Vec<PhotoId>)>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let listed = self.manifest_entries(&txn)?;
            self.read_records_in(&txn, &listed, keep, stop)
        })
    }

    /// [`Session::read_records`] in `txn`, whose manifest lists `listed`.
    fn read_records_in(
        &self,
        txn: &redb::ReadTransaction,
        listed: &[Entry],
        keep: bool,
        stop: &AtomicBool,
    ) -> Result<Option<(Catalog, Vec<PhotoId>)>, StorageError> {
        let table = txn.open_table(PHOTOS)?;
        let (mut photos, mut damaged) = (Catalog::default(), Vec::new());
        let mut stored = BTreeSet::new();
        for (n, row) in table.range((self.account_id, 0)..=(self.account_id, u64::MAX))?.enumerate() {
            if n % 1024 == 0 && stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let (key, value) = row?;
            let id = key.value().1;
            stored.insert(id);
            // Not the account's photos (the manifest problems name them).
            let Ok(at) = listed.binary_search_by_key(&id, |e| e.id) else { continue };
            match self.open_pinned_record(&listed[at], value.value()) {
                Ok((_, meta)) if keep => photos.push(PhotoId(id), &meta),
                Ok(_) => {}
                Err(_) => damaged.push(PhotoId(id)),
            }
        }
        let listed: BTreeSet<u64> = listed.iter().map(|e| e.id).collect();
        self.found_problems(compare(&listed, &stored));
        Ok(Some((photos, damaged)))
    }

    /// Photo `id`'s record, opened: the manifest must list the photo, and its record must
    /// be the one the manifest pins.
    pub(super) fn record(&self, id: PhotoId) -> Result<(PhotoHeader, PhotoMeta), PhotoError> {
        guard(|| {
            let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
            let entry = self.manifest_entry(&txn, id)?.ok_or(PhotoError::NotFound(id))?;
            let table = txn.open_table(PHOTOS).map_err(StorageError::from)?;
            let guard = table
                .get((self.account_id, id.0))
                .map_err(StorageError::from)?
                .ok_or_else(|| PhotoError::NotFound(id))?;
            self.open_pinned_record(&entry, guard.value()).map_err(|_| PhotoError::Locked(id))
        })
    }

    /// The metadata of one photo.
    pub(crate) fn meta(&self, id: PhotoId) -> Result<PhotoMeta, PhotoError> {
        Ok(self.record(id)?.1)
    }

    /// Decrypts the photo's original bytes into `out`, chunk by chunk. Every chunk is
    /// authenticated before it is written, but a damaged later chunk is only found after
    /// earlier ones were written: callers that write files write to a temporary file and
    /// keep it only when this returns `Ok`.
    pub(crate) fn decrypt_to(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
        out: &mut dyn Write,
    ) -> Result<PhotoMeta, PhotoError> {
        guard(|| {
            let (header, meta, key) = self.photo_key(id, unlock)?;
            self.stream(id, &header, &meta, &key, out)?;
            Ok(meta)
        })
    }

    /// The chunks of a photo whose key is open, decrypted into `out` (see
    /// [`Session::decrypt_to`]). The segments must also give the record's MAC, as `verify`
    /// checks: someone who once had both of a photo's factors knows its key, and could
    /// otherwise put other chunks in place of its own.
    fn stream(
        &self,
        id: PhotoId,
        header: &PhotoHeader,
        meta: &PhotoMeta,
        key: &SecretKey,
        out: &mut dyn Write,
    ) -> Result<(), PhotoError> {
        // The key opened, and the record holding it authenticated: what fails now is the data.
        let damaged = || PhotoError::Damaged(id);
        if header.chunk_count != crate::crypto::chunk_count(padme(meta.bytes)) {
            return Err(damaged());
        }
        let verify = self.keys().subkey(header.generation, Subkey::Verify).ok_or_else(damaged)?;
        let mut mac = ChunkMac::new(&verify, id.0);
        let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
        let chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
        let mut dec = StreamDecryptor::new(key, header.nonce_prefix);
        // One chunk-sized buffer for every chunk: never reallocated, so never left behind unwiped.
        let mut buf = SecretBytes::with_capacity(CHUNK_SIZE + TAG_LEN);
        let (mut read, mut written) = (0u64, 0u64);
        let mut chunk_index = 0;
        for (segment_index, expected) in segment_sizes(header.chunk_count).enumerate() {
            let guard = chunks.get((id.0, segment_index as u32)).map_err(StorageError::from)?.ok_or_else(damaged)?;
            mac.segment(segment_index as u32, guard.value());
            let pieces = guard.value().chunks(CHUNK_SIZE + TAG_LEN);
            if pieces.len() != expected as usize {
                return Err(damaged());
            }
            for piece in pieces {
                chunk_index += 1;
                let plain =
                    dec.decrypt_chunk(piece, chunk_index == header.chunk_count, &mut buf).map_err(|_| damaged())?;
                read += plain.len() as u64;
                // The photo, then the zeros that pad it to its Padmé length.
                let photo_part = plain.len().min((meta.bytes - written) as usize);
                let (photo, padding) = plain.split_at(photo_part);
                if padding.iter().any(|&b| b != 0) {
                    return Err(damaged());
                }
                out.write_all(photo)?;
                written += photo.len() as u64;
            }
        }
        let segments = segment_sizes(header.chunk_count).count() as u32;
        let extra = chunks.range((id.0, segments)..=(id.0, u32::MAX)).map_err(StorageError::from)?.next().is_some();
        if header.chunk_count == 0 || written != meta.bytes || read != padme(meta.bytes) || extra {
            return Err(damaged());
        }
        if mac.0.finalize() != header.ciphertext_mac {
            return Err(damaged());
        }
        Ok(())
    }

    /// Checks a photo password without decrypting the photo: whether it opens the key.
    pub(crate) fn check_password(&self, id: PhotoId, password: &PhotoPassword) -> Result<(), PhotoError> {
        self.photo_key(id, &PhotoUnlock::Password(password)).map(|_| ())
    }

    pub(super) fn photo_key(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
    ) -> Result<(PhotoHeader, PhotoMeta, SecretKey), PhotoError> {
        let locked = || PhotoError::Locked(id);
        let (header, meta) = self.record(id)?;
        let key = match unlock {
            PhotoUnlock::Password(password) => {
                let keys = self.keys();
                let account_key = keys.of(header.generation).ok_or_else(locked)?;
                let wrap = derive_photo_wrap_key(account_key, id.0, password);
                let plain = Zeroizing::new(open(&wrap, &key_aad(id.0), &header.key_by_password).map_err(|_| locked())?);
                SecretKey::from_slice(&plain).ok_or_else(locked)?
            }
            PhotoUnlock::Recovery => {
                let recovery = self.recovery.as_ref().ok_or_else(locked)?;
                recovery.open_photo_key(id.0, &header.key_by_recovery).map_err(|_| locked())?
            }
        };
        Ok((header, meta, key))
    }

    /// Decrypts the photo's original bytes into memory (for the viewer).
    pub(crate) fn decrypt(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
    ) -> Result<(PhotoMeta, SecretBytes), PhotoError> {
        guard(|| {
            // The record is opened once; the buffer is sized up front, as a growing Vec
            // would leave unwiped copies of the photo behind.
            let (header, meta, key) = self.photo_key(id, unlock)?;
            let size = usize::try_from(meta.bytes).map_err(|_| PhotoError::Locked(id))?;
            let mut out = SecretBytes::with_capacity(size);
            self.stream(id, &header, &meta, &key, &mut *out)?;
            Ok((meta, out))
        })
    }

    /// The account record as stored now, and the manifest's head, checked to pin it, with
    /// the head's fingerprint (what a later write checks that nothing was written since).
    pub(crate) fn pinned_record(
        &self,
        txn: &redb::ReadTransaction,
    ) -> Result<(Vec<u8>, crate::vault::records::ManifestHead, [u8; 32]), StorageError> {
        let record = txn
            .open_table(ACCOUNTS)?
            .get(self.account_id)?
            .ok_or_else(|| StorageError::tampered("the account record is missing"))?
            .value()
            .to_vec();
        let (head, fingerprint) = self.manifest_key().read_head(txn, &record).map_err(StorageError::from)?;
        Ok((record, head, fingerprint))
    }

    /// The entries the account's manifest lists (ascending by id), its head checked
    /// against the account record as stored now.
    pub(crate) fn manifest_entries(&self, txn: &redb::ReadTransaction) -> Result<Vec<Entry>, StorageError> {
        let (_, head, _) = self.pinned_record(txn)?;
        Ok(self.manifest_key().read_entries(txn, &head)?)
    }

    /// The manifest's entry for photo `id`, if it lists the photo.
    pub(super) fn manifest_entry(
        &self,
        txn: &redb::ReadTransaction,
        id: PhotoId,
    ) -> Result<Option<Entry>, StorageError> {
        let (_, head, _) = self.pinned_record(txn)?;
        Ok(self.manifest_key().entry(txn, &head, id.0)?)
    }
}
