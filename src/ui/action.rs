//! What the screens ask for, applied after drawing: a screen's commands to the app
//! ([`Cmd`]), the gallery parts' actions ([`Action`]), what the in-app chooser picks for
//! ([`Purpose`]); and the one way sizes are written for people.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::jobs::{AlbumChange, Pick};
use spg_core::service::export::ExportKind;
use spg_core::vault::PhotoId;

/// What a screen asks the app to do, applied after drawing.
#[must_use]
pub(super) enum Cmd {
    /// Log in.
    Login { user: String, password: Zeroizing<String> },
    /// Create an account.
    Register { user: String, email: String, password: Zeroizing<String>, previews: spg_core::vault::Previews },
    /// Recover an account with its recovery key, under a new password.
    Recover { user: String, words: Zeroizing<String>, password: Zeroizing<String> },
    /// Switch to the registration form, with this user name filled in.
    ShowRegister(String),
    /// Switch to the login form, with this user name filled in.
    ShowLogin(String),
    /// Switch to the recovery form, with this user name filled in.
    ShowRecover(String),
    /// Switch to the restore-from-backup form, with this user name filled in.
    ShowRestore(String),
    /// Go into the gallery of an account already logged in (after its recovery key was
    /// shown).
    Enter(spg_core::service::Account),
    /// Lock: forget every key, texture and decrypted picture.
    Lock,
}

/// What the chooser picks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Files or folders to import.
    Import,
    /// A folder to export these photos into.
    Export(Vec<PhotoId>),
    /// Password email files to unlock photos from (the outbox folder, where there is one).
    EmailFiles(Option<PathBuf>),
}

/// What the parts of the gallery ask for; applied after drawing.
pub(super) enum Action {
    /// Ask for a locked photo's password, then open it.
    AskUnlock(PhotoId),
    /// Open a photo (asks for its password when locked).
    Open(PhotoId),
    /// Import these files and folders.
    Import(Vec<PathBuf>),
    /// Show the native dialog to pick what to import.
    PickImport(Pick),
    /// Show the in-app chooser.
    Choose(Purpose),
    /// Check a typed password or a pasted email; open `then_open` if it unlocks.
    Unlock { text: Zeroizing<String>, then_open: Option<PhotoId> },
    /// Unlock the photos listed in these password email files (`.eml` or text).
    UnlockFiles(Vec<PathBuf>),
    /// Ask which password email files to unlock from.
    PickEmailFiles,
    /// Show a folder in the system's file manager.
    ShowFolder(PathBuf),
    /// Ask where to export these photos.
    AskExport(Vec<PhotoId>),
    /// Export these photos into a folder.
    Export { ids: Vec<PhotoId>, folder: PathBuf, kind: ExportKind },
    /// Ask before deleting.
    AskDelete(Vec<PhotoId>),
    /// Delete for good.
    Delete(Vec<PhotoId>),
    /// Change the albums.
    Album(AlbumChange),
    /// Show the album with this id in the grid (or the table).
    OpenAlbum(u64),
    /// Show every photo again.
    CloseAlbum,
    /// Show the albums view.
    ShowAlbums,
    /// Close the open dialog.
    CloseDialog,
    /// Leave the viewer for the grid.
    CloseViewer,
    /// Show the settings.
    Settings,
    /// The owner accepts this copy of the vault after a rollback or fork warning.
    AcceptThisCopy,
    /// Lock the vault (asks first while an import runs).
    Lock,
    /// Lock now, stopping the import under way.
    StopAndLock,
    /// Lock once the import under way ends.
    LockAfterImport,
}

/// `1.4 MB`, `820 KB`.
pub(super) fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}
