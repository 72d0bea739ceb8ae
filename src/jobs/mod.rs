//! Worker threads for the desktop app. Everything slow (Argon2, redb, decoding,
//! encryption, mail) runs on named threads; each result comes back as an [`Event`] on one
//! channel, and the waker (which the app points at `request_repaint`) is called after every
//! send, so the screen updates at once.
//!
//! Two kinds of work: the app's own (opening the vault, logging in, registering,
//! recovering, restoring, tidying the vault after a lock), started through [`Jobs`]; and a
//! logged-in account's, started through its [`Work`]: every result of a session's work is
//! tagged with it, and the app drops a result whose session is gone. Locking closes the
//! session's work: every job stops at its next step, and the vault comes back only once no
//! job holds the account's keys.
//!
//! This module knows no egui types: pictures travel as `image::RgbaImage`.

mod session;
mod thumbnails;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};

use zeroize::Zeroizing;

use spg_core::service::backup::{BackupError, Progress, RestoreReport};
use spg_core::service::{Account, RecoverError, Registration};
use spg_core::vault::{LoginError, OpenError, Previews, RegisterError, StorageError, Vault};

pub use session::{AlbumChange, ExportReport, FileOutcome, ImportFailed, Pick, SessionEvent, SessionId, Work};
pub use thumbnails::{NoThumbnail, ThumbnailLoader};

/// Calls back into the UI (to request a repaint) after each event.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What became of saving the recovery key's words.
#[derive(Debug)]
pub enum WordsSave {
    /// Written to this file.
    Saved(PathBuf),
    /// The dialog was cancelled.
    Cancelled,
    /// No file dialog answered (no desktop portal): the screen asks for a path itself.
    NoDialog,
    /// The file could not be written.
    Failed(std::io::Error),
}

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
    /// How far a restore is.
    RestoreProgress(Progress),
    /// A restore ended.
    Restored(Result<RestoreReport, BackupError>),
    /// The save dialog for the recovery key's words closed.
    WordsSaved(WordsSave),
    /// What a logged-in account's work did: for that session only.
    Session(SessionId, SessionEvent),
    /// Every job of a locked session has ended: no thread holds its keys any more.
    SessionClosed(SessionId),
}

/// Starts the app's own work on named threads and hands back [`Event`]s.
pub struct Jobs {
    events: EventSender,
}

impl Jobs {
    /// A job runner and the receiver the app drains each frame.
    pub fn new(wake: Waker) -> (Jobs, Receiver<Event>) {
        let (tx, rx) = channel();
        (Jobs { events: EventSender { tx, wake } }, rx)
    }

    /// Runs `work` on a thread of its own named `name`, with what sends its events.
    pub(crate) fn spawn(&self, name: &str, work: impl FnOnce(&EventSender) + Send + 'static) {
        let events = self.events.clone();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || work(&events))
            .expect("the OS can start a worker thread");
    }

    /// The work of a logged-in account (see [`Work`]); starts listing its photos.
    pub fn session(&self, account: Account) -> Work {
        Work::start(account, self.events.clone())
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

    /// Tidies the vault (`service::tidy_vault`) and hands it back.
    pub fn tidy(&self, mut vault: Vault) {
        self.spawn("tidy", move |ev| {
            let result = spg_core::service::tidy_vault(&mut vault);
            ev.send(Event::Tidied(vault, result));
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
        (secret, new_password): (Zeroizing<String>, Option<Zeroizing<String>>),
        cancel: Arc<AtomicBool>,
    ) {
        self.spawn("restore", move |ev| {
            let result = spg_core::service::backup::restore_with(&secret, new_password.as_deref().map(String::as_str))
                .map_err(BackupError::from)
                .and_then(|with| {
                    let mut progress = |p| ev.send(Event::RestoreProgress(p));
                    spg_core::service::backup::restore(&vault, &location, &user, with, &cancel, &mut progress)
                });
            ev.send(Event::Restored(result));
        });
    }

    /// Logs in (Argon2 runs here).
    pub fn login(&self, vault: Vault, user: String, password: Zeroizing<String>) {
        self.spawn("login", move |ev| ev.send(Event::LoggedIn(vault.login(&user, &password))));
    }

    /// Creates an account and logs in to it.
    pub fn register(&self, vault: Vault, user: String, email: String, password: Zeroizing<String>, previews: Previews) {
        self.spawn("register", move |ev| {
            ev.send(Event::Registered(spg_core::service::register(&vault, &user, &email, &password, previews)));
        });
    }

    /// Recovers an account with its recovery key's words and a new password.
    pub fn recover(&self, vault: Vault, user: String, words: Zeroizing<String>, password: Zeroizing<String>) {
        self.spawn("recover", move |ev| {
            ev.send(Event::Recovered(spg_core::service::recover(&vault, &user, &words, &password)));
        });
    }
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
