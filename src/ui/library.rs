//! The account's photos as the screens know them: the list, the search and filter that
//! narrow it to the photos shown, which are unlocked, the selection and the cursor (the
//! photo the keyboard is on). The grid, the details table, the viewer and the dialogs all
//! work on this one state. Searching reads only the decrypted metadata already in memory.
//!
//! At a million photos this state is most of the app's memory: the metadata is held once,
//! compactly ([`Catalog`]), the photos shown are places in it, and the index by ID is one
//! sorted array.

use std::collections::{BTreeSet, HashMap, HashSet};

use spg_core::crypto::PhotoPassword;
use spg_core::service::Unlock;
use spg_core::vault::{Catalog, PhotoId, PhotoRef};

/// Which photos are shown by their lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Show {
    /// Every photo.
    #[default]
    All,
    /// Those that still need their password.
    Locked,
    /// Those unlocked in this session.
    Unlocked,
}

/// An album open in the grid and the table: its id, its name and its photos.
pub(super) struct AlbumFilter {
    pub(super) id: u64,
    pub(super) name: String,
    pub(super) photos: HashSet<PhotoId>,
}

/// The photos, newest first, and what the user did with them.
#[derive(Default)]
pub(super) struct Library {
    /// Every photo of the account, newest first.
    pub(super) all: Catalog,
    /// The photos shown, as places in `all`: those the search and the filter let through.
    shown: Vec<u32>,
    /// The search text: every word must be in the name, the camera or the date.
    pub(super) query: String,
    /// The lock filter.
    pub(super) show: Show,
    /// The album open, if any: only its photos are shown.
    pub(super) album: Option<AlbumFilter>,
    /// How many photos the search and the filter choose from: the album's, or every one.
    pub(super) base_len: usize,
    /// Each shown photo's ID and place in `shown`, by ID.
    index: Vec<(PhotoId, u32)>,
    /// The bytes of the shown photos.
    total_bytes: u64,
    /// The bytes of the selected photos.
    selected_bytes: u64,
    /// Counts the changes of `shown`, for views that keep an order or a layout of their
    /// own.
    pub(super) generation: u64,
    /// Whether the list has arrived (an empty list before that is not "no photos").
    pub(super) listed: bool,
    /// Photos deleted from the front of the list before the list arrived: the list may
    /// have been read before they went.
    deleted_early: HashSet<PhotoId>,
    /// The passwords of the photos unlocked until the vault locks.
    pub(super) unlocked: HashMap<PhotoId, PhotoPassword>,
    /// The account was opened with its recovery key: every photo opens with it.
    pub(super) recovery: bool,
    /// The selected photos (shown ones only).
    selection: BTreeSet<PhotoId>,
    /// The index of the photo the keyboard is on.
    pub(super) cursor: Option<usize>,
    /// Set when the cursor moved and the view must bring it into sight.
    pub(super) reveal: bool,
}

impl Library {
    /// The library of a session, before its list arrives; `recovery` when the session was
    /// opened with the recovery key.
    pub(super) fn new(recovery: bool) -> Library {
        Library { recovery, ..Library::default() }
    }

    /// The newest photos arrived before the list: shown while it loads (the status line
    /// still says so). Nothing once the list is there.
    pub(super) fn front(&mut self, photos: Catalog) {
        if !self.listed {
            let on = self.cursor_id();
            self.all = photos;
            self.show_matching(on);
        }
    }

    /// The list failed: a front shown until then goes too (it is not known to be right).
    pub(super) fn list_failed(&mut self) {
        if !self.listed {
            self.all = Catalog::default();
            self.show_matching(None);
        }
    }

    /// The list arrived (again): the selection keeps the photos still there, the cursor
    /// stays on its photo.
    pub(super) fn listed(&mut self, mut photos: Catalog) {
        let on = self.cursor_id();
        if !self.deleted_early.is_empty() {
            let gone = std::mem::take(&mut self.deleted_early);
            photos.retain(|id| !gone.contains(&id));
        }
        self.all = photos;
        self.listed = true;
        self.show_matching(on);
    }

    /// Photos were deleted.
    pub(super) fn removed(&mut self, ids: &[PhotoId]) {
        for id in ids {
            self.unlocked.remove(id);
        }
        if !self.listed {
            self.deleted_early.extend(ids);
        }
        let (at, on) = (self.cursor, self.cursor_id());
        let gone: HashSet<&PhotoId> = ids.iter().collect();
        self.all.retain(|id| !gone.contains(&id));
        self.show_matching(on);
        // The cursor on a deleted photo moves to the one that took its place.
        if self.cursor.is_none() && !self.is_empty() {
            self.cursor = at.map(|i| i.min(self.len() - 1));
        }
    }

    /// Shows the photos of `all` that the search and the filter let through; the
    /// selection keeps only photos still shown, the cursor stays on its photo.
    pub(super) fn refilter(&mut self) {
        self.show_matching(self.cursor_id());
    }

    /// The ID of the photo the cursor is on.
    fn cursor_id(&self) -> Option<PhotoId> {
        self.cursor.filter(|&i| i < self.len()).map(|i| self.id(i))
    }

    /// [`Library::refilter`] once `all` changed: `shown` no longer points into it, and
    /// the cursor goes back on photo `on` if it is still shown.
    fn show_matching(&mut self, on: Option<PhotoId>) {
        let terms: Vec<String> = self.query.split_whitespace().map(str::to_lowercase).collect();
        let mut base_len = 0;
        let shown: Vec<u32> = (0..self.all.len() as u32)
            .filter(|&at| {
                let photo = self.all.get(at as usize);
                if !self.album.as_ref().is_none_or(|album| album.photos.contains(&photo.id)) {
                    return false;
                }
                base_len += 1;
                let lock = match self.show {
                    Show::All => true,
                    Show::Locked => self.is_locked(photo.id),
                    Show::Unlocked => !self.is_locked(photo.id),
                };
                lock && (terms.is_empty() || matches(&photo, &terms))
            })
            .collect();
        self.base_len = base_len;
        self.shown = shown;
        self.index = self.shown.iter().enumerate().map(|(i, &at)| (self.all.id(at as usize), i as u32)).collect();
        self.index.sort_unstable();
        self.total_bytes = (0..self.len()).map(|i| self.photo(i).bytes).sum();
        // The selection keeps the photos still shown: both in ID order, walked once.
        let mut shown = self.index.iter().map(|(id, _)| *id).peekable();
        self.selection.retain(|id| {
            while shown.next_if(|s| s < id).is_some() {}
            shown.peek() == Some(id)
        });
        self.selected_bytes = self.bytes_of(self.selection.iter());
        self.cursor = on.and_then(|id| self.index_of(id));
        self.generation += 1;
    }

    /// How many photos are shown.
    pub(super) fn len(&self) -> usize {
        self.shown.len()
    }

    /// Whether no photo is shown (none listed yet, none at all, or none found).
    pub(super) fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// The shown photo at `index`; panics if there is none, like a slice.
    pub(super) fn photo(&self, index: usize) -> PhotoRef<'_> {
        self.all.get(self.shown[index] as usize)
    }

    /// The ID of the shown photo at `index`; panics if there is none.
    pub(super) fn id(&self, index: usize) -> PhotoId {
        self.all.id(self.shown[index] as usize)
    }

    /// Whether a search or a filter hides some photos.
    pub(super) fn is_filtered(&self) -> bool {
        !self.query.trim().is_empty() || self.show != Show::All
    }

    /// Where photo `id` is in the list.
    pub(super) fn index_of(&self, id: PhotoId) -> Option<usize> {
        let at = self.index.binary_search_by_key(&id, |(id, _)| *id).ok()?;
        Some(self.index[at].1 as usize)
    }

    /// Whether photo `id` still needs its password.
    pub(super) fn is_locked(&self, id: PhotoId) -> bool {
        !self.recovery && !self.unlocked.contains_key(&id)
    }

    /// What opens photo `id`, if anything does yet: its password, or the recovery key.
    pub(super) fn unlock_of(&self, id: PhotoId) -> Option<Unlock> {
        match self.unlocked.get(&id) {
            Some(password) => Some(Unlock::Password(password.clone())),
            None => self.recovery.then_some(Unlock::Recovery),
        }
    }

    /// The selected photos' IDs, in list order of their IDs.
    pub(super) fn selected(&self) -> Vec<PhotoId> {
        self.selection.iter().copied().collect()
    }

    /// Whether photo `id` is selected.
    pub(super) fn is_selected(&self, id: PhotoId) -> bool {
        self.selection.contains(&id)
    }

    /// How many photos are selected.
    pub(super) fn selected_count(&self) -> usize {
        self.selection.len()
    }

    /// Selects photo `id` (shown at `index`) too.
    fn select(&mut self, id: PhotoId, index: usize) {
        if self.selection.insert(id) {
            self.selected_bytes += self.photo(index).bytes;
        }
    }

    /// Selects no photo.
    pub(super) fn clear_selection(&mut self) {
        self.selection.clear();
        self.selected_bytes = 0;
    }

    /// The bytes of the shown photos `ids`.
    fn bytes_of<'a>(&self, ids: impl Iterator<Item = &'a PhotoId>) -> u64 {
        ids.filter_map(|id| self.index_of(*id)).map(|i| self.photo(i).bytes).sum()
    }

    /// The one selected photo, if exactly one is.
    pub(super) fn single_selected(&self) -> Option<PhotoId> {
        (self.selection.len() == 1).then(|| self.selection.first().copied()).flatten()
    }

    /// Click selects one; Ctrl-click toggles one; Shift-click selects a range.
    pub(super) fn click(&mut self, index: usize, modifiers: egui::Modifiers) {
        let id = self.id(index);
        if modifiers.shift {
            let anchor = self.cursor.unwrap_or(index);
            let (a, b) = (anchor.min(index), anchor.max(index));
            for i in a..=b {
                self.select(self.id(i), i);
            }
        } else if modifiers.command {
            if self.selection.remove(&id) {
                self.selected_bytes -= self.photo(index).bytes;
            } else {
                self.select(id, index);
            }
        } else {
            self.clear_selection();
            self.select(id, index);
        }
        self.cursor = Some(index);
    }

    /// The keyboard moves the cursor to `index` (clamped), selecting that photo alone; the
    /// view follows.
    pub(super) fn move_to(&mut self, index: usize) {
        let Some(last) = self.len().checked_sub(1) else { return };
        let index = index.min(last);
        self.clear_selection();
        self.select(self.id(index), index);
        self.cursor = Some(index);
        self.reveal = true;
    }

    /// Adds the photos at `indices` to the selection and puts the cursor on `cursor`; the
    /// view follows.
    pub(super) fn select_range(&mut self, indices: impl Iterator<Item = usize>, cursor: usize) {
        let count = self.len();
        for i in indices.filter(|&i| i < count) {
            self.select(self.id(i), i);
        }
        self.cursor = Some(cursor);
        self.reveal = true;
    }

    /// The viewer shows photo `id`: the grid's cursor and selection follow it.
    pub(super) fn follow(&mut self, id: PhotoId) {
        if let Some(index) = self.index_of(id) {
            self.move_to(index);
        }
    }

    /// Selects every photo.
    pub(super) fn select_all(&mut self) {
        self.selection = self.index.iter().map(|(id, _)| *id).collect();
        self.selected_bytes = self.total_bytes;
    }

    /// Total bytes of the shown photos, and of the selected ones.
    pub(super) fn sizes(&self) -> (u64, u64) {
        (self.total_bytes, self.selected_bytes)
    }
}

/// Whether every search term is in the photo's name, camera or date taken (`2023`,
/// `june`, `2023-06-15`; `no date` for a photo without one), ignoring case.
fn matches(photo: &PhotoRef<'_>, terms: &[String]) -> bool {
    let date = photo.taken_time.map_or_else(
        || "no date".to_string(),
        |taken| {
            let t = time::OffsetDateTime::from_unix_timestamp(taken).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            format!("{:04}-{:02}-{:02} {}", t.year(), u8::from(t.month()), t.day(), t.month())
        },
    );
    let haystack = format!("{} {} {date}", photo.name, photo.camera.unwrap_or_default()).to_lowercase();
    terms.iter().all(|term| haystack.contains(term.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spg_core::vault::{PhotoInfo, PhotoMeta};

    fn photo(id: u64, name: &str, camera: Option<&str>, taken: &str) -> PhotoInfo {
        PhotoInfo {
            id: PhotoId::from_u64(id).unwrap(),
            meta: PhotoMeta {
                name: name.into(),
                mime: "image/jpeg".into(),
                bytes: 1000,
                width: 10,
                height: 10,
                orientation: 1,
                taken_at: Some(taken.into()),
                camera: camera.map(Into::into),
                has_gps: false,
                imported_at: 0,
            },
        }
    }

    fn shown(library: &Library) -> Vec<u64> {
        (0..library.len()).map(|i| library.id(i).as_u64()).collect()
    }

    #[test]
    fn search_finds_by_name_camera_and_date_and_the_filter_by_lock() {
        let mut library = Library::default();
        library.listed(Catalog::from_iter([
            photo(1, "passport scan.jpg", None, "2023-06-15T10:00:00"),
            photo(2, "IMG_0001.jpg", Some("Apple iPhone 12"), "2023-01-02T10:00:00"),
            photo(3, "beach.jpg", Some("Canon EOS"), "2021-06-01T10:00:00"),
        ]));
        let cases = [
            ("passport", vec![1]),
            ("iphone", vec![2]),
            ("2023", vec![1, 2]),
            ("june", vec![1, 3]),
            ("june 2023", vec![1]),
            ("", vec![1, 2, 3]),
        ];
        for (query, expected) in cases {
            library.query = query.into();
            library.refilter();
            assert_eq!(shown(&library), expected, "{query}");
        }
        library.query.clear();
        library.selection.insert(PhotoId::from_u64(3).unwrap());
        library.unlocked.insert(PhotoId::from_u64(3).unwrap(), spg_core::crypto::PhotoPassword::generate());
        library.show = Show::Locked;
        library.refilter();
        assert_eq!(shown(&library), vec![1, 2]);
        assert!(library.selection.is_empty(), "a hidden photo is not selected");
        library.show = Show::Unlocked;
        library.refilter();
        assert_eq!(shown(&library), vec![3]);
    }

    #[test]
    fn the_front_shows_until_the_list_arrives_which_keeps_what_was_done_with_it() {
        let mut library = Library::default();
        let catalog = |ids: &[u64]| {
            Catalog::from_iter(ids.iter().map(|&id| photo(id, &format!("{id}.jpg"), None, "2023-06-15T10:00:00")))
        };
        library.front(catalog(&[40, 10]));
        assert_eq!((shown(&library), library.listed), (vec![40, 10], false), "shown, still loading");
        library.click(1, egui::Modifiers::NONE);
        library.cursor = Some(1);
        library.listed(catalog(&[40, 10, 30, 20]));
        assert_eq!((shown(&library), library.listed), (vec![40, 10, 30, 20], true));
        assert_eq!(library.selected_count(), 1);
        assert_eq!(library.cursor, Some(1), "on its photo");
        library.front(catalog(&[40]));
        assert_eq!(shown(&library), [40, 10, 30, 20], "a front after the list changes nothing");
        // A photo deleted from the front stays deleted when a list read before it went
        // arrives; a failed list takes the front away.
        let mut library = Library::default();
        library.front(catalog(&[40, 10]));
        library.removed(&[PhotoId::from_u64(40).unwrap()]);
        library.listed(catalog(&[40, 10, 30]));
        assert_eq!(shown(&library), [10, 30]);
        let mut library = Library::default();
        library.front(catalog(&[40, 10]));
        library.list_failed();
        assert!(library.is_empty() && !library.listed);
    }

    #[test]
    fn the_selected_size_follows_clicks_ranges_select_all_the_filter_and_deletes() {
        let mut library = Library::default();
        // Sizes 1000, 2000, ..., newest first; IDs out of order, as random IDs are.
        library.listed(Catalog::from_iter([40, 10, 30, 20].into_iter().enumerate().map(|(n, id)| {
            let mut p = photo(id, &format!("{id}.jpg"), None, "2023-06-15T10:00:00");
            p.meta.bytes = 1000 * (n as u64 + 1);
            p
        })));
        let none = egui::Modifiers::NONE;
        assert_eq!(library.sizes(), (10_000, 0));
        library.click(1, none);
        assert_eq!((library.selected_count(), library.sizes().1), (1, 2000));
        library.click(3, egui::Modifiers::SHIFT);
        assert_eq!((library.selected_count(), library.sizes().1), (3, 9000));
        library.click(2, egui::Modifiers::COMMAND);
        assert_eq!((library.selected_count(), library.sizes().1), (2, 6000), "Ctrl-click takes one out");
        library.click(2, egui::Modifiers::COMMAND);
        assert_eq!(library.sizes().1, 9000, "and puts it back");
        assert_eq!(library.index_of(PhotoId::from_u64(20).unwrap()), Some(3));
        library.select_all();
        assert_eq!((library.selected_count(), library.sizes().1), (4, 10_000));
        library.query = "30.jpg".into();
        library.refilter();
        assert_eq!(library.sizes(), (3000, 3000), "a hidden photo is no longer selected");
        library.query.clear();
        library.refilter();
        library.select_all();
        library.cursor = Some(3);
        library.removed(&[PhotoId::from_u64(20).unwrap(), PhotoId::from_u64(40).unwrap()]);
        assert_eq!(shown(&library), [10, 30]);
        assert_eq!(library.sizes(), (5000, 5000));
        assert_eq!(library.cursor, Some(1), "the cursor on a deleted photo moves to the one now in its place");
        assert_eq!(library.index_of(PhotoId::from_u64(40).unwrap()), None);
        library.clear_selection();
        assert_eq!(library.sizes(), (5000, 0));
        // A new list (after an import): the cursor stays on its photo, now elsewhere.
        library.cursor = Some(1);
        library.listed(Catalog::from_iter([50, 10, 30].map(|id| photo(id, "new.jpg", None, "2023-06-15T10:00:00"))));
        assert_eq!((library.cursor, library.id(2)), (Some(2), PhotoId::from_u64(30).unwrap()));
    }
}
