//! Settings: appearance, auto-lock, mail delivery (SMTP with a test email, or the
//! outbox) and the login password. Slow parts (SMTP, Argon2) run on a worker.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::jobs::Jobs;
use crate::mail::{MailTransport, Security, SmtpConfig};
use crate::service::MailOverrides;
use crate::vault::Session;

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
    pub(super) fn new(session: &Session) -> SettingsWindow {
        let profile = session.profile();
        let smtp = profile.smtp.as_ref();
        let config = smtp.and_then(|s| SmtpConfig::parse(&s.url).ok());
        let (security, host, port, user) = match config.map(|c| c.parts()) {
            Some((security, host, port, user)) => (Some(security), host, port, user),
            None => (None, String::new(), 587, String::new()),
        };
        SettingsWindow {
            previews: profile.previews,
            queued: crate::service::queued_emails(session),
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
    pub(super) fn saved(&mut self, message: &str, session: &Session) {
        self.queued = crate::service::queued_emails(session);
        self.message = Some(message.to_string());
        self.password = Zeroizing::new(String::new());
        self.current = Zeroizing::new(String::new());
        self.new = Zeroizing::new(String::new());
        self.repeat = Zeroizing::new(String::new());
    }

    /// Draws the window; `false` once closed.
    pub(super) fn ui(&mut self, ctx: &egui::Context, session: &Arc<Session>, jobs: &Jobs, prefs: &mut Prefs) -> bool {
        let mut open = true;
        egui::Window::new("Settings").open(&mut open).collapsible(false).resizable(false).default_width(440.0).show(
            ctx,
            |ui| {
                ui.heading("Appearance");
                ui.horizontal(|ui| {
                    if ui.radio_value(&mut prefs.dark, true, "Dark").changed()
                        || ui.radio_value(&mut prefs.dark, false, "Light").changed()
                    {
                        super::login::apply_theme(ui.ctx(), prefs.dark);
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
                if super::login::previews_choice(ui, &mut self.previews) {
                    let (session, previews) = (session.clone(), self.previews);
                    jobs.settings(move || {
                        crate::service::set_previews(&session, previews).map_err(|e| e.to_string())?;
                        Ok("Saved: previews of locked photos changed".into())
                    });
                }
                ui.separator();
                self.mail_ui(ui, session, jobs);
                ui.separator();
                self.password_ui(ui, session, jobs);
                if let Some(message) = &self.message {
                    ui.separator();
                    ui.label(message);
                }
            },
        );
        open
    }

    fn mail_ui(&mut self, ui: &mut egui::Ui, session: &Arc<Session>, jobs: &Jobs) {
        ui.heading("Mail for photo passwords");
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.security, None, "Outbox folder");
            ui.radio_value(&mut self.security, Some(Security::StartTls), "SMTP (STARTTLS)");
            ui.radio_value(&mut self.security, Some(Security::ImplicitTls), "SMTP (TLS)");
        });
        let Some(security) = self.security else {
            ui.label(format!("Emails are saved as .eml files in {}", session.vault().outbox_dir().display()));
            ui.label(
                egui::RichText::new(
                    "They sit beside the vault, in clear: whoever copies the vault folder gets every photo's password with it. Set up email so they are sent instead.",
                )
                .color(ui.visuals().warn_fg_color),
            );
            if ui.button("Use the outbox").clicked() {
                let session = session.clone();
                jobs.settings(move || {
                    crate::service::use_outbox(&session).map_err(|e| e.to_string())?;
                    Ok("Password emails now go to the outbox folder".into())
                });
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
                    super::login::secret_field(ui, text, 260.0).labelled_by(l.id);
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
        ui.horizontal(|ui| {
            let to = session.profile().email;
            let from = if self.from.trim().is_empty() { to.clone() } else { self.from.trim().to_string() };
            if ui.button("Send test email").clicked() {
                let url = url.clone();
                let (from, to) = (from.clone(), to.clone());
                jobs.settings(move || {
                    let config = MailOverrides::default().smtp_config(&url?).map_err(|e| e.to_string())?;
                    MailTransport::Smtp(config)
                        .send_test(&from, &to)
                        .map(|w| format!("Test email {w}"))
                        .map_err(|e| e.to_string())
                });
            }
            if ui.button("Save mail settings").clicked() {
                let session = session.clone();
                let from = (!self.from.trim().is_empty()).then(|| self.from.trim().to_string());
                jobs.settings(move || {
                    let config = crate::service::use_smtp(&session, &url?, from, &MailOverrides::default())
                        .map_err(|e| e.to_string())?;
                    Ok(format!("Password emails now go through {}", config.describe()))
                });
            }
        });
        if session.profile().smtp.is_some() && self.queued > 0 {
            let waiting = match self.queued {
                1 => "1 password email waits in the outbox on this computer.".to_string(),
                n => format!("{n} password emails wait in the outbox on this computer."),
            };
            ui.horizontal_wrapped(|ui| {
                ui.label(waiting);
                if ui.button("Send them now").on_hover_text("Each one sent is deleted from this computer").clicked() {
                    let session = session.clone();
                    jobs.settings(move || {
                        let sent = crate::service::send_outbox(&session, &MailOverrides::default())
                            .map_err(|e| e.to_string())?;
                        let done = sent.iter().filter(|s| s.result.is_ok()).count();
                        match sent.iter().find_map(|s| s.result.as_ref().err()) {
                            Some(e) => Err(format!("Sent {done}, then: {e}")),
                            None => Ok(format!("Sent {done} queued email(s) and deleted them from this computer")),
                        }
                    });
                }
            });
        }
    }

    fn password_ui(&mut self, ui: &mut egui::Ui, session: &Arc<Session>, jobs: &Jobs) {
        ui.heading("Login password");
        egui::Grid::new("password").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            for (label, text) in [
                ("Current password", &mut self.current),
                ("New password", &mut self.new),
                ("Repeat new password", &mut self.repeat),
            ] {
                let l = ui.label(label);
                super::login::secret_field(ui, text, 220.0).labelled_by(l.id);
                ui.end_row();
            }
        });
        let ready = !self.current.is_empty() && !self.new.is_empty() && self.new == self.repeat;
        if !self.repeat.is_empty() && self.new != self.repeat {
            ui.colored_label(ui.visuals().warn_fg_color, "The new passwords differ.");
        }
        if ui.add_enabled(ready, egui::Button::new("Change password")).clicked() {
            let (session, current, new) = (session.clone(), self.current.clone(), self.new.clone());
            jobs.settings(move || {
                crate::service::change_password(&session, &current, &new).map_err(|e| e.to_string())?;
                Ok("Password changed; photos need no re-encryption".into())
            });
        }
    }
}
