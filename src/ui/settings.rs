//! Settings: appearance, auto-lock, mail delivery (SMTP with a test email, or the
//! outbox) and the login password. Slow parts (SMTP, Argon2) run on a worker.

use zeroize::Zeroizing;

use crate::jobs::Jobs;
use crate::jobs::SettingsChange;
use crate::mail::{Security, SmtpConfig};
use crate::service::Account;

use super::prefs::Prefs;

/// The settings window's form state.
pub(super) struct SettingsWindow {
    /// How locked photos look after login, as chosen in the form.
    previews: crate::vault::Previews,
    /// Password emails of this account waiting in the outbox (counted when the window opens
    /// and after each change).
    queued: usize,
    security: Option<Security>,
    host: String,
    port: u16,
    user: String,
    password: Zeroizing<String>,
    from: String,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    repeat: Zeroizing<String>,
    message: Option<String>,
}

impl SettingsWindow {
    /// The form, filled from the account's mail settings (never showing the password).
    pub(super) fn new(account: &Account) -> SettingsWindow {
        let profile = account.profile();
        let smtp = profile.smtp.as_ref();
        let config = smtp.and_then(|s| SmtpConfig::parse(&s.url).ok());
        let (security, host, port, user) = match config.map(|c| c.parts()) {
            Some((security, host, port, user)) => (Some(security), host, port, user),
            None => (None, String::new(), 587, String::new()),
        };
        SettingsWindow {
            previews: profile.previews,
            queued: account.queued_emails(),
            security,
            host,
            port,
            user,
            password: Zeroizing::new(String::new()),
            from: smtp.and_then(|s| s.from.clone()).unwrap_or_default(),
            current: Zeroizing::new(String::new()),
            new: Zeroizing::new(String::new()),
            repeat: Zeroizing::new(String::new()),
            message: None,
        }
    }

    /// A change was saved.
    pub(super) fn saved(&mut self, message: &str, account: &Account) {
        self.queued = account.queued_emails();
        self.message = Some(message.to_string());
        self.password = Zeroizing::new(String::new());
        self.current = Zeroizing::new(String::new());
        self.new = Zeroizing::new(String::new());
        self.repeat = Zeroizing::new(String::new());
    }

    /// A change failed: the reason shows in the window.
    pub(super) fn failed(&mut self, why: &str) {
        self.message = Some(why.to_string());
    }

    /// Draws the window; `false` once closed.
    pub(super) fn ui(&mut self, ctx: &egui::Context, account: &Account, jobs: &Jobs, prefs: &mut Prefs) -> bool {
        let mut open = true;
        egui::Window::new("Settings").open(&mut open).collapsible(false).resizable(false).default_width(440.0).show(
            ctx,
            |ui| {
                ui.heading("Appearance");
                ui.horizontal(|ui| {
                    if ui.radio_value(&mut prefs.dark, true, "Dark").changed()
                        || ui.radio_value(&mut prefs.dark, false, "Light").changed()
                    {
                        super::widgets::apply_theme(ui.ctx(), prefs.dark);
                    }
                });
                ui.horizontal(|ui| {
                    let label = ui.label("Lock after");
                    ui.add(egui::DragValue::new(&mut prefs.auto_lock_minutes).range(0..=240).suffix(" min"))
                        .labelled_by(label.id);
                    ui.label("without input (0: never)");
                });
                ui.separator();
                ui.heading("Privacy");
                if super::widgets::previews_choice(ui, &mut self.previews) {
                    jobs.settings(account.clone(), SettingsChange::SetPreviews(self.previews));
                }
                ui.separator();
                self.mail_ui(ui, account, jobs);
                ui.separator();
                self.password_ui(ui, account, jobs);
                if let Some(message) = &self.message {
                    ui.separator();
                    ui.label(message);
                }
            },
        );
        open
    }

    fn mail_ui(&mut self, ui: &mut egui::Ui, account: &Account, jobs: &Jobs) {
        ui.heading("Mail for photo passwords");
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.security, None, "Outbox folder");
            ui.radio_value(&mut self.security, Some(Security::StartTls), "SMTP (STARTTLS)");
            ui.radio_value(&mut self.security, Some(Security::ImplicitTls), "SMTP (TLS)");
        });
        let Some(security) = self.security else {
            ui.label(format!("Emails are saved as .eml files in {}", account.outbox_dir().display()));
            ui.label(
                egui::RichText::new(
                    "They sit beside the vault, in clear: whoever copies the vault folder gets every photo's password with it. Set up email so they are sent instead.",
                )
                .color(ui.visuals().warn_fg_color),
            );
            if ui.button("Use the outbox").clicked() {
                jobs.settings(account.clone(), SettingsChange::UseOutbox);
            }
            return;
        };
        egui::Grid::new("smtp").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            for (label, text, password) in [
                ("Host", &mut self.host, false),
                ("User", &mut self.user, false),
                ("Password", &mut *self.password, true),
                ("From", &mut self.from, false),
            ] {
                let l = ui.label(label);
                if password {
                    super::widgets::secret_field(ui, text, 260.0).labelled_by(l.id);
                } else {
                    ui.add(egui::TextEdit::singleline(text).desired_width(260.0)).labelled_by(l.id);
                }
                ui.end_row();
            }
            ui.label("Port");
            ui.add(egui::DragValue::new(&mut self.port).range(1..=65535));
            ui.end_row();
        });
        let url = SmtpConfig::url_from_parts(security, &self.host, self.port, &self.user, &self.password)
            .map(Zeroizing::new)
            .map_err(|e| e.to_string());
        let mut change = None;
        ui.horizontal(|ui| {
            let to = account.profile().email;
            let from = self.from.trim().to_string();
            if ui.button("Send test email").clicked() {
                let from = if from.is_empty() { to.clone() } else { from.clone() };
                change = Some(url.clone().map(|url| SettingsChange::SendTestEmail { url, from, to }));
            }
            if ui.button("Save mail settings").clicked() {
                let from = (!from.is_empty()).then_some(from);
                change = Some(url.clone().map(|url| SettingsChange::UseSmtp { url, from }));
            }
        });
        match change {
            Some(Ok(change)) => jobs.settings(account.clone(), change),
            Some(Err(bad_url)) => self.message = Some(bad_url),
            None => {}
        }
        if account.uses_smtp() && self.queued > 0 {
            let waiting = match self.queued {
                1 => "1 password email waits in the outbox on this computer.".to_string(),
                n => format!("{n} password emails wait in the outbox on this computer."),
            };
            ui.horizontal_wrapped(|ui| {
                ui.label(waiting);
                if ui.button("Send them now").on_hover_text("Each one sent is deleted from this computer").clicked() {
                    jobs.settings(account.clone(), SettingsChange::SendOutbox);
                }
            });
        }
    }

    fn password_ui(&mut self, ui: &mut egui::Ui, account: &Account, jobs: &Jobs) {
        ui.heading("Login password");
        egui::Grid::new("password").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            for (label, text) in [
                ("Current password", &mut self.current),
                ("New password", &mut self.new),
                ("Repeat new password", &mut self.repeat),
            ] {
                let l = ui.label(label);
                super::widgets::secret_field(ui, text, 220.0).labelled_by(l.id);
                ui.end_row();
            }
        });
        let ready = !self.current.is_empty() && !self.new.is_empty() && self.new == self.repeat;
        if !self.repeat.is_empty() && self.new != self.repeat {
            ui.colored_label(ui.visuals().warn_fg_color, "The new passwords differ.");
        }
        if ui.add_enabled(ready, egui::Button::new("Change password")).clicked() {
            let (current, new) = (self.current.clone(), self.new.clone());
            jobs.settings(account.clone(), SettingsChange::ChangePassword { current, new });
        }
    }
}
