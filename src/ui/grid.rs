//! The thumbnail grid: photos newest first, grouped under month headings (those without
//! a date last, under "No date"), laid out in
//! rows and virtualized: only the rows in view are drawn and have their thumbnails
//! loaded, so tens of thousands of photos scroll smoothly.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, Vec2, pos2, vec2};

use spg_core::imaging::THUMBNAIL_MAX_SIDE;
use spg_core::vault::PhotoId;

use super::action::Action;
use super::library::Library;
use super::thumbnails::Thumbnails;

const HEADING: f32 = 34.0;
const GAP: f32 = 6.0;

/// The month (year, 1–12) of a photo's date taken; `None` for a photo without one.
type Month = Option<(i32, u8)>;

/// One laid-out row: a month's heading, tiles `start..end` of the photo list, or a band
/// of months too small to fill a row, side by side, each under its own heading
/// (`sections[first..end]`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Row {
    Heading,
    Tiles(usize, usize),
    Band(usize, usize),
}

/// A month in a band: its photos `start..end`, from column `column`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Section {
    month: Month,
    start: usize,
    end: usize,
    column: usize,
}

/// The width a month's heading needs beside another: "September 2024" at its size.
const SECTION_MIN_WIDTH: f32 = 150.0;

/// One row of the layout, where it is, and the month it belongs to.
#[derive(Debug, Clone, Copy)]
struct Placed {
    top: f32,
    height: f32,
    /// The month of the row's photos.
    month: Month,
    /// The end of the photos up to and including this row (a heading's is its month's
    /// start): rows are in photo order, so the row holding photo `i` is found by a binary
    /// search on it.
    end: usize,
    row: Row,
}

impl Placed {
    fn bottom(&self) -> f32 {
        self.top + self.height
    }
}

fn month_of(taken: Option<i64>) -> Month {
    let t = time::OffsetDateTime::from_unix_timestamp(taken?).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Some((t.year(), u8::from(t.month())))
}

fn month_name(month: Month) -> String {
    let Some((year, month)) = month else { return "No date".to_string() };
    time::Month::try_from(month).map_or_else(|_| year.to_string(), |month| format!("{month} {year}"))
}

/// The grid's rows for one list of photos at one width, made when either changes (not
/// every frame: a frame costs the same with a million photos as with a hundred).
#[derive(Default)]
pub(super) struct GridView {
    /// The library generation, columns and tile size (its bits) the rows are for.
    made_for: Option<(u64, usize, u32)>,
    rows: Vec<Placed>,
    /// The months of the bands, in order.
    sections: Vec<Section>,
    /// The tile rows alone, `start..end` each, for the keyboard.
    tile_rows: Vec<(usize, usize)>,
    height: f32,
}

impl GridView {
    /// Lays out `count` photos (newest first; `time` gives one's date taken by its place)
    /// in rows of `columns` tiles, a heading before each month, unless they are laid out
    /// that way already. Months of fewer photos than a row holds share rows (bands), so
    /// that a month of one photo does not take a row of its own.
    fn lay_out(
        &mut self,
        generation: u64,
        count: usize,
        time: impl Fn(usize) -> Option<i64>,
        columns: usize,
        tile: f32,
    ) {
        let key = (generation, columns, tile.to_bits());
        if self.made_for == Some(key) {
            return;
        }
        self.rows.clear();
        self.sections.clear();
        self.tile_rows.clear();
        // The columns a small month takes: its photos, or what its heading needs.
        let least = ((SECTION_MIN_WIDTH + GAP) / (tile + GAP)).ceil() as usize;
        let mut y = 0.0;
        let mut band: Option<(usize, usize)> = None; // first section, columns used
        let mut i = 0;
        while i < count {
            let month = month_of(time(i));
            let end = (i + 1..count).find(|&n| month_of(time(n)) != month).unwrap_or(count);
            let wide = (end - i).max(least);
            if end - i < columns && wide <= columns {
                let column = match band {
                    Some((_, used)) if used + wide <= columns => used,
                    _ => {
                        y = self.end_band(band.take(), y, tile);
                        0
                    }
                };
                let first = band.map_or(self.sections.len(), |(first, _)| first);
                self.sections.push(Section { month, start: i, end, column });
                band = Some((first, column + wide));
                i = end;
                continue;
            }
            y = self.end_band(band.take(), y, tile);
            self.rows.push(Placed { top: y, height: HEADING, month, end: i, row: Row::Heading });
            y += HEADING;
            let mut start = i;
            while start < end {
                let stop = (start + columns).min(end);
                self.rows.push(Placed { top: y, height: tile + GAP, month, end: stop, row: Row::Tiles(start, stop) });
                self.tile_rows.push((start, stop));
                y += tile + GAP;
                start = stop;
            }
            i = end;
        }
        self.height = self.end_band(band, y, tile);
        self.made_for = Some(key);
    }

    /// Places the band whose sections start at `first` (if any) at `y`; the height below it.
    fn end_band(&mut self, band: Option<(usize, usize)>, y: f32, tile: f32) -> f32 {
        let Some((first, _)) = band else { return y };
        let sections = &self.sections[first..];
        let (start, end) = (sections[0].start, sections[sections.len() - 1].end);
        let row = Row::Band(first, self.sections.len());
        self.rows.push(Placed { top: y, height: HEADING + tile + GAP, month: sections[0].month, end, row });
        self.tile_rows.push((start, end));
        y + HEADING + tile + GAP
    }

    /// The rows that show between `top` and `bottom`.
    fn between(&self, top: f32, bottom: f32) -> &[Placed] {
        let first = self.rows.partition_point(|r| r.bottom() < top);
        let last = first + self.rows[first..].partition_point(|r| r.top <= bottom);
        &self.rows[first..last]
    }

    /// The span (top, height) to bring into view for photo `index`: its row, with its
    /// month's heading when the row is the month's first.
    fn span_of(&self, index: usize) -> Option<(f32, f32)> {
        let at = self.rows.partition_point(|r| r.end <= index);
        let row = self.rows.get(at)?;
        let heading = at.checked_sub(1).map(|above| &self.rows[above]).filter(|r| r.row == Row::Heading);
        let top = heading.map_or(row.top, |h| h.top);
        Some((top, row.bottom() - top))
    }

    /// The month at `y`: that of the row there.
    fn month_at(&self, y: f32) -> Option<Month> {
        let at = self.rows.partition_point(|r| r.bottom() <= y);
        self.rows.get(at).or(self.rows.last()).map(|r| r.month)
    }
}

/// How many tiles fit across `width` at the preferred size `preferred`, and the tile size
/// that fills the row exactly (rows are justified: no empty strip on the right).
fn columns_and_tile(width: f32, preferred: f32) -> (usize, f32) {
    let columns = ((width + GAP) / (preferred + GAP)).floor().max(1.0);
    (columns as usize, ((width + GAP) / columns - GAP).max(16.0))
}

/// How the grid is drawn this frame.
pub(super) struct Look {
    /// The preferred tile size in points (rows are justified around it).
    pub(super) tile: f32,
    /// File names on the tiles.
    pub(super) captions: bool,
    /// Whether the grid takes keys (not while a dialog is open).
    pub(super) keys: bool,
}

impl GridView {
    /// Draws the grid into the remaining space.
    pub(super) fn ui(
        &mut self,
        library: &mut Library,
        thumbnails: &mut Thumbnails,
        ui: &mut egui::Ui,
        look: Look,
        actions: &mut Vec<Action>,
    ) {
        egui::CentralPanel::default().show(ui, |ui| {
            if library.is_empty() {
                empty_state(ui, library);
                return;
            }
            // The scroll bar's room is kept, so that rows do not reflow when it appears.
            let (columns, tile) = columns_and_tile(ui.available_width() - 16.0, look.tile);
            let page_rows = (ui.available_height() / (tile + GAP)).floor().max(1.0) as usize;
            self.lay_out(library.generation, library.len(), |i| library.photo(i).taken_time, columns, tile);
            if look.keys {
                let layout = super::keys::Layout { columns, page_rows, order: None, rows: Some(&self.tile_rows) };
                super::keys::browse(library, ui, layout, actions);
            }
            let panel = ui.max_rect();
            // A handle long enough to grab: egui's 12 points is a dot beside a million photos.
            ui.spacing_mut().scroll.handle_min_length = 32.0;
            let scrolled = egui::ScrollArea::vertical().auto_shrink(false).show_viewport(ui, |ui, viewport| {
                ui.set_height(self.height);
                let origin = ui.max_rect().min;
                if std::mem::take(&mut library.reveal)
                    && let Some((top, height)) = library.cursor.and_then(|cursor| self.span_of(cursor))
                {
                    let rect = Rect::from_min_size(pos2(origin.x, origin.y + top), vec2(1.0, height));
                    ui.scroll_to_rect(rect, None);
                }
                for placed in self.between(viewport.min.y, viewport.max.y) {
                    let y = origin.y + placed.top;
                    match placed.row {
                        Row::Heading => {
                            let rect =
                                Rect::from_min_size(pos2(origin.x + 2.0, y), vec2(ui.available_width(), HEADING));
                            heading(ui, rect, placed.month);
                        }
                        Row::Tiles(start, end) => {
                            for (col, index) in (start..end).enumerate() {
                                let min = pos2(origin.x + col as f32 * (tile + GAP), y);
                                let rect = Rect::from_min_size(min, Vec2::splat(tile));
                                draw_tile(library, thumbnails, ui, index, rect, look.captions, actions);
                            }
                        }
                        Row::Band(first, end) => {
                            for section in &self.sections[first..end] {
                                let x = origin.x + section.column as f32 * (tile + GAP);
                                let width = (section.end - section.start) as f32 * (tile + GAP) - GAP;
                                let rect =
                                    Rect::from_min_size(pos2(x + 2.0, y), vec2(width.max(SECTION_MIN_WIDTH), HEADING));
                                heading(ui, rect, section.month);
                                for (col, index) in (section.start..section.end).enumerate() {
                                    let min = pos2(x + col as f32 * (tile + GAP), y + HEADING);
                                    let rect = Rect::from_min_size(min, Vec2::splat(tile));
                                    draw_tile(library, thumbnails, ui, index, rect, look.captions, actions);
                                }
                            }
                        }
                    }
                }
                viewport
            });
            self.month_bubble(ui, panel, scrolled.inner);
        });
    }

    /// While the scroll bar is dragged, or the grid jumps far (more than half a screen in
    /// a frame: Page Down, Home, End), the month at the top of the view shows beside the
    /// scroll bar, as photo apps do, so a million photos can be crossed by date.
    fn month_bubble(&self, ui: &egui::Ui, panel: Rect, viewport: Rect) {
        let id = ui.scope_id().with("month-bubble");
        let now = ui.input(|i| i.time);
        let (last_top, until) = ui.ctx().data_mut(|d| *d.get_temp_mut_or_insert_with(id, || (viewport.min.y, 0.0)));
        // A drag that started on the scroll bar (the panel's right edge) counts too.
        let on_bar = ui.input(|i| {
            i.pointer.primary_down()
                && i.pointer.press_origin().is_some_and(|p| panel.contains(p) && p.x > panel.right() - 16.0)
        });
        let jumped = on_bar || (viewport.min.y - last_top).abs() > viewport.height() / 2.0;
        let until = if jumped { now + BUBBLE_SECONDS } else { until };
        ui.ctx().data_mut(|d| d.insert_temp(id, (viewport.min.y, until)));
        if now >= until {
            return;
        }
        ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(until - now));
        let Some(month) = self.month_at(viewport.min.y + 1.0).map(month_name) else { return };
        let travel = (self.height - viewport.height()).max(1.0);
        let fraction = (viewport.min.y / travel).clamp(0.0, 1.0);
        let y = panel.top() + fraction * (panel.height() - 32.0);
        // On one line, its right edge by the scroll bar.
        egui::Area::new(id)
            .order(egui::Order::Foreground)
            .pivot(Align2::RIGHT_TOP)
            .fixed_pos(pos2(panel.right() - 20.0, y))
            .interactable(false)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    let label = ui.add(egui::Label::new(egui::RichText::new(&month).strong()).extend());
                    label.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Label, true, format!("Scrolled to {month}"))
                    });
                });
            });
    }
}

/// A month's heading in `rect`.
fn heading(ui: &mut egui::Ui, rect: Rect, month: Month) {
    let layout = egui::Layout::left_to_right(egui::Align::Center);
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), |ui| {
        ui.add(egui::Label::new(egui::RichText::new(month_name(month)).size(17.0).strong()).truncate());
    });
}

/// How long the month stays shown after a long jump (a dragged scroll bar, Page Down,
/// Home, End), in seconds.
const BUBBLE_SECONDS: f64 = 1.0;

/// What shows where there are no photos: a spinner until the list arrives, then a word
/// on how to import, or that the search found nothing.
pub(super) fn empty_state(ui: &mut egui::Ui, library: &Library) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        if !library.listed {
            super::widgets::spinner(ui, None);
        } else if library.all.is_empty() {
            ui.heading("No photos yet");
            ui.label("Import photos with the buttons above, or drop files and folders on this window.");
        } else if library.album.is_some() && library.base_len == 0 {
            ui.heading("This album is empty");
            ui.label(
                "Drop files on this window to import them into it, or show all photos, select some, and \
                 use Album… (or drag them onto the album).",
            );
        } else {
            ui.heading("No photos match");
            ui.label("Change the search or the filter above to see more.");
        }
    });
}

/// Paints photo `id`'s thumbnail fitted into `rect`, loading it at the size the screen
/// needs; `false` while there is none to paint (on its way, hidden or unreadable).
pub(super) fn paint_thumbnail(
    ui: &egui::Ui,
    painter: &egui::Painter,
    rect: Rect,
    id: PhotoId,
    library: &Library,
    thumbnails: &mut Thumbnails,
) -> bool {
    let side = thumbnail_side(rect.width() * ui.ctx().pixels_per_point());
    let Some(texture) = thumbnails.want(id, side, library.unlock_of(id)) else { return false };
    let size = texture.size_vec2();
    let scale = (rect.width() / size.x).min(rect.height() / size.y);
    let shown = Rect::from_center_size(rect.center(), size * scale);
    painter.image(texture.id(), shown, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
    true
}

/// The thumbnail size to load for a tile `pixels` wide: the next power of two, so
/// changing the tile size reloads thumbnails only when it crosses one; at most the
/// stored thumbnail's size.
pub(super) fn thumbnail_side(pixels: f32) -> u32 {
    (pixels.ceil() as u32).next_power_of_two().clamp(64, THUMBNAIL_MAX_SIDE)
}

/// The side of a tile's badges (padlock, check mark): a sixth of the tile, within limits.
fn badge_side(tile: f32) -> f32 {
    (tile / 6.0).clamp(12.0, 24.0)
}

fn draw_tile(
    library: &mut Library,
    thumbnails: &mut Thumbnails,
    ui: &mut egui::Ui,
    index: usize,
    rect: Rect,
    caption: bool,
    actions: &mut Vec<Action>,
) {
    let photo = library.photo(index);
    let id = photo.id;
    let name = photo.name.to_owned();
    let response = ui.interact(rect, ui.scope_id().with(("tile", id)), Sense::click_and_drag());
    if response.drag_started() {
        // Dragged: the selection when this photo is in it, else this photo alone, to be
        // dropped on an album (`albums::drop_targets`).
        let photos = if library.is_selected(id) { library.selected() } else { vec![id] };
        egui::DragAndDrop::set_payload(ui.ctx(), super::albums::DraggedPhotos(photos));
    }
    let locked = library.is_locked(id);
    let selected = library.is_selected(id);
    let failed = thumbnails.is_failed(id);
    response.widget_info(|| {
        let mut label = name.clone();
        if locked {
            label.push_str(" (locked)");
        }
        if failed {
            label.push_str(" (preview unreadable)");
        }
        let mut info = egui::WidgetInfo::labeled(egui::Role::Button, true, label);
        info.selected = Some(selected);
        info
    });
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    painter.rect_filled(rect, 6.0, visuals.faint_bg_color);
    if !paint_thumbnail(ui, &painter, rect, id, library, thumbnails) {
        // A hidden or unreadable preview says so; anything else is still on its way.
        let (text, size) = if thumbnails.is_hidden(id) {
            ("Preview hidden", 13.0)
        } else if failed {
            ("⚠ Preview unreadable", 13.0)
        } else {
            ("…", 18.0)
        };
        painter.text(rect.center(), Align2::CENTER_CENTER, text, FontId::proportional(size), visuals.weak_text_color());
    }
    if caption {
        let band = Rect::from_min_max(pos2(rect.left(), rect.bottom() - 22.0), rect.right_bottom());
        painter.rect_filled(
            band,
            egui::CornerRadius { sw: 6, se: 6, ..Default::default() },
            Color32::from_black_alpha(150),
        );
        let inside = band.shrink2(vec2(6.0, 0.0));
        let layout = egui::Layout::left_to_right(egui::Align::Center);
        let mut label = ui.new_child(egui::UiBuilder::new().max_rect(inside).layout(layout));
        let text = egui::RichText::new(&name).size(12.0).color(Color32::WHITE);
        label.add(egui::Label::new(text).truncate().selectable(false).sense(Sense::hover()));
    }
    let badge = badge_side(rect.width());
    let inset = badge / 4.0;
    if locked {
        let at = rect.right_top() + vec2(-badge - inset, inset);
        lock_badge(&painter, Rect::from_min_size(at, Vec2::splat(badge)));
    }
    let accent = visuals.hyperlink_color;
    if selected {
        painter.rect_stroke(rect.shrink(1.5), 6.0, Stroke::new(3.0, accent), StrokeKind::Inside);
        check_badge(&painter, Rect::from_min_size(rect.left_top() + Vec2::splat(inset), Vec2::splat(badge)), accent);
    }
    if library.cursor == Some(index) && !selected {
        painter.rect_stroke(rect.shrink(1.5), 6.0, Stroke::new(1.5, visuals.text_color()), StrokeKind::Inside);
    } else if response.hovered() && !selected {
        painter.rect_stroke(rect, 6.0, visuals.widgets.hovered.bg_stroke, StrokeKind::Inside);
    }
    let response = response.on_hover_text(&name);
    if response.double_clicked() {
        actions.push(Action::Open(id));
    } else if response.clicked() {
        let modifiers = ui.input(|i| i.modifiers);
        library.click(index, modifiers);
    }
}

/// A small padlock drawn with shapes (crisp at any size, in any font), in a dark disc
/// `badge` wide.
fn lock_badge(painter: &egui::Painter, badge: Rect) {
    painter.circle_filled(badge.center(), badge.width() / 2.0, Color32::from_black_alpha(160));
    let u = badge.width() / 22.0; // the drawing's unit: 1 at the largest badge
    let c = badge.center();
    let body = Rect::from_center_size(c + vec2(0.0, 2.5 * u), vec2(10.0 * u, 7.5 * u));
    painter.rect_filled(body, 1.5 * u, Color32::WHITE);
    let shackle = [(-3.0, -1.0), (-3.0, -4.5), (-1.5, -6.0), (1.5, -6.0), (3.0, -4.5), (3.0, -1.0)]
        .map(|(x, y)| c + vec2(x * u, y * u));
    painter.line(shackle.to_vec(), Stroke::new(1.6 * u, Color32::WHITE));
}

/// A check mark in an accent-coloured disc: the tile is selected.
fn check_badge(painter: &egui::Painter, badge: Rect, accent: Color32) {
    let c = badge.center();
    let r = badge.width() / 2.0;
    painter.circle(c, r, accent, Stroke::new(1.5, Color32::WHITE));
    let u = badge.width() / 22.0;
    let tick = [c + vec2(-5.0 * u, 0.0), c + vec2(-1.5 * u, 3.5 * u), c + vec2(5.0 * u, -4.0 * u)];
    painter.line(tick.to_vec(), Stroke::new(2.2 * u, Color32::WHITE));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_justified_and_never_narrower_than_one_tile() {
        let (columns, tile) = columns_and_tile(1000.0, 160.0);
        assert_eq!(columns, 6);
        assert!((columns as f32 * (tile + GAP) - GAP - 1000.0).abs() < 0.01, "the row fills the width");
        assert!(tile >= 160.0);
        assert_eq!(columns_and_tile(100.0, 160.0).0, 1);
    }

    #[test]
    fn the_layout_finds_rows_photos_and_months_by_position_and_is_made_once_per_change() {
        // Six photos of June, then two of May and two without a date, four to a row of
        // 100-point tiles: June has its heading and rows 0..4, 4..6; May and "No date",
        // each under a row's length, share a band (two columns each, for their headings).
        let (june, may) = (Some(1_718_013_600), Some(1_714_557_600)); // 2024-06-10 and 2024-05-01, 10:00
        let times = [june, june, june, june, june, june, may, may, None, None];
        let time = |i: usize| times[i];
        let mut grid = GridView::default();
        grid.lay_out(1, times.len(), time, 4, 100.0);
        let rows: Vec<Row> = grid.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, [Row::Heading, Row::Tiles(0, 4), Row::Tiles(4, 6), Row::Band(0, 2)]);
        let may_section = Section { month: Some((2024, 5)), start: 6, end: 8, column: 0 };
        assert_eq!(grid.sections, [may_section, Section { month: None, start: 8, end: 10, column: 2 }]);
        assert_eq!(grid.tile_rows, [(0, 4), (4, 6), (6, 10)]);
        let tiles = 100.0 + GAP;
        assert!((grid.height - (2.0 * HEADING + 3.0 * tiles)).abs() < 0.01);
        // A month's first row comes into view with its heading (Home shows "June 2024"); a
        // band holds its headings.
        for (index, span) in [
            (0, (0.0, HEADING + tiles)),
            (3, (0.0, HEADING + tiles)),
            (4, (HEADING + tiles, tiles)),
            (9, (HEADING + 2.0 * tiles, HEADING + tiles)),
        ] {
            let (top, height) = grid.span_of(index).unwrap();
            assert!((top - span.0).abs() < 0.01 && (height - span.1).abs() < 0.01, "photo {index}: {top}, {height}");
        }
        assert_eq!(grid.span_of(10), None);
        // The rows in a window, and the month at a height.
        let shown: Vec<Row> = grid.between(HEADING + 1.0, HEADING + tiles + 10.0).iter().map(|r| r.row).collect();
        assert_eq!(shown, [Row::Tiles(0, 4), Row::Tiles(4, 6)]);
        assert_eq!(grid.month_at(0.0), Some(Some((2024, 6))));
        assert_eq!(grid.month_at(HEADING + 2.0 * tiles + 1.0), Some(Some((2024, 5))), "a band: its first month");
        assert_eq!(month_name(None), "No date");
        // Too narrow for two small months side by side: a band each; too narrow for a
        // heading beside another (one column): months as rows under headings.
        grid.lay_out(2, times.len(), time, 3, 100.0);
        let rows: Vec<Row> = grid.rows.iter().map(|r| r.row).collect();
        assert_eq!(rows, [Row::Heading, Row::Tiles(0, 3), Row::Tiles(3, 6), Row::Band(0, 1), Row::Band(1, 2)]);
        grid.lay_out(3, times.len(), time, 1, 100.0);
        assert_eq!(grid.rows.iter().filter(|r| r.row == Row::Heading).count(), 3);
        assert!(grid.sections.is_empty());
        // The same generation and width: nothing is laid out again.
        grid.rows.clear();
        grid.lay_out(3, times.len(), time, 1, 100.0);
        assert!(grid.rows.is_empty());
    }

    #[test]
    fn thumbnails_load_at_the_tile_size_rounded_up_to_a_power_of_two() {
        // 72- and 160-point tiles on a 1x display, 160 on 2x, 320 on 1x and 2x.
        for (pixels, side) in [(72.0, 128), (160.0, 256), (320.0, 512), (640.0, 512), (20.0, 64)] {
            assert_eq!(thumbnail_side(pixels), side, "{pixels}");
        }
    }
}
