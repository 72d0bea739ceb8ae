//! Secure Photo Gallery: a photo vault in one encrypted file, with a per-photo password
//! emailed to the owner.
//!
//! The parts, with dependencies running one way (see `docs/ARCHITECTURE.md`):
//! - [`crypto`]: keys, AEAD, the chunked STREAM cipher, KDFs, photo passwords, recovery key.
//! - [`vault`]: the redb file, accounts and photos; uses `crypto`.
//! - [`imaging`]: decoding, EXIF, thumbnails.
//! - [`mail`]: the password email: composing, sending (outbox or SMTP), parsing it back.
//! - [`import`]: files and folders into the vault, mail before commit; uses all of the above.
//! - [`cli`]: the command line for scripts.

pub mod cli;
pub mod crypto;
pub mod files;
pub mod imaging;
pub mod import;
pub mod mail;
pub mod vault;
