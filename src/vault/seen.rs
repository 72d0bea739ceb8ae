//! The highest manifest counter seen for each vault and account, remembered outside the
//! vault (in the user's configuration folder), so that a vault file replaced by an older
//! copy of itself is noticed: everything in the old copy authenticates, but its counter is
//! lower than one this computer has already seen.
//!
//! One line per account: `VAULT-ID-HEX ACCOUNT-ID COUNTER`. It names no user and holds no
//! secret.

use std::path::{Path, PathBuf};

/// The file in the state folder.
const FILE_NAME: &str = "seen-counters";

/// The vault is older than one this computer has opened: it was replaced by an older copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this vault is older than the copy last opened on this computer (change {found}, where change {seen} was seen): photos imported or deleted since may be missing or back; if you did not restore a backup yourself, someone replaced the vault file"
)]
pub struct Rollback {
    /// The highest counter this computer saw.
    pub seen: u64,
    /// The counter of the vault as opened.
    pub found: u64,
}

/// The platform's configuration folder for the app (`~/.config/secure-photo-gallery` on
/// Linux, honouring `XDG_CONFIG_HOME`), where the counters are kept by default.
pub fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "secure-photo-gallery").map(|d| d.config_dir().to_path_buf())
}

fn read(path: &Path) -> Vec<(String, u64, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let vault = parts.next()?.to_string();
            let account = parts.next()?.parse().ok()?;
            let counter = parts.next()?.parse().ok()?;
            Some((vault, account, counter))
        })
        .collect()
}

/// Compares `counter` with the highest one recorded for (`vault_id`, `account`) in `dir`,
/// and records it when it is higher. `Some` when the vault is older than one seen.
pub(crate) fn check_and_record(dir: &Path, vault_id: &[u8; 16], account: u64, counter: u64) -> Option<Rollback> {
    let path = dir.join(FILE_NAME);
    let vault: String = vault_id.iter().map(|b| format!("{b:02x}")).collect();
    let mut entries = read(&path);
    let seen = entries.iter().find(|(v, a, _)| *v == vault && *a == account).map(|e| e.2);
    match seen {
        Some(seen) if seen > counter => return Some(Rollback { seen, found: counter }),
        Some(seen) if seen == counter => return None,
        _ => {}
    }
    entries.retain(|(v, a, _)| !(*v == vault && *a == account));
    entries.push((vault, account, counter));
    let text: String = entries.iter().map(|(v, a, c)| format!("{v} {a} {c}\n")).collect();
    // Best effort: a read-only home folder must not stop anyone from opening photos.
    let _ = write_replacing(dir, &path, text.as_bytes());
    None
}

fn write_replacing(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    crate::files::create_private_dir(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".seen-").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_counter_is_a_rollback_and_a_newer_one_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ([1; 16], [2; 16]);
        assert_eq!(check_and_record(dir.path(), &a, 1, 5), None);
        assert_eq!(check_and_record(dir.path(), &a, 1, 9), None);
        assert_eq!(check_and_record(dir.path(), &a, 1, 7), Some(Rollback { seen: 9, found: 7 }));
        assert_eq!(check_and_record(dir.path(), &a, 1, 9), None);
        assert_eq!(check_and_record(dir.path(), &a, 2, 1), None, "another account");
        assert_eq!(check_and_record(dir.path(), &b, 1, 1), None, "another vault");
        assert_eq!(check_and_record(dir.path(), &a, 1, 3), Some(Rollback { seen: 9, found: 3 }));
    }
}
