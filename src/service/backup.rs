//! Backups on S3-compatible storage, for both front ends: back an account up (only what the
//! bucket lacks, several objects at once), and restore one into a vault (every photo
//! checked before the account appears). What crosses the network is sealed by `vault`.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::remote::{Location, Remote, RemoteError};
use crate::vault::{
    BackupCredentials, BackupSettings, PHOTOS_FOLDER, PhotoId, RestoreError, SNAPSHOT, Session, StorageError, Vault,
    open_backup,
};

use super::parallel::for_each_on;

/// Objects sent or fetched at once: the network waits more than the cores work.
const AT_ONCE: usize = 6;

/// How far a backup or restore is.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Photos sent (or fetched) so far.
    pub done: usize,
    /// Photos to send (or fetch) in all.
    pub total: usize,
    /// Bytes sent (or fetched) so far.
    pub bytes: u64,
    /// When it started.
    pub started: Instant,
}

/// What a backup did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupReport {
    /// Photos sent now.
    pub uploaded: usize,
    /// Photos the bucket held already.
    pub already: usize,
    /// Bytes sent (objects and snapshot).
    pub bytes: u64,
    /// Objects of photos deleted here that were removed from the bucket (`prune`).
    pub pruned: usize,
    /// Objects of photos deleted here that are still in the bucket (without `prune`).
    pub kept_remote: usize,
    /// Photos whose records cannot be read here: not backed up (`verify` tells more).
    pub unreadable: Vec<PhotoId>,
}

/// Why a backup or restore stopped. Nothing local is changed by a backup that fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// No bucket was given, and none is saved in the account.
    #[error("no backup location is set for this account; give one (s3://BUCKET/FOLDER, endpoint and access key)")]
    NoLocation,
    /// The storage refused or could not be reached.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The vault failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The backup cannot be restored here.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// The backup is whole, but the account could not keep its settings.
    #[error("the backup is done, but its settings could not be saved in the account: {0}")]
    NotSaved(crate::vault::RegisterError),
    /// Cancelled: what was sent stays, and the next backup goes on from there.
    #[error("cancelled; what was sent is kept, and the next backup continues from there")]
    Cancelled,
}

/// The remote location of stored backup settings.
pub fn location_of(settings: &BackupSettings) -> Location {
    Location {
        endpoint: settings.endpoint.clone(),
        region: settings.region.clone(),
        bucket: settings.bucket.clone(),
        prefix: settings.prefix.clone(),
        access_key: settings.access_key.clone(),
        secret_key: settings.secret_key.clone(),
    }
}

/// Backs the account up ([`backup`]) and keeps `location`, with the time, in the account's
/// sealed profile: the next backup needs no settings, and the app shows when the last one
/// was. What both front ends call.
pub fn backup_and_remember(
    session: &Session,
    location: &Location,
    prune: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, BackupError> {
    let report = backup(session, location, prune, cancel, progress)?;
    let mut profile = session.profile();
    profile.backup = Some(BackupSettings {
        endpoint: location.endpoint.clone(),
        region: location.region.clone(),
        bucket: location.bucket.clone(),
        prefix: location.prefix.clone(),
        access_key: location.access_key.clone(),
        secret_key: location.secret_key.clone(),
        last_at: time::OffsetDateTime::now_utc().unix_timestamp(),
    });
    session.set_profile(profile).map_err(BackupError::NotSaved)?;
    Ok(report)
}

/// Backs the account up to `location`: sends each photo the bucket lacks (several at
/// once), then the account snapshot that lists them all. Interrupted, it leaves whole
/// objects only, and the next run sends what is missing. With `prune`, objects of photos
/// deleted here are removed from the bucket; without it they stay.
pub fn backup(
    session: &Session,
    location: &Location,
    prune: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport, BackupError> {
    let remote = Remote::new(location)?;
    let present: HashSet<String> = remote.list(PHOTOS_FOLDER)?.into_iter().map(|o| o.name).collect();
    let (photos, unreadable) = session.list()?;
    let ids: Vec<PhotoId> = photos.iter().map(|p| p.id).collect();
    let names: Vec<String> = ids.iter().map(|&id| session.backup_object_name(id)).collect();
    let todo: Vec<(PhotoId, &String)> =
        ids.iter().zip(&names).filter(|(_, name)| !present.contains(*name)).map(|(&id, name)| (id, name)).collect();
    let mut report = BackupReport { already: ids.len() - todo.len(), unreadable, ..BackupReport::default() };
    let started = Instant::now();
    let mut failure = None;
    for_each_on(
        "backup",
        AT_ONCE,
        &todo,
        cancel,
        |_, (id, name)| -> Result<u64, BackupError> {
            let object = session.backup_photo(*id)?;
            remote.put(name, &object)?;
            Ok(object.len() as u64)
        },
        |_, sent| match sent {
            Ok(bytes) => {
                report.uploaded += 1;
                report.bytes += bytes;
                progress(Progress { done: report.uploaded, total: todo.len(), bytes: report.bytes, started });
                true
            }
            Err(e) => {
                failure = Some(e);
                false
            }
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    if report.uploaded < todo.len() {
        return Err(BackupError::Cancelled);
    }
    let snapshot = session.backup_snapshot(&ids)?;
    remote.put(SNAPSHOT, &snapshot)?;
    report.bytes += snapshot.len() as u64;
    let ours: HashSet<&String> = names.iter().collect();
    for gone in present.iter().filter(|name| !ours.contains(name)) {
        if prune {
            remote.delete(gone)?;
            report.pruned += 1;
        } else {
            report.kept_remote += 1;
        }
    }
    Ok(report)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The user name as registered.
    pub user: String,
    /// Photos restored (every one checked).
    pub photos: usize,
    /// Photos the snapshot lists whose object is missing or does not check: not restored.
    pub lost: Vec<PhotoId>,
    /// Bytes fetched.
    pub bytes: u64,
    /// When the backup was made (Unix seconds).
    pub backed_up_at: i64,
}

/// Restores the account `user` from the backup at `location` into `vault` (which must not
/// have that user): fetches every photo the snapshot lists (several at once), checks each
/// as `verify` would, writes it, and only then writes the account, in one transaction. A
/// photo whose object is missing or damaged is left out and named in the report; the
/// others are restored. An interrupted restore leaves no account; running it again starts
/// over.
pub fn restore(
    vault: &Vault,
    location: &Location,
    user: &str,
    with: BackupCredentials<'_>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreReport, BackupError> {
    let remote = Remote::new(location)?;
    let snapshot = remote.get(SNAPSHOT)?.ok_or(RestoreError::NotABackup)?;
    let backup = open_backup(&snapshot, user, with)?;
    vault.restore_begin(&backup)?;
    let photos = backup.photos();
    let started = Instant::now();
    let (mut done, mut bytes, mut lost, mut failure) = (0, snapshot.len() as u64, Vec::new(), None);
    for_each_on(
        "restore",
        AT_ONCE,
        &photos,
        cancel,
        |_, (id, name)| -> Result<_, BackupError> {
            Ok(match remote.get(name)? {
                Some(object) => (object.len() as u64, backup.open_photo(*id, &object).ok()),
                None => (0, None),
            })
        },
        |i, fetched| {
            let written = fetched.and_then(|(size, photo)| {
                bytes += size;
                match photo {
                    Some(photo) => vault.restore_photos(&backup, &[photo]).map_err(BackupError::from),
                    None => {
                        lost.push(photos[i].0);
                        Ok(())
                    }
                }
            });
            match written {
                Ok(()) => {
                    done += 1;
                    progress(Progress { done, total: photos.len(), bytes, started });
                    true
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    if done < photos.len() {
        return Err(BackupError::Cancelled);
    }
    vault.restore_finish(&backup)?;
    lost.sort();
    Ok(RestoreReport {
        user: backup.username().to_string(),
        photos: done - lost.len(),
        lost,
        bytes,
        backed_up_at: backup.written_at(),
    })
}
