//! Storing photos: content hashes, preparing, sealing and writing photos (each whole in a
//! transaction, with its manifest update; an import puts a few in one), and deleting.

use super::*;

impl Session {
    /// The hash of `bytes` from which this account's duplicate checks are made.
    pub(crate) fn content_hash(&self, bytes: &[u8]) -> ContentHash {
        ContentHash(*blake3::hash(bytes).as_bytes())
    }

    /// The keyed content hash of `hash` under generation `generation`'s key: the key of
    /// the duplicate index, and the header's `content_hash`.
    fn content_key(keys: &AccountKeys, generation: u32, hash: &ContentHash) -> Option<[u8; 32]> {
        Some(keyed_hash(&keys.subkey(generation, Subkey::ContentHash)?, &hash.0))
    }

    /// Whether this account already holds a photo with these bytes. An index entry whose
    /// photo is not in the account (put back into the file after the photo was deleted), or
    /// whose record is not the one the manifest pins or does not carry that hash, does not
    /// count: the photo is imported again, and the entry replaced.
    pub(crate) fn holding(&self, hash: &ContentHash) -> Result<Option<PhotoId>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let hashes = txn.open_table(CONTENT_HASHES)?;
            self.duplicate_of(&hashes, &txn.open_table(PHOTOS)?, hash, &[])
        })
    }

    /// The photo of the account that has the bytes `hash` was made of, looked up under the
    /// key of each generation (a photo is indexed under its own): the one rule of
    /// [`Session::contains`] and of the duplicate check in [`Session::write`]. The photo
    /// must be listed in the manifest with its record, or be one of `written` (stored by
    /// the transaction that asks, whose manifest write comes at its end).
    pub(super) fn duplicate_of(
        &self,
        hashes: &impl ReadableTable<(u64, &'static [u8; 32]), u64>,
        photos: &impl ReadableTable<(u64, u64), &'static [u8]>,
        hash: &ContentHash,
        written: &[u64],
    ) -> Result<Option<PhotoId>, StorageError> {
        let keys = self.keys();
        for (generation, _) in keys.all().rev() {
            let key = Self::content_key(&keys, generation, hash).expect("a generation of these keys");
            let Some(id) = hashes.get((self.account_id, &key))?.map(|g| g.value()) else { continue };
            let Some(record) = photos.get((self.account_id, id))? else { continue };
            let carries = decode::<PhotoRecord>(record.value())
                .and_then(|r| decode::<PhotoHeader>(&r.header))
                .is_ok_and(|h| h.content_hash == key);
            if carries && (written.contains(&id) || self.pins_record(id, record.value())?) {
                return Ok(Some(PhotoId(id)));
            }
        }
        Ok(None)
    }

    /// Whether the manifest, as committed, lists photo `id` with the record `record`.
    fn pins_record(&self, id: u64, record: &[u8]) -> Result<bool, StorageError> {
        let txn = self.vault.db.begin_read()?;
        Ok(self.manifest_entry(&txn, PhotoId(id))?.is_some_and(|e| e.record == record_digest(id, record)))
    }

    /// The next photo id of this session's run (see [`IdRun`]): ids no photo of the vault
    /// has, nor any photo a pull could bring from a run of another computer (whose random
    /// prefix is another one).
    fn next_id(&self, chunks: &impl ReadableTable<(u64, u32), &'static [u8]>) -> Result<PhotoId, StorageError> {
        let mut run = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            let used_up = run.as_ref().is_none_or(|r| r.next >> RUN_BITS != 0);
            if used_up {
                // A fresh prefix (44 random bits, not 0) whose range holds no photo yet.
                let prefix = loop {
                    let bytes: [u8; 8] = crate::crypto::random_array();
                    let prefix = u64::from_le_bytes(bytes) & ((super::super::id::ID_LIMIT >> RUN_BITS) - 1);
                    let range = (prefix << RUN_BITS, 0)..((prefix + 1) << RUN_BITS, 0);
                    if prefix != 0 && chunks.range(range)?.next().is_none() {
                        break prefix;
                    }
                };
                *run = Some(IdRun { prefix, next: 0 });
            }
            let r = run.as_mut().expect("set above");
            let id = (r.prefix << RUN_BITS) | r.next;
            r.next += 1;
            // Every photo of every account has its first segment: an id in use has one.
            if chunks.get((id, 0))?.is_none() {
                return Ok(PhotoId(id));
            }
        }
    }

    /// Chooses an ID, a key and a password for a photo and seals its metadata and
    /// thumbnails; nothing is written yet.
    pub(crate) fn prepare(&self, new: NewPhoto) -> Result<PreparedPhoto, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let id = self.next_id(&txn.open_table(CHUNKS)?)?;
            let key = SecretKey::random();
            let keys = self.keys();
            let thumbnails = self.seal_thumbnails(&keys, id.0, &key, &new.thumbnail_jpeg, &new.placeholder_jpeg);
            Ok(PreparedPhoto {
                id,
                password: PhotoPassword::generate(),
                meta: new.meta,
                content_hash: new.content_hash,
                generation: keys.generation(),
                key,
                thumbnails,
            })
        })
    }

    /// The stored forms of a photo's previews under the account's current choice, sealed
    /// under the current generation's key (someone who knew an older password reads no
    /// preview written since). The placeholder is sealed with associated data of its own,
    /// so that the stored form is authenticated: a placeholder is never taken for the
    /// thumbnail.
    pub(super) fn seal_thumbnails(
        &self,
        keys: &AccountKeys,
        id: u64,
        key: &SecretKey,
        thumbnail: &[u8],
        placeholder: &[u8],
    ) -> SealedThumbnails {
        let public_key = keys.current_subkey(Subkey::Thumbnail);
        let private =
            || seal_padded(&derive_private_thumbnail_key(key), &private_thumb_aad(self.account_id, id), thumbnail);
        match self.previews() {
            Previews::Sharp => SealedThumbnails {
                public: Some(seal_padded(&public_key, &thumb_aad(self.account_id, id), thumbnail)),
                private: None,
            },
            Previews::Blurred => SealedThumbnails {
                public: Some(seal_padded(&public_key, &placeholder_aad(self.account_id, id), placeholder)),
                private: Some(private()),
            },
            Previews::Hidden => SealedThumbnails { public: None, private: Some(private()) },
        }
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// Encrypts `bytes` (which must be the prepared file's bytes) and stores the photo in
    /// one transaction: a crash leaves either the whole photo or nothing.
    pub(crate) fn store(&self, photo: &PreparedPhoto, bytes: &[u8]) -> Result<(), StoreError> {
        self.write(self.seal(photo, bytes)?)
    }

    /// Records redb's allocator state after a run of [`Session::write`]s, so that a crash
    /// later (the app stays open for hours after an import) reopens the vault at once
    /// instead of after reading the whole file.
    pub(crate) fn checkpoint(&self) -> Result<(), StorageError> {
        guard(|| Ok(self.vault.begin_write()?.commit()?))
    }

    /// The CPU half of [`Session::store`], which may run on any thread: checks that `bytes`
    /// are the prepared file's, and encrypts them and the photo's records.
    pub(crate) fn seal(&self, photo: &PreparedPhoto, bytes: &[u8]) -> Result<SealedPhoto, StoreError> {
        if self.content_hash(bytes) != photo.content_hash || bytes.len() as u64 != photo.meta.bytes {
            return Err(StoreError::Changed);
        }
        let keys = self.keys();
        let generation = photo.generation;
        let (Some(account_key), Some(content_key)) =
            (keys.of(generation), Self::content_key(&keys, generation, &photo.content_hash))
        else {
            return Err(StoreError::PasswordChanged);
        };
        let id = photo.id.0;
        let nonce_prefix: [u8; 7] = crate::crypto::random_array();
        let mut enc = StreamEncryptor::new(&photo.key, nonce_prefix);
        let mut mac = ChunkMac::new(&derive_subkey(account_key, Subkey::Verify), id);
        // The stream holds the photo and zeros up to its Padmé length, so the stored size
        // reveals only a bucket; the exact size is in the sealed metadata.
        let padded = padme(bytes.len() as u64);
        let count = crate::crypto::chunk_count(padded);
        let mut tail = SecretBytes::with_capacity(CHUNK_SIZE);
        let mut chunk_index = 0;
        let mut segments = Vec::new();
        for (segment_index, chunks) in segment_sizes(count).enumerate() {
            let mut segment = Vec::with_capacity(chunks as usize * (CHUNK_SIZE + TAG_LEN));
            for _ in 0..chunks {
                let start = chunk_index as usize * CHUNK_SIZE;
                let end = (start + CHUNK_SIZE).min(padded as usize);
                chunk_index += 1;
                let piece = if end <= bytes.len() {
                    &bytes[start..end]
                } else {
                    // The chunk where the photo ends and the zeros begin.
                    tail.clear();
                    tail.extend_from_slice(&bytes[start.min(bytes.len())..]);
                    tail.resize(end - start, 0);
                    &tail[..]
                };
                enc.encrypt_chunk(piece, chunk_index == count, &mut segment);
            }
            mac.segment(segment_index as u32, &segment);
            segments.push(segment);
        }
        let key_by_recovery = self
            .recovery_public
            .seal_photo_key(id, &photo.key)
            .map_err(|_| StorageError::tampered("the account's recovery key is not a valid public key"))?;
        let header = encode(&PhotoHeader {
            version: PHOTO_RECORD_VERSION,
            generation,
            nonce_prefix,
            chunk_count: count,
            key_by_password: seal(
                &derive_photo_wrap_key(account_key, id, &photo.password),
                &key_aad(id),
                photo.key.expose(),
            ),
            key_by_recovery,
            ciphertext_mac: mac.0.finalize(),
            content_hash: content_key,
        });
        let meta = seal_encoded(
            &derive_subkey(account_key, Subkey::Metadata),
            &meta_aad(self.account_id, id, &header),
            &photo.meta,
        );
        Ok(SealedPhoto {
            id,
            generation,
            content_hash: photo.content_hash,
            content_key,
            record: encode(&PhotoRecord { header, meta }),
            thumbnails: photo.thumbnails.clone(),
            segments,
        })
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// The storage half of [`Session::store`]: writes a sealed photo in one transaction,
    /// unless the account already holds the same bytes. Call [`Session::checkpoint`] after
    /// a run of writes.
    pub(crate) fn write(&self, photo: SealedPhoto) -> Result<(), StoreError> {
        self.write_all(vec![photo])?.pop().expect("one result for one photo")
    }

    /// Writes sealed photos in one transaction (one manifest write for them all): for each,
    /// written or [`StoreError::Duplicate`] (the account already holds the same bytes, or
    /// an earlier photo of `photos` does). A storage failure writes none of them. Call
    /// [`Session::checkpoint`] after a run.
    ///
    /// An import writes its photos a few at a time: every photo rewrites a leaf and the
    /// pages above it in each table, and at a million photos a transaction per photo wrote
    /// about 240 KB of pages for a 3 KB photo (docs/BENCHMARKS.md); a transaction shares
    /// the upper pages and the commit among its photos.
    pub(crate) fn write_all(&self, photos: Vec<SealedPhoto>) -> Result<Vec<Result<(), StoreError>>, StorageError> {
        self.writable()?;
        guard(|| {
            // A plain commit: recording the allocator state with every commit would cost
            // an import ~7% of its time; the checkpoint after the run records it once.
            let txn = self.vault.plain_write()?;
            let current = self.keys().generation();
            let mut results = Vec::with_capacity(photos.len());
            let mut written = Vec::new();
            let mut ids = Vec::new();
            for photo in photos {
                let result = if photo.generation == current {
                    self.write_in(&txn, photo, &ids)
                } else {
                    // Sealed before a password change: under a key that is not the newest.
                    Err(StoreError::PasswordChanged)
                };
                results.push(match result {
                    Ok(entry) => {
                        ids.push(entry.id);
                        written.push(Change::Put(entry));
                        Ok(())
                    }
                    Err(StoreError::Storage(e)) => return Err(e),
                    Err(e) => Err(e),
                });
            }
            if written.is_empty() {
                return Ok(results);
            }
            let state = self.manifest_key().apply(&txn, &written)?;
            txn.commit()?;
            self.wrote(state);
            Ok(results)
        })
    }

    /// Writes one sealed photo within `txn`, after the photos `written` before it there;
    /// returns the manifest's entry for it.
    fn write_in(&self, txn: &redb::WriteTransaction, photo: SealedPhoto, written: &[u64]) -> Result<Entry, StoreError> {
        let id = photo.id;
        let mut hashes = txn.open_table(CONTENT_HASHES).map_err(StorageError::from)?;
        let mut records = txn.open_table(PHOTOS).map_err(StorageError::from)?;
        if self.duplicate_of(&hashes, &records, &photo.content_hash, written)?.is_some() {
            return Err(StoreError::Duplicate);
        }
        let mut table = txn.open_table(CHUNKS).map_err(StorageError::from)?;
        if table.get((id, 0)).map_err(StorageError::from)?.is_some() {
            return Err(StorageError::IdCollision.into());
        }
        for (segment_index, segment) in photo.segments.iter().enumerate() {
            table.insert((id, segment_index as u32), segment.as_slice()).map_err(StorageError::from)?;
        }
        records.insert((self.account_id, id), photo.record.as_slice()).map_err(StorageError::from)?;
        self.write_thumbnails(txn, id, &photo.thumbnails)?;
        hashes.insert((self.account_id, &photo.content_key), id).map_err(StorageError::from)?;
        Ok(Entry {
            id,
            generation: photo.generation,
            record: record_digest(id, &photo.record),
            previews: photo.thumbnails.digest(id),
        })
    }

    /// Writes (or removes) a photo's preview rows to match `thumbnails`.
    pub(super) fn write_thumbnails(
        &self,
        txn: &redb::WriteTransaction,
        id: u64,
        thumbnails: &SealedThumbnails,
    ) -> Result<(), StorageError> {
        for (table, value) in [(THUMBNAILS, &thumbnails.public), (PRIVATE_THUMBNAILS, &thumbnails.private)] {
            let mut table = txn.open_table(table)?;
            match value {
                Some(sealed) => table.insert(id, sealed.as_slice())?,
                None => table.remove(id)?,
            };
        }
        Ok(())
    }

    /// Deletes many photos in one transaction (one manifest write for them all). An ID
    /// that is not in the account, or whose record cannot be read, is answered with its
    /// error and the others are deleted; if the transaction itself fails (a full disk),
    /// nothing is deleted and that is the error. The answers come in the order of `ids`,
    /// each ID once.
    #[allow(clippy::type_complexity)]
    pub(crate) fn delete_many(
        &self,
        ids: &[PhotoId],
    ) -> Result<Vec<(PhotoId, Result<PhotoMeta, PhotoError>)>, StorageError> {
        self.writable()?;
        let mut seen = std::collections::HashSet::new();
        let answers: Vec<(PhotoId, Result<(PhotoHeader, PhotoMeta), PhotoError>)> =
            ids.iter().filter(|id| seen.insert(**id)).map(|&id| (id, self.record(id))).collect();
        guard(|| -> Result<(), StorageError> {
            let found: Vec<(PhotoId, &PhotoHeader)> =
                answers.iter().filter_map(|(id, r)| r.as_ref().ok().map(|(h, _)| (*id, h))).collect();
            if found.is_empty() {
                return Ok(());
            }
            let txn = self.vault.begin_write()?;
            let before = super::front::photos_state(&self.manifest_key().current_head(&txn)?);
            let gone: std::collections::HashSet<u64> = found.iter().map(|(id, _)| id.0).collect();
            let state = {
                let mut photos = txn.open_table(PHOTOS)?;
                let mut chunks = txn.open_table(CHUNKS)?;
                let mut thumbnails = txn.open_table(THUMBNAILS)?;
                let mut private_thumbnails = txn.open_table(PRIVATE_THUMBNAILS)?;
                let mut hashes = txn.open_table(CONTENT_HASHES)?;
                let mut deleted = txn.open_table(super::super::schema::DELETED_PHOTOS)?;
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let mut changes = Vec::with_capacity(found.len());
                for (id, header) in found {
                    photos.remove((self.account_id, id.0))?;
                    chunks.retain_in((id.0, 0)..=(id.0, u32::MAX), |_, _| false)?;
                    thumbnails.remove(id.0)?;
                    private_thumbnails.remove(id.0)?;
                    hashes.remove((self.account_id, &header.content_hash))?;
                    deleted.insert((self.account_id, id.0), now)?;
                    changes.push(Change::Remove(id.0));
                }
                self.manifest_key().apply(&txn, &changes)?
            };
            self.front_without(&txn, before, &gone)?;
            txn.commit()?;
            self.wrote(state);
            Ok(())
        })?;
        Ok(answers.into_iter().map(|(id, result)| (id, result.map(|(_, meta)| meta))).collect())
    }
}
