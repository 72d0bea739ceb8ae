//! Secure Photo Gallery: a photo vault in one encrypted file, with a per-photo password
//! emailed to the owner.
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
//!   atomically), the account's mail, previews, password changes; and the worker pool
//!   (`service::parallel`) import and export run on.
//! - [`jobs`]: the desktop app's worker threads (login, list, thumbnails, import, export…).
//! - [`ui`]: the desktop app (eframe/egui).
//!
//! The command line for scripts (`src/cli/`) is part of the binary, not of the library.

pub mod crypto;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod imaging;
#[cfg(feature = "desktop")]
pub mod jobs;
pub mod mail;
mod platform;
pub mod remote;
pub mod service;
#[cfg(feature = "desktop")]
pub mod ui;
pub mod vault;
