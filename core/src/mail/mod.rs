//! The password email: composing it, delivering it (a local outbox folder, or SMTP),
//! and reading its `Photo ID (NAME): PASSWORD` lines back from a saved or pasted copy.
//!
//! Knows nothing about the vault; the importer hands it plain entries.

mod message;
mod outbox;
mod parse;
mod transport;

pub use message::{PasswordEmail, PasswordEntry};
pub use outbox::{Outbox, Sent, digest};
pub use parse::parse_passwords;
pub use transport::{Delivered, MailError, MailRoute, MailTransport, SMTP_TIMEOUT, Security, SmtpConfig};
