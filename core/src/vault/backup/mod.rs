//! Backups: an account as sealed objects for a bucket, and back (docs/FORMAT.md, Backups).
//!
//! A backup holds the vault's rows as they are stored (so restored photos keep their IDs,
//! and their emailed passwords still open them), each photo's rows sealed once more in two
//! objects under a key of the photo's generation, with names keyed by it too; and one
//! account snapshot, sealed under the current generation's key, that the login password or
//! the recovery key opens, and that pins every object it lists by the digests the manifest
//! keeps. Nothing in a bucket is readable, nameable or sizeable (beyond a Padmé bucket)
//! without the account's keys; a photo still needs its own password as well.

use std::collections::BTreeSet;

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{KdfParams, RecoveryKey, SecretKey, Subkey, derive_subkey, keyed_hash, open_padded};

use super::error::{RegisterError, StorageError, guard};
use super::keys::AccountKeys;
use super::keys::open_password_wrap;
use super::manifest::{Change, Entry, ManifestKey, previews_digest, record_digest};
use super::records::{
    ACCOUNT_RECORD_VERSION, AccountRecord, PhotoHeader, decode, decode_growing, encode, seal_encoded,
};
use super::schema::{
    ACCOUNTS, ALBUMS, CHUNKS, CONTENT_HASHES, DELETED_PHOTOS, MANIFESTS, PHOTOS, PRIVATE_THUMBNAILS, THUMBNAILS,
    USERNAMES, table_if_any,
};
use super::{PhotoId, PhotoMeta, Session, Vault};

mod make;
mod restore;

#[cfg(feature = "fuzzing")]
pub(crate) use restore::OpenedBackup;
pub(crate) use restore::{BackupCredentials, open_backup};

/// The snapshot object's name (below the backup's folder).
pub(crate) const SNAPSHOT: &str = "account";
/// The folder of the photo data objects (below the backup's folder).
pub(crate) const PHOTOS_FOLDER: &str = "photos/";
/// The folder of the photo preview objects (below the backup's folder).
pub(crate) const PREVIEWS_FOLDER: &str = "previews/";

/// What a manifest row holds while a restore is writing the account's photos: it keeps
/// the account's id from being given to an account registered meanwhile.
const RESTORING: &[u8] = b"restore under way";

const BACKUP_VERSION: u8 = 2;

/// The snapshot as stored: what unwraps the current generation's key in clear (as in the
/// account record), the rest sealed under it.
#[derive(Serialize, Deserialize)]
struct SnapshotHead {
    version: u8,
    account: u64,
    generation: u32,
    /// When the generation began (the password was set): for a refusal to say.
    changed_at: i64,
    /// When the snapshot was written.
    written_at: i64,
    kdf: KdfParams,
    salt: [u8; 16],
    key_by_password: Vec<u8>,
    key_by_recovery: Vec<u8>,
    /// `SealPadded(backup key of the generation, snapshot AAD, SnapshotBody)`.
    body: Vec<u8>,
}

/// The sealed part of the snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotBody {
    /// The account record, byte for byte as the vault stores it.
    record: Vec<u8>,
    /// The photos whose objects the backup holds, ascending by id, each with the digests of
    /// its rows (as the manifest pins them): an object that does not give them is not the
    /// account's.
    photos: Vec<Entry>,
    /// When the backup was made (Unix seconds).
    written_at: i64,
    /// The account's album rows, by album id, as stored (those the record's profile pins).
    /// A snapshot made before albums ends before this field, and is read as having none.
    albums: Vec<(u64, Vec<u8>)>,
}

/// A photo's data object: its record and chunks as the vault stores them (they never
/// change).
#[derive(Serialize, Deserialize)]
struct DataObject {
    #[serde(with = "serde_bytes")]
    record: Vec<u8>,
    segments: Vec<serde_bytes::ByteBuf>,
}

/// A photo's preview object: its preview rows as the vault stores them (new rows, after a
/// change of the previews setting, make a new object).
#[derive(Serialize, Deserialize)]
struct PreviewObject {
    #[serde(with = "serde_bytes")]
    thumbnail: Option<Vec<u8>>,
    #[serde(with = "serde_bytes")]
    private_thumbnail: Option<Vec<u8>>,
}

/// Decodes `bytes` as each kind of backup object, for the fuzz target `records`.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn decode_objects(bytes: &[u8]) {
    let _ = decode::<DataObject>(bytes);
    let _ = decode::<PreviewObject>(bytes);
}

/// A photo as a backup's snapshot lists it: its id, generation, and the digests of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupPhoto(Entry);

impl BackupPhoto {
    /// The photo's id.
    pub fn id(&self) -> PhotoId {
        PhotoId(self.0.id)
    }
}

/// The fingerprint (BLAKE3) of a snapshot as stored: what an account remembers of the
/// snapshot it last wrote to a location.
pub(crate) fn snapshot_fingerprint(snapshot: &[u8]) -> [u8; 32] {
    *blake3::hash(snapshot).as_bytes()
}

fn snapshot_aad(account: u64) -> Vec<u8> {
    [b"secure-photo-gallery v3 backup account".as_slice(), &account.to_be_bytes()].concat()
}

fn photo_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 backup photo".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn previews_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v3 backup previews".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

/// The names of `photo`'s objects: `photos/` and `previews/` with 32 hex digits of a keyed
/// hash (of the ID; of the ID and the digest of its preview rows), under the names key of
/// the photo's generation. `None` when the keys lack that generation.
fn object_names(keys: &AccountKeys, photo: &Entry) -> Option<ObjectNames> {
    let key = keys.subkey(photo.generation, Subkey::BackupNames)?;
    let previews_input = [b"previews".as_slice(), &photo.id.to_be_bytes(), &photo.previews].concat();
    Some(ObjectNames {
        data: data_object_name(&key, photo.id),
        previews: format!("{PREVIEWS_FOLDER}{}", name_hex(keyed_hash(&key, &previews_input))),
    })
}

/// The name of photo `id`'s data object under the names key `key`.
fn data_object_name(key: &SecretKey, id: u64) -> String {
    format!("{PHOTOS_FOLDER}{}", name_hex(keyed_hash(key, &id.to_be_bytes())))
}

/// An object name's 32 hex digits: the first half of a keyed hash.
fn name_hex(mac: [u8; 32]) -> String {
    hex::encode(&mac[..16])
}

/// A photo read back from a backup and checked: ready to be written.
pub struct RestoredPhoto {
    /// What the manifest will pin of it (its preview digest that of the previews restored).
    entry: Entry,
    header: PhotoHeader,
    data: DataObject,
    previews: PreviewObject,
    /// Its metadata, as the login reads it.
    pub meta: PhotoMeta,
}

/// The names of a photo's two objects in a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectNames {
    /// The data object (record and chunks).
    pub data: String,
    /// The preview object (its preview rows as they are now).
    pub previews: String,
}

/// Opens `photo`'s objects for `account`: the data object must give the record the
/// snapshot pins, whose chunks must match its MAC (as `verify` checks); a preview object
/// that is missing, does not open or is not the pinned one leaves the photo without
/// previews (they are made again when it is next opened with its key).
fn open_photo_objects(
    keys: &AccountKeys,
    account: u64,
    photo: &Entry,
    data: &[u8],
    previews: Option<&[u8]>,
) -> Result<RestoredPhoto, RestoreError> {
    guard(|| {
        let id = PhotoId(photo.id);
        let damaged = || RestoreError::Damaged(format!("photo {id} was changed"));
        let key = keys.subkey(photo.generation, Subkey::Backup).ok_or_else(damaged)?;
        let plain = open_padded(&key, &photo_aad(account, photo.id), data).map_err(|_| damaged())?;
        let data: DataObject = decode(&plain).map_err(|_| damaged())?;
        if record_digest(photo.id, &data.record) != photo.record {
            return Err(damaged());
        }
        let (header, meta) =
            super::photos::check_rows(keys, account, photo.id, &data.record, data.segments.iter().map(|s| &s[..]))
                .map_err(|_| damaged())?;
        if header.generation != photo.generation {
            return Err(damaged());
        }
        // Sealed under the generation current when it was made: newest first.
        let previews = previews
            .and_then(|p| {
                keys.all().rev().find_map(|(_, k)| {
                    open_padded(&derive_subkey(k, Subkey::Backup), &previews_aad(account, photo.id), p).ok()
                })
            })
            .and_then(|plain| decode::<PreviewObject>(&plain).ok())
            .filter(|p| {
                previews_digest(photo.id, p.thumbnail.as_deref(), p.private_thumbnail.as_deref()) == photo.previews
            })
            .unwrap_or(PreviewObject { thumbnail: None, private_thumbnail: None });
        let entry = Entry {
            previews: previews_digest(photo.id, previews.thumbnail.as_deref(), previews.private_thumbnail.as_deref()),
            ..*photo
        };
        Ok(RestoredPhoto { entry, header, data, previews, meta })
    })
}

/// A date as a person reads it (`3 May 2026`), from Unix seconds.
fn day(at: i64) -> String {
    let format = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    time::OffsetDateTime::from_unix_timestamp(at).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// Why a backup could not be read or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// No snapshot, or not one this program wrote.
    #[error("there is no Secure Photo Gallery backup at this address (or it was made by a newer version)")]
    NotABackup,
    /// The password or recovery key does not open it, or it holds another user. The
    /// backup was made with the password set on `set_at`, on `made_at`.
    #[error(
        "wrong user name, password or recovery key for this backup. It was made on {} with the password set on {}: if you changed your password after that, this backup is older than your change (it may have been put back by someone who knew the old password), so restore it with your recovery words, which set a new password",
        day(*made_at), day(*set_at)
    )]
    WrongCredentials {
        /// When the backup was made (Unix seconds).
        made_at: i64,
        /// When the password it opens with was set.
        set_at: i64,
    },
    /// What was given as recovery words is not a recovery key.
    #[error("those are not the 24 words of a recovery key: check each word against the ones you wrote down, in order")]
    NotRecoveryWords,
    /// The backup's objects were changed or do not match each other.
    #[error("the backup is damaged or was changed: {0}")]
    Damaged(String),
    /// The backup was made after a password change on another computer: the new password
    /// opens it, and brings the change here.
    #[error(
        "this backup was made after your password was changed on another computer (on {}); give that new password here to use it on this computer too",
        day(*changed_at)
    )]
    NewerPassword {
        /// When the password was changed.
        changed_at: i64,
    },
    /// The backup was written with a password from before the current one, and not by this
    /// account: another computer that still uses the old password, or someone who knew it.
    #[error(
        "the backup there was last written with your password from before your last change (by another computer that still uses it, or by someone who knew it), so its list of photos is not taken; change the password on your other computers too"
    )]
    OlderPassword,
    /// The user name is taken in the vault restored into.
    #[error("this vault already has an account named '{0}'; restore into a new vault file")]
    UsernameTaken(String),
    /// The account's number is taken in the vault restored into.
    #[error(
        "this vault already has an account with the same internal number as the backup's; restore into a new vault file"
    )]
    AccountIdTaken,
    /// A photo's ID is used by another account of the vault restored into.
    #[error("photo {0} has the ID of another account's photo in this vault; restore into a new vault file")]
    PhotoIdTaken(PhotoId),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl SnapshotHead {
    /// The generation's key, unwrapped with `password` (as at a login).
    fn open_with(&self, password: &str) -> Option<SecretKey> {
        let (account, generation) = (self.account, self.generation);
        open_password_wrap(password, (self.kdf, &self.salt), account, generation, &self.key_by_password)
    }

    /// The snapshot as stored, if it is one this program reads.
    fn parse(snapshot: &[u8]) -> Result<SnapshotHead, RestoreError> {
        let head: SnapshotHead = decode(snapshot).map_err(|_| RestoreError::NotABackup)?;
        if head.version != BACKUP_VERSION || head.generation == 0 {
            return Err(RestoreError::NotABackup);
        }
        Ok(head)
    }

    /// The body, opened with `current`, the key of the head's generation, and checked: its
    /// record is this head's (the clear part must be the record's own), its photos ascend,
    /// lie below the id limit and come from this generation or an earlier one.
    fn open_body(&self, current: &SecretKey) -> Result<(SnapshotBody, AccountRecord), RestoreError> {
        let key = derive_subkey(current, Subkey::Backup);
        let body = Zeroizing::new(
            open_padded(&key, &snapshot_aad(self.account), &self.body)
                .map_err(|_| RestoreError::Damaged("the account snapshot does not open".into()))?,
        );
        let body: SnapshotBody =
            decode_growing(&body).map_err(|_| RestoreError::Damaged("the account snapshot is malformed".into()))?;
        let record: AccountRecord =
            decode(&body.record).map_err(|_| RestoreError::Damaged("the account record is malformed".into()))?;
        let consistent = record.version == ACCOUNT_RECORD_VERSION
            && record.generation == self.generation
            && record.changed_at == self.changed_at
            && record.salt == self.salt
            && record.kdf == self.kdf
            && record.key_by_password == self.key_by_password
            && record.key_by_recovery == self.key_by_recovery
            && body.written_at == self.written_at;
        if !consistent {
            return Err(RestoreError::Damaged("the account snapshot does not match itself".into()));
        }
        let fits =
            body.photos.iter().all(|p| p.id < super::id::ID_LIMIT && (1..=self.generation).contains(&p.generation))
                && body.photos.windows(2).all(|w| w[0].id < w[1].id);
        if !fits {
            return Err(RestoreError::Damaged("the account snapshot holds what no vault holds".into()));
        }
        Ok((body, record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::photos::tests::one_photo;
    use crate::vault::{PhotoUnlock, Previews};

    const PASSWORD: &str = "correct horse battery staple";

    #[test]
    fn objects_encode_their_bytes_as_a_list_of_bytes_would() {
        // FORMAT.md describes the objects' byte strings as postcard's lists of u8; they are
        // encoded as one run, which must give the same bytes.
        #[derive(Serialize)]
        struct AsLists {
            record: Vec<u8>,
            segments: Vec<Vec<u8>>,
        }
        let (record, segments) = (vec![1, 2, 3], vec![vec![7; 300], vec![], vec![0xff; 5]]);
        let runs = DataObject { record: record.clone(), segments: segments.iter().cloned().map(Into::into).collect() };
        assert_eq!(encode(&runs), encode(&AsLists { record, segments }));
        let back: DataObject = decode(&encode(&runs)).unwrap();
        assert_eq!(back.segments[0].as_slice(), [7; 300]);
        let previews = PreviewObject { thumbnail: Some(vec![9; 200]), private_thumbnail: None };
        assert_eq!(encode(&previews), encode(&(Some(vec![9u8; 200]), None::<Vec<u8>>)));
    }

    /// A backup of the one-photo account, restored into `target` through the vault's
    /// steps, the objects passed by hand.
    fn restore_into(
        target: &Vault,
        session: &Session,
        snapshot: &[u8],
        with: BackupCredentials<'_>,
    ) -> Result<(), RestoreError> {
        let backup = open_backup(snapshot, "alice", with)?;
        target.restore_begin(&backup)?;
        for (photo, names) in backup.photos() {
            assert_eq!(Some(names), session.backup_object_names(&photo));
            let (data, previews) = (session.backup_photo(&photo).unwrap(), session.backup_previews(&photo).unwrap());
            let restored = backup.open_photo(&photo, &data, Some(&previews))?;
            target.restore_photos(&backup, &[restored])?;
        }
        target.restore_finish(&backup)
    }

    #[test]
    fn a_snapshot_resealed_with_an_older_generation_key_is_refused_and_the_genuine_one_restores() {
        let (_dir, session, id, password, _) = one_photo(Previews::Sharp);
        let old_keys = session.keys();
        let old = session.backup_snapshot(&session.backup_photos().unwrap()).unwrap();
        session.change_password("a second password for alice").unwrap();
        let snapshot = session.backup_snapshot(&session.backup_photos().unwrap()).unwrap();
        // Someone who knew the first password (so the first generation's key) writes a body
        // of their own into the new snapshot: it does not open.
        let mut head: SnapshotHead = decode(&snapshot).unwrap();
        let mut old_head: SnapshotHead = decode(&old).unwrap();
        let old_key = old_keys.current_subkey(Subkey::Backup);
        let mut body: SnapshotBody =
            decode(&open_padded(&old_key, &snapshot_aad(head.account), &old_head.body).unwrap()).unwrap();
        body.photos.clear();
        head.body = seal_encoded(&old_key, &snapshot_aad(head.account), &body);
        let forged = encode(&head);
        let refused = open_backup(&forged, "alice", BackupCredentials::Password("a second password for alice"));
        assert!(matches!(refused, Err(RestoreError::Damaged(_))), "{refused:?}");
        assert!(matches!(session.read_snapshot(&forged, None), Err(RestoreError::Damaged(_))));
        // An older generation's snapshot is taken only when it is the one pinned.
        old_head.written_at += 1;
        assert!(matches!(session.read_snapshot(&old, None), Err(RestoreError::OlderPassword)));
        assert_eq!(session.read_snapshot(&old, Some(snapshot_fingerprint(&old))).unwrap().len(), 1);
        // The old password opens the old snapshot only, and says when it was made.
        let wrong = open_backup(&snapshot, "alice", BackupCredentials::Password(PASSWORD)).unwrap_err();
        assert!(wrong.to_string().contains("with the password set on"), "{wrong}");
        // The genuine one restores, and the photo opens with its password.
        let dir = tempfile::tempdir().unwrap();
        let target = Vault::open(&dir.path().join("b.redb")).unwrap();
        restore_into(&target, &session, &snapshot, BackupCredentials::Password("a second password for alice")).unwrap();
        let restored = target.open_session("alice", "a second password for alice").unwrap();
        assert!(restored.decrypt(id, &PhotoUnlock::Password(&password)).is_ok());
        assert!(restored.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn a_session_opened_with_the_recovery_key_makes_a_snapshot_the_recovery_key_restores() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        let words = vault.register("alice", "alice@example.com", PASSWORD, Previews::Sharp).unwrap();
        let again = RecoveryKey::parse(&words.to_words()).unwrap();
        let session = vault.open_session_with_recovery("alice", words).unwrap();
        let snapshot = session.backup_snapshot(&[]).unwrap();
        let target = Vault::open(&dir.path().join("b.redb")).unwrap();
        restore_into(&target, &session, &snapshot, BackupCredentials::Recovery(again)).unwrap();
        assert!(target.open_session("alice", PASSWORD).is_ok());
    }

    #[test]
    fn a_change_of_previews_gives_new_preview_objects_and_keeps_the_data_object() {
        let (_dir, session, _, _, _) = one_photo(Previews::Sharp);
        let account = crate::service::Account::new(session);
        let session = account.session();
        let sharp = session.backup_object_names(&session.backup_photos().unwrap()[0]).unwrap();
        crate::service::set_previews(&account, Previews::Blurred).unwrap();
        let blurred = session.backup_object_names(&session.backup_photos().unwrap()[0]).unwrap();
        assert_eq!(sharp.data, blurred.data);
        assert_ne!(sharp.previews, blurred.previews, "the sharp preview object is replaced, not kept");
    }

    #[test]
    fn a_restore_under_way_keeps_its_account_id_from_a_registration() {
        let (_dir, session, _, _, _) = one_photo(Previews::Sharp);
        let snapshot = session.backup_snapshot(&session.backup_photos().unwrap()).unwrap();
        let backup = open_backup(&snapshot, "alice", BackupCredentials::Password(PASSWORD)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = Vault::open(&dir.path().join("b.redb")).unwrap();
        target.restore_begin(&backup).unwrap();
        target.register("bob", "bob@example.com", "another good passphrase", Previews::Sharp).unwrap();
        let bob = target.open_session("bob", "another good passphrase").unwrap();
        assert_ne!(bob.account_id, backup.account, "bob did not get the restored account's id");
        drop(bob);
        // Cut off and run again: the reservation is its own, and the restore finishes.
        restore_into(&target, &session, &snapshot, BackupCredentials::Password(PASSWORD)).unwrap();
        assert!(target.open_session("alice", PASSWORD).unwrap().verify().unwrap().problems.is_empty());
        assert!(target.open_session("bob", "another good passphrase").is_ok());
    }

    #[test]
    fn a_password_change_made_elsewhere_is_adopted_with_the_new_password_only() {
        let (dir, session, id, password, _) = one_photo(Previews::Sharp);
        let snapshot = session.backup_snapshot(&session.backup_photos().unwrap()).unwrap();
        // A second computer restores the account; the first changes the password twice.
        let other = Vault::open(&dir.path().join("other.redb")).unwrap();
        restore_into(&other, &session, &snapshot, BackupCredentials::Password(PASSWORD)).unwrap();
        session.change_password("the second password of alice").unwrap();
        session.change_password("the third password of alice").unwrap();
        let newer = session.backup_snapshot(&session.backup_photos().unwrap()).unwrap();
        let there = other.open_session("alice", PASSWORD).unwrap();
        assert!(matches!(there.read_snapshot(&newer, None), Err(RestoreError::NewerPassword { .. })));
        assert!(matches!(
            there.adopt_password_change(&newer, "the second password of alice"),
            Err(RestoreError::WrongCredentials { .. })
        ));
        there.adopt_password_change(&newer, "the third password of alice").unwrap();
        assert_eq!(there.read_snapshot(&newer, None).unwrap().len(), 1);
        drop(there);
        assert!(other.open_session("alice", PASSWORD).is_err());
        let there = other.open_session("alice", "the third password of alice").unwrap();
        assert!(there.decrypt(id, &PhotoUnlock::Password(&password)).is_ok());
        assert!(there.verify().unwrap().problems.is_empty());
    }
}
