//! Making a backup: the account's photos and their object names, the snapshot, and what a
//! second computer needs for a pull.

use super::restore::write_photo_rows;
use super::*;

impl Session {
    /// The account's photos as a backup lists them (the manifest's entries).
    pub(crate) fn backup_photos(&self) -> Result<Vec<BackupPhoto>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            Ok(self.manifest_entries(&txn)?.into_iter().map(BackupPhoto).collect())
        })
    }

    /// The names of `photo`'s objects in a backup (`None` for a photo of a generation this
    /// account does not have: not one of its own).
    pub(crate) fn backup_object_names(&self, photo: &BackupPhoto) -> Option<ObjectNames> {
        object_names(&self.keys(), &photo.0)
    }

    /// The names photo `id`'s data object has under each of the account's generations (its
    /// own is one of them): what `--prune` removes of a photo deleted here, whose
    /// generation is no longer known.
    pub(crate) fn backup_data_names(&self, id: PhotoId) -> Vec<String> {
        let keys = self.keys();
        keys.all().map(|(_, k)| data_object_name(&derive_subkey(k, Subkey::BackupNames), id.0)).collect()
    }

    /// `photo`'s preview object: its preview rows, sealed; they must be the pinned ones.
    pub(crate) fn backup_previews(&self, photo: &BackupPhoto) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let Entry { id, previews, .. } = photo.0;
            let txn = self.vault.db.begin_read()?;
            let row = |table: redb::TableDefinition<u64, &[u8]>| -> Result<Option<Vec<u8>>, StorageError> {
                Ok(txn.open_table(table)?.get(id)?.map(|g| g.value().to_vec()))
            };
            let object = PreviewObject { thumbnail: row(THUMBNAILS)?, private_thumbnail: row(PRIVATE_THUMBNAILS)? };
            if previews_digest(id, object.thumbnail.as_deref(), object.private_thumbnail.as_deref()) != previews {
                return Err(StorageError::DamagedPhoto(PhotoId(id)));
            }
            // Under the current generation: someone who knew an older password reads no
            // preview sent since.
            let key = self.keys().current_subkey(Subkey::Backup);
            Ok(seal_encoded(&key, &previews_aad(self.account_id, id), &object))
        })
    }

    /// `photo`'s data object: its record and chunks, sealed; the record must be the pinned
    /// one.
    pub(crate) fn backup_photo(&self, photo: &BackupPhoto) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let Entry { id, generation, record: pinned, .. } = photo.0;
            let txn = self.vault.db.begin_read()?;
            let record = txn
                .open_table(PHOTOS)?
                .get((self.account_id, id))?
                .ok_or(StorageError::DamagedPhoto(PhotoId(id)))?
                .value()
                .to_vec();
            if record_digest(id, &record) != pinned {
                return Err(StorageError::DamagedPhoto(PhotoId(id)));
            }
            let chunks = txn.open_table(CHUNKS)?;
            let mut segments = Vec::new();
            for entry in chunks.range((id, 0)..=(id, u32::MAX))? {
                segments.push(serde_bytes::ByteBuf::from(entry?.1.value()));
            }
            let object = DataObject { record, segments };
            let key = self.keys().subkey(generation, Subkey::Backup).ok_or(StorageError::DamagedPhoto(PhotoId(id)))?;
            Ok(seal_encoded(&key, &photo_aad(self.account_id, id), &object))
        })
    }

    /// The account snapshot listing `photos` (those whose objects are in the bucket): the
    /// account record as stored, checked against the manifest first, sealed under the
    /// current generation's key.
    pub(crate) fn backup_snapshot(&self, photos: &[BackupPhoto]) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let (stored, _, _) = self.pinned_record(&txn)?;
            let record: AccountRecord = decode(&stored)?;
            let mut photos: Vec<Entry> = photos.iter().map(|p| p.0).collect();
            photos.sort_unstable_by_key(|e| e.id);
            photos.dedup_by_key(|e| e.id);
            let written_at = time::OffsetDateTime::now_utc().unix_timestamp();
            let profile = crate::vault::account::open_profile(&self.keys(), self.account_id, &record.profile)?;
            let albums = crate::vault::albums::pinned_rows(&txn, self.account_id, &profile.albums)?;
            let body = SnapshotBody { record: stored, photos, written_at, albums };
            let key = self.keys().current_subkey(Subkey::Backup);
            let head = SnapshotHead {
                version: BACKUP_VERSION,
                account: self.account_id,
                generation: record.generation,
                changed_at: record.changed_at,
                written_at,
                kdf: record.kdf,
                salt: record.salt,
                key_by_password: record.key_by_password,
                key_by_recovery: record.key_by_recovery,
                body: seal_encoded(&key, &snapshot_aad(self.account_id), &body),
            };
            Ok(encode(&head))
        })
    }
}

/// A second computer: what a pull needs of the account's own backup.
impl Session {
    /// The photos deleted here (that a pull leaves out, and `--prune` removes remotely).
    pub(crate) fn deleted_photos(&self) -> Result<BTreeSet<PhotoId>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            // A vault has no such table until a photo is deleted.
            let Some(table) = table_if_any(&txn, DELETED_PHOTOS)? else { return Ok(BTreeSet::new()) };
            let mut ids = BTreeSet::new();
            for entry in table.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                ids.insert(PhotoId(entry?.0.value().1));
            }
            Ok(ids)
        })
    }

    /// The photos this account's snapshot in a bucket lists. It must be this account's (its
    /// id), and sealed under the current generation's key, or be the snapshot this account
    /// last wrote there (`pinned`, its fingerprint) if it is of an earlier generation:
    /// someone who knew an older password could have made any other.
    pub(crate) fn read_snapshot(
        &self,
        snapshot: &[u8],
        pinned: Option<[u8; 32]>,
    ) -> Result<Vec<BackupPhoto>, RestoreError> {
        guard(|| {
            let head = SnapshotHead::parse(snapshot)?;
            if head.account != self.account_id {
                return Err(RestoreError::Damaged("it is another account's backup".into()));
            }
            let keys = self.keys();
            if head.generation > keys.generation() {
                return Err(RestoreError::NewerPassword { changed_at: head.changed_at });
            }
            if head.generation < keys.generation() && pinned != Some(snapshot_fingerprint(snapshot)) {
                return Err(RestoreError::OlderPassword);
            }
            let key = keys.of(head.generation).ok_or(RestoreError::OlderPassword)?;
            let (body, _) = head.open_body(key)?;
            Ok(body.photos.into_iter().map(BackupPhoto).collect())
        })
    }

    /// Brings here a password change made on another computer: `snapshot` (this account's,
    /// of a newer generation, see [`RestoreError::NewerPassword`]) opens with `password`,
    /// the one set there; its generation must descend from this one (its older keys are
    /// this account's keys). The account record becomes the snapshot's, and the manifest
    /// and list index are sealed again under the new key: from now on the new password
    /// opens the account here, and the old one does not.
    pub(crate) fn adopt_password_change(&self, snapshot: &[u8], password: &str) -> Result<(), RestoreError> {
        guard(|| {
            self.writable()?;
            let head = SnapshotHead::parse(snapshot)?;
            let keys = self.keys();
            if head.account != self.account_id || head.generation <= keys.generation() {
                return Err(RestoreError::Damaged("it is not a newer backup of this account".into()));
            }
            if !head.kdf.is_acceptable() {
                return Err(RestoreError::Damaged("its key derivation cost is out of bounds".into()));
            }
            let wrong = || RestoreError::WrongCredentials { made_at: head.written_at, set_at: head.changed_at };
            let current = head.open_with(password).ok_or_else(wrong)?;
            let (body, record) = head.open_body(&current)?;
            let next = AccountKeys::open(head.account, head.generation, current, &record.older_keys)
                .map_err(|_| RestoreError::Damaged("the keys of its earlier generations do not open".into()))?;
            let descends = keys.all().all(|(g, key)| next.of(g) == Some(key))
                && record.recovery_public == self.recovery_public.0
                && record.username == self.username();
            if !descends {
                return Err(RestoreError::Damaged(
                    "its password change does not follow from this computer's copy of the account".into(),
                ));
            }
            self.take_record(&body.record, &next)?;
            Ok(())
        })
    }

    /// Opens `photo`'s objects from this account's bucket, checked (as a restore does).
    pub(crate) fn open_backup_photo(
        &self,
        photo: &BackupPhoto,
        data: &[u8],
        previews: Option<&[u8]>,
    ) -> Result<RestoredPhoto, RestoreError> {
        open_photo_objects(&self.keys(), self.account_id, &photo.0, data, previews)
    }

    /// Stores a photo from the account's bucket here, with its manifest write, in one
    /// transaction. `false` when the account holds it already.
    pub(crate) fn adopt(&self, photo: &RestoredPhoto) -> Result<bool, RestoreError> {
        self.writable()?;
        guard(|| {
            let txn = self.vault.begin_write().map_err(StorageError::from)?;
            let state = {
                let here = txn
                    .open_table(PHOTOS)
                    .map_err(StorageError::from)?
                    .get((self.account_id, photo.entry.id))
                    .map_err(StorageError::from)?
                    .is_some();
                if here {
                    return Ok(false);
                }
                write_photo_rows(&txn, self.account_id, photo)?;
                self.manifest_key().apply(&txn, &[Change::Put(photo.entry)])?
            };
            txn.commit().map_err(StorageError::from)?;
            self.wrote(state);
            Ok(true)
        })
    }
}
