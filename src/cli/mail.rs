//! `mail`: where an account's password emails go (an SMTP server, or the outbox).

use std::process::ExitCode;

use anyhow::Context as _;

use crate::import::MailOverrides;
use crate::vault::{SmtpSettings, Vault};

use super::account::login;
use super::secrets::secret;

pub fn mail(vault: &Vault, user: &str, smtp_url: Option<&str>, from: Option<&str>) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let mut profile = session.profile();
    let Some(url_text) = smtp_url else {
        profile.smtp = None;
        session.set_profile(profile)?;
        println!(
            "Password emails for {} now go to the outbox folder {}",
            session.username(),
            vault.outbox_dir().display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(from) = from {
        crate::vault::validate_email(from)?;
    }
    // A URL with a user but no password gets it from SPG_SMTP_PASSWORD or a prompt, so
    // the password need not appear in the process list.
    let mut url =
        url::Url::parse(url_text).context("the SMTP URL does not parse; use smtp://USER@HOST:PORT?tls=required")?;
    if !url.username().is_empty() && url.password().is_none() {
        let password = secret("SPG_SMTP_PASSWORD", &format!("SMTP password for {}: ", url.username()))?;
        url.set_password(Some(&password)).ok().context("this SMTP URL cannot carry a password")?;
    }
    let url = zeroize::Zeroizing::new(url.to_string());
    let config = MailOverrides::from_env().smtp_config(&url)?;
    config.check()?;
    profile.smtp = Some(SmtpSettings { url: url.to_string(), from: from.map(str::to_string) });
    session.set_profile(profile)?;
    println!(
        "Password emails for {} now go through {}; the server accepted the login",
        session.username(),
        config.describe()
    );
    Ok(ExitCode::SUCCESS)
}
