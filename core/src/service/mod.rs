//! The use cases that compose the lower layers (`vault`, `imaging`, `mail`) into what the
//! app and the command line do, each rule in one place. Both front ends call these rather
//! than composing the layers themselves.
//!
//! - `albums`: an account's albums, by name;
//! - `account`: registration, password change and recovery, reading password emails and
//!   unlocking photos with them;
//! - `import`, `export`, `view`: files in and out, and a photo opened for the screen;
//! - `mail`: where an account's mail goes (SMTP or the outbox) and changing it;
//! - `backup`: backups on S3-compatible storage, and restores;
//! - `settings`: the settings screen's changes, one use case each;
//! - `previews`: how locked photos look;
//! - `handle`: the [`Account`] handle both front ends hold; `open`: opening the vault;
//!   `leftovers`: what a crash left behind; `parallel`: the one worker pool.

mod account;
mod albums;
pub mod backup;
pub mod export;
mod handle;
pub mod import;
mod leftovers;
mod mail;
mod open;
pub mod parallel;
mod previews;
pub mod settings;
pub mod view;

pub use account::{
    PasswordChangeError, RecoverError, Registration, Unlock, UnlockFailure, Unlocked, change_password, check_passwords,
    passwords_in_file, photo_of_password, photo_passwords, recover, register, set_password, unlock_from_files,
};
pub use albums::{AlbumSummary, album_summaries};
pub use handle::Account;
pub use mail::{
    MailOverrides, MailSetupError, SmtpSetup, change_email, keep_queued, mail_route, outbox, queued_emails,
    send_outbox, send_test_email, server_certificate, use_outbox, use_smtp,
};
pub use open::{open_vault, tidy_vault};
pub use previews::{set_previews, unlocked_thumbnail};
