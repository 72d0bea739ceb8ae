//! The account screens before the gallery: log in, create an account, and recover an
//! account with its recovery key. Focus starts in the first empty field, Enter moves on
//! and submits; a spinner shows while Argon2 runs on a worker thread.

use zeroize::Zeroizing;

use spg_core::crypto::{RECOVERY_WORDS, RecoveryKey, WordsCheck};
use spg_core::vault::Previews;

use super::action::Cmd;
use super::prefs::Prefs;
use super::widgets::{FormState, card, forget_undo, new_password, previews_choice, secret_field};

/// The login form.
pub(super) struct LoginScreen {
    user: String,
    password: Zeroizing<String>,
    form: FormState,
    notice: Option<String>,
    /// Work of the session just locked that is still stopping (a backup, an export), said
    /// with a spinner until it has.
    progress: Option<String>,
    /// Whether the first field was given the focus (once, and again after a failure).
    focused: bool,
    /// Frames until the user name typed into the password field is taken out of it (a
    /// password manager's auto-type was recognised: see [`LoginScreen::keys`]).
    auto_typed: u8,
    /// The password field's widget ID, once drawn.
    password_id: Option<egui::Id>,
}

impl LoginScreen {
    /// A login form with `user` filled in (empty for none).
    pub(super) fn new(user: String) -> LoginScreen {
        LoginScreen {
            user,
            password: Zeroizing::new(String::new()),
            form: FormState::default(),
            notice: None,
            progress: None,
            focused: false,
            auto_typed: 0,
            password_id: None,
        }
    }

    /// The keys of a frame, before it is drawn, up to and including the first Tab.
    /// Returns whether that Tab ends the user name typed into the password field, where
    /// the cursor waits when the user name is remembered: a password manager's auto-type
    /// (user name, Tab, password, Enter) does that. Then the Tab is to be dropped, and the
    /// name is taken out of the password field in the next frame, before the password
    /// comes. Only text equal to the remembered user name, typed while the password field
    /// has the focus (`focused`), counts, so a password is never moved anywhere.
    pub(super) fn keys(&mut self, events: &[egui::Event], focused: Option<egui::Id>) -> bool {
        let Some((egui::Event::Key { key: egui::Key::Tab, pressed: true, .. }, before)) = events.split_last() else {
            return false;
        };
        if focused.is_none() || focused != self.password_id {
            return false;
        }
        let mut typed = Zeroizing::new(self.password.to_string());
        for event in before {
            match event {
                egui::Event::Text(text) | egui::Event::Paste(text) => typed.push_str(text),
                egui::Event::Key { key: egui::Key::Backspace | egui::Key::Delete, pressed: true, .. } => return false,
                _ => {}
            }
        }
        let user = self.user.trim();
        let auto_typed = self.auto_typed == 0 && !user.is_empty() && typed.as_str() == user;
        if auto_typed {
            self.auto_typed = 2;
        }
        auto_typed
    }

    /// The form with a line of news above it (why the vault locked, a repair).
    pub(super) fn with_notice(mut self, notice: impl Into<String>) -> LoginScreen {
        self.notify(notice);
        self
    }

    /// Says something above the form.
    pub(super) fn notify(&mut self, notice: impl Into<String>) {
        self.notice = Some(notice.into());
    }

    /// The form while the locked session's work is stopping: `doing` with a spinner.
    pub(super) fn with_progress(mut self, doing: String) -> LoginScreen {
        self.progress = Some(doing);
        self
    }

    /// The locked session's work has stopped.
    pub(super) fn progress_done(&mut self) {
        self.progress = None;
    }

    /// Login failed: show why, keep the user name, clear the password and put the cursor
    /// back in it to type again.
    pub(super) fn failed(&mut self, error: String) {
        self.form.failed(error);
        self.password = Zeroizing::new(String::new());
        self.focused = false;
    }

    /// Draws the form.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Unlock your photo vault", |ui| {
            if let Some(notice) = &self.notice {
                ui.label(notice);
                ui.add_space(8.0);
            }
            if let Some(doing) = &self.progress {
                ui.horizontal(|ui| {
                    super::widgets::spinner(ui, None);
                    ui.label(doing);
                });
                ui.add_space(8.0);
            }
            let user_label = ui.label("User name");
            // The frame that took the auto-typed user name (into the password field) is
            // drawn; before the password comes, the name leaves the password field.
            if self.auto_typed > 0 {
                self.auto_typed -= 1;
                if self.auto_typed == 0 {
                    self.password = Zeroizing::new(String::new());
                }
            }
            let user = ui
                .add(egui::TextEdit::singleline(&mut self.user).desired_width(f32::INFINITY))
                .labelled_by(user_label.id);
            let pw_label = ui.label("Password");
            let pw = secret_field(ui, &mut self.password, f32::INFINITY).labelled_by(pw_label.id);
            self.password_id = Some(pw.id);
            if !self.focused {
                if self.user.is_empty() {
                    user.request_focus()
                } else {
                    pw.request_focus()
                }
                self.focused = true;
            }
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            // Enter in the user name moves on to the password (a password manager's Tab and
            // Enter in one frame make both fields lose the focus: that is a submit).
            if enter && user.lost_focus() && !pw.lost_focus() && !self.user.trim().is_empty() {
                pw.request_focus();
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !self.user.trim().is_empty() && !self.password.is_empty();
                if self.form.submit(ui, "Log in", ready, enter && pw.lost_focus()) {
                    let password = std::mem::replace(&mut self.password, Zeroizing::new(String::new()));
                    cmd = Some(Cmd::Login { user: self.user.trim().to_string(), password });
                }
            });
            self.form.error_line(ui);
            ui.add_space(4.0);
            if ui.link("Forgot your password? Use your recovery key").clicked() {
                cmd = Some(Cmd::ShowRecover(self.user.trim().to_string()));
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.label("New here?");
                if ui.link("Create an account").clicked() {
                    // A new account is someone else's: the last user's name is not offered.
                    cmd = Some(Cmd::ShowRegister(String::new()));
                }
                ui.label("or");
                if ui.link("Restore from a backup").clicked() {
                    cmd = Some(Cmd::ShowRestore(self.user.trim().to_string()));
                }
            });
        });
        cmd
    }
}

/// The registration form.
pub(super) struct RegisterScreen {
    user: String,
    email: String,
    password: Zeroizing<String>,
    repeat: Zeroizing<String>,
    previews: Previews,
    form: FormState,
    focused: bool,
    /// The vault has no account yet: this is the first screen, with nothing to go back to.
    first: bool,
}

impl RegisterScreen {
    /// The form, with `user` filled in; `first` when the vault has no account yet.
    pub(super) fn new(user: String, first: bool) -> RegisterScreen {
        RegisterScreen {
            user,
            email: String::new(),
            password: Zeroizing::new(String::new()),
            repeat: Zeroizing::new(String::new()),
            previews: Previews::default(),
            form: FormState::default(),
            focused: false,
            first,
        }
    }

    /// Registration failed: show why.
    pub(super) fn failed(&mut self, error: String) {
        self.form.failed(error);
    }

    /// Draws the form.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, _prefs: &mut Prefs) -> Option<Cmd> {
        let mut cmd = None;
        let title = if self.first { "Welcome: create your account" } else { "Create an account" };
        card(ui, title, |ui| {
            if self.first {
                ui.label("Your photos are encrypted in one file on this computer. Start with an account.");
                ui.add_space(6.0);
            }
            let mut fields = Vec::new();
            for (label, text, hint) in [
                ("User name", &mut self.user, "letters, digits, . _ -"),
                ("Email", &mut self.email, "photo passwords are sent here"),
            ] {
                let l = ui.label(label);
                let field = ui
                    .add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(f32::INFINITY))
                    .labelled_by(l.id);
                fields.push(field);
            }
            let names = [self.user.trim(), self.email.trim()];
            let labels = ["Password", "Repeat password"];
            let password = new_password(ui, labels, &mut self.password, &mut self.repeat, &names);
            fields.extend([password.first, password.repeat]);
            if !self.focused {
                fields[0].request_focus();
                self.focused = true;
            }
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            // Enter moves to the next field; in the last one it submits.
            if enter && let Some(at) = fields[..3].iter().position(egui::Response::lost_focus) {
                fields[at + 1].request_focus();
            }
            let submit = enter && fields[3].lost_focus();
            ui.add_space(6.0);
            previews_choice(ui, &mut self.previews);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !self.user.trim().is_empty() && !self.email.trim().is_empty() && password.ready;
                if self.form.submit(ui, "Create account", ready, submit) {
                    cmd = Some(Cmd::Register {
                        user: self.user.trim().to_string(),
                        email: self.email.trim().to_string(),
                        password: self.password.clone(),
                        previews: self.previews,
                    });
                }
                if !self.first && ui.button("Back to log in").clicked() {
                    cmd = Some(Cmd::ShowLogin(self.user.trim().to_string()));
                }
            });
            self.form.error_line(ui);
            if self.first {
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label("Moving from another computer?");
                    if ui.link("Restore from a backup").clicked() {
                        cmd = Some(Cmd::ShowRestore(self.user.trim().to_string()));
                    }
                });
            }
        });
        cmd
    }
}

/// Recovery: the 24 words instead of the password, and a new password.
pub(super) struct RecoverScreen {
    user: String,
    words: Zeroizing<String>,
    password: Zeroizing<String>,
    repeat: Zeroizing<String>,
    form: FormState,
    focused: bool,
}

impl RecoverScreen {
    /// The form, with `user` filled in.
    pub(super) fn new(user: String) -> RecoverScreen {
        RecoverScreen {
            user,
            words: Zeroizing::new(String::new()),
            password: Zeroizing::new(String::new()),
            repeat: Zeroizing::new(String::new()),
            form: FormState::default(),
            focused: false,
        }
    }

    /// Recovery failed: show why.
    pub(super) fn failed(&mut self, error: String) {
        self.form.failed(error);
    }

    /// Draws the form.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Recover your account", |ui| {
            ui.label(
                "Type or paste the 24 words of your recovery key, and choose a new password. \
                 Until the vault locks, every photo then opens without its password email.",
            );
            ui.add_space(6.0);
            let l = ui.label("User name");
            let user =
                ui.add(egui::TextEdit::singleline(&mut self.user).desired_width(f32::INFINITY)).labelled_by(l.id);
            let l = ui.label("Recovery key");
            // A pasted list (one word a line, numbered) scrolls in the field rather than
            // pushing the form off the screen; once it is a valid key it is shown tidied.
            let words = egui::ScrollArea::vertical()
                .id_salt("recovery-words")
                .max_height(96.0)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut *self.words)
                            .hint_text("24 words, in order")
                            .desired_rows(3)
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id)
                })
                .inner;
            forget_undo(ui.ctx(), words.id);
            if words.changed()
                && let Some(key) = RecoveryKey::parse(&self.words)
            {
                self.words = key.to_words();
            }
            if !self.focused {
                if self.user.is_empty() {
                    user.request_focus()
                } else {
                    words.request_focus()
                }
                self.focused = true;
            }
            let check = RecoveryKey::check(&self.words);
            words_check_line(ui, &check);
            let labels = ["New password", "Repeat new password"];
            let password = new_password(ui, labels, &mut self.password, &mut self.repeat, &[self.user.trim()]);
            let submit = password.repeat.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !self.user.trim().is_empty() && check == WordsCheck::Valid && password.ready;
                if self.form.submit(ui, "Recover and log in", ready, submit) {
                    cmd = Some(Cmd::Recover {
                        user: self.user.trim().to_string(),
                        words: self.words.clone(),
                        password: self.password.clone(),
                    });
                }
                if ui.button("Back to log in").clicked() {
                    cmd = Some(Cmd::ShowLogin(self.user.trim().to_string()));
                }
            });
            self.form.error_line(ui);
        });
        cmd
    }
}

/// What the words typed so far make, under the field.
fn words_check_line(ui: &mut egui::Ui, check: &WordsCheck) {
    let (text, good) = match check {
        WordsCheck::Incomplete(0) => return,
        WordsCheck::Incomplete(n) => (format!("{n} of {RECOVERY_WORDS} words"), None),
        WordsCheck::UnknownWord { position, word } => {
            (format!("Word {position}, \"{word}\", is not a recovery word: check its spelling"), Some(false))
        }
        WordsCheck::TooMany(n) => (format!("{n} words: a recovery key has {RECOVERY_WORDS}"), Some(false)),
        WordsCheck::BadChecksum => (
            format!("These {RECOVERY_WORDS} words are not a recovery key: a word is wrong, or two are swapped"),
            Some(false),
        ),
        WordsCheck::Valid => (format!("✔ {RECOVERY_WORDS} words: a valid recovery key"), Some(true)),
    };
    let color = match good {
        Some(true) => egui::Color32::from_rgb(40, 160, 90),
        Some(false) => ui.visuals().error_fg_color,
        None => ui.visuals().weak_text_color(),
    };
    ui.colored_label(color, text);
}
