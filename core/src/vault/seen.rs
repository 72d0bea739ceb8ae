//! What this computer has seen of each vault and account, remembered outside the vault (in
//! the user's configuration folder): which vault is at which path; and for each account the
//! manifest's counter and a fingerprint of its head, a fingerprint of the account's
//! recovery public key, and its generation with a print of that generation's key (a MAC
//! under it, which only its holders can make).
//!
//! Inside the vault, everything an older or forked copy holds authenticates. Only a
//! memory outside it tells that the vault is older than one opened here (a lower counter),
//! that it forked from it (the same counter with another head, or a higher counter whose
//! head does not list the head seen here among its recent ones), that another vault was
//! put at its place, that the account does not hold the key of the generation seen here
//! (someone who once knew an older password can make a generation of their own, sealed to
//! the recovery public key, with every key they knew inside, but not with a key made after
//! they lost the password), or that the recovery key that every photo key is sealed to is
//! not the one this computer knew. A head's `recent_heads` is trusted only once its
//! generation is known to hold the key seen here: whoever seals a head writes that list.
//!
//! Two kinds of lines, neither naming a user or holding a secret:
//! `VAULT-ID ACCOUNT-ID COUNTER HEAD RECOVERY GENERATION KEY KDF SALT WRAP` for an account, and
//! `path VAULT-ID PATH` for where a vault is.

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
        "this vault is not the copy last opened on this computer: another copy of it was changed elsewhere (on another computer, by a sync service, or by someone who once knew an older password) and put in its place; photos imported or deleted here since may be missing or back"
    )]
    Forked,
    /// The account's password was changed since this computer last opened it, yet it was
    /// opened with the password it had then: someone who knew that password can make a
    /// generation of their own that it opens.
    #[error(
        "this account's password was changed since this computer last opened it, yet it opened with the password it had then: if you did not set that password again yourself, someone who knew it may have put a copy of their own in place of the vault; log in with your newest password instead, or restore a backup"
    )]
    FormerPassword,
    /// Another vault (another vault id) is at the path where this computer knew one.
    #[error(
        "this vault file is not the vault this computer last opened at this place: another vault, or a copy changed to look like another one, was put there"
    )]
    Replaced,
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
    /// The account's generation.
    pub generation: u32,
    /// The print of that generation's key ([`key_print`]).
    pub key: [u8; 32],
    /// That generation's password wrap, as in the account record (public there too).
    pub wrap: PasswordWrap,
}

/// The length of a generation key sealed under the password key.
pub(crate) const WRAP_LEN: usize = 72;

/// A generation's key as the account record seals it under the password: what tells, at
/// the first login after a password change made elsewhere, that the password typed is the
/// one that was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PasswordWrap {
    /// Argon2id's cost.
    pub kdf: crate::crypto::KdfParams,
    /// Argon2id's salt.
    pub salt: [u8; 16],
    /// `key_by_password`.
    pub sealed: [u8; WRAP_LEN],
}

impl Seen {
    /// Whether `password` opens the generation this computer saw (Argon2id runs here; a
    /// cost outside the accepted range, written into the file by someone else, is not run).
    pub(crate) fn opens_with(&self, password: &str, account: u64) -> bool {
        let w = &self.wrap;
        w.kdf.is_acceptable()
            && super::keys::open_password_wrap(password, (w.kdf, &w.salt), account, self.generation, &w.sealed)
                .is_some()
    }
}

/// The print of a generation's key that this computer remembers: `MAC(K_g, label)`. Only a
/// holder of the key makes it; a later login checks that the account holds that key.
pub(crate) fn key_print(key: &crate::crypto::SecretKey) -> [u8; 32] {
    crate::crypto::keyed_hash(key, b"secure-photo-gallery v3 seen generation")
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
pub(crate) fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "secure-photo-gallery").map(|d| d.config_dir().to_path_buf())
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut bytes = [0; N];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

/// The file as read: the account lines and the path lines, each kept as it is.
#[derive(Default)]
struct Memory {
    accounts: Vec<(String, u64, Seen)>,
    paths: Vec<(String, String)>,
}

fn read(dir: &Path) -> Memory {
    let text = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap_or_default();
    let mut memory = Memory::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("path ") {
            if let Some((vault, path)) = rest.split_once(' ') {
                memory.paths.push((vault.to_string(), path.to_string()));
            }
            continue;
        }
        let account = (|| {
            let mut parts = line.split_whitespace();
            let vault = parts.next()?.to_string();
            let account = parts.next()?.parse().ok()?;
            let counter = parts.next()?.parse().ok()?;
            let head = unhex(parts.next()?)?;
            let recovery = unhex(parts.next()?)?;
            let generation = parts.next()?.parse().ok()?;
            let key = unhex(parts.next()?)?;
            let kdf: Vec<u32> = parts.next()?.split(',').map(str::parse).collect::<Result<_, _>>().ok()?;
            let [m_kib, t, p] = kdf[..] else { return None };
            let salt = unhex(parts.next()?)?;
            let sealed = unhex(parts.next()?)?;
            let wrap = PasswordWrap { kdf: crate::crypto::KdfParams { m_kib, t, p }, salt, sealed };
            Some((vault, account, Seen { counter, head, recovery, generation, key, wrap }))
        })();
        // Lines of an earlier format (without a generation) are left out.
        memory.accounts.extend(account);
    }
    memory
}

fn write(dir: &Path, memory: &Memory) {
    let mut text: String = memory.paths.iter().map(|(v, p)| format!("path {v} {p}\n")).collect();
    for (v, a, s) in &memory.accounts {
        let crate::crypto::KdfParams { m_kib, t, p } = s.wrap.kdf;
        text.push_str(&format!(
            "{v} {a} {} {} {} {} {} {m_kib},{t},{p} {} {}\n",
            s.counter,
            hex::encode(s.head),
            hex::encode(s.recovery),
            s.generation,
            hex::encode(s.key),
            hex::encode(s.wrap.salt),
            hex::encode(s.wrap.sealed)
        ));
    }
    let _ = write_replacing(dir, &dir.join(FILE_NAME), text.as_bytes());
}

/// The path as remembered: absolute, links resolved where it exists.
fn path_key(path: &Path) -> String {
    std::path::absolute(path)
        .map(|p| p.canonicalize().unwrap_or(p))
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// What this computer saw of (`vault_id`, `account`) in `dir`, if anything.
pub(crate) fn remembered(dir: &Path, vault_id: &[u8; 16], account: u64) -> Option<Seen> {
    let vault = hex::encode(vault_id);
    read(dir).accounts.into_iter().find(|(v, a, _)| *v == vault && *a == account).map(|e| e.2)
}

/// The highest generation this computer saw of `account` in the vault `vault_id`, or in the
/// vault it knew at `path` (a vault whose id was changed is still the one at its place).
pub(crate) fn seen_generation(dir: &Path, path: &Path, vault_id: &[u8; 16], account: u64) -> Option<u32> {
    let memory = read(dir);
    let key = path_key(path);
    let at_path = memory.paths.iter().filter(|(_, p)| *p == key).map(|(v, _)| v.clone());
    let vaults: Vec<String> = at_path.chain([hex::encode(vault_id)]).collect();
    memory.accounts.iter().filter(|(v, a, _)| *a == account && vaults.contains(v)).map(|(_, _, s)| s.generation).max()
}

/// Whether another vault than `vault_id` was last seen at `path`.
pub(crate) fn replaced(dir: &Path, path: &Path, vault_id: &[u8; 16]) -> bool {
    let (key, vault) = (path_key(path), hex::encode(vault_id));
    read(dir).paths.iter().any(|(v, p)| *p == key && *v != vault)
}

/// Compares the state a login found, `now`, whose head lists `recent` (the fingerprints of
/// the heads before it, newest first), with what this computer saw of it in `dir`.
/// `print_of` gives the print of the account's key of a generation ([`key_print`]), if it
/// has that generation.
pub(crate) fn check(
    dir: &Path,
    vault_id: &[u8; 16],
    account: u64,
    now: &Seen,
    recent: &[[u8; 32]],
    print_of: impl Fn(u32) -> Option<[u8; 32]>,
) -> Verdict {
    let Some(seen) = remembered(dir, vault_id, account) else { return Verdict::Fine };
    if seen.recovery != now.recovery {
        return Verdict::RecoveryKeyChanged;
    }
    if now.generation < seen.generation || now.counter < seen.counter {
        return Verdict::Rollback(Rollback::Older { seen: seen.counter, found: now.counter });
    }
    // The generation seen here must be in the account, by its key: a generation made by
    // someone who knew only an older password cannot hold it. Only then does the head's
    // own word (its recent heads) count.
    if print_of(seen.generation) != Some(seen.key) {
        return Verdict::Rollback(Rollback::Forked);
    }
    let continues = match now.counter - seen.counter {
        0 => now.head == seen.head,
        // The head seen here must be among the ones this head lists; further back than
        // the list reaches, continuity cannot be told, and is taken as given (only a holder
        // of the key seen here wrote there).
        ahead => recent.get(ahead as usize - 1).is_none_or(|listed| *listed == seen.head),
    };
    if continues { Verdict::Fine } else { Verdict::Rollback(Rollback::Forked) }
}

/// Remembers `now` as what this computer saw of (`vault_id`, `account`) at `path` in `dir`,
/// unless it already remembers a later state (a session that ends after a newer one must
/// not take the memory back). Best effort: a read-only home folder must not stop anyone
/// from opening photos.
pub(crate) fn record(dir: &Path, path: &Path, vault_id: &[u8; 16], account: u64, now: &Seen) {
    if remembered(dir, vault_id, account)
        .is_some_and(|seen| seen.counter > now.counter && seen.recovery == now.recovery)
    {
        return;
    }
    accept(dir, path, vault_id, account, now);
}

/// Remembers `now` (and the vault at `path`) whatever was remembered: the owner accepts
/// this copy of the vault (a backup restored on purpose) as the one this computer knows.
pub(crate) fn accept(dir: &Path, path: &Path, vault_id: &[u8; 16], account: u64, now: &Seen) {
    let mut memory = read(dir);
    let vault = hex::encode(vault_id);
    memory.accounts.retain(|(v, a, _)| !(*v == vault && *a == account));
    memory.accounts.push((vault, account, *now));
    remember_path(&mut memory, path, vault_id);
    write(dir, &memory);
}

/// Remembers that the vault `vault_id` is at `path` (a vault this program just made there).
pub(crate) fn record_path(dir: &Path, path: &Path, vault_id: &[u8; 16]) {
    let mut memory = read(dir);
    remember_path(&mut memory, path, vault_id);
    write(dir, &memory);
}

fn remember_path(memory: &mut Memory, path: &Path, vault_id: &[u8; 16]) {
    let key = path_key(path);
    memory.paths.retain(|(_, p)| *p != key);
    memory.paths.push((hex::encode(vault_id), key));
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
        let wrap = PasswordWrap { kdf: crate::crypto::KdfParams::default(), salt: [3; 16], sealed: [4; WRAP_LEN] };
        Seen { counter, head: [head; 32], recovery: [7; 32], generation: 1, key: [1; 32], wrap }
    }

    /// The account holds the key of generation 1 (and, from generation 2 on, of 2).
    fn holds(generation: u32) -> Option<[u8; 32]> {
        (generation <= 2).then_some([generation as u8; 32])
    }

    #[test]
    fn older_forked_and_rekeyed_vaults_are_told_apart_from_continuations() {
        let dir = tempfile::tempdir().unwrap();
        let (v, other) = ([1; 16], [2; 16]);
        let p = dir.path().join("vault.redb");
        let check = |now: &Seen, recent: &[[u8; 32]]| check(dir.path(), &v, 1, now, recent, holds);
        assert_eq!(check(&state(5, 50), &[]), Verdict::Fine, "first sight");
        record(dir.path(), &p, &v, 1, &state(5, 50));
        assert_eq!(remembered(dir.path(), &v, 1), Some(state(5, 50)), "read back as written");
        assert_eq!(check(&state(5, 50), &[]), Verdict::Fine, "the same");
        assert_eq!(check(&state(5, 51), &[]), Verdict::Rollback(Rollback::Forked), "same counter");
        record(dir.path(), &p, &v, 1, &state(4, 40));
        assert_eq!(check(&state(5, 50), &[]), Verdict::Fine, "an older session never takes it back");
        assert_eq!(check(&state(3, 30), &[]), Verdict::Rollback(Rollback::Older { seen: 5, found: 3 }));
        // Two writes later, listing the head seen here one back: a continuation.
        assert_eq!(check(&state(7, 70), &[[60; 32], [50; 32]]), Verdict::Fine);
        assert_eq!(check(&state(7, 70), &[[60; 32], [55; 32]]), Verdict::Rollback(Rollback::Forked));
        assert_eq!(check(&state(99, 9), &[[1; 32]]), Verdict::Fine, "beyond what the head lists");
        // A later generation holding the key seen here is a continuation; one that does not
        // hold it is a fork, whatever its head lists.
        let later = Seen { generation: 2, key: [2; 32], ..state(6, 60) };
        assert_eq!(check(&later, &[[50; 32]]), Verdict::Fine, "a new generation that holds the old key");
        record(dir.path(), &p, &v, 1, &later);
        let not_ours = |g: u32| (g <= 2).then_some([9; 32]);
        let forged = Seen { generation: 3, key: [3; 32], ..state(60, 6) };
        assert_eq!(
            super::check(dir.path(), &v, 1, &forged, &[[60; 32]; 32], not_ours),
            Verdict::Rollback(Rollback::Forked),
            "a generation without the key seen here, listing the head seen here"
        );
        let older_generation = Seen { generation: 1, ..state(70, 7) };
        assert_eq!(check(&older_generation, &[]), Verdict::Rollback(Rollback::Older { seen: 6, found: 70 }));
        let rekeyed = Seen { recovery: [8; 32], ..later };
        assert_eq!(check(&rekeyed, &[]), Verdict::RecoveryKeyChanged);
        accept(dir.path(), &p, &v, 1, &state(3, 30));
        assert_eq!(check(&state(3, 30), &[]), Verdict::Fine, "an accepted copy");
        assert_eq!(super::check(dir.path(), &v, 2, &state(1, 1), &[], holds), Verdict::Fine, "another account");
        assert_eq!(super::check(dir.path(), &other, 1, &state(1, 1), &[], holds), Verdict::Fine, "another vault");
        assert_eq!(seen_generation(dir.path(), &p, &v, 1), Some(1));
        assert_eq!(seen_generation(dir.path(), &p, &[9; 16], 1), Some(1), "another id at the same place");
        assert_eq!(seen_generation(dir.path(), &dir.path().join("other.redb"), &[9; 16], 1), None);
    }

    #[test]
    fn another_vault_at_a_known_path_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let (p, q) = (dir.path().join("a.redb"), dir.path().join("b.redb"));
        assert!(!replaced(dir.path(), &p, &[1; 16]), "nothing known");
        record_path(dir.path(), &p, &[1; 16]);
        record(dir.path(), &q, &[2; 16], 1, &state(1, 1));
        assert!(!replaced(dir.path(), &p, &[1; 16]));
        assert!(replaced(dir.path(), &p, &[3; 16]), "a new vault id at the same place");
        assert!(!replaced(dir.path(), &q, &[2; 16]));
        // An earlier file's account lines are left out; the path lines stay.
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            format!("{text}{} 1 3 {} {}\n", hex::encode([4; 16]), hex::encode([0; 32]), hex::encode([0; 32])),
        )
        .unwrap();
        assert_eq!(read(dir.path()).accounts.len(), 1);
        assert!(replaced(dir.path(), &p, &[3; 16]));
    }
}
