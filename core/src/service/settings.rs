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
        /// Trusted roots beside the system's, for a server with a certificate of its own
        /// (PEM, kept sealed with the settings); `None`: the system's alone.
        ca_pem: Option<Vec<u8>>,
        /// The code from the test email.
        code: Option<String>,
    },
    /// A test email through this server, from and to these addresses.
    SendTestEmail {
        /// The server's URL.
        url: Zeroizing<String>,
        /// Trusted roots beside the system's (PEM).
        ca_pem: Option<Vec<u8>>,
        /// The sender.
        from: String,
        /// The recipient.
        to: String,
    },
    /// The certificate this server presents, to be looked at before it is trusted.
    LookAtCertificate {
        /// The server's URL.
        url: Zeroizing<String>,
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
    /// The certificate a server presents (not trusted yet).
    Certificate(crate::mail::ServerCertificate),
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
            SettingsChange::UseSmtp { url, from, ca_pem, code } => {
                match crate::service::use_smtp(account, &url, from, ca_pem, &none, code.as_deref())? {
                    crate::service::SmtpSetup::CodeSent { to, server } => SettingsDone::CodeSent { to, server },
                    crate::service::SmtpSetup::Done(config) => SettingsDone::UsingSmtp(config.describe()),
                }
            }
            SettingsChange::SendTestEmail { url, ca_pem, from, to } => {
                SettingsDone::TestEmailSent(crate::service::send_test_email(&url, ca_pem.as_deref(), &from, &to)?)
            }
            SettingsChange::LookAtCertificate { url } => {
                SettingsDone::Certificate(crate::service::server_certificate(&url)?)
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

/// An account's settings as the screens show them: no stored secret, only whether one is
/// kept (a form offers a field to replace it).
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Where photo passwords are mailed.
    pub email: String,
    /// How locked photos look after login.
    pub previews: Previews,
    /// The SMTP server, when emails go through one (else they wait in the outbox).
    pub smtp: Option<MailServer>,
    /// Where backups go, when set.
    pub backup: Option<BackupPlace>,
}

/// The SMTP server of an account, without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailServer {
    /// STARTTLS, TLS, or none (a relay on this computer).
    pub security: crate::mail::Security,
    /// The server's name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The user it logs in as (empty: none).
    pub user: String,
    /// The sender; the account's email when `None`.
    pub from: Option<String>,
    /// Trusted roots kept beside the system's, for a server with a certificate of its own
    /// (PEM: certificates, nothing secret).
    pub ca_pem: Option<Vec<u8>>,
}

/// Where an account's backups go, without the secret key (which is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPlace {
    /// The server.
    pub endpoint: String,
    /// The region.
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// The folder in the bucket.
    pub prefix: String,
    /// The access key ID.
    pub access_key: String,
    /// When the last backup there finished (Unix seconds; 0 for never).
    pub last_at: i64,
}

impl BackupPlace {
    /// `s3://BUCKET/FOLDER`, as a user types it.
    pub fn address(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl AccountSettings {
    /// What the screens may see of `profile`.
    pub(crate) fn of(profile: &crate::vault::Profile) -> AccountSettings {
        let smtp = profile.smtp.as_ref().and_then(|s| {
            let (security, host, port, user) = crate::mail::SmtpConfig::parse(s.url.expose()).ok()?.parts();
            Some(MailServer { security, host, port, user, from: s.from.clone(), ca_pem: s.ca_pem.clone() })
        });
        let backup = profile.backup.as_ref().map(|b| BackupPlace {
            endpoint: b.place.endpoint.clone(),
            region: b.place.region.clone(),
            bucket: b.place.bucket.clone(),
            prefix: b.place.prefix.clone(),
            access_key: b.place.access_key.clone(),
            last_at: b.last_at,
        });
        AccountSettings { email: profile.email.clone(), previews: profile.previews, smtp, backup }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Secret;

    /// Every type that holds a login password, an SMTP password, an S3 secret key, a photo
    /// password or the recovery words, formatted with `{:?}`: none of them prints it.
    #[test]
    fn no_secret_is_in_any_debug_output() {
        const S: &str = "S3CRET-Text-9";
        let url = format!("smtp://mailer:{S}@mail.example.com:587?tls=required");
        let backup = crate::vault::BackupSettings {
            place: crate::remote::Location {
                endpoint: "https://s3.example.com".into(),
                region: "eu".into(),
                bucket: "b".into(),
                prefix: "p".into(),
                access_key: "AKIA".into(),
                secret_key: S.into(),
            },
            last_at: 1,
            snapshot: [0; 32],
        };
        let smtp = crate::vault::SmtpSettings { url: url.as_str().into(), from: None, ca_pem: None };
        let profile = crate::vault::Profile {
            email: "a@example.com".into(),
            smtp: Some(smtp.clone()),
            backup: Some(backup.clone()),
            ..Default::default()
        };
        let location = crate::remote::Location {
            endpoint: "https://s3.example.com".into(),
            region: "eu".into(),
            bucket: "b".into(),
            prefix: "p".into(),
            access_key: "AKIA".into(),
            secret_key: Secret::from(S),
        };
        let given = crate::service::backup::LocationGiven { secret_key: Some(S), ..Default::default() };
        let overrides = crate::service::MailOverrides { smtp_url: Some(Zeroizing::new(url.clone())), ca_file: None };
        let config = crate::mail::SmtpConfig::parse(&url).unwrap();
        let entry = crate::mail::PasswordEntry { id: "1".into(), name: "x".into(), password: Zeroizing::new(S.into()) };
        let words = crate::crypto::RecoveryKey::generate();
        let photo = crate::crypto::PhotoPassword::generate();
        let printed = [
            format!("{:?}", Secret::from(S)),
            format!("{backup:?}"),
            format!("{:?}", smtp.url),
            format!("{profile:?}"),
            format!("{:?}", AccountSettings::of(&profile)),
            format!("{location:?}"),
            format!("{given:?}"),
            format!("{overrides:?}"),
            format!("{config:?}"),
            format!("{entry:?}"),
            format!("{:?}", Zeroizing::new(String::from(S))),
        ];
        for text in &printed {
            assert!(!text.contains(S), "{text}");
        }
        let (words_text, photo_text) = (words.to_words(), photo.display());
        assert!(!format!("{words:?}").contains(words_text.split(' ').next().unwrap()));
        assert!(!format!("{photo:?}").contains(&photo_text[..5]));
    }
}
