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
    let removed = match vault.state_dir() {
        Some(state) => leftovers::remove_leftovers(state, &[&vault.outbox_dir()]),
        None => Vec::new(),
    };
    Ok((vault, removed))
}
