//! The gallery screen: toolbar, the thumbnail grid (or the viewer), the import panel,
//! the dialogs and the status line. Holds the account's handle while it is open.

use std::path::PathBuf;

use crate::jobs::{Pick, SessionEvent, Work};
use spg_core::crypto::PhotoPassword;
use spg_core::service::UnlockFailure;
use spg_core::service::export::ExportKind;
use spg_core::service::settings::{SettingsChange, SettingsDone};
use spg_core::service::{Account, AlbumSummary, album_summaries};
use spg_core::vault::{Albums, Catalog, PhotoId, StorageError};

use super::action::Cmd;
use super::action::Purpose;
use super::action::{Action, human_size};
use super::albums::AlbumsView;
use super::backup::BackupState;
use super::chooser::Chooser;
use super::dialogs::{Dialog, UnlockDialog};
use super::grid::GridView;
use super::import_panel::ImportPanel;
use super::library::Show;
use super::library::{AlbumFilter, Library};
use super::prefs::Prefs;
use super::settings::{Lasting, PhotoCheck, SettingsWindow};
use super::table::TableView;
use super::thumbnails::Thumbnails;
use super::viewer::Viewer;
use super::widgets::{Room, tool_button};
use super::wording;

mod bars;

/// The logged-in gallery.
pub(super) struct GalleryScreen {
    /// The session's work (and its account).
    pub(super) work: Work,
    pub(super) library: Library,
    pub(super) thumbnails: Thumbnails,
    grid: GridView,
    table: TableView,
    viewer: Option<Viewer>,
    dialog: Option<Dialog>,
    import: Option<ImportPanel>,
    settings: Option<SettingsWindow>,
    /// The backup: its settings' form, and the backup under way.
    backup: BackupState,
    /// The check of every photo (in the settings), kept when the window closes.
    check: PhotoCheck,
    /// Photos whose records do not open (changed or damaged in the file), as a list or the
    /// check of every record found them.
    damaged: Vec<PhotoId>,
    /// The last message, and whether it is an error.
    status: Option<(String, bool)>,
    /// Whether the message is an error, and since when it shows (egui's clock): news goes
    /// after [`STATUS_SECONDS`].
    status_drawn: Option<(bool, f64)>,
    /// Lock when the import under way ends (asked for at Lock).
    lock_after_import: bool,
    /// Lock at the end of this frame.
    lock_now: bool,
    /// Whether the desktop's file dialogs work: false once one answered at once with
    /// nothing (no portal); the app's own chooser is then used without asking again.
    file_dialogs: bool,
    /// The account's albums as read (their photos), and as shown (counted against the
    /// photos the account has, in name order).
    albums: Albums,
    album_summaries: Vec<AlbumSummary>,
    /// Whether the albums view is shown instead of the grid or the table.
    albums_view: bool,
    albums_ui: AlbumsView,
    /// The name typed for a new album in the toolbar's album menu.
    new_album: String,
}

/// How long a message that is not an error stays in the status line.
const STATUS_SECONDS: f64 = 8.0;

impl GalleryScreen {
    /// The gallery of a fresh session, whose work lists its photos.
    pub(super) fn new(work: Work) -> GalleryScreen {
        let account = work.account();
        GalleryScreen {
            backup: BackupState::new(account),
            thumbnails: Thumbnails::new(&work),
            grid: GridView::default(),
            table: TableView::default(),
            library: Library::new(account.is_recovery()),
            work,
            viewer: None,
            dialog: None,
            import: None,
            settings: None,
            check: PhotoCheck::default(),
            damaged: Vec::new(),
            status: None,
            status_drawn: None,
            lock_after_import: false,
            lock_now: false,
            file_dialogs: true,
            albums: Albums::default(),
            album_summaries: Vec::new(),
            albums_view: false,
            albums_ui: AlbumsView::default(),
            new_album: String::new(),
        }
    }

    /// The account.
    fn account(&self) -> &Account {
        self.work.account()
    }

    /// Closes the session's work (the lock): returns what was still under way.
    pub(super) fn close(self: Box<Self>) -> Vec<&'static str> {
        let GalleryScreen { work, .. } = *self;
        work.close()
    }

    /// The account's user name.
    pub(super) fn username(&self) -> &str {
        self.account().username()
    }

    /// Whether the viewer shows a decoded photo (for tests).
    pub(super) fn viewer_shows_photo(&self) -> bool {
        self.viewer.as_ref().is_some_and(Viewer::has_picture)
    }

    /// Applies a worker's result. A settings error is said in the settings window when it
    /// is open, else in the status line; what the check of every record found shows in the
    /// notices (the records that do not open kept here, what differs from the manifest
    /// read from the session).
    pub(super) fn handle(&mut self, ctx: &egui::Context, event: SessionEvent, prefs: &Prefs) {
        match event {
            SessionEvent::Front(photos) => self.library.front(photos),
            SessionEvent::Listed(listed) => self.listed(listed),
            SessionEvent::Albums(Ok(albums)) => {
                self.albums = albums;
                self.count_albums();
            }
            SessionEvent::Albums(Err(e)) => self.say((e.to_string(), true)),
            SessionEvent::AlbumChanged(change, result) => self.album_changed(&change, result),
            // Every record was read: what does not open is exactly this.
            SessionEvent::RecordsChecked(Ok(damaged)) => self.damaged = damaged,
            SessionEvent::RecordsChecked(Err(e)) => self.say((e.to_string(), true)),
            SessionEvent::SettingsSaved(Err(e)) => {
                let message = e.to_string();
                if let Some(s) = self.settings.as_mut() {
                    s.failed(&message);
                }
                self.say((message, true));
            }
            SessionEvent::Thumbnail(id, side, result) => self.thumbnails.arrived(ctx, id, side, result),
            SessionEvent::Unlocked(ok, failed) => self.unlocked(ok, &failed),
            SessionEvent::Opened(id, result) => {
                if let Some(v) = self.viewer.as_mut().filter(|v| v.id == id) {
                    v.loaded(ctx, result);
                }
            }
            SessionEvent::ImportProgress { .. } | SessionEvent::ImportFile(..) | SessionEvent::ImportMailed(_) => {
                if let Some(panel) = self.import.as_mut() {
                    panel.handle(event);
                }
            }
            SessionEvent::ImportFinished(result) => self.import_finished(result, prefs),
            SessionEvent::Exported(report) => self.say(wording::export_done(&report)),
            SessionEvent::Deleted(ids, failed) => {
                for id in &ids {
                    self.thumbnails.forget(*id);
                }
                self.library.removed(&ids);
                self.count_albums();
                self.damaged.retain(|id| !ids.contains(id));
                if self.viewer.as_ref().is_some_and(|v| ids.contains(&v.id)) {
                    self.viewer = None;
                }
                self.say(match failed.first() {
                    None => (format!("Deleted {}", wording::photos(ids.len())), false),
                    Some(e) => (e.to_string(), true),
                });
            }
            SessionEvent::SettingsSaved(Ok(done)) => {
                let message = wording::settings_done(&done);
                // The previews changed: what is on screen is loaded again.
                if matches!(done, SettingsDone::Previews(_)) {
                    self.thumbnails.reload_all();
                }
                if let Some(s) = self.settings.as_mut() {
                    s.saved(&message, self.work.account(), done);
                }
                self.say((message, false));
            }
            SessionEvent::Picked { purpose: Pick::CaFile, paths, answered_at_once } => {
                if let Some(settings) = self.settings.as_mut() {
                    match paths.as_deref() {
                        Some([path, ..]) => settings.ca_chosen(path),
                        // No desktop portal answered: the path is typed in the field.
                        _ if answered_at_once => settings.failed("No file dialog here: type the CA file's path"),
                        _ => {}
                    }
                }
            }
            SessionEvent::Picked { purpose, paths, answered_at_once } => {
                let emails = matches!(purpose, Pick::EmailFiles(_));
                match paths {
                    Some(paths) if emails => self.apply(Action::UnlockFiles(paths), &mut Vec::new()),
                    Some(paths) => self.apply(Action::Import(paths), &mut Vec::new()),
                    // No desktop portal answered: use the in-app chooser instead.
                    None if answered_at_once => {
                        self.file_dialogs = false;
                        self.pick(purpose);
                    }
                    None => {}
                }
            }
            SessionEvent::Transfer(p) => self.backup.progress(p),
            SessionEvent::Verifying(checked, of) => self.check.progress(checked, of),
            SessionEvent::Verified(result) => {
                let library = &self.library;
                let name_of = |id| library.index_of(id).map(|i| library.photo(i).name.to_string());
                let said = self.check.finished(result, name_of);
                // With the settings closed, the answer goes to the status line.
                if self.settings.is_none()
                    && let Some(said) = said
                {
                    self.say(said);
                }
            }
            SessionEvent::BackedUp(result) => {
                let (said, pulled) = self.backup.finished(result, self.work.account());
                self.say(said);
                pulled.then(|| self.work.list());
            }
        }
    }

    /// Passwords were checked: the photos they opened stay unlocked, and the dialog opens
    /// the photo it was for, or says why nothing opened.
    fn unlocked(&mut self, ok: Vec<(PhotoId, PhotoPassword)>, failed: &[UnlockFailure]) {
        let open_now = match &self.dialog {
            Some(Dialog::Unlock(d)) => d.then_open,
            _ => None,
        };
        let count = ok.len();
        // Reloaded with the password: the sharp thumbnail replaces a placeholder.
        for (id, _) in &ok {
            self.thumbnails.forget(*id);
        }
        // The lock filter is applied again when it is next chosen, not under the user's
        // hands: a photo unlocked from the "Locked" list opens instead of vanishing.
        self.library.unlocked.extend(ok);
        if count > 0 {
            self.say((format!("Unlocked {} until the vault locks", wording::photos(count)), false));
        }
        // The viewer on a locked photo shows it once it opens, however its password came
        // (typed, pasted, or from email files chosen on the way).
        let shown_locked = self.viewer.as_ref().filter(|v| v.is_locked()).map(|v| v.id);
        let open_now = open_now.or(shown_locked);
        match (&mut self.dialog, open_now) {
            (_, Some(id)) if !self.library.is_locked(id) => {
                self.dialog = None;
                self.open(id);
            }
            (Some(Dialog::Unlock(d)), _) if count == 0 => d.failed(failed.first().map(ToString::to_string)),
            _ => self.dialog = None,
        }
    }

    /// The list arrived, or failed.
    fn listed(&mut self, listed: Result<(Catalog, Vec<PhotoId>), StorageError>) {
        match listed {
            Ok((photos, damaged)) => {
                self.library.listed(photos);
                self.found_damaged(damaged);
                self.count_albums();
            }
            Err(e) => {
                self.library.list_failed();
                self.say((e.to_string(), true));
            }
        }
    }

    /// The albums counted again against the photos the account has; the album open shows
    /// its photos as they are now.
    fn count_albums(&mut self) {
        let mut held: Vec<PhotoId> = self.library.all.iter().map(|p| p.id).collect();
        held.sort_unstable();
        self.album_summaries = album_summaries(&self.albums, |id| held.binary_search(&id).is_ok());
        if let Some(open) = self.library.album.as_ref().map(|a| a.id) {
            self.show_album(open);
        }
    }

    /// Shows the photos of album `id` in the grid and the table (no album: every photo).
    fn show_album(&mut self, id: u64) {
        self.library.album = self.albums.albums.iter().find(|a| a.id == id).map(|album| AlbumFilter {
            id,
            name: album.name.clone(),
            photos: album.photos.iter().copied().collect(),
        });
        self.library.refilter();
    }

    /// An album change was made, or refused: the album open follows its rename, a deleted
    /// one closes, and the status line says what was done.
    fn album_changed(&mut self, change: &crate::jobs::AlbumChange, result: Result<usize, spg_core::vault::AlbumError>) {
        use crate::jobs::AlbumChange;
        match (change, &result) {
            (AlbumChange::Delete(name), Ok(_)) if self.open_album_is(name) => {
                self.library.album = None;
                self.library.refilter();
            }
            (AlbumChange::Rename(name, new_name), Ok(_)) if self.open_album_is(name) => {
                if let Some(album) = self.library.album.as_mut() {
                    album.name = new_name.trim().to_string();
                }
            }
            _ => {}
        }
        if result.is_ok() {
            self.albums_ui.changed(change);
            if let AlbumChange::Add { album, create: true, .. } = change {
                if *album == self.new_album {
                    self.new_album.clear();
                }
                if let Some(panel) = self.import.as_mut() {
                    panel.album_made(album);
                }
            }
        }
        self.say(match result {
            Ok(count) => (wording::album_done(change, count), false),
            Err(e) => (e.to_string(), true),
        });
    }

    /// Applies the albums' actions (a change, an album opened or closed, the albums view);
    /// gives back any other.
    fn apply_album(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::Album(change) => self.work.change_album(change),
            Action::OpenAlbum(id) => {
                self.albums_view = false;
                self.show_album(id);
                self.library.reveal = true;
            }
            Action::CloseAlbum => {
                self.library.album = None;
                self.library.refilter();
            }
            Action::ShowAlbums => {
                self.albums_view = true;
                self.viewer = None;
            }
            other => return Some(other),
        }
        None
    }

    /// The name of the album open, if any: what is imported meanwhile goes into it.
    fn open_album_name(&self) -> Option<String> {
        self.library.album.as_ref().map(|a| a.name.clone())
    }

    /// Whether the album open is the one named `name` (names compared without case).
    fn open_album_is(&self, name: &str) -> bool {
        self.library.album.as_ref().is_some_and(|a| a.name.to_lowercase() == name.trim().to_lowercase())
    }

    /// Records found that do not open: said in the notices until their photos are deleted.
    fn found_damaged(&mut self, damaged: Vec<PhotoId>) {
        self.damaged.extend(damaged);
        self.damaged.sort_unstable();
        self.damaged.dedup();
    }

    /// An import ended: the panel says how, the list is read again, and a backup follows
    /// when asked for and photos were stored.
    fn import_finished(
        &mut self,
        result: Result<spg_core::service::import::ImportSummary, crate::jobs::ImportFailed>,
        prefs: &Prefs,
    ) {
        let stored = result.as_ref().is_ok_and(|s| s.imported > 0);
        self.lock_now |= self.lock_after_import;
        if let Some(panel) = self.import.as_mut() {
            panel.finished(result.map_err(|e| e.to_string()));
        }
        self.work.list();
        if stored && prefs.backup_after_import && self.backup.is_set_up() {
            self.backup.start_saved(&self.work);
        }
    }

    fn open(&mut self, id: PhotoId) {
        if self.library.index_of(id).is_none() {
            return;
        }
        self.library.follow(id);
        match self.library.unlock_of(id) {
            Some(unlock) => {
                self.work.open(id, unlock);
                self.viewer = Some(Viewer::new(id));
            }
            // In the viewer, the arrows go on through locked photos without a dialog.
            None if self.viewer.is_some() => self.viewer = Some(Viewer::locked(id)),
            None => self.dialog = Some(Dialog::Unlock(UnlockDialog::new(Some(id)))),
        }
    }

    /// Asks the desktop's file dialog for `pick`; where the desktop has none, the app's own
    /// chooser opens for it instead.
    fn pick(&mut self, pick: Pick) {
        if self.file_dialogs {
            return super::system::pick(&self.work, pick);
        }
        let purpose = match pick {
            Pick::EmailFiles(outbox) => Purpose::EmailFiles(outbox),
            // (A CA file is the settings' business: its path is typed there.)
            Pick::ImportFiles | Pick::ImportFolder | Pick::CaFile => Purpose::Import,
        };
        self.dialog = Some(Dialog::Chooser(Chooser::new(purpose, None)));
    }

    fn apply(&mut self, action: Action, cmds: &mut Vec<Cmd>) {
        let Some(action) = self.apply_album(action) else { return };
        match action {
            Action::Open(id) => self.open(id),
            Action::AskUnlock(id) => self.dialog = Some(Dialog::Unlock(UnlockDialog::new(Some(id)))),
            Action::Import(paths) if !paths.is_empty() => {
                if self.import.as_ref().is_some_and(ImportPanel::running) {
                    self.say(("An import is already running; wait for it or cancel it".into(), true));
                    return;
                }
                let panel = ImportPanel::new(self.open_album_name());
                self.work.import(paths, panel.cancel_flag(), self.open_album_name());
                self.import = Some(panel);
                self.dialog = None;
            }
            Action::Import(_) => {}
            Action::PickImport(pick) => self.pick(pick),
            Action::Choose(purpose) => self.dialog = Some(Dialog::Chooser(Chooser::new(purpose, None))),
            Action::PickEmailFiles => self.pick(Pick::EmailFiles(Some(self.account().outbox_dir()))),
            Action::UnlockFiles(paths) => {
                let then_open = match &self.dialog {
                    Some(Dialog::Unlock(d)) => d.then_open,
                    _ => None,
                };
                self.work.unlock_files(paths);
                self.dialog = Some(Dialog::Unlock(UnlockDialog::reading_files(then_open)));
            }
            Action::ShowFolder(folder) => {
                if let Err(why) = super::system::show_folder(&folder) {
                    self.say((why, true));
                }
            }
            Action::Unlock { text, then_open } => {
                let candidates = super::dialogs::candidates(&text, then_open, &self.library.all);
                let lone_password = PhotoPassword::parse(&text).filter(|_| then_open.is_none());
                if let (true, Some(password)) = (candidates.is_empty(), lone_password) {
                    let all = &self.library.all;
                    let locked =
                        all.iter().filter(|p| self.library.is_locked(p.id)).map(|p| (p.imported_at, p.id)).collect();
                    self.work.unlock_some_photo(password, locked);
                } else if candidates.is_empty() {
                    let why =
                        "That is not a photo password (four groups of five letters and digits) or a password email.";
                    if let Some(Dialog::Unlock(d)) = self.dialog.as_mut() {
                        d.failed(Some(why.into()));
                    }
                } else {
                    self.work.unlock(candidates);
                }
            }
            Action::AskExport(ids) => self.dialog = Some(Dialog::Chooser(Chooser::new(Purpose::Export(ids), None))),
            Action::Export { ids, folder, kind } => {
                let wanted: std::collections::HashSet<&PhotoId> = ids.iter().collect();
                let library = &self.library;
                let photos: Vec<_> = (0..library.len())
                    .map(|i| library.photo(i))
                    .filter(|p| wanted.contains(&p.id))
                    .map(|p| (p.to_info(), library.unlock_of(p.id)))
                    .collect();
                let locked = photos.iter().filter(|(_, pw)| pw.is_none()).count();
                if kind != ExportKind::Thumbnail && locked > 0 {
                    self.say((
                        match locked {
                            1 => "1 selected photo is locked: unlock it first (Unlock…, then paste its password email)"
                                .into(),
                            n => format!(
                                "{n} selected photos are locked: unlock them first (Unlock…, then paste their password emails)"
                            ),
                        },
                        true,
                    ));
                    return;
                }
                self.work.export(photos, folder, kind);
                self.dialog = None;
            }
            Action::AskDelete(ids) if !ids.is_empty() => self.dialog = Some(Dialog::ConfirmDelete(ids)),
            Action::AskDelete(_) => {}
            Action::Delete(ids) => {
                self.work.delete(ids);
                self.dialog = None;
            }
            Action::Album(_) | Action::OpenAlbum(_) | Action::CloseAlbum | Action::ShowAlbums => {}
            Action::CloseDialog => self.dialog = None,
            Action::CloseViewer => {
                self.viewer = None;
                self.library.reveal = true;
            }
            Action::Settings => self.settings = Some(SettingsWindow::new(self.work.account())),
            Action::AcceptThisCopy => self.work.settings(SettingsChange::AcceptThisCopy),
            Action::Lock => match self.import.as_ref().filter(|panel| panel.running()) {
                Some(panel) => self.dialog = Some(Dialog::ConfirmLock(panel.progress())),
                None => cmds.push(Cmd::Lock),
            },
            Action::StopAndLock => cmds.push(Cmd::Lock),
            Action::LockAfterImport => {
                self.dialog = None;
                self.lock_after_import = true;
                self.say(("The vault locks when the import ends.".into(), false));
            }
        }
    }

    /// Draws the screen; returns app-level commands (lock).
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, prefs: &mut Prefs) -> Vec<Cmd> {
        let mut actions = Vec::new();
        self.thumbnails.next_frame();
        let dropped: Vec<PathBuf> = ui.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if !dropped.is_empty() {
            actions.push(Action::Import(dropped));
        }
        // A dialog is modal for the keyboard too: keys go to it, never to what is behind.
        let keys = self.dialog.is_none();
        self.toolbar(ui, prefs, &mut actions);
        // The viewer has its own bar: the search, filters and banners are the grid's.
        let bars_bottom = match self.viewer {
            // The settings open below the notices too, so that their buttons (Set up email…,
            // Open outbox folder) stay in reach.
            None => {
                self.filter_bar(ui, prefs, &mut actions);
                self.notices(ui, &mut actions);
                ui.available_rect_before_wrap().top()
            }
            Some(_) => ui.available_rect_before_wrap().top(),
        };
        self.status_line(ui);
        if let Some(panel) = self.import.as_mut()
            && !panel.ui(ui, &self.album_summaries, &mut actions)
        {
            self.import = None;
        }
        match self.viewer.as_mut() {
            Some(viewer) => viewer.ui(ui, &self.library, keys, &mut actions),
            None if self.albums_view => {
                self.albums_ui.ui(ui, &self.album_summaries, &self.library, &mut self.thumbnails, &mut actions);
            }
            None if prefs.details => self.table.ui(&mut self.library, &mut self.thumbnails, ui, keys, &mut actions),
            None => {
                let look = super::grid::Look { tile: prefs.tile_size, captions: prefs.captions, keys };
                self.grid.ui(&mut self.library, &mut self.thumbnails, ui, look, &mut actions)
            }
        }
        self.thumbnails.forget_undrawn();
        super::albums::drop_targets(ui.ctx(), &self.album_summaries, &mut actions);
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.ui(ui.ctx(), &self.library, &mut actions);
        }
        if let Some(settings) = self.settings.as_mut()
            && !settings.ui(
                ui.ctx(),
                bars_bottom,
                &self.work,
                prefs,
                Lasting { backup: &mut self.backup, check: &mut self.check },
            )
        {
            self.settings = None;
        }
        let mut cmds = Vec::new();
        for action in actions {
            self.apply(action, &mut cmds);
        }
        if self.lock_now {
            cmds.push(Cmd::Lock);
        }
        cmds
    }
}
