//! Albums, by name: what the app and the command line do with them, each in one
//! transaction (`vault::albums` keeps them sealed and pinned).

use std::collections::BTreeSet;

use crate::vault::{Album, AlbumError, Albums, Catalog, PhotoId, StorageError, find_album};

use super::Account;

/// What an album is shown as: its id, name, how many of its photos the account has, and
/// the photo shown for it (the chosen cover while the account has it, else the one of its
/// photos with the highest id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumSummary {
    pub id: u64,
    pub name: String,
    pub count: usize,
    pub cover: Option<PhotoId>,
}

/// The account's albums, in name order, each counted against `held` (whether the account
/// has a photo: an album may still name a photo deleted since).
pub fn album_summaries(albums: &Albums, held: impl Fn(PhotoId) -> bool) -> Vec<AlbumSummary> {
    let mut summaries: Vec<AlbumSummary> = albums
        .albums
        .iter()
        .map(|album| {
            let mut photos = album.photos.iter().filter(|id| held(**id));
            let count = photos.clone().count();
            let cover = album.cover.filter(|c| held(*c)).or_else(|| photos.next_back().copied());
            AlbumSummary { id: album.id, name: album.name.clone(), count, cover }
        })
        .collect();
    summaries.sort_by_cached_key(|s| name_order(&s.name));
    summaries
}

/// The order albums are listed in, as people read names: without case or accents
/// ("Ärzte" by "Arzt"), and numbers by their value ("Album 2" before "Album 10").
fn name_order(name: &str) -> Vec<(String, u128)> {
    use unicode_normalization::UnicodeNormalization as _;
    let plain: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    // Runs of letters and of digits: a digit run is compared by its value.
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = plain.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut digits = String::from(c);
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            key.push((std::mem::take(&mut text), digits.parse().unwrap_or(u128::MAX)));
        } else {
            text.push(c);
        }
    }
    key.push((text, 0));
    key
}

impl Account {
    /// The account's albums as stored, and what does not match in the file.
    pub fn albums(&self) -> Result<Albums, StorageError> {
        self.session().albums()
    }

    /// The photos of the album named `name` (some may have been deleted since).
    pub fn album_photos(&self, name: &str) -> Result<BTreeSet<PhotoId>, AlbumError> {
        let mut albums = self.albums()?.albums;
        Ok(find_album(&mut albums, name)?.photos.iter().copied().collect())
    }

    /// The photos of the album named `name` that the account has, as [`Account::list`]
    /// gives them (newest first), and the records of its photos that could not be read.
    pub fn list_album(&self, name: &str) -> Result<(Catalog, Vec<PhotoId>), AlbumError> {
        let members = self.album_photos(name)?;
        let (mut photos, damaged) = self.list()?;
        photos.retain(|id| members.contains(&id));
        Ok((photos, damaged.into_iter().filter(|id| members.contains(id)).collect()))
    }

    /// Creates an empty album.
    pub fn create_album(&self, name: &str) -> Result<(), AlbumError> {
        self.session().change_albums(|albums| {
            let created_at = time::OffsetDateTime::now_utc().unix_timestamp();
            albums.push(Album { id: 0, name: name.to_string(), created_at, cover: None, photos: Vec::new() });
            Ok(())
        })?;
        Ok(())
    }

    /// Gives the album named `name` the name `new_name`.
    pub fn rename_album(&self, name: &str, new_name: &str) -> Result<(), AlbumError> {
        self.session().change_albums(|albums| {
            find_album(albums, name)?.name = new_name.to_string();
            Ok(())
        })?;
        Ok(())
    }

    /// Deletes the album named `name`; its photos stay in the vault.
    pub fn delete_album(&self, name: &str) -> Result<(), AlbumError> {
        self.session().change_albums(|albums| {
            let id = find_album(albums, name)?.id;
            albums.retain(|a| a.id != id);
            Ok(())
        })?;
        Ok(())
    }

    /// Adds `ids` to the album named `name` (creating it when `create`); returns how many
    /// were not in it yet.
    pub fn add_to_album(&self, name: &str, ids: &[PhotoId], create: bool) -> Result<usize, AlbumError> {
        let mut added = 0;
        self.session().change_albums(|albums| {
            if create && find_album(albums, name).is_err() {
                let created_at = time::OffsetDateTime::now_utc().unix_timestamp();
                albums.push(Album { id: 0, name: name.to_string(), created_at, cover: None, photos: Vec::new() });
            }
            let album = find_album(albums, name)?;
            let had: BTreeSet<PhotoId> = album.photos.iter().copied().collect();
            added = ids.iter().collect::<BTreeSet<_>>().into_iter().filter(|id| !had.contains(id)).count();
            album.photos.extend_from_slice(ids);
            Ok(())
        })?;
        Ok(added)
    }

    /// Takes `ids` out of the album named `name` (the photos stay in the vault); returns
    /// how many were in it.
    pub fn remove_from_album(&self, name: &str, ids: &[PhotoId]) -> Result<usize, AlbumError> {
        let gone: BTreeSet<PhotoId> = ids.iter().copied().collect();
        let mut removed = 0;
        self.session().change_albums(|albums| {
            let album = find_album(albums, name)?;
            let before = album.photos.len();
            album.photos.retain(|id| !gone.contains(id));
            removed = before - album.photos.len();
            if album.cover.is_some_and(|c| gone.contains(&c)) {
                album.cover = None;
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Shows the album named `name` by photo `id`, which must be in it.
    pub fn set_album_cover(&self, name: &str, id: PhotoId) -> Result<(), AlbumError> {
        self.session().change_albums(|albums| {
            let album = find_album(albums, name)?;
            if !album.photos.contains(&id) {
                return Err(AlbumError::NotInAlbum(id, album.name.clone()));
            }
            album.cover = Some(id);
            Ok(())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn albums_are_listed_as_people_read_their_names() {
        let mut names = ["Zoo trip", "Album 10", "Ärzte", "album 2", "Album 1", "arzt"];
        names.sort_by_cached_key(|n| super::name_order(n));
        assert_eq!(names, ["Album 1", "album 2", "Album 10", "arzt", "Ärzte", "Zoo trip"]);
    }
}
