//! Delivering the password email: the one seam between the importer and lettre.

use std::path::PathBuf;

use lettre::{FileTransport, Transport};

use super::PasswordEmail;

/// Name of the outbox folder beside the vault file.
pub const OUTBOX_DIR_NAME: &str = "outbox";

/// Where password emails go.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Written as `.eml` files into this folder (no SMTP server configured).
    Outbox(PathBuf),
}

/// Delivery failed; the import that wanted it stores nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// An address does not parse.
    #[error("'{0}' is not a valid email address; fix it in the account's mail settings")]
    BadAddress(String),
    /// The message could not be built.
    #[error("the password email could not be composed: {0}")]
    Compose(String),
    /// The outbox folder could not be written.
    #[error("cannot write the password email to the outbox {dir}: {reason}; check that the folder is writable and the disk is not full")]
    Outbox {
        /// The outbox folder.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
}

impl MailTransport {
    /// Sends `email`, returning a short description of where it went.
    pub fn send(&self, email: &PasswordEmail) -> Result<String, MailError> {
        let message = email.to_message()?;
        match self {
            MailTransport::Outbox(dir) => {
                let fail = |reason: String| MailError::Outbox { dir: dir.clone(), reason };
                crate::files::create_private_dir(dir).map_err(|e| fail(e.to_string()))?;
                let id = FileTransport::new(dir).send(&message).map_err(|e| fail(e.to_string()))?;
                let file = dir.join(format!("{id}.eml"));
                crate::files::restrict_to_owner(&file).map_err(|e| fail(e.to_string()))?;
                Ok(format!("saved to the outbox: {}", file.display()))
            }
        }
    }
}
