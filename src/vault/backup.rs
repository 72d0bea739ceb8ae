//! Backups: an account as sealed objects for a bucket, and back (docs/FORMAT.md, Backups).
//!
//! A backup holds the vault's rows as they are stored (so restored photos keep their IDs,
//! and their emailed passwords still open them), each photo's rows sealed once more in one
//! object under a key of the master key, with a name keyed by it too; and one account
//! snapshot that the login password, or the recovery key, opens. Nothing in a bucket is
//! readable, nameable or sizeable (beyond a Padmé bucket) without the master key; a photo
//! still needs its own password as well.

use std::collections::BTreeSet;

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{
    KdfParams, RecoveryKey, SecretKey, Subkey, derive_subkey, keyed_hash, open_padded, password_key, seal_padded,
};

use super::error::{StorageError, guard};
use super::manifest::{ManifestError, ManifestKey};
use super::records::{ACCOUNT_RECORD_VERSION, AccountRecord, PhotoHeader, decode, encode};
use super::schema::{ACCOUNTS, CHUNKS, CONTENT_HASHES, MANIFESTS, PHOTOS, PRIVATE_THUMBNAILS, THUMBNAILS, USERNAMES};
use super::{PhotoId, PhotoMeta, Session, Vault};

/// The snapshot object's name (below the backup's folder).
pub const SNAPSHOT: &str = "account";
/// The folder of the photo objects (below the backup's folder).
pub const PHOTOS_FOLDER: &str = "photos/";

const BACKUP_VERSION: u8 = 1;

/// The snapshot as stored: what unwraps the master key in clear (as in the account record),
/// the rest sealed.
#[derive(Serialize, Deserialize)]
struct SnapshotHead {
    version: u8,
    account: u64,
    kdf: KdfParams,
    salt: [u8; 16],
    master_by_password: Vec<u8>,
    master_by_recovery: Vec<u8>,
    /// `SealPadded(backup key, snapshot AAD, SnapshotBody)`.
    body: Vec<u8>,
}

/// The sealed part of the snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotBody {
    /// The account record, byte for byte as the vault stores it.
    record: Vec<u8>,
    /// The IDs of the account's photos, ascending: each has an object.
    photos: Vec<u64>,
    /// When the backup was made (Unix seconds).
    written_at: i64,
}

/// A photo's object: its rows as the vault stores them.
#[derive(Serialize, Deserialize)]
struct PhotoObject {
    record: Vec<u8>,
    segments: Vec<Vec<u8>>,
    thumbnail: Option<Vec<u8>>,
    private_thumbnail: Option<Vec<u8>>,
}

fn snapshot_aad(account: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup account".as_slice(), &account.to_be_bytes()].concat()
}

fn photo_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup photo".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

/// The object name of photo `id`: `photos/` and 32 hex digits of a keyed hash of its ID.
fn object_name(master: &SecretKey, id: u64) -> String {
    let mac = keyed_hash(&derive_subkey(master, Subkey::BackupNames), &id.to_be_bytes());
    let hex: String = mac[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{PHOTOS_FOLDER}{hex}")
}

/// Why a backup could not be read or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// No snapshot, or not one this program wrote.
    #[error("there is no Secure Photo Gallery backup at this address (or it was made by a newer version)")]
    NotABackup,
    /// The password or recovery key does not open it, or it holds another user.
    #[error("wrong user name, password or recovery key for this backup")]
    WrongCredentials,
    /// The backup's objects were changed or do not match each other.
    #[error("the backup is damaged or was changed: {0}")]
    Damaged(String),
    /// The user name is taken in the vault restored into.
    #[error("this vault already has an account named '{0}'; restore into a new vault file (--vault NEW)")]
    UsernameTaken(String),
    /// The account's number is taken in the vault restored into.
    #[error(
        "this vault already has an account with the same internal number as the backup's; restore into a new vault file (--vault NEW)"
    )]
    AccountIdTaken,
    /// A photo's ID is used by another account of the vault restored into.
    #[error(
        "photo {0} has the ID of another account's photo in this vault; restore into a new vault file (--vault NEW)"
    )]
    PhotoIdTaken(PhotoId),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Session {
    fn backup_key(&self) -> SecretKey {
        derive_subkey(&self.master, Subkey::Backup)
    }

    /// The name of photo `id`'s object in a backup.
    pub fn backup_object_name(&self, id: PhotoId) -> String {
        object_name(&self.master, id.0)
    }

    /// Photo `id`'s object: its stored rows, sealed.
    pub fn backup_photo(&self, id: PhotoId) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let record = txn
                .open_table(PHOTOS)?
                .get((self.account_id, id.0))?
                .ok_or_else(|| StorageError::DamagedPhoto(id))?
                .value()
                .to_vec();
            let chunks = txn.open_table(CHUNKS)?;
            let mut segments = Vec::new();
            for entry in chunks.range((id.0, 0)..=(id.0, u32::MAX))? {
                segments.push(entry?.1.value().to_vec());
            }
            let row = |table: redb::TableDefinition<u64, &[u8]>| -> Result<Option<Vec<u8>>, StorageError> {
                Ok(txn.open_table(table)?.get(id.0)?.map(|g| g.value().to_vec()))
            };
            let object = PhotoObject {
                record,
                segments,
                thumbnail: row(THUMBNAILS)?,
                private_thumbnail: row(PRIVATE_THUMBNAILS)?,
            };
            Ok(seal_padded(&self.backup_key(), &photo_aad(self.account_id, id.0), &encode(&object)))
        })
    }

    /// The account snapshot listing `ids` (the photos whose objects are in the bucket):
    /// the account record as stored, checked against the manifest first.
    pub fn backup_snapshot(&self, ids: &[PhotoId]) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let stored = txn
                .open_table(ACCOUNTS)?
                .get(self.account_id)?
                .ok_or_else(|| StorageError::tampered("the account record is missing"))?
                .value()
                .to_vec();
            ManifestKey::new(&self.master, self.vault.id, self.account_id).read_head(&txn, &stored).map_err(
                |e| match e {
                    ManifestError::Tampered(t) => StorageError::tampered(t.0),
                    ManifestError::Storage(s) => s,
                },
            )?;
            let record: AccountRecord = decode(&stored)?;
            let mut photos: Vec<u64> = ids.iter().map(|id| id.0).collect();
            photos.sort_unstable();
            let body =
                SnapshotBody { record: stored, photos, written_at: time::OffsetDateTime::now_utc().unix_timestamp() };
            let head = SnapshotHead {
                version: BACKUP_VERSION,
                account: self.account_id,
                kdf: record.kdf,
                salt: record.salt,
                master_by_password: record.master_by_password,
                master_by_recovery: record.master_by_recovery,
                body: seal_padded(&self.backup_key(), &snapshot_aad(self.account_id), &encode(&body)),
            };
            Ok(encode(&head))
        })
    }
}

/// What opens a backup: the login password, or the recovery key.
pub enum BackupCredentials<'a> {
    /// The login password.
    Password(&'a str),
    /// The recovery key's words.
    Recovery(RecoveryKey),
}

/// A backup's snapshot, opened: the account and the photos it lists.
pub struct OpenedBackup {
    account: u64,
    record: Vec<u8>,
    username: String,
    master: SecretKey,
    photos: Vec<u64>,
    written_at: i64,
}

impl std::fmt::Debug for OpenedBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedBackup").field("username", &self.username).field("photos", &self.photos.len()).finish()
    }
}

/// A photo read back from a backup and checked: ready to be written.
pub struct RestoredPhoto {
    id: u64,
    header: PhotoHeader,
    object: PhotoObject,
    /// Its metadata, as the login reads it.
    pub meta: PhotoMeta,
}

/// Opens a snapshot (`SNAPSHOT`'s bytes) for `username`.
pub fn open_backup(snapshot: &[u8], username: &str, with: BackupCredentials<'_>) -> Result<OpenedBackup, RestoreError> {
    guard(|| {
        let head: SnapshotHead = decode(snapshot).map_err(|_| RestoreError::NotABackup)?;
        if head.version != BACKUP_VERSION {
            return Err(RestoreError::NotABackup);
        }
        let master_aad = [b"secure-photo-gallery v1 master".as_slice(), &head.account.to_be_bytes()].concat();
        let (key, sealed, recovery) = match with {
            BackupCredentials::Password(password) => {
                if !head.kdf.is_acceptable() {
                    return Err(RestoreError::Damaged("its key derivation cost is out of bounds".into()));
                }
                (password_key(password, &head.salt, head.kdf), &head.master_by_password, None)
            }
            BackupCredentials::Recovery(words) => (words.master_wrap_key(), &head.master_by_recovery, Some(words)),
        };
        let plain =
            Zeroizing::new(crate::crypto::open(&key, &master_aad, sealed).map_err(|_| RestoreError::WrongCredentials)?);
        let master = SecretKey::from_slice(&plain).ok_or(RestoreError::WrongCredentials)?;
        let body = open_padded(&derive_subkey(&master, Subkey::Backup), &snapshot_aad(head.account), &head.body)
            .map_err(|_| RestoreError::Damaged("the account snapshot does not open".into()))?;
        let body: SnapshotBody =
            decode(&body).map_err(|_| RestoreError::Damaged("the account snapshot is malformed".into()))?;
        let record: AccountRecord =
            decode(&body.record).map_err(|_| RestoreError::Damaged("the account record is malformed".into()))?;
        // The clear part must be the record's own; the recovery words must be its key.
        let consistent = record.version == ACCOUNT_RECORD_VERSION
            && record.salt == head.salt
            && record.kdf == head.kdf
            && record.master_by_password == head.master_by_password
            && record.master_by_recovery == head.master_by_recovery
            && recovery.is_none_or(|r| r.public_key().0 == record.recovery_public);
        if !consistent {
            return Err(RestoreError::Damaged("the account snapshot does not match itself".into()));
        }
        if record.username.to_lowercase() != username.to_lowercase() {
            return Err(RestoreError::WrongCredentials);
        }
        Ok(OpenedBackup {
            account: head.account,
            record: body.record,
            username: record.username,
            master,
            photos: body.photos,
            written_at: body.written_at,
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

    /// The photos the snapshot lists, each with its object's name.
    pub fn photos(&self) -> Vec<(PhotoId, String)> {
        self.photos.iter().map(|&id| (PhotoId(id), object_name(&self.master, id))).collect()
    }

    /// Opens photo `id`'s object and checks it as `verify` would: its record opens, its
    /// data matches the record's MAC, segment by segment.
    pub fn open_photo(&self, id: PhotoId, object: &[u8]) -> Result<RestoredPhoto, RestoreError> {
        guard(|| {
            let damaged = || RestoreError::Damaged(format!("photo {id} was changed"));
            let plain =
                open_padded(&derive_subkey(&self.master, Subkey::Backup), &photo_aad(self.account, id.0), object)
                    .map_err(|_| damaged())?;
            let object: PhotoObject = decode(&plain).map_err(|_| damaged())?;
            let (header, meta) = super::photos::check_rows(
                &self.master,
                self.account,
                id.0,
                &object.record,
                object.segments.iter().map(Vec::as_slice),
            )
            .map_err(|_| damaged())?;
            Ok(RestoredPhoto { id: id.0, header, object, meta })
        })
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
                let manifests = txn.open_table(MANIFESTS).map_err(StorageError::from)?;
                if accounts.get(backup.account).map_err(StorageError::from)?.is_some()
                    || manifests.get(backup.account).map_err(StorageError::from)?.is_some()
                {
                    return Err(RestoreError::AccountIdTaken);
                }
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
            {
                let mut records = txn.open_table(PHOTOS).map_err(StorageError::from)?;
                let mut chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
                let mut thumbnails = txn.open_table(THUMBNAILS).map_err(StorageError::from)?;
                let mut private = txn.open_table(PRIVATE_THUMBNAILS).map_err(StorageError::from)?;
                let mut hashes = txn.open_table(CONTENT_HASHES).map_err(StorageError::from)?;
                for photo in photos {
                    let ours = records.get((backup.account, photo.id)).map_err(StorageError::from)?.is_some();
                    if !ours && chunks.get((photo.id, 0)).map_err(StorageError::from)?.is_some() {
                        return Err(RestoreError::PhotoIdTaken(PhotoId(photo.id)));
                    }
                    records
                        .insert((backup.account, photo.id), photo.object.record.as_slice())
                        .map_err(StorageError::from)?;
                    chunks.retain_in((photo.id, 0)..=(photo.id, u32::MAX), |_, _| false).map_err(StorageError::from)?;
                    for (i, segment) in photo.object.segments.iter().enumerate() {
                        chunks.insert((photo.id, i as u32), segment.as_slice()).map_err(StorageError::from)?;
                    }
                    for (table, row) in
                        [(&mut thumbnails, &photo.object.thumbnail), (&mut private, &photo.object.private_thumbnail)]
                    {
                        match row {
                            Some(bytes) => table.insert(photo.id, bytes.as_slice()),
                            None => table.remove(photo.id),
                        }
                        .map_err(StorageError::from)?;
                    }
                    hashes
                        .insert((backup.account, &photo.header.content_hash), photo.id)
                        .map_err(StorageError::from)?;
                }
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
                let mut written = BTreeSet::new();
                for entry in
                    records.range((backup.account, 0)..=(backup.account, u64::MAX)).map_err(StorageError::from)?
                {
                    written.insert(entry.map_err(StorageError::from)?.0.value().1);
                }
                let listed: BTreeSet<u64> = backup.photos.iter().copied().collect();
                if !written.is_subset(&listed) {
                    return Err(RestoreError::Damaged("photos the backup does not list were written".into()));
                }
                txn.open_table(ACCOUNTS)
                    .map_err(StorageError::from)?
                    .insert(backup.account, backup.record.as_slice())
                    .map_err(StorageError::from)?;
                txn.open_table(USERNAMES)
                    .map_err(StorageError::from)?
                    .insert(backup.username.to_lowercase().as_str(), backup.account)
                    .map_err(StorageError::from)?;
                ManifestKey::new(&backup.master, self.id, backup.account).write_restored(
                    &txn,
                    &backup.record,
                    &written,
                )?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(())
        })
    }
}

/// Removes photo `id`'s chunks and previews (not its record, nor its duplicate-index entry).
fn remove_photo_rows(txn: &redb::WriteTransaction, id: u64) -> Result<(), StorageError> {
    txn.open_table(CHUNKS)?.retain_in((id, 0)..=(id, u32::MAX), |_, _| false)?;
    txn.open_table(THUMBNAILS)?.remove(id)?;
    txn.open_table(PRIVATE_THUMBNAILS)?.remove(id)?;
    Ok(())
}
