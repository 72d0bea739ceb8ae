//! The app: the current screen, the job runner, and the commands the screens return.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::jobs::{Event, Jobs, SessionEvent};
use spg_core::vault::Vault;

use super::action::Cmd;
use super::backup::RestoreScreen;
use super::gallery::GalleryScreen;
use super::login::{LoginScreen, RecoverScreen, RegisterScreen};
use super::prefs::Prefs;
use super::recovery::RecoveryScreen;

/// Said on the login screen after redb repaired the vault.
const REPAIRED: &str = "✔ The vault was checked after Secure Photo Gallery was not closed properly. \
                        Photos whose import had finished are kept; import the others again.";

/// Which screen is shown, without its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    /// The vault is being opened.
    Opening,
    /// The vault cannot be used.
    Fatal,
    /// Log in.
    Login,
    /// Create an account.
    Register,
    /// The recovery key.
    Recovery,
    /// Recover an account with its recovery key.
    Recover,
    /// Restore an account from a backup.
    Restore,
    /// The gallery.
    Gallery {
        /// Photos shown: the front of the list until the whole list arrives.
        photos: usize,
        /// Whether the whole list has arrived.
        listed: bool,
        /// Thumbnail textures loaded.
        thumbnails: usize,
        /// Photos unlocked in this session.
        unlocked: usize,
        /// Whether the viewer shows a decoded photo.
        viewing: bool,
    },
}

/// The screens; each owns its state.
enum Screen {
    /// The vault is being opened; the progress of its repair, if it needs one.
    Opening(Option<f64>),
    /// The vault cannot be used (in use by another window, unreadable).
    Fatal(String),
    /// Log in.
    Login(LoginScreen),
    /// Create an account.
    Register(RegisterScreen),
    /// The recovery key, shown once after registration.
    Recovery(RecoveryScreen),
    /// Recover an account with its recovery key.
    Recover(RecoverScreen),
    /// Restore an account from a backup.
    Restore(Box<RestoreScreen>),
    /// The photos of a logged-in account.
    Gallery(Box<GalleryScreen>),
}

/// The eframe application.
pub struct GalleryApp {
    /// The vault; `None` while it is being opened, or after a lock until the locked
    /// session's work has stopped and the vault is tidied.
    vault: Option<Vault>,
    /// The vault held back at a lock, for the session whose work is stopping: tidied once
    /// [`Event::SessionClosed`] says none of its jobs runs any more.
    closing: Option<(crate::jobs::SessionId, Vault)>,
    /// The locked session whose work is stopping, and whose it is: an import it stops is
    /// summarised on the login screen and at that user's next login.
    stopping: Option<(crate::jobs::SessionId, String)>,
    /// What the work of a locked session did, for each user's next login.
    while_locked: Vec<(String, String)>,
    /// A login, registration or recovery asked for while the vault was being tidied.
    waiting: Option<Cmd>,
    jobs: Jobs,
    events: Receiver<Event>,
    screen: Screen,
    prefs: Prefs,
    /// The vault's path, made absolute (the login form offers the last user of this vault).
    vault_path: PathBuf,
    /// egui's clock (seconds) at the last input: real time in a window, simulated in tests.
    last_activity: f64,
    /// Input that came after a Tab in the same frame, held for the next frame.
    held_input: Vec<egui::Event>,
    /// The screen drawn last: a new one starts with every password hidden.
    shown_screen: Option<std::mem::Discriminant<Screen>>,
}

impl GalleryApp {
    /// Starts opening the vault on a worker thread (a second window on the same vault
    /// gets a clear message; a vault that needs a repair shows its progress).
    pub fn new(cc: &eframe::CreationContext<'_>, vault_path: &Path) -> GalleryApp {
        let prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let (jobs, events) = Jobs::new(Arc::new(move || ctx.request_repaint()));
        jobs.open_vault(vault_path.to_path_buf());
        super::widgets::apply_theme(&cc.egui_ctx, prefs.dark);
        GalleryApp {
            vault: None,
            closing: None,
            stopping: None,
            while_locked: Vec::new(),
            waiting: None,
            jobs,
            events,
            screen: Screen::Opening(None),
            prefs,
            vault_path: std::path::absolute(vault_path).unwrap_or_else(|_| vault_path.to_path_buf()),
            last_activity: 0.0,
            held_input: Vec::new(),
            shown_screen: None,
        }
    }

    /// Which screen is shown, with the gallery's counts (for tests and diagnostics).
    pub fn screen_kind(&self) -> ScreenKind {
        match &self.screen {
            Screen::Opening(_) => ScreenKind::Opening,
            Screen::Fatal(_) => ScreenKind::Fatal,
            Screen::Login(_) => ScreenKind::Login,
            Screen::Register(_) => ScreenKind::Register,
            Screen::Recovery(_) => ScreenKind::Recovery,
            Screen::Recover(_) => ScreenKind::Recover,
            Screen::Restore(_) => ScreenKind::Restore,
            Screen::Gallery(g) => ScreenKind::Gallery {
                photos: g.library.len(),
                listed: g.library.listed,
                thumbnails: g.thumbnails.textures_held(),
                unlocked: g.library.unlocked.len(),
                viewing: g.viewer_shows_photo(),
            },
        }
    }

    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::ShowRegister(user) => self.screen = Screen::Register(RegisterScreen::new(user, false)),
            Cmd::ShowLogin(user) => self.screen = Screen::Login(LoginScreen::new(user)),
            Cmd::ShowRecover(user) => self.screen = Screen::Recover(RecoverScreen::new(user)),
            Cmd::ShowRestore(user) => self.screen = Screen::Restore(Box::new(RestoreScreen::new(user))),
            Cmd::Enter(account) => self.enter(account),
            Cmd::Lock => self.lock(None),
            Cmd::Login { .. } | Cmd::Register { .. } | Cmd::Recover { .. } => self.with_vault(cmd),
        }
    }

    /// The commands that need the vault; while it is being tidied after a lock, the one
    /// asked for waits for it (its form stays busy).
    fn with_vault(&mut self, cmd: Cmd) {
        let Some(vault) = self.vault.clone() else { return self.waiting = Some(cmd) };
        match cmd {
            Cmd::Login { user, password } => {
                self.prefs.remember_user(&self.vault_path, &user);
                self.jobs.login(vault, user, password);
            }
            Cmd::Register { user, email, password, previews } => {
                self.jobs.register(vault, user, email, password, previews)
            }
            Cmd::Recover { user, words, password } => self.jobs.recover(vault, user, words, password),
            _ => {}
        }
    }

    /// Opens the gallery of a logged-in account, with its session's work.
    fn enter(&mut self, account: spg_core::service::Account) {
        self.prefs.remember_user(&self.vault_path, account.username());
        let mut gallery = Box::new(GalleryScreen::new(self.jobs.session(account)));
        let user = gallery.username().to_string();
        for (_, text) in self.while_locked.extract_if(.., |(whose, _)| *whose == user) {
            gallery.say((text, false));
        }
        self.screen = Screen::Gallery(gallery);
    }

    /// Drops the gallery (textures, pictures, unlocked passwords) and closes its session's
    /// work: every job stops at its next step, and once none holds the keys the vault is
    /// tidied and comes back for the next login. `why` is said on the login screen.
    fn lock(&mut self, why: Option<String>) {
        let user = match &self.screen {
            Screen::Gallery(g) => g.username().to_string(),
            _ => self.prefs.user_for(&self.vault_path),
        };
        let mut login = LoginScreen::new(user);
        if let Some(why) = why {
            login = login.with_notice(why);
        }
        let was_open = matches!(self.screen, Screen::Gallery(_) | Screen::Recovery(_));
        let screen = std::mem::replace(&mut self.screen, Screen::Opening(None));
        let vault = if was_open { self.vault.take() } else { None };
        match (screen, vault) {
            (Screen::Gallery(gallery), Some(vault)) => {
                let id = gallery.work.id();
                self.stopping = Some((id, gallery.username().to_string()));
                let busy = gallery.close();
                if let Some(stopping) = super::wording::stopping(&busy) {
                    login = login.with_progress(stopping);
                }
                self.closing = Some((id, vault));
            }
            // The recovery key's screen holds the new account alone: it goes with the screen.
            (_, Some(vault)) => self.jobs.tidy(vault),
            _ => {}
        }
        self.screen = Screen::Login(login);
    }

    fn handle(&mut self, ctx: &egui::Context, event: Event) {
        let event = match event {
            Event::Tidied(vault, result) => return self.tidied(vault, result),
            Event::SessionClosed(id) => return self.closed(id),
            event => event,
        };
        match (&mut self.screen, event) {
            (Screen::Opening(progress), Event::VaultRepair(p)) => *progress = Some(p),
            (Screen::Opening(repair), Event::VaultOpened(result)) => match result {
                // A new vault starts on registration.
                Ok((vault, false)) => {
                    self.vault = Some(vault);
                    self.screen = Screen::Register(RegisterScreen::new(String::new(), true));
                }
                Ok((vault, true)) => {
                    let mut login = LoginScreen::new(self.prefs.user_for(&self.vault_path));
                    if repair.is_some() {
                        login = login.with_notice(REPAIRED);
                    }
                    self.vault = Some(vault);
                    self.screen = Screen::Login(login);
                }
                Err(e) => self.screen = Screen::Fatal(e.to_string()),
            },
            (Screen::Login(login), Event::LoggedIn(result)) => match result {
                Ok(account) => self.enter(account),
                Err(e) => login.failed(e.to_string()),
            },
            (Screen::Register(form), Event::Registered(result)) => match result {
                Ok(done) => {
                    self.screen = Screen::Recovery(RecoveryScreen::new(done.user, done.words, done.account.ok()));
                }
                Err(e) => form.failed(e.to_string()),
            },
            (Screen::Recover(form), Event::Recovered(result)) => match result {
                Ok(account) => self.enter(account),
                Err(e) => form.failed(e.to_string()),
            },
            (Screen::Recovery(screen), Event::WordsSaved(result)) => screen.saved_to(result),
            // Only the open session's results reach its gallery; those of a session locked
            // since are dropped.
            (Screen::Gallery(gallery), Event::Session(id, event)) if gallery.work.id() == id => {
                gallery.handle(ctx, event, &self.prefs);
            }
            (Screen::Restore(form), Event::RestoreProgress(p)) => form.progress(p),
            (Screen::Restore(form), Event::Restored(result)) => {
                let restored = result.as_ref().ok().map(|r| r.user.clone());
                if let Some(done) = form.finished(result) {
                    let user = restored.unwrap_or_else(|| self.prefs.user_for(&self.vault_path));
                    let login = LoginScreen::new(user);
                    self.screen = Screen::Login(login.with_notice(done));
                }
            }
            // An import the lock stopped: what it stored is said now and at the next login.
            (screen, Event::Session(id, SessionEvent::ImportFinished(Ok(summary))))
                if summary.imported > 0 && self.stopping.as_ref().is_some_and(|(s, _)| *s == id) =>
            {
                let text = super::wording::import_stopped_by_lock(summary.imported);
                if let Screen::Login(login) = screen {
                    login.notify(text.clone());
                }
                let user = self.stopping.as_ref().map(|(_, user)| user.clone()).unwrap_or_default();
                self.while_locked.push((user, text));
            }
            // A result for a screen that is gone (locked meanwhile): drop it.
            _ => {}
        }
    }

    /// Every job of the locked session `id` has stopped: the vault is tidied, and then
    /// comes back for the next login.
    fn closed(&mut self, id: crate::jobs::SessionId) {
        if self.stopping.as_ref().is_some_and(|(stopping, _)| *stopping == id) {
            self.stopping = None;
        }
        if let Some((closing, vault)) = self.closing.take() {
            if closing == id {
                if let Screen::Login(login) = &mut self.screen {
                    login.progress_done();
                }
                self.jobs.tidy(vault);
            } else {
                self.closing = Some((closing, vault));
            }
        }
    }

    /// The vault is back from tidying: what waited for it goes on; a failure is said (it
    /// loses nothing: compaction is crash-safe).
    fn tidied(&mut self, vault: Vault, result: Result<Option<(u64, u64)>, spg_core::vault::StorageError>) {
        self.vault = Some(vault);
        if let (Err(e), Screen::Login(login)) = (&result, &mut self.screen) {
            login.notify(format!("The space of deleted photos could not be given back ({e}); nothing was lost."));
        }
        if let Some(cmd) = self.waiting.take() {
            self.apply(cmd);
        }
    }

    fn auto_lock(&mut self, ctx: &egui::Context) {
        let (now, active) =
            ctx.input(|i| (i.time, !i.events.is_empty() || i.pointer.is_moving() || i.pointer.any_down()));
        if active {
            self.last_activity = now;
        }
        // The recovery key's screen holds the new account, logged in: it locks too.
        if self.prefs.auto_lock_minutes == 0 || !matches!(self.screen, Screen::Gallery(_) | Screen::Recovery(_)) {
            return;
        }
        let limit = f64::from(self.prefs.auto_lock_minutes) * 60.0;
        let idle = now - self.last_activity;
        if idle >= limit {
            let minutes = self.prefs.auto_lock_minutes;
            let after = if minutes == 1 { "1 minute".to_string() } else { format!("{minutes} minutes") };
            self.lock(Some(format!("🔒 Locked after {after} without use.")));
        } else {
            ctx.request_repaint_after(Duration::from_secs_f64(limit - idle));
        }
    }
}

impl eframe::App for GalleryApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(event) = self.events.try_recv() {
            self.handle(ctx, event);
        }
        self.auto_lock(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let screen = std::mem::discriminant(&self.screen);
        if self.shown_screen != Some(screen) {
            self.shown_screen = Some(screen);
            super::widgets::hide_secrets(ui.ctx());
        }
        let commands = match &mut self.screen {
            Screen::Opening(progress) => {
                super::widgets::opening(ui, *progress);
                Vec::new()
            }
            Screen::Fatal(message) => {
                super::widgets::fatal(ui, message);
                Vec::new()
            }
            Screen::Login(login) => login.ui(ui).into_iter().collect(),
            Screen::Register(form) => form.ui(ui, &mut self.prefs).into_iter().collect(),
            Screen::Recovery(screen) => screen.ui(ui, &self.jobs).into_iter().collect(),
            Screen::Recover(form) => form.ui(ui).into_iter().collect(),
            Screen::Restore(form) => form.ui(ui, &self.jobs, self.vault.as_ref()).into_iter().collect(),
            Screen::Gallery(gallery) => gallery.ui(ui, &mut self.prefs),
        };
        for cmd in commands {
            self.apply(cmd);
        }
    }

    /// egui moves the focus on Tab only at the end of a frame, so what is typed after a
    /// Tab in the same frame lands in the field being left: a password manager's auto-type
    /// (user name, Tab, password, Enter, all at once) put the password, readable, into the
    /// user name field. Everything after a Tab waits for the next frame. On the login form,
    /// a Tab that ends an auto-typed user name (typed into the password field, where the
    /// cursor waits for a remembered user) is dropped: see [`LoginScreen::keys`].
    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let mut events = std::mem::take(&mut self.held_input);
        events.append(&mut raw_input.events);
        let tab = events.iter().position(|e| matches!(e, egui::Event::Key { key: egui::Key::Tab, pressed: true, .. }));
        if let Screen::Login(login) = &mut self.screen
            && let Some(tab) = tab
            && login.keys(&events[..=tab], ctx.memory(|m| m.focused()))
        {
            // Auto-type of the user name into the password field: its Tab is dropped (the
            // cursor stays in the password field, which the name leaves).
            events.remove(tab);
            self.held_input = events.split_off(tab);
            ctx.request_repaint();
        } else if let Some(tab) = tab {
            self.held_input = events.split_off(tab + 1);
            if !self.held_input.is_empty() {
                ctx.request_repaint();
            }
        }
        raw_input.events = events;
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
}
