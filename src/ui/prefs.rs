//! What the app remembers between runs: appearance and layout, never a key, password,
//! picture or photo name.

use serde::{Deserialize, Serialize};

/// Saved with eframe's storage (a small RON file in the platform config folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Prefs {
    /// Dark theme (else light).
    pub dark: bool,
    /// Grid tile size in points.
    pub tile_size: f32,
    /// Minutes without input before the session locks; 0 turns auto-lock off.
    pub auto_lock_minutes: u32,
    /// The last user name that logged in, to fill the login form.
    pub last_user: String,
    /// File names shown on the tiles of the grid.
    pub captions: bool,
    /// The details table instead of the thumbnail grid.
    pub details: bool,
    /// Back up (to the account's saved location) after each import that stored photos.
    pub backup_after_import: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            dark: true,
            tile_size: 160.0,
            auto_lock_minutes: 5,
            last_user: String::new(),
            captions: false,
            details: false,
            backup_after_import: false,
        }
    }
}

/// Smallest and largest tile sizes offered by the slider.
pub(super) const TILE_SIZES: std::ops::RangeInclusive<f32> = 72.0..=320.0;
