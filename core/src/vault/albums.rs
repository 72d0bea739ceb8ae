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

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{Subkey, open_padded};

use super::error::StorageError;
use super::keys::AccountKeys;
use super::manifest::album_digest;
use super::records::{decode, seal_encoded};
use super::schema::{ALBUMS, PHOTOS, table_if_any};
use super::{PhotoId, Session};

/// The longest album name, in characters.
pub const ALBUM_NAME_MAX: usize = 100;

/// What the profile keeps of an album: its id and the digest of its row as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AlbumPin {
    pub id: u64,
    pub digest: [u8; 16],
}

impl AlbumPin {
    /// Whether `row`, as stored, is the one this pins.
    fn pins(&self, row: &[u8]) -> bool {
        album_digest(self.id, row) == self.digest
    }
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
    /// The photo chosen to show it, if any (else one of its photos is shown).
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
    /// The name is empty (or only white space).
    #[error("an album needs a name: type one, up to {ALBUM_NAME_MAX} characters")]
    NoName,
    /// The name is too long, or holds control characters.
    #[error("“{0}” cannot be an album name: use 1 to {ALBUM_NAME_MAX} characters, no line breaks or tabs")]
    BadName(String),
    /// A photo id that is not one of the account's photos.
    #[error("photo {0} is not one of this account's photos")]
    NotYours(PhotoId),
    /// The photo is not in that album.
    #[error("photo {0} is not in the album “{1}”: add it first")]
    NotInAlbum(PhotoId, String),
    /// Reading or writing the vault failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks an album name and returns it without surrounding white space.
pub fn album_name(name: &str) -> Result<String, AlbumError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(AlbumError::NoName);
    }
    let ok = trimmed.chars().count() <= ALBUM_NAME_MAX && !trimmed.chars().any(char::is_control);
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
    let aad = album_aad(account, album.id, generation);
    [generation.to_be_bytes().as_slice(), &seal_encoded(&keys.current_subkey(Subkey::Metadata), &aad, &record)].concat()
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

/// The albums `pins` pin, read from `table` (`None`: the vault has no album table yet) and
/// checked against their pins; rows of `account` no pin lists are named too.
fn read_albums(
    table: Option<&impl ReadableTable<(u64, u64), &'static [u8]>>,
    keys: &AccountKeys,
    account: u64,
    pins: &[AlbumPin],
) -> Result<Albums, StorageError> {
    let mut found = Albums::default();
    for pin in pins {
        let row = match table {
            Some(table) => table.get((account, pin.id))?,
            None => None,
        };
        let Some(row) = row else {
            found.problems.push(AlbumProblem::Missing(pin.id));
            continue;
        };
        let row = row.value();
        let album = pin.pins(row).then(|| open_album(keys, account, pin.id, row)).flatten();
        match album {
            Some(album) => found.albums.push(album),
            None => found.problems.push(AlbumProblem::Changed(pin.id)),
        }
    }
    if let Some(table) = table {
        let listed: BTreeSet<u64> = pins.iter().map(|p| p.id).collect();
        for row in table.range((account, 0)..=(account, u64::MAX))? {
            let id = row?.0.value().1;
            if !listed.contains(&id) {
                found.problems.push(AlbumProblem::Unlisted(id));
            }
        }
    }
    Ok(found)
}

impl Session {
    /// The account's albums, checked against the profile's pins.
    pub(crate) fn albums(&self) -> Result<Albums, StorageError> {
        let txn = self.vault.db.begin_read()?;
        let table = table_if_any(&txn, ALBUMS)?;
        read_albums(table.as_ref(), &self.keys(), self.account_id, &self.profile().albums)
    }

    /// Changes the albums: `change` gets those that open (ascending by id) and may rename,
    /// add, remove or fill them (a new album has id 0: it is given the next free one). The
    /// names are checked, the photos added must be the account's, and the albums written,
    /// with the profile that pins them, in one transaction, in which the albums and the
    /// profile are read too: two changes at once never undo each other. Returns the
    /// albums after.
    pub(crate) fn change_albums(
        &self,
        change: impl FnOnce(&mut Vec<Album>) -> Result<(), AlbumError>,
    ) -> Result<Vec<Album>, AlbumError> {
        let mut written = Vec::new();
        self.edit_profile(|profile, keys, txn| -> Result<Vec<_>, AlbumError> {
            let photos = txn.open_table(PHOTOS).map_err(StorageError::from)?;
            let mut table = txn.open_table(ALBUMS).map_err(StorageError::from)?;
            let before = read_albums(Some(&table), keys, self.account_id, &profile.albums)?;
            let mut after = before.albums.clone();
            change(&mut after)?;
            let mut names = BTreeSet::new();
            let mut next_id = profile.albums.iter().map(|p| p.id).max().unwrap_or(0) + 1;
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
            let old: BTreeMap<u64, &Album> = before.albums.iter().map(|a| (a.id, a)).collect();
            let held = |id: PhotoId| -> Result<bool, StorageError> {
                Ok(photos.get((self.account_id, id.0)).map_err(StorageError::from)?.is_some())
            };
            // A damaged album keeps its pin (and its row as it is): `verify` names it.
            let damaged: BTreeSet<u64> = before
                .problems
                .iter()
                .filter_map(|p| match p {
                    AlbumProblem::Missing(id) | AlbumProblem::Changed(id) => Some(*id),
                    AlbumProblem::Unlisted(_) => None,
                })
                .collect();
            let mut pins: Vec<AlbumPin> = profile.albums.iter().filter(|p| damaged.contains(&p.id)).copied().collect();
            for album in &mut after {
                let pinned = profile.albums.iter().find(|p| p.id == album.id).copied();
                if let Some(pin) = pinned.filter(|_| old.get(&album.id) == Some(&&*album)) {
                    pins.push(pin);
                    continue;
                }
                // Every photo added (or made the cover) must be one of the account's; those
                // deleted since they were added leave the album as it is written.
                let had: BTreeSet<PhotoId> =
                    old.get(&album.id).map(|a| a.photos.iter().copied().collect()).unwrap_or_default();
                for id in album.photos.iter().chain(album.cover.iter()).filter(|id| !had.contains(id)) {
                    if !held(*id)? {
                        return Err(AlbumError::NotYours(*id));
                    }
                }
                let mut gone = BTreeSet::new();
                for id in &had {
                    if !held(*id)? {
                        gone.insert(*id);
                    }
                }
                album.photos.retain(|id| !gone.contains(id));
                if album.cover.is_some_and(|c| gone.contains(&c)) {
                    album.cover = None;
                }
                let row = seal_album(keys, self.account_id, album);
                table.insert((self.account_id, album.id), row.as_slice()).map_err(StorageError::from)?;
                pins.push(AlbumPin { id: album.id, digest: album_digest(album.id, &row) });
            }
            let kept: BTreeSet<u64> = after.iter().map(|a| a.id).collect();
            for pin in &profile.albums {
                if !kept.contains(&pin.id) && !damaged.contains(&pin.id) {
                    table.remove((self.account_id, pin.id)).map_err(StorageError::from)?;
                }
            }
            pins.sort_by_key(|p| p.id);
            profile.albums = pins;
            written = after;
            Ok(Vec::new())
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
    let Some(table) = table_if_any(txn, ALBUMS)? else { return Ok(Vec::new()) };
    let mut rows = Vec::with_capacity(pins.len());
    for pin in pins {
        if let Some(row) = table.get((account, pin.id))?
            && pin.pins(row.value())
        {
            rows.push((pin.id, row.value().to_vec()));
        }
    }
    Ok(rows)
}

/// Of the album rows a backup carries, those `pins` pin (the others are left out).
pub(crate) fn keep_pinned(rows: Vec<(u64, Vec<u8>)>, pins: &[AlbumPin]) -> Vec<(u64, Vec<u8>)> {
    rows.into_iter().filter(|(id, row)| pins.iter().any(|p| p.id == *id && p.pins(row))).collect()
}

/// The album named `name` among `albums` (names compared without case).
pub fn find_album<'a>(albums: &'a mut [Album], name: &str) -> Result<&'a mut Album, AlbumError> {
    let wanted = name.trim().to_lowercase();
    albums.iter_mut().find(|a| a.name.to_lowercase() == wanted).ok_or_else(|| AlbumError::NoSuchAlbum(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Previews;
    use crate::vault::photos::tests::one_photo;
    use crate::vault::records::encode;

    /// Makes album `name` holding `photos`, the one way albums change.
    fn add_album(session: &Session, name: &str, photos: &[PhotoId]) {
        let album = Album { id: 0, name: name.into(), created_at: 0, cover: None, photos: photos.to_vec() };
        session
            .change_albums(|albums| {
                albums.push(album);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn albums_changed_at_once_from_many_threads_are_all_kept() {
        let (_dir, session, photo, _, _) = one_photo(Previews::Sharp);
        std::thread::scope(|scope| {
            for i in 0..6 {
                let session = &session;
                scope.spawn(move || add_album(session, &format!("album {i}"), &[photo]));
            }
        });
        let found = session.albums().unwrap();
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let mut ids: Vec<u64> = found.albums.iter().map(|a| a.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6], "each its own id, none lost");
        assert!(found.albums.iter().all(|a| a.photos == [photo]));
    }

    #[test]
    fn a_record_made_before_an_album_change_keeps_the_album_when_it_is_taken() {
        // A password change made from the record as it was before an album was made (or
        // one brought from another computer's backup) keeps this vault's albums.
        let (_dir, session, photo, _, _) = one_photo(Previews::Sharp);
        let (keys, before, profile) = (session.keys(), session.stored_record().unwrap(), session.profile());
        add_album(&session, "Passport", &[photo]);
        let (next, record) = crate::vault::account::next_generation(
            &keys,
            &before,
            session.account_id,
            &profile,
            "a second password here",
        )
        .unwrap();
        session.take_record(&encode(&record), &next).unwrap();
        let found = session.albums().unwrap();
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.albums.len(), 1);
        assert_eq!(
            (found.albums[0].name.as_str(), found.albums[0].photos.as_slice()),
            ("Passport", [photo].as_slice())
        );
        // A change after it seals under the new generation; the first row stays under the first.
        add_album(&session, "Kids", &[]);
        let txn = session.vault.db.begin_read().unwrap();
        let table = txn.open_table(ALBUMS).unwrap();
        let generation = |id: u64| table.get((session.account_id, id)).unwrap().unwrap().value()[..4].to_vec();
        assert_eq!((generation(1), generation(2)), (1u32.to_be_bytes().to_vec(), 2u32.to_be_bytes().to_vec()));
    }

    #[test]
    fn a_profile_change_made_from_an_older_copy_keeps_the_albums() {
        // Mail settings, previews, the outbox list and a backup's end write the profile
        // from a copy taken before; an album made meanwhile stays.
        let (_dir, session, photo, _, _) = one_photo(Previews::Sharp);
        let mut copy = session.profile();
        add_album(&session, "Passport", &[photo]);
        copy.outbox.push([7; 32]);
        session.set_profile(copy).unwrap();
        let found = session.albums().unwrap();
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.albums.len(), 1);
        assert_eq!(session.profile().outbox, [[7; 32]], "the change itself is made");
    }

    #[test]
    fn a_profile_written_before_albums_reads_as_having_none() {
        let (_dir, session, _, _, _) = one_photo(Previews::Sharp);
        let mut plain = encode(&session.profile());
        assert_eq!(plain.pop(), Some(0), "an empty list of albums ends it");
        let profile: crate::vault::Profile = super::super::records::decode_growing(&plain).unwrap();
        assert!(profile.albums.is_empty() && profile.email == "alice@example.com");
    }
}
