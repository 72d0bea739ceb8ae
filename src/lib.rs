//! Secure Photo Gallery: a photo vault in one encrypted file, with a per-photo password
//! emailed to the owner.
//!
//! The parts, with dependencies running one way (see `docs/ARCHITECTURE.md`):
//! - [`crypto`]: keys, AEAD, the chunked STREAM cipher, KDFs, photo passwords, recovery key.
//! - [`vault`]: the redb file, accounts and photos; uses `crypto`.
//! - [`imaging`]: decoding, EXIF, thumbnails.
//! - [`mail`]: the password email: composing, sending (outbox or SMTP), parsing it back.
//! - [`import`]: files and folders into the vault, mail before commit; uses all of the above.
//! - [`export`]: one photo out of the vault, atomically (original, stripped or thumbnail).
//! - [`parallel`]: the worker pool that import and export run on.
//! - [`service`]: use cases that compose the layers, for both front ends (previews so far).
//! - [`jobs`]: the desktop app's worker threads (login, list, thumbnails, import, export…).
//! - [`ui`]: the desktop app (eframe/egui).
//! - [`cli`]: the command line for scripts.

pub mod cli;
pub mod crypto;
pub mod export;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod imaging;
pub mod import;
#[cfg(feature = "desktop")]
pub mod jobs;
pub mod mail;
mod panic_guard;
pub mod parallel;
pub mod service;
#[cfg(feature = "desktop")]
pub mod ui;
pub mod vault;
