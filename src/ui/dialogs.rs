//! Modal dialogs: unlock (a typed photo password, or a whole pasted password email),
//! confirm delete, and the in-app chooser for import and export.

use std::collections::HashSet;

use zeroize::Zeroizing;

use spg_core::crypto::PhotoPassword;
use spg_core::vault::{Catalog, PhotoId};

use super::action::Action;
use super::chooser::Chooser;
use super::library::Library;

/// The dialog on top of the gallery, if any.
pub(super) enum Dialog {
    /// Ask for a photo's password, or a pasted email.
    Unlock(UnlockDialog),
    /// Ask before deleting these photos.
    ConfirmDelete(Vec<PhotoId>),
    /// Pick files or a folder inside the app.
    Chooser(Chooser),
    /// Lock while an import runs (files read so far, and in all)?
    ConfirmLock((usize, usize)),
}

/// The unlock dialog's state.
pub(super) struct UnlockDialog {
    /// The photo to open once it unlocks (none: just unlock what the email lists).
    pub then_open: Option<PhotoId>,
    text: Zeroizing<String>,
    busy: bool,
    error: Option<String>,
}

impl UnlockDialog {
    /// A dialog for `then_open` (or for pasting an email).
    pub(super) fn new(then_open: Option<PhotoId>) -> UnlockDialog {
        UnlockDialog { then_open, text: Zeroizing::new(String::new()), busy: false, error: None }
    }

    /// A dialog already waiting for passwords read from email files.
    pub(super) fn reading_files(then_open: Option<PhotoId>) -> UnlockDialog {
        UnlockDialog { busy: true, ..UnlockDialog::new(then_open) }
    }

    /// The password did not open anything.
    pub(super) fn failed(&mut self, why: Option<String>) {
        self.busy = false;
        self.error = Some(why.unwrap_or_else(|| "Wrong photo password; check the email for this photo.".into()));
    }
}

/// The (photo, password) pairs to try for `text`: every line of a pasted email that names
/// a photo of this account, else the whole text as the password of `target`.
pub(super) fn candidates(text: &str, target: Option<PhotoId>, photos: &Catalog) -> Vec<(PhotoId, PhotoPassword)> {
    let mut from_email = spg_core::service::photo_passwords(text.as_bytes());
    // One pass over the account's photos, whatever their number and the email's.
    let named: HashSet<PhotoId> = from_email.iter().map(|(id, _)| *id).collect();
    let held: HashSet<PhotoId> = (0..photos.len()).map(|i| photos.id(i)).filter(|id| named.contains(id)).collect();
    from_email.retain(|(id, _)| held.contains(id));
    if !from_email.is_empty() {
        return from_email;
    }
    match (target, PhotoPassword::parse(text)) {
        (Some(id), Some(pw)) => vec![(id, pw)],
        _ => Vec::new(),
    }
}

impl Dialog {
    /// Draws the dialog.
    pub(super) fn ui(&mut self, ctx: &egui::Context, library: &Library, actions: &mut Vec<Action>) {
        let modal = egui::Modal::new(egui::Id::unique("gallery-dialog")).show(ctx, |ui| match self {
            Dialog::Unlock(d) => unlock_ui(d, ui, library, actions),
            Dialog::ConfirmDelete(ids) => delete_ui(ids, ui, library, actions),
            Dialog::Chooser(chooser) => chooser.ui(ui, actions),
            Dialog::ConfirmLock(progress) => confirm_lock_ui(*progress, ui, actions),
        });
        if modal.should_close() {
            actions.push(Action::CloseDialog);
        }
    }
}

fn unlock_ui(d: &mut UnlockDialog, ui: &mut egui::Ui, library: &Library, actions: &mut Vec<Action>) {
    ui.set_width(460.0);
    let name = d.then_open.and_then(|id| library.index_of(id)).map(|i| library.photo(i).name);
    match name {
        Some(name) => ui.heading(format!("🔒 Unlock {name}")),
        None => ui.heading("🔑 Unlock photos"),
    };
    ui.label("Type the photo's password from its email, or paste the whole email to unlock every photo it lists.");
    ui.add_space(6.0);
    let label = ui.label("Photo password or email");
    // A pasted email is long: it scrolls inside the dialog, which keeps its buttons in view.
    // The field has one height whatever it holds, so the dialog never moves under the
    // pointer when text is pasted.
    let field = egui::ScrollArea::vertical()
        .max_height(140.0)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut *d.text)
                    .hint_text("XXXXX-XXXXX-XXXXX-XXXXX")
                    .font(egui::TextStyle::Monospace)
                    .min_size(egui::vec2(0.0, 140.0))
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
        })
        .inner;
    super::widgets::forget_undo(ui.ctx(), field.id);
    // An error was about the text before: new text starts afresh.
    if field.changed() {
        d.error = None;
    }
    if !d.busy && d.text.is_empty() && !field.has_focus() {
        field.request_focus();
    }
    let enter = field.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter) && !i.modifiers.shift);
    super::widgets::error_line(ui, d.error.as_deref());
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let ready = !d.busy && !d.text.trim().is_empty();
        let clicked = ui.add_enabled(ready, egui::Button::new("Unlock")).clicked();
        if ready && (clicked || enter) {
            d.busy = true;
            d.error = None;
            actions.push(Action::Unlock { text: Zeroizing::new(d.text.trim().to_string()), then_open: d.then_open });
        }
        if ui.button("Cancel").clicked() {
            actions.push(Action::CloseDialog);
        }
        if d.busy {
            super::widgets::spinner(ui, None);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let open = ui.add_enabled(!d.busy, egui::Button::new("📂 Open email files…"));
            if open.on_hover_text("The saved password emails (.eml), or text copies of them").clicked() {
                actions.push(Action::PickEmailFiles);
            }
        });
    });
}

fn confirm_lock_ui((done, total): (usize, usize), ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    ui.set_width(440.0);
    ui.heading("An import is running");
    let read = if total > 0 {
        format!("{} of {} files read. ", super::wording::number(done), super::wording::number(total))
    } else {
        String::new()
    };
    ui.label(format!(
        "{read}Locking now stops it: the photos stored so far stay, their passwords emailed; \
         the other files are not imported, and you can import them again later."
    ));
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button("Stop it and lock").clicked() {
            actions.push(Action::StopAndLock);
        }
        let after = ui.button("Lock when it ends");
        if ui.ctx().memory(|m| m.focused().is_none()) {
            after.request_focus();
        }
        if after.clicked() {
            actions.push(Action::LockAfterImport);
        }
        if ui.button("Cancel").clicked() {
            actions.push(Action::CloseDialog);
        }
    });
}

fn delete_ui(ids: &[PhotoId], ui: &mut egui::Ui, library: &Library, actions: &mut Vec<Action>) {
    ui.set_width(400.0);
    ui.heading(format!("Delete {}?", super::wording::photos(ids.len())));
    // The first five in the order shown.
    let mut shown: Vec<usize> = ids.iter().filter_map(|id| library.index_of(*id)).collect();
    shown.sort_unstable();
    let names: Vec<&str> = shown.iter().take(5).map(|&i| library.photo(i).name).collect();
    ui.label(names.join(", ") + if ids.len() > 5 { ", …" } else { "" });
    ui.label(if ids.len() == 1 {
        "Its encrypted data is removed from the vault. This cannot be undone."
    } else {
        "Their encrypted data is removed from the vault. This cannot be undone."
    });
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let delete = egui::Button::new(egui::RichText::new("Delete").color(egui::Color32::WHITE))
            .fill(egui::Color32::from_rgb(190, 45, 45));
        if ui.add(delete).clicked() {
            actions.push(Action::Delete(ids.to_vec()));
        }
        // The safe choice has the focus: Enter or Space cancels.
        let cancel = ui.button("Cancel");
        if ui.ctx().memory(|m| m.focused().is_none()) {
            cancel.request_focus();
        }
        if cancel.clicked() {
            actions.push(Action::CloseDialog);
        }
    });
}
