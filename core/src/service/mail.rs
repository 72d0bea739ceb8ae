//! Where an account's password emails go: its SMTP server, or its outbox folder beside the
//! vault; and the rules for changing that: an address is proven (a code sent there, typed
//! back) before passwords go to it, and only the program's own emails leave the outbox.

use crate::service::Account;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::mail::{MailError, MailRoute, MailTransport, Outbox, SmtpConfig};
use crate::vault::Session;

/// Mail settings that override the account's for one run (the command line reads them
/// from `SPG_SMTP_URL` and `SPG_SMTP_CA_FILE`; the app uses none).
#[derive(Clone, Default)]
pub struct MailOverrides {
    /// An SMTP URL to use instead of the stored setting (`SPG_SMTP_URL`).
    pub smtp_url: Option<Zeroizing<String>>,
    /// A PEM file of extra trusted roots, for a server with its own CA (`SPG_SMTP_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for MailOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailOverrides")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<set>"))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl MailOverrides {
    /// The SMTP configuration for `url`, with the extra roots given (`ca_pem`, kept with
    /// the account's settings) or named here.
    pub fn smtp_config(&self, url: &str, ca_pem: Option<&[u8]>) -> Result<SmtpConfig, MailError> {
        let config = SmtpConfig::parse(url)?;
        match (&self.ca_file, ca_pem) {
            (Some(path), _) => {
                let pem = std::fs::read(path).map_err(|e| MailError::BadCa(format!("{}: {e}", path.display())))?;
                Ok(config.with_extra_roots(pem))
            }
            (None, Some(pem)) => Ok(config.with_extra_roots(pem.to_vec())),
            (None, None) => Ok(config),
        }
    }
}

/// The account's outbox: its own folder beside the vault.
pub fn outbox(account: &Account) -> Outbox {
    let session = account.session();
    Outbox::new(session.outbox_dir())
}

/// Keeps the digest of an email just saved in the account's outbox (`delivered`), so that
/// it, and only what the program wrote, is sent from there once SMTP is set up.
pub fn keep_queued(account: &Account, delivered: &crate::mail::Delivered) -> Result<(), crate::vault::RegisterError> {
    let session = account.session();
    let crate::mail::Delivered::Saved { digest, .. } = delivered else { return Ok(()) };
    let mut profile = session.profile();
    // The emails the owner read and deleted from the folder are forgotten. The files are
    // read only when some may be gone (the list, with this email, is longer than the
    // folder): an outbox kept whole holds a megabyte an email of 10,000 photos.
    let outbox = outbox(account);
    if profile.outbox.len() + 1 > outbox.count() {
        let present = outbox.digests();
        profile.outbox.retain(|d| present.contains(d));
    }
    profile.outbox.push(*digest);
    session.set_profile(profile)
}

/// The mail route for the session's account: its SMTP server when one is set (or given
/// in `overrides`), else its outbox folder.
pub fn mail_route(account: &Account, overrides: &MailOverrides) -> Result<MailRoute, MailError> {
    let session = account.session();
    let profile = session.profile();
    let from_addr = profile.smtp.as_ref().and_then(|s| s.from.clone()).unwrap_or_else(|| profile.email.clone());
    let from = format!("Secure Photo Gallery <{from_addr}>");
    let stored = profile.smtp.as_ref();
    let url = overrides.smtp_url.as_deref().map(String::as_str).or(stored.map(|s| s.url.expose()));
    let transport = match url {
        Some(url) => MailTransport::Smtp(overrides.smtp_config(url, stored.and_then(|s| s.ca_pem.as_deref()))?),
        None => MailTransport::Outbox(outbox(account)),
    };
    Ok(MailRoute { transport, from })
}

/// Sends a test email through the SMTP server at `url` (trusting `ca_pem`'s roots beside the
/// system's), from `from` to `to`; says where it went, as the server accepted it.
pub fn send_test_email(url: &str, ca_pem: Option<&[u8]>, from: &str, to: &str) -> Result<String, MailError> {
    let config = MailOverrides::default().smtp_config(url, ca_pem)?;
    Ok(MailTransport::Smtp(config).send_test(from, to)?.to_string())
}

/// The certificate the SMTP server at `url` presents, fetched without trusting it, for a
/// person to trust it after comparing its fingerprint (kept then as `ca_pem`, as a chosen
/// authority file is).
pub fn server_certificate(url: &str) -> Result<crate::mail::ServerCertificate, MailError> {
    crate::mail::server_certificate(&crate::mail::SmtpConfig::parse(url)?)
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
    /// The code typed is not the one sent (or it was sent more than a day ago).
    #[error("that is not the code in the test email (codes are valid for a day); check it, or send a new one")]
    WrongCode,
    /// Nothing is written to the account while a rollback or fork warning stands.
    #[error(transparent)]
    ReadOnly(#[from] crate::vault::StorageError),
}

/// What a step of setting up SMTP did.
#[derive(Debug)]
pub enum SmtpSetup {
    /// The server accepted the login and a test email with a code went to the account's
    /// address: the settings take effect once the code is typed back.
    CodeSent {
        /// Where the code went.
        to: String,
        /// The server, described.
        server: String,
    },
    /// The code was right: password emails go through this server from now on.
    Done(SmtpConfig),
}

/// The code that proves `email` receives mail sent with `settings` (the SMTP URL and From,
/// or nothing for an address alone): eight symbols, the same for a day (UTC) and made with
/// the account's current key, so that nothing need be kept between sending it and typing
/// it back, and nobody without the login can make one.
fn address_code(session: &Session, email: &str, settings: &str, day: i64) -> String {
    session.address_code(&[day.to_be_bytes().as_slice(), email.as_bytes(), &[0], settings.as_bytes()].concat())
}

/// Whether `typed` is the code of today or yesterday for `email` and `settings`.
fn code_matches(session: &Session, email: &str, settings: &str, typed: &str) -> bool {
    let today = time::OffsetDateTime::now_utc().unix_timestamp().div_euclid(86_400);
    // Read as an ID is: any case, dashes and spaces left out, `I`/`L` as `1` and `O` as `0`.
    let typed: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect();
    [today, today - 1].iter().any(|&day| address_code(session, email, settings, day) == typed)
}

/// The code sent for `email` and `settings` now.
fn code_now(session: &Session, email: &str, settings: &str) -> String {
    address_code(session, email, settings, time::OffsetDateTime::now_utc().unix_timestamp().div_euclid(86_400))
}

/// Sends the account's password emails through the SMTP server at `url` from now on (from
/// `from`, else the account's email), in two steps. Without `code`: the server is checked
/// (connect, TLS, login) and a test email with a code goes to the account's address
/// ([`SmtpSetup::CodeSent`]); nothing is stored. With the `code` from that email: the
/// settings are stored ([`SmtpSetup::Done`]). A typo in the address can then never send
/// photo passwords to a stranger. `ca_pem` is kept with the settings: trusted roots for a
/// server with a certificate of its own.
pub fn use_smtp(
    account: &Account,
    url: &str,
    from: Option<String>,
    ca_pem: Option<Vec<u8>>,
    overrides: &MailOverrides,
    code: Option<&str>,
) -> Result<SmtpSetup, MailSetupError> {
    let session = account.session();
    session.writable()?;
    if let Some(from) = &from {
        crate::vault::validate_email(from)?;
    }
    let config = overrides.smtp_config(url, ca_pem.as_deref())?;
    let email = session.profile().email;
    // The code proves these settings, the trusted authority included.
    let authority = ca_pem.as_deref().map(|pem| blake3::hash(pem).to_hex().to_string()).unwrap_or_default();
    let settings = format!("{url}\0{}\0{authority}", from.as_deref().unwrap_or_default());
    let Some(code) = code else {
        config.check()?;
        let from_addr = from.clone().unwrap_or_else(|| email.clone());
        let code = code_now(session, &email, &settings);
        let test = MailTransport::Smtp(config.clone());
        test.send_code(&format!("Secure Photo Gallery <{from_addr}>"), &email, &code)?;
        return Ok(SmtpSetup::CodeSent { to: email, server: config.describe() });
    };
    if !code_matches(session, &email, &settings, code) {
        return Err(MailSetupError::WrongCode);
    }
    let mut profile = session.profile();
    profile.smtp = Some(crate::vault::SmtpSettings { url: url.into(), from, ca_pem });
    session.set_profile(profile)?;
    Ok(SmtpSetup::Done(config))
}

/// Changes the account's email address to `email`, in two steps as [`use_smtp`]: while
/// password emails go through an SMTP server, a code goes to the new address first, and
/// the change takes effect once it is typed back (`code`). With the outbox nothing is sent
/// anywhere, and the address changes at once. `Ok(Some(to))` when a code was sent.
pub fn change_email(
    account: &Account,
    email: &str,
    overrides: &MailOverrides,
    code: Option<&str>,
) -> Result<Option<String>, MailSetupError> {
    let session = account.session();
    session.writable()?;
    crate::vault::validate_email(email)?;
    let route = mail_route(account, overrides)?;
    if let MailTransport::Smtp(_) = &route.transport {
        match code {
            None => {
                route.transport.send_code(&route.from, email, &code_now(session, email, ""))?;
                return Ok(Some(email.to_string()));
            }
            Some(code) if !code_matches(session, email, "", code) => return Err(MailSetupError::WrongCode),
            Some(_) => {}
        }
    }
    let mut profile = session.profile();
    profile.email = email.to_string();
    session.set_profile(profile)?;
    Ok(None)
}

/// Saves the account's password emails in its outbox folder from now on.
pub fn use_outbox(account: &Account) -> Result<(), crate::vault::RegisterError> {
    let session = account.session();
    let mut profile = session.profile();
    profile.smtp = None;
    session.set_profile(profile)
}

/// The files waiting in the account's outbox folder.
pub fn queued_emails(account: &Account) -> usize {
    let _session = account.session();
    outbox(account).count()
}

/// Sends the account's queued password emails through its SMTP server, oldest first, and
/// deletes each one the server accepted (see [`Outbox::send_queued`]): only those the
/// program wrote for this account (the profile keeps their digests), to its own address.
/// Each one sent is forgotten: put back, it is not sent again.
pub fn send_outbox(account: &Account, overrides: &MailOverrides) -> Result<Vec<crate::mail::Sent>, MailSetupError> {
    let session = account.session();
    session.writable()?;
    let route = mail_route(account, overrides)?;
    let MailTransport::Smtp(smtp) = &route.transport else { return Err(MailSetupError::NoServer) };
    let profile = session.profile();
    let sent = outbox(account).send_queued(&profile.outbox, &route.from, &profile.email, smtp);
    let gone: Vec<[u8; 32]> = sent.iter().filter_map(|s| s.result.as_ref().ok().copied()).collect();
    if !gone.is_empty() {
        let mut profile = session.profile();
        profile.outbox.retain(|d| !gone.contains(d));
        session.set_profile(profile)?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Delivered;

    #[test]
    fn the_account_keeps_the_digests_of_the_emails_still_in_its_outbox() {
        let (_dir, session, ..) = crate::vault::tests_support::one_photo(crate::vault::Previews::Sharp);
        let account = Account::new(session);
        let session = account.session();
        let outbox = outbox(&account);
        let keep = |text: &[u8]| {
            let (path, digest) = outbox.save("alice - 1 photo", text).unwrap();
            keep_queued(&account, &Delivered::Saved { path: path.clone(), digest }).unwrap();
            (path, digest)
        };
        let saved: Vec<_> = [b"one".as_slice(), b"two", b"three"].into_iter().map(keep).collect();
        assert_eq!(session.profile().outbox, saved.iter().map(|s| s.1).collect::<Vec<_>>());
        // The owner read the first email and deleted it: the next one saved forgets it.
        std::fs::remove_file(&saved[0].0).unwrap();
        let (_, fourth) = keep(b"four");
        assert_eq!(session.profile().outbox, vec![saved[1].1, saved[2].1, fourth]);
    }
}
