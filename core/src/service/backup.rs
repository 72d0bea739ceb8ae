//! Backups on S3-compatible storage, for both front ends: back an account up (only what the
//! bucket lacks, several objects at once), and restore one into a vault (every photo
//! checked before the account appears). What crosses the network is sealed by `vault`.

use crate::service::Account;
use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::crypto::RecoveryKey;
use crate::remote::{Location, Remote, RemoteError};
use crate::vault::{
    BackupCredentials, BackupPhoto, BackupSettings, ObjectNames, PHOTOS_FOLDER, PREVIEWS_FOLDER, PhotoId, RestoreError,
    RestoredPhoto, SNAPSHOT, Session, StorageError, Vault, open_backup, snapshot_fingerprint,
};

use super::parallel::for_each_on;

/// Objects sent or fetched at once: the network waits more than the cores work.
const AT_ONCE: usize = 6;

/// The largest snapshot fetched (a million photos take about 46 MB).
const MAX_SNAPSHOT: u64 = 256 * 1024 * 1024;

/// The largest photo object fetched: the largest file import takes, padded, with its
/// records and thumbnails.
const MAX_OBJECT: u64 = super::import::MAX_FILE_SIZE * 5 / 4 + 64 * 1024 * 1024;

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
    /// The bucket's list of photos was not taken (written with a password from before the
    /// last change, see [`RestoreError::OlderPassword`]): photos only another computer has
    /// are no longer listed until that computer backs up again with the new password.
    pub list_not_taken: bool,
}

/// Why a backup or restore stopped. Nothing local is changed by a backup that fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// No bucket was given, and none is saved in the account.
    #[error("no backup location is set for this account; give one (s3://BUCKET/FOLDER, endpoint and access key)")]
    NoLocation,
    /// No access key ID was given, and none is saved for this location.
    #[error("give the storage's access key ID")]
    NoAccessKey,
    /// No secret key was given, and none is saved for this access key.
    #[error("give the secret key that goes with the access key {0}")]
    MissingSecret(String),
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
    /// The new password the recovery words were to set is refused: nothing was restored.
    #[error("the new password: {0}")]
    NewPassword(crate::vault::RegisterError),
    /// Cancelled: what was sent stays, and the next backup goes on from there.
    #[error("cancelled; what was sent is kept, and the next backup continues from there")]
    Cancelled,
}

/// The region when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";

/// What was given for a backup location (a part that is `None` or blank was not).
#[derive(Default, Clone, Copy)]
pub struct LocationGiven<'a> {
    /// `s3://BUCKET/FOLDER`.
    pub address: Option<&'a str>,
    /// The endpoint (default: AWS's for the region).
    pub endpoint: Option<&'a str>,
    /// The region (default: [`DEFAULT_REGION`]).
    pub region: Option<&'a str>,
    /// The access key ID.
    pub access_key: Option<&'a str>,
    /// The secret key.
    pub secret_key: Option<&'a str>,
}

impl std::fmt::Debug for LocationGiven<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocationGiven")
            .field("address", &self.address)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.map(|_| "<given>"))
            .finish()
    }
}

/// The location `given` names, with the defaults for what it leaves out; the secret key,
/// when not given, is the one `account` keeps for the same access key (it is never shown
/// again, nor asked for each time). The one rule of both front ends.
pub fn location(given: LocationGiven<'_>, account: Option<&Account>) -> Result<Location, BackupError> {
    location_from(given, account.and_then(|a| a.session().profile().backup).as_ref())
}

/// [`location`], with the saved settings `saved`.
fn location_from(given: LocationGiven<'_>, saved: Option<&BackupSettings>) -> Result<Location, BackupError> {
    let part = |p: Option<&str>| p.map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    let (bucket, prefix) = crate::remote::parse_s3_url(&part(given.address).ok_or(BackupError::NoLocation)?)?;
    let region = part(given.region).unwrap_or_else(|| DEFAULT_REGION.to_string());
    let endpoint = part(given.endpoint).unwrap_or_else(|| crate::remote::aws_endpoint(&region));
    let access_key = part(given.access_key).ok_or(BackupError::NoAccessKey)?;
    let secret_key = match (given.secret_key.filter(|s| !s.is_empty()), saved) {
        (Some(secret), _) => crate::crypto::Secret::from(secret),
        (None, Some(s)) if s.place.access_key == access_key => s.place.secret_key.clone(),
        (None, _) => return Err(BackupError::MissingSecret(access_key)),
    };
    Ok(Location { endpoint, region, bucket, prefix, access_key, secret_key })
}

/// Backs the account up ([`backup`]) and keeps `location`, with the time, in the account's
/// sealed profile: the next backup needs no settings, and the app shows when the last one
/// was. What both front ends call.
pub fn backup_and_remember(
    account: &Account,
    location: &Location,
    how: How,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<(PullReport, BackupReport), BackupError> {
    let session = account.session();
    session.writable()?;
    let remote = Remote::new(location)?;
    let saved = session.profile().backup.filter(|saved| same_place(saved, location));
    // The bucket's snapshot is read once, for the pull and the backup both (a pull does
    // not change the bucket).
    let (listed, list_not_taken) = match remote_photos(session, &remote, saved.as_ref().map(|s| s.snapshot)) {
        Err(BackupError::Restore(RestoreError::OlderPassword)) => (Vec::new(), true),
        other => (other?, false),
    };
    let pulled = if how.pull { pull(session, &remote, &listed, cancel, progress)? } else { PullReport::default() };
    // The photos here are listed after a pull, which brings some, and during which the
    // user may import or delete.
    let local = session.backup_photos()?;
    let (mut report, snapshot) =
        backup(session, &remote, (&listed, !list_not_taken), local, how.prune, cancel, progress)?;
    report.list_not_taken = list_not_taken;
    let mut profile = session.profile();
    profile.backup = Some(BackupSettings {
        place: location.clone(),
        last_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        snapshot,
    });
    session.set_profile(profile).map_err(BackupError::NotSaved)?;
    Ok((pulled, report))
}

/// Whether saved settings are of the bucket and folder of `location`.
fn same_place(saved: &BackupSettings, location: &Location) -> bool {
    let saved = &saved.place;
    saved.endpoint == location.endpoint && saved.bucket == location.bucket && saved.prefix == location.prefix
}

/// Brings here a password change made on another computer (see
/// [`RestoreError::NewerPassword`]): the snapshot at `location` must open with `password`,
/// the one set there. Afterwards a backup goes on as usual.
pub fn adopt_password_change(account: &Account, location: &Location, password: &str) -> Result<(), BackupError> {
    let session = account.session();
    let remote = Remote::new(location)?;
    let snapshot = remote.get(SNAPSHOT, MAX_SNAPSHOT)?.ok_or(RestoreError::NotABackup)?;
    session.adopt_password_change(&snapshot, password)?;
    Ok(())
}

/// What [`backup_and_remember`] does besides sending.
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    /// First bring here what the bucket holds from other computers ([`pull`]).
    pub pull: bool,
    /// Remove from the bucket the photos deleted here.
    pub prune: bool,
}

/// One object to send: which photo, which of its objects, and its name.
struct Upload {
    photo: BackupPhoto,
    previews: bool,
    name: String,
}

/// Backs the account up to `remote`: sends each object the bucket lacks (several at
/// once: a photo's data, and its previews as they are now), then the account snapshot
/// that lists them all (with the photos of `listed`, the bucket's snapshot, that another
/// computer put there), then removes the preview objects no photo uses any more (only when
/// the bucket's snapshot was taken: otherwise another computer's may be among them).
/// Interrupted, it leaves whole objects only, and the next run sends what is missing. With
/// `prune`, the data objects of photos deleted here are removed from the bucket (found by
/// the names their ids have, never by what the snapshot lacks); without it they stay.
/// Returns the report and the fingerprint of the snapshot written.
fn backup(
    session: &Session,
    remote: &Remote,
    (listed, list_taken): (&[BackupPhoto], bool),
    local: Vec<BackupPhoto>,
    prune: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<(BackupReport, [u8; 32]), BackupError> {
    let mut present: HashSet<String> = HashSet::new();
    for folder in [PHOTOS_FOLDER, PREVIEWS_FOLDER] {
        present.extend(remote.list(folder)?.into_iter().map(|o| o.name).filter(|name| is_object_name(name)));
    }
    let names: Vec<(BackupPhoto, ObjectNames)> =
        local.iter().filter_map(|p| Some((*p, session.backup_object_names(p)?))).collect();
    // What the bucket holds of photos not here: from another computer (kept), or deleted
    // here (kept unless `prune`).
    let deleted = session.deleted_photos()?;
    let here: HashSet<PhotoId> = local.iter().map(BackupPhoto::id).collect();
    let elsewhere: Vec<(BackupPhoto, ObjectNames)> = listed
        .iter()
        .filter(|p| !(here.contains(&p.id()) || (prune && deleted.contains(&p.id()))))
        .filter_map(|p| Some((*p, session.backup_object_names(p)?)))
        .filter(|(_, names)| present.contains(&names.data))
        .collect();
    let mut todo = Vec::new();
    for (photo, names) in &names {
        for (previews, name) in [(false, &names.data), (true, &names.previews)] {
            if !present.contains(name) {
                todo.push(Upload { photo: *photo, previews, name: name.clone() });
            }
        }
    }
    let photos_sent: HashSet<PhotoId> = todo.iter().filter(|u| !u.previews).map(|u| u.photo.id()).collect();
    let mut report = BackupReport { already: names.len() - photos_sent.len(), ..BackupReport::default() };
    let mut unreadable = HashSet::new();
    report.bytes = transfer(
        "backup",
        &todo,
        cancel,
        progress,
        |upload| {
            let object = if upload.previews {
                session.backup_previews(&upload.photo)
            } else {
                session.backup_photo(&upload.photo)
            };
            match object {
                // A record or preview that is not the one the manifest pins is not sent.
                Err(StorageError::DamagedPhoto(id)) => Ok((0, Some(id))),
                Err(e) => Err(e.into()),
                Ok(object) => {
                    remote.put(&upload.name, &object)?;
                    Ok((object.len() as u64, None))
                }
            }
        },
        |_, damaged| {
            unreadable.extend(damaged);
            Ok(())
        },
    )?;
    report.uploaded = photos_sent.iter().filter(|id| !unreadable.contains(*id)).count();
    report.unreadable = unreadable.iter().copied().collect();
    report.unreadable.sort();
    let listing: Vec<BackupPhoto> = names
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !unreadable.contains(&p.id()))
        .chain(elsewhere.iter().map(|(p, _)| *p))
        .collect();
    let snapshot = session.backup_snapshot(&listing)?;
    remote.put(SNAPSHOT, &snapshot)?;
    report.bytes += snapshot.len() as u64;
    report.kept_remote = elsewhere.iter().filter(|(p, _)| deleted.contains(&p.id())).count();
    let ours: HashSet<&String> = names
        .iter()
        .filter(|(p, _)| !unreadable.contains(&p.id()))
        .chain(elsewhere.iter())
        .flat_map(|(_, n)| [&n.data, &n.previews])
        .collect();
    let deleted_here: HashSet<String> =
        if prune { deleted.iter().flat_map(|id| session.backup_data_names(*id)).collect() } else { HashSet::new() };
    for gone in present.iter().filter(|name| !ours.contains(name)) {
        // Previews no listed photo uses (those of an earlier setting) are not left behind;
        // a photo's data only with `prune`, and only of a photo deleted here.
        let unused_previews = list_taken && gone.starts_with(PREVIEWS_FOLDER);
        let pruned = deleted_here.contains(gone);
        if unused_previews || pruned {
            remote.delete(gone)?;
            report.pruned += usize::from(pruned);
        }
    }
    Ok((report, snapshot_fingerprint(&snapshot)))
}

/// The photos the account's snapshot in the bucket lists (none when there is none yet);
/// `pinned` is the fingerprint of the snapshot this account last wrote there.
fn remote_photos(
    session: &Session,
    remote: &Remote,
    pinned: Option<[u8; 32]>,
) -> Result<Vec<BackupPhoto>, BackupError> {
    match remote.get(SNAPSHOT, MAX_SNAPSHOT)? {
        Some(snapshot) => Ok(session.read_snapshot(&snapshot, pinned)?),
        None => Ok(Vec::new()),
    }
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Photos brought here from the bucket (made on another computer).
    pub pulled: usize,
    /// Photos the snapshot lists whose objects are missing or damaged: not brought.
    pub lost: Vec<PhotoId>,
    /// Photos whose ID another account of this vault has: not brought.
    pub clashes: Vec<PhotoId>,
}

/// Brings here the photos the account's backup lists (`listed`) and this vault does not
/// have (`local`: imported on another computer), each checked, except those deleted here.
/// Nothing here is removed.
fn pull(
    session: &Session,
    remote: &Remote,
    listed: &[BackupPhoto],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<PullReport, BackupError> {
    let here: HashSet<PhotoId> = session.backup_photos()?.iter().map(BackupPhoto::id).collect();
    let deleted = session.deleted_photos()?;
    let todo: Vec<(BackupPhoto, ObjectNames)> = listed
        .iter()
        .filter(|p| !here.contains(&p.id()) && !deleted.contains(&p.id()))
        .filter_map(|p| Some((*p, session.backup_object_names(p)?)))
        .collect();
    let mut report = PullReport::default();
    transfer(
        "pull",
        &todo,
        cancel,
        progress,
        |(photo, names)| fetch_photo(remote, names, |data, previews| session.open_backup_photo(photo, data, previews)),
        |i, photo| {
            match photo.map(|p| session.adopt(&p)) {
                None => report.lost.push(todo[i].0.id()),
                Some(Ok(_)) => report.pulled += 1,
                Some(Err(RestoreError::PhotoIdTaken(id))) => report.clashes.push(id),
                Some(Err(e)) => return Err(e.into()),
            }
            Ok(())
        },
    )?;
    Ok(report)
}

/// Sends or fetches `items` several at a time: `work` on the workers (the bytes it moved,
/// and what it made), `take` on this thread as each one ends, with the progress said
/// after each. The first error stops it; so does `cancel` ([`BackupError::Cancelled`]).
/// Returns the bytes moved.
fn transfer<T: Sync, R: Send>(
    name: &str,
    items: &[T],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
    work: impl Fn(&T) -> Result<(u64, R), BackupError> + Sync,
    mut take: impl FnMut(usize, R) -> Result<(), BackupError>,
) -> Result<u64, BackupError> {
    let started = Instant::now();
    let (mut done, mut bytes, mut failure) = (0, 0, None);
    for_each_on(
        name,
        AT_ONCE,
        items,
        cancel,
        |_, item| work(item),
        |i, result| match result.and_then(|(size, made)| {
            bytes += size;
            take(i, made)
        }) {
            Ok(()) => {
                done += 1;
                progress(Progress { done, total: items.len(), bytes, started });
                true
            }
            Err(e) => {
                failure = Some(e);
                false
            }
        },
    );
    match failure {
        Some(e) => Err(e),
        None if done < items.len() => Err(BackupError::Cancelled),
        None => Ok(bytes),
    }
}

/// Fetches a photo's two objects and opens them with `open`: `None` when its data object
/// is missing or does not check (the photo is then left out, and named).
fn fetch_photo(
    remote: &Remote,
    names: &ObjectNames,
    open: impl FnOnce(&[u8], Option<&[u8]>) -> Result<RestoredPhoto, RestoreError>,
) -> Result<(u64, Option<RestoredPhoto>), BackupError> {
    let Some(data) = remote.get(&names.data, MAX_OBJECT)? else { return Ok((0, None)) };
    let previews = remote.get(&names.previews, MAX_OBJECT)?;
    let size = (data.len() + previews.as_ref().map_or(0, Vec::len)) as u64;
    Ok((size, open(&data, previews.as_deref()).ok()))
}

/// Whether a listed name is one a backup makes (`photos/` or `previews/` and 32 hex
/// digits): nothing else in the folder is counted, sent over or removed.
fn is_object_name(name: &str) -> bool {
    [PHOTOS_FOLDER, PREVIEWS_FOLDER].iter().any(|folder| {
        name.strip_prefix(folder)
            .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    })
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The user name as registered.
    pub user: String,
    /// Where its password emails go (from its profile): worth checking after a restore.
    pub email: String,
    /// Photos restored (every one checked).
    pub photos: usize,
    /// Photos the snapshot lists whose object is missing or does not check: not restored.
    pub lost: Vec<PhotoId>,
    /// Bytes fetched.
    pub bytes: u64,
    /// When the backup was made (Unix seconds).
    pub backed_up_at: i64,
    /// When the login password it was made with was set (Unix seconds).
    pub password_set_at: i64,
    /// Whether the restore set a new login password (it was made with the recovery words).
    pub new_password: bool,
}

/// What a restore opens the backup with, from what was typed: the login password; or,
/// when a new password is given, the recovery words `secret` (which must be a recovery
/// key), and that new password.
pub fn restore_with<'a>(secret: &'a str, new_password: Option<&'a str>) -> Result<RestoreWith<'a>, RestoreError> {
    match new_password {
        None => Ok(RestoreWith::Password(secret)),
        Some(new_password) => {
            let key = RecoveryKey::parse(secret).ok_or(RestoreError::NotRecoveryWords)?;
            Ok(RestoreWith::Recovery { key, new_password })
        }
    }
}

/// What a restore opens the backup with.
pub enum RestoreWith<'a> {
    /// The login password the backup was made with.
    Password(&'a str),
    /// The recovery key, and the login password it sets. The account is written in a new
    /// generation of its keys, as after a password change, in the restore's last
    /// transaction: what is written after the restore opens with no password of the
    /// backup's time (the backup may be older than the owner's last change, put back by
    /// someone who knew the password replaced then).
    Recovery {
        /// The recovery key.
        key: RecoveryKey,
        /// The new login password (the password rule applies; checked before anything is
        /// fetched).
        new_password: &'a str,
    },
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
    with: RestoreWith<'_>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreReport, BackupError> {
    let remote = Remote::new(location)?;
    let snapshot = remote.get(SNAPSHOT, MAX_SNAPSHOT)?.ok_or(RestoreError::NotABackup)?;
    let (backup, sets_password) = match with {
        RestoreWith::Password(password) => {
            (open_backup(&snapshot, user, BackupCredentials::Password(password))?, false)
        }
        RestoreWith::Recovery { key, new_password } => {
            let backup = open_backup(&snapshot, user, BackupCredentials::Recovery(key))?;
            (backup.with_new_password(new_password).map_err(BackupError::NewPassword)?, true)
        }
    };
    vault.restore_begin(&backup)?;
    let photos = backup.photos();
    let mut lost = Vec::new();
    let fetched = transfer(
        "restore",
        &photos,
        cancel,
        progress,
        |(photo, names)| fetch_photo(&remote, names, |data, previews| backup.open_photo(photo, data, previews)),
        |i, photo| {
            match photo {
                Some(photo) => vault.restore_photos(&backup, &[photo])?,
                None => lost.push(photos[i].0.id()),
            }
            Ok(())
        },
    )?;
    vault.restore_finish(&backup)?;
    lost.sort();
    Ok(RestoreReport {
        user: backup.username().to_string(),
        email: backup.email().to_string(),
        photos: photos.len() - lost.len(),
        lost,
        bytes: snapshot.len() as u64 + fetched,
        backed_up_at: backup.written_at(),
        password_set_at: backup.password_set_at(),
        new_password: sets_password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_takes_the_defaults_and_the_saved_secret_of_the_same_key_only() {
        let given =
            LocationGiven { address: Some(" s3://photos/alice/ "), access_key: Some("AKIA"), ..Default::default() };
        let saved = BackupSettings {
            place: Location {
                endpoint: "https://s3.example.com".into(),
                region: "eu".into(),
                bucket: "old".into(),
                prefix: String::new(),
                access_key: "AKIA".into(),
                secret_key: "kept".into(),
            },
            last_at: 0,
            snapshot: [0; 32],
        };
        let l = location_from(given, Some(&saved)).unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str(), l.region.as_str()), ("photos", "alice", DEFAULT_REGION));
        assert_eq!((l.endpoint.clone(), l.secret_key.expose()), (crate::remote::aws_endpoint(DEFAULT_REGION), "kept"));
        let other_key = LocationGiven { access_key: Some("OTHER"), ..given };
        assert!(matches!(location_from(other_key, Some(&saved)), Err(BackupError::MissingSecret(k)) if k == "OTHER"));
        let blank = LocationGiven { address: Some(" "), ..given };
        assert!(matches!(location_from(blank, None), Err(BackupError::NoLocation)));
        assert!(matches!(
            location_from(LocationGiven { access_key: None, ..given }, None),
            Err(BackupError::NoAccessKey)
        ));
        let profile = crate::vault::Profile { backup: Some(saved), ..Default::default() };
        assert_eq!(crate::service::settings::AccountSettings::of(&profile).backup.unwrap().address(), "s3://old");
    }
}
