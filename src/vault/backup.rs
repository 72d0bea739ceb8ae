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
use super::manifest::ManifestKey;
use super::records::{ACCOUNT_RECORD_VERSION, AccountRecord, PhotoHeader, decode, encode};
use super::schema::{
    ACCOUNTS, CHUNKS, CONTENT_HASHES, DELETED_PHOTOS, MANIFESTS, PHOTOS, PRIVATE_THUMBNAILS, THUMBNAILS, USERNAMES,
};
use super::{PhotoId, PhotoMeta, Session, Vault};

/// The snapshot object's name (below the backup's folder).
pub const SNAPSHOT: &str = "account";
/// The folder of the photo data objects (below the backup's folder).
pub const PHOTOS_FOLDER: &str = "photos/";
/// The folder of the photo preview objects (below the backup's folder).
pub const PREVIEWS_FOLDER: &str = "previews/";

/// What a manifest row holds while a restore is writing the account's photos: it keeps
/// the account's id from being given to an account registered meanwhile.
const RESTORING: &[u8] = b"restore under way";

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
    /// `MAC(snapshot key, snapshot AAD ‖ body)`, the snapshot key coming from the login
    /// password's key: whoever knew an older password (and so the master key) cannot make
    /// a body that a restore with the current password accepts.
    body_mac: [u8; 32],
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

/// A photo's data object: its record and chunks as the vault stores them (they never
/// change).
#[derive(Serialize, Deserialize)]
struct DataObject {
    record: Vec<u8>,
    segments: Vec<Vec<u8>>,
}

/// A photo's preview object: its preview rows as the vault stores them, in the form of
/// the account's previews setting (a change of setting makes new ones).
#[derive(Serialize, Deserialize)]
struct PreviewObject {
    thumbnail: Option<Vec<u8>>,
    private_thumbnail: Option<Vec<u8>>,
}

/// The stored number of a previews setting (FORMAT.md: 0 sharp, 1 blurred, 2 hidden).
fn previews_byte(previews: super::Previews) -> u8 {
    match previews {
        super::Previews::Sharp => 0,
        super::Previews::Blurred => 1,
        super::Previews::Hidden => 2,
    }
}

/// The key a snapshot's body is signed with, from the login password's key `KP`.
pub(crate) fn snapshot_mac_key(password_key: &SecretKey) -> SecretKey {
    crate::crypto::derive_snapshot_key(password_key)
}

impl SnapshotHead {
    /// The snapshot as stored, if it is one this program reads.
    fn parse(snapshot: &[u8]) -> Result<SnapshotHead, RestoreError> {
        let head: SnapshotHead = decode(snapshot).map_err(|_| RestoreError::NotABackup)?;
        if head.version != BACKUP_VERSION {
            return Err(RestoreError::NotABackup);
        }
        Ok(head)
    }

    /// Whether the body carries the signature of the snapshot key `key`.
    fn signed_by(&self, key: &SecretKey) -> bool {
        blake3::Hash::from(body_mac(key, self.account, &self.body)) == blake3::Hash::from(self.body_mac)
    }

    /// The body, opened with the master key; its photo ids checked as the vault would hold
    /// them (ascending, below the limit).
    fn open_body(&self, master: &SecretKey) -> Result<SnapshotBody, RestoreError> {
        let body = open_padded(&derive_subkey(master, Subkey::Backup), &snapshot_aad(self.account), &self.body)
            .map_err(|_| RestoreError::Damaged("the account snapshot does not open".into()))?;
        let body: SnapshotBody =
            decode(&body).map_err(|_| RestoreError::Damaged("the account snapshot is malformed".into()))?;
        let fits =
            body.photos.iter().all(|&id| id < super::id::ID_LIMIT) && body.photos.windows(2).all(|w| w[0] < w[1]);
        if !fits {
            return Err(RestoreError::Damaged("the account snapshot holds what no vault holds".into()));
        }
        Ok(body)
    }
}

/// `MAC(KS, SA ‖ body)`: the body's signature under the snapshot key.
fn body_mac(key: &SecretKey, account: u64, body: &[u8]) -> [u8; 32] {
    keyed_hash(key, &[snapshot_aad(account).as_slice(), body].concat())
}

fn snapshot_aad(account: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup account".as_slice(), &account.to_be_bytes()].concat()
}

fn photo_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup photo".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn previews_aad(account: u64, id: u64, previews: u8) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup previews".as_slice(), &account.to_be_bytes(), &id.to_be_bytes(), &[previews]]
        .concat()
}

/// The names of photo `id`'s objects: `photos/` and `previews/` with 32 hex digits of a
/// keyed hash (of the ID; of the previews setting and the ID).
fn object_names(master: &SecretKey, id: u64, previews: u8) -> ObjectNames {
    let key = derive_subkey(master, Subkey::BackupNames);
    let hex = |mac: [u8; 32]| -> String { mac[..16].iter().map(|b| format!("{b:02x}")).collect() };
    let previews_input = [b"previews".as_slice(), &[previews], &id.to_be_bytes()].concat();
    ObjectNames {
        data: format!("{PHOTOS_FOLDER}{}", hex(keyed_hash(&key, &id.to_be_bytes()))),
        previews: format!("{PREVIEWS_FOLDER}{}", hex(keyed_hash(&key, &previews_input))),
    }
}

/// The names of a photo's two objects in a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectNames {
    /// The data object (record and chunks).
    pub data: String,
    /// The preview object (in the account's current previews setting).
    pub previews: String,
}

/// Opens photo `id`'s objects for `account` (see [`OpenedBackup::open_photo`]).
fn open_photo_objects(
    master: &SecretKey,
    account: u64,
    previews_mode: u8,
    id: PhotoId,
    data: &[u8],
    previews: Option<&[u8]>,
) -> Result<RestoredPhoto, RestoreError> {
    guard(|| {
        let damaged = || RestoreError::Damaged(format!("photo {id} was changed"));
        let key = derive_subkey(master, Subkey::Backup);
        let plain = open_padded(&key, &photo_aad(account, id.0), data).map_err(|_| damaged())?;
        let data: DataObject = decode(&plain).map_err(|_| damaged())?;
        let (header, meta) =
            super::photos::check_rows(master, account, id.0, &data.record, data.segments.iter().map(Vec::as_slice))
                .map_err(|_| damaged())?;
        let previews = previews
            .and_then(|p| open_padded(&key, &previews_aad(account, id.0, previews_mode), p).ok())
            .and_then(|plain| decode::<PreviewObject>(&plain).ok())
            .unwrap_or(PreviewObject { thumbnail: None, private_thumbnail: None });
        Ok(RestoredPhoto { id: id.0, header, data, previews, meta })
    })
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

    /// The names of photo `id`'s objects in a backup.
    pub fn backup_object_names(&self, id: PhotoId) -> ObjectNames {
        object_names(&self.master, id.0, previews_byte(self.previews()))
    }

    /// Photo `id`'s preview object: its preview rows, sealed.
    pub fn backup_previews(&self, id: PhotoId) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let row = |table: redb::TableDefinition<u64, &[u8]>| -> Result<Option<Vec<u8>>, StorageError> {
                Ok(txn.open_table(table)?.get(id.0)?.map(|g| g.value().to_vec()))
            };
            let object = PreviewObject { thumbnail: row(THUMBNAILS)?, private_thumbnail: row(PRIVATE_THUMBNAILS)? };
            let aad = previews_aad(self.account_id, id.0, previews_byte(self.previews()));
            Ok(seal_padded(&self.backup_key(), &aad, &encode(&object)))
        })
    }

    /// Photo `id`'s data object: its record and chunks, sealed.
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
            let object = DataObject { record, segments };
            Ok(seal_padded(&self.backup_key(), &photo_aad(self.account_id, id.0), &encode(&object)))
        })
    }

    /// The account snapshot listing `ids` (the photos whose objects are in the bucket):
    /// the account record as stored, checked against the manifest first. Needs a session
    /// opened with the login password, which signs it.
    pub fn backup_snapshot(&self, ids: &[PhotoId]) -> Result<Vec<u8>, StorageError> {
        guard(|| {
            let Some(mac_key) = self.snapshot_key.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
            else {
                return Err(StorageError::NeedsPassword);
            };
            let txn = self.vault.db.begin_read()?;
            let (stored, _) = self.pinned_record(&txn)?;
            let record: AccountRecord = decode(&stored)?;
            let mut photos: Vec<u64> = ids.iter().map(|id| id.0).collect();
            photos.sort_unstable();
            let body =
                SnapshotBody { record: stored, photos, written_at: time::OffsetDateTime::now_utc().unix_timestamp() };
            let sealed = seal_padded(&self.backup_key(), &snapshot_aad(self.account_id), &encode(&body));
            let head = SnapshotHead {
                version: BACKUP_VERSION,
                account: self.account_id,
                kdf: record.kdf,
                salt: record.salt,
                master_by_password: record.master_by_password,
                master_by_recovery: record.master_by_recovery,
                body_mac: body_mac(&mac_key, self.account_id, &sealed),
                body: sealed,
            };
            Ok(encode(&head))
        })
    }
}

/// A second computer: what a pull needs of the account's own backup.
impl Session {
    /// The photos deleted here (that a pull leaves out, and `--prune` removes remotely).
    pub fn deleted_photos(&self) -> Result<BTreeSet<PhotoId>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            // A vault made before backups has no such table until a photo is deleted.
            let table = match txn.open_table(DELETED_PHOTOS) {
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(BTreeSet::new()),
                table => table?,
            };
            let mut ids = BTreeSet::new();
            for entry in table.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                ids.insert(PhotoId(entry?.0.value().1));
            }
            Ok(ids)
        })
    }

    /// The photos this account's snapshot in a bucket lists: it must be this account's
    /// (its id), and signed with this login's password.
    pub fn read_snapshot(&self, snapshot: &[u8]) -> Result<Vec<PhotoId>, RestoreError> {
        guard(|| {
            let head = SnapshotHead::parse(snapshot)?;
            if head.account != self.account_id {
                return Err(RestoreError::Damaged("it is another account's backup".into()));
            }
            let key = self.snapshot_key.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            if !head.signed_by(&key.ok_or(StorageError::NeedsPassword)?) {
                return Err(RestoreError::Damaged(
                    "it was not made with this login's password (if the password was changed on another computer, change it here too)".into(),
                ));
            }
            Ok(head.open_body(&self.master)?.photos.into_iter().map(PhotoId).collect())
        })
    }

    /// Opens photo `id`'s objects from this account's bucket, checked (as a restore does).
    pub fn open_backup_photo(
        &self,
        id: PhotoId,
        data: &[u8],
        previews: Option<&[u8]>,
    ) -> Result<RestoredPhoto, RestoreError> {
        open_photo_objects(&self.master, self.account_id, previews_byte(self.previews()), id, data, previews)
    }

    /// Stores a photo from the account's bucket here, with its manifest write, in one
    /// transaction. `false` when the account holds it already.
    pub fn adopt(&self, photo: &RestoredPhoto) -> Result<bool, RestoreError> {
        guard(|| {
            let txn = self.vault.begin_write().map_err(StorageError::from)?;
            let state = {
                let here = txn
                    .open_table(PHOTOS)
                    .map_err(StorageError::from)?
                    .get((self.account_id, photo.id))
                    .map_err(StorageError::from)?
                    .is_some();
                if here {
                    return Ok(false);
                }
                write_photo_rows(&txn, self.account_id, photo)?;
                self.manifest_key().apply(&txn, super::manifest::Change::Add(photo.id))?
            };
            txn.commit().map_err(StorageError::from)?;
            self.wrote(state);
            Ok(true)
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
    email: String,
    /// The account's previews setting, as stored (0 sharp, 1 blurred, 2 hidden).
    previews: u8,
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
    data: DataObject,
    previews: PreviewObject,
    /// Its metadata, as the login reads it.
    pub meta: PhotoMeta,
}

/// Opens a snapshot (`SNAPSHOT`'s bytes) for `username`.
pub fn open_backup(snapshot: &[u8], username: &str, with: BackupCredentials<'_>) -> Result<OpenedBackup, RestoreError> {
    guard(|| {
        let head = SnapshotHead::parse(snapshot)?;
        let master_aad = [b"secure-photo-gallery v1 master".as_slice(), &head.account.to_be_bytes()].concat();
        if !head.kdf.is_acceptable() {
            return Err(RestoreError::Damaged("its key derivation cost is out of bounds".into()));
        }
        let (key, sealed, recovery) = match with {
            BackupCredentials::Password(password) => {
                (password_key(password, &head.salt, head.kdf), &head.master_by_password, None)
            }
            BackupCredentials::Recovery(words) => (words.master_wrap_key(), &head.master_by_recovery, Some(words)),
        };
        let plain =
            Zeroizing::new(crate::crypto::open(&key, &master_aad, sealed).map_err(|_| RestoreError::WrongCredentials)?);
        let master = SecretKey::from_slice(&plain).ok_or(RestoreError::WrongCredentials)?;
        // With the password, the body must carry its signature (the recovery words cannot
        // check it: see SECURITY.md).
        if recovery.is_none() && !head.signed_by(&snapshot_mac_key(&key)) {
            return Err(RestoreError::Damaged("the account snapshot was not made with this password".into()));
        }
        let body = head.open_body(&master)?;
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
        // What the vault itself would never hold: refused before it reaches one.
        let fits = super::validate_username(&record.username).is_ok() && (1..u64::MAX).contains(&head.account);
        if !fits {
            return Err(RestoreError::Damaged("the account snapshot holds what no vault holds".into()));
        }
        let profile = super::account::open_profile(&master, head.account, &record.profile)
            .map_err(|_| RestoreError::Damaged("the account's profile does not open".into()))?;
        Ok(OpenedBackup {
            account: head.account,
            record: body.record,
            username: record.username,
            email: profile.email.clone(),
            previews: previews_byte(profile.previews),
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

    /// Where the account's password emails go (its profile's email): for the restore to
    /// say.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The photos the snapshot lists, each with its objects' names.
    pub fn photos(&self) -> Vec<(PhotoId, ObjectNames)> {
        self.photos.iter().map(|&id| (PhotoId(id), object_names(&self.master, id, self.previews))).collect()
    }

    /// Opens photo `id`'s objects and checks the data as `verify` would: its record opens,
    /// and its chunks match the record's MAC, segment by segment. A preview object that is
    /// missing or does not open leaves the photo without previews (they are made again
    /// when it is next opened with its password).
    pub fn open_photo(&self, id: PhotoId, data: &[u8], previews: Option<&[u8]>) -> Result<RestoredPhoto, RestoreError> {
        open_photo_objects(&self.master, self.account, self.previews, id, data, previews)
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

/// Writes a photo's rows from a backup under `account`, replacing any it has there; refuses
/// an ID that another account's photo has.
fn write_photo_rows(txn: &redb::WriteTransaction, account: u64, photo: &RestoredPhoto) -> Result<(), RestoreError> {
    let mut records = txn.open_table(PHOTOS).map_err(StorageError::from)?;
    let mut chunks = txn.open_table(CHUNKS).map_err(StorageError::from)?;
    let ours = records.get((account, photo.id)).map_err(StorageError::from)?.is_some();
    if !ours && chunks.get((photo.id, 0)).map_err(StorageError::from)?.is_some() {
        return Err(RestoreError::PhotoIdTaken(PhotoId(photo.id)));
    }
    records.insert((account, photo.id), photo.data.record.as_slice()).map_err(StorageError::from)?;
    chunks.retain_in((photo.id, 0)..=(photo.id, u32::MAX), |_, _| false).map_err(StorageError::from)?;
    for (i, segment) in photo.data.segments.iter().enumerate() {
        chunks.insert((photo.id, i as u32), segment.as_slice()).map_err(StorageError::from)?;
    }
    for (table, row) in
        [(THUMBNAILS, &photo.previews.thumbnail), (PRIVATE_THUMBNAILS, &photo.previews.private_thumbnail)]
    {
        let mut table = txn.open_table(table).map_err(StorageError::from)?;
        match row {
            Some(bytes) => table.insert(photo.id, bytes.as_slice()),
            None => table.remove(photo.id),
        }
        .map_err(StorageError::from)?;
    }
    // The same file imported on two computers is two photos: the index keeps the first.
    let mut hashes = txn.open_table(CONTENT_HASHES).map_err(StorageError::from)?;
    if hashes.get((account, &photo.header.content_hash)).map_err(StorageError::from)?.is_none() {
        hashes.insert((account, &photo.header.content_hash), photo.id).map_err(StorageError::from)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::photos::tests::one_photo;
    use crate::vault::{PhotoUnlock, Previews};

    const PASSWORD: &str = "correct horse battery staple";

    /// A backup of the one-photo account, restored into `target` through the vault's
    /// steps, the objects passed by hand.
    fn restore_into(target: &Vault, session: &Session, snapshot: &[u8]) -> Result<(), RestoreError> {
        let backup = open_backup(snapshot, "alice", BackupCredentials::Password(PASSWORD))?;
        target.restore_begin(&backup)?;
        for (id, names) in backup.photos() {
            assert_eq!(names, session.backup_object_names(id));
            let (data, previews) = (session.backup_photo(id).unwrap(), session.backup_previews(id).unwrap());
            let photo = backup.open_photo(id, &data, Some(&previews))?;
            target.restore_photos(&backup, &[photo])?;
        }
        target.restore_finish(&backup)
    }

    #[test]
    fn a_snapshot_resealed_with_the_master_key_alone_is_refused_with_the_password() {
        let (_dir, session, id, password, _) = one_photo(Previews::Sharp);
        let snapshot = session.backup_snapshot(&[id]).unwrap();
        // Someone who once had the login (so the master key) changes the profile inside
        // the body and seals it again: they cannot sign it with the current password.
        let mut head: SnapshotHead = decode(&snapshot).unwrap();
        let key = derive_subkey(&session.master, Subkey::Backup);
        let mut body: SnapshotBody =
            decode(&open_padded(&key, &snapshot_aad(head.account), &head.body).unwrap()).unwrap();
        let mut record: AccountRecord = decode(&body.record).unwrap();
        let mut profile = session.profile();
        profile.email = "attacker@example.com".into();
        record.profile = super::super::account::seal_profile(&session.master, session.account_id, &profile);
        body.record = encode(&record);
        head.body = seal_padded(&key, &snapshot_aad(head.account), &encode(&body));
        let forged = encode(&head);
        let refused = open_backup(&forged, "alice", BackupCredentials::Password(PASSWORD));
        assert!(matches!(refused, Err(RestoreError::Damaged(_))), "{refused:?}");
        // The genuine one restores, and the photo opens with its password.
        let dir = tempfile::tempdir().unwrap();
        let target = Vault::open(&dir.path().join("b.redb")).unwrap();
        restore_into(&target, &session, &snapshot).unwrap();
        let restored = target.login("alice", PASSWORD).unwrap();
        assert!(restored.decrypt(id, &PhotoUnlock::Password(&password)).is_ok());
        assert!(restored.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn a_session_opened_with_the_recovery_key_cannot_sign_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        let words = vault.register("alice", "alice@example.com", PASSWORD, Previews::Sharp).unwrap();
        let session = vault.login_with_recovery("alice", words).unwrap();
        assert!(matches!(session.backup_snapshot(&[]), Err(StorageError::NeedsPassword)));
    }

    #[test]
    fn a_change_of_previews_gives_new_preview_objects_and_keeps_the_data_object() {
        let (_dir, session, id, _, _) = one_photo(Previews::Sharp);
        let sharp = session.backup_object_names(id);
        crate::service::set_previews(&session, Previews::Blurred).unwrap();
        let blurred = session.backup_object_names(id);
        assert_eq!(sharp.data, blurred.data);
        assert_ne!(sharp.previews, blurred.previews, "the sharp preview object is replaced, not kept");
    }

    #[test]
    fn a_restore_under_way_keeps_its_account_id_from_a_registration() {
        let (_dir, session, id, _, _) = one_photo(Previews::Sharp);
        let snapshot = session.backup_snapshot(&[id]).unwrap();
        let backup = open_backup(&snapshot, "alice", BackupCredentials::Password(PASSWORD)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = Vault::open(&dir.path().join("b.redb")).unwrap();
        target.restore_begin(&backup).unwrap();
        target.register("bob", "bob@example.com", "another good passphrase", Previews::Sharp).unwrap();
        let bob = target.login("bob", "another good passphrase").unwrap();
        assert_ne!(bob.account_id, backup.account, "bob did not get the restored account's id");
        drop(bob);
        // Cut off and run again: the reservation is its own, and the restore finishes.
        restore_into(&target, &session, &snapshot).unwrap();
        assert!(target.login("alice", PASSWORD).unwrap().verify().unwrap().problems.is_empty());
        assert!(target.login("bob", "another good passphrase").is_ok());
    }
}
