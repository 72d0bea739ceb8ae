//! The in-app file and folder chooser: used where the desktop has no file-dialog
//! service (no xdg portal), for export targets, for password email files, and for typing
//! a path directly. It starts in Pictures (emails: the outbox), with shortcuts to the
//! usual folders, and its list keeps one height.

use std::collections::BTreeSet;
use std::path::PathBuf;

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
}

/// The height of the list of files, whatever the folder holds.
const LIST_HEIGHT: f32 = 260.0;

/// The usual folders, by name, that exist here: Home, Pictures, Desktop, Downloads.
fn shortcuts() -> Vec<(&'static str, PathBuf)> {
    let Some(dirs) = directories::UserDirs::new() else { return Vec::new() };
    let mut out = vec![("🏠 Home", dirs.home_dir().to_path_buf())];
    for (name, dir) in
        [("🖼 Pictures", dirs.picture_dir()), ("🖥 Desktop", dirs.desktop_dir()), ("⬇ Downloads", dirs.download_dir())]
    {
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            out.push((name, dir.to_path_buf()));
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
        let dirs = directories::UserDirs::new();
        let outbox = match &purpose {
            Purpose::EmailFiles(outbox) => outbox.clone(),
            _ => None,
        };
        let start = start
            .or(outbox)
            .filter(|d| d.is_dir())
            .or_else(|| dirs.as_ref().and_then(|d| d.picture_dir()).filter(|d| d.is_dir()).map(PathBuf::from))
            .or_else(|| dirs.as_ref().map(|d| d.home_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut chooser = Chooser {
            purpose,
            dir: PathBuf::new(),
            path_text: String::new(),
            entries: Vec::new(),
            checked: BTreeSet::new(),
            strip: false,
            error: None,
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
                            if ui.link(format!("📁 {name}")).clicked() {
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
                                (true, Purpose::Import) => "🖼",
                                (true, _) => "✉",
                            };
                            let text = format!("{icon} {name}");
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
