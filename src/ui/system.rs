//! What the screens ask of the desktop itself: the native file dialogs (through the desktop
//! portal, on a worker thread so the window never blocks), saving the recovery key's words
//! to a file, and clearing copied words from the clipboard.

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::jobs::{Event, Jobs, Pick, SessionEvent, WordsSave, Work};

/// How long copied recovery words may stay on the clipboard.
pub(super) const CLIPBOARD_SECONDS: u64 = 60;

/// Shows the native file dialog for `purpose`; what was picked comes back to the session
/// that asked ([`SessionEvent::Picked`]).
pub(super) fn pick(work: &Work, purpose: Pick) {
    work.spawn("file-dialog", move |_, ev, _| {
        let started = Instant::now();
        let dialog = rfd::FileDialog::new();
        let paths = match purpose {
            Pick::ImportFiles => {
                dialog.set_title("Import photos").add_filter("Images", spg_core::imaging::PHOTO_EXTENSIONS).pick_files()
            }
            Pick::ImportFolder => dialog.set_title("Import a folder").pick_folder().map(|p| vec![p]),
            Pick::CaFile => dialog
                .set_title("The mail server's certificate authority")
                .add_filter("Certificates", &["pem", "crt", "cer"])
                .pick_file()
                .map(|p| vec![p]),
            Pick::EmailFiles(ref outbox) => {
                let dialog = dialog.set_title("Unlock from password emails").add_filter("Emails", &["eml", "txt"]);
                match outbox.as_ref().filter(|d| d.is_dir()) {
                    Some(dir) => dialog.set_directory(dir),
                    None => dialog,
                }
                .pick_files()
            }
        };
        let answered_at_once = started.elapsed() < Duration::from_millis(500);
        ev.send(SessionEvent::Picked { purpose, paths, answered_at_once });
    });
}

/// Asks where to save the recovery key's words (the native save dialog) and writes them
/// there ([`Event::WordsSaved`]); a dialog that answers at once did not open (no desktop
/// portal), and the screen then asks for a path itself.
pub(super) fn save_recovery_words(jobs: &Jobs, user: String, words: Zeroizing<String>) {
    jobs.spawn("file-dialog", move |ev| {
        let started = Instant::now();
        let chosen = rfd::FileDialog::new()
            .set_title("Save the recovery key")
            .set_file_name(recovery_file_name(&user))
            .save_file();
        ev.send(Event::WordsSaved(match chosen {
            Some(path) => write_recovery_words(&path, &user, &words),
            None if started.elapsed() < Duration::from_millis(500) => WordsSave::NoDialog,
            None => WordsSave::Cancelled,
        }));
    });
}

/// The file name offered for `user`'s recovery key.
pub(super) fn recovery_file_name(user: &str) -> String {
    format!("Secure Photo Gallery recovery key ({user}).txt")
}

/// Writes the recovery key's words to `path`, readable by the owner only.
pub(super) fn write_recovery_words(path: &std::path::Path, user: &str, words: &str) -> WordsSave {
    let text = Zeroizing::new(format!("Secure Photo Gallery recovery key for {user}\n\n{words}\n"));
    match spg_core::write_private(path, text.as_bytes()) {
        Ok(()) => WordsSave::Saved(path.to_path_buf()),
        Err(e) => WordsSave::Failed(e),
    }
}

/// Opens `folder` in the desktop's file manager; when none opens, says where it is (the
/// launcher's own words mean nothing to a user).
pub(super) fn show_folder(folder: &std::path::Path) -> Result<(), String> {
    open::that_detached(folder)
        .map_err(|_| format!("No file manager could be opened here: the folder is {}", folder.display()))
}

/// Opens `url` in the web browser; when none opens, the link is put on the clipboard and
/// that is said.
pub(super) fn open_link(ctx: &egui::Context, url: &str) -> Result<(), String> {
    open::that_detached(url).map_err(|_| {
        ctx.copy_text(url.to_string());
        "No web browser could be opened here: the link is copied, paste it into a browser".to_string()
    })
}

/// Clears the system clipboard after [`CLIPBOARD_SECONDS`] if it still holds `text` (the
/// user may have copied something else since, which is left alone), on a thread of its own.
/// Where there is no clipboard to reach (no display), nothing happens.
pub(super) fn clear_clipboard_later(text: Zeroizing<String>) {
    let _ = std::thread::Builder::new().name("clipboard".into()).spawn(move || {
        std::thread::sleep(Duration::from_secs(CLIPBOARD_SECONDS));
        let Ok(mut clipboard) = arboard::Clipboard::new() else { return };
        if clipboard.get_text().is_ok_and(|now| Zeroizing::new(now).as_str() == text.as_str()) {
            let _ = clipboard.clear();
        }
    });
}
