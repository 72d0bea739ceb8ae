//! The details view: the photos shown as a table (a small thumbnail, name, date taken,
//! size, dimensions, camera, locked or unlocked), sortable by any column, virtualised
//! (only the rows in view are laid out, so 10,000 rows scroll as smoothly as the grid),
//! with the grid's selection and keys.

use egui::{Align, Sense};
use egui_extras::{Column, TableBuilder};

use spg_core::vault::PhotoRef;

use super::action::{Action, human_size};
use super::library::Library;
use super::thumbnails::Thumbnails;

/// A column the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortBy {
    /// The file name.
    Name,
    /// When it was taken (else imported).
    Taken,
    /// The file size.
    Size,
    /// Pixels.
    Dimensions,
    /// The camera.
    Camera,
    /// Locked first.
    Lock,
}

/// The table's own state: its sort, and the order of the library's photos it gives.
pub(super) struct TableView {
    sort: SortBy,
    ascending: bool,
    /// `order[row]` is the index in the library's shown photos.
    order: Vec<usize>,
    /// The library generation (and unlocked count) `order` was made for.
    made_for: Option<(u64, usize)>,
}

impl Default for TableView {
    fn default() -> Self {
        // Newest first, as the grid.
        TableView { sort: SortBy::Taken, ascending: false, order: Vec::new(), made_for: None }
    }
}

/// Sorts `order` (places among the library's shown photos) by `key`, stably.
fn sort_by_key<'a, K: Ord>(
    order: &mut [usize],
    library: &'a Library,
    ascending: bool,
    key: impl Fn(PhotoRef<'a>) -> K,
) {
    if ascending {
        order.sort_by_cached_key(|&i| key(library.photo(i)));
    } else {
        order.sort_by_cached_key(|&i| std::cmp::Reverse(key(library.photo(i))));
    }
}

const ROW: f32 = 36.0;
const THUMB: f32 = 32.0;

impl TableView {
    fn sort_order(&mut self, library: &Library) {
        let key = (library.generation, library.unlocked.len());
        if self.made_for == Some(key) {
            return;
        }
        let mut order: Vec<usize> = (0..library.len()).collect();
        // Each photo's key is worked out once, not in each of the n log n comparisons; the
        // sort is stable on the library's order (newest first), which breaks ties.
        let ascending = self.ascending;
        match self.sort {
            SortBy::Name => sort_by_key(&mut order, library, ascending, |p| p.name.to_lowercase()),
            // Photos without a date last, whichever way the column sorts.
            SortBy::Taken => {
                sort_by_key(&mut order, library, ascending, |p| (p.taken_time.is_none() == ascending, p.taken_time))
            }
            SortBy::Size => sort_by_key(&mut order, library, ascending, |p| p.bytes),
            SortBy::Dimensions => {
                sort_by_key(&mut order, library, ascending, |p| u64::from(p.width) * u64::from(p.height));
            }
            // Unknown cameras last, whichever way the column sorts.
            SortBy::Camera => {
                sort_by_key(&mut order, library, ascending, |p| (p.camera.is_none() == ascending, p.camera))
            }
            SortBy::Lock => sort_by_key(&mut order, library, ascending, |p| std::cmp::Reverse(library.is_locked(p.id))),
        }
        self.order = order;
        self.made_for = Some(key);
    }

    /// A click on a column's heading: sort by it, or reverse the sort.
    fn sort_by(&mut self, column: SortBy) {
        if self.sort == column {
            self.ascending = !self.ascending;
        } else {
            self.sort = column;
            self.ascending = !matches!(column, SortBy::Taken | SortBy::Size | SortBy::Dimensions);
        }
        self.made_for = None;
    }

    /// Draws the table into the remaining space.
    pub(super) fn ui(
        &mut self,
        library: &mut Library,
        thumbnails: &mut Thumbnails,
        ui: &mut egui::Ui,
        keys: bool,
        actions: &mut Vec<Action>,
    ) {
        egui::CentralPanel::default().show(ui, |ui| {
            if library.is_empty() {
                super::grid::empty_state(ui, library);
                return;
            }
            self.sort_order(library);
            if keys {
                let page_rows = (ui.available_height() / ROW).floor().max(1.0) as usize;
                let layout = super::keys::Layout { columns: 1, page_rows, order: Some(&self.order), rows: None };
                super::keys::browse(library, ui, layout, actions);
            }
            let reveal = std::mem::take(&mut library.reveal)
                .then(|| library.cursor.and_then(|c| self.order.iter().position(|i| *i == c)))
                .flatten();
            // Narrower than its columns (a 640-point window), the table scrolls sideways
            // rather than cutting off the Lock column.
            let mut clicked_heading = None;
            egui::ScrollArea::horizontal().id_salt("details-across").show(ui, |ui| {
                let mut table = TableBuilder::new(ui)
                    .id_salt("details")
                    .striped(true)
                    .sense(Sense::click())
                    .cell_layout(egui::Layout::left_to_right(Align::Center))
                    .column(Column::exact(THUMB + 8.0))
                    .column(Column::remainder().at_least(140.0).clip(true))
                    .column(Column::auto().at_least(120.0))
                    .column(Column::auto().at_least(64.0))
                    .column(Column::auto().at_least(90.0))
                    .column(Column::auto().at_least(190.0).clip(true))
                    .column(Column::auto().at_least(70.0));
                if let Some(row) = reveal {
                    table = table.scroll_to_row(row, None);
                }
                let headings = [
                    ("Name", SortBy::Name),
                    ("Taken", SortBy::Taken),
                    ("Size", SortBy::Size),
                    ("Dimensions", SortBy::Dimensions),
                    ("Camera", SortBy::Camera),
                    ("Lock", SortBy::Lock),
                ];
                table
                    .header(24.0, |mut header| {
                        header.col(|_| {});
                        for (title, column) in headings {
                            header.col(|ui| {
                                let arrow = match (self.sort == column, self.ascending) {
                                    (true, true) => " ⬆",
                                    (true, false) => " ⬇",
                                    (false, _) => "",
                                };
                                let label = egui::RichText::new(format!("{title}{arrow}")).strong();
                                if ui
                                    .add(egui::Button::new(label).frame(false))
                                    .on_hover_text("Sort by this column")
                                    .clicked()
                                {
                                    clicked_heading = Some(column);
                                }
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(ROW, self.order.len(), |mut row| {
                            let index = self.order[row.index()];
                            draw_row(&mut row, library, thumbnails, index, &self.order, actions);
                        });
                    });
            });
            if let Some(column) = clicked_heading {
                self.sort_by(column);
            }
        });
    }
}

/// One photo's row.
fn draw_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    library: &mut Library,
    thumbnails: &mut Thumbnails,
    index: usize,
    order: &[usize],
    actions: &mut Vec<Action>,
) {
    let photo = library.photo(index);
    let id = photo.id;
    let locked = library.is_locked(id);
    row.set_selected(library.is_selected(id));
    row.col(|ui| {
        let side = super::grid::thumbnail_side(THUMB * ui.ctx().pixels_per_point());
        if let Some(texture) = thumbnails.want(id, side, library.unlock_of(id)) {
            let size = texture.size_vec2();
            let scale = (THUMB / size.x).min(THUMB / size.y);
            ui.add(egui::Image::new((texture.id(), size * scale)));
        }
    });
    row.col(|ui| {
        ui.add(egui::Label::new(photo.name).truncate().selectable(false));
    });
    row.col(|ui| {
        let taken = photo.taken_at.map_or_else(|| "—".into(), super::wording::readable_date);
        ui.add(egui::Label::new(taken).selectable(false));
    });
    row.col(|ui| {
        ui.add(egui::Label::new(human_size(photo.bytes)).selectable(false));
    });
    row.col(|ui| {
        ui.add(egui::Label::new(format!("{} × {}", photo.width, photo.height)).selectable(false));
    });
    row.col(|ui| {
        let camera = photo.camera.unwrap_or("—");
        ui.add(egui::Label::new(camera).truncate().selectable(false));
    });
    row.col(|ui| {
        ui.add(egui::Label::new(if locked { "🔒 Locked" } else { "🔓 Unlocked" }).selectable(false));
    });
    let response = row.response();
    if response.double_clicked() {
        actions.push(Action::Open(id));
    } else if response.clicked() {
        let modifiers = response.ctx.input(|i| i.modifiers);
        // Shift-click takes the rows between, as the table shows them.
        let place = |i: usize| order.iter().position(|o| *o == i);
        match (modifiers.shift, library.cursor.and_then(place), place(index)) {
            (true, Some(anchor), Some(here)) => {
                let (a, b) = (anchor.min(here), anchor.max(here));
                library.select_range(order[a..=b].iter().copied(), index);
            }
            _ => library.click(index, modifiers),
        }
    }
}
