//! `backup` and `restore`: an account to and from S3-compatible storage.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, bail};

use secure_photo_gallery::crypto::RecoveryKey;
use secure_photo_gallery::remote::{Location, aws_endpoint, parse_s3_url};
pub(super) use secure_photo_gallery::service::backup::How;
use secure_photo_gallery::service::backup::{self, Progress};
use secure_photo_gallery::vault::{BackupCredentials, Vault};

use super::ServerArgs;
use super::account::login;
use super::secrets::secret;

const DEFAULT_REGION: &str = "us-east-1";

/// The location from the flags, completed by `saved` (the account's stored settings) for
/// what the flags leave out; `None` when neither names a bucket.
fn location(to: Option<&str>, server: &ServerArgs, saved: Option<Location>) -> anyhow::Result<Option<Location>> {
    let (bucket, prefix) = match (to, &saved) {
        (Some(to), _) => parse_s3_url(to)?,
        (None, Some(saved)) => (saved.bucket.clone(), saved.prefix.clone()),
        (None, None) => return Ok(None),
    };
    let region = server
        .region
        .clone()
        .or_else(|| saved.as_ref().map(|s| s.region.clone()))
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let endpoint = server
        .endpoint
        .clone()
        .or_else(|| saved.as_ref().map(|s| s.endpoint.clone()))
        .unwrap_or_else(|| aws_endpoint(&region));
    let access_key = match server.access_key.clone().or_else(|| saved.as_ref().map(|s| s.access_key.clone())) {
        Some(key) => key,
        None => bail!("give the storage's access key ID with --access-key"),
    };
    // A saved secret serves until a new access key (or SPG_S3_SECRET_KEY) replaces it.
    let saved_secret =
        saved.as_ref().filter(|s| s.access_key == access_key).map(|s| zeroize::Zeroizing::new(s.secret_key.clone()));
    let secret_key = match (std::env::var("SPG_S3_SECRET_KEY").ok(), saved_secret) {
        (Some(env), _) => zeroize::Zeroizing::new(env),
        (None, Some(saved)) => saved,
        (None, None) => secret("SPG_S3_SECRET_KEY", &format!("Secret key for {access_key}: "))?,
    };
    Ok(Some(Location { endpoint, region, bucket, prefix, access_key, secret_key: secret_key.to_string() }))
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
    let saved = session.profile().backup.as_ref().map(backup::location_of);
    let Some(location) = location(to, server, saved)? else {
        bail!(
            "no backup location is set for {user}; give one with --to s3://BUCKET/FOLDER --endpoint URL --access-key ID"
        );
    };
    let (pulled, report) =
        backup::backup_and_remember(&session, &location, how, &AtomicBool::new(false), &mut show("sent"))?;
    eprintln!();
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
    let location = location(Some(from), server, None)?.context("give the backup's address with --from")?;
    let password;
    let with = if use_recovery_key {
        let words = secret("SPG_RECOVERY_KEY", "Recovery key (24 words): ")?;
        BackupCredentials::Recovery(
            RecoveryKey::parse(&words)
                .context("that is not a recovery key: it is the 24 words shown at registration, separated by spaces")?,
        )
    } else {
        password = secret("SPG_PASSWORD", &format!("Password for {user}: "))?;
        BackupCredentials::Password(&password)
    };
    let report = backup::restore(vault, &location, user, with, &AtomicBool::new(false), &mut show("restored"))?;
    eprintln!();
    let when = time::OffsetDateTime::from_unix_timestamp(report.backed_up_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    say!(
        "restored {} with {} photos ({:.1} MB) from the backup of {when}; every photo was checked",
        report.user,
        report.photos,
        mb(report.bytes)
    );
    eprintln!("New photo passwords will be emailed to {}; check it is your address.", report.email);
    if use_recovery_key {
        eprintln!("The account keeps its login password; if you forgot it, set a new one with `recover`.");
    }
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
