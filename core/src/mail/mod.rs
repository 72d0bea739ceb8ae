//! The password email: composing it, delivering it (a local outbox folder, or SMTP),
//! and reading its `Photo ID (NAME): PASSWORD` lines back from a saved or pasted copy.
//!
//! Knows nothing about the vault; the importer hands it plain entries.

mod certificate;
mod message;
mod outbox;
mod parse;
mod transport;

pub use certificate::{ServerCertificate, server_certificate};
pub(crate) use message::{PasswordEmail, PasswordEntry};
pub(crate) use outbox::Outbox;
pub use outbox::Sent;
pub(crate) use parse::parse_passwords;
pub use transport::{Delivered, MailError, Security, SmtpConfig};
pub(crate) use transport::{MailRoute, MailTransport};
