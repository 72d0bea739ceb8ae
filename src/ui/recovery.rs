//! The recovery key, shown once after registration, with a copy button and an
//! "I have saved it" confirmation before going on.

use zeroize::Zeroizing;

use super::action::Cmd;
use super::widgets::card;

/// Shows the words; they are forgotten when the screen goes.
pub(super) struct RecoveryScreen {
    user: String,
    words: Zeroizing<String>,
    saved: bool,
}

impl RecoveryScreen {
    /// The screen for `user`'s new recovery key.
    pub(super) fn new(user: String, words: Zeroizing<String>) -> RecoveryScreen {
        RecoveryScreen { user, words, saved: false }
    }

    /// Draws it.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> Option<Cmd> {
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
            if ui.button("📋 Copy the words").on_hover_text("The clipboard is cleared again after a minute").clicked()
            {
                ui.ctx().copy_text(self.words.to_string());
                crate::jobs::clear_clipboard_later(self.words.clone());
            }
            ui.checkbox(&mut self.saved, "I have saved my recovery key");
            ui.add_space(4.0);
            if ui.add_enabled(self.saved, egui::Button::new("Continue to log in")).clicked() {
                cmd = Some(Cmd::ShowLogin(self.user.clone()));
            }
        });
        cmd
    }
}
