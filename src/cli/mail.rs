//! `mail`: where an account's password emails go (an SMTP server, or the outbox).

use std::process::ExitCode;

use anyhow::Context as _;

use spg_core::service::{MailOverrides, SmtpSetup};
use spg_core::vault::Vault;

use super::account::login;
use super::secrets::secret;

pub(super) fn mail(
    vault: &Vault,
    user: &str,
    smtp_url: Option<&str>,
    from: Option<&str>,
    code: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let Some(url_text) = smtp_url else {
        spg_core::service::use_outbox(&session)?;
        say!(
            "Password emails for {} now go to the outbox folder {}",
            session.username(),
            session.outbox_dir().display()
        );
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
    // A CA file given for the server is kept with the settings, sealed.
    let overrides = overrides_from_env();
    let ca_pem = match &overrides.ca_file {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("cannot read the CA file {}", path.display()))?),
        None => None,
    };
    let from = from.map(str::to_string);
    let mut code = code.map(str::to_string);
    let config = loop {
        match spg_core::service::use_smtp(&session, &url, from.clone(), ca_pem.clone(), &overrides, code.as_deref())? {
            SmtpSetup::Done(config) => break config,
            SmtpSetup::CodeSent { to, server } => {
                say!("The server accepted the login; a code was sent to {to} through {server}");
                match ask_code(&to)? {
                    Some(typed) => code = Some(typed),
                    None => {
                        say!(
                            "Nothing is saved yet: run the same command again with --code CODE (the code from that email) to send password emails through this server"
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        }
    };
    say!(
        "Password emails for {} now go through {}; the server accepted the login",
        session.username(),
        config.describe()
    );
    let waiting = spg_core::service::queued_emails(&session);
    if waiting > 0 {
        say!(
            "{waiting} password email(s) of {user} wait in the outbox beside the vault; send them (and delete them from disk) with `mail --user {user} --send-outbox`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The code of the test email, asked for on a terminal; `None` without one.
fn ask_code(to: &str) -> anyhow::Result<Option<String>> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(None);
    }
    eprint!("Code from the email sent to {to}: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the code")?;
    Ok(Some(line.trim().to_string()).filter(|c| !c.is_empty()))
}

/// `mail --email ADDR`: the account's email address changes; while emails go through SMTP,
/// only once the code sent to the new address is given.
pub(super) fn change_email(vault: &Vault, user: &str, email: &str, code: Option<&str>) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let overrides = overrides_from_env();
    let mut code = code.map(str::to_string);
    loop {
        match spg_core::service::change_email(&session, email, &overrides, code.as_deref())? {
            None => {
                say!("The email address of {user} is now {email}");
                return Ok(ExitCode::SUCCESS);
            }
            Some(to) => {
                say!("A code was sent to {to}");
                match ask_code(&to)? {
                    Some(typed) => code = Some(typed),
                    None => {
                        say!(
                            "Nothing is changed yet: run the same command again with --code CODE (the code from that email)"
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        }
    }
}

/// `mail --send-outbox`: the account's queued emails go out through its SMTP server; each
/// one the server accepted is deleted from the outbox.
pub(super) fn send_outbox(vault: &Vault, user: &str) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let sent = match spg_core::service::send_outbox(&session, &overrides_from_env()) {
        Err(spg_core::service::MailSetupError::NoServer) => anyhow::bail!(
            "no SMTP server is set up for {user}, so the outbox cannot be sent; set one up with `mail --user {user} --smtp-url URL` first"
        ),
        other => other?,
    };
    let mut failed = false;
    for item in &sent {
        match &item.result {
            Ok(_) => say!("sent {}", item.path.display()),
            Err(e @ spg_core::mail::MailError::NotOurs) => {
                eprintln!("not sent {}: {e}", item.path.display());
                failed = true;
            }
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
