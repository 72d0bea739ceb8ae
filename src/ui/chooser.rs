//! The in-app file and folder chooser: used where the desktop has no file-dialog
//! service (no xdg portal), for export targets, and for typing a path directly.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::service::export::ExportKind;

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

impl Chooser {
    /// A chooser starting in the home folder.
    pub(super) fn new(purpose: Purpose) -> Chooser {
        let start =
            directories::UserDirs::new().map(|d| d.home_dir().to_path_buf()).unwrap_or_else(|| PathBuf::from("/"));
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
        };
        let label = ui.label("Path");
        let mut go = false;
        ui.horizontal(|ui| {
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.path_text).desired_width(ui.available_width() - 90.0))
                .labelled_by(label.id);
            go = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
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
        let mut enter = None;
        egui::ScrollArea::vertical().max_height(260.0).auto_shrink([false, true]).show(ui, |ui| {
            for (name, is_dir) in &self.entries {
                ui.horizontal(|ui| {
                    if self.purpose == Purpose::Import {
                        let mut on = self.checked.contains(name);
                        if ui.checkbox(&mut on, "").on_hover_text("Select for import").changed() {
                            if on {
                                self.checked.insert(name.clone())
                            } else {
                                self.checked.remove(name)
                            };
                        }
                    }
                    if *is_dir {
                        if ui.link(format!("📁 {name}")).clicked() {
                            enter = Some(self.dir.join(name));
                        }
                    } else {
                        ui.label(format!("🖼 {name}"));
                    }
                });
            }
        });
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
                    let paths: Vec<PathBuf> = if self.checked.is_empty() {
                        vec![typed]
                    } else {
                        self.checked.iter().map(|n| self.dir.join(n)).collect()
                    };
                    let label = if self.checked.is_empty() {
                        "Import".to_string()
                    } else {
                        format!("Import {} selected", self.checked.len())
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
