//! Restoring: a snapshot opened with the password or the recovery words, its photos
//! written back with their rows as they were stored.

use super::*;

/// What opens a backup: the login password, or the recovery key.
pub(crate) enum BackupCredentials<'a> {
    /// The login password.
    Password(&'a str),
    /// The recovery key's words.
    Recovery(RecoveryKey),
}

/// A backup's snapshot, opened: the account and the photos it lists.
pub struct OpenedBackup {
    pub(super) account: u64,
    record: Vec<u8>,
    username: String,
    email: String,
    keys: AccountKeys,
    photos: Vec<Entry>,
    /// The album rows the record's profile pins.
    albums: Vec<(u64, Vec<u8>)>,
    written_at: i64,
    password_set_at: i64,
}

impl std::fmt::Debug for OpenedBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedBackup").field("username", &self.username).field("photos", &self.photos.len()).finish()
    }
}

/// Opens a snapshot (`SNAPSHOT`'s bytes) for `username`.
pub(crate) fn open_backup(
    snapshot: &[u8],
    username: &str,
    with: BackupCredentials<'_>,
) -> Result<OpenedBackup, RestoreError> {
    guard(|| {
        let head = SnapshotHead::parse(snapshot)?;
        if !head.kdf.is_acceptable() {
            return Err(RestoreError::Damaged("its key derivation cost is out of bounds".into()));
        }
        let wrong = || RestoreError::WrongCredentials { made_at: head.written_at, set_at: head.changed_at };
        let (current, recovery) = match with {
            BackupCredentials::Password(password) => (head.open_with(password).ok_or_else(wrong)?, None),
            BackupCredentials::Recovery(words) => {
                let key = words
                    .open_account_key(head.account, head.generation, &head.key_by_recovery)
                    .map_err(|_| wrong())?;
                (key, Some(words))
            }
        };
        let (body, record) = head.open_body(&current)?;
        if recovery.is_some_and(|r| r.public_key().0 != record.recovery_public) {
            return Err(RestoreError::Damaged("the account snapshot does not match itself".into()));
        }
        if record.username.to_lowercase() != username.to_lowercase() {
            return Err(wrong());
        }
        // What the vault itself would never hold: refused before it reaches one.
        let fits = super::super::validate_username(&record.username).is_ok() && (1..u64::MAX).contains(&head.account);
        if !fits {
            return Err(RestoreError::Damaged("the account snapshot holds what no vault holds".into()));
        }
        let keys = AccountKeys::open(head.account, head.generation, current, &record.older_keys)
            .map_err(|_| RestoreError::Damaged("the keys of the account's earlier generations do not open".into()))?;
        let profile = super::super::account::open_profile(&keys, head.account, &record.profile)
            .map_err(|_| RestoreError::Damaged("the account's profile does not open".into()))?;
        Ok(OpenedBackup {
            account: head.account,
            record: body.record,
            username: record.username,
            email: profile.email.clone(),
            keys,
            photos: body.photos,
            albums: crate::vault::albums::keep_pinned(body.albums, &profile.albums),
            written_at: body.written_at,
            password_set_at: head.changed_at,
        })
    })
}

impl OpenedBackup {
    /// The user name as registered.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// When the backup was made (Unix seconds).
    pub fn written_at(&self) -> i64 {
        self.written_at
    }

    /// When the login password the backup opens with was set (Unix seconds): for the
    /// restore to say, so that a backup older than the owner's last password change is
    /// noticed.
    pub fn password_set_at(&self) -> i64 {
        self.password_set_at
    }

    /// Where the account's password emails go (its profile's email): for the restore to
    /// say.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The backup as it will be restored with a new login password: the account in its next
    /// generation (as after a password change), so that nothing written after the restore
    /// opens with a password of the backup's time. The password rule applies; Argon2id runs
    /// here. [`Vault::restore_finish`] then writes the account in that generation at once.
    pub fn with_new_password(mut self, password: &str) -> Result<OpenedBackup, RegisterError> {
        guard(|| {
            super::super::password::check_new_password(password, &[&self.username, &self.email])?;
            let record: AccountRecord = decode(&self.record)?;
            let profile = super::super::account::open_profile(&self.keys, self.account, &record.profile)?;
            let (keys, record) =
                super::super::account::next_generation(&self.keys, &record, self.account, &profile, password)?;
            self.record = encode(&record);
            self.keys = keys;
            self.password_set_at = record.changed_at;
            Ok(self)
        })
    }

    /// The photos the snapshot lists, each with its objects' names.
    pub fn photos(&self) -> Vec<(BackupPhoto, ObjectNames)> {
        self.photos.iter().filter_map(|e| Some((BackupPhoto(*e), object_names(&self.keys, e)?))).collect()
    }

    /// Opens `photo`'s objects and checks them as `verify` would (see
    /// [`Session::open_backup_photo`]).
    pub fn open_photo(
        &self,
        photo: &BackupPhoto,
        data: &[u8],
        previews: Option<&[u8]>,
    ) -> Result<RestoredPhoto, RestoreError> {
        open_photo_objects(&self.keys, self.account, &photo.0, data, previews)
    }
}

impl Vault {
    /// Makes room for a restore: the user name and the account's number must be free (the
    /// rows an interrupted restore of the same account left are removed).
    pub fn restore_begin(&self, backup: &OpenedBackup) -> Result<(), RestoreError> {
        guard(|| {
            let txn = self.begin_write().map_err(StorageError::from)?;
            {
                let names = txn.open_table(USERNAMES).map_err(StorageError::from)?;
                if names.get(backup.username.to_lowercase().as_str()).map_err(StorageError::from)?.is_some() {
                    return Err(RestoreError::UsernameTaken(backup.username.clone()));
                }
                let accounts = txn.open_table(ACCOUNTS).map_err(StorageError::from)?;
                let mut manifests = txn.open_table(MANIFESTS).map_err(StorageError::from)?;
                let reserved =
                    manifests.get(backup.account).map_err(StorageError::from)?.map(|g| g.value() == RESTORING);
                if accounts.get(backup.account).map_err(StorageError::from)?.is_some() || reserved == Some(false) {
                    return Err(RestoreError::AccountIdTaken);
                }
                // The id is kept from registrations until the restore ends (one that was cut
                // off kept it too, and is taken over here).
                manifests.insert(backup.account, RESTORING).map_err(StorageError::from)?;
                let mut photos = txn.open_table(PHOTOS).map_err(StorageError::from)?;
                let left: Vec<u64> = photos
                    .range((backup.account, 0)..=(backup.account, u64::MAX))
                    .map_err(StorageError::from)?
                    .map(|e| e.map(|(k, _)| k.value().1))
                    .collect::<Result<_, _>>()
                    .map_err(StorageError::from)?;
                for id in left {
                    photos.remove((backup.account, id)).map_err(StorageError::from)?;
                    remove_photo_rows(&txn, id)?;
                }
                txn.open_table(CONTENT_HASHES)
                    .map_err(StorageError::from)?
                    .retain_in((backup.account, &[0; 32])..=(backup.account, &[255; 32]), |_, _| false)
                    .map_err(StorageError::from)?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(())
        })
    }

    /// Writes checked photos (one transaction). They stay invisible until
    /// [`Vault::restore_finish`] writes the account.
    pub fn restore_photos(&self, backup: &OpenedBackup, photos: &[RestoredPhoto]) -> Result<(), RestoreError> {
        guard(|| {
            let txn = self.begin_write().map_err(StorageError::from)?;
            for photo in photos {
                write_photo_rows(&txn, backup.account, photo)?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(())
        })
    }

    /// Writes the account (its record as backed up, its user name and a manifest of the
    /// photos written) in one transaction: before it the account does not exist, after it
    /// the account is whole, with the photos written (those the backup lost are left out).
    pub fn restore_finish(&self, backup: &OpenedBackup) -> Result<(), RestoreError> {
        guard(|| {
            let txn = self.begin_write().map_err(StorageError::from)?;
            {
                let records = txn.open_table(PHOTOS).map_err(StorageError::from)?;
                let mut written = std::collections::BTreeMap::new();
                for entry in
                    records.range((backup.account, 0)..=(backup.account, u64::MAX)).map_err(StorageError::from)?
                {
                    let (key, value) = entry.map_err(StorageError::from)?;
                    written.insert(key.value().1, value.value().to_vec());
                }
                let listed: BTreeSet<u64> = backup.photos.iter().map(|e| e.id).collect();
                if !written.keys().all(|id| listed.contains(id)) {
                    return Err(RestoreError::Damaged("photos the backup does not list were written".into()));
                }
                let reserved = txn
                    .open_table(MANIFESTS)
                    .map_err(StorageError::from)?
                    .get(backup.account)
                    .map_err(StorageError::from)?
                    .is_some_and(|g| g.value() == RESTORING);
                let name_free = txn
                    .open_table(USERNAMES)
                    .map_err(StorageError::from)?
                    .get(backup.username.to_lowercase().as_str())
                    .map_err(StorageError::from)?
                    .is_none();
                if !reserved {
                    return Err(RestoreError::AccountIdTaken);
                }
                if !name_free {
                    return Err(RestoreError::UsernameTaken(backup.username.clone()));
                }
                txn.open_table(ACCOUNTS)
                    .map_err(StorageError::from)?
                    .insert(backup.account, backup.record.as_slice())
                    .map_err(StorageError::from)?;
                txn.open_table(USERNAMES)
                    .map_err(StorageError::from)?
                    .insert(backup.username.to_lowercase().as_str(), backup.account)
                    .map_err(StorageError::from)?;
                // Each photo as written: its preview digest is that of the previews restored.
                let thumbnails = txn.open_table(THUMBNAILS).map_err(StorageError::from)?;
                let private = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
                let mut entries = Vec::with_capacity(written.len());
                for (id, record) in &written {
                    let listed = backup.photos.binary_search_by_key(id, |e| e.id).map(|i| backup.photos[i]);
                    let listed = listed.map_err(|_| RestoreError::Damaged("a photo is not listed".into()))?;
                    if record_digest(*id, record) != listed.record {
                        return Err(RestoreError::Damaged(format!(
                            "photo {} was changed while it was restored",
                            PhotoId(*id)
                        )));
                    }
                    let thumbnail = thumbnails.get(*id).map_err(StorageError::from)?;
                    let private = private.get(*id).map_err(StorageError::from)?;
                    entries.push(Entry {
                        record: record_digest(*id, record),
                        previews: previews_digest(
                            *id,
                            thumbnail.as_ref().map(|g| g.value()),
                            private.as_ref().map(|g| g.value()),
                        ),
                        ..listed
                    });
                }
                let mut albums = txn.open_table(ALBUMS).map_err(StorageError::from)?;
                for (id, row) in &backup.albums {
                    albums.insert((backup.account, *id), row.as_slice()).map_err(StorageError::from)?;
                }
                ManifestKey::new(&backup.keys, self.id, backup.account).write_first(&txn, &backup.record, &entries)?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(())
        })
    }
}

/// Writes a photo's rows from a backup under `account`, replacing any it has there; refuses
/// an ID that another account's photo has.
pub(super) fn write_photo_rows(
    txn: &redb::WriteTransaction,
    account: u64,
    photo: &RestoredPhoto,
) -> Result<(), RestoreError> {
    let mut records = txn.open_table(PHOTOS).map_err(StorageError::from)?;
    let mut chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
    let id = photo.entry.id;
    let ours = records.get((account, id)).map_err(StorageError::from)?.is_some();
    if !ours && chunks.get((id, 0)).map_err(StorageError::from)?.is_some() {
        return Err(RestoreError::PhotoIdTaken(PhotoId(id)));
    }
    records.insert((account, id), photo.data.record.as_slice()).map_err(StorageError::from)?;
    chunks.retain_in((id, 0)..=(id, u32::MAX), |_, _| false).map_err(StorageError::from)?;
    for (i, segment) in photo.data.segments.iter().enumerate() {
        chunks.insert((id, i as u32), segment.as_slice()).map_err(StorageError::from)?;
    }
    for (table, row) in
        [(THUMBNAILS, &photo.previews.thumbnail), (PRIVATE_THUMBNAILS, &photo.previews.private_thumbnail)]
    {
        let mut table = txn.open_table(table).map_err(StorageError::from)?;
        match row {
            Some(bytes) => table.insert(id, bytes.as_slice()),
            None => table.remove(id),
        }
        .map_err(StorageError::from)?;
    }
    // The same file imported on two computers is two photos: the index keeps the first.
    let mut hashes = txn.open_table(CONTENT_HASHES).map_err(StorageError::from)?;
    if hashes.get((account, &photo.header.content_hash)).map_err(StorageError::from)?.is_none() {
        hashes.insert((account, &photo.header.content_hash), id).map_err(StorageError::from)?;
    }
    Ok(())
}

/// Removes photo `id`'s chunks and previews (not its record, nor its duplicate-index entry).
fn remove_photo_rows(txn: &redb::WriteTransaction, id: u64) -> Result<(), StorageError> {
    txn.open_table(CHUNKS)?.retain_in((id, 0)..=(id, u32::MAX), |_, _| false)?;
    txn.open_table(THUMBNAILS)?.remove(id)?;
    txn.open_table(PRIVATE_THUMBNAILS)?.remove(id)?;
    Ok(())
}
