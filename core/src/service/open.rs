//! Opening the vault as both front ends do: with the memory outside it that the login
//! compares with (the configuration folder), after removing what a crash left behind.

use std::path::{Path, PathBuf};

use super::leftovers;
use crate::vault::{OpenError, Vault};

/// Opens (or creates) the vault at `path`, calling `on_repair` with the progress while
/// redb repairs one that was not closed properly; remembers what the logins see in the
/// platform's configuration folder; and removes the plaintext a crash left in export
/// folders and the outbox. Returns the vault and the files removed.
pub fn open_vault(path: &Path, on_repair: impl Fn(f64) + 'static) -> Result<(Vault, Vec<PathBuf>), OpenError> {
    let vault = Vault::open_reporting_repair(path, on_repair)?.remember_counters_in(crate::vault::default_state_dir());
    // Each account's outbox is a folder of its own in the outbox.
    let outboxes: Vec<PathBuf> = std::fs::read_dir(vault.outbox_dir())
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    let removed = match vault.state_dir() {
        Some(state) => leftovers::remove_leftovers(state, &outboxes.iter().map(PathBuf::as_path).collect::<Vec<_>>()),
        None => Vec::new(),
    };
    Ok((vault, removed))
}

/// How long [`tidy_vault`] waits for the last session to close (a thumbnail or export job
/// still finishing after the app locked).
const TIDY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Gives back the space of deleted photos when that is worth it
/// ([`Vault::compact_if_worth_it`]), once no session uses the vault any more: what the app
/// does when it locks. Returns the file's size before and after, or `None` when there was
/// nothing worth giving back.
pub fn tidy_vault(vault: &mut Vault) -> Result<Option<(u64, u64)>, crate::vault::StorageError> {
    let start = std::time::Instant::now();
    loop {
        match vault.compact_if_worth_it() {
            Err(crate::vault::StorageError::Busy) if start.elapsed() < TIDY_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            done => return done,
        }
    }
}
