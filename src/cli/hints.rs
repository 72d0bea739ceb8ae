//! What to do next, in the command line's terms: the library's messages suit both front
//! ends, and the command line adds the flag, variable or command that helps here.

use spg_core::imaging::StripError;
use spg_core::mail::MailError;
use spg_core::vault::{PhotoError, StorageError};

/// The command-line advice for an error, found anywhere in its chain of sources.
pub(crate) fn hint(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut next = Some(error);
    while let Some(e) = next {
        let found = if let Some(mail) = e.downcast_ref::<MailError>() {
            match mail {
                MailError::Tls { .. } => Some("set SPG_SMTP_CA_FILE to the server's CA certificate (a PEM file)"),
                MailError::BadCa(_) => Some("SPG_SMTP_CA_FILE names the PEM file of the server's CA certificate"),
                _ => None,
            }
        } else if let Some(photo) = e.downcast_ref::<PhotoError>() {
            match photo {
                PhotoError::NotFound(_) => Some("run `list` to see the account's photo IDs"),
                PhotoError::Locked(_) | PhotoError::Damaged(_) => Some("run `verify` to check the vault's stored data"),
                _ => None,
            }
        } else if let Some(StorageError::DamagedRecord) = e.downcast_ref::<StorageError>() {
            Some("run `verify` to see which photos it concerns")
        } else if let Some(StripError::Unsupported(_)) = e.downcast_ref::<StripError>() {
            Some("export it without --strip-metadata")
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
        next = e.source();
    }
    None
}
