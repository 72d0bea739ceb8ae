//! `register`, `passwd`, `recover`, and the login every other command starts with.

use std::process::ExitCode;

use anyhow::{Context as _, bail};

use spg_core::crypto::RecoveryKey;
use spg_core::service::Account;
use spg_core::vault::Vault;

use super::secrets::{new_password, secret};

pub(super) fn register(
    vault: &Vault,
    user: &str,
    email: &str,
    previews: spg_core::vault::Previews,
) -> anyhow::Result<ExitCode> {
    spg_core::vault::validate_username(user)?;
    spg_core::vault::validate_email(email)?;
    let password = new_password("SPG_PASSWORD", &format!("New password for {user}: "))?;
    let recovery = vault.register(user, email, &password, previews)?;
    say!("Registered {user} <{email}>");
    say!("Recovery key: {}", recovery.to_words().as_str());
    eprintln!(
        "Write the recovery key down and keep it somewhere safe: it is shown only now, and it is the \
         only way back in if you forget your password or lose the photo password emails."
    );
    Ok(ExitCode::SUCCESS)
}

/// Logs in with SPG_PASSWORD or a prompt.
pub(super) fn login(vault: &Vault, user: &str) -> anyhow::Result<Account> {
    let password = secret("SPG_PASSWORD", &format!("Password for {user}: "))?;
    Ok(warn_of_changes(vault.login(user, &password)?))
}

/// Opens the account with SPG_RECOVERY_KEY or a prompt.
pub(super) fn login_with_recovery(vault: &Vault, user: &str) -> anyhow::Result<Account> {
    let words = secret("SPG_RECOVERY_KEY", "Recovery key (24 words): ")?;
    let key = RecoveryKey::parse(&words)
        .context("that is not a recovery key: it is the 24 words shown at registration, separated by spaces")?;
    Ok(warn_of_changes(vault.login_with_recovery(user, key)?))
}

/// Says on stderr what the login found: a vault older than, or forked from, the copy last
/// opened here. The command goes on (the photos that are there are the account's own);
/// `verify` fails. (Photos removed or put back are found by `verify`, and by `list` when
/// its index lacks them, see [`warn_of_photo_changes`].)
fn warn_of_changes(session: Account) -> Account {
    if let Some(rollback) = session.rollback() {
        eprintln!(
            "warning: {rollback}. Until you accept this copy nothing is written to the account (photos still open and export); if you restored it yourself, accept it with `verify --user {} --accept-this-copy`.",
            session.username()
        );
    }
    session
}

/// Says on stderr what a list found changed in the vault file: photos whose records were
/// removed, or deleted and put back.
pub(super) fn warn_of_photo_changes(session: &Account) {
    for problem in session.manifest_problems() {
        eprintln!("warning: {problem}; run `verify` and restore the vault from a backup if you did not do this");
    }
}

pub(super) fn passwd(vault: &Vault, user: &str) -> anyhow::Result<ExitCode> {
    let current = secret("SPG_PASSWORD", &format!("Password for {user}: "))?;
    let session = warn_of_changes(vault.login(user, &current)?);
    let new = new_password("SPG_NEW_PASSWORD", "New password: ")?;
    spg_core::service::change_password(&session, &current, &new)?;
    say!("Password changed for {}", session.username());
    Ok(ExitCode::SUCCESS)
}

pub(super) fn recover(vault: &Vault, user: &str) -> anyhow::Result<ExitCode> {
    let words = secret("SPG_RECOVERY_KEY", "Recovery key (24 words): ")?;
    if RecoveryKey::parse(&words).is_none() {
        bail!("that is not a recovery key: it is the 24 words shown at registration, separated by spaces");
    }
    let new = new_password("SPG_NEW_PASSWORD", "New password: ")?;
    let session = warn_of_changes(spg_core::service::recover(vault, user, &words, &new)?);
    say!("Password reset for {}; log in with the new password", session.username());
    Ok(ExitCode::SUCCESS)
}
