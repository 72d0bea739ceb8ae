//! What the tests of the vault format reach below the facade, and nothing else: the
//! objects a backup would send and the snapshot it would write, the bucket's snapshot read
//! as a backup reads it, and a restore from objects in memory (with a stop after its first
//! step, as an interrupted restore leaves the vault). Built only with the `fuzzing` feature.

use std::collections::HashMap;

use crate::crypto::RecoveryKey;
use crate::service::Account;
use crate::vault::backup::OpenedBackup;
use crate::vault::{BackupCredentials, PhotoId, RestoreError, Vault};

/// The name of a backup's snapshot object.
pub const SNAPSHOT: &str = crate::vault::SNAPSHOT;

/// `H` of a snapshot, as an account keeps it of the one it last wrote.
pub fn snapshot_fingerprint(snapshot: &[u8]) -> [u8; 32] {
    crate::vault::snapshot_fingerprint(snapshot)
}

/// The account's profile as the vault seals it (its postcard encoding), for a test to read
/// by FORMAT.md's layout.
pub fn profile_postcard(account: &Account) -> Vec<u8> {
    postcard::to_allocvec(&account.session().profile()).expect("a profile encodes")
}

/// The thumbnail an import makes of `bytes` (decoded whole, EXIF read, resized, encoded):
/// the import pipeline's first step, for its bench.
pub fn thumbnail_of(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::imaging::analyze(bytes).ok().map(|a| a.thumbnail_jpeg)
}

/// One photo as a backup of its account would send it.
pub struct SentPhoto {
    /// The photo.
    pub id: PhotoId,
    /// The name of its data object.
    pub data_name: String,
    /// The name of its preview object.
    pub previews_name: String,
    /// Its data object, sealed.
    pub data: Vec<u8>,
    /// Its preview object, sealed.
    pub previews: Vec<u8>,
}

/// What a backup of `account` would send: every photo's objects, and the snapshot listing
/// them all.
pub fn backup_objects(account: &Account) -> (Vec<SentPhoto>, Vec<u8>) {
    let session = account.session();
    let photos = session.backup_photos().expect("the account's photos");
    let sent = photos
        .iter()
        .map(|p| {
            let names = session.backup_object_names(p).expect("a photo of the account's own generations");
            SentPhoto {
                id: p.id(),
                data_name: names.data,
                previews_name: names.previews,
                data: session.backup_photo(p).expect("its data object"),
                previews: session.backup_previews(p).expect("its preview object"),
            }
        })
        .collect();
    (sent, session.backup_snapshot(&photos).expect("the snapshot"))
}

/// The photos the bucket's `snapshot` lists, read as a backup of `account` reads it
/// (`pinned`: the fingerprint the account keeps of the snapshot it last wrote).
pub fn read_snapshot(
    account: &Account,
    snapshot: &[u8],
    pinned: Option<[u8; 32]>,
) -> Result<Vec<PhotoId>, RestoreError> {
    Ok(account.session().read_snapshot(snapshot, pinned)?.iter().map(|p| p.id()).collect())
}

/// A backup's snapshot, opened as a restore opens it.
#[derive(Debug)]
pub struct Backup(OpenedBackup);

/// Opens `snapshot` for `user` with the login password, or with the recovery key.
pub fn open_backup(snapshot: &[u8], user: &str, with: Result<&str, RecoveryKey>) -> Result<Backup, RestoreError> {
    let credentials = match with {
        Ok(password) => BackupCredentials::Password(password),
        Err(key) => BackupCredentials::Recovery(key),
    };
    crate::vault::open_backup(snapshot, user, credentials).map(Backup)
}

impl Backup {
    /// When the backup was made.
    pub fn written_at(&self) -> i64 {
        self.0.written_at()
    }

    /// The user name as registered.
    pub fn username(&self) -> &str {
        self.0.username()
    }

    /// The account's email.
    pub fn email(&self) -> &str {
        self.0.email()
    }

    /// The photos it lists, with their objects' names (data, previews).
    pub fn photos(&self) -> Vec<(PhotoId, String, String)> {
        self.0.photos().into_iter().map(|(p, names)| (p.id(), names.data, names.previews)).collect()
    }

    /// Restores it into `vault` from `objects` (name → object), as `service::backup::restore`
    /// does from a bucket; with `stop_after_begin`, only its first step (the account id
    /// kept), as an interrupted restore leaves the vault.
    pub fn restore_into(
        &self,
        vault: &Vault,
        objects: &HashMap<String, Vec<u8>>,
        stop_after_begin: bool,
    ) -> Result<(), RestoreError> {
        vault.restore_begin(&self.0)?;
        if stop_after_begin {
            return Ok(());
        }
        for (photo, names) in self.0.photos() {
            let data =
                objects.get(&names.data).ok_or_else(|| RestoreError::Damaged(format!("no object {}", names.data)))?;
            let opened = self.0.open_photo(&photo, data, objects.get(&names.previews).map(Vec::as_slice))?;
            vault.restore_photos(&self.0, &[opened])?;
        }
        vault.restore_finish(&self.0)
    }
}
