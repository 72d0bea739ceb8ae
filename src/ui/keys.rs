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
    /// The rows as drawn, `start..end` places each, when they are not all `columns` long
    /// (the grid's months end in short rows): Up and Down keep the column across them.
    pub(super) rows: Option<&'a [(usize, usize)]>,
}

impl Layout<'_> {
    fn index_at(&self, place: usize) -> usize {
        self.order.map_or(place, |order| order[place])
    }

    fn place_of(&self, index: usize) -> usize {
        self.order.map_or(index, |order| order.iter().position(|i| *i == index).unwrap_or(0))
    }

    /// The place `rows` rows below `here` (above when negative), in the same column where
    /// that row is long enough, else its last place.
    fn vertical(&self, here: usize, rows: isize, last: usize) -> usize {
        let Some(all) = self.rows.filter(|r| !r.is_empty()) else {
            let step = self.columns.saturating_mul(rows.unsigned_abs());
            return if rows < 0 { here.saturating_sub(step) } else { (here + step).min(last) };
        };
        let row = all.partition_point(|(_, end)| *end <= here).min(all.len() - 1);
        let column = here - all[row].0;
        let to = row.saturating_add_signed(rows).min(all.len() - 1);
        let (start, end) = all[to];
        (start + column).min(end - 1)
    }
}

/// The keys that move the cursor, in the order they win when several are pressed.
const MOVES: [Key; 8] =
    [Key::ArrowRight, Key::ArrowLeft, Key::ArrowDown, Key::ArrowUp, Key::PageDown, Key::PageUp, Key::Home, Key::End];

/// Applies this frame's keys to `library`.
pub(super) fn browse(library: &mut Library, ui: &egui::Ui, layout: Layout<'_>, actions: &mut Vec<Action>) {
    if ui.ctx().memory(|m| m.focused().is_some()) || library.is_empty() {
        return;
    }
    let last = library.len() - 1;
    let Some((key, shift)) =
        ui.input(|i| MOVES.into_iter().find(|k| i.key_pressed(*k)).map(|k| (k, i.modifiers.shift)))
    else {
        return other_keys(library, ui, actions);
    };
    // Where the cursor is in the view's order: worked out only when a key moves it.
    let here = library.cursor.map(|i| layout.place_of(i));
    let page = layout.page_rows as isize;
    let moved = match (here, key) {
        // With no cursor yet, the first key lands on the first photo (End on the last,
        // Page Down a page below the first).
        (None, Key::End) => last,
        (None, Key::PageDown) => layout.vertical(0, page, last),
        (None, _) => 0,
        (Some(here), Key::ArrowRight) => (here + 1).min(last),
        (Some(here), Key::ArrowLeft) => here.saturating_sub(1),
        (Some(here), Key::ArrowDown) => layout.vertical(here, 1, last),
        (Some(here), Key::ArrowUp) => layout.vertical(here, -1, last),
        (Some(here), Key::PageDown) => layout.vertical(here, page, last),
        (Some(here), Key::PageUp) => layout.vertical(here, -page, last),
        (Some(_), Key::Home) => 0,
        (Some(_), _) => last,
    };
    match here {
        // Shift extends the selection over every photo between, in the view's order.
        Some(here) if shift => {
            let (a, b) = (here.min(moved), here.max(moved));
            library.select_range((a..=b).map(|place| layout.index_at(place)), layout.index_at(moved));
        }
        _ => library.move_to(layout.index_at(moved)),
    }
    other_keys(library, ui, actions);
}

/// Enter, Ctrl+A, Delete and Esc.
fn other_keys(library: &mut Library, ui: &egui::Ui, actions: &mut Vec<Action>) {
    let (enter, all, delete, escape) = ui.input(|i| {
        (
            i.key_pressed(Key::Enter),
            i.modifiers.command && i.key_pressed(Key::A),
            i.key_pressed(Key::Delete),
            i.key_pressed(Key::Escape),
        )
    });
    if enter && let Some(index) = library.cursor {
        actions.push(Action::Open(library.id(index)));
    }
    if all {
        library.select_all();
    }
    if delete && library.selected_count() > 0 {
        actions.push(Action::AskDelete(library.selected()));
    }
    if escape {
        library.clear_selection();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_and_down_keep_the_column_across_short_rows() {
        // Two months: 0..5 in rows of 4 (0..4, 4..5), then 5..9 (5..9).
        let rows = [(0, 4), (4, 5), (5, 9)];
        let layout = Layout { columns: 4, page_rows: 2, order: None, rows: Some(&rows) };
        assert_eq!(layout.vertical(2, 1, 8), 4, "the short row's last place");
        assert_eq!(layout.vertical(4, 1, 8), 5, "column 0 of the next month");
        assert_eq!(layout.vertical(7, -1, 8), 4, "up into the short row");
        assert_eq!(layout.vertical(7, -2, 8), 2, "and its column above");
        assert_eq!(layout.vertical(1, 5, 8), 6, "a page down stops at the last row");
        let flat = Layout { columns: 4, page_rows: 2, order: None, rows: None };
        assert_eq!((flat.vertical(1, 1, 8), flat.vertical(1, -1, 8)), (5, 0));
    }
}
