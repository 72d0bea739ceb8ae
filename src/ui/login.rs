//! Log in and register: the first screens. Focus starts in the user name, Tab moves on,
//! Enter submits; a spinner shows while Argon2 runs on a worker thread.

use zeroize::Zeroizing;

use crate::vault::Previews;

use super::action::Cmd;
use super::prefs::Prefs;
use super::widgets::{card, error_line, previews_choice, secret_field, strength_meter};

/// The login form.
pub(super) struct LoginScreen {
    user: String,
    password: Zeroizing<String>,
    busy: bool,
    error: Option<String>,
    notice: Option<&'static str>,
    focused: bool,
}

impl LoginScreen {
    /// A login form with `user` filled in (empty for none).
    pub(super) fn new(user: String) -> LoginScreen {
        LoginScreen {
            user,
            password: Zeroizing::new(String::new()),
            busy: false,
            error: None,
            notice: None,
            focused: false,
        }
    }

    /// The form with a line of news above it.
    pub(super) fn with_notice(self, notice: &'static str) -> LoginScreen {
        LoginScreen { notice: Some(notice), ..self }
    }

    /// Login failed: show why, keep the user name, clear the password.
    pub(super) fn failed(&mut self, error: String) {
        self.busy = false;
        self.error = Some(error);
        self.password = Zeroizing::new(String::new());
    }

    /// Draws the form.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Unlock your photo vault", |ui| {
            if let Some(notice) = self.notice {
                ui.label(notice);
                ui.add_space(8.0);
            }
            let user_label = ui.label("User name");
            let user = ui
                .add(egui::TextEdit::singleline(&mut self.user).desired_width(f32::INFINITY))
                .labelled_by(user_label.id);
            let pw_label = ui.label("Password");
            let pw = secret_field(ui, &mut self.password, f32::INFINITY).labelled_by(pw_label.id);
            if !self.focused {
                if self.user.is_empty() {
                    user.request_focus()
                } else {
                    pw.request_focus()
                }
                self.focused = true;
            }
            let enter = pw.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !self.busy && !self.user.is_empty() && !self.password.is_empty();
                let login = ui.add_enabled(ready, egui::Button::new("Log in").min_size(egui::vec2(96.0, 30.0)));
                if self.busy {
                    ui.add(egui::Spinner::new());
                    ui.label("Checking…");
                }
                if ready && (login.clicked() || enter) {
                    self.busy = true;
                    self.error = None;
                    let password = std::mem::replace(&mut self.password, Zeroizing::new(String::new()));
                    cmd = Some(Cmd::Login { user: self.user.trim().to_string(), password });
                }
            });
            error_line(ui, self.error.as_deref());
            ui.separator();
            ui.horizontal(|ui| {
                ui.label("New here?");
                if ui.link("Create an account").clicked() {
                    cmd = Some(Cmd::ShowRegister);
                }
            });
        });
        cmd
    }
}

/// The registration form.
#[derive(Default)]
pub(super) struct RegisterScreen {
    user: String,
    email: String,
    password: Zeroizing<String>,
    repeat: Zeroizing<String>,
    previews: Previews,
    busy: bool,
    error: Option<String>,
}

impl RegisterScreen {
    /// Registration failed: show why.
    pub(super) fn failed(&mut self, error: String) {
        self.busy = false;
        self.error = Some(error);
    }

    /// Draws the form.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, _prefs: &mut Prefs) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Create an account", |ui| {
            for (label, text, hint) in [
                ("User name", &mut self.user, "letters, digits, . _ -"),
                ("Email", &mut self.email, "photo passwords are sent here"),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(f32::INFINITY)).labelled_by(l.id);
            }
            let l = ui.label("Password");
            secret_field(ui, &mut self.password, f32::INFINITY).labelled_by(l.id);
            strength_meter(ui, &self.password);
            let l = ui.label("Repeat password");
            let repeat = secret_field(ui, &mut self.repeat, f32::INFINITY).labelled_by(l.id);
            let mismatch = !self.repeat.is_empty() && self.password != self.repeat;
            if mismatch {
                ui.colored_label(ui.visuals().warn_fg_color, "The passwords differ.");
            }
            let enter = repeat.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.add_space(6.0);
            previews_choice(ui, &mut self.previews);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !self.busy
                    && !self.user.is_empty()
                    && !self.email.is_empty()
                    && !self.password.is_empty()
                    && self.password == self.repeat;
                let create =
                    ui.add_enabled(ready, egui::Button::new("Create account").min_size(egui::vec2(120.0, 30.0)));
                if self.busy {
                    ui.add(egui::Spinner::new());
                }
                if ready && (create.clicked() || enter) {
                    self.busy = true;
                    self.error = None;
                    cmd = Some(Cmd::Register {
                        user: self.user.trim().to_string(),
                        email: self.email.trim().to_string(),
                        password: self.password.clone(),
                        previews: self.previews,
                    });
                }
                if ui.button("Back to log in").clicked() {
                    cmd = Some(Cmd::ShowLogin(String::new()));
                }
            });
            error_line(ui, self.error.as_deref());
        });
        cmd
    }
}
