//! Typed errors, one enum per operation. Messages say what happened and what to do.

use std::path::PathBuf;

pub(crate) use crate::platform::panic_guard::{Panic, catch_panic};

/// A failure of the storage layer (redb or the file system under it), with its source
/// kept. Each message is a whole sentence that says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The disk is full, or a file size or quota limit was reached (ENOSPC, EFBIG, EDQUOT).
    #[error(
        "the vault could not be written: the disk is full or a size limit was reached; free some space and try again (nothing half-written was kept)"
    )]
    DiskFull(#[source] std::io::Error),
    /// An earlier write failed, and redb refuses every write until the vault is reopened.
    #[error(
        "an earlier write to the vault failed (is the disk full?); close Secure Photo Gallery, free some space, and open the vault again"
    )]
    PreviousIo,
    /// Reading or writing the file failed otherwise.
    #[error("the vault file could not be read or written; check the disk, and try again")]
    Io(#[source] std::io::Error),
    /// Anything else redb reports.
    #[error(
        "vault storage error: {0}; close other programs using the vault and try again, or restore it from a backup"
    )]
    Database(redb::Error),
    /// The file's internal structure is damaged (redb panicked on it).
    #[error(
        "the vault file is damaged: part of its internal structure cannot be read; restore the vault from a backup (photos you exported stay safe)"
    )]
    Damaged,
    /// A stored record does not decode.
    #[error(
        "a record in the vault is damaged; check the vault to see which photos it concerns, or restore it from a backup"
    )]
    DamagedRecord,
    /// One photo's record does not open.
    #[error("the record of photo {0} is damaged")]
    DamagedPhoto(crate::vault::PhotoId),
    /// The vault file was changed by someone without the keys: what was changed.
    #[error(
        "the vault file was changed outside Secure Photo Gallery: {0}; nothing was written. Restore the vault from a backup"
    )]
    Tampered(&'static str),
    /// Two photos drew the same random id (once in a trillion imports).
    #[error("photo ID collision; import the file again")]
    IdCollision,
    /// The operation needs the vault to itself, and it is in use (a session is open).
    #[error("the vault is in use; close the other windows and commands using it, and try again")]
    Busy,
    /// A rollback or fork warning stands for this account: nothing is written until the
    /// owner accepts this copy of the vault.
    #[error(
        "nothing was written: {0}. Until you accept this copy of the vault (if you restored it yourself), the account is read-only; photos still open and export"
    )]
    ReadOnly(crate::vault::Rollback),
    /// A bug of ours stopped the operation (a panic in our code, not damage).
    #[error("{0}")]
    Bug(String),
}

impl StorageError {
    /// A stored record does not decode.
    pub(crate) fn damaged_record() -> StorageError {
        StorageError::DamagedRecord
    }

    /// The vault file was changed by someone without the keys: `what` says what.
    pub(crate) fn tampered(what: &'static str) -> StorageError {
        StorageError::Tampered(what)
    }

    /// Whether nothing more can be written until space is freed (the import stops).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StorageError::DiskFull(_) | StorageError::PreviousIo)
    }
}

impl From<redb::Error> for StorageError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Io(io) if is_full(&io) => StorageError::DiskFull(io),
            redb::Error::Io(io) => StorageError::Io(io),
            redb::Error::PreviousIo => StorageError::PreviousIo,
            other => StorageError::Database(other),
        }
    }
}

/// ENOSPC, EFBIG, EDQUOT: nothing more can be written.
fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28 | 27 | 122))
}

impl Panic {
    /// The error a storage operation reports for this panic: redb trusts its own page
    /// structure, and some damaged bytes there make it panic instead of returning an error.
    fn into_storage_error(self) -> StorageError {
        self.bug().map_or(StorageError::Damaged, StorageError::Bug)
    }
}

/// [`catch_panic`] for the operations that fail with a [`StorageError`].
pub(crate) fn guard<T, E: From<StorageError>>(f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    catch_panic(f).unwrap_or_else(|panic| Err(panic.into_storage_error().into()))
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { redb::Error::from(e).into() }
        }
    )*};
}
storage_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError
);

impl From<postcard::Error> for StorageError {
    fn from(_: postcard::Error) -> Self {
        StorageError::DamagedRecord
    }
}

/// Opening or creating a vault file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another process (or window) has the vault open.
    #[error("the vault {0} is in use by another Secure Photo Gallery window or command; close it and try again")]
    InUse(PathBuf),
    /// The vault was written by a newer version of this program.
    #[error(
        "the vault {path} has format version {found}, newer than this program understands ({supported}); install a newer Secure Photo Gallery"
    )]
    TooNew {
        /// The vault path.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The newest version this program reads.
        supported: u32,
    },
    /// The vault was made by a development build before the first release (an older
    /// format that is not migrated).
    #[error(
        "the vault {path} was made by an older development version of Secure Photo Gallery (format {found}), which this version cannot read; export its photos with the version that made it, then import them into a new vault"
    )]
    FromDevelopmentVersion {
        /// The vault path.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
    },
    /// The file is not a vault, or is damaged beyond opening.
    #[error("{path} is not a readable vault ({reason}); check the path, or restore the vault from a backup")]
    Unreadable {
        /// The vault path.
        path: PathBuf,
        /// What redb said.
        reason: String,
    },
    /// A bug of ours stopped the open (a panic in our code, not damage).
    #[error("{0}")]
    Internal(String),
    /// The folder for the vault could not be created or used.
    #[error("cannot create the vault at {path}: {error}")]
    Io {
        /// The vault path.
        path: PathBuf,
        /// What failed (said in the message, so not a source too).
        error: std::io::Error,
    },
}

/// Creating an account failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The user name is already taken (names are case-insensitive).
    #[error("the user name '{0}' is already taken; choose another one")]
    UsernameTaken(String),
    /// The user name has a character or length we do not accept.
    #[error("'{0}' is not a valid user name: use 1 to 64 letters, digits, '.', '_' or '-'")]
    InvalidUsername(String),
    /// The email address does not parse.
    #[error("'{0}' is not a valid email address; photo passwords are sent there, so check it")]
    InvalidEmail(String),
    /// The password is refused by the password rule (too short, or easy to guess): why,
    /// and what to do.
    #[error("{0}")]
    WeakPassword(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Logging in (or opening an account with the recovery key) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user, wrong password or wrong recovery key: one message for all three.
    #[error("wrong user name or password; check both and try again")]
    WrongCredentials,
    /// The account record is damaged.
    #[error("the account record is damaged; restore the vault from a backup")]
    Damaged,
    /// The password or recovery key does not open the account, and its record is older
    /// than the one this computer last opened: the vault file was put back to an older
    /// copy, or replaced by someone who knew an older password.
    #[error(
        "this account's record is older than the one this computer last opened (password generation {found}, where {seen} was seen), so your current password does not open it: the vault file was replaced by an older copy, or by someone who once knew an older password. Restore the vault from a backup, or use the recovery words"
    )]
    OlderAccount {
        /// The generation this computer saw.
        seen: u32,
        /// The generation of the record found.
        found: u32,
    },
    /// The vault file was changed by someone without the keys (the account record, its
    /// manifest, or the recovery key it holds): nothing is opened with the changed data.
    #[error(
        "the account's data in the vault file is damaged or was changed outside Secure Photo Gallery ({0}); nothing was opened or written. Restore the vault from a backup"
    )]
    Tampered(String),
    /// The stored key-derivation cost is outside the accepted range: the file was edited.
    #[error(
        "the account's stored password cost ({m_mib} MiB, {t} passes, {p} lanes) is outside what Secure Photo Gallery accepts, so the vault file was changed; restore it from a backup"
    )]
    UnsupportedCost {
        /// Memory in MiB.
        m_mib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Opening, exporting, deleting or reading one photo failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhotoError {
    /// No photo with that ID in this account.
    #[error("no photo {0} in this account")]
    NotFound(crate::vault::PhotoId),
    /// Wrong photo password, or the photo's stored data was changed: one message for both.
    #[error(
        "cannot open photo {0}: that is not its password; check the password in the email for this photo (only if it is right is the photo's stored data damaged)"
    )]
    Locked(crate::vault::PhotoId),
    /// The photo's key opened (the password is right) but its stored data does not
    /// authenticate: changed or cut in the file.
    #[error(
        "photo {0} is damaged: its password is right, but its stored data was changed or lost; export your other photos, and restore this one from a backup"
    )]
    Damaged(crate::vault::PhotoId),
    /// No preview could be made of the photo (its original no longer decodes).
    #[error("no preview can be made of photo {0}; export it to see it")]
    PreviewUnavailable(crate::vault::PhotoId),
    /// The account hides previews of locked photos, and this one was not unlocked.
    #[error(
        "photo {0} is locked and this account hides the previews of locked photos; unlock it with its password to see it"
    )]
    PreviewHidden(crate::vault::PhotoId),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing the output failed (what failed is said in the message, so not a source too).
    #[error("cannot write the photo: {0}")]
    Write(std::io::Error),
}

impl From<std::io::Error> for PhotoError {
    fn from(e: std::io::Error) -> Self {
        PhotoError::Write(e)
    }
}

/// Storing a prepared photo failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The same bytes are already in this account.
    #[error("duplicate")]
    Duplicate,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The file changed between reading it for the thumbnail and storing it.
    #[error("the file changed while it was being imported; import it again")]
    Changed,
    /// The login password was changed between preparing the photo and storing it: it was
    /// sealed under a generation's key that is no longer the newest.
    #[error("the login password was changed during the import; import the file again")]
    PasswordChanged,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_our_code_is_reported_as_a_bug_not_as_damage() {
        let err = guard::<(), StorageError>(|| {
            let records: Vec<u8> = Vec::new();
            let _ = records[3];
            Ok(())
        })
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("this is a bug"), "{err}");
        assert!(text.contains("src/vault/error.rs:"), "{err}");
        assert!(text.contains("index out of bounds"), "{err}");
        assert_eq!(guard::<u8, StorageError>(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_panic_inside_redb_is_reported_as_damage() {
        let panic = Panic::new(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/redb-4.6.0/src/tree_store/btree_base.rs:120",
            "range end index 9000 out of range for slice of length 4096",
        );
        assert!(panic.bug().is_none());
        assert!(matches!(panic.into_storage_error(), StorageError::Damaged));
    }
}
