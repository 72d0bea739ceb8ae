//! What the app remembers between runs: appearance and layout, and the last user name of
//! each vault (by its path); never a key, password, picture or photo name.

use std::collections::BTreeMap;
use std::path::Path;

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
    /// The last user name that logged in, before it was kept for each vault (read once
    /// from older settings, for a vault none is kept for).
    last_user: String,
    /// The last user name that logged in to each vault (by its path), to fill the login
    /// form: another vault's is never offered.
    users: BTreeMap<String, String>,
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
            users: BTreeMap::new(),
            captions: false,
            details: false,
            backup_after_import: false,
        }
    }
}

/// Smallest and largest tile sizes offered by the slider.
pub(super) const TILE_SIZES: std::ops::RangeInclusive<f32> = 72.0..=320.0;

impl Prefs {
    /// The user name to offer on the login form of the vault at `vault`.
    pub(super) fn user_for(&self, vault: &Path) -> String {
        match self.users.get(&*vault.to_string_lossy()) {
            Some(user) => user.clone(),
            // Settings from before names were kept per vault: their one name, once.
            None if self.users.is_empty() => self.last_user.clone(),
            None => String::new(),
        }
    }

    /// `user` logged in to the vault at `vault`.
    pub(super) fn remember_user(&mut self, vault: &Path, user: &str) {
        self.users.insert(vault.to_string_lossy().into_owned(), user.to_string());
        self.last_user.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vault_offers_its_own_last_user_and_older_settings_their_one_name() {
        let mut prefs = Prefs { last_user: "old".into(), ..Prefs::default() };
        assert_eq!(prefs.user_for(Path::new("/a.redb")), "old", "settings from before");
        prefs.remember_user(Path::new("/a.redb"), "ann");
        prefs.remember_user(Path::new("/b.redb"), "bench");
        assert_eq!(prefs.user_for(Path::new("/a.redb")), "ann");
        assert_eq!(prefs.user_for(Path::new("/b.redb")), "bench");
        assert_eq!(prefs.user_for(Path::new("/c.redb")), "", "a vault never logged in to offers no name");
    }
}
