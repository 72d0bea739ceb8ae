//! The handle the desktop app holds for a logged-in account: opaque, so that the screens
//! see what they show (the name, the profile, what the login found) and nothing that
//! reaches the keys, the database or the mail transport. Work on the account goes through
//! `jobs`, which hands the session to the use cases.

use std::path::PathBuf;
use std::sync::Arc;

use crate::vault::{ManifestProblem, Profile, Rollback, Session};

/// A logged-in account. Cheap to clone; the keys are forgotten when the last clone drops
/// (on lock).
#[derive(Clone)]
pub struct Account(Arc<Session>);

impl Account {
    /// Wraps a session that a login opened.
    pub fn new(session: Session) -> Account {
        Account(Arc::new(session))
    }

    /// The session, for the use cases and the worker threads (never the screens).
    pub fn session(&self) -> &Session {
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

    /// The account's email, mail settings and previews (a copy; the SMTP password is in it).
    pub fn profile(&self) -> Profile {
        self.0.profile()
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

    /// What the last list found changed in the vault file (see
    /// [`Session::manifest_problems`]).
    pub fn manifest_problems(&self) -> Vec<ManifestProblem> {
        self.0.manifest_problems()
    }

    /// How many password emails of the account wait in the outbox.
    pub fn queued_emails(&self) -> usize {
        super::queued_emails(&self.0)
    }

    /// Set when this vault is older than, or forked from, one opened on this computer.
    pub fn rollback(&self) -> Option<Rollback> {
        self.0.rollback()
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Account").field(&self.username()).finish()
    }
}
