//! The account's photos as the screens know them: the list, the search and filter that
//! narrow it to the photos shown, which are unlocked, the selection and the cursor (the
//! photo the keyboard is on). The grid, the details table, the viewer and the dialogs all
//! work on this one state. Searching reads only the decrypted metadata already in memory.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use crate::crypto::PhotoPassword;
use crate::service::Unlock;
use crate::vault::{PhotoId, PhotoInfo};

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

/// The photos, newest first, and what the user did with them.
#[derive(Default)]
pub(super) struct Library {
    /// Every photo of the account, newest first.
    pub(super) all: Vec<Arc<PhotoInfo>>,
    /// The photos shown: those of `all` that the search and the filter let through (the
    /// same records, not copies: a hundred thousand photos' metadata is held once).
    pub(super) photos: Vec<Arc<PhotoInfo>>,
    /// The search text: every word must be in the name, the camera or the date.
    pub(super) query: String,
    /// The lock filter.
    pub(super) show: Show,
    /// Where each shown photo is in `photos`.
    index: HashMap<PhotoId, usize>,
    /// The bytes of the shown photos.
    total_bytes: u64,
    /// Counts the changes of `photos`, for views that keep an order or a layout of their
    /// own.
    pub(super) generation: u64,
    /// Whether the list has arrived (an empty list before that is not "no photos").
    pub(super) listed: bool,
    /// The passwords of the photos unlocked until the vault locks.
    pub(super) unlocked: HashMap<PhotoId, PhotoPassword>,
    /// The account was opened with its recovery key: every photo opens with it.
    pub(super) recovery: bool,
    /// The selected photos.
    pub(super) selection: BTreeSet<PhotoId>,
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

    /// The list arrived (again): the selection keeps the photos still there, the cursor
    /// stays on its photo.
    pub(super) fn listed(&mut self, photos: Vec<PhotoInfo>) {
        self.all = photos.into_iter().map(Arc::new).collect();
        self.listed = true;
        self.refilter();
    }

    /// Photos were deleted.
    pub(super) fn removed(&mut self, ids: &[PhotoId]) {
        for id in ids {
            self.unlocked.remove(id);
        }
        let at = self.cursor;
        let gone: HashSet<&PhotoId> = ids.iter().collect();
        self.all.retain(|p| !gone.contains(&p.id));
        self.refilter();
        // The cursor on a deleted photo moves to the one that took its place.
        if self.cursor.is_none() && !self.photos.is_empty() {
            self.cursor = at.map(|i| i.min(self.photos.len() - 1));
        }
    }

    /// Shows the photos of `all` that the search and the filter let through; the
    /// selection keeps only photos still shown, the cursor stays on its photo.
    pub(super) fn refilter(&mut self) {
        let on = self.cursor.and_then(|i| self.photos.get(i)).map(|p| p.id);
        let terms: Vec<String> = self.query.split_whitespace().map(str::to_lowercase).collect();
        let shown: Vec<Arc<PhotoInfo>> = self
            .all
            .iter()
            .filter(|p| match self.show {
                Show::All => true,
                Show::Locked => self.is_locked(p.id),
                Show::Unlocked => !self.is_locked(p.id),
            })
            .filter(|p| terms.is_empty() || matches(p, &terms))
            .cloned()
            .collect();
        self.photos = shown;
        self.index = self.photos.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        self.total_bytes = self.photos.iter().map(|p| p.meta.bytes).sum();
        self.selection.retain(|id| self.index.contains_key(id));
        self.cursor = on.and_then(|id| self.index_of(id));
        self.generation += 1;
    }

    /// Whether a search or a filter hides some photos.
    pub(super) fn is_filtered(&self) -> bool {
        !self.query.trim().is_empty() || self.show != Show::All
    }

    /// Where photo `id` is in the list.
    pub(super) fn index_of(&self, id: PhotoId) -> Option<usize> {
        self.index.get(&id).copied()
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

    /// The one selected photo, if exactly one is.
    pub(super) fn single_selected(&self) -> Option<PhotoId> {
        (self.selection.len() == 1).then(|| self.selection.first().copied()).flatten()
    }

    /// Click selects one; Ctrl-click toggles one; Shift-click selects a range.
    pub(super) fn click(&mut self, index: usize, modifiers: egui::Modifiers) {
        let id = self.photos[index].id;
        if modifiers.shift {
            let anchor = self.cursor.unwrap_or(index);
            let (a, b) = (anchor.min(index), anchor.max(index));
            self.selection.extend(self.photos[a..=b].iter().map(|p| p.id));
        } else if modifiers.command {
            if !self.selection.remove(&id) {
                self.selection.insert(id);
            }
        } else {
            self.selection.clear();
            self.selection.insert(id);
        }
        self.cursor = Some(index);
    }

    /// The keyboard moves the cursor to `index` (clamped), selecting that photo alone; the
    /// view follows.
    pub(super) fn move_to(&mut self, index: usize) {
        let Some(last) = self.photos.len().checked_sub(1) else { return };
        let index = index.min(last);
        self.selection.clear();
        self.selection.insert(self.photos[index].id);
        self.cursor = Some(index);
        self.reveal = true;
    }

    /// Adds the photos at `indices` to the selection and puts the cursor on `cursor`; the
    /// view follows.
    pub(super) fn select_range(&mut self, indices: impl Iterator<Item = usize>, cursor: usize) {
        let ids: Vec<PhotoId> = indices.filter_map(|i| self.photos.get(i)).map(|p| p.id).collect();
        self.selection.extend(ids);
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
        self.selection = self.photos.iter().map(|p| p.id).collect();
    }

    /// Total bytes of all photos, and of the selected ones.
    pub(super) fn sizes(&self) -> (u64, u64) {
        let selected =
            self.selection.iter().filter_map(|id| self.index_of(*id)).map(|i| self.photos[i].meta.bytes).sum();
        (self.total_bytes, selected)
    }
}

/// Whether every search term is in the photo's name, camera or date (`2023`, `june`,
/// `2023-06-15`), ignoring case.
fn matches(photo: &PhotoInfo, terms: &[String]) -> bool {
    let meta = &photo.meta;
    let t = time::OffsetDateTime::from_unix_timestamp(meta.sort_time()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let month = super::grid::MONTHS[usize::from(u8::from(t.month()) - 1)];
    let date = format!("{:04}-{:02}-{:02} {month}", t.year(), u8::from(t.month()), t.day());
    let haystack = format!("{} {} {date}", meta.name, meta.camera.as_deref().unwrap_or_default()).to_lowercase();
    terms.iter().all(|term| haystack.contains(term.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::PhotoMeta;

    fn photo(id: u64, name: &str, camera: Option<&str>, taken: &str) -> PhotoInfo {
        PhotoInfo {
            id: PhotoId(id),
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

    #[test]
    fn search_finds_by_name_camera_and_date_and_the_filter_by_lock() {
        let mut library = Library::default();
        library.listed(vec![
            photo(1, "passport scan.jpg", None, "2023-06-15T10:00:00"),
            photo(2, "IMG_0001.jpg", Some("Apple iPhone 12"), "2023-01-02T10:00:00"),
            photo(3, "beach.jpg", Some("Canon EOS"), "2021-06-01T10:00:00"),
        ]);
        let shown = |l: &Library| l.photos.iter().map(|p| p.id.0).collect::<Vec<_>>();
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
        library.selection.insert(PhotoId(3));
        library.unlocked.insert(PhotoId(3), crate::crypto::PhotoPassword::generate());
        library.show = Show::Locked;
        library.refilter();
        assert_eq!(shown(&library), vec![1, 2]);
        assert!(library.selection.is_empty(), "a hidden photo is not selected");
        library.show = Show::Unlocked;
        library.refilter();
        assert_eq!(shown(&library), vec![3]);
    }
}
