//! Importing files and folders into an account, with mail before commit: every file
//! is read, checked for duplicates, fully decoded and thumbnailed (on all cores); the
//! batch's passwords are mailed in one message; only then is each photo stored, one
//! transaction each. A file that cannot be imported is reported with its reason and
//! the rest go on.

mod walk;

use crate::service::Account;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::crypto::SecretBytes;
use crate::imaging::{Analysis, ImageError, analyze};
use crate::mail::{MailError, MailRoute, PasswordEmail, PasswordEntry};
use crate::vault::{
    ContentHash, INDEX_SEGMENT_PHOTOS, NewPhoto, PhotoId, PhotoInfo, PhotoMeta, PreparedPhoto, SealedPhoto, Session,
    StorageError, StoreError,
};

pub use walk::{Candidate, collect_files};

/// Photos per password email. Each batch is mailed before any of it is stored.
pub const BATCH_SIZE: usize = 500;
/// Largest file accepted (a photo this size is already unusual).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024 * 1024;

/// Why one file was not imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// The same bytes are already in the account, or earlier in this import.
    #[error("{0}")]
    Duplicate(Duplicate),
    /// Not a decodable image.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Not a regular file (a FIFO, device, socket), or a link loop.
    #[error("{0}")]
    NotAFile(String),
    /// Reading failed.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// Too big to be a photo.
    #[error("the file is {0} bytes, larger than the 1 GiB limit")]
    TooLarge(u64),
    /// The file changed between reading and storing.
    #[error("the file changed while it was being imported; import it again")]
    Changed,
    /// The login password changed between preparing and storing it.
    #[error("the login password was changed during the import; import the file again")]
    PasswordChanged,
    /// The vault could not store it.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The import stopped before this file, after a storage failure.
    #[error("not imported: the import stopped after the storage error above")]
    Stopped,
}

impl SkipReason {
    /// What a decoder said about the file, for `--verbose` or a log; the reason itself is
    /// the plain sentence for the user.
    pub fn detail(&self) -> Option<&str> {
        match self {
            SkipReason::Image(e) => e.detail(),
            _ => None,
        }
    }

    /// Whether this skip is a failure (a duplicate is not).
    pub fn is_failure(&self) -> bool {
        !matches!(self, SkipReason::Duplicate(_))
    }
}

/// Of what a skipped file is a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Duplicate {
    /// Of this photo of the account.
    #[error("duplicate of photo {0}, already in the vault")]
    Of(PhotoId),
    /// Of this file, earlier in the same import.
    #[error("duplicate of {}, earlier in this import", .0.display())]
    OfFile(PathBuf),
    /// Of a photo stored while this one was being read.
    #[error("duplicate of a photo stored meanwhile")]
    StoredMeanwhile,
}

/// What the importer reports as it goes; the caller prints or shows it.
#[derive(Debug)]
pub enum ImportEvent<'a> {
    /// Found this many files to look at.
    Found(usize),
    /// One more file was read and analysed (`done` of `total`, `bytes` read so far).
    Analysed {
        /// Files analysed so far.
        done: usize,
        /// Files in all.
        total: usize,
        /// Bytes read so far.
        bytes: u64,
    },
    /// A batch's password email was accepted.
    Mailed(&'a crate::mail::Delivered),
    /// A photo was stored.
    Imported {
        /// Its ID.
        id: PhotoId,
        /// The file it came from.
        path: &'a Path,
        /// What the file is, when this build cannot render its pixels: it is stored with
        /// the plain "No preview" tile (and exports exactly).
        no_preview: Option<&'a str>,
    },
    /// A file was not imported.
    Skipped(&'a Path, &'a SkipReason),
}

/// The import could not go on; photos of earlier batches stay imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The password email was not accepted, so the batch was not stored.
    #[error("the password email was not sent, so no photo of this batch was imported")]
    Mail {
        /// Why delivery failed.
        #[from]
        source: MailError,
    },
    /// Nothing is imported while a rollback or fork warning stands (no email is sent).
    #[error(transparent)]
    ReadOnly(StorageError),
    /// The password email was saved in the outbox, but the account could not keep its
    /// digest: nothing of the batch was stored (the email will not be sent from there).
    #[error("the password email could not be kept for sending later, so no photo of this batch was imported")]
    Queue {
        /// Why the account could not be written.
        source: crate::vault::RegisterError,
    },
}

/// Counts of what an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Photos stored.
    pub imported: usize,
    /// Files skipped as duplicates.
    pub duplicates: usize,
    /// Files refused for any other reason.
    pub failed: usize,
    /// Whether the import was cancelled before the end.
    pub cancelled: bool,
}

/// Counts a file not imported, and says why.
fn skip(summary: &mut ImportSummary, path: &Path, reason: SkipReason, on_event: &mut dyn FnMut(ImportEvent<'_>)) {
    if reason.is_failure() {
        summary.failed += 1;
    } else {
        summary.duplicates += 1;
    }
    on_event(ImportEvent::Skipped(path, &reason));
}

/// Imports `paths` (files or folders) into the session's account, mailing each batch's
/// passwords through `route` before storing it. `cancel` stops it between files.
pub fn import_paths(
    account: &Account,
    route: &MailRoute,
    paths: &[PathBuf],
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(ImportEvent<'_>),
) -> Result<ImportSummary, ImportError> {
    let session = account.session();
    session.writable().map_err(ImportError::ReadOnly)?;
    let mut summary = ImportSummary::default();
    let mut files = Vec::new();
    for candidate in collect_files(paths) {
        match candidate {
            Candidate::File(path) => files.push(path),
            Candidate::Refused(path, why) => skip(&mut summary, &path, SkipReason::NotAFile(why), on_event),
        }
    }
    on_event(ImportEvent::Found(files.len()));
    // One import time for the whole run, so its photos sort together, by name.
    let imported_at = time::OffsetDateTime::now_utc().unix_timestamp();
    // Each file's bytes, and the first file of this import that had them.
    let mut seen = std::collections::HashMap::new();
    let total = files.len();
    let mut done_before = 0;
    let mut bytes_before = 0;
    let mut run = RunEnd { session, unindexed: Vec::new() };
    for batch in files.chunks(BATCH_SIZE) {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let (results, bytes) = analyse_batch(session, batch, imported_at, cancel, &mut |done, bytes| {
            on_event(ImportEvent::Analysed { done: done_before + done, total, bytes: bytes_before + bytes })
        });
        done_before += batch.len();
        bytes_before += bytes;
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let mut prepared = Vec::new();
        for (path, result) in batch.iter().zip(results) {
            match result {
                Ok(p) => match seen.entry(p.hash) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        let first: &&PathBuf = first.get();
                        let reason = SkipReason::Duplicate(Duplicate::OfFile(first.to_path_buf()));
                        skip(&mut summary, path, reason, on_event);
                    }
                    std::collections::hash_map::Entry::Vacant(new) => {
                        new.insert(path);
                        prepared.push((path, p));
                    }
                },
                Err(reason) => skip(&mut summary, path, reason, on_event),
            }
        }
        if prepared.is_empty() {
            continue;
        }
        let email = PasswordEmail {
            from: route.from.clone(),
            to: session.profile().email,
            username: session.username().to_string(),
            entries: prepared
                .iter()
                .map(|(_, Analysed { photo, .. })| PasswordEntry {
                    id: photo.id.to_string(),
                    name: photo.meta.name.clone(),
                    password: Zeroizing::new(photo.password.display()),
                })
                .collect(),
        };
        let delivered = route.transport.send(&email)?;
        // An email left in the outbox is sent later only if the account keeps its digest.
        crate::service::keep_queued(account, &delivered).map_err(|source| ImportError::Queue { source })?;
        on_event(ImportEvent::Mailed(&delivered));
        if store_batch(&mut run, &prepared, &mut summary, on_event) {
            break;
        }
    }
    Ok(summary)
}

/// Encrypts a batch's photos on all cores and writes them as they come, a few photos a
/// transaction. Returns whether storage failed (a full disk): nothing more can be written.
fn store_batch(
    run: &mut RunEnd<'_>,
    prepared: &[(&PathBuf, Analysed)],
    summary: &mut ImportSummary,
    on_event: &mut dyn FnMut(ImportEvent<'_>),
) -> bool {
    let session = run.session;
    let mut stopped = false;
    // Encrypted on all cores, written here as they come, a few photos a transaction.
    let mut written = vec![false; prepared.len()];
    // Sealed photos waiting to be written, with their places in `prepared`.
    let mut pending: Vec<(usize, SealedPhoto)> = Vec::new();
    let write = |pending: &mut Vec<(usize, SealedPhoto)>,
                 run: &mut RunEnd<'_>,
                 summary: &mut ImportSummary,
                 on_event: &mut dyn FnMut(ImportEvent<'_>)| {
        let (places, photos): (Vec<usize>, Vec<SealedPhoto>) = std::mem::take(pending).into_iter().unzip();
        match session.write_all(photos) {
            Ok(results) => {
                for (i, result) in places.into_iter().zip(results) {
                    let (path, Analysed { photo, no_preview, .. }) = &prepared[i];
                    match result {
                        Ok(()) => {
                            summary.imported += 1;
                            on_event(ImportEvent::Imported { id: photo.id, path, no_preview: no_preview.as_deref() });
                            run.written(PhotoInfo { id: photo.id, meta: photo.meta.clone() });
                        }
                        Err(e) => skip(summary, path, e.into(), on_event),
                    }
                }
                false
            }
            Err(e) => {
                // After a storage failure (a full disk) redb refuses further writes.
                let mut reason = Some(SkipReason::Storage(e));
                for i in places {
                    skip(summary, prepared[i].0, reason.take().unwrap_or(SkipReason::Stopped), on_event);
                }
                true
            }
        }
    };
    crate::service::parallel::for_each_on_all_cores(
        "encrypt",
        prepared,
        &AtomicBool::new(false),
        |_, (path, analysed)| seal_file(session, path, &analysed.photo),
        |i, sealed| {
            written[i] = true;
            match sealed {
                Ok(sealed) => {
                    pending.push((i, sealed));
                    let bytes: usize = pending.iter().map(|(_, p)| p.size()).sum();
                    if pending.len() >= WRITE_RUN || bytes >= WRITE_RUN_BYTES {
                        stopped = write(&mut pending, run, summary, on_event);
                    }
                }
                Err(reason) => skip(summary, prepared[i].0, reason, on_event),
            }
            !stopped
        },
    );
    if !pending.is_empty() {
        stopped = write(&mut pending, run, summary, on_event);
    }
    for ((path, _), _) in prepared.iter().zip(&written).filter(|(_, w)| !**w) {
        skip(summary, path, SkipReason::Stopped, on_event);
    }
    stopped
}

/// Photos written in one transaction, at most: a transaction shares the pages above the
/// tables' leaves and the commit among its photos, and a crash loses at most these (their
/// files stay where they were, to be imported again).
const WRITE_RUN: usize = 32;
/// Bytes of encrypted photos held for one transaction, at most.
const WRITE_RUN_BYTES: usize = 64 << 20;

/// A run of photo writes. The photos written go into the list index a segment at a time
/// ([`Session::index_written`]), so that the next list need not read their records; when
/// the run ends, however it ends, the rest go in, then [`Session::checkpoint`]. Either may
/// fail (a full disk), and the run has then already said why: the next list reads those
/// photos' records, and the vault only reopens slower after a crash.
struct RunEnd<'a> {
    session: &'a Session,
    unindexed: Vec<PhotoInfo>,
}

impl RunEnd<'_> {
    fn written(&mut self, photo: PhotoInfo) {
        self.unindexed.push(photo);
        if self.unindexed.len() >= INDEX_SEGMENT_PHOTOS {
            let _ = self.session.index_written(&std::mem::take(&mut self.unindexed));
        }
    }
}

impl Drop for RunEnd<'_> {
    fn drop(&mut self) {
        let _ = self.session.index_written(&self.unindexed);
        let _ = self.session.checkpoint();
    }
}

struct Analysed {
    photo: PreparedPhoto,
    hash: ContentHash,
    /// What the file is, when it is stored with the plain "No preview" tile.
    no_preview: Option<String>,
}

/// Reads, de-duplicates, decodes and prepares every file of a batch on all cores.
/// Results come back in the batch's order.
fn analyse_batch(
    session: &Session,
    batch: &[PathBuf],
    imported_at: i64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, u64),
) -> (Vec<Result<Analysed, SkipReason>>, u64) {
    let mut results: Vec<Option<Result<Analysed, SkipReason>>> = (0..batch.len()).map(|_| None).collect();
    let (mut bytes, mut done) = (0, 0);
    crate::service::parallel::for_each_on_all_cores(
        "import",
        batch,
        cancel,
        |_, path| analyse_file(session, path, imported_at),
        |i, (result, len)| {
            (bytes, done) = (bytes + len, done + 1);
            results[i] = Some(result);
            progress(done, bytes);
            true
        },
    );
    let results = results.into_iter().map(|r| r.unwrap_or(Err(SkipReason::Read("import cancelled".into())))).collect();
    (results, bytes)
}

fn read_file(path: &Path) -> Result<Vec<u8>, SkipReason> {
    let len = std::fs::metadata(path).map_err(|e| SkipReason::Read(e.to_string()))?.len();
    if len > MAX_FILE_SIZE {
        return Err(SkipReason::TooLarge(len));
    }
    std::fs::read(path).map_err(|e| SkipReason::Read(e.to_string()))
}

fn analyse_file(session: &Session, path: &Path, imported_at: i64) -> (Result<Analysed, SkipReason>, u64) {
    let bytes = match read_file(path) {
        Ok(b) => SecretBytes::from(b),
        Err(e) => return (Err(e), 0),
    };
    let len = bytes.len() as u64;
    let result = (|| {
        let hash = session.content_hash(&bytes);
        if let Some(id) = session.holding(&hash)? {
            return Err(SkipReason::Duplicate(Duplicate::Of(id)));
        }
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let analysis = analyze(&bytes)?;
        let no_preview = analysis.no_preview.clone();
        let photo = session.prepare(new_photo(analysis, name, len, imported_at, hash))?;
        Ok(Analysed { photo, hash, no_preview })
    })();
    (result, len)
}

/// What the vault stores of an analysed file: its metadata and previews.
pub fn new_photo(
    analysis: Analysis,
    name: String,
    bytes: u64,
    imported_at: i64,
    content_hash: ContentHash,
) -> NewPhoto {
    NewPhoto {
        meta: PhotoMeta {
            name,
            mime: analysis.mime.to_string(),
            bytes,
            width: analysis.width,
            height: analysis.height,
            orientation: analysis.orientation,
            taken_at: analysis.exif.taken_at,
            camera: analysis.exif.camera,
            has_gps: analysis.exif.has_gps,
            imported_at,
        },
        thumbnail_jpeg: analysis.thumbnail_jpeg,
        placeholder_jpeg: analysis.placeholder_jpeg,
        content_hash,
    }
}

/// Reads the file again and encrypts it; the content hash proves it is the file analysed.
fn seal_file(session: &Session, path: &Path, photo: &PreparedPhoto) -> Result<SealedPhoto, SkipReason> {
    let bytes = SecretBytes::from(read_file(path)?);
    Ok(session.seal(photo, &bytes)?)
}

impl From<StoreError> for SkipReason {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate => SkipReason::Duplicate(Duplicate::StoredMeanwhile),
            StoreError::Changed => SkipReason::Changed,
            StoreError::PasswordChanged => SkipReason::PasswordChanged,
            StoreError::Storage(s) => SkipReason::Storage(s),
        }
    }
}
