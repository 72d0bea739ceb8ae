//! The in-app file and folder chooser: used where the desktop has no file-dialog
//! service (no xdg portal), for export targets, for password email files, and for typing
//! a path directly. It starts in Pictures (emails: the outbox), with shortcuts to the
//! usual folders, and its list keeps one height. Photos to import show a small preview,
//! decoded on a thread of the chooser's own as their rows come into view.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use spg_core::service::export::ExportKind;

use super::action::{Action, Purpose};

/// The chooser's state.
pub(super) struct Chooser {
    purpose: Purpose,
    dir: PathBuf,
    path_text: String,
    entries: Vec<(String, bool)>,
    checked: BTreeSet<String>,
    strip: bool,
    error: Option<String>,
    previews: Previews,
    /// egui's clock when a folder was last entered by a click: the second click of a
    /// double-click lands in the folder just entered, and is not taken as another.
    entered_at: f64,
}

/// A click this soon after a folder was entered is the rest of a double-click.
const DOUBLE_CLICK: f64 = 0.4;

/// The side of a photo's preview in the list, in points.
const PREVIEW: f32 = 32.0;

/// Files larger than this get no preview (a photo is a few to a few tens of megabytes).
const PREVIEW_MAX_BYTES: u64 = 64 << 20;

/// Small previews of photos in the list: each decoded once, on a thread started at the
/// first one asked for, which stops once the chooser is gone.
#[derive(Default)]
struct Previews {
    ask: Option<mpsc::Sender<PathBuf>>,
    done: Option<mpsc::Receiver<(PathBuf, Option<egui::ColorImage>)>>,
    /// By path: `None` while it is decoded, or when it cannot be.
    shown: HashMap<PathBuf, Option<egui::TextureHandle>>,
}

impl Previews {
    /// Takes in the previews decoded since the last frame.
    fn receive(&mut self, ctx: &egui::Context) {
        let Some(done) = &self.done else { return };
        for (path, image) in done.try_iter() {
            let texture = image.map(|image| ctx.load_texture(path.display().to_string(), image, Default::default()));
            self.shown.insert(path, texture);
        }
    }

    /// The preview of `path`, asked for if it was not yet.
    fn of(&mut self, ctx: &egui::Context, path: &Path) -> Option<&egui::TextureHandle> {
        if !self.shown.contains_key(path) {
            self.shown.insert(path.to_path_buf(), None);
            let ask = self.ask.get_or_insert_with(|| {
                let (ask, asked) = mpsc::channel::<PathBuf>();
                let (done, received) = mpsc::channel();
                self.done = Some(received);
                let ctx = ctx.clone();
                let decode = move || {
                    for path in asked {
                        if done.send((path.clone(), preview(&path))).is_err() {
                            break;
                        }
                        ctx.request_repaint();
                    }
                };
                // Without the thread, photos are listed without previews.
                let _ = std::thread::Builder::new().name("chooser-previews".into()).spawn(decode);
                ask
            });
            let _ = ask.send(path.to_path_buf());
        }
        self.shown.get(path)?.as_ref()
    }
}

/// A photo's preview at the start of its row: decoded once its row is in view; the photo
/// sign meanwhile, or when it cannot be decoded.
fn preview_cell(ui: &mut egui::Ui, previews: &mut Previews, path: &Path) {
    let (rect, response) = ui.allocate_exact_size(egui::Vec2::splat(PREVIEW), egui::Sense::hover());
    let texture = if ui.is_rect_visible(rect) { previews.of(ui.ctx(), path) } else { None };
    match texture {
        Some(texture) => {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, format!("Preview of {name}")));
            let size = texture.size_vec2();
            let shown = egui::Rect::from_center_size(rect.center(), size * (PREVIEW / size.x.max(size.y)));
            let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter().image(texture.id(), shown, whole, egui::Color32::WHITE);
        }
        None => {
            let font = egui::FontId::proportional(18.0);
            let colour = ui.visuals().weak_text_color();
            ui.painter().text(rect.center(), egui::Align2::CENTER_CENTER, "🖼", font, colour);
        }
    }
}

/// A photo file's preview, at most twice [`PREVIEW`] pixels a side (sharp on a 2x display).
fn preview(path: &Path) -> Option<egui::ColorImage> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() || file.metadata().ok()?.len() > PREVIEW_MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, PREVIEW_MAX_BYTES), &mut bytes).ok()?;
    let image = spg_core::imaging::decode_for_display(&bytes, 2 * PREVIEW as u32).ok()?;
    let size = [image.width() as usize, image.height() as usize];
    Some(egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw()))
}

/// The height of the list of files, whatever the folder holds.
const LIST_HEIGHT: f32 = 260.0;

/// The usual folders, by name, that exist here: Home, Pictures, Desktop, Downloads (as the
/// desktop's user-dirs settings name them, else the usual names in the home folder).
fn shortcuts() -> Vec<(&'static str, PathBuf)> {
    let Some(dirs) = directories::UserDirs::new() else { return Vec::new() };
    let home = dirs.home_dir();
    let mut out = vec![("🏠 Home", home.to_path_buf())];
    for (name, dir, usual) in [
        ("🖼 Pictures", dirs.picture_dir(), "Pictures"),
        ("🖥 Desktop", dirs.desktop_dir(), "Desktop"),
        ("⬇ Downloads", dirs.download_dir(), "Downloads"),
    ] {
        if let Some(dir) = dir.map(Path::to_path_buf).or_else(|| Some(home.join(usual))).filter(|d| d.is_dir()) {
            out.push((name, dir));
        }
    }
    out
}

/// Whether a file name looks like a photo the import takes.
fn is_photo(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    spg_core::imaging::PHOTO_EXTENSIONS.contains(&ext.as_str())
}

impl Chooser {
    /// A chooser for `purpose`, starting in `start` when it is a folder, else in Pictures
    /// (else the home folder).
    pub(super) fn new(purpose: Purpose, start: Option<PathBuf>) -> Chooser {
        let outbox = match &purpose {
            Purpose::EmailFiles(outbox) => outbox.clone(),
            _ => None,
        };
        let usual = shortcuts();
        let pictures = usual.iter().find(|(name, _)| name.ends_with("Pictures")).or(usual.first());
        let start = start
            .or(outbox)
            .filter(|d| d.is_dir())
            .or_else(|| pictures.map(|(_, dir)| dir.clone()))
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut chooser = Chooser {
            purpose,
            dir: PathBuf::new(),
            path_text: String::new(),
            entries: Vec::new(),
            checked: BTreeSet::new(),
            strip: false,
            error: None,
            previews: Previews::default(),
            entered_at: f64::NEG_INFINITY,
        };
        chooser.enter(start);
        chooser
    }

    fn enter(&mut self, dir: PathBuf) {
        match std::fs::read_dir(&dir) {
            Ok(read) => {
                let mut entries: Vec<(String, bool)> = read
                    .filter_map(Result::ok)
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
                    .filter(|(name, _)| !name.starts_with('.'))
                    .collect();
                entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase())));
                self.entries = entries;
                self.path_text = dir.display().to_string();
                self.dir = dir;
                self.checked.clear();
                self.error = None;
            }
            Err(e) => self.error = Some(format!("Cannot open {}: {e}", dir.display())),
        }
    }

    /// Draws the chooser inside a dialog.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.set_width(520.0);
        match &self.purpose {
            Purpose::Import => ui.heading("Import photos"),
            Purpose::Export(ids) => ui.heading(format!("Export {} to a folder", super::wording::photos(ids.len()))),
            Purpose::EmailFiles(_) => ui.heading("Unlock from password emails"),
        };
        let mut enter = None;
        ui.horizontal_wrapped(|ui| {
            if let Purpose::EmailFiles(Some(outbox)) = &self.purpose
                && ui.button("✉ Outbox").clicked()
            {
                enter = Some(outbox.clone());
            }
            for (name, dir) in shortcuts() {
                if ui.selectable_label(self.dir == dir, name).clicked() {
                    enter = Some(dir);
                }
            }
        });
        let label = ui.label("Path");
        let mut go = false;
        ui.horizontal(|ui| {
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.path_text).desired_width(ui.available_width() - 90.0))
                .labelled_by(label.id);
            // A folder typed goes in when the field is left: Enter, Tab or a click elsewhere.
            go = field.lost_focus();
            if ui.button("⬆ Up").clicked()
                && let Some(parent) = self.dir.parent()
            {
                self.enter(parent.to_path_buf());
            }
        });
        let typed = PathBuf::from(self.path_text.trim());
        if go && typed.is_dir() {
            self.enter(typed.clone());
        }
        let ticks = !matches!(self.purpose, Purpose::Export(_));
        self.previews.receive(ui.ctx());
        let now = ui.input(|i| i.time);
        let settled = now - self.entered_at > DOUBLE_CLICK;
        egui::ScrollArea::vertical().min_scrolled_height(LIST_HEIGHT).max_height(LIST_HEIGHT).auto_shrink(false).show(
            ui,
            |ui| {
                if self.entries.is_empty() {
                    ui.label(egui::RichText::new("This folder is empty.").weak());
                }
                for (name, is_dir) in &self.entries {
                    ui.horizontal(|ui| {
                        let mut on = self.checked.contains(name);
                        let mut toggled = false;
                        if ticks {
                            let tip =
                                if self.purpose == Purpose::Import { "Select for import" } else { "Select this email" };
                            toggled |= ui.checkbox(&mut on, "").on_hover_text(tip).changed();
                        }
                        if *is_dir {
                            if ui.link(format!("📁 {name}")).clicked() && settled {
                                enter = Some(self.dir.join(name));
                            }
                        } else {
                            // A file's name ticks it too; files the purpose cannot take are dimmed.
                            let wanted = match self.purpose {
                                Purpose::Import => is_photo(name),
                                _ => name.ends_with(".eml") || name.ends_with(".txt"),
                            };
                            let icon = match (wanted, &self.purpose) {
                                (false, _) => "🗋",
                                (true, Purpose::Import) => {
                                    preview_cell(ui, &mut self.previews, &self.dir.join(name));
                                    ""
                                }
                                (true, _) => "✉",
                            };
                            let text = if icon.is_empty() { name.clone() } else { format!("{icon} {name}") };
                            let text =
                                if wanted { egui::RichText::new(text) } else { egui::RichText::new(text).weak() };
                            if ui.selectable_label(on, text).clicked() && ticks {
                                on = !on;
                                toggled = true;
                            }
                        }
                        if toggled {
                            if on {
                                self.checked.insert(name.clone());
                            } else {
                                self.checked.remove(name);
                            }
                        }
                    });
                }
            },
        );
        if let Some(dir) = enter {
            self.entered_at = now;
            self.enter(dir);
        }
        super::widgets::error_line(ui, self.error.as_deref());
        ui.add_space(6.0);
        self.buttons(ui, typed, actions);
    }

    fn buttons(&mut self, ui: &mut egui::Ui, typed: PathBuf, actions: &mut Vec<Action>) {
        match &self.purpose {
            Purpose::Import => {
                ui.horizontal(|ui| {
                    // Said as it is: with nothing ticked, the folder shown (and all inside it).
                    let label = match self.checked.len() {
                        0 if typed.is_dir() => "Import this folder".to_string(),
                        0 => "Import this file".to_string(),
                        n => format!("Import {n} selected"),
                    };
                    let paths: Vec<PathBuf> = if self.checked.is_empty() {
                        vec![typed]
                    } else {
                        self.checked.iter().map(|n| self.dir.join(n)).collect()
                    };
                    if ui.button(label).clicked() {
                        if paths.iter().all(|p| p.exists()) {
                            actions.push(Action::Import(paths));
                        } else {
                            self.error = Some("That path does not exist; check it or pick from the list.".into());
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CloseDialog);
                    }
                });
            }
            Purpose::EmailFiles(_) => {
                ui.horizontal(|ui| {
                    let paths: Vec<PathBuf> = if self.checked.is_empty() && typed.is_file() {
                        vec![typed]
                    } else {
                        self.checked.iter().map(|n| self.dir.join(n)).filter(|p| p.is_file()).collect()
                    };
                    let label = match paths.len() {
                        0 | 1 => "Unlock".to_string(),
                        n => format!("Unlock from {n} files"),
                    };
                    if ui.add_enabled(!paths.is_empty(), egui::Button::new(label)).clicked() {
                        actions.push(Action::UnlockFiles(paths));
                    }
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CloseDialog);
                    }
                });
            }
            Purpose::Export(ids) => {
                ui.checkbox(&mut self.strip, "Remove location and camera data (EXIF, XMP, comments; pixels untouched)");
                if self.strip {
                    let formats = spg_core::imaging::STRIPPABLE_FORMATS;
                    ui.label(format!("For {formats} photos; others are left out of the export, not sent with it."));
                }
                ui.horizontal(|ui| {
                    if ui.button("Export here").clicked() {
                        let kind = if self.strip { ExportKind::Stripped } else { ExportKind::Original };
                        actions.push(Action::Export { ids: ids.clone(), folder: typed, kind });
                    }
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CloseDialog);
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chooser_ticks_phone_photos_too() {
        for name in ["IMG_0042.HEIC", "a.heif", "camera.avif", "scan.TIF", "x.jpeg"] {
            assert!(super::is_photo(name), "{name}");
        }
        assert!(!super::is_photo("notes.txt") && !super::is_photo("heic"));
    }
}
