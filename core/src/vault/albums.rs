//! Albums: an account's named groups of its own photos ("Passport", "Medical", "Kids"). A
//! photo can be in several albums, or in none; deleting an album leaves its photos.
//!
//! Each album is one row of the `albums` table, sealed under the metadata subkey of the
//! generation current when it was written (named in the row's first four bytes, so a
//! password change rewrites no album, and one written after it does not open with a key
//! from before). The account's profile lists every album by id with the digest of its
//! row: the manifest pins the profile, so a file writer (or someone who knew an older
//! password) cannot add, drop, or change an album, or move photos between albums,
//! unnoticed. A backup carries the rows in its snapshot, and the profile in the record.
//!
//! A deleted photo's id stays in an album until the album is next written: readers show
//! only the photos the account has (`docs/FORMAT.md`, Albums).

use std::collections::BTreeSet;

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{Subkey, open_padded, seal_padded};

use super::error::StorageError;
use super::keys::AccountKeys;
use super::manifest::album_digest;
use super::records::{decode, encode};
use super::schema::{ALBUMS, PHOTOS};
use super::{PhotoId, Session};

/// The longest album name, in characters.
pub const ALBUM_NAME_MAX: usize = 100;

/// What the profile keeps of an album: its id and the digest of its row as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AlbumPin {
    pub id: u64,
    pub digest: [u8; 16],
}

/// An album as sealed in its row. `photos` holds the photo ids ascending, each as its
/// difference from the one before (the first as it is): the photos of one import have
/// consecutive ids, so most take one byte.
#[derive(Serialize, Deserialize)]
struct AlbumRecord {
    name: String,
    created_at: i64,
    cover: Option<u64>,
    photos: Vec<u64>,
}

/// An album of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Album {
    /// Its id within the account (1, 2, …).
    pub id: u64,
    /// Its name, as the owner typed it.
    pub name: String,
    /// When it was created (Unix seconds).
    pub created_at: i64,
    /// The photo chosen to show it, if any (else the newest of its photos is shown).
    pub cover: Option<PhotoId>,
    /// Its photos, ascending by id (some may have been deleted since; see the module).
    pub photos: Vec<PhotoId>,
}

/// An album the profile lists whose row does not match: found by every read of the albums
/// and named by `verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlbumProblem {
    /// The profile lists the album, and the file has no row for it.
    #[error("album {0}: its row is missing from the vault file")]
    Missing(u64),
    /// The row is not the one the profile pins, or does not open.
    #[error("album {0}: its row was changed, or replaced by another")]
    Changed(u64),
    /// A row of the account that the profile does not list.
    #[error("album row {0} is not one of the account's albums: it was added to the file, or put back after a delete")]
    Unlisted(u64),
}

/// The account's albums as read: those that open, and what does not match.
#[derive(Debug, Default)]
pub struct Albums {
    /// The albums whose rows open and match, ascending by id.
    pub albums: Vec<Album>,
    /// What the profile and the rows do not agree on.
    pub problems: Vec<AlbumProblem>,
}

/// Why an album change was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlbumError {
    /// No album has that name.
    #[error("there is no album named “{0}”: `album list` shows them")]
    NoSuchAlbum(String),
    /// Another album has that name (names are compared without case).
    #[error("there is already an album named “{0}”: choose another name")]
    NameTaken(String),
    /// The name is empty, too long, or holds control characters.
    #[error("“{0}” cannot be an album name: use 1 to {ALBUM_NAME_MAX} characters, no line breaks or tabs")]
    BadName(String),
    /// A photo id that is not one of the account's photos.
    #[error("photo {0} is not one of this account's photos")]
    NotYours(PhotoId),
    /// The photo is not in that album.
    #[error("photo {0} is not in the album “{1}”: add it first")]
    NotInAlbum(PhotoId, String),
    /// The album's row is damaged: it cannot be changed (`verify` names it).
    #[error("the album “{0}” cannot be changed: its row in the vault is damaged (`verify` says more)")]
    Damaged(String),
    /// Reading or writing the vault failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks an album name and returns it without surrounding white space.
pub fn album_name(name: &str) -> Result<String, AlbumError> {
    let trimmed = name.trim();
    let ok = !trimmed.is_empty() && trimmed.chars().count() <= ALBUM_NAME_MAX && !trimmed.chars().any(char::is_control);
    if ok { Ok(trimmed.to_string()) } else { Err(AlbumError::BadName(name.to_string())) }
}

/// The associated data of album `album`'s row. No vault id: a restore writes the row into
/// another vault byte for byte, as it writes a photo's record.
fn album_aad(account: u64, album: u64, generation: u32) -> Vec<u8> {
    [
        b"secure-photo-gallery v3 album".as_slice(),
        &account.to_be_bytes(),
        &album.to_be_bytes(),
        &generation.to_be_bytes(),
    ]
    .concat()
}

/// The row of `album`: the generation of `keys` now, then the record sealed under its
/// metadata subkey.
fn seal_album(keys: &AccountKeys, account: u64, album: &Album) -> Vec<u8> {
    let mut previous = 0;
    let photos = album
        .photos
        .iter()
        .map(|id| {
            let delta = id.0 - previous;
            previous = id.0;
            delta
        })
        .collect();
    let record =
        AlbumRecord { name: album.name.clone(), created_at: album.created_at, cover: album.cover.map(|c| c.0), photos };
    let generation = keys.generation();
    let plain = Zeroizing::new(encode(&record));
    let aad = album_aad(account, album.id, generation);
    [generation.to_be_bytes().as_slice(), &seal_padded(&keys.current_subkey(Subkey::Metadata), &aad, &plain)].concat()
}

/// Opens album `id`'s row; `None` when it does not open or is not well formed.
fn open_album(keys: &AccountKeys, account: u64, id: u64, row: &[u8]) -> Option<Album> {
    let (generation, sealed) = row.split_first_chunk::<4>()?;
    let generation = u32::from_be_bytes(*generation);
    let key = keys.subkey(generation, Subkey::Metadata)?;
    let plain = Zeroizing::new(open_padded(&key, &album_aad(account, id, generation), sealed).ok()?);
    let record: AlbumRecord = decode(&plain).ok()?;
    let mut photos = Vec::with_capacity(record.photos.len());
    let mut previous: Option<u64> = None;
    for delta in record.photos {
        let id = match previous {
            None => delta,
            Some(p) if delta > 0 => p.checked_add(delta)?,
            Some(_) => return None,
        };
        photos.push(PhotoId::from_u64(id)?);
        previous = Some(id);
    }
    let cover = match record.cover {
        Some(c) => Some(PhotoId::from_u64(c)?),
        None => None,
    };
    album_name(&record.name).ok().filter(|n| *n == record.name)?;
    Some(Album { id, name: record.name, created_at: record.created_at, cover, photos })
}

impl Session {
    /// The first photo that `changed` adds to an album (or makes its cover), of those in
    /// `old`, that the account does not have.
    fn first_not_held(
        &self,
        changed: &[&Album],
        old: &std::collections::BTreeMap<u64, &Album>,
    ) -> Result<Option<PhotoId>, StorageError> {
        let txn = self.vault.db.begin_read()?;
        let photos = match txn.open_table(PHOTOS) {
            Ok(table) => Some(table),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        for album in changed {
            let had: BTreeSet<PhotoId> =
                old.get(&album.id).map(|a| a.photos.iter().copied().collect()).unwrap_or_default();
            for id in album.photos.iter().chain(album.cover.iter()).filter(|id| !had.contains(id)) {
                let held = match &photos {
                    Some(photos) => photos.get((self.account_id, id.0))?.is_some(),
                    None => false,
                };
                if !held {
                    return Ok(Some(*id));
                }
            }
        }
        Ok(None)
    }

    /// The account's albums, checked against the profile's pins.
    pub(crate) fn albums(&self) -> Result<Albums, StorageError> {
        let txn = self.vault.db.begin_read()?;
        let table = match txn.open_table(ALBUMS) {
            Ok(table) => Some(table),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let pins = self.profile().albums;
        let keys = self.keys();
        let mut found = Albums::default();
        for pin in &pins {
            let row = match &table {
                Some(table) => table.get((self.account_id, pin.id))?.map(|v| v.value().to_vec()),
                None => None,
            };
            let Some(row) = row else {
                found.problems.push(AlbumProblem::Missing(pin.id));
                continue;
            };
            let album = (album_digest(pin.id, &row) == pin.digest)
                .then(|| open_album(&keys, self.account_id, pin.id, &row))
                .flatten();
            match album {
                Some(album) => found.albums.push(album),
                None => found.problems.push(AlbumProblem::Changed(pin.id)),
            }
        }
        if let Some(table) = &table {
            let listed: BTreeSet<u64> = pins.iter().map(|p| p.id).collect();
            for row in table.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                let id = row?.0.value().1;
                if !listed.contains(&id) {
                    found.problems.push(AlbumProblem::Unlisted(id));
                }
            }
        }
        Ok(found)
    }

    /// Changes the albums: `change` gets those that open (ascending by id) and may rename,
    /// add, remove or fill them (a new album has id 0: it is given the next free one). The
    /// names are checked, the photos added must be the account's, and the albums written,
    /// with the profile that pins them, in one transaction. Returns the albums after.
    pub(crate) fn change_albums(
        &self,
        change: impl FnOnce(&mut Vec<Album>) -> Result<(), AlbumError>,
    ) -> Result<Vec<Album>, AlbumError> {
        let before = self.albums()?;
        let mut after = before.albums.clone();
        change(&mut after)?;
        let mut names = BTreeSet::new();
        let mut next_id = self.profile().albums.iter().map(|p| p.id).max().unwrap_or(0) + 1;
        for album in &mut after {
            album.name = album_name(&album.name)?;
            if !names.insert(album.name.to_lowercase()) {
                return Err(AlbumError::NameTaken(album.name.clone()));
            }
            album.photos.sort_unstable();
            album.photos.dedup();
            if album.id == 0 {
                album.id = next_id;
                next_id += 1;
            }
        }
        after.sort_by_key(|a| a.id);
        let old: std::collections::BTreeMap<u64, &Album> = before.albums.iter().map(|a| (a.id, a)).collect();
        let changed: Vec<&Album> = after.iter().filter(|a| old.get(&a.id).copied() != Some(a)).collect();
        // Every photo added must be one of the account's.
        if let Some(stranger) = self.first_not_held(&changed, &old)? {
            return Err(AlbumError::NotYours(stranger));
        }
        let kept: BTreeSet<u64> = after.iter().map(|a| a.id).collect();
        let damaged: BTreeSet<u64> = before
            .problems
            .iter()
            .filter_map(|p| match p {
                AlbumProblem::Missing(id) | AlbumProblem::Changed(id) => Some(*id),
                AlbumProblem::Unlisted(_) => None,
            })
            .collect();
        let mut written = after.clone();
        self.edit_profile(|profile, keys, txn| {
            let photos = txn.open_table(PHOTOS)?;
            let mut table = txn.open_table(ALBUMS)?;
            // A damaged album keeps its pin (and its row as it is): `verify` names it.
            let mut pins: Vec<AlbumPin> = profile.albums.iter().filter(|p| damaged.contains(&p.id)).copied().collect();
            for album in &mut written {
                let pinned = profile.albums.iter().find(|p| p.id == album.id).copied();
                let pin = match pinned {
                    Some(pin) if old.get(&album.id) == Some(&&*album) => pin,
                    _ => {
                        // Photos deleted since they were added leave the album as it is written.
                        let mut gone = Vec::new();
                        for id in &album.photos {
                            if photos.get((self.account_id, id.0))?.is_none() {
                                gone.push(*id);
                            }
                        }
                        album.photos.retain(|id| !gone.contains(id));
                        if album.cover.is_some_and(|c| gone.contains(&c)) {
                            album.cover = None;
                        }
                        let row = seal_album(keys, self.account_id, album);
                        table.insert((self.account_id, album.id), row.as_slice())?;
                        AlbumPin { id: album.id, digest: album_digest(album.id, &row) }
                    }
                };
                pins.push(pin);
            }
            for pin in &profile.albums {
                if !kept.contains(&pin.id) && !damaged.contains(&pin.id) {
                    table.remove((self.account_id, pin.id))?;
                }
            }
            pins.sort_by_key(|p| p.id);
            profile.albums = pins;
            Ok(())
        })?;
        Ok(written)
    }
}

/// The album rows of `account` that `pins` pin, as stored: what a backup's snapshot
/// carries (a row that does not match its pin is left out; `verify` names it here).
pub(crate) fn pinned_rows(
    txn: &redb::ReadTransaction,
    account: u64,
    pins: &[AlbumPin],
) -> Result<Vec<(u64, Vec<u8>)>, StorageError> {
    let table = match txn.open_table(ALBUMS) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut rows = Vec::with_capacity(pins.len());
    for pin in pins {
        if let Some(row) = table.get((account, pin.id))?
            && album_digest(pin.id, row.value()) == pin.digest
        {
            rows.push((pin.id, row.value().to_vec()));
        }
    }
    Ok(rows)
}

/// Of the album rows a backup carries, those `pins` pin (the others are left out).
pub(crate) fn keep_pinned(rows: Vec<(u64, Vec<u8>)>, pins: &[AlbumPin]) -> Vec<(u64, Vec<u8>)> {
    rows.into_iter()
        .filter(|(id, row)| pins.iter().any(|p| p.id == *id && p.digest == album_digest(*id, row)))
        .collect()
}

/// The album named `name` among `albums` (names compared without case).
pub fn find_album<'a>(albums: &'a mut [Album], name: &str) -> Result<&'a mut Album, AlbumError> {
    let wanted = name.trim().to_lowercase();
    albums.iter_mut().find(|a| a.name.to_lowercase() == wanted).ok_or_else(|| AlbumError::NoSuchAlbum(name.to_string()))
}
