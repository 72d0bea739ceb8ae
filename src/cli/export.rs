//! `export`: one photo to a file or every photo to a folder, as the exact original
//! bytes (or the thumbnail), written atomically so a failure leaves no file.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::crypto::PhotoPassword;
use crate::files::{create_private_dir, unique_path, write_new_file};
use crate::imaging::strip_metadata;
use crate::mail::parse_passwords;
use crate::vault::{PhotoError, PhotoId, PhotoInfo, PhotoMeta, PhotoUnlock, Session, Vault};
use zeroize::Zeroizing;

use super::ExportArgs;
use super::account::{login, login_with_recovery};
use super::secrets::secret;

pub fn export(vault: &Vault, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let passwords = read_password_files(&args.passwords_files)?;
    let session =
        if args.use_recovery_key { login_with_recovery(vault, &args.user)? } else { login(vault, &args.user)? };
    match &args.id {
        Some(id) => {
            let id: PhotoId = id.parse()?;
            if args.out.exists() {
                bail!("{} already exists; choose another name or remove it first", args.out.display());
            }
            let unlock = if args.thumbnail {
                None
            } else if args.use_recovery_key {
                Some(Unlock::Recovery)
            } else if let Some(pw) = passwords.get(&id) {
                Some(Unlock::Password(pw.clone()))
            } else {
                Some(Unlock::Password(prompt_photo_password(&session, id)?))
            };
            let meta = write_one(&session, id, unlock.as_ref(), args.strip_metadata, &args.out)?;
            println!("exported {id} {} -> {}", meta.name, args.out.display());
            Ok(ExitCode::SUCCESS)
        }
        None => export_all(&session, args, &passwords),
    }
}

enum Unlock {
    Password(PhotoPassword),
    Recovery,
}

impl Unlock {
    fn as_photo_unlock(&self) -> PhotoUnlock<'_> {
        match self {
            Unlock::Password(pw) => PhotoUnlock::Password(pw),
            Unlock::Recovery => PhotoUnlock::Recovery,
        }
    }
}

fn read_password_files(files: &[std::path::PathBuf]) -> anyhow::Result<HashMap<PhotoId, PhotoPassword>> {
    let mut out = HashMap::new();
    for file in files {
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(file).with_context(|| format!("cannot read the passwords file {}", file.display()))?,
        );
        let found = parse_passwords(&bytes);
        if found.is_empty() {
            bail!(
                "{} holds no `Photo ID (NAME): PASSWORD` lines; pass the saved password email (.eml) or a text copy of it",
                file.display()
            );
        }
        for (id, pw) in found {
            if let Ok(id) = id.parse::<PhotoId>() {
                out.insert(id, pw);
            }
        }
    }
    Ok(out)
}

fn prompt_photo_password(session: &Session, id: PhotoId) -> anyhow::Result<PhotoPassword> {
    let name = session.meta(id)?.name;
    let typed = secret("SPG_PHOTO_PASSWORD", &format!("Password for photo {id} ({name}): "))?;
    PhotoPassword::parse(&typed)
        .context("that is not a photo password: it is four groups of five letters and digits, as in the password email")
}

/// Writes one photo (or, with no unlock, its thumbnail) to a new file at `out`;
/// `strip` removes its metadata on the way.
fn write_one(
    session: &Session,
    id: PhotoId,
    unlock: Option<&Unlock>,
    strip: bool,
    out: &Path,
) -> anyhow::Result<PhotoMeta> {
    let (meta, bytes) = match unlock {
        Some(unlock) if strip => {
            let (meta, original) = session.decrypt(id, &unlock.as_photo_unlock())?;
            let stripped = Zeroizing::new(strip_metadata(&original, meta.orientation)?);
            (meta, stripped)
        }
        Some(unlock) => {
            // Streamed chunk by chunk; the file appears only if every chunk authenticated.
            return Ok(write_new_file(out, |w| session.decrypt_to(id, &unlock.as_photo_unlock(), w))?);
        }
        None => (session.meta(id)?, session.thumbnail(id)?),
    };
    write_new_file(out, |w| w.write_all(&bytes).map_err(PhotoError::from))?;
    Ok(meta)
}

/// A file name for the photo inside the export folder: its original name, made safe.
fn file_name_for(photo: &PhotoInfo, thumbnail: bool) -> String {
    let name: String =
        photo.meta.name.chars().map(|c| if matches!(c, '/' | '\\') || c.is_control() { '_' } else { c }).collect();
    let name = if name.is_empty() || name == "." || name == ".." { format!("photo-{}", photo.id) } else { name };
    if thumbnail {
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        format!("{stem}.thumbnail.jpg")
    } else {
        name
    }
}

fn export_all(
    session: &Session,
    args: &ExportArgs,
    passwords: &HashMap<PhotoId, PhotoPassword>,
) -> anyhow::Result<ExitCode> {
    create_private_dir(&args.out).with_context(|| format!("cannot create the folder {}", args.out.display()))?;
    let (photos, damaged) = session.list()?;
    let mut failed = damaged.len();
    for id in &damaged {
        println!("failed {id}: its record is damaged (run `verify`)");
    }
    for photo in &photos {
        let unlock = if args.thumbnail {
            None
        } else if args.use_recovery_key {
            Some(Unlock::Recovery)
        } else if let Some(pw) = passwords.get(&photo.id) {
            Some(Unlock::Password(pw.clone()))
        } else {
            println!("failed {} {}: no password for it in the passwords files", photo.id, photo.meta.name);
            failed += 1;
            continue;
        };
        let target = unique_path(&args.out, &file_name_for(photo, args.thumbnail));
        match write_one(session, photo.id, unlock.as_ref(), args.strip_metadata, &target) {
            Ok(_) => println!("exported {} {} -> {}", photo.id, photo.meta.name, target.display()),
            Err(e) => {
                println!("failed {} {}: {e:#}", photo.id, photo.meta.name);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} photo(s) were not exported (see the `failed` lines); the others were written to {}",
            args.out.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
