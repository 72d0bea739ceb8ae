//! Where an account's password emails go: its SMTP server, or the outbox beside the vault.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::mail::{MailError, MailRoute, MailTransport, SmtpConfig};
use crate::vault::Session;

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

/// Setting up an account's mail failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailSetupError {
    /// The server, the address or the URL was refused.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The settings could not be stored.
    #[error(transparent)]
    Account(#[from] crate::vault::RegisterError),
    /// The account has no SMTP server to send through.
    #[error("no SMTP server is set up for this account, so the outbox cannot be sent; set one up first")]
    NoServer,
}

/// Sends the account's password emails through the SMTP server at `url` from now on (from
/// `from`, else the account's email): the server is checked first (connect, TLS, login),
/// and nothing is stored unless it accepted. Returns the configuration, for a message.
pub fn use_smtp(
    session: &Session,
    url: &str,
    from: Option<String>,
    overrides: &MailOverrides,
) -> Result<SmtpConfig, MailSetupError> {
    if let Some(from) = &from {
        crate::vault::validate_email(from)?;
    }
    let config = overrides.smtp_config(url)?;
    config.check()?;
    let mut profile = session.profile();
    profile.smtp = Some(crate::vault::SmtpSettings { url: url.to_string(), from });
    session.set_profile(profile)?;
    Ok(config)
}

/// Saves the account's password emails in the outbox beside the vault from now on.
pub fn use_outbox(session: &Session) -> Result<(), crate::vault::RegisterError> {
    let mut profile = session.profile();
    profile.smtp = None;
    session.set_profile(profile)
}

/// The account's password emails waiting in the outbox beside the vault.
pub fn queued_emails(session: &Session) -> usize {
    crate::mail::queued(&session.vault().outbox_dir(), session.username()).len()
}

/// Sends the account's queued password emails through its SMTP server, oldest first, and
/// deletes each one the server accepted (see [`crate::mail::send_queued`]).
pub fn send_outbox(session: &Session, overrides: &MailOverrides) -> Result<Vec<crate::mail::Sent>, MailSetupError> {
    let route = mail_route(session, overrides)?;
    let MailTransport::Smtp(smtp) = &route.transport else { return Err(MailSetupError::NoServer) };
    Ok(crate::mail::send_queued(&session.vault().outbox_dir(), session.username(), smtp))
}
