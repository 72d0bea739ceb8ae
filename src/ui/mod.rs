//! The desktop app (eframe/egui). Screens are an enum that owns each screen's state;
//! widgets return commands that the app applies after drawing; everything slow runs on
//! the worker threads of [`crate::jobs`]. Knows no redb or lettre types.

mod action;
mod albums;
mod app;
mod backup;
mod chooser;
mod dialogs;
mod gallery;
mod grid;
mod import_panel;
mod keys;
mod library;
mod login;
mod prefs;
mod recovery;
mod settings;
mod system;
mod table;
mod thumbnails;
mod viewer;
mod widgets;
mod wording;

use std::path::PathBuf;

pub use app::{GalleryApp, ScreenKind};

/// The window title.
pub const TITLE: &str = "Secure Photo Gallery";

/// Opens the app window on the vault at `vault_path` and runs until it is closed.
pub fn run(vault_path: PathBuf) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(TITLE)
            .with_app_id(crate::desktop::APP_ID)
            .with_icon(
                eframe::icon_data::from_png_bytes(crate::desktop::WINDOW_ICON_PNG)
                    .expect("the icon in assets/ is a PNG"),
            )
            .with_inner_size([1100.0, 760.0])
            .with_min_inner_size([640.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(TITLE, options, Box::new(move |cc| Ok(Box::new(GalleryApp::new(cc, &vault_path)))))
}
