//! The thumbnail grid: photos newest first, grouped under month headings, laid out in
//! rows and virtualized: only the rows in view are drawn and have their thumbnails
//! loaded, so tens of thousands of photos scroll smoothly.

use egui::{Align2, Color32, FontId, Key, Rect, Sense, Stroke, StrokeKind, Vec2, pos2, vec2};

use crate::imaging::THUMBNAIL_MAX_SIDE;
use crate::vault::PhotoId;

use super::action::Action;
use super::gallery::GalleryScreen;

const HEADING: f32 = 34.0;
const GAP: f32 = 6.0;

/// One laid-out row: a month heading, or tiles `start..end` of the photo list.
enum Row {
    Heading(String),
    Tiles(usize, usize),
}

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_of(seconds: i64) -> (i32, u8) {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (t.year(), u8::from(t.month()))
}

/// Rows for `columns` tiles per row, with each row's top offset and height.
fn layout(screen: &GalleryScreen, columns: usize, tile: f32) -> (Vec<(f32, f32, Row)>, f32) {
    let mut rows = Vec::new();
    let mut y = 0.0;
    let mut i = 0;
    while i < screen.photos.len() {
        let month = month_of(screen.photos[i].meta.sort_time());
        let end = screen.photos[i..]
            .iter()
            .position(|p| month_of(p.meta.sort_time()) != month)
            .map_or(screen.photos.len(), |n| i + n);
        rows.push((y, HEADING, Row::Heading(format!("{} {}", MONTHS[usize::from(month.1 - 1)], month.0))));
        y += HEADING;
        let mut start = i;
        while start < end {
            let stop = (start + columns).min(end);
            rows.push((y, tile + GAP, Row::Tiles(start, stop)));
            y += tile + GAP;
            start = stop;
        }
        i = end;
    }
    (rows, y)
}

/// Draws the grid into the remaining space.
pub(super) fn ui(screen: &mut GalleryScreen, ui: &mut egui::Ui, tile: f32, actions: &mut Vec<Action>) {
    egui::CentralPanel::default().show(ui, |ui| {
        if screen.photos.is_empty() {
            empty_state(ui, screen.listed);
            return;
        }
        let columns = (((ui.available_width() - 16.0) + GAP) / (tile + GAP)).floor().max(1.0) as usize;
        keyboard(screen, ui, columns, actions);
        let (rows, height) = layout(screen, columns, tile);
        egui::ScrollArea::vertical().auto_shrink(false).show_viewport(ui, |ui, viewport| {
            ui.set_height(height);
            let origin = ui.max_rect().min;
            for (top, row_height, row) in &rows {
                if *top + row_height < viewport.min.y || *top > viewport.max.y {
                    continue;
                }
                let y = origin.y + top;
                match row {
                    Row::Heading(text) => {
                        let rect = Rect::from_min_size(pos2(origin.x + 2.0, y), vec2(ui.available_width(), HEADING));
                        let layout = egui::Layout::left_to_right(egui::Align::Center);
                        ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), |ui| {
                            ui.label(egui::RichText::new(text).size(17.0).strong());
                        });
                    }
                    Row::Tiles(start, end) => {
                        for (col, index) in (*start..*end).enumerate() {
                            let min = pos2(origin.x + col as f32 * (tile + GAP), y);
                            draw_tile(screen, ui, index, Rect::from_min_size(min, Vec2::splat(tile)), actions);
                        }
                    }
                }
            }
        });
    });
}

fn empty_state(ui: &mut egui::Ui, listed: bool) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        if listed {
            ui.heading("No photos yet");
            ui.label("Import photos with the buttons above, or drop files and folders on this window.");
        } else {
            ui.add(egui::Spinner::new());
        }
    });
}

/// The thumbnail size to load for a tile `pixels` wide: the next power of two, so
/// changing the tile size reloads thumbnails only when it crosses one; at most the
/// stored thumbnail's size.
fn thumbnail_side(pixels: f32) -> u32 {
    (pixels.ceil() as u32).next_power_of_two().clamp(64, THUMBNAIL_MAX_SIDE)
}

fn draw_tile(screen: &mut GalleryScreen, ui: &mut egui::Ui, index: usize, rect: Rect, actions: &mut Vec<Action>) {
    let photo = &screen.photos[index];
    let id = photo.id;
    let name = photo.meta.name.clone();
    let response = ui.interact(rect, ui.scope_id().with(("tile", id)), Sense::click());
    let locked = !screen.unlocked.contains_key(&id);
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("{name}{}", if locked { " (locked)" } else { "" }))
    });
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 6.0, visuals.faint_bg_color);
    screen.want_thumbnail(id, thumbnail_side(rect.width() * ui.ctx().pixels_per_point()));
    match screen.textures.get(id) {
        Some(texture) => {
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let shown = Rect::from_center_size(rect.center(), size * scale);
            painter.image(texture.id(), shown, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
        }
        None => {
            // A hidden preview says so; anything else is still on its way.
            let (text, size) =
                if screen.hidden_previews.contains(&id) { ("Preview hidden", 13.0) } else { ("…", 18.0) };
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                text,
                FontId::proportional(size),
                visuals.weak_text_color(),
            );
        }
    }
    if locked {
        lock_badge(&painter, Rect::from_min_size(rect.right_top() + vec2(-28.0, 6.0), vec2(22.0, 22.0)));
    }
    let selected = screen.selection.contains(&id);
    if selected || screen.cursor == Some(index) {
        let stroke =
            if selected { Stroke::new(3.0, visuals.selection.bg_fill) } else { Stroke::new(1.5, visuals.text_color()) };
        painter.rect_stroke(rect.shrink(1.5), 6.0, stroke, StrokeKind::Inside);
    } else if response.hovered() {
        painter.rect_stroke(rect, 6.0, visuals.widgets.hovered.bg_stroke, StrokeKind::Inside);
    }
    let response = response.on_hover_text(&name);
    if response.double_clicked() {
        actions.push(Action::Open(id));
    } else if response.clicked() {
        let modifiers = ui.input(|i| i.modifiers);
        click(screen, index, modifiers);
    }
}

/// A small padlock drawn with shapes (crisp at any size, in any font).
fn lock_badge(painter: &egui::Painter, badge: Rect) {
    painter.circle_filled(badge.center(), badge.width() / 2.0, Color32::from_black_alpha(160));
    let c = badge.center();
    let body = Rect::from_center_size(c + vec2(0.0, 2.5), vec2(10.0, 7.5));
    painter.rect_filled(body, 1.5, Color32::WHITE);
    let shackle = [
        c + vec2(-3.0, -1.0),
        c + vec2(-3.0, -4.5),
        c + vec2(-1.5, -6.0),
        c + vec2(1.5, -6.0),
        c + vec2(3.0, -4.5),
        c + vec2(3.0, -1.0),
    ];
    painter.line(shackle.to_vec(), Stroke::new(1.6, Color32::WHITE));
}

/// Click selects one; Ctrl-click toggles one; Shift-click selects a range (double-click
/// or Enter opens).
fn click(screen: &mut GalleryScreen, index: usize, modifiers: egui::Modifiers) {
    let id = screen.photos[index].id;
    if modifiers.shift {
        let anchor = screen.cursor.unwrap_or(index);
        let (a, b) = (anchor.min(index), anchor.max(index));
        screen.selection.extend(screen.photos[a..=b].iter().map(|p| p.id));
    } else if modifiers.command {
        if !screen.selection.remove(&id) {
            screen.selection.insert(id);
        }
    } else {
        screen.selection.clear();
        screen.selection.insert(id);
    }
    screen.cursor = Some(index);
}

/// Arrow keys move the cursor (Shift extends the selection), Enter opens, Ctrl+A
/// selects all, Delete asks to delete, Esc clears the selection.
fn keyboard(screen: &mut GalleryScreen, ui: &egui::Ui, columns: usize, actions: &mut Vec<Action>) {
    if ui.ctx().memory(|m| m.focused().is_some()) || screen.photos.is_empty() {
        return;
    }
    let last = screen.photos.len() - 1;
    let (moved, shift) = ui.input(|i| {
        let cur = screen.cursor.unwrap_or(0);
        let to = if i.key_pressed(Key::ArrowRight) {
            Some((cur + 1).min(last))
        } else if i.key_pressed(Key::ArrowLeft) {
            Some(cur.saturating_sub(1))
        } else if i.key_pressed(Key::ArrowDown) {
            Some((cur + columns).min(last))
        } else if i.key_pressed(Key::ArrowUp) {
            Some(cur.saturating_sub(columns))
        } else {
            None
        };
        (to, i.modifiers.shift)
    });
    if let Some(to) = moved {
        if !shift {
            screen.selection.clear();
        }
        screen.selection.insert(screen.photos[to].id);
        screen.cursor = Some(to);
    }
    let (enter, all, delete, escape) = ui.input(|i| {
        (
            i.key_pressed(Key::Enter),
            i.modifiers.command && i.key_pressed(Key::A),
            i.key_pressed(Key::Delete),
            i.key_pressed(Key::Escape),
        )
    });
    if enter && let Some(index) = screen.cursor {
        actions.push(Action::Open(screen.photos[index].id));
    }
    if all {
        screen.selection = screen.photos.iter().map(|p| p.id).collect();
    }
    if delete {
        actions.push(Action::AskDelete(screen.selection.iter().copied().collect::<Vec<PhotoId>>()));
    }
    if escape {
        screen.selection.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_load_at_the_tile_size_rounded_up_to_a_power_of_two() {
        // 72- and 160-point tiles on a 1x display, 160 on 2x, 320 on 1x and 2x.
        for (pixels, side) in [(72.0, 128), (160.0, 256), (320.0, 512), (640.0, 512), (20.0, 64)] {
            assert_eq!(thumbnail_side(pixels), side, "{pixels}");
        }
    }
}
