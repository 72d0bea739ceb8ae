//! The account's settings, as the app changes them: one change at a time, run on a worker
//! thread, each by its use case, and what it did said in one value for the screen.

use zeroize::Zeroizing;

use crate::service::{Account, MailOverrides, MailSetupError, PasswordChangeError};
use crate::vault::{Previews, RegisterError};

/// A change asked for in the settings, applied on a worker thread by its use case.
pub enum SettingsChange {
    /// Password emails go to the outbox beside the vault.
    UseOutbox,
    /// Password emails go through this SMTP server, from this address: without a code the
    /// server is checked and a code is sent to the account's address; with the code from
    /// that email the settings are saved.
    UseSmtp {
        /// The lettre-style URL, credentials included.
        url: Zeroizing<String>,
        /// The From address; the account's email when `None`.
        from: Option<String>,
        /// The code from the test email.
        code: Option<String>,
    },
    /// A test email through this server, from and to these addresses.
    SendTestEmail {
        /// The server's URL.
        url: Zeroizing<String>,
        /// The sender.
        from: String,
        /// The recipient.
        to: String,
    },
    /// The account's queued emails go out through its server, and are deleted once sent.
    SendOutbox,
    /// How locked photos look after login.
    SetPreviews(Previews),
    /// This copy of the vault is the one this computer knows (a backup restored on purpose).
    AcceptThisCopy,
    /// A new login password, once the current one is confirmed.
    ChangePassword {
        /// The current password.
        current: Zeroizing<String>,
        /// The new one.
        new: Zeroizing<String>,
    },
}

/// What a settings change did, for the screen to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsDone {
    /// Password emails go to the outbox from now on.
    UsingOutbox,
    /// Password emails go through this server (described: host, port, security, user).
    UsingSmtp(String),
    /// A code was sent to this address through this server (described): the settings are
    /// saved once it is typed back.
    CodeSent {
        /// Where the code went.
        to: String,
        /// The server, described.
        server: String,
    },
    /// The test email went out (where to, as the transport says it).
    TestEmailSent(String),
    /// This many queued emails were sent and deleted.
    OutboxSent(usize),
    /// The previews choice was saved.
    Previews(Previews),
    /// This copy of the vault is the one this computer knows now.
    AcceptedThisCopy,
    /// The login password changed.
    PasswordChanged,
}

/// Why a settings change did nothing (or, for sending the outbox, stopped part way).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The SMTP settings were refused (the server did not accept, or bad input).
    #[error(transparent)]
    MailSetup(#[from] MailSetupError),
    /// A mail could not be sent.
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// The account's settings could not be stored.
    #[error(transparent)]
    Account(#[from] RegisterError),
    /// The password was not changed.
    #[error(transparent)]
    Password(#[from] PasswordChangeError),
    /// Sending the outbox stopped at a refused email, after `sent` went out.
    #[error("sent {sent} email(s), then: {error}")]
    OutboxStopped {
        /// Emails sent (and deleted) before the failure.
        sent: usize,
        /// The failure; that email and the later ones stay queued.
        error: crate::mail::MailError,
    },
}

impl SettingsChange {
    /// Runs the change's use case.
    pub fn apply(self, account: &Account) -> Result<SettingsDone, SettingsError> {
        let none = MailOverrides::default();
        Ok(match self {
            SettingsChange::UseOutbox => {
                crate::service::use_outbox(account)?;
                SettingsDone::UsingOutbox
            }
            SettingsChange::UseSmtp { url, from, code } => {
                let ca = account.profile().smtp.and_then(|s| s.ca_pem);
                match crate::service::use_smtp(account, &url, from, ca, &none, code.as_deref())? {
                    crate::service::SmtpSetup::CodeSent { to, server } => SettingsDone::CodeSent { to, server },
                    crate::service::SmtpSetup::Done(config) => SettingsDone::UsingSmtp(config.describe()),
                }
            }
            SettingsChange::SendTestEmail { url, from, to } => {
                SettingsDone::TestEmailSent(crate::service::send_test_email(&url, &from, &to)?)
            }
            SettingsChange::SendOutbox => {
                let sent = crate::service::send_outbox(account, &none)?;
                let done = sent.iter().filter(|s| s.result.is_ok()).count();
                if let Some(error) = sent.into_iter().find_map(|s| s.result.err()) {
                    return Err(SettingsError::OutboxStopped { sent: done, error });
                }
                SettingsDone::OutboxSent(done)
            }
            SettingsChange::SetPreviews(previews) => {
                crate::service::set_previews(account, previews)?;
                SettingsDone::Previews(previews)
            }
            SettingsChange::AcceptThisCopy => {
                account.accept_this_copy();
                SettingsDone::AcceptedThisCopy
            }
            SettingsChange::ChangePassword { current, new } => {
                crate::service::change_password(account, &current, &new)?;
                SettingsDone::PasswordChanged
            }
        })
    }
}
