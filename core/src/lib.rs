//! Secure Photo Gallery's core: a photo vault in one encrypted file, with a per-photo
//! password emailed to the owner, without any window. The desktop app and the command
//! line (the `secure-photo-gallery` crate) are built on it.
//!
//! The parts, with dependencies running one way (see `docs/ARCHITECTURE.md`):
//! - `platform`: owner-only files written atomically, and panics caught (used by all).
//! - [`crypto`]: keys, AEAD, the chunked STREAM cipher, KDFs, photo passwords, recovery key.
//! - [`vault`]: the redb file, accounts and photos; uses `crypto`.
//! - [`imaging`]: decoding, EXIF, thumbnails.
//! - [`mail`]: the password email: composing, sending (outbox or SMTP), parsing it back.
//! - [`remote`]: S3-compatible object storage, where sealed backups go.
//! - [`service`]: the use cases that compose the layers, for both front ends: import
//!   (files and folders into the vault, mail before commit), export (one photo out,
//!   atomically), the account's mail, previews, password changes, backups; and the worker
//!   pool (`service::parallel`) import and export run on.

pub mod crypto;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod imaging;
pub mod mail;
pub(crate) mod platform;
pub mod remote;
pub mod service;
pub mod vault;

pub use platform::files::write_private;
pub use platform::{give_back_memory, harden_process};
