//! What this computer has seen of each vault and account, remembered outside the vault (in
//! the user's configuration folder): the manifest's counter and a fingerprint of its head,
//! and a fingerprint of the account's recovery public key.
//!
//! Inside the vault, everything an older or forked copy holds authenticates. Only a
//! memory outside it tells that the vault is older than one opened here (a lower counter),
//! that it forked from it (the same counter with another head, or a higher counter whose
//! head does not list the head seen here among its recent ones), or that the recovery key
//! that every photo key is sealed to is not the one this computer knew: someone who once
//! had the login (so the master key, which a password change does not replace) and can
//! write the file could otherwise re-seal the manifest around a recovery key of their own.
//!
//! One line per account: `VAULT-ID-HEX ACCOUNT-ID COUNTER HEAD-HEX RECOVERY-HEX`. It names
//! no user and holds no secret.

use std::path::{Path, PathBuf};

/// The file in the state folder.
const FILE_NAME: &str = "seen-counters";

/// How a vault differs from what this computer saw of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rollback {
    /// The vault is older than the copy last opened here.
    #[error(
        "this vault is older than the copy last opened on this computer (change {found}, where change {seen} was seen): photos imported or deleted since may be missing or back; if you did not restore a backup yourself, someone replaced the vault file"
    )]
    Older {
        /// The highest counter this computer saw.
        seen: u64,
        /// The counter of the vault as opened.
        found: u64,
    },
    /// The vault is not a continuation of the copy last opened here: another copy of it
    /// was changed elsewhere and put in its place.
    #[error(
        "this vault is not the copy last opened on this computer: another copy of it was changed elsewhere (on another computer or by a sync service) and put in its place; photos imported or deleted here since may be missing or back"
    )]
    Forked,
}

/// One account's state as this computer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The manifest's counter.
    pub counter: u64,
    /// The fingerprint of the manifest head's stored bytes.
    pub head: [u8; 32],
    /// The fingerprint of the account's recovery public key.
    pub recovery: [u8; 32],
}

/// What a login finds, compared with what this computer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing seen before, or a continuation of it.
    Fine,
    /// The vault is older, or forked.
    Rollback(Rollback),
    /// The recovery public key is not the one this computer knew.
    RecoveryKeyChanged,
}

/// The platform's configuration folder for the app (`~/.config/secure-photo-gallery` on
/// Linux, honouring `XDG_CONFIG_HOME`), where the counters are kept by default.
pub fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "secure-photo-gallery").map(|d| d.config_dir().to_path_buf())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes: Option<Vec<u8>> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect();
    bytes?.try_into().ok()
}

type Entry = (String, u64, Seen);

fn read(path: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let vault = parts.next()?.to_string();
            let account = parts.next()?.parse().ok()?;
            let counter = parts.next()?.parse().ok()?;
            let head = unhex(parts.next()?)?;
            let recovery = unhex(parts.next()?)?;
            Some((vault, account, Seen { counter, head, recovery }))
        })
        .collect()
}

/// What this computer saw of (`vault_id`, `account`) in `dir`, if anything.
fn seen(dir: &Path, vault_id: &[u8; 16], account: u64) -> Option<Seen> {
    let vault = hex(vault_id);
    read(&dir.join(FILE_NAME)).into_iter().find(|(v, a, _)| *v == vault && *a == account).map(|e| e.2)
}

/// Compares the state a login found, `now`, whose head lists `recent` (the fingerprints of
/// the heads before it, newest first), with what this computer saw of it in `dir`.
pub(crate) fn check(dir: &Path, vault_id: &[u8; 16], account: u64, now: &Seen, recent: &[[u8; 32]]) -> Verdict {
    let Some(seen) = seen(dir, vault_id, account) else { return Verdict::Fine };
    if seen.recovery != now.recovery {
        return Verdict::RecoveryKeyChanged;
    }
    let continues = match now.counter.checked_sub(seen.counter) {
        None => return Verdict::Rollback(Rollback::Older { seen: seen.counter, found: now.counter }),
        Some(0) => now.head == seen.head,
        // The head seen here must be among the ones this head lists; further back than
        // the list reaches, continuity cannot be told (and is taken as given).
        Some(ahead) => recent.get(ahead as usize - 1).is_none_or(|listed| *listed == seen.head),
    };
    if continues { Verdict::Fine } else { Verdict::Rollback(Rollback::Forked) }
}

/// Remembers `now` as what this computer saw of (`vault_id`, `account`) in `dir`, unless it
/// already remembers a later state (a session that ends after a newer one must not take
/// the memory back). Best effort: a read-only home folder must not stop anyone from
/// opening photos.
pub(crate) fn record(dir: &Path, vault_id: &[u8; 16], account: u64, now: &Seen) {
    if seen(dir, vault_id, account).is_some_and(|seen| seen.counter > now.counter && seen.recovery == now.recovery) {
        return;
    }
    accept(dir, vault_id, account, now);
}

/// Remembers `now` whatever was remembered: the owner accepts this copy of the vault (a
/// backup restored on purpose) as the one this computer knows.
pub(crate) fn accept(dir: &Path, vault_id: &[u8; 16], account: u64, now: &Seen) {
    let path = dir.join(FILE_NAME);
    let vault = hex(vault_id);
    let mut entries = read(&path);
    entries.retain(|(v, a, _)| !(*v == vault && *a == account));
    entries.push((vault, account, *now));
    let text: String = entries
        .iter()
        .map(|(v, a, s)| format!("{v} {a} {} {} {}\n", s.counter, hex(&s.head), hex(&s.recovery)))
        .collect();
    let _ = write_replacing(dir, &path, text.as_bytes());
}

fn write_replacing(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    crate::platform::files::create_private_dir(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".seen-").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(counter: u64, head: u8) -> Seen {
        Seen { counter, head: [head; 32], recovery: [7; 32] }
    }

    #[test]
    fn older_forked_and_rekeyed_vaults_are_told_apart_from_continuations() {
        let dir = tempfile::tempdir().unwrap();
        let (v, other) = ([1; 16], [2; 16]);
        assert_eq!(check(dir.path(), &v, 1, &state(5, 50), &[]), Verdict::Fine, "first sight");
        record(dir.path(), &v, 1, &state(5, 50));
        assert_eq!(check(dir.path(), &v, 1, &state(5, 50), &[]), Verdict::Fine, "the same");
        assert_eq!(check(dir.path(), &v, 1, &state(5, 51), &[]), Verdict::Rollback(Rollback::Forked), "same counter");
        record(dir.path(), &v, 1, &state(4, 40));
        assert_eq!(check(dir.path(), &v, 1, &state(5, 50), &[]), Verdict::Fine, "an older session never takes it back");
        assert_eq!(
            check(dir.path(), &v, 1, &state(3, 30), &[]),
            Verdict::Rollback(Rollback::Older { seen: 5, found: 3 })
        );
        // Two writes later, listing the head seen here one back: a continuation.
        assert_eq!(check(dir.path(), &v, 1, &state(7, 70), &[[60; 32], [50; 32]]), Verdict::Fine);
        assert_eq!(check(dir.path(), &v, 1, &state(7, 70), &[[60; 32], [55; 32]]), Verdict::Rollback(Rollback::Forked));
        assert_eq!(check(dir.path(), &v, 1, &state(99, 9), &[[1; 32]]), Verdict::Fine, "beyond what the head lists");
        let rekeyed = Seen { recovery: [8; 32], ..state(6, 60) };
        assert_eq!(check(dir.path(), &v, 1, &rekeyed, &[[50; 32]]), Verdict::RecoveryKeyChanged);
        accept(dir.path(), &v, 1, &state(3, 30));
        assert_eq!(check(dir.path(), &v, 1, &state(3, 30), &[]), Verdict::Fine, "an accepted copy");
        assert_eq!(check(dir.path(), &v, 2, &state(1, 1), &[]), Verdict::Fine, "another account");
        assert_eq!(check(dir.path(), &other, 1, &state(1, 1), &[]), Verdict::Fine, "another vault");
    }
}
