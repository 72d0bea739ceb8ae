//! The gallery's bars: the toolbar with its import menu, the search and filter bar, the
//! notices above the grid and the status line.

use super::*;

impl GalleryScreen {
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui, prefs: &mut Prefs, actions: &mut Vec<Action>) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            let room = Room::of(ui);
            ui.horizontal(|ui| {
                if room == Room::Wide {
                    ui.label(egui::RichText::new("🔒 Secure Photo Gallery").strong());
                    ui.separator();
                }
                self.import_menu(ui, room, actions);
                let selected = self.library.selected();
                // The albums view shows no photos: what acts on selected ones waits for them.
                let any = !selected.is_empty() && !self.albums_view;
                if tool_button(ui, room, "💾", "Export…", any).clicked() {
                    actions.push(Action::AskExport(selected.clone()));
                }
                if tool_button(ui, room, "🗑", "Delete…", any).clicked() {
                    actions.push(Action::AskDelete(selected.clone()));
                }
                let title = if room == Room::Narrow { "🖼" } else { "🖼 Album…" };
                let open = self.library.album.as_ref().map(|a| a.name.clone());
                let menu = ui.add_enabled_ui(any, |ui| {
                    let whose = (open.as_deref(), "selected");
                    let new_name = &mut self.new_album;
                    super::super::albums::album_menu(
                        ui,
                        title,
                        &self.album_summaries,
                        whose,
                        &selected,
                        new_name,
                        actions,
                    )
                });
                let menu = menu.inner.on_hover_text("Put the selected photos in an album, or take them out");
                if room == Room::Narrow {
                    menu.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, any, "🖼 Album…"));
                }
                let unlock = tool_button(ui, room, "🔑", "Unlock…", true);
                if unlock
                    .on_hover_text("Type a photo password, paste a password email, or open an email file")
                    .clicked()
                {
                    // A typed password is for the one photo selected, as the email says.
                    self.dialog = Some(Dialog::Unlock(UnlockDialog::new(self.library.single_selected())));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if tool_button(ui, room, "🔒", "Lock", true).clicked() {
                        actions.push(Action::Lock);
                    }
                    if room == Room::Narrow {
                        // What does not fit goes into the overflow menu.
                        ui.menu_button("…", |ui| {
                            ui.label(format!("👤 {}", self.account().username()));
                            if ui.button("⚙ Settings").clicked() {
                                actions.push(Action::Settings);
                                ui.close();
                            }
                            tile_size(ui, prefs, true);
                        })
                        .response
                        .on_hover_text("More");
                        return;
                    }
                    if ui.button("⚙ Settings").clicked() {
                        actions.push(Action::Settings);
                    }
                    // Which account is open shows whenever it fits (in the "…" menu when not).
                    ui.label(format!("👤 {}", self.account().username()));
                    tile_size(ui, prefs, room == Room::Wide);
                });
            });
            ui.add_space(4.0);
        });
    }

    pub(super) fn import_menu(&mut self, ui: &mut egui::Ui, room: Room, actions: &mut Vec<Action>) {
        let title = if room == Room::Narrow { "➕" } else { "➕ Import" };
        let menu = ui.menu_button(title, |ui| {
            // Without the desktop's file dialogs the app's own chooser takes photos and
            // folders alike: one entry, not three that open the same thing.
            if !self.file_dialogs {
                if ui.button("Photos or a folder…").clicked() {
                    actions.push(Action::Choose(Purpose::Import));
                    ui.close();
                }
            } else {
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
            }
            ui.label(egui::RichText::new("Or drop files and folders on the window").weak());
        });
        if room == Room::Narrow {
            menu.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "➕ Import"));
        }
    }

    /// Search, the lock filter and the count, the album open, and the choice of albums,
    /// grid or details table.
    pub(super) fn filter_bar(&mut self, ui: &mut egui::Ui, prefs: &mut Prefs, actions: &mut Vec<Action>) {
        egui::Panel::top("filter").show(ui, |ui| {
            ui.add_space(2.0);
            ui.horizontal(|ui| {
                let library = &mut self.library;
                let label = ui.label("🔍");
                let width = (ui.available_width() * 0.35).clamp(120.0, 280.0);
                let field = egui::TextEdit::singleline(&mut library.query)
                    .hint_text("Search names, cameras, dates")
                    .desired_width(width);
                let search = ui.add(field).labelled_by(label.id);
                search.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SearchInput, true, "Search"));
                if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F)) {
                    search.request_focus();
                }
                let mut changed = search.changed();
                if (search.has_focus() || search.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    library.query.clear();
                    search.surrender_focus();
                    changed = true;
                }
                let said = |show: Show| match show {
                    Show::All => "All photos",
                    Show::Locked => "Locked",
                    Show::Unlocked => "Unlocked",
                };
                let before = library.show;
                let show_label = ui.label("Show");
                egui::ComboBox::from_id_salt("show")
                    .selected_text(said(library.show))
                    .show_ui(ui, |ui| {
                        for show in [Show::All, Show::Locked, Show::Unlocked] {
                            ui.selectable_value(&mut library.show, show, said(show));
                        }
                    })
                    .response
                    .labelled_by(show_label.id)
                    .on_hover_text("Show all photos, or only the locked or unlocked ones");
                if changed || library.show != before {
                    library.refilter();
                }
                if library.is_filtered() && library.listed && !self.albums_view {
                    ui.label(format!("{} of {}", wording::number(library.len()), wording::photos(library.base_len)));
                    if ui.small_button("× Clear").on_hover_text("Show every photo").clicked() {
                        library.query.clear();
                        library.show = Show::All;
                        library.refilter();
                    }
                }
                let albums_view = self.albums_view;
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let details = ui
                        .selectable_label(prefs.details && !albums_view, "Details")
                        .on_hover_text("A table you can sort");
                    if details.clicked() {
                        prefs.details = true;
                        self.albums_view = false;
                        self.library.reveal = true;
                    }
                    let grid = ui
                        .selectable_label(!prefs.details && !albums_view, "Grid")
                        .on_hover_text("Thumbnails by month");
                    if grid.clicked() {
                        prefs.details = false;
                        self.albums_view = false;
                        self.library.reveal = true;
                    }
                    let albums = ui.selectable_label(albums_view, "Albums").on_hover_text("Your albums");
                    if albums.clicked() {
                        actions.push(Action::ShowAlbums);
                    }
                });
            });
            // The album open, on a line of its own: a long name never meets the view
            // switch; cut short with "…" (whole in its tooltip).
            if let Some(album) = self.library.album.as_ref().filter(|_| !self.albums_view) {
                ui.horizontal(|ui| {
                    if ui.small_button("× All photos").on_hover_text("Close the album: show every photo").clicked() {
                        actions.push(Action::CloseAlbum);
                    }
                    let name = egui::RichText::new(format!("🖼 {}", album.name)).strong();
                    ui.add(egui::Label::new(name).truncate());
                });
            }
            ui.add_space(2.0);
        });
    }

    /// What the user must know about this vault, under the toolbar: that the password
    /// emails sit beside the vault (the outbox), and what the login found changed in the
    /// vault file behind the account's back.
    pub(super) fn notices(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        // The file's own warnings first: a replaced copy, records that do not open. A file
        // changed in many places would fill the window: the first few, then a count.
        const SHOWN: usize = 3;
        let problems = self.account().manifest_problems();
        let own = self.account().rollback().map(|r| format!("{r}."));
        let damaged = (!self.damaged.is_empty()).then(|| wording::unreadable(self.damaged.len()));
        // Albums whose rows do not match what the account pins, as their last reading found.
        let albums = self.albums.problems.iter().map(|p| format!("{p}."));
        let all = usize::from(own.is_some()) + usize::from(damaged.is_some()) + problems.len() + albums.len();
        let shown = if all > SHOWN + 1 { SHOWN } else { all };
        let mut warnings: Vec<String> = own
            .into_iter()
            .chain(damaged)
            .chain(problems.iter().map(|p| format!("{p}.")))
            .chain(albums)
            .take(shown)
            .collect();
        if all > shown {
            warnings.push(format!(
                "And {} more: open Settings and choose Check every photo to see which.",
                wording::count(all - shown, "problem", "problems")
            ));
        }
        let outbox = !self.account().uses_smtp();
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
            if self.account().rollback().is_some()
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
                    if ui.button("📂 Open outbox folder").clicked() {
                        actions.push(Action::ShowFolder(self.account().outbox_dir()));
                    }
                });
            }
            ui.add_space(2.0);
        });
    }

    /// Puts a message in the status line (text, and whether it is an error); a message
    /// said again counts its seconds again.
    pub(in crate::ui) fn say(&mut self, message: (String, bool)) {
        self.status = Some(message);
        self.status_drawn = None;
    }

    /// The bottom line: the photo on screen in the viewer, else the counts and the
    /// selection; then the last message. A message that is news goes after a few
    /// seconds; an error stays until it is dismissed or replaced.
    pub(super) fn status_line(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        if self.status_drawn.is_none()
            && let Some((_, error)) = &self.status
        {
            self.status_drawn = Some((*error, now));
        }
        if let Some((false, since)) = &self.status_drawn {
            let left = STATUS_SECONDS - (now - since);
            if left <= 0.0 {
                self.status = None;
                self.status_drawn = None;
            } else {
                ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(left));
            }
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let library = &self.library;
                let on_screen = self.viewer.as_ref().and_then(|v| v.index_in(library));
                match on_screen.map(|i| (i, library.photo(i))) {
                    Some((index, photo)) => {
                        ui.label(egui::RichText::new(photo.name).strong());
                        ui.separator();
                        ui.label(format!("{} of {}", wording::number(index + 1), wording::number(library.len())));
                        ui.separator();
                        ui.label(format!("{} × {}, {}", photo.width, photo.height, human_size(photo.bytes)));
                    }
                    None if !library.listed => {
                        ui.label("Loading your photos…");
                    }
                    None => {
                        let (total, selected) = library.sizes();
                        ui.label(format!("{}, {}", wording::photos(library.len()), human_size(total)));
                        if library.selected_count() > 0 {
                            ui.separator();
                            let count = wording::number(library.selected_count());
                            ui.label(format!("{count} selected, {}", human_size(selected)));
                        }
                        if !library.recovery {
                            ui.separator();
                            ui.label(format!("{} unlocked", library.unlocked.len()));
                        }
                        if let Some(backup) = self.backup.status() {
                            ui.separator();
                            ui.label(backup);
                        }
                    }
                }
                let mut dismissed = false;
                if let Some((message, error)) = &self.status {
                    ui.separator();
                    if *error {
                        // An error is read whole: its button first, so that it is never
                        // pushed out of the window, then all of it, on as many lines as it takes.
                        dismissed = ui.small_button("×").on_hover_text("Dismiss").clicked();
                        ui.add(
                            egui::Label::new(egui::RichText::new(message).color(ui.visuals().error_fg_color)).wrap(),
                        );
                    } else {
                        ui.add(egui::Label::new(message).truncate());
                    }
                }
                if dismissed {
                    self.status = None;
                }
            });
        });
    }
}

/// The tile size slider, with its name beside it when `named`, else as its tooltip.
fn tile_size(ui: &mut egui::Ui, prefs: &mut Prefs, named: bool) {
    let slider = egui::Slider::new(&mut prefs.tile_size, super::super::prefs::TILE_SIZES).show_value(false);
    if named {
        ui.add(slider.text("Tile size"));
    } else {
        ui.add(slider).on_hover_text("Tile size");
    }
}
