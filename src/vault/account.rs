//! Accounts: register, log in (with the password or the recovery key), change the
//! password, and the [`Session`] that holds an account's keys while it is open.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use zeroize::Zeroizing;

use crate::crypto::{
    KdfParams, RecoveryKey, RecoveryPublicKey, SecretKey, Subkey, derive_subkey, open, open_padded, password_key, seal,
    seal_padded,
};

use super::Vault;
use super::error::{LoginError, RegisterError, StorageError, guard};
use super::manifest::fingerprint;
use super::manifest::{Change, ManifestError, ManifestKey, ManifestProblem};
use super::records::{ACCOUNT_RECORD_VERSION, AccountRecord, Previews, Profile, decode, decode_profile, encode};
use super::schema::{ACCOUNTS, MANIFESTS, USERNAMES};
use super::seen::{self, Rollback, Seen, Verdict};

/// An open account: its id, name, profile and keys. Keys zeroize when it drops.
pub struct Session {
    pub(crate) vault: Vault,
    pub(crate) account_id: u64,
    username: String,
    pub(crate) master: SecretKey,
    pub(crate) recovery_public: RecoveryPublicKey,
    /// Set when the session was opened with the recovery key (the break-glass path).
    pub(crate) recovery: Option<RecoveryKey>,
    profile: std::sync::RwLock<Profile>,
    /// The manifest's state after the last write of this session (or at login): what this
    /// computer remembers of the vault when the session ends.
    latest: std::sync::Mutex<Seen>,
    /// What the manifest says that the file does not match, as the last list found it.
    problems: std::sync::Mutex<Vec<ManifestProblem>>,
    /// Set when the vault is older than one this computer has opened.
    rollback: Option<Rollback>,
    /// The key that signs a backup's snapshot, from the login password (see
    /// `backup::snapshot_mac_key`): `None` in a session opened with the recovery key.
    pub(crate) snapshot_key: std::sync::RwLock<Option<SecretKey>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("username", &self.username).finish_non_exhaustive()
    }
}

fn master_aad(account_id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 master".as_slice(), &account_id.to_be_bytes()].concat()
}

fn profile_aad(account_id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 profile".as_slice(), &account_id.to_be_bytes()].concat()
}

/// Checks a user name: 1 to 64 of letters, digits, `.`, `_`, `-`.
pub fn validate_username(name: &str) -> Result<(), RegisterError> {
    let ok = (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(RegisterError::InvalidUsername(name.to_string())) }
}

/// Checks an email address (RFC 5322 `addr-spec`, as mail servers accept it).
pub fn validate_email(email: &str) -> Result<(), RegisterError> {
    let valid = email_address::EmailAddress::parse_with_options(
        email,
        email_address::Options::default().without_display_text(),
    );
    if valid.is_ok() { Ok(()) } else { Err(RegisterError::InvalidEmail(email.to_string())) }
}

impl Vault {
    /// Creates an account and returns its recovery key, which is shown once and never stored.
    /// `previews` says how its locked photos will look after login.
    pub fn register(
        &self,
        username: &str,
        email: &str,
        password: &str,
        previews: Previews,
    ) -> Result<RecoveryKey, RegisterError> {
        guard(|| {
            validate_username(username)?;
            validate_email(email)?;
            super::password::check_new_password(password, &[username, email])?;
            let key = username.to_lowercase();
            // Argon2 before the write transaction, so the single writer is not held for it.
            let kdf = KdfParams::default();
            let salt: [u8; 16] = crate::crypto::random_array();
            let password_key = password_key(password, &salt, kdf);
            let master = SecretKey::random();
            let recovery = RecoveryKey::generate();

            let txn = self.begin_write().map_err(StorageError::from)?;
            {
                let mut names = txn.open_table(USERNAMES).map_err(StorageError::from)?;
                if names.get(key.as_str()).map_err(StorageError::from)?.is_some() {
                    return Err(RegisterError::UsernameTaken(username.to_string()));
                }
                let mut accounts = txn.open_table(ACCOUNTS).map_err(StorageError::from)?;
                // After the last id ever used: an account whose record was removed from the
                // file still has its manifest, and its id is not given out again.
                let last = |t: Option<(redb::AccessGuard<'_, u64>, redb::AccessGuard<'_, &[u8]>)>| {
                    t.map_or(0, |(k, _)| k.value())
                };
                let used = last(accounts.last().map_err(StorageError::from)?).max(last(
                    txn.open_table(MANIFESTS).map_err(StorageError::from)?.last().map_err(StorageError::from)?,
                ));
                let account_id =
                    used.checked_add(1).ok_or_else(|| StorageError::tampered("the account ids are exhausted"))?;
                let profile = Profile { email: email.to_string(), smtp: None, previews, backup: None };
                let record = encode(&AccountRecord {
                    version: ACCOUNT_RECORD_VERSION,
                    username: username.to_string(),
                    kdf,
                    salt,
                    master_by_password: seal(&password_key, &master_aad(account_id), master.expose()),
                    master_by_recovery: seal(&recovery.master_wrap_key(), &master_aad(account_id), master.expose()),
                    recovery_public: recovery.public_key().0,
                    profile: seal_profile(&master, account_id, &profile),
                });
                accounts.insert(account_id, record.as_slice()).map_err(StorageError::from)?;
                names.insert(key.as_str(), account_id).map_err(StorageError::from)?;
                let head = ManifestKey::new(&master, self.id, account_id).first_head(&record);
                txn.open_table(MANIFESTS)
                    .map_err(StorageError::from)?
                    .insert(account_id, head.as_slice())
                    .map_err(StorageError::from)?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(recovery)
        })
    }

    /// The account's id, its record and the record's stored bytes (which the manifest pins).
    fn find_account(&self, username: &str) -> Result<Option<(u64, AccountRecord, Vec<u8>)>, StorageError> {
        let txn = self.db.begin_read()?;
        let names = txn.open_table(USERNAMES)?;
        let Some(id) = names.get(username.to_lowercase().as_str())?.map(|g| g.value()) else {
            return Ok(None);
        };
        let accounts = txn.open_table(ACCOUNTS)?;
        let Some(bytes) = accounts.get(id)? else { return Ok(None) };
        let bytes = bytes.value().to_vec();
        let record: AccountRecord = decode(&bytes)?;
        if record.version != ACCOUNT_RECORD_VERSION {
            return Err(StorageError::damaged_record());
        }
        if record.username.to_lowercase() != username.to_lowercase() {
            return Err(StorageError::tampered("the index of user names points at another account"));
        }
        Ok(Some((id, record, bytes)))
    }

    /// Whether any account exists (a new vault has none: the app starts on registration).
    pub fn has_accounts(&self) -> Result<bool, StorageError> {
        guard(|| {
            let txn = self.db.begin_read()?;
            let names = txn.open_table(USERNAMES)?;
            Ok(!names.is_empty()?)
        })
    }

    /// Logs in with the login password. An unknown user costs the same Argon2 work and
    /// gives the same error as a wrong password.
    pub fn login(&self, username: &str, password: &str) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record, stored)) = self.find_account(username)? else {
                let _ = password_key(password, &[0; 16], KdfParams::default());
                return Err(LoginError::WrongCredentials);
            };
            let kdf = record.kdf;
            if !kdf.is_acceptable() {
                return Err(LoginError::UnsupportedCost { m_mib: kdf.m_kib / 1024, t: kdf.t, p: kdf.p });
            }
            let key = password_key(password, &record.salt, kdf);
            let master = unwrap_master(&key, id, &record.master_by_password)?;
            let session = self.session(id, record, &stored, master, None)?;
            *session.snapshot_key.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some(super::backup::snapshot_mac_key(&key));
            Ok(session)
        })
    }

    /// Opens an account with its recovery key instead of the password (break glass).
    pub fn login_with_recovery(&self, username: &str, recovery: RecoveryKey) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record, stored)) = self.find_account(username)? else {
                return Err(LoginError::WrongCredentials);
            };
            let master = unwrap_master(&recovery.master_wrap_key(), id, &record.master_by_recovery)?;
            self.session(id, record, &stored, master, Some(recovery))
        })
    }

    /// Opens the session once the master key is unwrapped: the manifest must open and pin
    /// this very account record (so the recovery public key that import seals to, the
    /// password wrap and the profile are the account's own), a recovery key must be the
    /// one the account was made with, and the photo records are compared with the
    /// manifest.
    fn session(
        &self,
        account_id: u64,
        record: AccountRecord,
        stored: &[u8],
        master: SecretKey,
        recovery: Option<RecoveryKey>,
    ) -> Result<Session, LoginError> {
        let manifest = ManifestKey::new(&master, self.id, account_id);
        let txn = self.db.begin_read().map_err(StorageError::from)?;
        let read = |e: ManifestError| match e {
            ManifestError::Tampered(t) => LoginError::Tampered(t.0.to_string()),
            ManifestError::Storage(s) => LoginError::Storage(s),
        };
        let (head, head_print) = manifest.read_head(&txn, stored).map_err(read)?;
        if recovery.as_ref().is_some_and(|r| r.public_key().0 != record.recovery_public) {
            return Err(LoginError::Tampered("the account's recovery key was replaced".into()));
        }
        let now = Seen { counter: head.counter, head: head_print, recovery: fingerprint(&record.recovery_public) };
        let mut rollback = None;
        if let Some(dir) = &self.state_dir {
            match seen::check(dir, &self.id, account_id, &now, &head.recent_heads) {
                Verdict::Fine => seen::record(dir, &self.id, account_id, &now),
                Verdict::Rollback(r) => rollback = Some(r),
                // The recovery words prove the key they give (checked above): a new pin.
                Verdict::RecoveryKeyChanged if recovery.is_some() => seen::record(dir, &self.id, account_id, &now),
                Verdict::RecoveryKeyChanged => {
                    return Err(LoginError::Tampered(
                        "the account's recovery key is not the one this computer knew; if you did not change it, someone who once had your login replaced it".into(),
                    ));
                }
            }
        }
        let profile = open_profile(&master, account_id, &record.profile).map_err(|_| LoginError::Damaged)?;
        Ok(Session {
            vault: self.clone(),
            account_id,
            username: record.username,
            master,
            recovery_public: RecoveryPublicKey(record.recovery_public),
            recovery,
            profile: std::sync::RwLock::new(profile),
            latest: std::sync::Mutex::new(now),
            problems: std::sync::Mutex::new(Vec::new()),
            rollback,
            snapshot_key: std::sync::RwLock::new(None),
        })
    }
}

fn unwrap_master(key: &SecretKey, account_id: u64, sealed: &[u8]) -> Result<SecretKey, LoginError> {
    let plain = Zeroizing::new(open(key, &master_aad(account_id), sealed).map_err(|_| LoginError::WrongCredentials)?);
    SecretKey::from_slice(&plain).ok_or(LoginError::Damaged)
}

/// Opens an account's sealed profile.
pub(super) fn open_profile(master: &SecretKey, account_id: u64, sealed: &[u8]) -> Result<Profile, StorageError> {
    let plain = Zeroizing::new(
        open_padded(&derive_subkey(master, Subkey::Profile), &profile_aad(account_id), sealed)
            .map_err(|_| StorageError::damaged_record())?,
    );
    decode_profile(&plain)
}

pub(super) fn seal_profile(master: &SecretKey, account_id: u64, profile: &Profile) -> Vec<u8> {
    let plain = Zeroizing::new(encode(profile));
    seal_padded(&derive_subkey(master, Subkey::Profile), &profile_aad(account_id), &plain)
}

impl Session {
    /// The user name as registered.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The account's email, SMTP settings and other profile data (a copy).
    pub fn profile(&self) -> Profile {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether the profile names an SMTP server (without copying the profile).
    pub fn uses_smtp(&self) -> bool {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).smtp.is_some()
    }

    /// How the account's locked photos look after login (without copying the profile,
    /// which holds the SMTP password; read for every photo an import prepares).
    pub fn previews(&self) -> Previews {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).previews
    }

    /// The vault this session belongs to.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Whether this session was opened with the recovery key.
    pub fn is_recovery(&self) -> bool {
        self.recovery.is_some()
    }

    /// What the account's manifest says that the vault file does not match: a photo whose
    /// records were removed, or one that was deleted and put back. Found by
    /// [`Session::check_records`], which reads every record (the app runs it after the
    /// first screen), and in part by [`Session::list`], which reads only the records its
    /// index lacks (the login reads only the manifest's head, so that opening one photo of
    /// a million stays quick); empty before then and for an untouched vault. `verify`
    /// checks again.
    pub fn manifest_problems(&self) -> Vec<ManifestProblem> {
        self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Records what a check of every record found.
    pub(crate) fn found_problems(&self, problems: Vec<ManifestProblem>) {
        *self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = problems;
    }

    /// Adds what a list found to what is known.
    pub(crate) fn also_found(&self, problems: Vec<ManifestProblem>) {
        let mut known = self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for problem in problems {
            if !known.contains(&problem) {
                known.push(problem);
            }
        }
    }

    /// Set when this vault is older than one this computer has opened (a replaced file).
    pub fn rollback(&self) -> Option<Rollback> {
        self.rollback
    }

    /// Makes this copy of the vault the one this computer knows, after a rollback or fork
    /// was reported: the owner restored a backup on purpose. Later logins compare with it.
    pub fn accept_this_copy(&self) {
        if let Some(dir) = &self.vault.state_dir {
            let latest = *self.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            seen::accept(dir, &self.vault.id, self.account_id, &latest);
        }
    }

    /// The manifest key of this account.
    pub(crate) fn manifest_key(&self) -> ManifestKey {
        ManifestKey::new(&self.master, self.vault.id, self.account_id)
    }

    /// Records a write's new manifest state (counter and head fingerprint).
    pub(crate) fn wrote(&self, (counter, head): (u64, [u8; 32])) {
        let mut latest = self.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counter > latest.counter {
            (latest.counter, latest.head) = (counter, head);
        }
    }

    /// Sets a new login password. Only the master key is re-wrapped: instant, and no
    /// photo is touched.
    pub fn change_password(&self, new_password: &str) -> Result<(), RegisterError> {
        guard(|| {
            let profile = self.profile();
            super::password::check_new_password(new_password, &[self.username(), &profile.email])?;
            let salt: [u8; 16] = crate::crypto::random_array();
            // A cost raised above the default is kept, never lowered back.
            let stored = self.stored_record()?.kdf;
            let kdf =
                KdfParams::default().strongest(if stored.is_acceptable() { stored } else { KdfParams::default() });
            let key = password_key(new_password, &salt, kdf);
            self.update_record(|record| {
                record.kdf = kdf;
                record.salt = salt;
                record.master_by_password = seal(&key, &master_aad(self.account_id), self.master.expose());
            })?;
            *self.snapshot_key.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some(super::backup::snapshot_mac_key(&key));
            Ok(())
        })
    }

    /// Replaces the profile (email, mail settings) and stores it sealed.
    pub fn set_profile(&self, profile: Profile) -> Result<(), RegisterError> {
        guard(|| self.update_profile(profile, |_| Ok(())))
    }

    /// Stores `profile`, and whatever `also` writes, in one transaction.
    pub(crate) fn update_profile(
        &self,
        profile: Profile,
        also: impl FnOnce(&redb::WriteTransaction) -> Result<(), StorageError>,
    ) -> Result<(), RegisterError> {
        validate_email(&profile.email)?;
        let sealed = seal_profile(&self.master, self.account_id, &profile);
        self.update_record_with(|record| record.profile = sealed, also)?;
        *self.profile.write().unwrap_or_else(std::sync::PoisonError::into_inner) = profile;
        Ok(())
    }

    fn stored_record(&self) -> Result<AccountRecord, StorageError> {
        let txn = self.vault.db.begin_read()?;
        let accounts = txn.open_table(ACCOUNTS)?;
        let stored =
            accounts.get(self.account_id)?.ok_or_else(|| StorageError::tampered("the account record is missing"))?;
        decode(stored.value())
    }

    /// Rewrites the account record, and the manifest that pins it, in one transaction.
    fn update_record(&self, change: impl FnOnce(&mut AccountRecord)) -> Result<(), StorageError> {
        self.update_record_with(change, |_| Ok(()))
    }

    /// [`Session::update_record`], with more writes in the same transaction.
    fn update_record_with(
        &self,
        change: impl FnOnce(&mut AccountRecord),
        also: impl FnOnce(&redb::WriteTransaction) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let txn = self.vault.begin_write()?;
        let state = {
            let mut accounts = txn.open_table(ACCOUNTS)?;
            let previous = accounts
                .get(self.account_id)?
                .ok_or_else(|| StorageError::tampered("the account record is missing"))?
                .value()
                .to_vec();
            let mut record: AccountRecord = decode(&previous)?;
            change(&mut record);
            let new = encode(&record);
            accounts.insert(self.account_id, new.as_slice())?;
            self.manifest_key().apply(&txn, Change::Account { previous: &previous, new: &new })?
        };
        also(&txn)?;
        txn.commit()?;
        // Only a committed state is what this computer remembers (a failed commit, a full
        // disk, leaves the vault as it was).
        self.wrote(state);
        Ok(())
    }
}

impl Drop for Session {
    /// Remembers the state this session's writes reached, so that a copy of the vault from
    /// before them is noticed at the next login on this computer. After a rollback or a
    /// fork was found, what was seen before stays remembered, so the warning stays too.
    fn drop(&mut self) {
        if let (Some(dir), None) = (&self.vault.state_dir, self.rollback) {
            let latest = *self.latest.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            seen::record(dir, &self.vault.id, self.account_id, &latest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_change_keeps_a_stored_cost_raised_above_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        vault.register("alice", "alice@example.com", "first password here", Previews::Sharp).unwrap();
        let session = vault.login("alice", "first password here").unwrap();
        // The account's cost raised (as a later version could): 96 MiB, 4 passes, 1 lane.
        let strong = KdfParams { m_kib: 96 * 1024, t: 4, p: 1 };
        let salt: [u8; 16] = crate::crypto::random_array();
        let key = password_key("first password here", &salt, strong);
        session
            .update_record(|r| {
                (r.kdf, r.salt) = (strong, salt);
                r.master_by_password = seal(&key, &master_aad(session.account_id), session.master.expose());
            })
            .unwrap();
        drop(session);
        let session = vault.login("alice", "first password here").unwrap();
        session.change_password("second password here").unwrap();
        assert_eq!(session.stored_record().unwrap().kdf, KdfParams { m_kib: 96 * 1024, t: 4, p: 2 });
        vault.login("alice", "second password here").unwrap();
    }
}
