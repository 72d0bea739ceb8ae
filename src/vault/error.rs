//! Typed errors, one enum per operation. Messages say what happened and what to do.

use std::path::PathBuf;

pub(crate) use crate::panic_guard::{Panic, catch_panic};

/// A failure of the storage layer (redb or the file system under it). The message is a
/// whole sentence that says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub(crate) String);

impl StorageError {
    /// A stored record does not decode.
    pub(crate) fn damaged_record() -> StorageError {
        StorageError("a record in the vault is damaged; run verify to see which photos it concerns, or restore the vault from a backup".into())
    }

    /// The vault file was changed by someone without the keys: `what` says what.
    pub(crate) fn tampered(what: &str) -> StorageError {
        StorageError(format!(
            "the vault file was changed outside Secure Photo Gallery: {what}; nothing was written. Restore the vault from a backup"
        ))
    }

    /// Describes a storage failure, with advice that fits its cause.
    fn describe(e: &(dyn std::error::Error + 'static)) -> StorageError {
        let text = e.to_string();
        // ENOSPC, EFBIG, EDQUOT: nothing more can be written. redb's I/O variants do not
        // always expose the io::Error as a source, so the OS error text is matched too.
        let full = ["os error 28", "os error 27", "os error 122", "No space left", "File too large", "Disk quota"];
        if full.iter().any(|f| text.contains(f)) {
            return StorageError(format!(
                "the vault could not be written: the disk is full or a size limit was reached ({text}); free some space and try again (nothing half-written was kept)"
            ));
        }
        if text.contains("Previous I/O error") {
            return StorageError(
                "an earlier write to the vault failed (is the disk full?); close Secure Photo Gallery, free some space, and open the vault again".into(),
            );
        }
        StorageError(format!(
            "vault storage error: {text}; close other programs using the vault and try again, or restore it from a backup"
        ))
    }
}

/// What a panic inside redb becomes: redb trusts its own page structure, and some
/// damaged bytes there make it panic instead of returning an error.
fn damaged_structure() -> StorageError {
    StorageError(
        "the vault file is damaged: part of its internal structure cannot be read; restore the vault from a backup (photos you exported stay safe)".into(),
    )
}

impl Panic {
    /// The error a storage operation reports for this panic.
    fn into_storage_error(self) -> StorageError {
        self.bug().map_or_else(damaged_structure, StorageError)
    }
}

/// [`catch_panic`] for the operations that fail with a [`StorageError`].
pub(crate) fn guard<T, E: From<StorageError>>(f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    catch_panic(f).unwrap_or_else(|panic| Err(panic.into_storage_error().into()))
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { StorageError::describe(&e) }
        }
    )*};
}
storage_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    postcard::Error
);

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
    #[error("cannot create the vault at {path}: {source}")]
    Io {
        /// The vault path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
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
    /// The password is too short.
    #[error("the password is too short: use at least {0} characters")]
    WeakPassword(usize),
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
    #[error("no photo {0} in this account; run `list` to see the IDs")]
    NotFound(String),
    /// Wrong photo password, or the photo's stored data was changed: one message for both.
    #[error(
        "cannot open photo {0}: wrong photo password, or its stored data is damaged; check the password in the email for this photo (run `verify` to check the vault)"
    )]
    Locked(String),
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
    /// Writing the output failed.
    #[error("cannot write the photo: {0}")]
    Write(#[from] std::io::Error),
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
        assert!(err.0.contains("this is a bug"), "{err}");
        assert!(err.0.contains("src/vault/error.rs:"), "{err}");
        assert!(err.0.contains("index out of bounds"), "{err}");
        assert_eq!(guard::<u8, StorageError>(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_panic_inside_redb_is_reported_as_damage() {
        let panic = Panic::new(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/redb-4.6.0/src/tree_store/btree_base.rs:120",
            "range end index 9000 out of range for slice of length 4096",
        );
        assert!(panic.bug().is_none());
        assert!(panic.into_storage_error().0.starts_with("the vault file is damaged"));
    }
}
