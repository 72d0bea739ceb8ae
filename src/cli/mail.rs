//! `mail`: where an account's password emails go (an SMTP server, or the outbox).

use std::process::ExitCode;

use anyhow::Context as _;

use secure_photo_gallery::service::MailOverrides;
use secure_photo_gallery::vault::Vault;

use super::account::login;
use super::secrets::secret;

pub(super) fn mail(vault: &Vault, user: &str, smtp_url: Option<&str>, from: Option<&str>) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let Some(url_text) = smtp_url else {
        secure_photo_gallery::service::use_outbox(&session)?;
        say!("Password emails for {} now go to the outbox folder {}", session.username(), vault.outbox_dir().display());
        return Ok(ExitCode::SUCCESS);
    };
    // A URL with a user but no password gets it from SPG_SMTP_PASSWORD or a prompt, so
    // the password need not appear in the process list.
    let mut url =
        url::Url::parse(url_text).context("the SMTP URL does not parse; use smtp://USER@HOST:PORT?tls=required")?;
    if !url.username().is_empty() && url.password().is_none() {
        let password = secret("SPG_SMTP_PASSWORD", &format!("SMTP password for {}: ", url.username()))?;
        url.set_password(Some(&password)).ok().context("this SMTP URL cannot carry a password")?;
    }
    let url = zeroize::Zeroizing::new(url.to_string());
    let config =
        secure_photo_gallery::service::use_smtp(&session, &url, from.map(str::to_string), &overrides_from_env())?;
    say!(
        "Password emails for {} now go through {}; the server accepted the login",
        session.username(),
        config.describe()
    );
    let waiting = secure_photo_gallery::service::queued_emails(&session);
    if waiting > 0 {
        say!(
            "{waiting} password email(s) of {user} wait in the outbox beside the vault; send them (and delete them from disk) with `mail --user {user} --send-outbox`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `mail --send-outbox`: the account's queued emails go out through its SMTP server; each
/// one the server accepted is deleted from the outbox.
pub(super) fn send_outbox(vault: &Vault, user: &str) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let sent = match secure_photo_gallery::service::send_outbox(&session, &overrides_from_env()) {
        Err(secure_photo_gallery::service::MailSetupError::NoServer) => anyhow::bail!(
            "no SMTP server is set up for {user}, so the outbox cannot be sent; set one up with `mail --user {user} --smtp-url URL` first"
        ),
        other => other?,
    };
    let mut failed = false;
    for item in &sent {
        match &item.result {
            Ok(()) => say!("sent {}", item.path.display()),
            Err(e) => {
                eprintln!("not sent {}: {e}; it stays in the outbox, try again later", item.path.display());
                failed = true;
            }
        }
    }
    if sent.is_empty() {
        say!("the outbox holds no email of {user}");
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `SPG_SMTP_URL` and `SPG_SMTP_CA_FILE`: the command line's overrides of an account's mail
/// settings for one run. The app reads no environment variable.
pub(super) fn overrides_from_env() -> MailOverrides {
    MailOverrides {
        smtp_url: std::env::var("SPG_SMTP_URL").ok().filter(|s| !s.is_empty()).map(zeroize::Zeroizing::new),
        ca_file: std::env::var_os("SPG_SMTP_CA_FILE").filter(|s| !s.is_empty()).map(std::path::PathBuf::from),
    }
}
