//! `backup` and `restore`: an account to and from S3-compatible storage.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, bail};

use spg_core::crypto::RecoveryKey;
use spg_core::remote::Location;
use spg_core::service::Account;
pub(super) use spg_core::service::backup::How;
use spg_core::service::backup::{self, BackupError, LocationGiven, Progress, RestoreWith};
use spg_core::service::settings::BackupPlace;
use spg_core::vault::{RestoreError, Vault};

use super::ServerArgs;
use super::account::login;
use super::output::rfc3339;
use super::secrets::{new_password, secret};

/// The location from the flags; what they leave out comes from the account's saved
/// settings (`account`), and the secret key from SPG_S3_SECRET_KEY, the saved one, or a
/// prompt.
fn location(user: &str, to: Option<&str>, server: &ServerArgs, account: Option<&Account>) -> anyhow::Result<Location> {
    let saved = account.and_then(|a| a.settings().backup);
    let saved_address = saved.as_ref().map(BackupPlace::address);
    let env_secret = std::env::var("SPG_S3_SECRET_KEY").ok().map(zeroize::Zeroizing::new);
    let given = LocationGiven {
        address: to.or(saved_address.as_deref()),
        endpoint: server.endpoint.as_deref().or(saved.as_ref().map(|s| s.endpoint.as_str())),
        region: server.region.as_deref().or(saved.as_ref().map(|s| s.region.as_str())),
        access_key: server.access_key.as_deref().or(saved.as_ref().map(|s| s.access_key.as_str())),
        secret_key: env_secret.as_deref().map(String::as_str),
    };
    match backup::location(given, account) {
        Err(BackupError::MissingSecret(key)) => {
            let typed = secret("SPG_S3_SECRET_KEY", &format!("Secret key for {key}: "))?;
            Ok(backup::location(LocationGiven { secret_key: Some(&typed), ..given }, account)?)
        }
        Err(BackupError::NoLocation) if to.is_none() => {
            bail!(
                "no backup location is set for {user}; give one with --to s3://BUCKET/FOLDER --endpoint URL --access-key ID"
            )
        }
        Err(BackupError::NoAccessKey) => bail!("give the storage's access key ID with --access-key"),
        other => Ok(other?),
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Progress on stderr when it is a terminal: photos, megabytes and speed.
fn show(verb: &'static str) -> impl FnMut(Progress) {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    move |p: Progress| {
        if terminal {
            let speed = mb(p.bytes) / p.started.elapsed().as_secs_f64().max(0.001);
            eprint!("\r{verb} {} of {} photos, {:.1} MB, {speed:.1} MB/s   ", p.done, p.total, mb(p.bytes));
        }
    }
}

pub(super) fn backup(
    vault: &Vault,
    user: &str,
    to: Option<&str>,
    server: &ServerArgs,
    how: How,
) -> anyhow::Result<ExitCode> {
    let session = login(vault, user)?;
    let location = location(user, to, server, Some(&session))?;
    let run =
        |session| backup::backup_and_remember(session, &location, how, &AtomicBool::new(false), &mut show("sent"));
    let (pulled, report) = match run(&session) {
        // The password was changed on another computer: with that password, the change
        // comes here too, and the backup goes on.
        Err(BackupError::Restore(newer @ RestoreError::NewerPassword { .. })) => {
            eprintln!("{newer}");
            let password = secret("SPG_NEW_PASSWORD", "The password set on the other computer: ")?;
            backup::adopt_password_change(&session, &location, &password)?;
            say!("{user}'s password is now the one set on the other computer, here too");
            run(&session)?
        }
        other => other?,
    };
    eprintln!();
    if report.list_not_taken {
        eprintln!(
            "warning: {} Photos only another computer has are listed again once it backs up with your current password.",
            RestoreError::OlderPassword
        );
    }
    if how.pull {
        say!("pulled {} photos from the backup", pulled.pulled);
    }
    let not_pulled =
        [("missing or damaged in the bucket", &pulled.lost), ("with an ID another account here has", &pulled.clashes)];
    for (what, ids) in not_pulled {
        if !ids.is_empty() {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            eprintln!("not pulled, {what}: {}", ids.join(", "));
        }
    }
    say!(
        "backed up {} photos to {location}: {} sent ({:.1} MB), {} already there",
        report.uploaded + report.already,
        report.uploaded,
        mb(report.bytes),
        report.already
    );
    if report.pruned > 0 {
        say!("removed {} deleted photos from the bucket", report.pruned);
    }
    if report.kept_remote > 0 {
        eprintln!(
            "{} photos deleted here are still in the bucket; `backup --prune` removes them there too",
            report.kept_remote
        );
    }
    if !report.unreadable.is_empty() {
        eprintln!("{} photos could not be read and were not backed up; run `verify`", report.unreadable.len());
        return Ok(ExitCode::FAILURE);
    }
    if !pulled.lost.is_empty() || !pulled.clashes.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn restore(
    vault: &Vault,
    user: &str,
    from: &str,
    server: &ServerArgs,
    use_recovery_key: bool,
) -> anyhow::Result<ExitCode> {
    let location = location(user, Some(from), server, None)?;
    let (password, new);
    let with = if use_recovery_key {
        let words = secret("SPG_RECOVERY_KEY", "Recovery key (24 words): ")?;
        let key = RecoveryKey::parse(&words).context(RestoreError::NotRecoveryWords.to_string())?;
        new = new_password("SPG_NEW_PASSWORD", "New password (the recovery words set one): ")?;
        RestoreWith::Recovery { key, new_password: &new }
    } else {
        password = secret("SPG_PASSWORD", &format!("Password for {user}: "))?;
        RestoreWith::Password(&password)
    };
    let report = backup::restore(vault, &location, user, with, &AtomicBool::new(false), &mut show("restored"))?;
    eprintln!();
    say!(
        "restored {} with {} photos ({:.1} MB) from the backup of {}; every photo was checked",
        report.user,
        report.photos,
        mb(report.bytes),
        rfc3339(report.backed_up_at)
    );
    if report.new_password {
        eprintln!("The new password is set: log in with it. The old one opens nothing written from now on.");
    } else {
        eprintln!(
            "The backup opens with the password set on {}. If you changed your password after that, this backup is older than your change (someone who knew the old password may have put it back): run `recover --user {}` now, whose recovery words set a new password and prove the account's recovery key is yours.",
            rfc3339(report.password_set_at),
            report.user
        );
    }
    eprintln!("New photo passwords will be emailed to {}; check it is your address.", report.email);
    if !report.lost.is_empty() {
        let ids: Vec<String> = report.lost.iter().map(ToString::to_string).collect();
        eprintln!(
            "{} photos of the backup are missing from the bucket or damaged there, and were not restored: {}",
            ids.len(),
            ids.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
