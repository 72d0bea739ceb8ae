//! The gallery screen: toolbar, the thumbnail grid (or the viewer), the import panel,
//! the dialogs and the status line. Holds the account's handle while it is open.

use std::path::PathBuf;

use crate::jobs::{Event, Jobs, Pick, SettingsChange};
use crate::service::Account;
use crate::service::export::ExportKind;
use crate::vault::PhotoId;

use super::action::Cmd;
use super::action::Purpose;
use super::action::{Action, human_size};
use super::chooser::Chooser;
use super::dialogs::{Dialog, UnlockDialog};
use super::import_panel::ImportPanel;
use super::library::Library;
use super::prefs::Prefs;
use super::settings::SettingsWindow;
use super::thumbnails::Thumbnails;
use super::viewer::Viewer;
use super::wording;

/// The logged-in gallery.
pub(super) struct GalleryScreen {
    pub(super) account: Account,
    pub(super) library: Library,
    pub(super) thumbnails: Thumbnails,
    viewer: Option<Viewer>,
    dialog: Option<Dialog>,
    import: Option<ImportPanel>,
    settings: Option<SettingsWindow>,
    status: Option<(String, bool)>,
}

impl GalleryScreen {
    /// The gallery of a fresh session; starts listing its photos.
    pub(super) fn new(account: Account, jobs: &Jobs) -> GalleryScreen {
        jobs.list(account.clone());
        GalleryScreen {
            thumbnails: Thumbnails::new(account.clone(), jobs),
            library: Library { recovery: account.is_recovery(), ..Library::default() },
            account,
            viewer: None,
            dialog: None,
            import: None,
            settings: None,
            status: None,
        }
    }

    /// The account's user name.
    pub(super) fn username(&self) -> &str {
        self.account.username()
    }

    /// Whether the viewer shows a decoded photo (for tests).
    pub(super) fn viewer_shows_photo(&self) -> bool {
        self.viewer.as_ref().is_some_and(Viewer::has_picture)
    }

    /// Applies a worker's result.
    pub(super) fn handle(&mut self, ctx: &egui::Context, event: Event, jobs: &Jobs) {
        match event {
            Event::Listed(Ok(photos)) => self.library.listed(photos),
            Event::Listed(Err(e)) => self.status = Some((e.to_string(), true)),
            Event::SettingsSaved(Err(e)) => {
                let message = e.to_string();
                if let Some(s) = self.settings.as_mut() {
                    s.failed(&message);
                }
                self.status = Some((message, true));
            }
            Event::Thumbnail(id, side, result) => self.thumbnails.arrived(ctx, id, side, result),
            Event::Unlocked(ok, failed) => {
                let open_now = match &self.dialog {
                    Some(Dialog::Unlock(d)) => d.then_open,
                    _ => None,
                };
                let count = ok.len();
                // Reloaded with the password: the sharp thumbnail replaces a placeholder.
                for (id, _) in &ok {
                    self.thumbnails.forget(*id);
                }
                self.library.unlocked.extend(ok);
                if count > 0 {
                    self.status = Some((format!("Unlocked {} until the vault locks", wording::photos(count)), false));
                }
                match (&mut self.dialog, open_now) {
                    (_, Some(id)) if !self.library.is_locked(id) => {
                        self.dialog = None;
                        self.open(id, jobs);
                    }
                    (Some(Dialog::Unlock(d)), _) if count == 0 => d.failed(failed.first().map(ToString::to_string)),
                    _ => self.dialog = None,
                }
            }
            Event::Opened(id, result) => {
                if let Some(v) = self.viewer.as_mut().filter(|v| v.id == id) {
                    v.loaded(ctx, result);
                }
            }
            Event::ImportProgress { .. } | Event::ImportFile(..) | Event::ImportMailed(_) => {
                if let Some(panel) = self.import.as_mut() {
                    panel.handle(event);
                }
            }
            Event::ImportFinished(result) => {
                if let Some(panel) = self.import.as_mut() {
                    panel.finished(result.map_err(|e| e.to_string()));
                }
                jobs.list(self.account.clone());
            }
            Event::Exported(report) => self.status = Some(wording::export_done(&report)),
            Event::Deleted(ids, failed) => {
                for id in &ids {
                    self.thumbnails.forget(*id);
                }
                self.library.removed(&ids);
                if self.viewer.as_ref().is_some_and(|v| ids.contains(&v.id)) {
                    self.viewer = None;
                }
                self.status = Some(match failed.first() {
                    None => (format!("Deleted {}", wording::photos(ids.len())), false),
                    Some(e) => (e.to_string(), true),
                });
            }
            Event::SettingsSaved(Ok(done)) => {
                let message = wording::settings_done(&done);
                // The previews may have changed: what is on screen is loaded again.
                self.thumbnails.reload_all();
                if let Some(s) = self.settings.as_mut() {
                    s.saved(&message, &self.account);
                }
                self.status = Some((message, false));
            }
            Event::Picked { purpose: _, paths, answered_at_once } => match paths {
                Some(paths) => self.apply(Action::Import(paths), jobs, &mut Vec::new()),
                // No desktop portal answered: use the in-app chooser instead.
                None if answered_at_once => self.dialog = Some(Dialog::Chooser(Chooser::new(Purpose::Import))),
                None => {}
            },
            Event::VaultRepair(_)
            | Event::VaultOpened(_)
            | Event::LoggedIn(_)
            | Event::Registered(_)
            | Event::Recovered(_)
            | Event::WordsSaved(_) => {}
        }
    }

    fn open(&mut self, id: PhotoId, jobs: &Jobs) {
        let Some(index) = self.library.index_of(id) else { return };
        self.library.follow(id);
        match self.library.unlock_of(id) {
            Some(unlock) => {
                jobs.open(self.account.clone(), id, unlock);
                self.viewer = Some(Viewer::new(id, index));
            }
            None => self.dialog = Some(Dialog::Unlock(UnlockDialog::new(Some(id)))),
        }
    }

    fn apply(&mut self, action: Action, jobs: &Jobs, cmds: &mut Vec<Cmd>) {
        match action {
            Action::Open(id) => self.open(id, jobs),
            Action::Import(paths) if !paths.is_empty() => {
                if self.import.as_ref().is_some_and(ImportPanel::running) {
                    self.status = Some(("An import is already running; wait for it or cancel it".into(), true));
                    return;
                }
                let panel = ImportPanel::new();
                jobs.import(self.account.clone(), paths, panel.cancel_flag());
                self.import = Some(panel);
                self.dialog = None;
            }
            Action::Import(_) => {}
            Action::PickImport(pick) => jobs.pick(pick),
            Action::Choose(purpose) => self.dialog = Some(Dialog::Chooser(Chooser::new(purpose))),
            Action::Unlock { text, then_open } => {
                let candidates = super::dialogs::candidates(&text, then_open, &self.library.photos);
                if candidates.is_empty() {
                    let why = if then_open.is_none() && crate::crypto::PhotoPassword::parse(&text).is_some() {
                        "Select the photo this password is for, then try again (or paste the whole email)."
                    } else {
                        "That is not a photo password (four groups of five letters and digits) or a password email."
                    };
                    if let Some(Dialog::Unlock(d)) = self.dialog.as_mut() {
                        d.failed(Some(why.into()));
                    }
                } else {
                    jobs.unlock(self.account.clone(), candidates);
                }
            }
            Action::AskExport(ids) => self.dialog = Some(Dialog::Chooser(Chooser::new(Purpose::Export(ids)))),
            Action::Export { ids, folder, kind } => {
                let photos: Vec<_> = self
                    .library
                    .photos
                    .iter()
                    .filter(|p| ids.contains(&p.id))
                    .map(|p| (p.clone(), self.library.unlock_of(p.id)))
                    .collect();
                let locked = photos.iter().filter(|(_, pw)| pw.is_none()).count();
                if kind != ExportKind::Thumbnail && locked > 0 {
                    self.status = Some((
                        match locked {
                            1 => "1 selected photo is locked: unlock it first (Unlock…, then paste its password email)"
                                .into(),
                            n => format!(
                                "{n} selected photos are locked: unlock them first (Unlock…, then paste their password emails)"
                            ),
                        },
                        true,
                    ));
                    return;
                }
                jobs.export(self.account.clone(), photos, folder, kind);
                self.dialog = None;
            }
            Action::AskDelete(ids) if !ids.is_empty() => self.dialog = Some(Dialog::ConfirmDelete(ids)),
            Action::AskDelete(_) => {}
            Action::Delete(ids) => {
                jobs.delete(self.account.clone(), ids);
                self.dialog = None;
            }
            Action::CloseDialog => self.dialog = None,
            Action::CloseViewer => {
                self.viewer = None;
                self.library.reveal = true;
            }
            Action::Settings => self.settings = Some(SettingsWindow::new(&self.account)),
            Action::AcceptThisCopy => jobs.settings(self.account.clone(), SettingsChange::AcceptThisCopy),
            Action::Lock => cmds.push(Cmd::Lock),
        }
    }

    /// Draws the screen; returns app-level commands (lock).
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs, prefs: &mut Prefs) -> Vec<Cmd> {
        let mut actions = Vec::new();
        self.thumbnails.next_frame();
        let dropped: Vec<PathBuf> = ui.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if !dropped.is_empty() {
            actions.push(Action::Import(dropped));
        }
        // A dialog is modal for the keyboard too: keys go to it, never to what is behind.
        let keys = self.dialog.is_none();
        self.toolbar(ui, prefs, &mut actions);
        self.notices(ui, &mut actions);
        self.status_line(ui);
        if let Some(panel) = self.import.as_mut()
            && !panel.ui(ui)
        {
            self.import = None;
        }
        match self.viewer.as_mut() {
            Some(viewer) => viewer.ui(ui, &self.library.photos, keys, &mut actions),
            None => super::grid::ui(&mut self.library, &mut self.thumbnails, ui, prefs.tile_size, keys, &mut actions),
        }
        self.thumbnails.forget_undrawn();
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.ui(ui.ctx(), &self.library.photos, &mut actions);
        }
        if let Some(settings) = self.settings.as_mut()
            && !settings.ui(ui.ctx(), &self.account, jobs, prefs)
        {
            self.settings = None;
        }
        let mut cmds = Vec::new();
        for action in actions {
            self.apply(action, jobs, &mut cmds);
        }
        cmds
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, prefs: &mut Prefs, actions: &mut Vec<Action>) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("🔒 Secure Photo Gallery").strong());
                ui.separator();
                ui.menu_button("➕ Import", |ui| {
                    if ui.button("Photos…").clicked() {
                        actions.push(Action::PickImport(Pick::ImportFiles));
                        ui.close();
                    }
                    if ui.button("A folder…").clicked() {
                        actions.push(Action::PickImport(Pick::ImportFolder));
                        ui.close();
                    }
                    if ui.button("From a path…").clicked() {
                        actions.push(Action::Choose(Purpose::Import));
                        ui.close();
                    }
                    ui.label(egui::RichText::new("Or drop files and folders on the window").weak());
                });
                let selected = self.library.selected();
                let any = !selected.is_empty();
                if ui.add_enabled(any, egui::Button::new("Export…")).clicked() {
                    actions.push(Action::AskExport(selected.clone()));
                }
                if ui.add_enabled(any, egui::Button::new("🗑 Delete…")).clicked() {
                    actions.push(Action::AskDelete(selected));
                }
                if ui.button("🔑 Unlock…").on_hover_text("Type a photo password or paste a password email").clicked()
                {
                    // A typed password is for the one photo selected, as the email says.
                    self.dialog = Some(Dialog::Unlock(UnlockDialog::new(self.library.single_selected())));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.button("🔒 Lock").clicked() {
                        actions.push(Action::Lock);
                    }
                    if ui.button("⚙ Settings").clicked() {
                        actions.push(Action::Settings);
                    }
                    ui.label(format!("👤 {}", self.account.username()));
                    ui.add(
                        egui::Slider::new(&mut prefs.tile_size, super::prefs::TILE_SIZES)
                            .show_value(false)
                            .text("Tile size"),
                    );
                });
            });
            ui.add_space(4.0);
        });
    }

    /// What the user must know about this vault, under the toolbar: that the password
    /// emails sit beside the vault (the outbox), and what the login found changed in the
    /// vault file behind the account's back.
    fn notices(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let warnings: Vec<String> = self
            .account
            .manifest_problems()
            .iter()
            .map(|p| format!("{p}."))
            .chain(self.account.rollback().map(|r| format!("{r}.")))
            .collect();
        let outbox = !self.account.uses_smtp();
        let recovery = self.library.recovery;
        if warnings.is_empty() && !outbox && !recovery {
            return;
        }
        egui::Panel::top("notices").show(ui, |ui| {
            ui.add_space(2.0);
            if recovery {
                ui.label("🔑 Opened with your recovery key: every photo opens without its password until you lock.");
            }
            for warning in &warnings {
                ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {warning}"));
            }
            if self.account.rollback().is_some()
                && ui
                    .button("I restored this copy myself")
                    .on_hover_text("Make this copy of the vault the one this computer knows")
                    .clicked()
            {
                actions.push(Action::AcceptThisCopy);
            }
            if outbox {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "✉ Photo passwords are saved on this computer, in the outbox folder beside the vault: a copy of that folder holds both the vault and every photo's password.",
                    );
                    if ui.button("Set up email…").clicked() {
                        actions.push(Action::Settings);
                    }
                });
            }
            ui.add_space(2.0);
        });
    }

    fn status_line(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let library = &self.library;
                let (total, selected) = library.sizes();
                ui.label(format!("{} photos, {}", library.photos.len(), human_size(total)));
                if !library.selection.is_empty() {
                    ui.separator();
                    ui.label(format!("{} selected, {}", library.selection.len(), human_size(selected)));
                }
                ui.separator();
                ui.label(format!("{} unlocked", library.unlocked.len()));
                if let Some((message, error)) = &self.status {
                    ui.separator();
                    let color = if *error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                    ui.colored_label(color, message);
                }
            });
        });
    }
}

impl Drop for GalleryScreen {
    /// Locking drops the gallery: a running import stops at the next file, so the
    /// session's keys are not kept alive by it longer than that.
    fn drop(&mut self) {
        if let Some(panel) = &self.import {
            panel.cancel();
        }
    }
}
