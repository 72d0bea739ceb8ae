//! Where an account's password emails go: its SMTP server, or the outbox beside the vault.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::mail::{MailError, MailTransport, SmtpConfig};
use crate::vault::Session;

/// Where an account's password emails go, and from which address.
#[derive(Debug, Clone)]
pub struct MailRoute {
    /// The transport.
    pub transport: MailTransport,
    /// The From address.
    pub from: String,
}

impl MailRoute {
    /// Whether mail goes to the local outbox rather than a server.
    pub fn is_outbox(&self) -> bool {
        matches!(self.transport, MailTransport::Outbox(_))
    }
}

/// Mail settings that override the account's for one run (the command line reads them
/// from `SPG_SMTP_URL` and `SPG_SMTP_CA_FILE`; the app uses none).
#[derive(Debug, Clone, Default)]
pub struct MailOverrides {
    /// An SMTP URL to use instead of the stored setting (`SPG_SMTP_URL`).
    pub smtp_url: Option<Zeroizing<String>>,
    /// A PEM file of extra trusted roots, for a server with its own CA (`SPG_SMTP_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl MailOverrides {
    /// The SMTP configuration for `url`, with the extra roots if any.
    pub fn smtp_config(&self, url: &str) -> Result<SmtpConfig, MailError> {
        let config = SmtpConfig::parse(url)?;
        match &self.ca_file {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| MailError::BadCa(format!("{}: {e}", path.display())))?;
                Ok(config.with_extra_roots(pem))
            }
            None => Ok(config),
        }
    }
}

/// The mail route for the session's account: its SMTP server when one is set (or given
/// in `overrides`), else the local outbox beside the vault.
pub fn mail_route(session: &Session, overrides: &MailOverrides) -> Result<MailRoute, MailError> {
    let profile = session.profile();
    let from_addr = profile.smtp.as_ref().and_then(|s| s.from.clone()).unwrap_or_else(|| profile.email.clone());
    let from = format!("Secure Photo Gallery <{from_addr}>");
    let url = overrides.smtp_url.as_deref().map(String::as_str).or(profile.smtp.as_ref().map(|s| s.url.as_str()));
    let transport = match url {
        Some(url) => MailTransport::Smtp(overrides.smtp_config(url)?),
        None => MailTransport::Outbox(session.vault().outbox_dir()),
    };
    Ok(MailRoute { transport, from })
}
