//! The use cases that compose the lower layers (`vault`, `imaging`, `mail`) into what the
//! app and the command line do, each rule in one place. Both front ends call these rather
//! than composing the layers themselves.
//!
//! What is here so far: changing the password and reading a password email (`account`),
//! where an account's mail goes and setting it up (`mail`), and the previews of locked
//! photos (`previews`). docs/ARCHITECTURE.md
//! says where the rest is headed.

mod account;
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
    passwords_in_file, photo_passwords, recover, register, set_password, unlock_from_files,
};
pub use handle::Account;
pub use mail::{
    MailOverrides, MailSetupError, SmtpSetup, change_email, keep_queued, mail_route, outbox, queued_emails,
    send_outbox, send_test_email, use_outbox, use_smtp,
};
pub use open::{open_vault, tidy_vault};
pub use previews::{set_previews, unlocked_thumbnail};
