//! The work of one logged-in account: a small executor per session. Every job is started
//! through it, on a thread of its own, and every result it sends is tagged with the
//! session, so that the app drops what arrives for a session that is gone (an account
//! locked while its list was still being read must not fill the next account's gallery).
//! Closing the work (the lock) stops every job at its next step and reports once none runs
//! any more: only then are the account's keys gone from memory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use zeroize::Zeroizing;

use spg_core::crypto::PhotoPassword;
use spg_core::service::backup::{BackupError, BackupReport, How, Progress, PullReport};
use spg_core::service::export::{ExportError, ExportItem, ExportKind, export_to_folder};
use spg_core::service::import::{ImportEvent, ImportSummary, import_paths};
use spg_core::service::settings::{SettingsChange, SettingsDone, SettingsError};
use spg_core::service::view::{OpenPhotoError, OpenedPhoto, open_for_viewing};
use spg_core::service::{Account, MailOverrides, Unlock, UnlockFailure, mail_route};
use spg_core::vault::{
    AlbumError, Albums, Catalog, PhotoError, PhotoId, PhotoInfo, PhotoRef, StorageError, VerifyReport,
};

use super::thumbnails::{NoThumbnail, ThumbnailLoader};
use super::{Event, EventSender};

/// Which login a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(u64);

/// What a job of a logged-in account did, or how far it is.
pub enum SessionEvent {
    /// The account's newest photos, newest first, as the last list left them: shown until
    /// [`SessionEvent::Listed`] brings them all.
    Front(Catalog),
    /// The account's photos, newest first, and the records that could not be read
    /// (changed or damaged in the file: their photos are not in the list).
    Listed(Result<(Catalog, Vec<PhotoId>), StorageError>),
    /// Every record of the account was read and compared with its manifest, after the
    /// first list of a session: the records that could not be read (the list takes its
    /// photos from the index, so these may be listed); what differs from the manifest is
    /// in the account's manifest problems.
    RecordsChecked(Result<Vec<PhotoId>, StorageError>),
    /// A thumbnail decoded for the grid, at most this many pixels on its longest side.
    Thumbnail(PhotoId, u32, Result<image::RgbaImage, NoThumbnail>),
    /// Passwords checked: the ones that opened their photo, and why others did not.
    Unlocked(Vec<(PhotoId, PhotoPassword)>, Vec<UnlockFailure>),
    /// A photo decrypted and decoded for the viewer.
    Opened(PhotoId, Result<OpenedPhoto, OpenPhotoError>),
    /// Import progress: files analysed of the total, bytes read, when it started.
    ImportProgress {
        /// Files analysed so far.
        done: usize,
        /// Files in all.
        total: usize,
        /// Bytes read so far.
        bytes: u64,
        /// When the import started.
        started: Instant,
    },
    /// What became of one file of an import.
    ImportFile(PathBuf, FileOutcome),
    /// Where the password email went.
    ImportMailed(spg_core::mail::Delivered),
    /// The import ended.
    ImportFinished(Result<ImportSummary, ImportFailed>),
    /// An export ended.
    Exported(ExportReport),
    /// How far a backup is.
    Transfer(Progress),
    /// A backup ended.
    BackedUp(Result<(PullReport, BackupReport), BackupError>),
    /// Photos deleted, and why others were not.
    Deleted(Vec<PhotoId>, Vec<PhotoError>),
    /// The account's albums, read after its list and after every change of them.
    Albums(Result<Albums, StorageError>),
    /// An album change was made (with how many photos it added or took out), or why not.
    AlbumChanged(AlbumChange, Result<usize, AlbumError>),
    /// A settings change finished: what was done, or why it was not.
    SettingsSaved(Result<SettingsDone, SettingsError>),
    /// A check of every photo has checked this many of about this many.
    Verifying(usize, usize),
    /// A check of every photo ended: how many it checked and what is wrong with which
    /// (`None`: stopped).
    Verified(Result<Option<VerifyReport>, StorageError>),
    /// The native file dialog closed: what was picked (`None`: cancelled, or no dialog
    /// service answered, which `answered_at_once` suggests).
    Picked {
        /// What the paths are for.
        purpose: Pick,
        /// The chosen paths.
        paths: Option<Vec<PathBuf>>,
        /// It returned in well under a second: most likely no dialog service exists.
        answered_at_once: bool,
    },
}

/// A change of the albums, by name: each one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlbumChange {
    /// Make an empty album.
    Create(String),
    /// Give an album another name.
    Rename(String, String),
    /// Delete an album (its photos stay).
    Delete(String),
    /// Put photos in an album (made first when `create` and there is none of that name).
    Add { album: String, ids: Vec<PhotoId>, create: bool },
    /// Take photos out of an album (they stay in the vault).
    Remove { album: String, ids: Vec<PhotoId> },
    /// Show an album by one of its photos.
    Cover { album: String, id: PhotoId },
}

/// How an export went.
#[derive(Debug)]
pub struct ExportReport {
    /// The folder written into.
    pub folder: PathBuf,
    /// What was written.
    pub kind: ExportKind,
    /// Photos written.
    pub written: usize,
    /// Photos not written (their names), and why.
    pub failed: Vec<(String, ExportError)>,
    /// The folder could not be made: nothing was written.
    pub no_folder: Option<std::io::Error>,
}

/// An import of the app could not go on (photos of earlier batches stay imported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportFailed {
    /// The account's mail settings are not usable.
    #[error(transparent)]
    Mail(#[from] spg_core::mail::MailError),
    /// The password email was not delivered, so its batch was not stored (with why, said
    /// in the message: the screen shows one line).
    #[error("{error}: {}", why(error))]
    Import {
        /// What stopped the import.
        error: spg_core::service::import::ImportError,
    },
}

/// The reason under an error, for a message that says both.
fn why(e: &dyn std::error::Error) -> String {
    e.source().map(ToString::to_string).unwrap_or_default()
}

/// What became of one file of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored, as this photo.
    Imported(PhotoId),
    /// Stored as this photo with the plain "No preview" tile: this build cannot render what
    /// the file is (`TIFF with LZMA compression`).
    NoPreview(PhotoId, String),
    /// The account already holds the same bytes: no failure.
    Duplicate,
    /// Not imported, for this reason (one plain sentence).
    Refused(String),
}

/// What a native file dialog is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Photos to import.
    ImportFiles,
    /// A folder to import.
    ImportFolder,
    /// Password email files, starting in this folder (the outbox).
    EmailFiles(Option<PathBuf>),
    /// The certificate authority of a mail server with a certificate of its own.
    CaFile,
}

/// Sends a session's events, tagged with it.
#[derive(Clone)]
pub(crate) struct SessionSender {
    events: EventSender,
    id: SessionId,
}

impl SessionSender {
    pub(crate) fn send(&self, event: SessionEvent) {
        self.events.send(Event::Session(self.id, event));
    }
}

/// The threads of a session's jobs, with what each is (for the screen while they stop).
type Running = Arc<Mutex<Vec<(&'static str, JoinHandle<()>)>>>;

/// The work of one logged-in account. Dropped without [`Work::close`], its jobs go on to
/// their end (and their results are dropped).
pub struct Work {
    account: Account,
    id: SessionId,
    events: EventSender,
    /// Set when the session closes: every job stops at its next step.
    stop: Arc<AtomicBool>,
    /// The cancel flags of jobs that also have their own (import, backup, the check).
    flags: Mutex<Vec<Arc<AtomicBool>>>,
    running: Running,
}

impl Work {
    /// The work of `account`; starts reading its photos and then checking every record.
    pub(super) fn start(account: Account, events: EventSender) -> Work {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = SessionId(NEXT.fetch_add(1, Ordering::Relaxed));
        let work = Work { account, id, events, stop: Arc::default(), flags: Mutex::default(), running: Arc::default() };
        work.list_and_check();
        work
    }

    /// The session's tag.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Runs `job` on a thread of its own named `name`, with the account, what sends the
    /// session's events, and the flag set when the session closes.
    pub(crate) fn spawn(
        &self,
        name: &'static str,
        job: impl FnOnce(&Account, &SessionSender, &AtomicBool) + Send + 'static,
    ) {
        let (account, stop) = (self.account.clone(), self.stop.clone());
        let sender = SessionSender { events: self.events.clone(), id: self.id };
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || job(&account, &sender, &stop))
            .expect("the OS can start a worker thread");
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.retain(|(_, h)| !h.is_finished());
        running.push((name, handle));
    }

    /// Makes `flag` one the session's close sets (a job's own cancel flag).
    fn watch(&self, flag: &Arc<AtomicBool>) {
        self.flags.lock().unwrap_or_else(PoisonError::into_inner).push(flag.clone());
    }

    /// Stops every job of the session at its next step (an import between files, an export
    /// between photos, a backup between objects; nothing half-written is kept), and sends
    /// [`Event::SessionClosed`] once none runs any more. Returns what was still under way
    /// (jobs' names, such as "backup"), for the screen to say while they stop.
    pub fn close(self) -> Vec<&'static str> {
        self.stop.store(true, Ordering::Relaxed);
        for flag in self.flags.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            flag.store(true, Ordering::Relaxed);
        }
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(PoisonError::into_inner));
        let busy: Vec<&'static str> = running.iter().filter(|(_, h)| !h.is_finished()).map(|(name, _)| *name).collect();
        let Work { account, id, events, .. } = self;
        std::thread::Builder::new()
            .name("close".into())
            .spawn(move || {
                drop(account);
                for (_, handle) in running {
                    let _ = handle.join();
                }
                events.send(Event::SessionClosed(id));
            })
            .expect("the OS can start a worker thread");
        busy
    }

    /// A loader for the grid's thumbnails; its thread ends when the loader is dropped or
    /// the session closes.
    pub fn thumbnails(&self) -> ThumbnailLoader {
        let (loader, requests) = ThumbnailLoader::new();
        self.spawn("thumbnails", move |account, events, stop| {
            super::thumbnails::serve(account, &requests, stop, |id, side, result| {
                events.send(SessionEvent::Thumbnail(id, side, result));
            });
        });
        loader
    }

    /// Lists the account's photos, then its albums.
    pub fn list(&self) {
        self.spawn("list", |account, ev, _| {
            ev.send(SessionEvent::Listed(account.list()));
            ev.send(SessionEvent::Albums(account.albums()));
        });
    }

    /// Changes the albums, then reads them again.
    pub fn change_album(&self, change: AlbumChange) {
        self.spawn("album", move |account, ev, _| {
            let done = match &change {
                AlbumChange::Create(name) => account.create_album(name).map(|()| 0),
                AlbumChange::Rename(name, new_name) => account.rename_album(name, new_name).map(|()| 0),
                AlbumChange::Delete(name) => account.delete_album(name).map(|()| 0),
                AlbumChange::Add { album, ids, create } => account.add_to_album(album, ids, *create),
                AlbumChange::Remove { album, ids } => account.remove_from_album(album, ids),
                AlbumChange::Cover { album, id } => account.set_album_cover(album, *id).map(|()| 0),
            };
            ev.send(SessionEvent::AlbumChanged(change, done));
            ev.send(SessionEvent::Albums(account.albums()));
        });
    }

    /// Sends the newest photos when the account has a current front of its list (a few
    /// milliseconds), then lists every photo (from the index: a second at a million), then
    /// reads every record to compare them with the manifest: a record removed or put back
    /// in the file behind the account's back is found after the first screen, not before
    /// it. The check stops when the session closes (at a million photos it takes seconds).
    fn list_and_check(&self) {
        self.spawn("list", |account, ev, stop| {
            // The whole list follows, and says what fails.
            if let Ok(Some(front)) = account.list_front() {
                ev.send(SessionEvent::Front(front));
            }
            let listed = account.list();
            let ok = listed.is_ok();
            ev.send(SessionEvent::Listed(listed));
            ev.send(SessionEvent::Albums(account.albums()));
            if ok {
                match account.check_records(stop) {
                    Ok(None) => {}
                    checked => ev.send(SessionEvent::RecordsChecked(checked.map(Option::unwrap_or_default))),
                }
                spg_core::give_back_memory();
            }
        });
    }

    /// Checks photo passwords (typed, or every line of a pasted email).
    pub fn unlock(&self, candidates: Vec<(PhotoId, PhotoPassword)>) {
        self.spawn("unlock", move |account, ev, _| {
            let (ok, failed) = spg_core::service::check_passwords(account, candidates);
            ev.send(SessionEvent::Unlocked(ok, failed));
        });
    }

    /// Finds which of `locked` (each with its import time) `password` opens, the most
    /// recently imported first, and unlocks it: a password typed without its photo.
    pub fn unlock_some_photo(&self, password: PhotoPassword, mut locked: Vec<(i64, PhotoId)>) {
        self.spawn("unlock", move |account, ev, stop| {
            locked.sort_unstable_by(|a, b| b.cmp(a));
            let photos: Vec<PhotoId> = locked.into_iter().map(|(_, id)| id).collect();
            let found = spg_core::service::photo_of_password(account, &password, &photos, stop);
            ev.send(match found {
                Some(id) => SessionEvent::Unlocked(vec![(id, password)], Vec::new()),
                None => SessionEvent::Unlocked(Vec::new(), vec![UnlockFailure::NoPhotoOpens]),
            });
        });
    }

    /// Checks the passwords in password email files (saved `.eml` files or text copies).
    pub fn unlock_files(&self, paths: Vec<PathBuf>) {
        self.spawn("unlock", move |account, ev, _| {
            let (ok, failed) = spg_core::service::unlock_from_files(account, paths);
            ev.send(SessionEvent::Unlocked(ok, failed));
        });
    }

    /// Decrypts and decodes a photo for the viewer.
    pub fn open(&self, id: PhotoId, unlock: Unlock) {
        self.spawn("open-photo", move |account, ev, _| {
            ev.send(SessionEvent::Opened(id, open_for_viewing(account, id, &unlock)));
        });
    }

    /// Imports files and folders, mailing the passwords first; `cancel` (or the session's
    /// close) stops it between files. With `album`, the photos stored go into that album
    /// (made when there is none of that name).
    pub fn import(&self, paths: Vec<PathBuf>, cancel: Arc<AtomicBool>, album: Option<String>) {
        self.watch(&cancel);
        self.spawn("import", move |account, ev, _| {
            let started = Instant::now();
            let mut imported = Vec::new();
            let result = mail_route(account, &MailOverrides::default()).map_err(ImportFailed::Mail).and_then(|route| {
                import_paths(account, &route, &paths, &cancel, &mut |event| match event {
                    ImportEvent::Analysed { done, total, bytes } => {
                        ev.send(SessionEvent::ImportProgress { done, total, bytes, started })
                    }
                    ImportEvent::Found(total) => {
                        ev.send(SessionEvent::ImportProgress { done: 0, total, bytes: 0, started })
                    }
                    ImportEvent::Imported { id, path, no_preview } => {
                        imported.push(id);
                        let outcome = match no_preview {
                            Some(what) => FileOutcome::NoPreview(id, what.to_string()),
                            None => FileOutcome::Imported(id),
                        };
                        ev.send(SessionEvent::ImportFile(path.to_path_buf(), outcome))
                    }
                    ImportEvent::Skipped(path, reason) => {
                        let outcome = if reason.is_failure() {
                            FileOutcome::Refused(reason.to_string())
                        } else {
                            FileOutcome::Duplicate
                        };
                        ev.send(SessionEvent::ImportFile(path.to_path_buf(), outcome))
                    }
                    ImportEvent::Mailed(whither) => ev.send(SessionEvent::ImportMailed(whither.clone())),
                })
                .map_err(|error| ImportFailed::Import { error })
            });
            ev.send(SessionEvent::ImportFinished(result));
            // Into the album open when the import began, as `import --album` does (the
            // photos stored before a failure too).
            if let Some(album) = album.filter(|_| !imported.is_empty()) {
                let added = account.add_to_album(&album, &imported, true);
                ev.send(SessionEvent::AlbumChanged(AlbumChange::Add { album, ids: imported, create: true }, added));
                ev.send(SessionEvent::Albums(account.albums()));
            }
        });
    }

    /// Exports photos into `folder`, each under its own name (a clash gets a suffix); the
    /// session's close stops it before the next photo.
    pub fn export(&self, photos: Vec<(PhotoInfo, Option<Unlock>)>, folder: PathBuf, kind: ExportKind) {
        self.spawn("export", move |account, ev, stop| {
            let mut report =
                ExportReport { folder: folder.clone(), kind, written: 0, failed: Vec::new(), no_folder: None };
            let items: Vec<ExportItem<'_>> = photos
                .iter()
                .map(|(photo, unlock)| ExportItem {
                    photo: PhotoRef::of(photo.id, &photo.meta),
                    unlock: unlock.as_ref(),
                })
                .collect();
            let made = export_to_folder(account, &items, (kind, &folder), stop, &mut |photo, result| match result {
                Ok(_) => report.written += 1,
                Err(e) => report.failed.push((photo.name.to_string(), e)),
            });
            report.no_folder = made.err();
            ev.send(SessionEvent::Exported(report));
        });
    }

    /// Deletes photos.
    pub fn delete(&self, ids: Vec<PhotoId>) {
        self.spawn("delete", move |account, ev, _| {
            let (mut deleted, mut failed) = (Vec::new(), Vec::new());
            match account.delete_many(&ids) {
                Ok(answers) => {
                    for (id, result) in answers {
                        match result {
                            Ok(_) => deleted.push(id),
                            Err(e) => failed.push(e),
                        }
                    }
                }
                Err(e) => failed.push(e.into()),
            }
            ev.send(SessionEvent::Deleted(deleted, failed));
        });
    }

    /// Syncs the account with its backup at `location`: brings here what other computers
    /// added, then backs up, and keeps the settings in the account
    /// (`service::backup::backup_and_remember`); `cancel` (or the session's close) stops
    /// it between objects. With `adopt`, the password set on another computer: that
    /// password change is taken from the backup first
    /// (`service::backup::adopt_password_change`).
    pub fn backup(
        &self,
        location: spg_core::remote::Location,
        cancel: Arc<AtomicBool>,
        adopt: Option<Zeroizing<String>>,
    ) {
        self.watch(&cancel);
        self.spawn("backup", move |account, ev, _| {
            let mut progress = |p| ev.send(SessionEvent::Transfer(p));
            let adopted = match &adopt {
                Some(password) => spg_core::service::backup::adopt_password_change(account, &location, password),
                None => Ok(()),
            };
            let result = adopted.and_then(|()| {
                let how = How { pull: true, prune: false };
                spg_core::service::backup::backup_and_remember(account, &location, how, &cancel, &mut progress)
            });
            ev.send(SessionEvent::BackedUp(result));
        });
    }

    /// Checks every stored byte of the account's photos, as `verify` does, saying how far
    /// it is; `stop` (or the session's close) stops it. Gives back the memory it used.
    pub fn verify(&self, stop: Arc<AtomicBool>) {
        self.watch(&stop);
        self.spawn("verify", move |account, ev, _| {
            let report = account.verify_reporting(|checked, of| {
                ev.send(SessionEvent::Verifying(checked, of));
                if stop.load(Ordering::Relaxed) {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            });
            ev.send(SessionEvent::Verified(report));
            spg_core::give_back_memory();
        });
    }

    /// Runs a settings change (password, mail, previews) and reports what it did.
    pub fn settings(&self, change: SettingsChange) {
        self.spawn("settings", move |account, ev, _| ev.send(SessionEvent::SettingsSaved(change.apply(account))));
    }
}
