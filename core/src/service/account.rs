//! Account use cases that hold a rule of their own.

use crate::crypto::{PhotoPassword, RecoveryKey};
use crate::service::Account;
use crate::vault::{LoginError, PhotoId, PhotoUnlock, RegisterError, Vault};

/// Changing the password failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordChangeError {
    /// The current password given is not the account's.
    #[error("that is not your current password; type the password you logged in with")]
    WrongCurrent,
    /// The current password could not be checked.
    #[error(transparent)]
    Current(#[from] LoginError),
    /// The new password was refused, or could not be stored.
    #[error(transparent)]
    New(#[from] RegisterError),
    /// The new password is the current one.
    #[error("the new password is the one you have now; choose another")]
    Same,
}

/// Sets a new login password once the current one is confirmed again (Argon2, as a login):
/// someone at an unlocked session must not be able to change it without knowing it. The
/// new one must differ: a password change is what ends the reach of whoever learned the
/// current one.
pub fn change_password(account: &Account, current: &str, new: &str) -> Result<(), PasswordChangeError> {
    let session = account.session();
    if current == new {
        return Err(PasswordChangeError::Same);
    }
    match session.vault().login(session.username(), current) {
        Err(LoginError::WrongCredentials) => return Err(PasswordChangeError::WrongCurrent),
        other => drop(other?),
    }
    set_password(account, new)?;
    Ok(())
}

/// Sets a new login password: a new generation of the account's keys
/// ([`Session::change_password`]).
pub fn set_password(account: &Account, new: &str) -> Result<(), RegisterError> {
    let session = account.session();
    session.change_password(new)
}

/// The largest password email file read: an email listing 10,000 photos is about 1 MB.
const EMAIL_FILE_MAX: u64 = 8 * 1024 * 1024;

/// The `(photo, password)` pairs in a password email file (a saved `.eml`, or a text copy
/// of it), read into memory that is wiped after; files over 8 MB are not password emails.
pub fn passwords_in_file(path: &std::path::Path) -> std::io::Result<Vec<(PhotoId, PhotoPassword)>> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > EMAIL_FILE_MAX {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "too large to be a password email"));
    }
    // Sized once, so that no copy of the passwords is left behind by a growing buffer.
    let mut bytes = crate::crypto::SecretBytes::from(Vec::with_capacity(size as usize + 1));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, EMAIL_FILE_MAX), &mut bytes)?;
    Ok(photo_passwords(&bytes))
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
pub fn recover(vault: &Vault, user: &str, words: &str, new_password: &str) -> Result<Account, RecoverError> {
    let key = RecoveryKey::parse(words).ok_or(RecoverError::NotAKey)?;
    let account = vault.login_with_recovery(user, key)?;
    set_password(&account, new_password)?;
    Ok(account)
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
    pub(crate) fn as_photo_unlock(&self) -> PhotoUnlock<'_> {
        match self {
            Unlock::Password(password) => PhotoUnlock::Password(password),
            Unlock::Recovery => PhotoUnlock::Recovery,
        }
    }
}

/// A new account, logged in: its recovery key's words, shown once.
pub struct Registration {
    /// The user name.
    pub user: String,
    /// The recovery key's 24 words.
    pub words: zeroize::Zeroizing<String>,
    /// The account, logged in with the new password (an error only if the vault failed
    /// between the two steps: then the login screen follows).
    pub account: Result<Account, LoginError>,
}

/// Creates an account (`previews`: how its locked photos look after login) and logs in to
/// it.
pub fn register(
    vault: &Vault,
    user: &str,
    email: &str,
    password: &str,
    previews: crate::vault::Previews,
) -> Result<Registration, RegisterError> {
    let recovery = vault.register(user, email, password, previews)?;
    Ok(Registration { user: user.to_string(), words: recovery.to_words(), account: vault.login(user, password) })
}

/// Why a password did not unlock, or a file gave none.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockFailure {
    /// The password does not open the photo (or the photo is not this account's).
    #[error(transparent)]
    Photo(#[from] crate::vault::PhotoError),
    /// A password email file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The files hold no photo passwords.
    #[error("those files hold no photo passwords: choose the password emails (.eml files, or text copies of them)")]
    NoPasswords,
    /// No locked photo of the account opens with the password typed without its photo.
    #[error(
        "none of your locked photos opens with that password: check it against its email, or paste the whole email"
    )]
    NoPhotoOpens,
}

/// What checking photo passwords found: the ones that opened their photo, and why the
/// others did not.
pub type Unlocked = (Vec<(PhotoId, PhotoPassword)>, Vec<UnlockFailure>);

/// Checks photo passwords (typed, or every line of a pasted email).
pub fn check_passwords(account: &Account, candidates: Vec<(PhotoId, PhotoPassword)>) -> Unlocked {
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for (id, password) in candidates {
        match account.check_password(id, &password) {
            Ok(()) => ok.push((id, password)),
            Err(e) => failed.push(e.into()),
        }
    }
    (ok, failed)
}

/// The photo `password` opens, for a password typed or pasted without its photo's ID: each
/// of `photos` is tried in the order given (the caller puts the newest first), until one
/// opens or `stop` is set. A try costs a record read and HKDF, not Argon2id (the password's
/// 100 random bits are what protect it), so even a large account takes seconds.
pub fn photo_of_password(
    account: &Account,
    password: &PhotoPassword,
    photos: &[PhotoId],
    stop: &std::sync::atomic::AtomicBool,
) -> Option<PhotoId> {
    photos
        .iter()
        .take_while(|_| !stop.load(std::sync::atomic::Ordering::Relaxed))
        .find(|&&id| account.check_password(id, password).is_ok())
        .copied()
}

/// Checks the passwords in password email files (saved `.eml` files, or text copies).
pub fn unlock_from_files(account: &Account, paths: Vec<std::path::PathBuf>) -> Unlocked {
    let (mut found, mut unreadable) = (Vec::new(), Vec::new());
    for path in paths {
        match passwords_in_file(&path) {
            Ok(passwords) => found.extend(passwords),
            Err(error) => unreadable.push(UnlockFailure::File { path, error }),
        }
    }
    if found.is_empty() && unreadable.is_empty() {
        unreadable.push(UnlockFailure::NoPasswords);
    }
    let (ok, mut failed) = check_passwords(account, found);
    unreadable.append(&mut failed);
    (ok, unreadable)
}
