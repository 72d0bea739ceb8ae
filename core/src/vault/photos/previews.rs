//! Previews of photos: what the login shows, the sharp thumbnail behind a photo's key, and
//! changing how an account's locked photos look.

use super::*;

impl Session {
    /// What the login shows of a photo: its thumbnail JPEG, or its blurred placeholder when
    /// the account's previews are blurred. [`PhotoError::PreviewHidden`] when there is
    /// none (hidden previews): then only its key opens its thumbnail.
    pub(crate) fn thumbnail(&self, id: PhotoId) -> Result<SecretBytes, PhotoError> {
        guard(|| {
            let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
            let entry = self.manifest_entry(&txn, id)?.ok_or(PhotoError::NotFound(id))?;
            match self.login_preview(&txn, id, &entry)? {
                Some(LoginPreview::Thumbnail(jpeg) | LoginPreview::Placeholder(jpeg)) => Ok(jpeg),
                None => {
                    let private = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
                    Err(match private.get(id.0).map_err(StorageError::from)? {
                        Some(_) => PhotoError::PreviewHidden(id),
                        None => PhotoError::Locked(id),
                    })
                }
            }
        })
    }

    /// The login-visible preview row of a photo, opened, with its authenticated form. The
    /// photo's preview rows must be the ones its manifest `entry` pins (a row put back, or
    /// sealed by someone who knew an older password, is not taken); the row is sealed
    /// under the generation that was current when it was written, tried newest first.
    pub(super) fn login_preview(
        &self,
        txn: &redb::ReadTransaction,
        id: PhotoId,
        entry: &Entry,
    ) -> Result<Option<LoginPreview>, PhotoError> {
        let table = txn.open_table(THUMBNAILS).map_err(StorageError::from)?;
        let Some(row) = table.get(id.0).map_err(StorageError::from)? else { return Ok(None) };
        let private = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
        let private = private.get(id.0).map_err(StorageError::from)?;
        if previews_digest(id.0, Some(row.value()), private.as_ref().map(|g| g.value())) != entry.previews {
            return Err(PhotoError::Locked(id));
        }
        for (_, key) in self.keys().all().rev() {
            let key = derive_subkey(key, Subkey::Thumbnail);
            if let Ok(jpeg) = open_padded(&key, &thumb_aad(self.account_id, id.0), row.value()) {
                return Ok(Some(LoginPreview::Thumbnail(SecretBytes::from(jpeg))));
            }
            if let Ok(jpeg) = open_padded(&key, &placeholder_aad(self.account_id, id.0), row.value()) {
                return Ok(Some(LoginPreview::Placeholder(SecretBytes::from(jpeg))));
            }
        }
        Err(PhotoError::Locked(id))
    }

    /// The photo's previews as stored, opened with the photo's key (its password, or the
    /// recovery key): the sharp thumbnail, when one is stored (in the private row, or as
    /// the login's preview), and whether the stored form is the account's current choice.
    /// Rows that are not the ones the manifest pins count as missing (they are made again).
    pub(crate) fn stored_previews(&self, id: PhotoId, unlock: &PhotoUnlock<'_>) -> Result<StoredPreviews, PhotoError> {
        guard(|| {
            let (_, _, key) = self.photo_key(id, unlock)?;
            let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
            let entry = self.manifest_entry(&txn, id)?.ok_or(PhotoError::NotFound(id))?;
            let row = |table: redb::TableDefinition<u64, &[u8]>| -> Result<Option<Vec<u8>>, StorageError> {
                Ok(txn.open_table(table)?.get(id.0)?.map(|g| g.value().to_vec()))
            };
            let (public, private) = (row(THUMBNAILS)?, row(PRIVATE_THUMBNAILS)?);
            if previews_digest(id.0, public.as_deref(), private.as_deref()) != entry.previews {
                return Ok(StoredPreviews { thumbnail: None, current: false });
            }
            // The key opened (a wrong password failed above): a private row that does not
            // open with it is damaged, and is made again like a missing one.
            let private = private.and_then(|sealed| {
                open_padded(&derive_private_thumbnail_key(&key), &private_thumb_aad(self.account_id, id.0), &sealed)
                    .ok()
                    .map(SecretBytes::from)
            });
            let login = self.login_preview(&txn, id, &entry).unwrap_or(None);
            let current = matches!(
                (self.previews(), &login, &private),
                (Previews::Sharp, Some(LoginPreview::Thumbnail(_)), None)
                    | (Previews::Blurred, Some(LoginPreview::Placeholder(_)), Some(_))
                    | (Previews::Hidden, None, Some(_))
            );
            let thumbnail = private.or(match login {
                Some(LoginPreview::Thumbnail(jpeg)) => Some(jpeg),
                _ => None,
            });
            Ok(StoredPreviews { thumbnail, current })
        })
    }

    /// Stores a photo's previews in the form of the account's current choice (opened with
    /// its key, which seals the private thumbnail), replacing what was there, with the
    /// manifest's entry for them. Not while the account is read-only.
    pub(crate) fn store_previews(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
        thumbnail: &[u8],
        placeholder: &[u8],
    ) -> Result<(), PhotoError> {
        self.writable()?;
        guard(|| {
            let (_, _, key) = self.photo_key(id, unlock)?;
            let keys = self.keys();
            let wanted = self.seal_thumbnails(&keys, id.0, &key, thumbnail, placeholder);
            let txn = self.vault.begin_write().map_err(StorageError::from)?;
            // Sealed under a key a password change has since replaced: not written (the
            // next opening of the photo does it again).
            if self.keys().generation() != keys.generation() {
                return Ok(());
            }
            let state = {
                let entry = self.entries_of(&[id.0])?.into_iter().next().ok_or(PhotoError::NotFound(id))?;
                self.write_thumbnails(&txn, id.0, &wanted)?;
                let changed = Entry { previews: wanted.digest(id.0), ..entry };
                self.manifest_key().apply(&txn, &[Change::Put(changed)])?
            };
            txn.commit().map_err(StorageError::from)?;
            self.wrote(state);
            Ok(())
        })
    }

    /// The manifest's entries of the photos `ids` (ascending) that it lists, for a write
    /// transaction that is to change their rows: the manifest is read as it was committed,
    /// which is what the write sees too (there is one writer, and it has not changed the
    /// manifest yet).
    fn entries_of(&self, ids: &[u64]) -> Result<Vec<Entry>, StorageError> {
        let read = self.vault.db.begin_read()?;
        let (_, head, _) = self.pinned_record(&read)?;
        let key = self.manifest_key();
        if ids.len() == 1 {
            return Ok(key.entry(&read, &head, ids[0])?.into_iter().collect());
        }
        let entries = key.read_entries(&read, &head)?;
        Ok(ids.iter().filter_map(|id| entries.binary_search_by_key(id, |e| e.id).ok().map(|i| entries[i])).collect())
    }

    /// The sharp previews the login can read (photos stored while previews were sharp),
    /// for [`Session::set_previews`] to make placeholders from, outside its transaction.
    pub(crate) fn sharp_previews(&self) -> Result<Vec<(PhotoId, SecretBytes)>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let mut out = Vec::new();
            for entry in self.manifest_entries(&txn)? {
                let id = PhotoId(entry.id);
                if let Ok(Some(LoginPreview::Thumbnail(jpeg))) = self.login_preview(&txn, id, &entry) {
                    out.push((id, jpeg));
                }
            }
            Ok(out)
        })
    }

    /// Sets how the account's locked photos look after login, and in the same transaction
    /// takes what the login could see out of its reach as far as the login alone can:
    /// going blurred, each sharp preview is replaced by its placeholder from `placeholders`
    /// (made from [`Session::sharp_previews`]; none: the preview goes); going hidden, every
    /// login preview goes. The manifest's entries follow the rows.
    /// Each photo's sharp thumbnail comes back, sealed under its key, when it is next
    /// unlocked.
    pub(crate) fn set_previews(
        &self,
        previews: Previews,
        placeholders: &[(PhotoId, Option<Vec<u8>>)],
    ) -> Result<(), RegisterError> {
        guard(|| {
            let mut profile = self.profile();
            profile.previews = previews;
            let mut placeholders: Vec<&(PhotoId, Option<Vec<u8>>)> = placeholders.iter().collect();
            placeholders.sort_unstable_by_key(|(id, _)| *id);
            placeholders.dedup_by_key(|(id, _)| *id);
            self.update_profile(profile, |txn| {
                let entries = match previews {
                    Previews::Sharp => return Ok(Vec::new()),
                    Previews::Blurred => {
                        self.entries_of(&placeholders.iter().map(|(id, _)| id.0).collect::<Vec<_>>())?
                    }
                    Previews::Hidden => {
                        let read = self.vault.db.begin_read()?;
                        self.manifest_entries(&read)?
                    }
                };
                let mut table = txn.open_table(THUMBNAILS)?;
                let private = txn.open_table(PRIVATE_THUMBNAILS)?;
                // Read within the write: the key a password change has made current.
                let thumbnail_key = self.keys().current_subkey(Subkey::Thumbnail);
                let mut changed = Vec::with_capacity(entries.len());
                for entry in entries {
                    let id = entry.id;
                    let row = match previews {
                        Previews::Blurred => {
                            let placeholder = placeholders
                                .binary_search_by_key(&id, |(p, _)| p.0)
                                .ok()
                                .and_then(|i| placeholders[i].1.as_ref());
                            placeholder
                                .map(|jpeg| seal_padded(&thumbnail_key, &placeholder_aad(self.account_id, id), jpeg))
                        }
                        _ => None,
                    };
                    match &row {
                        Some(sealed) => table.insert(id, sealed.as_slice())?,
                        None => table.remove(id)?,
                    };
                    let private = private.get(id)?;
                    let digest = previews_digest(id, row.as_deref(), private.as_ref().map(|g| g.value()));
                    changed.push(Entry { previews: digest, ..entry });
                }
                Ok(changed)
            })
        })
    }
}
