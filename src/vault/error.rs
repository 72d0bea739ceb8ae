//! Typed errors, one enum per operation. Messages say what happened and what to do.

use std::path::PathBuf;

/// A failure of the storage layer (redb or the file system under it). The message is a
/// whole sentence that says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub(crate) String);

impl StorageError {
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

/// A panic caught by [`catch_panic`].
#[derive(Debug)]
pub(crate) struct Panic {
    /// Where it was raised, `file:line`.
    location: String,
    /// Its message.
    message: String,
}

impl Panic {
    /// Whether the panic was raised in this crate's own code: a bug of ours, not damage
    /// that redb (or a decoder under it) tripped over. Our files are named relative to the
    /// crate (`src/…`); those of dependencies by their absolute registry path.
    fn is_ours(&self) -> bool {
        self.location.starts_with("src/") || self.location.starts_with("src\\")
    }

    /// A bug of ours, said as such; `None` for damage.
    pub(crate) fn bug(&self) -> Option<String> {
        self.is_ours().then(|| {
            format!(
                "internal error at {}: {}; this is a bug in Secure Photo Gallery, please report it (the operation was cancelled and nothing was saved)",
                self.location, self.message
            )
        })
    }

    /// The error a storage operation reports for this panic.
    fn into_storage_error(self) -> StorageError {
        self.bug().map_or_else(damaged_structure, StorageError)
    }
}

thread_local! {
    /// How many [`catch_panic`]s this thread is inside: their panics are reported as
    /// errors, so the panic hook stays quiet for them and only records them here.
    static GUARDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static CAUGHT: std::cell::RefCell<Option<Panic>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, returning the panic if it panicked. Used around every use of the database,
/// so that a damaged vault is reported as damage, never as a crash; the panic message
/// that Rust would print is kept off the screen.
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, Panic> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(|g| g.get()) == 0 {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            CAUGHT.with(|c| *c.borrow_mut() = Some(Panic { location, message }));
        }));
    });
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|_| {
        CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or(Panic { location: String::new(), message: "panic".into() })
    })
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
        // The hook recorded nothing that a later, clean call could mistake for its own.
        assert!(CAUGHT.with(|c| c.borrow().is_none()));
        assert_eq!(guard::<u8, StorageError>(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_panic_inside_redb_is_reported_as_damage() {
        let panic = Panic {
            location:
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/redb-4.6.0/src/tree_store/btree_base.rs:120"
                    .into(),
            message: "range end index 9000 out of range for slice of length 4096".into(),
        };
        assert!(!panic.is_ours());
        assert!(panic.into_storage_error().0.starts_with("the vault file is damaged"));
    }
}
