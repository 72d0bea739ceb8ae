//! The albums: the view of every album (its cover, name and count) beside the month grid,
//! and the menu that puts the selected photos in an album or takes them out. An album
//! opens in the grid and the details table (`Library::album`), where the search, the
//! filter, the keyboard, unlock, export and delete work as on every photo.

use egui::{Align2, FontId, Rect, Sense, pos2, vec2};
use spg_core::service::AlbumSummary;
use spg_core::vault::PhotoId;

use crate::jobs::AlbumChange;

use super::action::Action;
use super::library::Library;
use super::thumbnails::Thumbnails;
use super::wording;

/// The side of an album's card, in points.
const CARD: f32 = 180.0;

/// The albums view's own state: the name typed for a new album, the album being renamed
/// (its name, the new name, whether its field has had the focus), and the album whose
/// deletion waits for a yes.
#[derive(Default)]
pub(super) struct AlbumsView {
    new_name: String,
    renaming: Option<(String, String, bool)>,
    deleting: Option<String>,
}

impl AlbumsView {
    /// A change was made: what was typed for it is done with. (A refused one keeps the
    /// name typed and the rename bar open, to be corrected.)
    pub(super) fn changed(&mut self, change: &AlbumChange) {
        match change {
            AlbumChange::Create(name) if *name == self.new_name => self.new_name.clear(),
            AlbumChange::Rename(name, _) if self.renaming.as_ref().is_some_and(|(old, ..)| old == name) => {
                self.renaming = None;
            }
            _ => {}
        }
    }

    /// Draws every album as a card; a click opens it.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        albums: &[AlbumSummary],
        library: &Library,
        thumbnails: &mut Thumbnails,
        actions: &mut Vec<Action>,
    ) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("New album");
                let field = ui
                    .add(egui::TextEdit::singleline(&mut self.new_name).hint_text("e.g. Passport").desired_width(220.0))
                    .labelled_by(label.id);
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let typed = !self.new_name.trim().is_empty();
                if (ui.add_enabled(typed, egui::Button::new("Create")).clicked() || enter) && typed {
                    actions.push(Action::Album(AlbumChange::Create(self.new_name.clone())));
                }
            });
            ui.add_space(8.0);
            if albums.is_empty() {
                ui.label(
                    "No albums yet. Make one here, or select photos in the grid and put them in a new one with \
                     Album…: ID scans, medical papers and family photos, each kept apart.",
                );
                return;
            }
            self.rename_line(ui, actions);
            self.delete_line(ui, actions);
            // The search above narrows the albums by name here.
            let terms: Vec<String> = library.query.split_whitespace().map(str::to_lowercase).collect();
            let shown: Vec<&AlbumSummary> =
                albums.iter().filter(|a| terms.iter().all(|t| a.name.to_lowercase().contains(t))).collect();
            if shown.is_empty() {
                ui.label("No album's name has what the search holds.");
            }
            egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.spacing_mut().item_spacing = vec2(12.0, 12.0);
                    for album in shown {
                        self.card(ui, album, library, thumbnails, actions);
                    }
                });
            });
        });
    }

    /// The field of an album being renamed, above the cards; it has the focus when it
    /// opens, and closes once the album has its new name.
    fn rename_line(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some((old, new, focused)) = self.renaming.as_mut() else { return };
        let mut cancel = false;
        ui.horizontal(|ui| {
            let label = ui.label(format!("Rename “{old}” to"));
            let field = ui.add(egui::TextEdit::singleline(new).desired_width(220.0)).labelled_by(label.id);
            if !std::mem::replace(focused, true) {
                field.request_focus();
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Rename").clicked() || enter {
                actions.push(Action::Album(AlbumChange::Rename(old.clone(), new.clone())));
            }
            cancel = ui.button("Cancel").clicked();
        });
        if cancel {
            self.renaming = None;
        }
        ui.add_space(8.0);
    }

    /// The question before an album is deleted, above the cards.
    fn delete_line(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some(name) = self.deleting.clone() else { return };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Delete the album “{name}”? Its photos stay in the vault."));
            if ui.button("Delete album").clicked() {
                actions.push(Action::Album(AlbumChange::Delete(name.clone())));
                self.deleting = None;
            }
            if ui.button("Cancel").clicked() {
                self.deleting = None;
            }
        });
        ui.add_space(8.0);
    }

    /// One album: its cover (or an empty frame), its name and count; a click opens it,
    /// its menu renames or deletes it.
    fn card(
        &mut self,
        ui: &mut egui::Ui,
        album: &AlbumSummary,
        library: &Library,
        thumbnails: &mut Thumbnails,
        actions: &mut Vec<Action>,
    ) {
        let (rect, response) = ui.allocate_exact_size(vec2(CARD, CARD + 40.0), Sense::click());
        let said = format!("Album {}, {}", album.name, wording::photos(album.count));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &said));
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals().clone();
        let picture = Rect::from_min_size(rect.min, vec2(CARD, CARD));
        let fill = if response.hovered() { visuals.widgets.hovered.bg_fill } else { visuals.faint_bg_color };
        painter.rect_filled(picture, 8.0, fill);
        match album.cover {
            Some(cover) => {
                super::grid::paint_thumbnail(ui, &painter, picture, cover, library, thumbnails);
            }
            None => {
                painter.text(
                    picture.center(),
                    Align2::CENTER_CENTER,
                    "🖼",
                    FontId::proportional(40.0),
                    visuals.weak_text_color(),
                );
            }
        }
        let name_rect = Rect::from_min_size(pos2(rect.left() + 4.0, picture.bottom() + 2.0), vec2(CARD - 8.0, 20.0));
        let mut name_ui = ui.new_child(egui::UiBuilder::new().max_rect(name_rect));
        let name = egui::RichText::new(&album.name).size(15.0).color(visuals.strong_text_color());
        name_ui.add(egui::Label::new(name).truncate().selectable(false).sense(Sense::hover()));
        painter.text(
            pos2(rect.left() + 4.0, picture.bottom() + 22.0),
            Align2::LEFT_TOP,
            wording::photos(album.count),
            FontId::proportional(12.0),
            visuals.weak_text_color(),
        );
        if response.clicked() {
            actions.push(Action::OpenAlbum(album.id));
        }
        response.on_hover_text(format!("Open {} (right-click to rename or delete it)", album.name)).context_menu(
            |ui| {
                if ui.button("Open").clicked() {
                    actions.push(Action::OpenAlbum(album.id));
                    ui.close();
                }
                if ui.button("Rename…").clicked() {
                    self.renaming = Some((album.name.clone(), album.name.clone(), false));
                    ui.close();
                }
                if ui.button("Delete album…").clicked() {
                    self.deleting = Some(album.name.clone());
                    ui.close();
                }
            },
        );
    }
}

/// Photos dragged from the grid, to drop on an album.
pub(super) struct DraggedPhotos(pub(super) Vec<PhotoId>);

/// While photos are dragged from the grid, a bar of albums along the bottom of the window
/// to drop them on (with a new album among them when there is none yet).
pub(super) fn drop_targets(ctx: &egui::Context, albums: &[AlbumSummary], actions: &mut Vec<Action>) {
    let Some(dragged) = egui::DragAndDrop::payload::<DraggedPhotos>(ctx) else { return };
    let what = match dragged.0.len() {
        1 => "the photo".to_string(),
        n => format!("the {}", wording::photos(n)),
    };
    egui::Area::new(egui::Id::unique("album drop targets"))
        .order(egui::Order::Foreground)
        .anchor(Align2::CENTER_BOTTOM, vec2(0.0, -48.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label(egui::RichText::new(format!("Drop {what} on an album")).strong());
                ui.horizontal_wrapped(|ui| {
                    for album in albums {
                        let frame = egui::Frame::group(ui.style()).inner_margin(8.0);
                        let (zone, dropped) = ui.dnd_drop_zone::<DraggedPhotos, _>(frame, |ui| {
                            ui.label(format!("🖼 {}", album.name));
                        });
                        zone.response.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Drop on {}", album.name))
                        });
                        if let Some(dropped) = dropped {
                            let change =
                                AlbumChange::Add { album: album.name.clone(), ids: dropped.0.clone(), create: false };
                            actions.push(Action::Album(change));
                        }
                    }
                    if albums.is_empty() {
                        ui.label("No albums yet: make one in the Albums view, or with Album… in the toolbar.");
                    }
                });
            });
        });
}

/// The album menu for photos (the selection, or what an import stored), behind a button
/// titled `title`: put them in an album (an existing one, or a new one named here), or take
/// them out of the album open. `which` says which photos they are ("selected",
/// "imported"). It stays open while its field is typed in (a click outside, Esc, or a
/// choice closes it), and its list of albums scrolls.
pub(super) fn album_menu(
    ui: &mut egui::Ui,
    title: &str,
    albums: &[AlbumSummary],
    (open, which): (Option<&str>, &str),
    selected: &[PhotoId],
    new_name: &mut String,
    actions: &mut Vec<Action>,
) -> egui::Response {
    use egui::containers::menu::{MenuButton, MenuConfig};
    let config = MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    let (response, _) = MenuButton::new(title).config(config).ui(ui, |ui| {
        let count = wording::photos(selected.len());
        ui.label(egui::RichText::new(format!("Put the {count} {which} in")).weak());
        // Where the photos may go: every album but the one open (they are in it already).
        let targets: Vec<&AlbumSummary> = albums.iter().filter(|a| Some(a.name.as_str()) != open).collect();
        let room = (ui.ctx().content_rect().height() * 0.5).max(120.0);
        egui::ScrollArea::vertical().max_height(room).show(ui, |ui| {
            for album in targets {
                if ui.button(format!("🖼 {}", album.name)).clicked() {
                    let change = AlbumChange::Add { album: album.name.clone(), ids: selected.to_vec(), create: false };
                    actions.push(Action::Album(change));
                    ui.close();
                }
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("New album");
            let field = ui.add(egui::TextEdit::singleline(new_name).desired_width(150.0)).labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let typed = !new_name.trim().is_empty();
            if (ui.add_enabled(typed, egui::Button::new("Add")).clicked() || enter) && typed {
                // The name stays in the field until the album is made (a refused one is kept).
                let album = new_name.clone();
                actions.push(Action::Album(AlbumChange::Add { album, ids: selected.to_vec(), create: true }));
                ui.close();
            }
        });
        if let Some(open) = open {
            ui.separator();
            if let [id] = selected
                && ui.button(format!("Make it the cover of “{open}”")).clicked()
            {
                actions.push(Action::Album(AlbumChange::Cover { album: open.to_string(), id: *id }));
                ui.close();
            }
            let they = if selected.len() == 1 { "it stays" } else { "they stay" };
            if ui.button(format!("Remove from “{open}” ({they} in the vault)")).clicked() {
                actions.push(Action::Album(AlbumChange::Remove { album: open.to_string(), ids: selected.to_vec() }));
                ui.close();
            }
        }
    });
    response
}
