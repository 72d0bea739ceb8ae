//! Previews of photos: what the login shows, the sharp thumbnail behind a photo's key, and
//! changing how an account's locked photos look.

use super::*;

impl Session {
    /// What the login shows of a photo: its thumbnail JPEG, or its blurred placeholder when
    /// the account's previews are blurred. [`PhotoError::PreviewHidden`] when there is
    /// none (hidden previews): then only its key opens its thumbnail.
    pub fn thumbnail(&self, id: PhotoId) -> Result<SecretBytes, PhotoError> {
        guard(|| {
            self.ensure_held(id)?;
            match self.login_preview(id)? {
                Some(LoginPreview::Thumbnail(jpeg) | LoginPreview::Placeholder(jpeg)) => Ok(jpeg),
                None => {
                    let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
                    let private = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
                    Err(match private.get(id.0).map_err(StorageError::from)? {
                        Some(_) => PhotoError::PreviewHidden(id),
                        None => PhotoError::Locked(id),
                    })
                }
            }
        })
    }

    /// The login-visible preview row of a photo, opened, with its authenticated form.
    pub(super) fn login_preview(&self, id: PhotoId) -> Result<Option<LoginPreview>, PhotoError> {
        let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
        let table = txn.open_table(THUMBNAILS).map_err(StorageError::from)?;
        let Some(row) = table.get(id.0).map_err(StorageError::from)? else { return Ok(None) };
        let key = derive_subkey(&self.master, Subkey::Thumbnail);
        if let Ok(jpeg) = open_padded(&key, &thumb_aad(self.account_id, id.0), row.value()) {
            return Ok(Some(LoginPreview::Thumbnail(SecretBytes::from(jpeg))));
        }
        let jpeg = open_padded(&key, &placeholder_aad(self.account_id, id.0), row.value())
            .map_err(|_| PhotoError::Locked(id))?;
        Ok(Some(LoginPreview::Placeholder(SecretBytes::from(jpeg))))
    }

    /// The photo's previews as stored, opened with the photo's key (its password, or the
    /// recovery key): the sharp thumbnail, when one is stored (in the private row, or as
    /// the login's preview), and whether the stored form is the account's current choice.
    pub fn stored_previews(&self, id: PhotoId, unlock: &PhotoUnlock<'_>) -> Result<StoredPreviews, PhotoError> {
        guard(|| {
            let (_, _, key) = self.photo_key(id, unlock)?;
            let private = {
                let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
                let table = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
                table.get(id.0).map_err(StorageError::from)?.map(|g| g.value().to_vec())
            };
            // The key opened (a wrong password failed above): a private row that does not
            // open with it is damaged, and is made again like a missing one.
            let private = private.and_then(|sealed| {
                open_padded(&derive_private_thumbnail_key(&key), &private_thumb_aad(self.account_id, id.0), &sealed)
                    .ok()
                    .map(SecretBytes::from)
            });
            let login = self.login_preview(id)?;
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
    /// its key, which seals the private thumbnail), replacing what was there.
    pub fn store_previews(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
        thumbnail: &[u8],
        placeholder: &[u8],
    ) -> Result<(), PhotoError> {
        guard(|| {
            let (_, _, key) = self.photo_key(id, unlock)?;
            let wanted = self.seal_thumbnails(id.0, &key, thumbnail, placeholder);
            let txn = self.vault.begin_write().map_err(StorageError::from)?;
            self.write_thumbnails(&txn, id.0, &wanted)?;
            txn.commit().map_err(StorageError::from)?;
            Ok(())
        })
    }

    /// The sharp previews the login can read (photos stored while previews were sharp),
    /// for [`Session::set_previews`] to make placeholders from, outside its transaction.
    pub fn sharp_previews(&self) -> Result<Vec<(PhotoId, SecretBytes)>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let table = txn.open_table(THUMBNAILS)?;
            let photos = txn.open_table(PHOTOS)?;
            let key = derive_subkey(&self.master, Subkey::Thumbnail);
            let mut out = Vec::new();
            for entry in photos.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                let id = entry?.0.value().1;
                if let Some(row) = table.get(id)?
                    && let Ok(jpeg) = open_padded(&key, &thumb_aad(self.account_id, id), row.value())
                {
                    out.push((PhotoId(id), SecretBytes::from(jpeg)));
                }
            }
            Ok(out)
        })
    }

    /// Sets how the account's locked photos look after login, and in the same transaction
    /// takes what the login could see out of its reach as far as the login alone can:
    /// going blurred, each sharp preview is replaced by its placeholder from `placeholders`
    /// (made from [`Session::sharp_previews`]; none: the preview goes); going hidden, every
    /// login preview goes.
    /// Each photo's sharp thumbnail comes back, sealed under its key, when it is next
    /// unlocked.
    pub fn set_previews(
        &self,
        previews: Previews,
        placeholders: &[(PhotoId, Option<Vec<u8>>)],
    ) -> Result<(), RegisterError> {
        guard(|| {
            let mut profile = self.profile();
            profile.previews = previews;
            let key = derive_subkey(&self.master, Subkey::Thumbnail);
            self.update_profile(profile, |txn| {
                let mut table = txn.open_table(THUMBNAILS)?;
                match previews {
                    Previews::Sharp => {}
                    Previews::Blurred => {
                        for (id, placeholder) in placeholders {
                            match placeholder {
                                Some(jpeg) => {
                                    let sealed = seal_padded(&key, &placeholder_aad(self.account_id, id.0), jpeg);
                                    table.insert(id.0, sealed.as_slice())?
                                }
                                None => table.remove(id.0)?,
                            };
                        }
                    }
                    Previews::Hidden => {
                        // Every photo of the account, read in this transaction (no record
                        // needs opening, and one whose record is damaged goes too).
                        let ids: Vec<u64> = txn
                            .open_table(PHOTOS)?
                            .range((self.account_id, 0)..=(self.account_id, u64::MAX))?
                            .map(|entry| entry.map(|(key, _)| key.value().1))
                            .collect::<Result<_, _>>()?;
                        for id in ids {
                            table.remove(id)?;
                        }
                    }
                }
                Ok(())
            })
        })
    }
}
