//! Settings: appearance; security (auto-lock, the previews of locked photos, the login
//! password, the check of every photo); mail delivery (SMTP with a test email, or the
//! outbox); backup (`backup.rs`). Slow parts (SMTP, Argon2, the check) run on a worker,
//! with a spinner until they answer; what they answer is said below the buttons that asked
//! (and in the status line), errors in red. The window sits between the toolbar and the status line, never over
//! them, and scrolls when the app's window is short.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use zeroize::Zeroizing;

use crate::jobs::Work;
use spg_core::mail::{Security, ServerCertificate, SmtpConfig};
use spg_core::service::Account;
use spg_core::service::settings::{SettingsChange, SettingsDone};
use spg_core::vault::{PhotoId, StorageError, VerifyReport};

use super::prefs::Prefs;

/// The auto-lock choices, in minutes (0: never).
const LOCK_AFTER: [u32; 8] = [1, 2, 5, 10, 15, 30, 60, 0];

/// The settings window's form state.
pub(super) struct SettingsWindow {
    /// The account's user name and email (for the strength meter and the test email),
    /// read once: the profile also holds the SMTP password, and is not copied per frame.
    names: (String, String),
    /// How locked photos look after login, as chosen in the form.
    previews: spg_core::vault::Previews,
    /// Password emails of this account waiting in the outbox (counted when the window opens
    /// and after each change).
    queued: usize,
    security: Option<Security>,
    host: String,
    /// The port as typed (digits only; a drag value dropped keys typed quickly).
    port: String,
    user: String,
    password: Zeroizing<String>,
    from: String,
    /// Trusted roots beside the system's, for a server with a certificate of its own: the
    /// PEM and where it came from (a file's name, or the account's settings).
    ca: Option<(Vec<u8>, String)>,
    /// The path of a CA file, as typed or chosen.
    ca_path: String,
    /// The certificate the server presented when asked, shown with its fingerprint until
    /// it is trusted or turned down.
    offered: Option<ServerCertificate>,
    /// The server asked to send a code (its URL, From and authority), until the worker answers.
    asked: Option<Asked>,
    /// The server a code was sent for, waiting for the code typed back.
    code_for: Option<Asked>,
    /// The code as typed.
    code: String,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    repeat: Zeroizing<String>,
    /// The last answer, whether it is an error, and the part of the window that asked.
    message: Option<(String, bool, Part)>,
    /// A change is on its way to the worker (an SMTP check takes up to 15 s), and the part
    /// of the window that sent it: what is under way, and its answer, show there.
    busy: Option<(&'static str, Part)>,
}

/// An SMTP server a code is asked or sent for: its URL, From, and trusted authority (PEM).
type Asked = (Zeroizing<String>, Option<String>, Option<Vec<u8>>);

/// The parts of the settings window that send a change: each shows what it is doing, and
/// the answer, below its own buttons, where the person who pressed one is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Previews,
    Password,
    Mail,
}

impl SettingsWindow {
    /// The form, filled from the account's mail settings (never showing the password).
    pub(super) fn new(account: &Account) -> SettingsWindow {
        let settings = account.settings();
        let smtp = settings.smtp.as_ref();
        let (security, host, port, user) = match smtp {
            Some(s) => (Some(s.security), s.host.clone(), s.port, s.user.clone()),
            None => (None, String::new(), 587, String::new()),
        };
        SettingsWindow {
            names: (account.username().to_string(), settings.email.clone()),
            previews: settings.previews,
            queued: account.queued_emails(),
            security,
            host,
            port: port.to_string(),
            user,
            password: Zeroizing::new(String::new()),
            from: smtp.and_then(|s| s.from.clone()).unwrap_or_default(),
            ca: smtp.and_then(|s| s.ca_pem.clone()).map(|pem| (pem, "the file kept with these settings".to_string())),
            ca_path: String::new(),
            offered: None,
            asked: None,
            code_for: None,
            code: String::new(),
            current: Zeroizing::new(String::new()),
            new: Zeroizing::new(String::new()),
            repeat: Zeroizing::new(String::new()),
            message: None,
            busy: None,
        }
    }

    /// Sends `change` to the worker, saying what is under way meanwhile.
    fn send(&mut self, change: SettingsChange, doing: &'static str, work: &Work) {
        let part = match change {
            SettingsChange::SetPreviews(_) => Part::Previews,
            SettingsChange::ChangePassword { .. } => Part::Password,
            _ => Part::Mail,
        };
        self.message = None;
        self.busy = Some((doing, part));
        work.settings(change);
    }

    /// A change was done (`done`, said as `message`): saved, or for SMTP a code sent or
    /// the server's certificate fetched.
    pub(super) fn saved(&mut self, message: &str, account: &Account, done: SettingsDone) {
        self.queued = account.queued_emails();
        let part = self.busy.take().map_or(Part::Mail, |(_, part)| part);
        self.message = Some((message.to_string(), false, part));
        if let SettingsDone::Certificate(certificate) = done {
            // Nothing is saved yet: the form stays as it is, password included.
            self.offered = Some(certificate);
            return;
        }
        if matches!(done, SettingsDone::CodeSent { .. }) {
            // The form keeps what the code is for until it is typed back.
            self.code_for = self.asked.take();
            self.code.clear();
            return;
        }
        self.code_for = None;
        self.code.clear();
        self.password = Zeroizing::new(String::new());
        self.current = Zeroizing::new(String::new());
        self.new = Zeroizing::new(String::new());
        self.repeat = Zeroizing::new(String::new());
    }

    /// A change failed: the reason shows in the window.
    pub(super) fn failed(&mut self, why: &str) {
        let part = self.busy.take().map_or(Part::Mail, |(_, part)| part);
        self.asked = None;
        self.message = Some((why.to_string(), true, part));
    }

    /// Draws the window below `top` (the toolbar's bottom edge); `false` once closed.
    pub(super) fn ui(
        &mut self,
        ctx: &egui::Context,
        top: f32,
        work: &Work,
        prefs: &mut Prefs,
        lasting: Lasting<'_>,
    ) -> bool {
        let Lasting { backup, check } = lasting;
        let mut open = true;
        // Below the toolbar and above the status line (about 24 points), 8 points clear of each.
        let room = ctx.content_rect().height() - top - 40.0;
        egui::Window::new("Settings")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(440.0)
            .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, top + 8.0))
            .default_height(room.max(160.0))
            .max_height(room.max(160.0))
            .vscroll(true)
            .show(ctx, |ui| {
                ui.heading("Appearance");
                ui.horizontal(|ui| {
                    if ui.radio_value(&mut prefs.dark, true, "Dark").changed()
                        || ui.radio_value(&mut prefs.dark, false, "Light").changed()
                    {
                        super::widgets::apply_theme(ui.ctx(), prefs.dark);
                    }
                });
                ui.checkbox(&mut prefs.captions, "Show file names on the photos");
                ui.separator();
                ui.heading("Security");
                ui.horizontal(|ui| {
                    let label = ui.label("Lock after");
                    let said = |m: u32| match m {
                        0 => "Never".to_string(),
                        1 => "1 minute".to_string(),
                        m => format!("{m} minutes"),
                    };
                    egui::ComboBox::from_id_salt("lock-after")
                        .selected_text(said(prefs.auto_lock_minutes))
                        .show_ui(ui, |ui| {
                            for m in LOCK_AFTER {
                                ui.selectable_value(&mut prefs.auto_lock_minutes, m, said(m));
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.label(egui::RichText::new("without use").weak());
                });
                ui.add_space(4.0);
                if super::widgets::previews_choice(ui, &mut self.previews) {
                    self.send(SettingsChange::SetPreviews(self.previews), "Saving…", work);
                }
                self.answer(ui, Part::Previews);
                ui.add_space(4.0);
                self.password_ui(ui, work);
                ui.add_space(4.0);
                check.ui(ui, work);
                ui.separator();
                self.mail_ui(ui, work);
                ui.separator();
                backup.ui(ui, work, &mut prefs.backup_after_import);
            });
        open
    }

    /// What `part` has under way, or the answer it got: below its buttons, where it is seen.
    fn answer(&mut self, ui: &mut egui::Ui, part: Part) {
        if let Some((doing, _)) = self.busy.filter(|(_, p)| *p == part) {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui, None);
                ui.label(doing);
            });
        } else if let Some((message, error, _)) = self.message.as_ref().filter(|(_, _, p)| *p == part) {
            show_answer(ui, message, *error);
        }
    }

    fn mail_ui(&mut self, ui: &mut egui::Ui, work: &Work) {
        let account = work.account();
        ui.heading("Mail for photo passwords");
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut self.security, None, "Outbox folder");
            ui.radio_value(&mut self.security, Some(Security::StartTls), "SMTP (STARTTLS)");
            ui.radio_value(&mut self.security, Some(Security::ImplicitTls), "SMTP (TLS)");
            ui.radio_value(&mut self.security, Some(Security::Plain), "SMTP on this computer")
                .on_hover_text("A mail relay on this computer (localhost): no encryption is needed there");
        });
        // The usual port goes with the security chosen, unless another was typed.
        match self.security {
            Some(Security::ImplicitTls) if self.port == "587" => self.port = "465".into(),
            Some(Security::StartTls) if self.port == "465" => self.port = "587".into(),
            _ => {}
        }
        let Some(security) = self.security else {
            ui.label(format!("Emails are saved as .eml files in {}", account.outbox_dir().display()));
            ui.label(
                egui::RichText::new(
                    "They sit beside the vault, in clear: whoever copies the vault folder gets every photo's password with it. Set up email so they are sent instead.",
                )
                .color(ui.visuals().warn_fg_color),
            );
            ui.horizontal(|ui| {
                // Only when emails go through a server now: the outbox is a change to make.
                if account.uses_smtp()
                    && ui.add_enabled(self.busy.is_none(), egui::Button::new("Use the outbox")).clicked()
                {
                    self.send(SettingsChange::UseOutbox, "Saving…", work);
                }
                if ui.button("📂 Open outbox folder").clicked()
                    && let Err(why) = super::system::show_folder(&account.outbox_dir())
                {
                    self.message = Some((why, true, Part::Mail));
                }
            });
            self.answer(ui, Part::Mail);
            return;
        };
        ui.label(
            egui::RichText::new(
                "Examples: Gmail: smtp.gmail.com, SMTP (STARTTLS), port 587, your address and an app password. \
                 Fastmail: smtp.fastmail.com, SMTP (TLS), port 465.",
            )
            .weak(),
        );
        self.server_form(ui, work, security);
        let url = self.url(security);
        let mut change = None;
        let free = self.busy.is_none();
        ui.horizontal(|ui| {
            let to = self.names.1.clone();
            let from = self.from.trim().to_string();
            if ui.add_enabled(free, egui::Button::new("Send test email")).clicked() {
                let from = if from.is_empty() { to.clone() } else { from.clone() };
                let ca_pem = self.ca.as_ref().map(|(pem, _)| pem.clone());
                change = Some(
                    url.clone()
                        .map(|url| (SettingsChange::SendTestEmail { url, ca_pem, from, to }, "Sending a test email…")),
                );
            }
            if ui.add_enabled(free, egui::Button::new("Save mail settings")).clicked() {
                let from = (!from.is_empty()).then_some(from);
                let ca_pem = self.ca.as_ref().map(|(pem, _)| pem.clone());
                change = Some(url.clone().map(|url| {
                    self.asked = Some((url.clone(), from.clone(), ca_pem.clone()));
                    let change = SettingsChange::UseSmtp { url, from, ca_pem, code: None };
                    (change, "Checking the server and sending a code…")
                }));
            }
        });
        if let Some(asked) = self.code_ui(ui, free) {
            change = Some(Ok(asked));
        }
        match change {
            Some(Ok((change, doing))) => self.send(change, doing, work),
            Some(Err(bad_url)) => self.message = Some((bad_url, true, Part::Mail)),
            None => {}
        }
        self.answer(ui, Part::Mail);
        if account.uses_smtp() && self.queued > 0 {
            let waiting = match self.queued {
                1 => "1 password email waits in the outbox on this computer.".to_string(),
                n => format!("{n} password emails wait in the outbox on this computer."),
            };
            ui.horizontal_wrapped(|ui| {
                ui.label(waiting);
                let send = ui.add_enabled(free, egui::Button::new("Send them now"));
                if send.on_hover_text("Each one sent is deleted from this computer").clicked() {
                    self.send(SettingsChange::SendOutbox, "Sending the queued emails…", work);
                }
            });
        }
    }

    /// The server's URL as the form says it, or what is wrong with the form.
    fn url(&self, security: Security) -> Result<Zeroizing<String>, String> {
        match self.port.parse::<u16>() {
            Ok(port) if port > 0 => SmtpConfig::url_from_parts(security, &self.host, port, &self.user, &self.password)
                .map(Zeroizing::new)
                .map_err(|e| e.to_string()),
            _ => Err("The port is a number from 1 to 65535 (587 for STARTTLS, 465 for TLS).".to_string()),
        }
    }

    /// The SMTP server's host, user, password, From and port.
    fn server_form(&mut self, ui: &mut egui::Ui, work: &Work, security: Security) {
        egui::Grid::new("smtp").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            for (label, text, password, hint) in [
                ("Host", &mut self.host, false, "e.g. smtp.example.com"),
                ("User", &mut self.user, false, "e.g. you@example.com"),
                ("Password", &mut *self.password, true, ""),
                ("From", &mut self.from, false, "optional, e.g. Photos <you@example.com>"),
            ] {
                let l = ui.label(label);
                if password {
                    super::widgets::secret_field(ui, text, 260.0).labelled_by(l.id);
                } else {
                    let hint = egui::RichText::new(hint).italics();
                    ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(260.0)).labelled_by(l.id);
                }
                ui.end_row();
            }
            let l = ui.label("Port");
            let field = egui::TextEdit::singleline(&mut self.port).char_limit(5).desired_width(60.0);
            if ui.add(field).labelled_by(l.id).changed() {
                self.port.retain(|c| c.is_ascii_digit());
            }
            ui.end_row();
            if security != Security::Plain {
                let l = ui.label("Authority");
                self.authority_row(ui, work, l.id, security);
                ui.end_row();
            }
        });
        self.offered_ui(ui);
    }

    /// The certificate the server presented, with its fingerprint, to trust or turn down.
    fn offered_ui(&mut self, ui: &mut egui::Ui) {
        let Some(offered) = &self.offered else { return };
        let (fingerprint, trust) = egui::Frame::group(ui.style())
            .show(ui, |ui| {
                let whose =
                    if offered.is_authority { "the authority that signed its certificate" } else { "its certificate" };
                ui.label(format!("{} presents {whose}. Its SHA-256 fingerprint:", offered.server));
                let fingerprint = offered.fingerprint();
                ui.add(egui::Label::new(egui::RichText::new(&fingerprint).monospace()).wrap());
                ui.label(
                    "Trust it only if this is the fingerprint your mail provider or administrator gave you: \
                     anyone between you and the server could present another.",
                );
                let trust = ui
                    .horizontal(|ui| {
                        let trust = ui.button("Trust this certificate").clicked();
                        (trust, ui.button("Do not trust it").clicked())
                    })
                    .inner;
                (fingerprint, trust)
            })
            .inner;
        match trust {
            (true, _) => {
                let short: String = fingerprint.chars().take(23).collect();
                let from = format!("the certificate {} presented (SHA-256 {short}…)", offered.server);
                self.ca = Some((offered.to_pem(), from));
                self.offered = None;
                self.message = None;
            }
            (_, true) => self.offered = None,
            _ => {}
        }
    }

    /// The certificate authority trusted beside the system's: most servers need none; one
    /// with a certificate of its own (a company's, a home server's) needs its CA's file.
    fn authority_row(&mut self, ui: &mut egui::Ui, work: &Work, label: egui::Id, security: Security) {
        ui.horizontal_wrapped(|ui| match &self.ca {
            Some((_, from)) => {
                ui.label(format!("Its own, from {from}"));
                if ui.small_button("Use the system's").on_hover_text("Trust only what this computer trusts").clicked() {
                    self.ca = None;
                }
            }
            None => {
                let hint = egui::RichText::new("the system's; or a PEM file of the server's own CA").italics();
                ui.add(egui::TextEdit::singleline(&mut self.ca_path).hint_text(hint).desired_width(260.0))
                    .labelled_by(label);
                if self.ca_path.trim().is_empty() {
                    if ui.small_button("Choose…").clicked() {
                        super::system::pick(work, crate::jobs::Pick::CaFile);
                    }
                } else if ui.small_button("Use this file").clicked() {
                    let path = std::path::PathBuf::from(self.ca_path.trim());
                    self.ca_chosen(&path);
                }
                let ask = ui.add_enabled(self.busy.is_none(), egui::Button::new("Ask the server").small());
                if ask
                    .on_hover_text("See the certificate the server presents, and trust it by its fingerprint")
                    .clicked()
                {
                    match self.url(security) {
                        Ok(url) => self.send(
                            SettingsChange::LookAtCertificate { url },
                            "Asking the server for its certificate…",
                            work,
                        ),
                        Err(why) => self.message = Some((why, true, Part::Mail)),
                    }
                }
            }
        });
    }

    /// A CA file was chosen (typed, or picked in the file dialog): kept in the form when it
    /// holds a certificate, and sent with the next test or save.
    pub(super) fn ca_chosen(&mut self, path: &std::path::Path) {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        // A certificate file is a few kilobytes: only a regular file's first megabyte is read
        // (the window waits for it).
        let read = std::fs::File::open(path).and_then(|file| {
            use std::io::Read;
            if !file.metadata()?.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            let mut pem = Vec::new();
            file.take(1 << 20).read_to_end(&mut pem)?;
            Ok(pem)
        });
        match read {
            Ok(pem) if pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") => {
                self.ca = Some((pem, name));
                self.ca_path.clear();
                self.message = None;
            }
            Ok(_) => {
                let why = format!("{name} holds no certificate: choose the CA's certificate, a PEM file (.pem, .crt)");
                self.message = Some((why, true, Part::Mail));
            }
            Err(e) => self.message = Some((format!("Cannot read {name}: {e}"), true, Part::Mail)),
        }
    }

    /// The code sent to prove the account's address, typed back: the settings it was sent
    /// for are saved when "Confirm" is pressed.
    fn code_ui(&mut self, ui: &mut egui::Ui, free: bool) -> Option<(SettingsChange, &'static str)> {
        // The settings the code was sent for, whatever the form says now.
        let (url, from, ca_pem) = self.code_for.clone()?;
        ui.label(format!(
            "A code was sent to {}. Type it here to save these settings: only then do photo passwords go there.",
            self.names.1
        ));
        let mut confirmed = None;
        ui.horizontal(|ui| {
            let l = ui.label("Code");
            let field = ui.add(egui::TextEdit::singleline(&mut self.code).hint_text("XXXX-XXXX").desired_width(120.0));
            field.labelled_by(l.id);
            let typed = self.code.chars().filter(char::is_ascii_alphanumeric).count() == 8;
            if ui.add_enabled(free && typed, egui::Button::new("Confirm")).clicked() {
                let code = Some(self.code.clone());
                confirmed = Some((SettingsChange::UseSmtp { url, from, ca_pem, code }, "Saving…"));
            }
        });
        confirmed
    }

    fn password_ui(&mut self, ui: &mut egui::Ui, work: &Work) {
        ui.label(egui::RichText::new("Login password").strong());
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
        let strong = super::widgets::strength_meter(ui, &self.new, &[&self.names.0, &self.names.1]);
        let ready = self.busy.is_none() && !self.current.is_empty() && strong && self.new == self.repeat;
        if !self.repeat.is_empty() && self.new != self.repeat {
            ui.colored_label(ui.visuals().warn_fg_color, "The new passwords differ.");
        }
        if ui.add_enabled(ready, egui::Button::new("Change password")).clicked() {
            let (current, new) = (self.current.clone(), self.new.clone());
            self.send(SettingsChange::ChangePassword { current, new }, "Checking the current password…", work);
        }
        self.answer(ui, Part::Password);
    }
}

/// The parts of the settings whose work outlives the window: they belong to the gallery.
pub(super) struct Lasting<'a> {
    /// The backup's form and the backup under way.
    pub(super) backup: &'a mut super::backup::BackupState,
    /// The check of every photo.
    pub(super) check: &'a mut PhotoCheck,
}

/// The check of every stored photo (`verify`), beside the settings' form: it runs for
/// minutes at a million photos, while the form stays usable, and its answer stays when the
/// window closes and opens again.
#[derive(Default)]
pub(super) struct PhotoCheck {
    /// Set to stop the check under way (the session locks).
    running: Option<Arc<AtomicBool>>,
    /// Records checked, of about how many.
    progress: Option<(usize, usize)>,
    /// The last answer, and whether it is bad news.
    answer: Option<(String, bool)>,
}

impl PhotoCheck {
    /// The check has checked `checked` records of about `of`.
    pub(super) fn progress(&mut self, checked: usize, of: usize) {
        self.progress = Some((checked, of));
    }

    /// The check ended: what to say (`None` if it was stopped), kept for the window too.
    pub(super) fn finished(
        &mut self,
        result: Result<Option<VerifyReport>, StorageError>,
        name_of: impl Fn(PhotoId) -> Option<String>,
    ) -> Option<(String, bool)> {
        self.running = None;
        self.progress = None;
        self.answer = match result {
            Ok(Some(report)) => Some(super::wording::verified(&report, name_of)),
            Ok(None) => None,
            Err(e) => Some((format!("The check stopped: {e}"), true)),
        };
        self.answer.clone()
    }

    fn ui(&mut self, ui: &mut egui::Ui, work: &Work) {
        ui.label(egui::RichText::new("Stored photos").strong());
        if self.running.is_some() {
            ui.horizontal_wrapped(|ui| {
                super::widgets::spinner(ui, None);
                ui.label(match self.progress {
                    Some((checked, of)) => format!(
                        "Checking every photo… {} of {}",
                        super::wording::number(checked),
                        super::wording::number(of.max(checked))
                    ),
                    None => "Checking every photo…".to_string(),
                });
            });
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let check = ui.button("Check every photo");
            if check
                .on_hover_text("Read every stored byte of your photos and say whether any was changed or lost")
                .clicked()
            {
                let stop = Arc::new(AtomicBool::new(false));
                work.verify(stop.clone());
                self.running = Some(stop);
                self.answer = None;
            }
            ui.label(egui::RichText::new("reads every photo: minutes for many").weak());
        });
        if let Some((message, error)) = &self.answer {
            show_answer(ui, message, *error);
        }
    }
}

/// An answer from a worker: green with a tick, or red with a warning sign.
fn show_answer(ui: &mut egui::Ui, message: &str, error: bool) {
    let color = if error { ui.visuals().error_fg_color } else { egui::Color32::from_rgb(40, 160, 90) };
    let mark = if error { "⚠" } else { "✔" };
    ui.colored_label(color, format!("{mark} {message}"));
}
