//! Account use cases that hold a rule of their own.

use crate::crypto::PhotoPassword;
use crate::vault::{LoginError, PhotoId, RegisterError, Session};

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
