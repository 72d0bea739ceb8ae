//! The recovery key, shown once after registration: copy it (the clipboard is cleared
//! after a minute) or save it as a text file, confirm it is kept, and go on into the new
//! account.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::jobs::{Jobs, WordsSave};
use spg_core::service::Account;

use super::action::Cmd;
use super::system::{
    CLIPBOARD_SECONDS, clear_clipboard_later, recovery_file_name, save_recovery_words, write_recovery_words,
};
use super::widgets::card;

/// Shows the words; they are forgotten when the screen goes.
pub(super) struct RecoveryScreen {
    user: String,
    words: Zeroizing<String>,
    /// The account, logged in already; `None` sends the user to the login screen.
    account: Option<Account>,
    saved: bool,
    /// What became of the last copy or save, for the line under the buttons.
    kept: Option<(String, bool)>,
    /// When the words were copied (egui's clock), for the "Copied" feedback.
    copied_at: Option<f64>,
    /// Where to save the words, typed here when no file dialog could open.
    save_path: Option<String>,
}

impl RecoveryScreen {
    /// The screen for `user`'s new recovery key.
    pub(super) fn new(user: String, words: Zeroizing<String>, account: Option<Account>) -> RecoveryScreen {
        RecoveryScreen { user, words, account, saved: false, kept: None, copied_at: None, save_path: None }
    }

    /// The save dialog closed: where the words were written, or why not; with no dialog to
    /// open, a path in the home's documents folder is offered to change or take.
    pub(super) fn saved_to(&mut self, result: WordsSave) {
        self.kept = match result {
            WordsSave::Saved(path) => {
                self.save_path = None;
                Some((
                    format!("Saved to {}. Keep that file offline, or print it and delete it.", path.display()),
                    false,
                ))
            }
            WordsSave::Cancelled => None,
            WordsSave::NoDialog => {
                let folder = directories::UserDirs::new()
                    .and_then(|d| d.document_dir().or(Some(d.home_dir())).map(PathBuf::from))
                    .unwrap_or_default();
                self.save_path = Some(folder.join(recovery_file_name(&self.user)).display().to_string());
                Some((
                    "No file dialog is available on this desktop: check the path in the Save to field, then Save."
                        .into(),
                    false,
                ))
            }
            WordsSave::Failed(e) => Some((format!("The file could not be written: {e}. Choose another place."), true)),
        };
    }

    /// Draws it.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Your recovery key", |ui| {
            ui.label(
                "Write these 24 words down and keep them somewhere safe, offline. They are shown only now. \
                 With them you can set a new password, and open every photo even without the password emails.",
            );
            ui.add_space(8.0);
            egui::Grid::new("recovery-words").num_columns(4).spacing([12.0, 6.0]).show(ui, |ui| {
                for (i, word) in self.words.split(' ').enumerate() {
                    ui.label(egui::RichText::new(format!("{:>2}. {word}", i + 1)).monospace());
                    if i % 4 == 3 {
                        ui.end_row();
                    }
                }
            });
            ui.add_space(8.0);
            let now = ui.input(|i| i.time);
            ui.horizontal(|ui| {
                let hover = format!("The clipboard is cleared again after {CLIPBOARD_SECONDS} seconds");
                if ui.button("📋 Copy the words").on_hover_text(hover).clicked() {
                    ui.ctx().copy_text(self.words.to_string());
                    clear_clipboard_later(self.words.clone());
                    self.copied_at = Some(now);
                }
                if ui.button("💾 Save as text file…").clicked() {
                    save_recovery_words(jobs, self.user.clone(), self.words.clone());
                }
            });
            // "Copied" for a few seconds, then the reminder that it will be cleared.
            if let Some(at) = self.copied_at {
                let text = if now - at < 4.0 {
                    ui.ctx().request_repaint_after(std::time::Duration::from_secs(4));
                    "✔ Copied".to_string()
                } else {
                    format!("Copied; the clipboard is cleared {CLIPBOARD_SECONDS} seconds after copying.")
                };
                ui.label(text);
            }
            if let Some(path) = &mut self.save_path {
                let mut save = false;
                ui.horizontal(|ui| {
                    let label = ui.label("Save to");
                    // The field takes the card's width less the button: a long path scrolls in it and
                    // never widens the card.
                    let room = ui.available_width() - 60.0;
                    let field = ui.add(egui::TextEdit::singleline(path).desired_width(room)).labelled_by(label.id);
                    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    save = ui.button("Save").clicked() || enter;
                });
                if save && !path.trim().is_empty() {
                    let written = write_recovery_words(std::path::Path::new(path.trim()), &self.user, &self.words);
                    self.saved_to(written);
                }
            }
            if let Some((text, error)) = &self.kept {
                let color = if *error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                ui.colored_label(color, text);
            }
            ui.add_space(4.0);
            ui.checkbox(&mut self.saved, "I have saved my recovery key");
            ui.add_space(4.0);
            let label = if self.account.is_some() { "Continue to my photos" } else { "Continue to log in" };
            if ui.add_enabled(self.saved, egui::Button::new(label)).clicked() {
                cmd = Some(match self.account.take() {
                    Some(account) => Cmd::Enter(account),
                    None => Cmd::ShowLogin(self.user.clone()),
                });
            }
        });
        cmd
    }
}
