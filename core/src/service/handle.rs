//! The handles the front ends hold: a [`Vault`] (opened with `service::open_vault`, or
//! `Vault::open`) and, once logged in, an [`Account`]. Both are opaque: the session inside
//! an account, its keys, the database and the mail transport stay in this crate. What an
//! account does is here (listing, opening, deleting, checking its photos) or in the use
//! cases of `service`, which take the account.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::crypto::{PhotoPassword, RecoveryKey, SecretBytes};
use crate::vault::{
    Catalog, LoginError, ManifestProblem, PhotoError, PhotoId, PhotoMeta, RegisterError, Rollback, Session,
    StorageError, Vault, VerifyReport,
};

use super::Unlock;

impl Vault {
    /// Logs in with the login password (Argon2id runs here). An unknown user costs the same
    /// work and gives the same error as a wrong password.
    pub fn login(&self, username: &str, password: &str) -> Result<Account, LoginError> {
        self.open_session(username, password).map(Account::new)
    }

    /// Opens an account with its recovery key instead of the password (break glass): every
    /// photo then opens without its password email.
    pub fn login_with_recovery(&self, username: &str, recovery: RecoveryKey) -> Result<Account, LoginError> {
        self.open_session_with_recovery(username, recovery).map(Account::new)
    }
}

/// A logged-in account. Cheap to clone; the keys are forgotten when the last clone drops
/// (on lock).
#[derive(Clone)]
pub struct Account(Arc<Session>);

impl Account {
    /// Wraps a session that a login opened.
    pub(crate) fn new(session: Session) -> Account {
        Account(Arc::new(session))
    }

    /// The session, for the use cases.
    pub(crate) fn session(&self) -> &Session {
        &self.0
    }

    /// Whether the account was opened with its recovery key: every photo opens with it.
    pub fn is_recovery(&self) -> bool {
        self.0.is_recovery()
    }

    /// The user name as registered.
    pub fn username(&self) -> &str {
        self.0.username()
    }

    /// The account's settings as a screen shows them: no stored secret (the SMTP password,
    /// the S3 secret key), only the rest.
    pub fn settings(&self) -> super::settings::AccountSettings {
        super::settings::AccountSettings::of(&self.0.profile())
    }

    /// Whether the account sends its password emails through an SMTP server (else they wait
    /// in the outbox). Reads without copying the profile, which holds the SMTP password.
    pub fn uses_smtp(&self) -> bool {
        self.0.uses_smtp()
    }

    /// The folder where password emails wait without SMTP.
    pub fn outbox_dir(&self) -> PathBuf {
        self.0.outbox_dir()
    }

    /// What the last list found changed in the vault file: photos whose records were
    /// removed, or deleted and put back.
    pub fn manifest_problems(&self) -> Vec<ManifestProblem> {
        self.0.manifest_problems()
    }

    /// How many password emails of the account wait in the outbox.
    pub fn queued_emails(&self) -> usize {
        super::queued_emails(self)
    }

    /// Set when this vault is older than, or forked from, one opened on this computer:
    /// nothing is written to the account until the owner accepts this copy.
    pub fn rollback(&self) -> Option<Rollback> {
        self.0.rollback()
    }

    /// Accepts this copy of the vault as the one this computer knows (a backup restored on
    /// purpose): the account can be written again.
    pub fn accept_this_copy(&self) {
        self.0.accept_this_copy();
    }

    /// The account's photos (the catalog, newest first) and the records that could not be
    /// read (changed or damaged in the file).
    pub fn list(&self) -> Result<(Catalog, Vec<PhotoId>), StorageError> {
        self.0.list()
    }

    /// The account's newest photos (up to about a thousand, newest first) as the last list
    /// left them, if the account's photos have not changed since: quick, for a first
    /// screen while [`Account::list`] reads the rest. `None` when there is nothing current.
    pub fn list_front(&self) -> Result<Option<Catalog>, StorageError> {
        self.0.list_front()
    }

    /// Reads every record of the account and compares the set with the manifest (what
    /// differs goes to [`Account::manifest_problems`]); returns the records that could not
    /// be read, or `None` when `stop` was set before the end.
    pub fn check_records(&self, stop: &AtomicBool) -> Result<Option<Vec<PhotoId>>, StorageError> {
        self.0.check_records(stop)
    }

    /// One photo's metadata.
    pub fn meta(&self, id: PhotoId) -> Result<PhotoMeta, PhotoError> {
        self.0.meta(id)
    }

    /// What the login shows of a locked photo (its preview under the account's choice).
    pub fn thumbnail(&self, id: PhotoId) -> Result<SecretBytes, PhotoError> {
        self.0.thumbnail(id)
    }

    /// Whether `password` opens photo `id`.
    pub fn check_password(&self, id: PhotoId, password: &PhotoPassword) -> Result<(), PhotoError> {
        self.0.check_password(id, password)
    }

    /// A photo's metadata and its original bytes, decrypted (every chunk authenticated).
    pub fn decrypt(&self, id: PhotoId, unlock: &Unlock) -> Result<(PhotoMeta, SecretBytes), PhotoError> {
        self.0.decrypt(id, &unlock.as_photo_unlock())
    }

    /// Deletes photos, in one transaction: each one's metadata as it was, or why it was not.
    #[allow(clippy::type_complexity)]
    pub fn delete_many(&self, ids: &[PhotoId]) -> Result<Vec<(PhotoId, Result<PhotoMeta, PhotoError>)>, StorageError> {
        self.0.delete_many(ids)
    }

    /// Checks every stored byte of the account's photos with the login alone.
    pub fn verify(&self) -> Result<VerifyReport, StorageError> {
        self.0.verify()
    }

    /// [`Account::verify`], telling `progress` how far it is; `None` if `progress` stopped it.
    pub fn verify_reporting(
        &self,
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Option<VerifyReport>, StorageError> {
        self.0.verify_reporting(progress)
    }

    /// Sets a new login password without asking for the current one (a new generation of
    /// the account's keys): for a session opened with the recovery words, and for tests.
    /// The app and the command line confirm the current password first
    /// (`service::change_password`).
    pub fn set_password(&self, new: &str) -> Result<(), RegisterError> {
        super::set_password(self, new)
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Account").field(&self.username()).finish()
    }
}
