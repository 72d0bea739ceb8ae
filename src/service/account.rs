//! Account use cases that hold a rule of their own.

use crate::crypto::{PhotoPassword, RecoveryKey};
use crate::vault::{LoginError, PhotoId, PhotoUnlock, RegisterError, Session, Vault};

/// Changing the password failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordChangeError {
    /// The current password given is not the account's.
    #[error(transparent)]
    Current(#[from] LoginError),
    /// The new password was refused, or could not be stored.
    #[error(transparent)]
    New(#[from] RegisterError),
}

/// Sets a new login password once the current one is confirmed again (Argon2, as a login):
/// someone at an unlocked session must not be able to change it without knowing it.
pub fn change_password(session: &Session, current: &str, new: &str) -> Result<(), PasswordChangeError> {
    session.vault().login(session.username(), current)?;
    session.change_password(new)?;
    Ok(())
}

/// The `(photo, password)` pairs in a password email (a saved `.eml`, a pasted email, or
/// any text with its `Photo ID (NAME): PASSWORD` lines), in order, without repeats.
pub fn photo_passwords(text: &[u8]) -> Vec<(PhotoId, PhotoPassword)> {
    crate::mail::parse_passwords(text).into_iter().filter_map(|(id, pw)| Some((id.parse().ok()?, pw))).collect()
}

/// Recovering an account failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoverError {
    /// The words are not a recovery key (a word is missing, misspelt or swapped).
    #[error("those are not the 24 words of a recovery key: check each word against the ones you wrote down, in order")]
    NotAKey,
    /// The recovery key is not this account's (or the user name is wrong).
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The new password was refused, or could not be stored.
    #[error(transparent)]
    NewPassword(#[from] RegisterError),
}

/// Opens `user`'s account with the recovery key's `words` and sets `new_password` as its
/// login password (the password rule applies). The session that comes back opens every
/// photo with the recovery key, without the password emails.
pub fn recover(vault: &Vault, user: &str, words: &str, new_password: &str) -> Result<Session, RecoverError> {
    let key = RecoveryKey::parse(words).ok_or(RecoverError::NotAKey)?;
    let session = vault.login_with_recovery(user, key)?;
    session.change_password(new_password)?;
    Ok(session)
}

/// What opens one photo: its password, or the recovery key of a session opened with it.
#[derive(Clone)]
pub enum Unlock {
    /// The photo's password, from its email.
    Password(PhotoPassword),
    /// The recovery key the session holds (`Session::is_recovery`).
    Recovery,
}

impl Unlock {
    /// As the vault takes it.
    pub fn as_photo_unlock(&self) -> PhotoUnlock<'_> {
        match self {
            Unlock::Password(password) => PhotoUnlock::Password(password),
            Unlock::Recovery => PhotoUnlock::Recovery,
        }
    }
}
