//! The listed photos' metadata held compactly, as the app keeps it for the whole session:
//! one fixed-size entry a photo and one buffer for all their names, dates and cameras,
//! the types stored once. A [`PhotoInfo`] is a record of four strings, each its own
//! allocation: about 330 bytes a photo as the app held them (an `Arc` each), 330 MB at
//! a million photos; here about 64 bytes and the text itself.

use super::{MetaRef, PhotoId, PhotoInfo, PhotoMeta};

/// The metadata of many photos, in the order they were added (or sorted in).
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    entries: Vec<Entry>,
    /// Every photo's name, date taken and camera, one after another.
    text: String,
    /// The distinct MIME types, which an entry names by their place.
    mimes: Vec<Box<str>>,
}

/// One photo: its numbers, and where its text is.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u64,
    bytes: u64,
    imported_at: i64,
    /// The date taken, in seconds, when [`HAS_DATE`] says there is one.
    taken_time: i64,
    /// Where its name starts in the text; the date and the camera follow it.
    text: u64,
    name_len: u32,
    taken_len: u32,
    camera_len: u32,
    width: u32,
    height: u32,
    mime: u16,
    orientation: u8,
    /// [`HAS_GPS`], [`HAS_TAKEN`], [`HAS_CAMERA`], [`HAS_DATE`].
    flags: u8,
}

impl Entry {
    /// The length of its name, date and camera together.
    fn text_len(&self) -> usize {
        self.name_len as usize + self.taken_len as usize + self.camera_len as usize
    }
}

const HAS_GPS: u8 = 1;
const HAS_TAKEN: u8 = 2;
const HAS_CAMERA: u8 = 4;
/// The date taken reads as a date (`taken_time` holds it).
const HAS_DATE: u8 = 8;

/// One photo of a [`Catalog`]: its metadata, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoRef<'a> {
    /// Its ID.
    pub id: PhotoId,
    /// Original file name (no folders).
    pub name: &'a str,
    /// MIME type.
    pub mime: &'a str,
    /// Size of the original file in bytes.
    pub bytes: u64,
    /// Width as displayed.
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// EXIF orientation 1-8.
    pub orientation: u8,
    /// Date taken, as the metadata says.
    pub taken_at: Option<&'a str>,
    /// Camera make and model.
    pub camera: Option<&'a str>,
    /// Whether the original carries a GPS position.
    pub has_gps: bool,
    /// Import time, seconds since the Unix epoch.
    pub imported_at: i64,
    /// [`PhotoMeta::taken_time`], worked out once: the date taken in seconds, `None` for a
    /// photo with no date (or one that does not read as a date).
    pub taken_time: Option<i64>,
}

impl<'a> PhotoRef<'a> {
    /// The metadata `meta` of photo `id`, borrowed.
    pub fn of(id: PhotoId, meta: &'a PhotoMeta) -> PhotoRef<'a> {
        let m = MetaRef::from(meta);
        PhotoRef {
            id,
            name: m.name,
            mime: m.mime,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            orientation: m.orientation,
            taken_at: m.taken_at,
            camera: m.camera,
            has_gps: m.has_gps,
            imported_at: m.imported_at,
            taken_time: meta.taken_time(),
        }
    }

    /// The photo as its own record.
    pub fn to_info(&self) -> PhotoInfo {
        PhotoInfo { id: self.id, meta: self.to_meta() }
    }

    /// The metadata as its own record.
    pub fn to_meta(&self) -> PhotoMeta {
        let m = self.meta();
        PhotoMeta {
            name: m.name.into(),
            mime: m.mime.into(),
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            orientation: m.orientation,
            taken_at: m.taken_at.map(Into::into),
            camera: m.camera.map(Into::into),
            has_gps: m.has_gps,
            imported_at: m.imported_at,
        }
    }

    /// The metadata as the list index stores it.
    pub(crate) fn meta(&self) -> MetaRef<'a> {
        MetaRef {
            name: self.name,
            mime: self.mime,
            bytes: self.bytes,
            width: self.width,
            height: self.height,
            orientation: self.orientation,
            taken_at: self.taken_at,
            camera: self.camera,
            has_gps: self.has_gps,
            imported_at: self.imported_at,
        }
    }
}

impl Catalog {
    /// How many photos it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The photo at `index`; panics if there is none, like a slice.
    pub fn get(&self, index: usize) -> PhotoRef<'_> {
        self.view(&self.entries[index])
    }

    /// The ID of the photo at `index`, without the rest.
    pub fn id(&self, index: usize) -> PhotoId {
        PhotoId(self.entries[index].id)
    }

    /// Every photo, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PhotoRef<'_>> + '_ {
        self.entries.iter().map(|e| self.view(e))
    }

    /// Adds photo `id`.
    pub fn push(&mut self, id: PhotoId, meta: &PhotoMeta) {
        self.push_ref(id, meta.into());
    }

    /// Adds photo `id`, its metadata borrowed (as the list index is read).
    pub(crate) fn push_ref(&mut self, id: PhotoId, meta: MetaRef<'_>) {
        // A field of more than 4 GiB cannot come from a record; it would be kept empty.
        let text = self.text.len() as u64;
        let mut len = |s: Option<&str>| {
            let s = s.filter(|s| u32::try_from(s.len()).is_ok()).unwrap_or_default();
            self.text.push_str(s);
            s.len() as u32
        };
        let name_len = len(Some(meta.name));
        let taken_len = len(meta.taken_at);
        let camera_len = len(meta.camera);
        let mime = match self.mimes.iter().position(|m| **m == *meta.mime) {
            Some(at) => at,
            None if self.mimes.len() > usize::from(u16::MAX) => usize::from(u16::MAX),
            None => {
                self.mimes.push(meta.mime.into());
                self.mimes.len() - 1
            }
        };
        let taken_time = meta.taken_at.and_then(super::taken_time);
        let flags = u8::from(meta.has_gps) * HAS_GPS
            + u8::from(meta.taken_at.is_some()) * HAS_TAKEN
            + u8::from(meta.camera.is_some()) * HAS_CAMERA
            + u8::from(taken_time.is_some()) * HAS_DATE;
        self.entries.push(Entry {
            id: id.0,
            bytes: meta.bytes,
            imported_at: meta.imported_at,
            taken_time: taken_time.unwrap_or_default(),
            text,
            name_len,
            taken_len,
            camera_len,
            width: meta.width,
            height: meta.height,
            // More than 65,536 distinct types (only from a key holder's crafted records)
            // cannot be named: the rest read as the 65,536th.
            mime: u16::try_from(mime).unwrap_or(u16::MAX),
            orientation: meta.orientation,
            flags,
        });
    }

    /// Orders the photos newest first (the order of a list): those with a date taken by
    /// it, then those without one by their import time; then by name, then ID. A stable
    /// sort, which finds and merges the runs already in order (the list index's segments
    /// are written sorted).
    pub(crate) fn sort_newest_first(&mut self) {
        let text = &self.text;
        let name = |e: &Entry| &text[e.text as usize..][..e.name_len as usize];
        let when = |e: &Entry| {
            let dated = e.flags & HAS_DATE != 0;
            (dated, if dated { e.taken_time } else { e.imported_at })
        };
        self.entries.sort_by(|a, b| when(b).cmp(&when(a)).then_with(|| name(a).cmp(name(b))).then(a.id.cmp(&b.id)));
    }

    /// Gives back the room reserved for more photos, and the text of photos taken out
    /// (by [`Catalog::retain`]) when it is a quarter of the text or more.
    pub(crate) fn shrink_to_fit(&mut self) {
        let live: usize = self.entries.iter().map(Entry::text_len).sum();
        if live < self.text.len() - self.text.len() / 4 {
            let mut text = String::with_capacity(live);
            for e in &mut self.entries {
                let start = e.text as usize;
                e.text = text.len() as u64;
                text.push_str(&self.text[start..][..e.text_len()]);
            }
            self.text = text;
        }
        self.entries.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// Keeps the photos for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(PhotoId) -> bool) {
        self.entries.retain(|e| keep(PhotoId(e.id)));
    }

    fn view<'a>(&'a self, e: &Entry) -> PhotoRef<'a> {
        let start = e.text as usize;
        let (name, rest) = self.text[start..].split_at(e.name_len as usize);
        let (taken, rest) = rest.split_at(e.taken_len as usize);
        let camera = &rest[..e.camera_len as usize];
        PhotoRef {
            id: PhotoId(e.id),
            name,
            mime: self.mimes.get(usize::from(e.mime)).or(self.mimes.last()).map_or("", |m| m),
            bytes: e.bytes,
            width: e.width,
            height: e.height,
            orientation: e.orientation,
            taken_at: (e.flags & HAS_TAKEN != 0).then_some(taken),
            camera: (e.flags & HAS_CAMERA != 0).then_some(camera),
            has_gps: e.flags & HAS_GPS != 0,
            imported_at: e.imported_at,
            taken_time: (e.flags & HAS_DATE != 0).then_some(e.taken_time),
        }
    }
}

impl FromIterator<PhotoInfo> for Catalog {
    /// Takes each photo's metadata in, dropping it as it goes.
    fn from_iter<I: IntoIterator<Item = PhotoInfo>>(photos: I) -> Catalog {
        let photos = photos.into_iter();
        let mut catalog = Catalog { entries: Vec::with_capacity(photos.size_hint().0), ..Catalog::default() };
        for photo in photos {
            catalog.push(photo.id, &photo.meta);
        }
        catalog.shrink_to_fit();
        catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, mime: &str, taken: Option<&str>, camera: Option<&str>, gps: bool) -> PhotoMeta {
        PhotoMeta {
            name: name.into(),
            mime: mime.into(),
            bytes: name.len() as u64 * 1000,
            width: 4000,
            height: 3000,
            orientation: 6,
            taken_at: taken.map(Into::into),
            camera: camera.map(Into::into),
            has_gps: gps,
            imported_at: 1_700_000_000,
        }
    }

    #[test]
    fn every_field_comes_back_as_it_went_in() {
        let photos = [
            (7, meta("IMG_0001.jpg", "image/jpeg", Some("2024-06-01T12:00:00+02:00"), Some("Canon EOS R5"), true)),
            (3, meta("", "image/png", Some(""), Some(""), false)),
            (9, meta("scan ünïcödé 📄.tiff", "image/tiff", None, None, false)),
            (1, meta("b.jpg", "image/jpeg", None, Some("Apple iPhone 12"), true)),
        ];
        let catalog: Catalog =
            photos.iter().map(|(id, meta)| PhotoInfo { id: PhotoId(*id), meta: meta.clone() }).collect();
        assert_eq!(catalog.len(), 4);
        assert_eq!(catalog.mimes.len(), 3, "each type is held once");
        for (i, (id, meta)) in photos.iter().enumerate() {
            let photo = catalog.get(i);
            assert_eq!(photo, PhotoRef::of(PhotoId(*id), meta));
            assert_eq!(photo.to_meta(), *meta);
            assert_eq!(catalog.id(i), PhotoId(*id));
        }
        assert_eq!(catalog.iter().map(|p| p.id.0).collect::<Vec<_>>(), [7, 3, 9, 1]);
        let mut kept = catalog.clone();
        kept.retain(|id| id.0 != 3);
        assert_eq!(
            kept.iter().map(|p| p.to_meta()).collect::<Vec<_>>(),
            [&photos[0], &photos[2], &photos[3]].map(|p| p.1.clone())
        );
        // Shrinking gives back the text of the photos taken out; the rest reads the same.
        let mut one = catalog.clone();
        one.retain(|id| id.0 == 9);
        one.shrink_to_fit();
        assert_eq!(one.text.len(), "scan ünïcödé 📄.tiff".len());
        assert_eq!(one.get(0).to_meta(), photos[2].1);
        // The borrowed form is the stored form: the same bytes both ways.
        for (id, meta) in &photos {
            let stored = crate::vault::records::encode(&vec![(*id, meta.clone())]);
            let borrowed: Vec<(u64, MetaRef<'_>)> = crate::vault::records::decode(&stored).unwrap();
            assert_eq!(borrowed, [(*id, MetaRef::from(meta))]);
            assert_eq!(crate::vault::records::encode(&borrowed), stored);
        }
    }

    #[test]
    fn newest_first_is_by_date_taken_then_undated_by_import_time_then_name_then_id() {
        let at = |name: &str, taken: Option<&str>, imported: i64| PhotoMeta {
            imported_at: imported,
            ..meta(name, "image/jpeg", taken, None, false)
        };
        let photos = [
            (1, at("b.jpg", Some("2024-01-01T10:00:00"), 0)),
            (2, at("a.jpg", Some("2024-01-01T10:00:00+05:00"), 0)),
            (3, at("c.jpg", None, 1_900_000_000)),
            (4, at("a.jpg", Some("2024-01-01T10:00:00"), 0)),
            (5, at("z.jpg", Some("not a date"), 1_000)),
            (6, at("y.jpg", Some("2030-05-05T05:05:05"), 0)),
        ];
        let mut catalog: Catalog =
            photos.iter().map(|(id, meta)| PhotoInfo { id: PhotoId(*id), meta: meta.clone() }).collect();
        catalog.sort_newest_first();
        // The photos without a date (c, and z whose date does not read) come after those
        // with one, the latest imported first, though c was imported after y was taken.
        assert_eq!(catalog.iter().map(|p| p.id.0).collect::<Vec<_>>(), [6, 2, 4, 1, 3, 5]);
        assert_eq!(catalog.get(0).to_meta(), photos[5].1, "the text moved with its entry");
    }
}
