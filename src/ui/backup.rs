//! Backups in the app: the Backup section of the settings (where to, back up now, progress
//! with Cancel, the last backup), the backup state the gallery keeps while it runs, and
//! the restore screen reached from the login.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::jobs::{Jobs, Work};
use spg_core::remote::Location;
use spg_core::service::Account;
use spg_core::service::backup::{BackupError, BackupReport, LocationGiven, Progress, PullReport, RestoreReport};
use spg_core::service::settings::BackupPlace;
use spg_core::vault::RestoreError;

use super::action::Cmd;
use super::action::human_size;
use super::widgets::{FormState, card, new_password, secret_field};

/// The storage fields the backup section and the restore screen share.
#[derive(Default)]
pub(super) struct StorageFields {
    address: String,
    endpoint: String,
    region: String,
    access_key: String,
    secret: Zeroizing<String>,
}

impl StorageFields {
    /// The fields filled from saved settings (the secret key stays out of the form).
    fn from_saved(saved: Option<&BackupPlace>) -> StorageFields {
        let Some(s) = saved else { return StorageFields::default() };
        StorageFields {
            address: s.address(),
            endpoint: s.endpoint.clone(),
            region: s.region.clone(),
            access_key: s.access_key.clone(),
            secret: Zeroizing::new(String::new()),
        }
    }

    /// The form; `saved_secret` when an empty secret key field keeps the saved one.
    fn ui(&mut self, ui: &mut egui::Ui, saved_secret: bool) {
        egui::Grid::new("storage").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            for (label, text, hint) in [
                ("Bucket and folder", &mut self.address, "e.g. s3://my-photos/alice".to_string()),
                ("Endpoint", &mut self.endpoint, "e.g. https://s3.eu-central-003.backblazeb2.com".into()),
                ("Region", &mut self.region, format!("if empty: {}", spg_core::service::backup::DEFAULT_REGION)),
                ("Access key ID", &mut self.access_key, String::new()),
            ] {
                let l = ui.label(label);
                // Example text in italics, so it is never taken for a value already filled in.
                let hint = egui::RichText::new(hint).italics();
                ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(280.0)).labelled_by(l.id);
                ui.end_row();
            }
            let l = ui.label("Secret key");
            let field = secret_field(ui, &mut self.secret, 280.0).labelled_by(l.id);
            if saved_secret && self.secret.is_empty() {
                field.on_hover_text("Saved, encrypted in your account; type a new one to replace it");
            }
            ui.end_row();
        });
    }

    /// The location the fields name, the secret key kept by `account` when left empty.
    fn location(&self, account: Option<&Account>) -> Result<Location, String> {
        let given = LocationGiven {
            address: Some(&self.address),
            endpoint: Some(&self.endpoint),
            region: Some(&self.region),
            access_key: Some(&self.access_key),
            secret_key: Some(&self.secret),
        };
        spg_core::service::backup::location(given, account).map_err(|e| match e {
            BackupError::NoLocation => "Type the bucket and folder, as s3://BUCKET/FOLDER.".into(),
            BackupError::NoAccessKey => "Type the storage's access key ID.".into(),
            BackupError::MissingSecret(_) => "Type the secret key that goes with the access key.".into(),
            other => other.to_string(),
        })
    }
}

/// A backup or restore under way: what it has done, and how to stop it.
pub(super) struct Transfer {
    cancel: Arc<AtomicBool>,
    progress: Option<Progress>,
}

impl Transfer {
    fn new() -> (Transfer, Arc<AtomicBool>) {
        let cancel = Arc::new(AtomicBool::new(false));
        (Transfer { cancel: cancel.clone(), progress: None }, cancel)
    }

    /// "Sent 12 of 40 photos, 84.2 MB at 5.3 MB/s, about 20 s left".
    fn said(&self, verb: &str) -> String {
        let Some(p) = self.progress else { return "Looking at what the bucket holds…".into() };
        let seconds = p.started.elapsed().as_secs_f64().max(0.001);
        let rate = p.bytes as f64 / seconds;
        let mut text = format!(
            "{verb} {} of {} · {} · {}/s",
            p.done,
            super::wording::photos(p.total),
            human_size(p.bytes),
            human_size(rate as u64)
        );
        if let Some(left) = super::wording::time_left(seconds, p.done, p.total) {
            text += &format!(" · {left}");
        }
        text
    }

    /// The progress bar, the line above it and Cancel.
    fn ui(&self, ui: &mut egui::Ui, verb: &str) {
        ui.horizontal(|ui| {
            super::widgets::spinner(ui, None);
            ui.label(self.said(verb));
        });
        let fraction = self.progress.map_or(0.0, |p| if p.total == 0 { 1.0 } else { p.done as f32 / p.total as f32 });
        ui.add(egui::ProgressBar::new(fraction).desired_width(360.0));
        let stopping = self.cancel.load(Ordering::Relaxed);
        if ui.add_enabled(!stopping, egui::Button::new(if stopping { "Stopping…" } else { "Cancel" })).clicked() {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// The gallery's backup: the settings section's form, and the backup under way.
pub(super) struct BackupState {
    fields: StorageFields,
    saved: Option<BackupPlace>,
    running: Option<Transfer>,
    /// The last answer, and whether it is an error.
    answer: Option<(String, bool)>,
    /// Whether the last backup found a password change made on another computer: the
    /// password set there is asked for, to take the change here too.
    newer: bool,
    /// The password set on the other computer, as typed.
    other_password: Zeroizing<String>,
}

impl BackupState {
    /// The state of a fresh session, from the account's saved settings.
    pub(super) fn new(account: &Account) -> BackupState {
        let saved = account.settings().backup;
        BackupState {
            fields: StorageFields::from_saved(saved.as_ref()),
            saved,
            running: None,
            answer: None,
            newer: false,
            other_password: Zeroizing::new(String::new()),
        }
    }

    /// Whether a backup location is saved (a backup after import can then start).
    pub(super) fn is_set_up(&self) -> bool {
        self.saved.is_some()
    }

    /// Starts a backup to the saved location, unless one runs.
    pub(super) fn start_saved(&mut self, work: &Work) {
        if self.saved.is_some() {
            self.start(self.fields.location(Some(work.account())), work);
        }
    }

    fn start(&mut self, location: Result<Location, String>, work: &Work) {
        self.start_adopting(location, None, work);
    }

    /// Starts a backup, taking first, with `adopt`, the password change made on another
    /// computer.
    fn start_adopting(&mut self, location: Result<Location, String>, adopt: Option<Zeroizing<String>>, work: &Work) {
        if self.running.is_some() {
            return;
        }
        match location {
            Ok(location) => {
                let (transfer, cancel) = Transfer::new();
                self.running = Some(transfer);
                self.answer = None;
                work.backup(location, cancel, adopt);
            }
            Err(why) => self.answer = Some((why, true)),
        }
    }

    /// A backup reported progress.
    pub(super) fn progress(&mut self, p: Progress) {
        if let Some(t) = self.running.as_mut() {
            t.progress = Some(p);
        }
    }

    /// A backup ended: what to say in the status line, and whether photos came in.
    pub(super) fn finished(
        &mut self,
        result: Result<(PullReport, BackupReport), BackupError>,
        account: &Account,
    ) -> ((String, bool), bool) {
        self.running = None;
        self.other_password = Zeroizing::new(String::new());
        // Kept only when the bucket holds a password change made elsewhere.
        self.newer = matches!(result, Err(BackupError::Restore(RestoreError::NewerPassword { .. })));
        let pulled = result.as_ref().is_ok_and(|(p, _)| p.pulled > 0);
        let said = match &result {
            Ok((pull, r)) => {
                self.saved = account.settings().backup;
                self.fields.secret = Zeroizing::new(String::new());
                let mut text = format!(
                    "Backed up {}: {} sent ({}), {} already there",
                    super::wording::photos(r.uploaded + r.already),
                    r.uploaded,
                    human_size(r.bytes),
                    r.already
                );
                if pull.pulled > 0 {
                    text = format!("{} from your other computers; {text}", super::wording::photos(pull.pulled));
                }
                if r.kept_remote > 0 {
                    text += &format!("; {} deleted here stay in the bucket", super::wording::photos(r.kept_remote));
                }
                let trouble = pull.lost.len() + pull.clashes.len();
                if trouble > 0 {
                    text += &format!("; {} in the bucket could not be brought here", super::wording::photos(trouble));
                }
                if r.list_not_taken {
                    text += ". The bucket's list was written with your password from before your last change: \
                             photos only your other computers have are listed again once they back up with your \
                             current password";
                }
                (text, !r.unreadable.is_empty() || trouble > 0)
            }
            Err(e) => (format!("Backup: {e}"), true),
        };
        self.answer = Some(said.clone());
        (said, pulled)
    }

    /// The status line's words while a backup runs, or of the last one.
    pub(super) fn status(&self) -> Option<String> {
        match (&self.running, &self.saved) {
            (Some(t), _) => Some(t.said("Backing up:")),
            (None, Some(s)) if s.last_at > 0 => Some(format!("Last backup {}", when(s.last_at))),
            _ => None,
        }
    }

    /// The settings' Backup section.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, work: &Work, after_import: &mut bool) {
        ui.heading("Backup");
        ui.label(
            egui::RichText::new(
                "To any S3-compatible storage (Backblaze B2, Cloudflare R2, Wasabi, AWS S3, MinIO). Everything is \
                 encrypted before it leaves: the provider sees no photo, name or email. Photos keep their passwords.",
            )
            .weak(),
        );
        self.fields.ui(ui, self.saved.is_some());
        ui.checkbox(after_import, "Back up after each import");
        match &self.running {
            Some(transfer) => transfer.ui(ui, "Sent"),
            None => {
                let button = ui.button("Back up now");
                let tip = "Also brings here the photos your other computers backed up to the same place";
                if button.on_hover_text(tip).clicked() {
                    let location = self.fields.location(Some(work.account()));
                    self.start(location, work);
                }
            }
        }
        if let Some(s) = self.saved.as_ref().filter(|s| s.last_at > 0) {
            ui.label(format!("Last backup {}, to s3://{}/{}", when(s.last_at), s.bucket, s.prefix));
        }
        if let Some((text, error)) = &self.answer {
            let color = if *error { ui.visuals().error_fg_color } else { egui::Color32::from_rgb(40, 160, 90) };
            ui.colored_label(color, text);
        }
        if self.running.is_none() && self.newer {
            self.newer_ui(ui, work);
        }
    }

    /// The password set on another computer, asked for when the bucket holds a backup made
    /// after that change: with it, the change is taken here too and the backup goes on.
    fn newer_ui(&mut self, ui: &mut egui::Ui, work: &Work) {
        ui.horizontal(|ui| {
            let l = ui.label("Password set on the other computer");
            super::widgets::secret_field(ui, &mut self.other_password, 200.0).labelled_by(l.id);
        });
        let button = egui::Button::new("Use it here too, and back up");
        if ui.add_enabled(!self.other_password.is_empty(), button).clicked() {
            let location = self.fields.location(Some(work.account()));
            let password = Some(self.other_password.clone());
            self.start_adopting(location, password, work);
        }
    }
}

/// A moment as people read it: "today 14:05 UTC", "3 Nov 2026 14:05 UTC".
fn when(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let now = time::OffsetDateTime::now_utc();
    let clock = format!("{:02}:{:02} UTC", t.hour(), t.minute());
    if t.date() == now.date() {
        format!("today {clock}")
    } else {
        format!("{} {} {} {clock}", t.day(), &t.month().to_string()[..3], t.year())
    }
}

/// Restore an account from a backup, before logging in.
pub(super) struct RestoreScreen {
    user: String,
    secret: Zeroizing<String>,
    recovery: bool,
    /// The new password the recovery words set, typed twice.
    new_password: Zeroizing<String>,
    repeat: Zeroizing<String>,
    fields: StorageFields,
    form: FormState,
    running: Option<Transfer>,
}

impl RestoreScreen {
    /// The form, with `user` filled in.
    pub(super) fn new(user: String) -> RestoreScreen {
        RestoreScreen {
            user,
            secret: Zeroizing::new(String::new()),
            recovery: false,
            new_password: Zeroizing::new(String::new()),
            repeat: Zeroizing::new(String::new()),
            fields: StorageFields::default(),
            form: FormState::default(),
            running: None,
        }
    }

    /// The restore reported progress.
    pub(super) fn progress(&mut self, p: Progress) {
        if let Some(t) = self.running.as_mut() {
            t.progress = Some(p);
        }
    }

    /// The restore ended: on success, what the login screen says.
    pub(super) fn finished(&mut self, result: Result<RestoreReport, BackupError>) -> Option<String> {
        self.running = None;
        match result {
            Ok(r) => {
                let photos = super::wording::photos(r.photos);
                let mut said =
                    format!("✔ Restored {} with {photos}, from the backup of {}", r.user, when(r.backed_up_at));
                if !r.lost.is_empty() {
                    let lost = super::wording::photos(r.lost.len());
                    said += &format!("; {lost} missing from the bucket or damaged there could not be restored");
                }
                said += &if r.new_password {
                    ". Log in with your new password.".to_string()
                } else {
                    format!(
                        ". It opens with the password set {}: if you changed your password after that, someone who knew the old one may have put this backup back; choose \"Forgot your password? Use your recovery key\" now, which sets a new password. Otherwise, log in.",
                        when(r.password_set_at)
                    )
                };
                Some(said)
            }
            Err(e) => {
                self.form.failed(e.to_string());
                None
            }
        }
    }

    /// Draws the form: `vault_ready` is false while the vault is being tidied.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, jobs: &Jobs, vault: Option<&spg_core::vault::Vault>) -> Option<Cmd> {
        let mut cmd = None;
        card(ui, "Restore from a backup", |ui| {
            ui.label("Bring an account back from its backup, into this vault: its photos, with the same passwords.");
            ui.add_space(6.0);
            let l = ui.label("User name");
            ui.add(egui::TextEdit::singleline(&mut self.user).desired_width(f32::INFINITY)).labelled_by(l.id);
            ui.checkbox(&mut self.recovery, "Use my recovery key (and set a new password)");
            let l = ui.label(if self.recovery { "Recovery key (24 words)" } else { "Password" });
            secret_field(ui, &mut self.secret, f32::INFINITY).labelled_by(l.id);
            let password_ready = if self.recovery {
                ui.label(
                    "The recovery key sets a new login password: the right choice if you changed your password after this backup was made.",
                );
                let labels = ["New password", "Repeat new password"];
                new_password(ui, labels, &mut self.new_password, &mut self.repeat, &[self.user.trim()]).ready
            } else {
                true
            };
            ui.add_space(6.0);
            self.fields.ui(ui, false);
            ui.add_space(8.0);
            if let Some(transfer) = &self.running {
                transfer.ui(ui, "Fetched");
                return;
            }
            ui.horizontal(|ui| {
                let ready =
                    !self.user.trim().is_empty() && !self.secret.is_empty() && password_ready && vault.is_some();
                if self.form.submit(ui, "Restore", ready, false) {
                    match (self.fields.location(None), vault) {
                        (Ok(location), Some(vault)) => {
                            let (transfer, cancel) = Transfer::new();
                            self.running = Some(transfer);
                            let secret = std::mem::replace(&mut self.secret, Zeroizing::new(String::new()));
                            let user = self.user.trim().to_string();
                            let new = self.recovery.then(|| self.new_password.clone());
                            jobs.restore(vault.clone(), location, user, (secret, new), cancel);
                        }
                        (Err(why), _) => self.form.failed(why),
                        (_, None) => {}
                    }
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
