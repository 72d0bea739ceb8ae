//! The keys of the photo views, one set for the grid and the details table: arrows move
//! the cursor (Shift extends the selection), Page Up/Down by a screenful, Home/End to the
//! ends; Enter opens, Ctrl+A selects all, Delete asks to delete, Esc clears the
//! selection. Keys typed into a field, or meant for a dialog, are not theirs.

use egui::Key;

use super::action::Action;
use super::library::Library;

/// How a view lays the photos out for the keyboard.
pub(super) struct Layout<'a> {
    /// Photos across a row (1 for a table).
    pub(super) columns: usize,
    /// Rows on one screen.
    pub(super) page_rows: usize,
    /// The photo shown at each place, when the view sorts them its own way (`None`: in
    /// the library's order).
    pub(super) order: Option<&'a [usize]>,
}

impl Layout<'_> {
    fn index_at(&self, place: usize) -> usize {
        self.order.map_or(place, |order| order[place])
    }

    fn place_of(&self, index: usize) -> usize {
        self.order.map_or(index, |order| order.iter().position(|i| *i == index).unwrap_or(0))
    }
}

/// Applies this frame's keys to `library`.
pub(super) fn browse(library: &mut Library, ui: &egui::Ui, layout: Layout<'_>, actions: &mut Vec<Action>) {
    if ui.ctx().memory(|m| m.focused().is_some()) || library.photos.is_empty() {
        return;
    }
    let last = library.photos.len() - 1;
    let here = library.cursor.map(|i| layout.place_of(i));
    let (columns, page) = (layout.columns, layout.columns * layout.page_rows);
    let (moved, shift) = ui.input(|i| {
        // With no cursor yet, the first key lands on the first photo.
        let Some(here) = here else {
            let any =
                [Key::ArrowRight, Key::ArrowLeft, Key::ArrowDown, Key::ArrowUp, Key::PageDown, Key::PageUp, Key::Home]
                    .into_iter()
                    .any(|key| i.key_pressed(key));
            return (if i.key_pressed(Key::End) { Some(last) } else { any.then_some(0) }, i.modifiers.shift);
        };
        let to = [
            (Key::ArrowRight, (here + 1).min(last)),
            (Key::ArrowLeft, here.saturating_sub(1)),
            (Key::ArrowDown, (here + columns).min(last)),
            (Key::ArrowUp, here.saturating_sub(columns)),
            (Key::PageDown, (here + page).min(last)),
            (Key::PageUp, here.saturating_sub(page)),
            (Key::Home, 0),
            (Key::End, last),
        ]
        .into_iter()
        .find(|(key, _)| i.key_pressed(*key))
        .map(|(_, to)| to);
        (to, i.modifiers.shift)
    });
    match (moved, here) {
        // Shift extends the selection over every photo between, in the view's order.
        (Some(to), Some(here)) if shift => {
            let (a, b) = (here.min(to), here.max(to));
            library.select_range((a..=b).map(|place| layout.index_at(place)), layout.index_at(to));
        }
        (Some(to), _) => library.move_to(layout.index_at(to)),
        (None, _) => {}
    }
    let (enter, all, delete, escape) = ui.input(|i| {
        (
            i.key_pressed(Key::Enter),
            i.modifiers.command && i.key_pressed(Key::A),
            i.key_pressed(Key::Delete),
            i.key_pressed(Key::Escape),
        )
    });
    if enter && let Some(index) = library.cursor {
        actions.push(Action::Open(library.photos[index].id));
    }
    if all {
        library.select_all();
    }
    if delete && !library.selection.is_empty() {
        actions.push(Action::AskDelete(library.selected()));
    }
    if escape {
        library.selection.clear();
    }
}
