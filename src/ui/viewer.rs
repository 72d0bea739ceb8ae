//! The viewer: one unlocked photo, fit to the window or zoomed (wheel, +/-, double-click)
//! and panned (drag); previous/next with the arrow keys, Esc back to the grid, and an
//! info panel. The decoded picture lives only in this texture and goes with the viewer.

use egui::{Key, Rect, Sense, Vec2, pos2};

use spg_core::vault::{PhotoId, PhotoMeta, PhotoRef};

use spg_core::imaging::PhotoDetails;
use spg_core::service::view::{OpenPhotoError, OpenedPhoto};

use super::action::{Action, human_size};
use super::library::Library;
use super::widgets::{Room, tool_button};

/// The open photo.
pub(super) struct Viewer {
    /// Its ID.
    pub id: PhotoId,
    texture: Option<egui::TextureHandle>,
    /// An animation's frames, with how long each shows, and when it started (egui's clock).
    frames: Vec<(egui::TextureHandle, f64)>,
    started: Option<f64>,
    meta: Option<PhotoMeta>,
    details: PhotoDetails,
    error: Option<String>,
    /// `None` fits the photo to the window; otherwise screen pixels per photo pixel.
    zoom: Option<f32>,
    pan: Vec2,
    /// The fit-to-window scale of the last frame, where zooming starts from.
    last_fit: f32,
    info: bool,
    /// What became of "Open in map" when no browser opened it, or "Copy link".
    link_note: Option<String>,
    /// The photo needs its password: the viewer says so, with a way to give it.
    locked: bool,
}

impl Viewer {
    /// A viewer waiting for photo `id` (at `index` in the list) to be decoded.
    pub(super) fn new(id: PhotoId) -> Viewer {
        Viewer {
            id,
            texture: None,
            frames: Vec::new(),
            started: None,
            meta: None,
            details: PhotoDetails::default(),
            error: None,
            zoom: None,
            pan: Vec2::ZERO,
            last_fit: 1.0,
            info: true,
            link_note: None,
            locked: false,
        }
    }

    /// The viewer on a locked photo, arrowed onto from the one before.
    pub(super) fn locked(id: PhotoId) -> Viewer {
        Viewer { locked: true, ..Viewer::new(id) }
    }

    /// Whether it shows a locked photo (which it shows once unlocked).
    pub(super) fn is_locked(&self) -> bool {
        self.locked
    }

    /// Where the photo is in the list shown (`None`: a search or a filter hides it now).
    pub(super) fn index_in(&self, library: &Library) -> Option<usize> {
        library.index_of(self.id)
    }

    /// Whether the decoded photo is shown.
    pub(super) fn has_picture(&self) -> bool {
        self.texture.is_some()
    }

    /// The worker decoded the photo (or failed).
    pub(super) fn loaded(&mut self, ctx: &egui::Context, result: Result<OpenedPhoto, OpenPhotoError>) {
        let texture = |name: String, picture: &image::RgbaImage| {
            let size = [picture.width() as usize, picture.height() as usize];
            let image = egui::ColorImage::from_rgba_unmultiplied(size, picture.as_raw());
            ctx.load_texture(name, image, egui::TextureOptions::LINEAR)
        };
        match result {
            Ok(opened) => {
                self.texture = Some(texture(format!("photo-{}", self.id), &opened.picture));
                self.frames = opened
                    .frames
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(i, (frame, delay))| (texture(format!("photo-{}-{i}", self.id), frame), delay.as_secs_f64()))
                    .collect();
                self.meta = Some(opened.meta);
                self.details = opened.details;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Draws the viewer.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, library: &Library, keys: bool, actions: &mut Vec<Action>) {
        // Looked up each frame: the list may change under the viewer (an import, a search).
        let index = self.index_in(library);
        let neighbour =
            |step: isize| index?.checked_add_signed(step).filter(|&i| i < library.len()).map(|i| library.id(i));
        let name = self.meta.as_ref().map_or(String::new(), |m| m.name.clone());
        egui::Panel::top("viewer-bar").show(ui, |ui| {
            let room = Room::of(ui);
            let wide = room == Room::Wide;
            ui.horizontal(|ui| {
                let back = if room == Room::Narrow {
                    "⬅"
                } else if wide {
                    "⬅ Back to photos"
                } else {
                    "⬅ Back"
                };
                let back = ui.button(back).on_hover_text("Back to the photos (Esc)");
                back.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "⬅ Back to photos"));
                if back.clicked() {
                    actions.push(Action::CloseViewer);
                }
                ui.separator();
                let step = if wide { Room::Wide } else { Room::Narrow };
                if tool_button(ui, step, "◀", "Previous", neighbour(-1).is_some()).clicked() {
                    actions.extend(neighbour(-1).map(Action::Open));
                }
                if tool_button(ui, step, "▶", "Next", neighbour(1).is_some()).clicked() {
                    actions.extend(neighbour(1).map(Action::Open));
                }
                ui.separator();
                if room != Room::Narrow {
                    if ui.button("Fit").on_hover_text("Fit to the window (0)").clicked() {
                        self.fit();
                    }
                    if ui.button("100%").clicked() {
                        self.actual_size();
                    }
                }
                if ui.button("➖").on_hover_text("Zoom out (-)").clicked() {
                    self.zoom_by(1.0 / 1.25);
                }
                if ui.button("➕").on_hover_text("Zoom in (+)").clicked() {
                    self.zoom_by(1.25);
                }
                // One width for every scale, so the buttons after it never move while zooming.
                let size = egui::vec2(80.0, ui.spacing().interact_size.y);
                ui.add_sized(size, egui::Label::new(self.zoom_text())).on_hover_text("0: fit to the window");
                let info = if wide { "ℹ Info" } else { "ℹ" };
                ui.toggle_value(&mut self.info, info).on_hover_text("Details of the photo");
                ui.separator();
                if room == Room::Narrow {
                    ui.menu_button("…", |ui| {
                        if ui.button("Fit to the window").clicked() {
                            self.fit();
                            ui.close();
                        }
                        if ui.button("100%").clicked() {
                            self.actual_size();
                            ui.close();
                        }
                        if ui.button("💾 Export photo…").clicked() {
                            actions.push(Action::AskExport(vec![self.id]));
                            ui.close();
                        }
                        if ui.button("🗑 Delete photo…").clicked() {
                            actions.push(Action::AskDelete(vec![self.id]));
                            ui.close();
                        }
                    })
                    .response
                    .on_hover_text("More");
                    return;
                }
                let (export, delete) =
                    if wide { ("Export photo…", "Delete photo…") } else { ("Export…", "Delete…") };
                let export = ui.button(format!("💾 {export}"));
                export.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "💾 Export photo…"));
                if export.clicked() {
                    actions.push(Action::AskExport(vec![self.id]));
                }
                let delete = ui.button(format!("🗑 {delete}"));
                delete.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "🗑 Delete photo…"));
                if delete.clicked() {
                    actions.push(Action::AskDelete(vec![self.id]));
                }
                if wide {
                    ui.add(egui::Label::new(egui::RichText::new(&name).strong()).truncate());
                }
            });
        });
        if self.info {
            // One width for every photo, so the picture does not jump as the arrows go on.
            egui::Panel::right("viewer-info").exact_size(290.0).show(ui, |ui| self.info_panel(ui, library));
        }
        egui::CentralPanel::default().show(ui, |ui| self.picture(ui, actions));
        if keys {
            self.keys(ui, neighbour(-1), neighbour(1), actions);
        }
    }

    fn actual_size(&mut self) {
        self.zoom = Some(1.0);
        self.pan = Vec2::ZERO;
    }

    fn fit(&mut self) {
        self.zoom = None;
        self.pan = Vec2::ZERO;
    }

    /// The scale shown: `Fit · 42%` while the photo fits the window, else `125%`.
    fn zoom_text(&self) -> String {
        match self.zoom {
            None => format!("Fit · {:.0}%", self.last_fit * 100.0),
            Some(zoom) => format!("{:.0}%", zoom * 100.0),
        }
    }

    fn zoom_by(&mut self, factor: f32) {
        let current = self.zoom.unwrap_or(self.last_fit);
        self.zoom = Some((current * factor).clamp(0.02, 16.0));
    }

    fn picture(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.locked {
            // Arrowed onto a locked photo: said here, not in a dialog at every step.
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 2.0 - 40.0);
                ui.label(egui::RichText::new("🔒 This photo is locked").size(18.0));
                ui.add_space(6.0);
                if ui.button("🔑 Unlock this photo…").clicked() {
                    actions.push(Action::AskUnlock(self.id));
                }
            });
            return;
        }
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let Some((texture_id, size)) = self.shown_texture(ui).map(|t| (t.id(), t.size_vec2())) else {
            let text = self.error.clone().unwrap_or_else(|| "Decrypting…".into());
            ui.put(rect, egui::Label::new(text));
            return;
        };
        let fit = (rect.width() / size.x).min(rect.height() / size.y).min(1.0);
        self.last_fit = fit;
        if response.double_clicked() {
            if self.zoom.is_some() { self.fit() } else { self.zoom = Some(1.0) }
        }
        if response.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y + (i.zoom_delta() - 1.0) * 200.0);
            if scroll != 0.0 {
                self.zoom_by((scroll * 0.002).exp());
            }
        }
        if response.dragged() && self.zoom.is_some() {
            self.pan += response.drag_delta();
        }
        let scale = self.zoom.unwrap_or(fit);
        let shown = Rect::from_center_size(rect.center() + self.pan, size * scale);
        ui.painter_at(rect).image(
            texture_id,
            shown,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            egui::Color32::WHITE,
        );
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Photo"));
    }

    /// The texture to draw now: the still picture, or the animation's frame for this
    /// moment (asking for a repaint when the next one is due).
    fn shown_texture(&mut self, ui: &egui::Ui) -> Option<&egui::TextureHandle> {
        if self.frames.is_empty() {
            return self.texture.as_ref();
        }
        let now = ui.input(|i| i.time);
        let started = *self.started.get_or_insert(now);
        let total: f64 = self.frames.iter().map(|(_, d)| d).sum();
        let mut at = (now - started) % total.max(0.01);
        for (texture, delay) in &self.frames {
            if at < *delay {
                ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(delay - at));
                return Some(texture);
            }
            at -= delay;
        }
        self.frames.last().map(|(t, _)| t)
    }

    fn info_panel(&mut self, ui: &mut egui::Ui, library: &Library) {
        let opened = self.meta.as_ref().map(|meta| PhotoRef::of(self.id, meta));
        let Some(meta) = opened.or_else(|| self.index_in(library).map(|i| library.photo(i))) else { return };
        ui.heading("Info");
        egui::Grid::new("photo-info").num_columns(2).spacing([10.0, 6.0]).min_col_width(72.0).show(ui, |ui| {
            let rows = [
                ("Name", meta.name.to_owned()),
                ("Size", human_size(meta.bytes)),
                // 0 × 0: a file without a preview whose header does not say.
                (
                    "Dimensions",
                    match (meta.width, meta.height) {
                        (0, _) | (_, 0) => "unknown".to_owned(),
                        (w, h) => format!("{w} × {h}"),
                    },
                ),
                ("Type", meta.mime.to_owned()),
                ("Taken", meta.taken_at.map_or_else(|| "unknown".into(), super::wording::readable_date)),
                ("Camera", meta.camera.unwrap_or("unknown").to_owned()),
            ];
            let d = &self.details;
            let exposure = [
                ("Lens", d.lens.clone()),
                ("Aperture", d.f_number.map(|f| format!("f/{f:.1}"))),
                ("Shutter", d.exposure_text()),
                ("ISO", d.iso.map(|iso| iso.to_string())),
                ("Focal length", d.focal_length.map(|mm| format!("{mm:.1} mm"))),
                ("Pages", d.pages.map(|n| format!("{n} (the first is shown; export keeps them all)"))),
            ];
            let rows = rows.into_iter().chain(exposure.into_iter().filter_map(|(l, v)| Some((l, v?))));
            for (label, value) in rows {
                ui.label(egui::RichText::new(label).weak());
                ui.add(egui::Label::new(value).wrap());
                ui.end_row();
            }
            ui.label(egui::RichText::new("Location").weak());
            match (d.position, meta.has_gps) {
                (Some((lat, lon)), _) => {
                    ui.vertical(|ui| {
                        ui.label(format!("{}, {}", coordinate(lat, 'N', 'S'), coordinate(lon, 'E', 'W')));
                        // Nothing is sent anywhere unless this is clicked.
                        let map = format!(
                            "https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=16/{lat:.6}/{lon:.6}"
                        );
                        ui.horizontal(|ui| {
                            let open =
                                ui.button("🗺 Open in map").on_hover_text("Opens OpenStreetMap in your web browser");
                            if open.clicked() {
                                self.link_note = super::system::open_link(ui.ctx(), &map).err();
                            }
                            if ui.button("📋 Copy link").clicked() {
                                ui.ctx().copy_text(map.clone());
                                self.link_note = Some("Link copied".into());
                            }
                        });
                        if let Some(note) = &self.link_note {
                            ui.label(egui::RichText::new(note).weak());
                        }
                    });
                }
                (None, true) if self.meta.is_none() => {
                    ui.label("in the file (GPS)");
                }
                // Recorded, but not as a position this viewer can read: never "none".
                (None, true) => {
                    ui.label("in the file (GPS), unreadable");
                }
                (None, _) => {
                    ui.label("none");
                }
            }
            ui.end_row();
            if self.frames.len() > 1 {
                ui.label(egui::RichText::new("Animation").weak());
                ui.label(format!("{} frames", self.frames.len()));
                ui.end_row();
            }
        });
    }

    fn keys(&mut self, ui: &egui::Ui, prev: Option<PhotoId>, next: Option<PhotoId>, actions: &mut Vec<Action>) {
        if ui.ctx().memory(|m| m.focused().is_some()) {
            return;
        }
        ui.input(|i| {
            if i.key_pressed(Key::Escape) {
                actions.push(Action::CloseViewer);
            }
            if i.key_pressed(Key::ArrowLeft) {
                actions.extend(prev.map(Action::Open));
            }
            if i.key_pressed(Key::ArrowRight) {
                actions.extend(next.map(Action::Open));
            }
        });
        let (plus, minus, zero) = ui.input(|i| {
            (
                i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                i.key_pressed(Key::Minus),
                i.key_pressed(Key::Num0),
            )
        });
        if plus {
            self.zoom_by(1.25);
        }
        if minus {
            self.zoom_by(1.0 / 1.25);
        }
        if zero {
            self.fit();
        }
    }
}

/// `48.85822° N`.
fn coordinate(value: f64, positive: char, negative: char) -> String {
    format!("{:.5}° {}", value.abs(), if value < 0.0 { negative } else { positive })
}
