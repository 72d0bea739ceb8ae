//! The account's photos as the screens know them: the list, which are unlocked, the
//! selection and the cursor (the photo the keyboard is on). The grid, the viewer and the
//! dialogs all work on this one state.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::crypto::PhotoPassword;
use crate::service::Unlock;
use crate::vault::{PhotoId, PhotoInfo};

/// The photos, newest first, and what the user did with them.
#[derive(Default)]
pub(super) struct Library {
    /// Every photo of the account, in the order shown.
    pub(super) photos: Vec<PhotoInfo>,
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
    /// The list arrived (again): the selection keeps the photos still there, the cursor
    /// stays on its photo.
    pub(super) fn listed(&mut self, photos: Vec<PhotoInfo>) {
        let on = self.cursor.and_then(|i| self.photos.get(i)).map(|p| p.id);
        self.photos = photos;
        self.listed = true;
        let known: HashSet<PhotoId> = self.photos.iter().map(|p| p.id).collect();
        self.selection.retain(|id| known.contains(id));
        self.cursor = on.and_then(|id| self.index_of(id));
    }

    /// Photos were deleted.
    pub(super) fn removed(&mut self, ids: &[PhotoId]) {
        for id in ids {
            self.unlocked.remove(id);
            self.selection.remove(id);
        }
        let on = self.cursor.and_then(|i| self.photos.get(i)).map(|p| p.id);
        self.photos.retain(|p| !ids.contains(&p.id));
        self.cursor = match on {
            Some(id) if !ids.contains(&id) => self.index_of(id),
            Some(_) => {
                self.cursor.map(|i| i.min(self.photos.len().saturating_sub(1))).filter(|_| !self.photos.is_empty())
            }
            None => None,
        };
    }

    /// Where photo `id` is in the list.
    pub(super) fn index_of(&self, id: PhotoId) -> Option<usize> {
        self.photos.iter().position(|p| p.id == id)
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

    /// The keyboard moves the cursor to `index` (clamped), selecting that photo alone, or
    /// adding it to the selection when `extend` (Shift); the view follows.
    pub(super) fn move_to(&mut self, index: usize, extend: bool) {
        let Some(last) = self.photos.len().checked_sub(1) else { return };
        let index = index.min(last);
        if !extend {
            self.selection.clear();
        }
        self.selection.insert(self.photos[index].id);
        self.cursor = Some(index);
        self.reveal = true;
    }

    /// The viewer shows photo `id`: the grid's cursor and selection follow it.
    pub(super) fn follow(&mut self, id: PhotoId) {
        if let Some(index) = self.index_of(id) {
            self.move_to(index, false);
        }
    }

    /// Selects every photo.
    pub(super) fn select_all(&mut self) {
        self.selection = self.photos.iter().map(|p| p.id).collect();
    }

    /// Total bytes of all photos, and of the selected ones.
    pub(super) fn sizes(&self) -> (u64, u64) {
        let total = self.photos.iter().map(|p| p.meta.bytes).sum();
        let selected = self.photos.iter().filter(|p| self.selection.contains(&p.id)).map(|p| p.meta.bytes).sum();
        (total, selected)
    }
}
