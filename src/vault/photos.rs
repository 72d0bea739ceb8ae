//! Photos in a session: prepare (keys, password, sealed metadata and thumbnail), store
//! (one transaction per photo), list, thumbnail, decrypt, delete and verify.

use std::io::Write;

use redb::{ReadableDatabase, ReadableTable};
use zeroize::Zeroizing;

use crate::crypto::{
    CHUNK_SIZE, KeyedHasher, PhotoPassword, SecretBytes, SecretKey, StreamDecryptor, StreamEncryptor, Subkey, TAG_LEN,
    derive_photo_wrap_key, derive_private_thumbnail_key, derive_subkey, keyed_hash, open, open_padded, padme, seal,
    seal_padded,
};

use super::error::{PhotoError, RegisterError, StorageError, StoreError, guard};
use super::manifest::{Change, ManifestError, ManifestProblem};
use super::records::Previews;
use super::records::{PHOTO_RECORD_VERSION, PhotoHeader, PhotoMeta, PhotoRecord, decode, encode};
use super::schema::{ACCOUNTS, CHUNKS, CONTENT_HASHES, PHOTOS, PRIVATE_THUMBNAILS, THUMBNAILS};
use super::{PhotoId, Session};

/// A keyed hash of a file's bytes, distinct per account, used to skip duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

/// A photo ready to be prepared: what imaging found out about it.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// Its metadata (name, size, dimensions, EXIF summary, import time).
    pub meta: PhotoMeta,
    /// Its thumbnail JPEG (sealed before storing).
    pub thumbnail_jpeg: Vec<u8>,
    /// Its blurred placeholder JPEG, shown instead when the account's previews are blurred.
    pub placeholder_jpeg: Vec<u8>,
    /// Its content hash from [`Session::content_hash`].
    pub content_hash: ContentHash,
}

/// A photo with its ID, key and password chosen, waiting for its password to be mailed
/// before [`Session::store`] commits it. Dropping it forgets the key and password.
pub struct PreparedPhoto {
    /// The photo's new ID.
    pub id: PhotoId,
    /// The photo's password, to be mailed to the owner.
    pub password: PhotoPassword,
    /// The metadata that will be stored.
    pub meta: PhotoMeta,
    content_hash: ContentHash,
    key: SecretKey,
    thumbnails: SealedThumbnails,
}

/// A photo's login-visible preview, by the form its associated data proves.
enum LoginPreview {
    Thumbnail(SecretBytes),
    Placeholder(SecretBytes),
}

/// A photo's previews as found with its key ([`Session::stored_previews`]).
pub struct StoredPreviews {
    /// The sharp thumbnail, unless none is stored any more (previews changed from sharp
    /// since, or its row was removed): then it is to be made again from the original.
    pub thumbnail: Option<SecretBytes>,
    /// Whether the stored form is the account's current choice of previews.
    pub current: bool,
}

/// A photo's previews as stored: what the login shows (`thumbnails`), and the thumbnail
/// behind the photo key (`private_thumbnails`), per the account's [`Previews`].
#[derive(Clone)]
struct SealedThumbnails {
    public: Option<Vec<u8>>,
    private: Option<Vec<u8>>,
}

/// A photo encrypted and ready to be written by [`Session::write`]: nothing in it is
/// readable without the account's keys.
pub struct SealedPhoto {
    id: u64,
    content_hash: ContentHash,
    record: Vec<u8>,
    thumbnails: SealedThumbnails,
    segments: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PreparedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedPhoto").field("id", &self.id).field("name", &self.meta.name).finish_non_exhaustive()
    }
}

/// One photo of the account, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoInfo {
    /// Its ID.
    pub id: PhotoId,
    /// Its metadata.
    pub meta: PhotoMeta,
}

/// How to open a photo's key.
pub enum PhotoUnlock<'a> {
    /// With the photo's emailed password (and the session's master key).
    Password(&'a PhotoPassword),
    /// With the recovery key the session was opened with.
    Recovery,
}

/// A photo whose stored data `verify` found changed, missing or unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyProblem {
    /// The photo.
    pub id: PhotoId,
    /// Its name, when the metadata could still be read.
    pub name: Option<String>,
    /// What is wrong, in words.
    pub problem: String,
}

fn meta_aad(account: u64, id: u64, header: &[u8]) -> Vec<u8> {
    [b"secure-photo-gallery v1 metadata".as_slice(), &account.to_be_bytes(), &id.to_be_bytes(), header].concat()
}

fn thumb_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 thumbnail".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn placeholder_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 placeholder".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn private_thumb_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 private thumbnail".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn key_aad(id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 photo-key".as_slice(), &id.to_be_bytes()].concat()
}

/// Crypto chunks stored together in one redb value for the bulk of a photo.
const CHUNKS_PER_SEGMENT: u32 = 16;

/// How many STREAM chunks each stored value ("segment") of a photo holds: full segments
/// of 16 chunks (1 MiB − 1 KiB), then the remaining chunks one per value. redb gives a
/// large value the next power-of-two allocation, so this layout wastes under 64 KiB per
/// photo, where one value for the tail wasted up to half of it (see docs/FORMAT.md).
fn segment_sizes(chunk_count: u32) -> impl Iterator<Item = u32> {
    let full = chunk_count / CHUNKS_PER_SEGMENT;
    std::iter::repeat_n(CHUNKS_PER_SEGMENT, full as usize)
        .chain(std::iter::repeat_n(1, (chunk_count % CHUNKS_PER_SEGMENT) as usize))
}

/// The MAC that `verify` checks: over the photo ID and every stored segment with its index.
struct ChunkMac(KeyedHasher);

impl ChunkMac {
    fn new(key: &SecretKey, id: u64) -> Self {
        let mut h = KeyedHasher::new(key);
        h.update(&id.to_be_bytes());
        Self(h)
    }
    fn segment(&mut self, index: u32, chunk: &[u8]) {
        self.0.update(&index.to_be_bytes());
        self.0.update(&(chunk.len() as u64).to_be_bytes());
        self.0.update(chunk);
    }
}

impl Session {
    /// The keyed hash used to find duplicates of `bytes` in this account.
    pub fn content_hash(&self, bytes: &[u8]) -> ContentHash {
        ContentHash(keyed_hash(&derive_subkey(&self.master, Subkey::ContentHash), bytes))
    }

    /// Whether this account already holds a photo with these bytes. An index entry whose
    /// photo is not in the account (put back into the file after the photo was deleted)
    /// does not count: the photo is imported again, and the entry replaced.
    pub fn contains(&self, hash: &ContentHash) -> Result<bool, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            self.holds(&txn.open_table(CONTENT_HASHES)?, &txn.open_table(PHOTOS)?, hash)
        })
    }

    /// Whether the index holds `hash` for a photo that is in the account: the one rule of
    /// [`Session::contains`] and of the duplicate check in [`Session::write`].
    fn holds(
        &self,
        hashes: &impl ReadableTable<(u64, &'static [u8; 32]), u64>,
        photos: &impl ReadableTable<(u64, u64), &'static [u8]>,
        hash: &ContentHash,
    ) -> Result<bool, StorageError> {
        let Some(id) = hashes.get((self.account_id, &hash.0))?.map(|g| g.value()) else { return Ok(false) };
        Ok(photos.get((self.account_id, id))?.is_some())
    }

    /// Chooses an ID, a key and a password for a photo and seals its metadata and
    /// thumbnails; nothing is written yet.
    pub fn prepare(&self, new: NewPhoto) -> Result<PreparedPhoto, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            // Every photo of every account has its first segment: an id in use has one.
            let chunks = txn.open_table(CHUNKS)?;
            let id = loop {
                let id = PhotoId::random();
                if chunks.get((id.0, 0))?.is_none() {
                    break id;
                }
            };
            let key = SecretKey::random();
            let thumbnails = self.seal_thumbnails(id.0, &key, &new.thumbnail_jpeg, &new.placeholder_jpeg);
            Ok(PreparedPhoto {
                id,
                password: PhotoPassword::generate(),
                meta: new.meta,
                content_hash: new.content_hash,
                key,
                thumbnails,
            })
        })
    }

    /// The stored forms of a photo's previews under the account's current choice. The
    /// placeholder is sealed with associated data of its own, so that the stored form is
    /// authenticated: a placeholder is never taken for the thumbnail.
    fn seal_thumbnails(&self, id: u64, key: &SecretKey, thumbnail: &[u8], placeholder: &[u8]) -> SealedThumbnails {
        let public_key = derive_subkey(&self.master, Subkey::Thumbnail);
        let private =
            || seal_padded(&derive_private_thumbnail_key(key), &private_thumb_aad(self.account_id, id), thumbnail);
        match self.profile().previews {
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

    /// Encrypts `bytes` (which must be the prepared file's bytes) and stores the photo in
    /// one transaction: a crash leaves either the whole photo or nothing.
    pub fn store(&self, photo: &PreparedPhoto, bytes: &[u8]) -> Result<(), StoreError> {
        self.write(self.seal(photo, bytes)?)
    }

    /// Records redb's allocator state after a run of [`Session::write`]s, so that a crash
    /// later (the app stays open for hours after an import) reopens the vault at once
    /// instead of after reading the whole file.
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        guard(|| Ok(self.vault.begin_write()?.commit()?))
    }

    /// The CPU half of [`Session::store`], which may run on any thread: checks that `bytes`
    /// are the prepared file's, and encrypts them and the photo's records.
    pub fn seal(&self, photo: &PreparedPhoto, bytes: &[u8]) -> Result<SealedPhoto, StoreError> {
        if self.content_hash(bytes) != photo.content_hash || bytes.len() as u64 != photo.meta.bytes {
            return Err(StoreError::Changed);
        }
        let id = photo.id.0;
        let nonce_prefix: [u8; 7] = crate::crypto::random_array();
        let mut enc = StreamEncryptor::new(&photo.key, nonce_prefix);
        let mut mac = ChunkMac::new(&derive_subkey(&self.master, Subkey::Verify), id);
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
            nonce_prefix,
            chunk_count: count,
            key_by_password: seal(
                &derive_photo_wrap_key(&self.master, id, &photo.password),
                &key_aad(id),
                photo.key.expose(),
            ),
            key_by_recovery,
            ciphertext_mac: mac.0.finalize(),
            content_hash: photo.content_hash.0,
        });
        let meta_plain = Zeroizing::new(encode(&photo.meta));
        let meta = seal_padded(
            &derive_subkey(&self.master, Subkey::Metadata),
            &meta_aad(self.account_id, id, &header),
            &meta_plain,
        );
        Ok(SealedPhoto {
            id,
            content_hash: photo.content_hash,
            record: encode(&PhotoRecord { header, meta }),
            thumbnails: photo.thumbnails.clone(),
            segments,
        })
    }

    /// The storage half of [`Session::store`]: writes a sealed photo in one transaction,
    /// unless the account already holds the same bytes. Call [`Session::checkpoint`] after
    /// a run of writes.
    pub fn write(&self, photo: SealedPhoto) -> Result<(), StoreError> {
        guard(|| {
            let id = photo.id;
            // A plain commit: recording the allocator state with every photo would cost an
            // import ~7% of its time; the checkpoint after the run records it once.
            let txn = self.vault.db.begin_write().map_err(StorageError::from)?;
            let state = {
                let mut hashes = txn.open_table(CONTENT_HASHES).map_err(StorageError::from)?;
                if self.holds(&hashes, &txn.open_table(PHOTOS).map_err(StorageError::from)?, &photo.content_hash)? {
                    return Err(StoreError::Duplicate);
                }
                let mut table = txn.open_table(CHUNKS).map_err(StorageError::from)?;
                if table.get((id, 0)).map_err(StorageError::from)?.is_some() {
                    return Err(StorageError::IdCollision.into());
                }
                for (segment_index, segment) in photo.segments.iter().enumerate() {
                    table.insert((id, segment_index as u32), segment.as_slice()).map_err(StorageError::from)?;
                }
                txn.open_table(PHOTOS)
                    .map_err(StorageError::from)?
                    .insert((self.account_id, id), photo.record.as_slice())
                    .map_err(StorageError::from)?;
                self.write_thumbnails(&txn, id, &photo.thumbnails)?;
                hashes.insert((self.account_id, &photo.content_hash.0), id).map_err(StorageError::from)?;
                self.manifest_key().apply(&txn, Change::Add(id))?
            };
            txn.commit().map_err(StorageError::from)?;
            self.wrote(state);
            Ok(())
        })
    }

    /// Writes (or removes) a photo's preview rows to match `thumbnails`.
    fn write_thumbnails(
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

    /// Opens a stored record: authenticates the header with the metadata and returns both.
    fn open_record(&self, id: u64, bytes: &[u8]) -> Result<(PhotoHeader, PhotoMeta), StorageError> {
        let damaged = || StorageError::DamagedPhoto(PhotoId(id));
        let record: PhotoRecord = decode(bytes)?;
        if record.header.first() != Some(&PHOTO_RECORD_VERSION) {
            return Err(damaged());
        }
        let plain = Zeroizing::new(
            open_padded(
                &derive_subkey(&self.master, Subkey::Metadata),
                &meta_aad(self.account_id, id, &record.header),
                &record.meta,
            )
            .map_err(|_| damaged())?,
        );
        Ok((decode(&record.header).map_err(|_| damaged())?, decode(&plain).map_err(|_| damaged())?))
    }

    /// Every photo of the account, newest first (by date taken, else import time).
    /// Records that cannot be read are returned apart, by ID, for the caller to report.
    pub fn list(&self) -> Result<(Vec<PhotoInfo>, Vec<PhotoId>), StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let table = txn.open_table(PHOTOS)?;
            let (mut photos, mut damaged) = (Vec::new(), Vec::new());
            for entry in table.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                let (key, value) = entry?;
                let id = key.value().1;
                match self.open_record(id, value.value()) {
                    Ok((_, meta)) => photos.push(PhotoInfo { id: PhotoId(id), meta }),
                    Err(_) => damaged.push(PhotoId(id)),
                }
            }
            photos.sort_by(|a, b| {
                (b.meta.sort_time().cmp(&a.meta.sort_time()))
                    .then_with(|| a.meta.name.cmp(&b.meta.name))
                    .then(a.id.cmp(&b.id))
            });
            Ok((photos, damaged))
        })
    }

    fn record(&self, id: PhotoId) -> Result<(PhotoHeader, PhotoMeta), PhotoError> {
        guard(|| {
            let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
            let table = txn.open_table(PHOTOS).map_err(StorageError::from)?;
            let guard = table
                .get((self.account_id, id.0))
                .map_err(StorageError::from)?
                .ok_or_else(|| PhotoError::NotFound(id))?;
            self.open_record(id.0, guard.value()).map_err(|_| PhotoError::Locked(id))
        })
    }

    /// The metadata of one photo.
    pub fn meta(&self, id: PhotoId) -> Result<PhotoMeta, PhotoError> {
        Ok(self.record(id)?.1)
    }

    /// What the login shows of a photo: its thumbnail JPEG, or its blurred placeholder when
    /// the account's previews are blurred. [`PhotoError::PreviewHidden`] when there is
    /// none (hidden previews): then only its key opens its thumbnail.
    pub fn thumbnail(&self, id: PhotoId) -> Result<SecretBytes, PhotoError> {
        guard(|| {
            self.record(id)?;
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
    fn login_preview(&self, id: PhotoId) -> Result<Option<LoginPreview>, PhotoError> {
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
                (self.profile().previews, &login, &private),
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
            let (photos, _) = self.list()?;
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
                        for photo in &photos {
                            table.remove(photo.id.0)?;
                        }
                    }
                }
                Ok(())
            })
        })
    }

    /// Decrypts the photo's original bytes into `out`, chunk by chunk. Every chunk is
    /// authenticated before it is written, but a damaged later chunk is only found after
    /// earlier ones were written: callers that write files write to a temporary file and
    /// keep it only when this returns `Ok`.
    pub fn decrypt_to(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
        out: &mut dyn Write,
    ) -> Result<PhotoMeta, PhotoError> {
        guard(|| {
            let locked = || PhotoError::Locked(id);
            let (header, meta, key) = self.photo_key(id, unlock)?;
            if header.chunk_count != crate::crypto::chunk_count(padme(meta.bytes)) {
                return Err(locked());
            }
            let txn = self.vault.db.begin_read().map_err(StorageError::from)?;
            let chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
            let mut dec = StreamDecryptor::new(&key, header.nonce_prefix);
            // One chunk-sized buffer for every chunk: never reallocated, so never left behind unwiped.
            let mut buf = SecretBytes::with_capacity(CHUNK_SIZE + TAG_LEN);
            let (mut read, mut written) = (0u64, 0u64);
            let mut chunk_index = 0;
            for (segment_index, expected) in segment_sizes(header.chunk_count).enumerate() {
                let guard = chunks.get((id.0, segment_index as u32)).map_err(StorageError::from)?.ok_or_else(locked)?;
                let pieces = guard.value().chunks(CHUNK_SIZE + TAG_LEN);
                if pieces.len() != expected as usize {
                    return Err(locked());
                }
                for piece in pieces {
                    chunk_index += 1;
                    let plain =
                        dec.decrypt_chunk(piece, chunk_index == header.chunk_count, &mut buf).map_err(|_| locked())?;
                    read += plain.len() as u64;
                    // The photo, then the zeros that pad it to its Padmé length.
                    let photo_part = plain.len().min((meta.bytes - written) as usize);
                    let (photo, padding) = plain.split_at(photo_part);
                    if padding.iter().any(|&b| b != 0) {
                        return Err(locked());
                    }
                    out.write_all(photo)?;
                    written += photo.len() as u64;
                }
            }
            if header.chunk_count == 0 || written != meta.bytes || read != padme(meta.bytes) {
                return Err(locked());
            }
            Ok(meta)
        })
    }

    /// Checks a photo password without decrypting the photo: whether it opens the key.
    pub fn check_password(&self, id: PhotoId, password: &PhotoPassword) -> Result<(), PhotoError> {
        self.photo_key(id, &PhotoUnlock::Password(password)).map(|_| ())
    }

    fn photo_key(
        &self,
        id: PhotoId,
        unlock: &PhotoUnlock<'_>,
    ) -> Result<(PhotoHeader, PhotoMeta, SecretKey), PhotoError> {
        let locked = || PhotoError::Locked(id);
        let (header, meta) = self.record(id)?;
        let key = match unlock {
            PhotoUnlock::Password(password) => {
                let wrap = derive_photo_wrap_key(&self.master, id.0, password);
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
    pub fn decrypt(&self, id: PhotoId, unlock: &PhotoUnlock<'_>) -> Result<(PhotoMeta, SecretBytes), PhotoError> {
        // Sized up front: a growing Vec would leave unwiped copies of the photo behind.
        let size = usize::try_from(self.meta(id)?.bytes).map_err(|_| PhotoError::Locked(id))?;
        let mut out = SecretBytes::with_capacity(size);
        let meta = self.decrypt_to(id, unlock, &mut *out)?;
        Ok((meta, out))
    }

    /// Deletes a photo: its record, every chunk, its thumbnail and its duplicate-index
    /// entry, in one transaction. Returns its metadata.
    pub fn delete(&self, id: PhotoId) -> Result<PhotoMeta, PhotoError> {
        guard(|| {
            let (header, meta) = self.record(id)?;
            let txn = self.vault.begin_write().map_err(StorageError::from)?;
            let state = {
                txn.open_table(PHOTOS)
                    .map_err(StorageError::from)?
                    .remove((self.account_id, id.0))
                    .map_err(StorageError::from)?;
                let mut chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
                chunks.retain_in((id.0, 0)..=(id.0, u32::MAX), |_, _| false).map_err(StorageError::from)?;
                txn.open_table(THUMBNAILS).map_err(StorageError::from)?.remove(id.0).map_err(StorageError::from)?;
                txn.open_table(PRIVATE_THUMBNAILS)
                    .map_err(StorageError::from)?
                    .remove(id.0)
                    .map_err(StorageError::from)?;
                txn.open_table(CONTENT_HASHES)
                    .map_err(StorageError::from)?
                    .remove((self.account_id, &header.content_hash))
                    .map_err(StorageError::from)?;
                self.manifest_key().apply(&txn, Change::Remove(id.0))?
            };
            txn.commit().map_err(StorageError::from)?;
            self.wrote(state);
            Ok(meta)
        })
    }

    /// Checks every stored byte of the account's photos using only the login: each
    /// record authenticates, each chunk is present and matches the stored MAC, and each
    /// thumbnail opens. Returns the problems found (empty when all is intact).
    pub fn verify(&self) -> Result<Vec<VerifyProblem>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let photos = txn.open_table(PHOTOS)?;
            let chunks = txn.open_table(CHUNKS)?;
            let thumbs = txn.open_table(THUMBNAILS)?;
            let private_thumbs = txn.open_table(PRIVATE_THUMBNAILS)?;
            let verify_key = derive_subkey(&self.master, Subkey::Verify);
            let thumb_key = derive_subkey(&self.master, Subkey::Thumbnail);
            let mut problems = Vec::new();
            for entry in photos.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                let (key, value) = entry?;
                let id = key.value().1;
                let problem = |name: Option<&str>, what: &str| VerifyProblem {
                    id: PhotoId(id),
                    name: name.map(str::to_string),
                    problem: what.to_string(),
                };
                let (header, meta) = match self.open_record(id, value.value()) {
                    Ok(r) => r,
                    Err(_) => {
                        problems.push(problem(None, "its record is damaged"));
                        continue;
                    }
                };
                let mut mac = ChunkMac::new(&verify_key, id);
                let mut missing = false;
                let segments = segment_sizes(header.chunk_count).count() as u32;
                for index in 0..segments {
                    match chunks.get((id, index))? {
                        Some(c) => mac.segment(index, c.value()),
                        None => missing = true,
                    }
                }
                let extra = chunks.range((id, segments)..=(id, u32::MAX))?.next().is_some();
                if missing {
                    problems.push(problem(Some(&meta.name), "part of its data is missing"));
                } else if extra || mac.0.finalize() != header.ciphertext_mac {
                    problems.push(problem(Some(&meta.name), "its data was changed"));
                }
                // A photo with hidden previews has only the private thumbnail, which needs
                // the photo's key: its presence is all the login can check.
                let thumb_ok = match thumbs.get(id)? {
                    Some(t) => [thumb_aad(self.account_id, id), placeholder_aad(self.account_id, id)]
                        .iter()
                        .any(|aad| open_padded(&thumb_key, aad, t.value()).is_ok()),
                    None => private_thumbs.get(id)?.is_some(),
                };
                if !thumb_ok {
                    problems.push(problem(Some(&meta.name), "its thumbnail is damaged"));
                }
            }
            // The set of photos against the manifest, which must still pin this account.
            let stored = txn
                .open_table(ACCOUNTS)?
                .get(self.account_id)?
                .ok_or_else(|| StorageError::tampered("the account record is missing"))?
                .value()
                .to_vec();
            let manifest = self.manifest_key();
            let found = manifest.read_head(&txn, &stored).and_then(|(head, _)| manifest.problems(&txn, &head));
            for p in found.map_err(|e| match e {
                ManifestError::Tampered(t) => StorageError::tampered(t.0),
                ManifestError::Storage(s) => s,
            })? {
                let (id, what) = match p {
                    ManifestProblem::Missing(id) => (id, "its records were removed from the vault file"),
                    ManifestProblem::Unexpected(id) => (id, "it was deleted, and its records were put back"),
                };
                let name = photos.get((self.account_id, id.0))?.and_then(|r| self.open_record(id.0, r.value()).ok());
                problems.push(VerifyProblem { id, name: name.map(|(_, m)| m.name), problem: what.to_string() });
            }
            Ok(problems)
        })
    }
}

impl PhotoMeta {
    /// Seconds since the epoch to sort by: the date taken (local time read as UTC) when
    /// known, else the import time.
    pub fn sort_time(&self) -> i64 {
        self.taken_at.as_deref().and_then(parse_taken_at).unwrap_or(self.imported_at)
    }
}

fn parse_taken_at(iso: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(iso.get(..19)?, &fmt).ok()?;
    Some(local.assume_utc().unix_timestamp())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vault::Vault;

    /// A vault with one account using `previews`, and one stored photo (800x600).
    pub(crate) fn one_photo(previews: Previews) -> (tempfile::TempDir, Session, PhotoId, PhotoPassword, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        vault.register("alice", "alice@example.com", "correct horse battery staple", previews).unwrap();
        let session = vault.login("alice", "correct horse battery staple").unwrap();
        let picture = image::RgbImage::from_fn(800, 600, |x, y| image::Rgb([(x / 4) as u8, (y / 3) as u8, 77]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&picture).unwrap();
        let analysis = crate::imaging::analyze(&bytes).unwrap();
        let sharp = analysis.thumbnail_jpeg.clone();
        let hash = session.content_hash(&bytes);
        let new = crate::service::import::new_photo(analysis, "scan.jpg".into(), bytes.len() as u64, 0, hash);
        let prepared = session.prepare(new).unwrap();
        session.store(&prepared, &bytes).unwrap();
        (dir, session, prepared.id, prepared.password.clone(), sharp)
    }

    fn side(jpeg: &[u8]) -> u32 {
        let picture = image::load_from_memory(jpeg).unwrap();
        picture.width().max(picture.height())
    }

    /// Every stored preview row of the photo, as the file holds them.
    fn preview_rows(session: &Session, id: PhotoId) -> Vec<Vec<u8>> {
        let txn = session.vault.db.begin_read().unwrap();
        [THUMBNAILS, PRIVATE_THUMBNAILS]
            .into_iter()
            .filter_map(|t| txn.open_table(t).unwrap().get(id.0).unwrap().map(|g| g.value().to_vec()))
            .collect()
    }

    #[test]
    fn with_blurred_previews_the_login_alone_opens_nothing_but_the_placeholder() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Blurred);
        assert!(side(&session.thumbnail(id).unwrap()) <= crate::imaging::PLACEHOLDER_MAX_SIDE);
        // Every key the master key gives, under every preview's associated data: no row
        // opens to more than the placeholder.
        let aads = [
            thumb_aad(session.account_id, id.0),
            placeholder_aad(session.account_id, id.0),
            private_thumb_aad(session.account_id, id.0),
        ];
        let mut opened = Vec::new();
        for row in preview_rows(&session, id) {
            for key in Subkey::ALL.iter().map(|s| derive_subkey(&session.master, *s)).chain([session.master.clone()]) {
                for aad in &aads {
                    if let Ok(plain) = open_padded(&key, aad, &row) {
                        opened.push(plain);
                    }
                }
            }
        }
        assert_eq!(opened.len(), 1, "only the placeholder opens with the login");
        assert!(side(&opened[0]) <= crate::imaging::PLACEHOLDER_MAX_SIDE);
        // The photo's password shows the sharp one.
        let stored = session.stored_previews(id, &PhotoUnlock::Password(&password)).unwrap();
        assert_eq!(stored.thumbnail.as_deref().map(|t| &t[..]), Some(&sharp[..]));
        assert!(stored.current);
        assert!(session.verify().unwrap().is_empty());
    }

    #[test]
    fn hidden_previews_show_nothing_until_unlocked() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Hidden);
        assert!(matches!(session.thumbnail(id), Err(PhotoError::PreviewHidden(i)) if i == id));
        let stored = session.stored_previews(id, &PhotoUnlock::Password(&password)).unwrap();
        assert_eq!(stored.thumbnail.as_deref().map(|t| &t[..]), Some(&sharp[..]));
        assert!(session.stored_previews(id, &PhotoUnlock::Password(&PhotoPassword::generate())).is_err());
        assert!(session.verify().unwrap().is_empty());
    }
}
