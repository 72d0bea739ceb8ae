//! `export`: one photo to a file or every photo to a folder, as the exact original
//! bytes (or the thumbnail), written atomically so a failure leaves no file.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use spg_core::crypto::PhotoPassword;
use spg_core::service::Account;
use spg_core::service::Unlock;
use spg_core::service::export::{ExportItem, ExportKind, export_photo, export_to_folder};
use spg_core::vault::{PhotoId, Vault};

use super::ExportArgs;
use super::account::{login, login_with_recovery};
use super::secrets::secret;

pub(super) fn export(vault: &Vault, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let passwords = read_password_files(&args.passwords_files)?;
    let session =
        if args.use_recovery_key { login_with_recovery(vault, &args.user)? } else { login(vault, &args.user)? };
    match &args.id {
        Some(id) => {
            let id: PhotoId = id.parse()?;
            if args.out.exists() {
                bail!("{} already exists; choose another name or remove it first", args.out.display());
            }
            // A thumbnail needs only the login (no prompt); given the photo's password (or
            // the recovery key) it is the sharp one whatever the account's previews.
            let unlock = if args.use_recovery_key {
                Some(Unlock::Recovery)
            } else if let Some(pw) = passwords.get(&id) {
                Some(Unlock::Password(pw.clone()))
            } else {
                photo_password(&session, id, !args.thumbnail)?.map(Unlock::Password)
            };
            let meta = export_photo(&session, id, unlock.as_ref(), kind(args), &args.out)?;
            say!("exported {id} {} -> {}", meta.name, args.out.display());
            Ok(ExitCode::SUCCESS)
        }
        None => export_all(&session, args, &passwords),
    }
}

fn kind(args: &ExportArgs) -> ExportKind {
    if args.thumbnail {
        ExportKind::Thumbnail
    } else if args.strip_metadata {
        ExportKind::Stripped
    } else {
        ExportKind::Original
    }
}

fn read_password_files(files: &[std::path::PathBuf]) -> anyhow::Result<HashMap<PhotoId, PhotoPassword>> {
    let mut out = HashMap::new();
    for file in files {
        let found = spg_core::service::passwords_in_file(file)
            .with_context(|| format!("cannot read the passwords file {}", file.display()))?;
        if found.is_empty() {
            bail!(
                "{} holds no `Photo ID (NAME): PASSWORD` lines; pass the saved password email (.eml) or a text copy of it",
                file.display()
            );
        }
        out.extend(found);
    }
    Ok(out)
}

/// The photo's password from `SPG_PHOTO_PASSWORD`, else (when `ask`) a prompt; `None` when
/// neither gives one.
fn photo_password(session: &Account, id: PhotoId, ask: bool) -> anyhow::Result<Option<PhotoPassword>> {
    let typed = match std::env::var("SPG_PHOTO_PASSWORD") {
        Ok(value) => zeroize::Zeroizing::new(value),
        Err(_) if !ask => return Ok(None),
        Err(_) => secret("SPG_PHOTO_PASSWORD", &format!("Password for photo {id} ({}): ", session.meta(id)?.name))?,
    };
    PhotoPassword::parse(&typed)
        .map(Some)
        .context("that is not a photo password: it is four groups of five letters and digits, as in the password email")
}

fn export_all(
    session: &Account,
    args: &ExportArgs,
    passwords: &HashMap<PhotoId, PhotoPassword>,
) -> anyhow::Result<ExitCode> {
    let (photos, damaged) = match &args.album {
        Some(album) => session.list_album(album)?,
        None => session.list()?,
    };
    let mut failed = damaged.len();
    for id in &damaged {
        say!("failed {id}: its record is damaged (run `verify`)");
    }
    let mut chosen = Vec::new();
    for photo in photos.iter() {
        let unlock = if args.use_recovery_key {
            Some(Unlock::Recovery)
        } else if let Some(pw) = passwords.get(&photo.id) {
            Some(Unlock::Password(pw.clone()))
        } else if args.thumbnail {
            None
        } else {
            say!("failed {} {}: no password for it in the passwords files", photo.id, photo.name);
            failed += 1;
            continue;
        };
        chosen.push((photo, unlock));
    }
    let items: Vec<ExportItem<'_>> =
        chosen.iter().map(|(photo, unlock)| ExportItem { photo: *photo, unlock: unlock.as_ref() }).collect();
    let never = std::sync::atomic::AtomicBool::new(false);
    export_to_folder(session, &items, (kind(args), &args.out), &never, &mut |photo, result| match result {
        Ok(target) => say!("exported {} {} -> {}", photo.id, photo.name, target.display()),
        Err(e) => {
            match super::hint(&e) {
                Some(hint) => say!("failed {} {}: {e:#} ({hint})", photo.id, photo.name),
                None => say!("failed {} {}: {e:#}", photo.id, photo.name),
            }
            failed += 1;
        }
    })
    .with_context(|| format!("cannot create the folder {}", args.out.display()))?;
    if failed > 0 {
        eprintln!(
            "{failed} photo(s) were not exported (see the `failed` lines); the others were written to {}",
            args.out.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
