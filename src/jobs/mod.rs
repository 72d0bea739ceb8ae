//! Worker threads for the desktop app. Everything slow (Argon2, redb, decoding,
//! encryption, mail) runs here on named threads; each result comes back as an [`Event`]
//! on one channel, and the waker (which the app points at `request_repaint`) is called
//! after every send, so the screen updates at once.
//!
//! This module knows no egui types: pictures travel as `image::RgbaImage`.

mod thumbnails;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use zeroize::Zeroizing;

use spg_core::crypto::PhotoPassword;
use spg_core::service::export::{ExportItem, ExportKind, export_to_folder};
use spg_core::service::import::{ImportEvent, ImportSummary, import_paths};
use spg_core::service::{
    Account, MailOverrides, MailSetupError, PasswordChangeError, RecoverError, Unlock, mail_route,
};
use spg_core::vault::{
    Catalog, LoginError, OpenError, PhotoError, PhotoId, PhotoInfo, PhotoMeta, PhotoRef, Previews, RegisterError,
    StorageError, Vault, VerifyReport,
};

pub use thumbnails::ThumbnailLoader;

/// Largest side of a photo decoded for the viewer (a texture of at most 4096², 64 MiB).
pub const VIEWER_MAX_SIDE: u32 = 4096;

/// Calls back into the UI (to request a repaint) after each event.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A finished piece of work, or progress of a long one.
pub enum Event {
    /// redb is repairing the vault (it was not closed properly): the progress, 0 to 1.
    VaultRepair(f64),
    /// The vault is open (and whether it has an account yet), or cannot be used (in use by
    /// another window, unreadable).
    VaultOpened(Result<(Vault, bool), OpenError>),
    /// The vault is back from being tidied after a lock: the space given back (the file's
    /// size before and after), none when it was not worth it, or why it could not be.
    Tidied(Vault, Result<Option<(u64, u64)>, StorageError>),
    /// Login finished.
    LoggedIn(Result<Account, LoginError>),
    /// Registration finished.
    Registered(Result<Registration, RegisterError>),
    /// Recovery finished: the account, opened with its recovery key under a new password.
    Recovered(Result<Account, RecoverError>),
    /// The account's photos, newest first, and the records that could not be read
    /// (changed or damaged in the file: their photos are not in the list).
    Listed(Result<(Catalog, Vec<PhotoId>), StorageError>),
    /// Every record of the account was read and compared with its manifest, after the
    /// first list of a session: the records that could not be read (the list takes its
    /// photos from the index, so these may be listed); what differs from the manifest is
    /// in the session's manifest problems.
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
    /// How far a backup (or a restore) is.
    Transfer(spg_core::service::backup::Progress),
    /// A backup ended.
    BackedUp(
        Result<
            (spg_core::service::backup::PullReport, spg_core::service::backup::BackupReport),
            spg_core::service::backup::BackupError,
        >,
    ),
    /// A restore ended.
    Restored(Result<spg_core::service::backup::RestoreReport, spg_core::service::backup::BackupError>),
    /// Photos deleted, and why others were not.
    Deleted(Vec<PhotoId>, Vec<PhotoError>),
    /// A settings change finished: what was done, or why it was not.
    SettingsSaved(Result<SettingsDone, SettingsError>),
    /// A check of every photo has checked this many of about this many.
    Verifying(usize, usize),
    /// A check of every photo ended: how many it checked and what is wrong with which
    /// (`None`: stopped, the session locked).
    Verified(Result<Option<VerifyReport>, StorageError>),
    /// The recovery key's words were saved to this file (`None`: the dialog was cancelled).
    WordsSaved(Result<Option<PathBuf>, std::io::Error>),
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

/// A new account: its recovery key's words, shown once, and the account logged in.
pub struct Registration {
    /// The user name.
    pub user: String,
    /// The recovery key's 24 words.
    pub words: Zeroizing<String>,
    /// The account, logged in with the new password (an error only if the vault failed
    /// between the two steps: then the login screen follows).
    pub account: Result<Account, LoginError>,
}

/// A change asked for in the settings, applied on a worker thread by its use case.
pub enum SettingsChange {
    /// Password emails go to the outbox beside the vault.
    UseOutbox,
    /// Password emails go through this SMTP server, from this address: without a code the
    /// server is checked and a code is sent to the account's address; with the code from
    /// that email the settings are saved.
    UseSmtp {
        /// The lettre-style URL, credentials included.
        url: Zeroizing<String>,
        /// The From address; the account's email when `None`.
        from: Option<String>,
        /// The code from the test email.
        code: Option<String>,
    },
    /// A test email through this server, from and to these addresses.
    SendTestEmail {
        /// The server's URL.
        url: Zeroizing<String>,
        /// The sender.
        from: String,
        /// The recipient.
        to: String,
    },
    /// The account's queued emails go out through its server, and are deleted once sent.
    SendOutbox,
    /// How locked photos look after login.
    SetPreviews(Previews),
    /// This copy of the vault is the one this computer knows (a backup restored on purpose).
    AcceptThisCopy,
    /// A new login password, once the current one is confirmed.
    ChangePassword {
        /// The current password.
        current: Zeroizing<String>,
        /// The new one.
        new: Zeroizing<String>,
    },
}

/// What a settings change did, for the screen to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsDone {
    /// Password emails go to the outbox from now on.
    UsingOutbox,
    /// Password emails go through this server (described: host, port, security, user).
    UsingSmtp(String),
    /// A code was sent to this address through this server (described): the settings are
    /// saved once it is typed back.
    CodeSent {
        /// Where the code went.
        to: String,
        /// The server, described.
        server: String,
    },
    /// The test email went out (where to, as the transport says it).
    TestEmailSent(String),
    /// This many queued emails were sent and deleted.
    OutboxSent(usize),
    /// The previews choice was saved.
    Previews(Previews),
    /// This copy of the vault is the one this computer knows now.
    AcceptedThisCopy,
    /// The login password changed.
    PasswordChanged,
}

/// Why a settings change did nothing (or, for sending the outbox, stopped part way).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The SMTP settings were refused (the server did not accept, or bad input).
    #[error(transparent)]
    MailSetup(#[from] MailSetupError),
    /// A mail could not be sent.
    #[error(transparent)]
    Mail(#[from] spg_core::mail::MailError),
    /// The account's settings could not be stored.
    #[error(transparent)]
    Account(#[from] RegisterError),
    /// The password was not changed.
    #[error(transparent)]
    Password(#[from] PasswordChangeError),
    /// Sending the outbox stopped at a refused email, after `sent` went out.
    #[error("sent {sent} email(s), then: {error}")]
    OutboxStopped {
        /// Emails sent (and deleted) before the failure.
        sent: usize,
        /// The failure; that email and the later ones stay queued.
        error: spg_core::mail::MailError,
    },
}

impl SettingsChange {
    /// Runs the change's use case.
    fn apply(self, account: &Account) -> Result<SettingsDone, SettingsError> {
        let none = MailOverrides::default();
        Ok(match self {
            SettingsChange::UseOutbox => {
                spg_core::service::use_outbox(account)?;
                SettingsDone::UsingOutbox
            }
            SettingsChange::UseSmtp { url, from, code } => {
                let ca = account.profile().smtp.and_then(|s| s.ca_pem);
                match spg_core::service::use_smtp(account, &url, from, ca, &none, code.as_deref())? {
                    spg_core::service::SmtpSetup::CodeSent { to, server } => SettingsDone::CodeSent { to, server },
                    spg_core::service::SmtpSetup::Done(config) => SettingsDone::UsingSmtp(config.describe()),
                }
            }
            SettingsChange::SendTestEmail { url, from, to } => {
                SettingsDone::TestEmailSent(spg_core::service::send_test_email(&url, &from, &to)?)
            }
            SettingsChange::SendOutbox => {
                let sent = spg_core::service::send_outbox(account, &none)?;
                let done = sent.iter().filter(|s| s.result.is_ok()).count();
                if let Some(error) = sent.into_iter().find_map(|s| s.result.err()) {
                    return Err(SettingsError::OutboxStopped { sent: done, error });
                }
                SettingsDone::OutboxSent(done)
            }
            SettingsChange::SetPreviews(previews) => {
                spg_core::service::set_previews(account, previews)?;
                SettingsDone::Previews(previews)
            }
            SettingsChange::AcceptThisCopy => {
                account.accept_this_copy();
                SettingsDone::AcceptedThisCopy
            }
            SettingsChange::ChangePassword { current, new } => {
                spg_core::service::change_password(account, &current, &new)?;
                SettingsDone::PasswordChanged
            }
        })
    }
}

/// A photo decrypted and decoded for the viewer.
pub struct OpenedPhoto {
    /// Its stored metadata.
    pub meta: PhotoMeta,
    /// The picture, upright, at most [`VIEWER_MAX_SIDE`] pixels a side.
    pub picture: image::RgbaImage,
    /// An animation's frames and how long each shows (`None`: a still picture).
    pub frames: Option<Vec<(image::RgbaImage, std::time::Duration)>>,
    /// Where and how it was taken, from its EXIF.
    pub details: spg_core::imaging::PhotoDetails,
}

/// The largest side of an animation's frames in the viewer (all are kept in memory).
const ANIMATION_MAX_SIDE: u32 = 1024;

/// Why a photo could not be shown in the viewer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPhotoError {
    /// It could not be read or decrypted.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// Its bytes do not decode as a picture.
    #[error(transparent)]
    Decode(#[from] spg_core::imaging::ImageError),
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
    pub failed: Vec<(String, spg_core::service::export::ExportError)>,
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
    /// The password email was not delivered, so its batch was not stored (with why).
    #[error("{error}: {}", why(error))]
    Import {
        /// What stopped the import.
        #[from]
        error: spg_core::service::import::ImportError,
    },
}

/// Why a tile has no thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoThumbnail {
    /// The account hides the previews of locked photos.
    Hidden,
    /// It could not be read or decoded.
    Failed(String),
}

/// The reason under an error, for a message that says both.
fn why(e: &dyn std::error::Error) -> String {
    e.source().map(ToString::to_string).unwrap_or_default()
}

/// What became of one file of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored.
    Imported,
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
}

/// Why a password did not unlock, or a file gave none.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockFailure {
    /// The password does not open the photo (or the photo is not this account's).
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// A password email file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The files hold no photo passwords.
    #[error("those files hold no photo passwords: choose the password emails (.eml files, or text copies of them)")]
    NoPasswords,
}

/// Starts work on named threads and hands back [`Event`]s.
pub struct Jobs {
    tx: Sender<Event>,
    wake: Waker,
}

impl Jobs {
    /// A job runner and the receiver the app drains each frame.
    pub fn new(wake: Waker) -> (Jobs, Receiver<Event>) {
        let (tx, rx) = channel();
        (Jobs { tx, wake }, rx)
    }

    fn sender(&self) -> EventSender {
        EventSender { tx: self.tx.clone(), wake: self.wake.clone() }
    }

    fn spawn(&self, name: &str, work: impl FnOnce(&EventSender) + Send + 'static) {
        let events = self.sender();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || work(&events))
            .expect("the OS can start a worker thread");
    }

    /// A loader for grid thumbnails of this session.
    pub fn thumbnails(&self, account: Account) -> ThumbnailLoader {
        ThumbnailLoader::start(account, self.sender())
    }

    /// Opens the vault: quick, unless redb must first repair it after a crash.
    pub fn open_vault(&self, path: PathBuf) {
        self.spawn("open", move |ev| {
            let repair = ev.clone();
            let opened = spg_core::service::open_vault(&path, move |p| repair.send(Event::VaultRepair(p))).and_then(
                |(vault, _)| {
                    let has_accounts = vault
                        .has_accounts()
                        .map_err(|e| OpenError::Unreadable { path: path.clone(), reason: e.to_string() })?;
                    Ok((vault, has_accounts))
                },
            );
            ev.send(Event::VaultOpened(opened));
        });
    }

    /// Tidies the vault once nothing uses it (`service::tidy_vault`), and hands it back.
    pub fn tidy(&self, mut vault: Vault) {
        self.spawn("tidy", move |ev| {
            let result = spg_core::service::tidy_vault(&mut vault);
            ev.send(Event::Tidied(vault, result));
        });
    }

    /// Syncs the account with its backup at `location`: brings here what other computers
    /// added, then backs up, and keeps the settings in the account
    /// (`service::backup::backup_and_remember`); setting `cancel` stops it between photos.
    /// With `adopt`, the password set on another computer: that password change is taken
    /// from the backup first (`service::backup::adopt_password_change`).
    pub fn backup(
        &self,
        account: Account,
        location: spg_core::remote::Location,
        cancel: Arc<AtomicBool>,
        adopt: Option<Zeroizing<String>>,
    ) {
        self.spawn("backup", move |ev| {
            let mut progress = |p| ev.send(Event::Transfer(p));
            let session = &account;
            let adopted = match &adopt {
                Some(password) => spg_core::service::backup::adopt_password_change(session, &location, password),
                None => Ok(()),
            };
            let result = adopted.and_then(|()| {
                spg_core::service::backup::backup_and_remember(
                    session,
                    &location,
                    spg_core::service::backup::How { pull: true, prune: false },
                    &cancel,
                    &mut progress,
                )
            });
            ev.send(Event::BackedUp(result));
        });
    }

    /// Restores `user` from the backup at `location` into the vault
    /// (`service::backup::restore`), opened with the login password `secret`; or, when
    /// `new_password` is given, with the recovery words `secret`, which then set that
    /// password. Setting `cancel` stops it between photos.
    pub fn restore(
        &self,
        vault: Vault,
        location: spg_core::remote::Location,
        user: String,
        secret: Zeroizing<String>,
        new_password: Option<Zeroizing<String>>,
        cancel: Arc<AtomicBool>,
    ) {
        self.spawn("restore", move |ev| {
            let with = match &new_password {
                Some(new_password) => match spg_core::crypto::RecoveryKey::parse(&secret) {
                    Some(key) => spg_core::service::backup::RestoreWith::Recovery { key, new_password },
                    None => {
                        let wrong = spg_core::vault::RestoreError::NotRecoveryWords;
                        return ev.send(Event::Restored(Err(wrong.into())));
                    }
                },
                None => spg_core::service::backup::RestoreWith::Password(&secret),
            };
            let mut progress = |p| ev.send(Event::Transfer(p));
            let result = spg_core::service::backup::restore(&vault, &location, &user, with, &cancel, &mut progress);
            ev.send(Event::Restored(result));
        });
    }

    /// Logs in (Argon2 runs here).
    pub fn login(&self, vault: Vault, user: String, password: Zeroizing<String>) {
        self.spawn("login", move |ev| {
            ev.send(Event::LoggedIn(vault.login(&user, &password)));
        });
    }

    /// Creates an account.
    pub fn register(&self, vault: Vault, user: String, email: String, password: Zeroizing<String>, previews: Previews) {
        self.spawn("register", move |ev| {
            let result = vault.register(&user, &email, &password, previews).map(|recovery| {
                let account = vault.login(&user, &password);
                Registration { user, words: recovery.to_words(), account }
            });
            ev.send(Event::Registered(result));
        });
    }

    /// Recovers an account with its recovery key's words and a new password.
    pub fn recover(&self, vault: Vault, user: String, words: Zeroizing<String>, password: Zeroizing<String>) {
        self.spawn("recover", move |ev| {
            let result = spg_core::service::recover(&vault, &user, &words, &password);
            ev.send(Event::Recovered(result));
        });
    }

    /// Lists the account's photos.
    pub fn list(&self, account: Account) {
        self.spawn("list", move |ev| {
            let session = &account;
            ev.send(Event::Listed(session.list()));
        });
    }

    /// Lists the account's photos (from its index: quick), then reads every record to
    /// compare them with the manifest, as the list without an index did: a record removed
    /// or put back in the file behind the account's back is found after the first screen,
    /// not before it.
    pub fn list_and_check(&self, account: Account) {
        self.spawn("list", move |ev| {
            let session = &account;
            let listed = session.list();
            let ok = listed.is_ok();
            ev.send(Event::Listed(listed));
            if ok {
                ev.send(Event::RecordsChecked(session.check_records()));
                spg_core::give_back_memory();
            }
        });
    }

    /// Checks photo passwords (typed, or every line of a pasted email).
    pub fn unlock(&self, account: Account, candidates: Vec<(PhotoId, PhotoPassword)>) {
        self.spawn("unlock", move |ev| {
            let session = &account;
            let (mut ok, mut failed) = (Vec::new(), Vec::new());
            for (id, password) in candidates {
                match session.check_password(id, &password) {
                    Ok(()) => ok.push((id, password)),
                    Err(e) => failed.push(e.into()),
                }
            }
            ev.send(Event::Unlocked(ok, failed));
        });
    }

    /// Checks the passwords in password email files (saved `.eml` files or text copies).
    pub fn unlock_files(&self, account: Account, paths: Vec<PathBuf>) {
        self.spawn("unlock", move |ev| {
            let session = &account;
            let (mut ok, mut failed) = (Vec::new(), Vec::new());
            let mut found = Vec::new();
            for path in paths {
                match spg_core::service::passwords_in_file(&path) {
                    Ok(passwords) => found.extend(passwords),
                    Err(error) => failed.push(UnlockFailure::File { path, error }),
                }
            }
            if found.is_empty() && failed.is_empty() {
                failed.push(UnlockFailure::NoPasswords);
            }
            for (id, password) in found {
                match session.check_password(id, &password) {
                    Ok(()) => ok.push((id, password)),
                    Err(e) => failed.push(e.into()),
                }
            }
            ev.send(Event::Unlocked(ok, failed));
        });
    }

    /// Decrypts and decodes a photo for the viewer.
    pub fn open(&self, account: Account, id: PhotoId, unlock: Unlock) {
        self.spawn("open-photo", move |ev| {
            let session = &account;
            let result = session.decrypt(id, &unlock).map_err(OpenPhotoError::from).and_then(|(meta, bytes)| {
                Ok(OpenedPhoto {
                    picture: spg_core::imaging::decode_for_display(&bytes, VIEWER_MAX_SIDE)?,
                    frames: spg_core::imaging::animation_frames(&bytes, ANIMATION_MAX_SIDE),
                    details: spg_core::imaging::photo_details(&bytes),
                    meta,
                })
            });
            ev.send(Event::Opened(id, result));
        });
    }

    /// Imports files and folders, mailing the passwords first; `cancel` stops it.
    pub fn import(&self, account: Account, paths: Vec<PathBuf>, cancel: Arc<AtomicBool>) {
        self.spawn("import", move |ev| {
            let session = &account;
            let started = Instant::now();
            let result = mail_route(session, &MailOverrides::default()).map_err(ImportFailed::Mail).and_then(|route| {
                import_paths(session, &route, &paths, &cancel, &mut |event| match event {
                    ImportEvent::Analysed { done, total, bytes } => {
                        ev.send(Event::ImportProgress { done, total, bytes, started })
                    }
                    ImportEvent::Found(total) => ev.send(Event::ImportProgress { done: 0, total, bytes: 0, started }),
                    ImportEvent::Imported(_, path) => {
                        ev.send(Event::ImportFile(path.to_path_buf(), FileOutcome::Imported))
                    }
                    ImportEvent::Skipped(path, reason) => {
                        let outcome = if reason.is_failure() {
                            FileOutcome::Refused(reason.to_string())
                        } else {
                            FileOutcome::Duplicate
                        };
                        ev.send(Event::ImportFile(path.to_path_buf(), outcome))
                    }
                    ImportEvent::Mailed(whither) => ev.send(Event::ImportMailed(whither.clone())),
                })
                .map_err(|error| ImportFailed::Import { error })
            });
            ev.send(Event::ImportFinished(result));
        });
    }

    /// Exports photos into `folder`, each under its own name (a clash gets a suffix).
    pub fn export(
        &self,
        account: Account,
        photos: Vec<(PhotoInfo, Option<Unlock>)>,
        folder: PathBuf,
        kind: ExportKind,
    ) {
        self.spawn("export", move |ev| {
            let session = &account;
            let mut report =
                ExportReport { folder: folder.clone(), kind, written: 0, failed: Vec::new(), no_folder: None };
            let items: Vec<ExportItem<'_>> = photos
                .iter()
                .map(|(photo, unlock)| ExportItem {
                    photo: PhotoRef::of(photo.id, &photo.meta),
                    unlock: unlock.as_ref(),
                })
                .collect();
            let made = export_to_folder(session, &items, kind, &folder, &mut |photo, result| match result {
                Ok(_) => report.written += 1,
                Err(e) => report.failed.push((photo.name.to_string(), e)),
            });
            report.no_folder = made.err();
            ev.send(Event::Exported(report));
        });
    }

    /// Deletes photos.
    pub fn delete(&self, account: Account, ids: Vec<PhotoId>) {
        self.spawn("delete", move |ev| {
            let session = &account;
            let (mut deleted, mut failed) = (Vec::new(), Vec::new());
            match session.delete_many(&ids) {
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
            ev.send(Event::Deleted(deleted, failed));
        });
    }

    /// Asks where to save the recovery key's words (the native save dialog) and writes
    /// them there, readable by the owner only.
    pub fn save_recovery_words(&self, user: String, words: Zeroizing<String>) {
        self.spawn("file-dialog", move |ev| {
            let chosen = rfd::FileDialog::new()
                .set_title("Save the recovery key")
                .set_file_name(format!("Secure Photo Gallery recovery key ({user}).txt"))
                .save_file();
            let result = chosen
                .map(|path| {
                    let text =
                        Zeroizing::new(format!("Secure Photo Gallery recovery key for {user}\n\n{}\n", words.as_str()));
                    spg_core::write_private(&path, text.as_bytes()).map(|()| path)
                })
                .transpose();
            ev.send(Event::WordsSaved(result));
        });
    }

    /// Shows the native file dialog (through the desktop portal) without blocking the UI.
    pub fn pick(&self, purpose: Pick) {
        self.spawn("file-dialog", move |ev| {
            let started = Instant::now();
            let dialog = rfd::FileDialog::new();
            let paths = match purpose {
                Pick::ImportFiles => dialog
                    .set_title("Import photos")
                    .add_filter("Images", &["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"])
                    .pick_files(),
                Pick::ImportFolder => dialog.set_title("Import a folder").pick_folder().map(|p| vec![p]),
                Pick::EmailFiles(ref outbox) => {
                    let dialog = dialog.set_title("Unlock from password emails").add_filter("Emails", &["eml", "txt"]);
                    match outbox.as_ref().filter(|d| d.is_dir()) {
                        Some(dir) => dialog.set_directory(dir),
                        None => dialog,
                    }
                    .pick_files()
                }
            };
            let answered_at_once = started.elapsed() < std::time::Duration::from_millis(500);
            ev.send(Event::Picked { purpose, paths, answered_at_once });
        });
    }

    /// Checks every stored byte of the account's photos, as `verify` does, saying how far
    /// it is; stops when `stop` is set (the session locked: the check must not keep its
    /// keys alive). Gives back the memory it used.
    pub fn verify(&self, account: Account, stop: Arc<AtomicBool>) {
        self.spawn("verify", move |ev| {
            let report = account.verify_reporting(|checked, of| {
                ev.send(Event::Verifying(checked, of));
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            });
            drop(account);
            ev.send(Event::Verified(report));
            spg_core::give_back_memory();
        });
    }

    /// Runs a settings change (password, mail) and reports its message.
    pub fn settings(&self, account: Account, change: SettingsChange) {
        self.spawn("settings", move |ev| ev.send(Event::SettingsSaved(change.apply(&account))));
    }
}

/// How long copied recovery words may stay on the clipboard.
pub const CLIPBOARD_SECONDS: u64 = 60;

/// Clears the system clipboard after [`CLIPBOARD_SECONDS`] if it still holds `text` (the
/// user may have copied something else since, which is left alone), on a thread of its own.
/// Where there is no clipboard to reach (no display), nothing happens.
pub fn clear_clipboard_later(text: Zeroizing<String>) {
    let _ = std::thread::Builder::new().name("clipboard".into()).spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(CLIPBOARD_SECONDS));
        let Ok(mut clipboard) = arboard::Clipboard::new() else { return };
        if clipboard.get_text().is_ok_and(|now| Zeroizing::new(now).as_str() == text.as_str()) {
            let _ = clipboard.clear();
        }
    });
}

/// Sends events and wakes the UI.
#[derive(Clone)]
pub(crate) struct EventSender {
    tx: Sender<Event>,
    wake: Waker,
}

impl EventSender {
    pub(crate) fn send(&self, event: Event) {
        // The app may be gone (window closed); then nobody wants the result.
        if self.tx.send(event).is_ok() {
            (self.wake)();
        }
    }
}
