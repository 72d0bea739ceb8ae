//! Writing one photo out of the vault: its exact original bytes (or without metadata,
//! or its thumbnail) to a new file, atomically, so a failure leaves no file behind. The
//! command line and the desktop app both export through here.

use crate::service::{Account, Unlock};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::crypto::SecretBytes;
use crate::imaging::{StripError, strip_metadata};
use crate::platform::files::{create_private_dir, unique_path, write_new_file};
use crate::vault::{PhotoError, PhotoId, PhotoMeta, PhotoRef, PhotoUnlock, Session};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The original bytes, exactly.
    Original,
    /// The original without location, camera and other metadata (pixels untouched).
    Stripped,
    /// The thumbnail JPEG (needs only the login).
    Thumbnail,
}

/// Exporting one photo failed; no file was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The photo could not be read or opened.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// Its metadata could not be removed.
    #[error(transparent)]
    Strip(#[from] StripError),
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Photo(PhotoError::Write(e))
    }
}

/// Writes photo `id` to the new file `out` (never overwriting). `unlock` is needed for
/// the original or stripped bytes; for the thumbnail it gives the sharp one when the
/// account's previews are blurred or hidden.
pub fn export_photo(
    account: &Account,
    id: PhotoId,
    unlock: Option<&Unlock>,
    kind: ExportKind,
    out: &Path,
) -> Result<PhotoMeta, ExportError> {
    let session = account.session();
    note_folder(session, out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")));
    write_photo(session, id, unlock.map(Unlock::as_photo_unlock).as_ref(), kind, out)
}

/// Notes the folder exported into, so that a crash's temporary file there is removed at
/// the next start (`leftovers::remove_leftovers`).
fn note_folder(session: &Session, folder: &Path) {
    if let Some(state) = session.vault().state_dir() {
        super::leftovers::note_export_folder(
            state,
            &std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf()),
        );
    }
}

/// [`export_photo`] once its folder is noted.
fn write_photo(
    session: &Session,
    id: PhotoId,
    unlock: Option<&PhotoUnlock<'_>>,
    kind: ExportKind,
    out: &Path,
) -> Result<PhotoMeta, ExportError> {
    let locked = || ExportError::Photo(PhotoError::Locked(id));
    let (meta, bytes) = match kind {
        // Streamed chunk by chunk; the file appears only if every chunk authenticated.
        ExportKind::Original => {
            let unlock = unlock.ok_or_else(locked)?;
            return Ok(write_new_file(out, |w| session.decrypt_to(id, unlock, w))?);
        }
        ExportKind::Stripped => {
            let (meta, original) = session.decrypt(id, unlock.ok_or_else(locked)?)?;
            let stripped = SecretBytes::from(strip_metadata(&original, meta.orientation)?);
            (meta, stripped)
        }
        ExportKind::Thumbnail => {
            let thumbnail = match unlock {
                Some(unlock) => super::previews::sharp_thumbnail(session, id, unlock)?,
                None => session.thumbnail(id)?,
            };
            (session.meta(id)?, thumbnail)
        }
    };
    write_new_file(out, |w| w.write_all(&bytes).map_err(ExportError::from))?;
    Ok(meta)
}

/// One photo of a batch export, and what opens it (`None` for thumbnails).
pub struct ExportItem<'a> {
    /// The photo.
    pub photo: PhotoRef<'a>,
    /// Its password, or the session's recovery key.
    pub unlock: Option<&'a Unlock>,
}

/// Exports `items` into `folder` (created, owner-only, if it is missing), each under its
/// own name (a clash with a file there or another photo of the batch gets ` (1)`,
/// ` (2)`…), on all cores, as `kind`. `on_done` hears of each photo as it finishes: the
/// file written, or why none was. Setting `stop` ends it before the next photo (each file
/// is written whole or not at all). Fails only when the folder cannot be made.
pub fn export_to_folder(
    account: &Account,
    items: &[ExportItem<'_>],
    (kind, folder): (ExportKind, &Path),
    stop: &AtomicBool,
    on_done: &mut dyn FnMut(PhotoRef<'_>, Result<PathBuf, ExportError>),
) -> std::io::Result<()> {
    let session = account.session();
    create_private_dir(folder)?;
    note_folder(session, folder);
    let mut reserved = HashSet::new();
    let targets: Vec<PathBuf> = items
        .iter()
        .map(|item| {
            let path = path_in_folder(folder, item.photo, kind, &reserved);
            reserved.insert(path.clone());
            path
        })
        .collect();
    // Each file is flushed to the disk before it takes its name (a power cut leaves no
    // empty photo), and a worker waits for the disk about as long as it decrypts: two a
    // core keep the cores busy meanwhile (docs/BENCHMARKS.md, "Export's fixed cost").
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    crate::service::parallel::for_each_on(
        "export",
        2 * cores,
        items,
        stop,
        |i, item| {
            write_photo(session, item.photo.id, item.unlock.map(Unlock::as_photo_unlock).as_ref(), kind, &targets[i])
        },
        |i, result| {
            on_done(items[i].photo, result.map(|_| targets[i].clone()));
            true
        },
    );
    Ok(())
}

/// A free path in `dir` for the photo: its original name made safe (a thumbnail gets
/// `.thumbnail.jpg`), with ` (1)`, ` (2)`… when the name is taken on disk or `reserved`.
fn path_in_folder(dir: &Path, photo: PhotoRef<'_>, kind: ExportKind, reserved: &HashSet<PathBuf>) -> PathBuf {
    let name: String =
        photo.name.chars().map(|c| if matches!(c, '/' | '\\') || c.is_control() { '_' } else { c }).collect();
    let name = if name.is_empty() || name == "." || name == ".." { format!("photo-{}", photo.id) } else { name };
    let name = match kind {
        ExportKind::Thumbnail => format!("{}.thumbnail.jpg", name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s)),
        _ => name,
    };
    unique_path(dir, &name, reserved)
}
