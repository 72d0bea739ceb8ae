//! Photos in a session: prepare (keys, password, sealed metadata and thumbnail), store
//! (one transaction per photo), list, thumbnail, decrypt, delete and verify.

use std::collections::BTreeSet;
use std::io::Write;

use redb::{ReadableDatabase, ReadableTable};
use zeroize::Zeroizing;

use crate::crypto::{
    CHUNK_SIZE, KeyedHasher, PhotoPassword, SecretBytes, SecretKey, StreamDecryptor, StreamEncryptor, Subkey, TAG_LEN,
    derive_photo_wrap_key, derive_private_thumbnail_key, derive_subkey, keyed_hash, open, open_padded, padme, seal,
    seal_padded,
};

use super::error::{PhotoError, RegisterError, StorageError, StoreError, guard};
use super::keys::AccountKeys;
use super::manifest::{Change, Entry, ManifestProblem, compare, previews_digest, record_digest};
use super::records::Previews;
use super::records::{
    MetaRef, PHOTO_RECORD_VERSION, PhotoHeader, PhotoMeta, PhotoRecord, decode, encode, seal_encoded,
};
use super::schema::{ACCOUNTS, CHUNKS, CONTENT_HASHES, PHOTOS, PRIVATE_THUMBNAILS, THUMBNAILS};
use super::{PhotoId, Session};

mod catalog;
mod front;
mod index;
mod previews;
mod read;
mod verify;

pub use catalog::{Catalog, PhotoRef};
pub(crate) use index::SEGMENT_PHOTOS as INDEX_SEGMENT_PHOTOS;
pub(crate) use read::check_rows;
mod write;

/// The hash of a file's bytes (BLAKE3), from which the account's keyed content hashes are
/// made (one per generation), to skip duplicates. Held in memory only.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl std::fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentHash(<redacted>)")
    }
}

/// The photo ids a session gives out: a run of consecutive ids after a random prefix, so
/// that the photos of an import are stored side by side in every table (a random id per
/// photo put each one in a leaf of its own, and an import slowed down as the vault grew).
pub(crate) struct IdRun {
    prefix: u64,
    next: u64,
}

/// Ids of a run: the low bits count, the high ones are the run's random prefix.
const RUN_BITS: u32 = 16;

/// A photo ready to be prepared: what imaging found out about it.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// Its metadata (name, size, dimensions, EXIF summary, import time).
    pub meta: PhotoMeta,
    /// Its thumbnail JPEG (sealed before storing).
    pub thumbnail_jpeg: Vec<u8>,
    /// Its blurred placeholder JPEG, shown instead when the account's previews are blurred.
    pub placeholder_jpeg: Vec<u8>,
    /// Its content hash from [`Session::content_hash`].
    pub content_hash: ContentHash,
}

/// A photo with its ID, key and password chosen, waiting for its password to be mailed
/// before [`Session::store`] commits it. Dropping it forgets the key and password.
pub(crate) struct PreparedPhoto {
    /// The photo's new ID.
    pub id: PhotoId,
    /// The photo's password, to be mailed to the owner.
    pub password: PhotoPassword,
    /// The metadata that will be stored.
    pub meta: PhotoMeta,
    content_hash: ContentHash,
    /// The generation whose keys seal it (the current one when it was prepared).
    generation: u32,
    key: SecretKey,
    thumbnails: SealedThumbnails,
}

/// A photo's login-visible preview, by the form its associated data proves.
enum LoginPreview {
    Thumbnail(SecretBytes),
    Placeholder(SecretBytes),
}

/// A photo's previews as found with its key ([`Session::stored_previews`]).
pub(crate) struct StoredPreviews {
    /// The sharp thumbnail, unless none is stored any more (previews changed from sharp
    /// since, or its row was removed): then it is to be made again from the original.
    pub thumbnail: Option<SecretBytes>,
    /// Whether the stored form is the account's current choice of previews.
    pub current: bool,
}

/// A photo's previews as stored: what the login shows (`thumbnails`), and the thumbnail
/// behind the photo key (`private_thumbnails`), per the account's [`Previews`].
#[derive(Clone)]
struct SealedThumbnails {
    public: Option<Vec<u8>>,
    private: Option<Vec<u8>>,
}

impl SealedThumbnails {
    /// The manifest's digest of these rows for photo `id`.
    fn digest(&self, id: u64) -> [u8; 16] {
        previews_digest(id, self.public.as_deref(), self.private.as_deref())
    }
}

/// A photo encrypted and ready to be written by [`Session::write`]: nothing in it is
/// readable without the account's keys.
pub(crate) struct SealedPhoto {
    id: u64,
    generation: u32,
    content_hash: ContentHash,
    /// The keyed content hash under the photo's generation (its duplicate-index key).
    content_key: [u8; 32],
    record: Vec<u8>,
    thumbnails: SealedThumbnails,
    segments: Vec<Vec<u8>>,
}

impl SealedPhoto {
    /// The bytes of the photo's encrypted data.
    pub(crate) fn size(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }
}

impl std::fmt::Debug for PreparedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedPhoto").field("id", &self.id).field("name", &self.meta.name).finish_non_exhaustive()
    }
}

/// One photo of the account, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoInfo {
    /// Its ID.
    pub id: PhotoId,
    /// Its metadata.
    pub meta: PhotoMeta,
}

/// How to open a photo's key.
pub(crate) enum PhotoUnlock<'a> {
    /// With the photo's emailed password (and the session's account key).
    Password(&'a PhotoPassword),
    /// With the recovery key the session was opened with.
    Recovery,
}

/// What `verify` found: how many photos it checked, and what is wrong with which.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// The photos checked: every record of the account, and the photos the manifest lists
    /// whose records are gone.
    pub checked: usize,
    /// The problems found, a photo at most once a kind; empty when all is intact.
    pub problems: Vec<VerifyProblem>,
    /// The albums whose rows do not match what the account pins.
    pub albums: Vec<crate::vault::AlbumProblem>,
}

/// A photo whose stored data `verify` found changed, missing or unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyProblem {
    /// The photo.
    pub id: PhotoId,
    /// Its name, when the metadata could still be read.
    pub name: Option<String>,
    /// What is wrong, in words.
    pub problem: String,
}

fn meta_aad(account: u64, id: u64, header: &[u8]) -> Vec<u8> {
    [b"secure-photo-gallery v1 metadata".as_slice(), &account.to_be_bytes(), &id.to_be_bytes(), header].concat()
}

fn thumb_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 thumbnail".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn placeholder_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 placeholder".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn private_thumb_aad(account: u64, id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v2 private thumbnail".as_slice(), &account.to_be_bytes(), &id.to_be_bytes()].concat()
}

fn key_aad(id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 photo-key".as_slice(), &id.to_be_bytes()].concat()
}

/// Crypto chunks stored together in one redb value for the bulk of a photo.
const CHUNKS_PER_SEGMENT: u32 = 16;

/// How many STREAM chunks each stored value ("segment") of a photo holds: full segments
/// of 16 chunks (1 MiB − 1 KiB), then the remaining chunks one per value. redb gives a
/// large value the next power-of-two allocation, so this layout wastes under 64 KiB per
/// photo, where one value for the tail wasted up to half of it (see docs/FORMAT.md).
fn segment_sizes(chunk_count: u32) -> impl Iterator<Item = u32> {
    let full = chunk_count / CHUNKS_PER_SEGMENT;
    std::iter::repeat_n(CHUNKS_PER_SEGMENT, full as usize)
        .chain(std::iter::repeat_n(1, (chunk_count % CHUNKS_PER_SEGMENT) as usize))
}

/// The MAC that `verify` checks: over the photo ID and every stored segment with its index.
struct ChunkMac(KeyedHasher);

impl ChunkMac {
    fn new(key: &SecretKey, id: u64) -> Self {
        let mut h = KeyedHasher::new(key);
        h.update(&id.to_be_bytes());
        Self(h)
    }
    fn segment(&mut self, index: u32, chunk: &[u8]) {
        self.0.update(&index.to_be_bytes());
        self.0.update(&(chunk.len() as u64).to_be_bytes());
        self.0.update(chunk);
    }
}

impl PhotoMeta {
    /// The date taken as seconds since the epoch (its local time read as UTC), when it is
    /// known and reads as a date.
    pub fn taken_time(&self) -> Option<i64> {
        self.taken_at.as_deref().and_then(taken_time)
    }
}

/// [`PhotoMeta::taken_time`] of a date taken as the metadata says it (`2024-06-01T10:00:00`).
fn taken_time(iso: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(iso.get(..19)?, &fmt).ok()?;
    Some(local.assume_utc().unix_timestamp())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vault::Vault;

    /// A vault with one account using `previews`, and one stored photo (800x600).
    pub(crate) fn one_photo(previews: Previews) -> (tempfile::TempDir, Session, PhotoId, PhotoPassword, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        vault.register("alice", "alice@example.com", "correct horse battery staple", previews).unwrap();
        let session = vault.open_session("alice", "correct horse battery staple").unwrap();
        let picture = image::RgbImage::from_fn(800, 600, |x, y| image::Rgb([(x / 4) as u8, (y / 3) as u8, 77]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&picture).unwrap();
        let sharp = crate::imaging::analyze(&bytes).unwrap().thumbnail_jpeg;
        let prepared = store(&session, "scan.jpg", &bytes, &bytes);
        (dir, session, prepared.id, prepared.password.clone(), sharp)
    }

    /// Stores `bytes` as the photo `name`, with the previews imaging makes of the picture
    /// `shown` (the bytes themselves, or a stand-in when they are not a picture).
    pub(crate) fn store(session: &Session, name: &str, shown: &[u8], bytes: &[u8]) -> PreparedPhoto {
        let prepared = prepare(session, name, shown, bytes);
        session.store(&prepared, bytes).unwrap();
        prepared
    }

    /// Prepares `bytes` as the photo `name`, as [`store`] does, without storing it.
    fn prepare(session: &Session, name: &str, shown: &[u8], bytes: &[u8]) -> PreparedPhoto {
        let analysis = crate::imaging::analyze(shown).unwrap();
        let hash = session.content_hash(bytes);
        let new = crate::service::import::new_photo(analysis, name.into(), bytes.len() as u64, 0, hash);
        session.prepare(new).unwrap()
    }

    #[test]
    fn many_photos_are_deleted_in_one_call_each_once_and_a_missing_one_is_answered() {
        let (_dir, session, first, _, _) = one_photo(Previews::Sharp);
        let mut ids = vec![first];
        for shade in [10u8, 200] {
            let picture = image::RgbImage::from_fn(64, 48, |x, _| image::Rgb([x as u8, shade, 0]));
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&picture).unwrap();
            ids.push(store(&session, &format!("{shade}.jpg"), &bytes, &bytes).id);
        }
        let missing = PhotoId(ids.iter().map(|id| id.0).max().unwrap() + 1);
        let answers = session.delete_many(&[ids[0], missing, ids[2], ids[0]]).unwrap();
        let said: Vec<_> = answers.iter().map(|(id, r)| (*id, r.is_ok())).collect();
        assert_eq!(said, [(ids[0], true), (missing, false), (ids[2], true)], "in order, each once");
        assert!(matches!(answers[1].1, Err(PhotoError::NotFound(id)) if id == missing));
        let (left, damaged) = session.list().unwrap();
        assert_eq!((left.iter().map(|p| p.id).collect::<Vec<_>>(), damaged), (vec![ids[1]], vec![]));
        // The manifest took every removal: nothing is reported, and a new login agrees.
        assert!(session.verify().unwrap().problems.is_empty());
        let again = session.vault().open_session("alice", "correct horse battery staple").unwrap();
        assert!(again.manifest_problems().is_empty());
        // Deleting the deleted again changes nothing and says so.
        let answers = session.delete_many(&[ids[0]]).unwrap();
        assert!(matches!(answers[0].1, Err(PhotoError::NotFound(_))));
    }

    #[test]
    fn a_changed_byte_of_a_photo_whose_password_is_right_says_damaged_not_locked() {
        let (_dir, session, id, password, _) = one_photo(Previews::Sharp);
        let txn = session.vault.db.begin_write().unwrap();
        {
            let mut chunks = txn.open_table(CHUNKS).unwrap();
            let mut value = chunks.get((id.0, 0)).unwrap().unwrap().value().to_vec();
            value[100] ^= 1;
            chunks.insert((id.0, 0), value.as_slice()).unwrap();
        }
        txn.commit().unwrap();
        let right = PhotoUnlock::Password(&password);
        assert!(matches!(session.decrypt(id, &right), Err(PhotoError::Damaged(i)) if i == id));
        let wrong = PhotoPassword::parse("AAAAA-AAAAA-AAAAA-AAAAA").unwrap();
        assert!(matches!(session.decrypt(id, &PhotoUnlock::Password(&wrong)), Err(PhotoError::Locked(i)) if i == id));
    }

    #[test]
    fn verify_counts_what_it_checked_says_how_far_it_is_and_stops_when_told() {
        let (_dir, session, _, _, _) = one_photo(Previews::Sharp);
        let mut said = Vec::new();
        let report = session.verify_reporting(|checked, of| {
            said.push((checked, of));
            std::ops::ControlFlow::Continue(())
        });
        assert_eq!(report.unwrap(), Some(VerifyReport { checked: 1, problems: vec![], albums: vec![] }));
        assert_eq!((said.first(), said.last()), (Some(&(0, 1)), Some(&(1, 1))), "at first and at the end");
        // Told to stop (the app locked), it stops before reading on, and says it stopped.
        let stopped = session.verify_reporting(|_, _| std::ops::ControlFlow::Break(()));
        assert_eq!(stopped.unwrap(), None);
        assert_eq!(session.verify().unwrap().checked, 1);
    }

    #[test]
    fn photos_written_in_one_transaction_are_each_listed_once_and_a_repeat_is_a_duplicate() {
        let (_dir, session, first, _, _) = one_photo(Previews::Sharp);
        let sealed = |name: &str, bytes: &[u8]| {
            let prepared = prepare(&session, name, bytes, bytes);
            (prepared.id, session.seal(&prepared, bytes).unwrap())
        };
        let pictures: Vec<Vec<u8>> = (0..3u8)
            .map(|n| {
                let mut bytes = Vec::new();
                let picture = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([n * 80, x as u8, y as u8]));
                image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&picture).unwrap();
                bytes
            })
            .collect();
        let (a, b, c) = (sealed("a.jpg", &pictures[0]), sealed("b.jpg", &pictures[1]), sealed("c.jpg", &pictures[2]));
        let again = sealed("a again.jpg", &pictures[0]);
        let results = session.write_all(vec![a.1, b.1, again.1, c.1]).unwrap();
        let said: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(said, [true, true, false, true]);
        assert!(matches!(results[2], Err(StoreError::Duplicate)), "the same bytes within the run");
        let mut listed: Vec<PhotoId> = session.list().unwrap().0.iter().map(|p| p.id).collect();
        let mut expected = vec![first, a.0, b.0, c.0];
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected);
        // The manifest took every photo of the run: a new login finds nothing amiss.
        assert!(session.verify().unwrap().problems.is_empty());
        let again = session.vault().open_session("alice", "correct horse battery staple").unwrap();
        assert!(again.manifest_problems().is_empty());
    }

    #[test]
    fn compaction_runs_only_when_worth_it_and_keeps_every_photo() {
        let (_dir, session, first, password, _) = one_photo(Previews::Sharp);
        let mut big = Vec::new();
        for n in 0..6u8 {
            let bytes: Vec<u8> =
                crate::crypto::random_array::<32>().repeat(64 * 1024).into_iter().map(|b| b ^ n).collect();
            big.push(store(&session, &format!("{n}.bin"), &session_jpeg(), &bytes).id);
        }
        let mut vault = session.vault().clone();
        assert!(matches!(vault.compact_if_worth_it(), Err(StorageError::Busy)), "a session is open");
        session.delete_many(&big).unwrap();
        drop(session);
        let (before, after) = vault.compact_if_worth_it().unwrap().expect("12 MiB deleted is worth it");
        assert!(after < before / 2, "{before} -> {after}");
        assert_eq!(vault.compact_if_worth_it().unwrap(), None, "nothing left to give back");
        let session = vault.open_session("alice", "correct horse battery staple").unwrap();
        let (_, bytes) = session.decrypt(first, &PhotoUnlock::Password(&password)).unwrap();
        assert!(image::load_from_memory(&bytes).is_ok(), "the kept photo opens");
        assert!(session.verify().unwrap().problems.is_empty());
    }

    fn session_jpeg() -> Vec<u8> {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&image::RgbImage::new(8, 8)).unwrap();
        bytes
    }

    fn side(jpeg: &[u8]) -> u32 {
        let picture = image::load_from_memory(jpeg).unwrap();
        picture.width().max(picture.height())
    }

    /// Every stored preview row of the photo, as the file holds them.
    fn preview_rows(session: &Session, id: PhotoId) -> Vec<Vec<u8>> {
        let txn = session.vault.db.begin_read().unwrap();
        [THUMBNAILS, PRIVATE_THUMBNAILS]
            .into_iter()
            .filter_map(|t| txn.open_table(t).unwrap().get(id.0).unwrap().map(|g| g.value().to_vec()))
            .collect()
    }

    #[test]
    fn with_blurred_previews_the_login_alone_opens_nothing_but_the_placeholder() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Blurred);
        assert!(side(&session.thumbnail(id).unwrap()) <= crate::imaging::PLACEHOLDER_MAX_SIDE);
        // Every key the master key gives, under every preview's associated data: no row
        // opens to more than the placeholder.
        let aads = [
            thumb_aad(session.account_id, id.0),
            placeholder_aad(session.account_id, id.0),
            private_thumb_aad(session.account_id, id.0),
        ];
        let mut opened = Vec::new();
        for row in preview_rows(&session, id) {
            let keys = session.keys();
            let master = keys.current().clone();
            for key in Subkey::ALL.iter().map(|s| keys.current_subkey(*s)).chain([master]) {
                for aad in &aads {
                    if let Ok(plain) = open_padded(&key, aad, &row) {
                        opened.push(plain);
                    }
                }
            }
        }
        assert_eq!(opened.len(), 1, "only the placeholder opens with the login");
        assert!(side(&opened[0]) <= crate::imaging::PLACEHOLDER_MAX_SIDE);
        // The photo's password shows the sharp one.
        let stored = session.stored_previews(id, &PhotoUnlock::Password(&password)).unwrap();
        assert_eq!(stored.thumbnail.as_deref().map(|t| &t[..]), Some(&sharp[..]));
        assert!(stored.current);
        assert!(session.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn hidden_previews_show_nothing_until_unlocked() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Hidden);
        assert!(matches!(session.thumbnail(id), Err(PhotoError::PreviewHidden(i)) if i == id));
        let stored = session.stored_previews(id, &PhotoUnlock::Password(&password)).unwrap();
        assert_eq!(stored.thumbnail.as_deref().map(|t| &t[..]), Some(&sharp[..]));
        assert!(session.stored_previews(id, &PhotoUnlock::Password(&PhotoPassword::generate())).is_err());
        assert!(session.verify().unwrap().problems.is_empty());
    }
}
