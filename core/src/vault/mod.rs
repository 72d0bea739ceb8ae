//! The encrypted vault: one redb file holding accounts, photo records, ciphertext
//! chunks, sealed thumbnails and the duplicate index. Composes `crypto`; knows nothing
//! about images, mail or screens.
//!
//! Open a [`Vault`], then [`Vault::register`] or [`Vault::login`] to get a [`Session`]:
//! every photo operation goes through a session, which holds the account's keys and
//! forgets them when dropped.

mod account;
mod albums;
pub(crate) mod backup;
mod error;
mod id;
mod keys;
mod manifest;
mod password;
mod photos;
mod records;
mod seen;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use records::{decode_every_record, sample_records};
mod schema;

/// Fixtures for the tests of layers above the vault.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::photos::tests::one_photo;

    /// Removes a photo's private thumbnail row, as a file writer could.
    pub(crate) fn remove_private_thumbnail(session: &super::Session, id: super::PhotoId) {
        let txn = session.vault.db.begin_write().unwrap();
        txn.open_table(super::schema::PRIVATE_THUMBNAILS).unwrap().remove(id.as_u64()).unwrap();
        txn.commit().unwrap();
    }
}

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, DatabaseError, ReadableDatabase, WriteTransaction};

use crate::platform::files::create_private_dir;

pub(crate) use account::Session;
pub use account::{validate_email, validate_username};
pub use albums::{ALBUM_NAME_MAX, Album, AlbumError, AlbumProblem, Albums, album_name, find_album};
pub use backup::RestoreError;
pub(crate) use backup::{
    BackupCredentials, BackupPhoto, ObjectNames, PHOTOS_FOLDER, PREVIEWS_FOLDER, RestoredPhoto, SNAPSHOT, open_backup,
    snapshot_fingerprint,
};
pub(crate) use error::StoreError;
pub use error::{LoginError, OpenError, PhotoError, RegisterError, StorageError};
pub use id::{BadPhotoId, PhotoId};
pub use manifest::ManifestProblem;
pub use password::{MIN_PASSWORD_LEN, PasswordStrength, password_strength};
pub(crate) use photos::INDEX_SEGMENT_PHOTOS;
pub use photos::{Catalog, PhotoInfo, PhotoRef, VerifyProblem, VerifyReport};
pub(crate) use photos::{ContentHash, NewPhoto, PhotoUnlock, PreparedPhoto, SealedPhoto};
pub(crate) use records::{BackupSettings, Profile, SmtpSettings};
pub use records::{PhotoMeta, Previews};
pub use seen::Rollback;
pub(crate) use seen::default_state_dir;

use schema::{FORMAT_VERSION, FORMAT_VERSION_KEY, HEADER, VAULT_ID_KEY};

/// Name of the folder beside the vault file where password emails go without SMTP.
pub const OUTBOX_DIR_NAME: &str = "outbox";

/// An open vault file. Cheap to clone; all clones share one database handle.
#[derive(Clone)]
pub struct Vault {
    db: Arc<Db>,
    path: PathBuf,
    /// Random, made with the vault; bound into every manifest.
    id: [u8; 16],
    /// Where the highest manifest counter seen is remembered (see `seen`); `None` to not.
    state_dir: Option<Arc<PathBuf>>,
    /// Whether this program made the vault file when it opened it (then this computer
    /// knows it from its first byte).
    created: bool,
    /// Whether a write transaction began since the last [`Vault::compact_if_worth_it`]:
    /// without one, nothing was freed, and the free-space count (which reads every page of
    /// the file: a minute at a million photos) is not worth making.
    written: Arc<std::sync::atomic::AtomicBool>,
}

/// redb's page cache. Its default, 1 GiB, fills with every photo read or written: an
/// export of 100 photos grew to 316 MB resident and scrolling 10,000 thumbnails past 1 GB.
/// Photos are read once and thumbnails are cached as textures, so a small cache loses
/// nothing measurable (listing 10,000 records reads about 3 MB).
const CACHE_SIZE: usize = 32 * 1024 * 1024;

/// [`Vault::compact_if_worth_it`] leaves less free space than this alone.
const COMPACT_AT_LEAST: u64 = 1024 * 1024;

/// The redb database, closed under [`error::catch_panic`]: closing writes to the file, and
/// redb can panic there on a damaged one, which must not crash the program.
struct Db(Option<Database>);

impl std::ops::Deref for Db {
    type Target = Database;
    fn deref(&self) -> &Database {
        self.0.as_ref().expect("the database is only taken when dropped")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(db) = self.0.take() {
            let _ = error::catch_panic(move || drop(db));
        }
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("path", &self.path).finish()
    }
}

impl Vault {
    /// Opens the vault at `path`, creating it (and its folder, owner-only) if missing.
    pub fn open(path: &Path) -> Result<Vault, OpenError> {
        Vault::open_reporting_repair(path, |_| {})
    }

    /// [`Vault::open`], calling `on_repair` with the progress (0 to 1) while redb repairs
    /// a vault that was not closed properly (a crash or power cut in the middle of an
    /// import): it then reads the whole file, about 1.3 s per GB here.
    pub fn open_reporting_repair(path: &Path, on_repair: impl Fn(f64) + 'static) -> Result<Vault, OpenError> {
        let io = |error| OpenError::Io { path: path.to_path_buf(), error };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(io)?;
        }
        if !path.exists() {
            create_owner_only(path).map_err(io)?;
        }
        let unreadable = |reason: String| OpenError::Unreadable { path: path.to_path_buf(), reason };
        let opened = error::catch_panic(|| {
            let mut builder = Database::builder();
            builder.set_cache_size(CACHE_SIZE).set_repair_callback(move |repair| on_repair(repair.progress()));
            let db = builder.create(path).map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => OpenError::InUse(path.to_path_buf()),
                other => unreadable(other.to_string()),
            })?;
            let db = Arc::new(Db(Some(db)));
            let (id, created) = check_or_write_header(&db, path)?;
            let written = Arc::new(std::sync::atomic::AtomicBool::new(false));
            Ok(Vault { db, path: path.to_path_buf(), id, state_dir: None, created, written })
        });
        opened.unwrap_or_else(|panic| {
            Err(panic.bug().map_or_else(|| unreadable("its internal structure is damaged".into()), OpenError::Internal))
        })
    }

    /// Gives back the space of deleted photos: redb moves the pages in use to the front of
    /// the file and cuts the rest off. It is a series of committed transactions (two-phase
    /// commit), so a kill or a power cut midway loses nothing: the next open repairs the
    /// file, as after any crash. Needs the vault to itself (no session open on it).
    /// Returns the file's size before and after.
    pub fn compact(&mut self) -> Result<(u64, u64), StorageError> {
        let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).map_err(StorageError::Io);
        let before = size(&self.path)?;
        let db = Arc::get_mut(&mut self.db).and_then(|db| db.0.as_mut()).ok_or(StorageError::Busy)?;
        error::guard(|| db.compact().map(|_| ()).map_err(StorageError::from))?;
        Ok((before, size(&self.path)?))
    }

    /// How many bytes of the file hold nothing: the space of deleted photos, and what redb
    /// added ahead of need when the file grew (it doubles the file until it reaches 4 GiB).
    pub fn reclaimable(&self) -> Result<u64, StorageError> {
        error::guard(|| {
            let len = std::fs::metadata(&self.path).map_err(StorageError::Io)?.len();
            let txn = self.db.begin_write()?;
            let stats = txn.stats()?;
            txn.abort()?;
            Ok(len.saturating_sub(stats.allocated_pages() * stats.page_size() as u64))
        })
    }

    /// [`Vault::compact`], when it gives back at least a tenth of the file and 1 MiB: the
    /// rule by which the app tidies the vault when it locks. `None` when it was not worth it.
    /// Only a vault written since the last call is looked at: a session that only read
    /// leaves nothing to give back, and the next login does not wait for the count.
    pub fn compact_if_worth_it(&mut self) -> Result<Option<(u64, u64)>, StorageError> {
        if !self.written.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let len = std::fs::metadata(&self.path).map_err(StorageError::Io)?.len();
        let free = self.reclaimable()?;
        // Counted (a busy vault is tried again, flag kept): until the next write, no more.
        self.written.store(false, std::sync::atomic::Ordering::Relaxed);
        if free < COMPACT_AT_LEAST || free < len / 10 {
            return Ok(None);
        }
        self.compact().map(Some)
    }

    /// What the disk holds of the vault file (its blocks), where the platform says.
    pub fn held_on_disk(&self) -> Option<u64> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata(&self.path).ok().map(|meta| meta.blocks() * 512)
        }
        #[cfg(not(unix))]
        None
    }

    /// [`Vault::compact`], when the file's apparent size is more than a tenth over what the
    /// disk holds of it, and the compaction costs little beside what the command did.
    /// Below 4 GiB redb grows the file ahead of need by doubling it, as a hole that a sync
    /// service or a backup copies in full (2.6 GB apparent for 1.3 GB held at 100,000
    /// small photos); past that it grows 4 GiB at a time, at most a third over a vault that
    /// size. A compaction after an import takes time in proportion to the file (3–4 s at
    /// 150–250 MB held, 7–9 s at 1 GB, docs/BENCHMARKS.md), and a compacted file has no
    /// room left, so the next command that writes grows it again: compacting after every
    /// command made every import of a vault of a few hundred MB pay seconds, even for one
    /// photo. So it is done when the
    /// disk holds less than [`GIVE_BACK_ALWAYS_BELOW`] (a second or less), or when the
    /// command itself added at least a quarter of what the disk holds now (`held_before`:
    /// what it held before the command): a large import pays a compaction of about its own
    /// cost, and leaves the file as large as what it holds. One `stat` tells, without the
    /// free-space count of [`Vault::compact_if_worth_it`]. What the command line does after
    /// a command that wrote. `None` when there was nothing to give back, or where the
    /// platform does not tell what the disk holds.
    pub fn give_back_growth(&mut self, held_before: Option<u64>) -> Result<Option<(u64, u64)>, StorageError> {
        #[cfg(unix)]
        {
            let meta = std::fs::metadata(&self.path).map_err(StorageError::Io)?;
            let held = self.held_on_disk().unwrap_or(u64::MAX);
            let added = held.saturating_sub(held_before.unwrap_or(held));
            let cheap = held < GIVE_BACK_ALWAYS_BELOW || added >= held / 4;
            if !cheap || !overshoots(meta.len(), held) {
                return Ok(None);
            }
            self.compact().map(Some)
        }
        #[cfg(not(unix))]
        {
            let _ = held_before;
            Ok(None)
        }
    }

    /// The same vault, remembering in `dir` the highest manifest counter seen for each of
    /// its accounts, so that a login notices a vault replaced by an older copy
    /// ([`Session::rollback`]), and which vault is at which path. The front ends pass
    /// [`default_state_dir`]; `None` remembers nothing.
    pub fn remember_counters_in(mut self, dir: Option<PathBuf>) -> Vault {
        if let (Some(dir), true) = (&dir, self.created) {
            seen::record_path(dir, &self.path, &self.id);
        }
        self.state_dir = dir.map(Arc::new);
        self
    }

    /// Where this program keeps what it remembers outside the vault, if anywhere.
    pub fn state_dir(&self) -> Option<&Path> {
        self.state_dir.as_deref().map(PathBuf::as_path)
    }

    /// The vault file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder where password emails go when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(OUTBOX_DIR_NAME)
    }

    /// A write transaction whose commit also records redb's allocator state, so that
    /// after a crash the vault reopens at once instead of after reading the whole file
    /// (8-12 s for 10,000 photos here). It costs a few milliseconds per commit, so the
    /// one-per-photo writes of an import skip it and end with a [`Session::checkpoint`].
    fn begin_write(&self) -> Result<WriteTransaction, redb::TransactionError> {
        let mut txn = self.plain_write()?;
        txn.set_quick_repair(true);
        Ok(txn)
    }
}

impl Vault {
    /// A write transaction without quick repair (see [`Vault::begin_write`]), noted for
    /// [`Vault::compact_if_worth_it`].
    pub(crate) fn plain_write(&self) -> Result<WriteTransaction, redb::TransactionError> {
        self.written.store(true, std::sync::atomic::Ordering::Relaxed);
        self.db.begin_write()
    }
}

/// Below this much held on disk, the command line always gives back the room redb grew the
/// vault file by: the compaction then takes a second or less here.
#[cfg(unix)]
pub const GIVE_BACK_ALWAYS_BELOW: u64 = 64 << 20;

/// Whether a file of `apparent` bytes of which the disk holds `held` has grown more than a
/// tenth ahead of need ([`Vault::give_back_growth`]).
fn overshoots(apparent: u64, held: u64) -> bool {
    apparent > held.saturating_add(held / 10)
}

/// Creates an empty vault file readable by its owner only, from its first byte (redb
/// fills an empty file in): a vault is never readable by others, even for a moment.
fn create_owner_only(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

/// Checks the format version of an opened vault and returns its id, and whether the vault
/// is new: a new (empty) vault gets its tables, its format version and a random id.
fn check_or_write_header(db: &Database, path: &Path) -> Result<([u8; 16], bool), OpenError> {
    let unreadable = |e: StorageError| OpenError::Unreadable { path: path.to_path_buf(), reason: e.to_string() };
    /// The header's two values, as stored (either may be missing or malformed).
    struct Stored {
        version: Option<u32>,
        id: Option<Vec<u8>>,
    }
    let stored = (|| -> Result<Option<Stored>, StorageError> {
        let txn = db.begin_read()?;
        let Some(table) = schema::table_if_any(&txn, HEADER)? else { return Ok(None) };
        let version = table.get(FORMAT_VERSION_KEY)?.and_then(|v| <[u8; 4]>::try_from(v.value()).ok());
        let id = table.get(VAULT_ID_KEY)?.map(|v| v.value().to_vec());
        Ok(Some(Stored { version: version.map(u32::from_le_bytes), id }))
    })()
    .map_err(unreadable)?;
    let Some(Stored { version, id }) = stored else {
        return create_tables(db).map(|id| (id, true)).map_err(unreadable);
    };
    match version {
        Some(v) if v > FORMAT_VERSION => {
            Err(OpenError::TooNew { path: path.to_path_buf(), found: v, supported: FORMAT_VERSION })
        }
        Some(v) if v < FORMAT_VERSION => Err(OpenError::FromDevelopmentVersion { path: path.to_path_buf(), found: v }),
        Some(_) => id
            .and_then(|id| <[u8; 16]>::try_from(id).ok())
            .map(|id| (id, false))
            .ok_or_else(|| unreadable(StorageError::Tampered("its vault id is missing or damaged"))),
        None => Err(unreadable(StorageError::Tampered("its format version is missing or damaged"))),
    }
}

fn create_tables(db: &Database) -> Result<[u8; 16], StorageError> {
    let id: [u8; 16] = crate::crypto::random_array();
    let mut txn = db.begin_write()?;
    txn.set_quick_repair(true);
    {
        let mut header = txn.open_table(HEADER)?;
        header.insert(FORMAT_VERSION_KEY, FORMAT_VERSION.to_le_bytes().as_slice())?;
        header.insert(VAULT_ID_KEY, id.as_slice())?;
    }
    txn.open_table(schema::ACCOUNTS)?;
    txn.open_table(schema::USERNAMES)?;
    txn.open_table(schema::PHOTOS)?;
    txn.open_table(schema::CHUNKS)?;
    txn.open_table(schema::THUMBNAILS)?;
    txn.open_table(schema::PRIVATE_THUMBNAILS)?;
    txn.open_table(schema::CONTENT_HASHES)?;
    txn.open_table(schema::DELETED_PHOTOS)?;
    txn.open_table(schema::MANIFESTS)?;
    txn.open_table(schema::MANIFEST_BUCKETS)?;
    txn.open_table(schema::LIST_INDEX)?;
    txn.commit()?;
    Ok(id)
}

#[cfg(test)]
mod growth_tests {
    #[test]
    fn a_file_grown_more_than_a_tenth_ahead_of_need_is_cut() {
        // As measured at 100,000 photos: 2,648 MB apparent for 1,327 MB held.
        assert!(super::overshoots(2_648, 1_327));
        assert!(super::overshoots(1_110_001, 1_000_000));
        assert!(!super::overshoots(1_100_000, 1_000_000), "a tenth over is tolerated");
        assert!(!super::overshoots(900, 1_000), "a file the disk holds in full blocks");
        assert!(!super::overshoots(u64::MAX, u64::MAX));
    }
}
