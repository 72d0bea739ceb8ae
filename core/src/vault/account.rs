//! Accounts: register, log in (with the password or the recovery key), change the
//! password (a new generation of the account's keys), and the [`Session`] that holds an
//! account's keys while it is open.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use zeroize::Zeroizing;

use crate::crypto::{KdfParams, RecoveryKey, RecoveryPublicKey, SecretKey, Subkey, open_padded, password_key};

use super::Vault;
use super::error::{LoginError, RegisterError, StorageError, guard};
use super::keys::{AccountKeys, PasswordKey, open_password_wrap};
use super::manifest::fingerprint;
use super::manifest::{Change, Entry, ManifestError, ManifestKey, ManifestProblem};
use super::photos::IdRun;
use super::records::{ACCOUNT_RECORD_VERSION, AccountRecord, Previews, Profile, decode, encode, seal_encoded};
use super::schema::{ACCOUNTS, MANIFESTS, USERNAMES};
use super::seen::{self, Rollback, Seen, Verdict};

/// An open account: its id, name, profile and keys. Keys zeroize when it drops.
pub(crate) struct Session {
    pub(crate) vault: Vault,
    pub(crate) account_id: u64,
    username: String,
    /// The keys of every generation; replaced by a password change.
    keys: RwLock<Arc<AccountKeys>>,
    pub(crate) recovery_public: RecoveryPublicKey,
    /// Set when the session was opened with the recovery key (the break-glass path).
    pub(crate) recovery: Option<RecoveryKey>,
    profile: RwLock<Profile>,
    /// The manifest's state after the last write of this session (or at login): what this
    /// computer remembers of the vault when the session ends.
    latest: Mutex<Seen>,
    /// What the manifest says that the file does not match, as the last list found it.
    problems: Mutex<Vec<ManifestProblem>>,
    /// Set when the vault is older than, or forked from, one this computer has opened:
    /// nothing is written until the owner accepts this copy.
    rollback: Mutex<Option<Rollback>>,
    /// The run of photo ids this session gives out (see `photos::IdRun`).
    pub(crate) ids: Mutex<Option<IdRun>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("username", &self.username).finish_non_exhaustive()
    }
}

fn profile_aad(account_id: u64) -> Vec<u8> {
    [b"secure-photo-gallery v1 profile".as_slice(), &account_id.to_be_bytes()].concat()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Checks a user name: 1 to 64 of letters, digits, `.`, `_`, `-`.
pub fn validate_username(name: &str) -> Result<(), RegisterError> {
    let ok = (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(RegisterError::InvalidUsername(name.to_string())) }
}

/// Checks an email address (an RFC 5322 `addr-spec`, no display name) by the rule the
/// mail is later sent with: lettre's own address parser.
pub fn validate_email(email: &str) -> Result<(), RegisterError> {
    match email.parse::<lettre::Address>() {
        Ok(_) => Ok(()),
        Err(_) => Err(RegisterError::InvalidEmail(email.to_string())),
    }
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
            let password_key = PasswordKey::new(password, KdfParams::default());
            let keys = AccountKeys::first(SecretKey::random());
            let recovery = RecoveryKey::generate();

            let txn = self.begin_write().map_err(StorageError::from)?;
            let (account_id, record, state) = {
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
                let profile = Profile {
                    email: email.to_string(),
                    smtp: None,
                    previews,
                    backup: None,
                    outbox: Vec::new(),
                    albums: Vec::new(),
                };
                let mut record = AccountRecord {
                    version: ACCOUNT_RECORD_VERSION,
                    username: username.to_string(),
                    generation: 1,
                    changed_at: now(),
                    kdf: password_key.kdf,
                    salt: password_key.salt,
                    key_by_password: Vec::new(),
                    key_by_recovery: recovery
                        .public_key()
                        .seal_account_key(account_id, 1, keys.current())
                        .expect("a recovery key made here is not a low-order point"),
                    recovery_public: recovery.public_key().0,
                    older_keys: keys.seal_older(account_id),
                    profile: seal_profile(&keys, account_id, &profile),
                };
                password_key.wrap(&mut record, account_id, keys.current());
                let bytes = encode(&record);
                accounts.insert(account_id, bytes.as_slice()).map_err(StorageError::from)?;
                names.insert(key.as_str(), account_id).map_err(StorageError::from)?;
                let state = ManifestKey::new(&keys, self.id, account_id).write_first(&txn, &bytes, &[])?;
                (account_id, record, state)
            };
            txn.commit().map_err(StorageError::from)?;
            // This computer knows the account from its first state.
            if let Some(dir) = &self.state_dir {
                seen::record(dir, &self.path, &self.id, account_id, &seen_state(&record, &keys, state));
            }
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
        if record.version != ACCOUNT_RECORD_VERSION || record.generation == 0 {
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
    pub(crate) fn open_session(&self, username: &str, password: &str) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record, stored)) = self.find_account(username)? else {
                let _ = password_key(password, &[0; 16], KdfParams::default());
                return Err(LoginError::WrongCredentials);
            };
            let kdf = record.kdf;
            if !kdf.is_acceptable() {
                return Err(LoginError::UnsupportedCost { m_mib: kdf.m_kib / 1024, t: kdf.t, p: kdf.p });
            }
            let wrap =
                open_password_wrap(password, (kdf, &record.salt), id, record.generation, &record.key_by_password);
            let Some(current) = wrap else { return Err(self.wrong_credentials(id, &record)) };
            self.session(id, record, &stored, current, Credentials::Password(password))
        })
    }

    /// A wrong password, or an account record older than the one this computer saw: the
    /// password the owner set since does not open it (the vault file was put back to an
    /// older copy, or replaced by someone who knew an older password), and saying so is
    /// what helps.
    fn wrong_credentials(&self, account_id: u64, record: &AccountRecord) -> LoginError {
        let seen =
            self.state_dir.as_deref().and_then(|dir| seen::seen_generation(dir, &self.path, &self.id, account_id));
        match seen {
            Some(seen) if seen > record.generation => LoginError::OlderAccount { seen, found: record.generation },
            _ => LoginError::WrongCredentials,
        }
    }

    /// Opens an account with its recovery key instead of the password (break glass).
    pub(crate) fn open_session_with_recovery(
        &self,
        username: &str,
        recovery: RecoveryKey,
    ) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record, stored)) = self.find_account(username)? else {
                return Err(LoginError::WrongCredentials);
            };
            let current = recovery
                .open_account_key(id, record.generation, &record.key_by_recovery)
                .map_err(|_| self.wrong_credentials(id, &record))?;
            self.session(id, record, &stored, current, Credentials::Recovery(recovery))
        })
    }

    /// Opens the session once the current key is unwrapped: the older keys must open under
    /// it, the manifest must open and pin this very account record (so the recovery public
    /// key that import seals to, the key wraps and the profile are the account's own), a
    /// recovery key must be the one the account was made with, and what this computer saw
    /// of the vault is compared with it.
    fn session(
        &self,
        account_id: u64,
        record: AccountRecord,
        stored: &[u8],
        current: SecretKey,
        credentials: Credentials<'_>,
    ) -> Result<Session, LoginError> {
        let (password, recovery) = match credentials {
            Credentials::Password(password) => (Some(password), None),
            Credentials::Recovery(key) => (None, Some(key)),
        };
        let tampered = |e: StorageError| match e {
            StorageError::Tampered(t) => LoginError::Tampered(t.to_string()),
            other => LoginError::Storage(other),
        };
        let keys = AccountKeys::open(account_id, record.generation, current, &record.older_keys).map_err(tampered)?;
        let manifest = ManifestKey::new(&keys, self.id, account_id);
        let txn = self.db.begin_read().map_err(StorageError::from)?;
        let read = |e: ManifestError| match e {
            ManifestError::Tampered(t) => LoginError::Tampered(t.0.to_string()),
            ManifestError::Storage(s) => LoginError::Storage(s),
        };
        let (head, head_print) = manifest.read_head(&txn, stored).map_err(read)?;
        if recovery.as_ref().is_some_and(|r| r.public_key().0 != record.recovery_public) {
            return Err(LoginError::Tampered("the account's recovery key was replaced".into()));
        }
        let now = seen_state(&record, &keys, (head.counter, head_print));
        let mut rollback = None;
        if let Some(dir) = &self.state_dir {
            let print_of = |g| keys.of(g).map(seen::key_print);
            match seen::check(dir, &self.id, account_id, &now, &head.recent_heads, print_of) {
                Verdict::Fine => {}
                Verdict::Rollback(r) => rollback = Some(r),
                // The recovery words prove the key they give (checked above): a new pin.
                Verdict::RecoveryKeyChanged if recovery.is_some() => {}
                Verdict::RecoveryKeyChanged => {
                    return Err(LoginError::Tampered(
                        "the account's recovery key is not the one this computer knew; if you did not change it, someone who once had your login replaced it".into(),
                    ));
                }
            }
            if rollback.is_none() && seen::replaced(dir, &self.path, &self.id) {
                rollback = Some(Rollback::Replaced);
            }
            // A generation this computer did not see begin, opened with the password of the
            // one it saw: the password that was replaced (or set again). Someone who knew it
            // can make such a generation, holding every key they knew.
            let before = seen::remembered(dir, &self.id, account_id).filter(|s| s.generation < record.generation);
            if rollback.is_none() && password.is_some_and(|p| before.is_some_and(|b| b.opens_with(p, account_id))) {
                rollback = Some(Rollback::FormerPassword);
            }
            if rollback.is_none() {
                seen::record(dir, &self.path, &self.id, account_id, &now);
            }
        }
        let profile = open_profile(&keys, account_id, &record.profile).map_err(|_| LoginError::Damaged)?;
        Ok(Session {
            vault: self.clone(),
            account_id,
            username: record.username,
            keys: RwLock::new(Arc::new(keys)),
            recovery_public: RecoveryPublicKey(record.recovery_public),
            recovery,
            profile: RwLock::new(profile),
            latest: Mutex::new(now),
            problems: Mutex::new(Vec::new()),
            rollback: Mutex::new(rollback),
            ids: Mutex::new(None),
        })
    }
}

/// The next generation of an account's keys, set by `password`: the keys (`keys`, then a
/// fresh one) and the record of it made from `record`, with the password wrap (a stored
/// cost raised above the default is kept, never lowered back), the new key sealed to the
/// recovery key, and the older keys and `profile` sealed under it. Argon2id runs here,
/// before any write transaction.
pub(crate) fn next_generation(
    keys: &AccountKeys,
    record: &AccountRecord,
    account_id: u64,
    profile: &Profile,
    password: &str,
) -> Result<(AccountKeys, AccountRecord), StorageError> {
    let stored = if record.kdf.is_acceptable() { record.kdf } else { KdfParams::default() };
    let password_key = PasswordKey::new(password, KdfParams::default().strongest(stored));
    let next = keys.then(SecretKey::random());
    let mut record = record.clone();
    record.generation = next.generation();
    record.changed_at = now();
    password_key.wrap(&mut record, account_id, next.current());
    record.key_by_recovery = RecoveryPublicKey(record.recovery_public)
        .seal_account_key(account_id, next.generation(), next.current())
        .map_err(|_| StorageError::tampered("the account's recovery key is not a valid public key"))?;
    record.older_keys = next.seal_older(account_id);
    record.profile = seal_profile(&next, account_id, profile);
    Ok((next, record))
}

/// What opened an account.
enum Credentials<'a> {
    /// The login password.
    Password(&'a str),
    /// The recovery key.
    Recovery(RecoveryKey),
}

/// What this computer remembers of an account whose record is `record` and keys `keys`, at
/// the manifest state `(counter, head fingerprint)`.
fn seen_state(record: &AccountRecord, keys: &AccountKeys, (counter, head): (u64, [u8; 32])) -> Seen {
    Seen {
        counter,
        head,
        recovery: fingerprint(&record.recovery_public),
        generation: record.generation,
        key: seen::key_print(keys.current()),
        wrap: seen::PasswordWrap {
            kdf: record.kdf,
            salt: record.salt,
            sealed: record.key_by_password.as_slice().try_into().unwrap_or([0; seen::WRAP_LEN]),
        },
    }
}

/// Opens an account's sealed profile (under its current generation's key). A profile
/// written before albums ends after `outbox`: it is read as having none.
pub(super) fn open_profile(keys: &AccountKeys, account_id: u64, sealed: &[u8]) -> Result<Profile, StorageError> {
    let plain = Zeroizing::new(
        open_padded(&keys.current_subkey(Subkey::Profile), &profile_aad(account_id), sealed)
            .map_err(|_| StorageError::damaged_record())?,
    );
    super::records::decode_growing(&plain)
}

pub(super) fn seal_profile(keys: &AccountKeys, account_id: u64, profile: &Profile) -> Vec<u8> {
    seal_encoded(&keys.current_subkey(Subkey::Profile), &profile_aad(account_id), profile)
}

impl Session {
    /// The user name as registered.
    pub(crate) fn username(&self) -> &str {
        &self.username
    }

    /// The account's email, SMTP settings and other profile data (a copy).
    pub(crate) fn profile(&self) -> Profile {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether the profile names an SMTP server (without copying the profile).
    pub(crate) fn uses_smtp(&self) -> bool {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).smtp.is_some()
    }

    /// How the account's locked photos look after login (without copying the profile,
    /// which holds the SMTP password; read for every photo an import prepares).
    pub(crate) fn previews(&self) -> Previews {
        self.profile.read().unwrap_or_else(std::sync::PoisonError::into_inner).previews
    }

    /// The vault this session belongs to.
    pub(crate) fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Whether this session was opened with the recovery key.
    pub(crate) fn is_recovery(&self) -> bool {
        self.recovery.is_some()
    }

    /// What the account's manifest says that the vault file does not match: a photo whose
    /// records were removed, or one that was deleted and put back. Found by
    /// [`Session::check_records`], which reads every record (the app runs it after the
    /// first screen), and in part by [`Session::list`], which reads only the records its
    /// index lacks (the login reads only the manifest's head, so that opening one photo of
    /// a million stays quick); empty before then and for an untouched vault. `verify`
    /// checks again.
    pub(crate) fn manifest_problems(&self) -> Vec<ManifestProblem> {
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

    /// Set when this vault is older than, or forked from, one this computer has opened (a
    /// replaced file): the account is read-only until [`Session::accept_this_copy`].
    pub(crate) fn rollback(&self) -> Option<Rollback> {
        *self.rollback.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `Err` while a rollback or fork warning stands: nothing is written to the account
    /// (no import, delete, mail, backup or settings change) until the owner accepts this
    /// copy. Photos still open and export.
    pub(crate) fn writable(&self) -> Result<(), StorageError> {
        match self.rollback() {
            Some(rollback) => Err(StorageError::ReadOnly(rollback)),
            None => Ok(()),
        }
    }

    /// Makes this copy of the vault the one this computer knows, after a rollback or fork
    /// was reported: the owner restored a backup on purpose. Later logins compare with it,
    /// and the account can be written again.
    pub(crate) fn accept_this_copy(&self) {
        if let Some(dir) = &self.vault.state_dir {
            let latest = *self.latest.lock().unwrap_or_else(PoisonError::into_inner);
            seen::accept(dir, &self.vault.path, &self.vault.id, self.account_id, &latest);
        }
        *self.rollback.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The account's outbox folder beside the vault (named after the user, lower-cased).
    pub(crate) fn outbox_dir(&self) -> std::path::PathBuf {
        self.vault.outbox_dir().join(self.username.to_lowercase())
    }

    /// A code of eight Crockford symbols made from `input` with the current generation's
    /// key: what proves an address before passwords go to it.
    pub(crate) fn address_code(&self, input: &[u8]) -> String {
        let mac = crate::crypto::keyed_hash(&self.keys().current_subkey(Subkey::AddressCode), input);
        let value = u64::from_be_bytes(mac[..8].try_into().expect("8 of 32 bytes"));
        crate::crypto::crockford::encode(value, 8)
    }

    /// The keys of every generation of the account, as they are now.
    pub(crate) fn keys(&self) -> Arc<AccountKeys> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The manifest key of this account (its current generation's).
    pub(crate) fn manifest_key(&self) -> ManifestKey {
        ManifestKey::new(&self.keys(), self.vault.id, self.account_id)
    }

    /// Records a write's new manifest state (counter and head fingerprint).
    pub(crate) fn wrote(&self, (counter, head): (u64, [u8; 32])) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if counter > latest.counter {
            (latest.counter, latest.head) = (counter, head);
        }
    }

    /// Sets a new login password: a new generation of the account's keys begins, with a
    /// fresh random key wrapped under the new password and sealed to the recovery key; the
    /// earlier keys are sealed under it, and the manifest, the profile and the list index
    /// are sealed again under it. No photo is touched: instant at a million photos (after
    /// the Argon2id of the new password). Whoever knew the old password can read what was
    /// written before, and nothing after.
    pub(crate) fn change_password(&self, new_password: &str) -> Result<(), RegisterError> {
        guard(|| {
            self.writable()?;
            let profile = self.profile();
            super::password::check_new_password(new_password, &[self.username(), &profile.email])?;
            let keys = self.keys();
            let record = self.stored_record()?;
            if record.generation != keys.generation() {
                return Err(
                    StorageError::tampered("the account record was changed or replaced by an older copy").into()
                );
            }
            let (next, record) = next_generation(&keys, &record, self.account_id, &profile, new_password)?;
            self.take_record(&encode(&record), &next)?;
            Ok(())
        })
    }

    /// Stores `new` as the account record, of the generation whose keys are `next` (a
    /// password change here, or one made on another computer and brought by its backup),
    /// and seals the manifest and the list index again under its key, in one transaction
    /// (the front of the list is removed).
    /// The record stored now must be the one the manifest pins.
    pub(crate) fn take_record(&self, new: &[u8], next: &AccountKeys) -> Result<(), StorageError> {
        self.writable()?;
        let record: AccountRecord = decode(new)?;
        let profile = open_profile(next, self.account_id, &record.profile)?;
        let txn = self.vault.begin_write()?;
        let (state, profile, record) = {
            let mut accounts = txn.open_table(ACCOUNTS)?;
            let previous = stored_record_bytes(&accounts, self.account_id)?;
            // The albums are this vault's as the record being replaced pins them: an album
            // change made since the new record was made (a password change started before
            // it), or made here after the other computer's backup, is kept.
            let mut record = record;
            let mut profile = profile;
            let here = open_profile(&self.keys(), self.account_id, &decode::<AccountRecord>(&previous)?.profile)?;
            let new = if here.albums == profile.albums {
                new.to_vec()
            } else {
                profile.albums = here.albums;
                record.profile = seal_profile(next, self.account_id, &profile);
                encode(&record)
            };
            let new = new.as_slice();
            accounts.insert(self.account_id, new)?;
            let to = ManifestKey::new(next, self.vault.id, self.account_id);
            let state = self.manifest_key().rekey(&txn, &to, &previous, new)?;
            self.rekey_index(&txn, next)?;
            // Not sealed again: the next list writes it from what it reads.
            self.remove_front(&txn)?;
            (state, profile, record)
        };
        txn.commit()?;
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next.clone());
        *self.profile.write().unwrap_or_else(PoisonError::into_inner) = profile;
        let now = seen_state(&record, next, state);
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = now;
        // Remembered at once, not when the session ends: a copy from before the change put
        // back after a crash must meet the new generation here.
        if let Some(dir) = &self.vault.state_dir {
            seen::record(dir, &self.vault.path, &self.vault.id, self.account_id, &now);
        }
        Ok(())
    }

    /// Replaces the profile (email, mail settings) and stores it sealed.
    pub(crate) fn set_profile(&self, profile: Profile) -> Result<(), RegisterError> {
        guard(|| self.update_profile(profile, |_| Ok(Vec::new())))
    }

    /// Stores `profile`, and whatever `also` writes, in one transaction; `also` returns the
    /// manifest entries of the photos whose rows it changed. The albums stay as stored:
    /// `profile` is a copy taken before, and only [`Session::change_albums`] changes them.
    pub(crate) fn update_profile(
        &self,
        profile: Profile,
        also: impl FnOnce(&redb::WriteTransaction) -> Result<Vec<Entry>, StorageError>,
    ) -> Result<(), RegisterError> {
        validate_email(&profile.email)?;
        self.edit_profile(|stored, _, txn| {
            *stored = Profile { albums: std::mem::take(&mut stored.albums), ..profile };
            Ok(also(txn)?)
        })
    }

    /// Changes the profile, and writes the rows it pins, in one transaction: `edit` gets
    /// the profile as the transaction reads it from the account record (not this
    /// session's copy, which another write may have overtaken), the keys current in the
    /// write (the profile is sealed under them), and the transaction; it returns the
    /// manifest entries of the photos whose rows it changed. An error of `edit` writes
    /// nothing.
    pub(super) fn edit_profile<E: From<StorageError>>(
        &self,
        edit: impl FnOnce(&mut Profile, &AccountKeys, &redb::WriteTransaction) -> Result<Vec<Entry>, E>,
    ) -> Result<(), E> {
        let edited = std::cell::RefCell::new(None);
        let refused = std::cell::RefCell::new(None);
        let keys: std::cell::OnceCell<Arc<AccountKeys>> = std::cell::OnceCell::new();
        let written = self.update_record_with(
            |record| {
                if let (Some(profile), Some(keys)) = (&*edited.borrow(), keys.get()) {
                    record.profile = seal_profile(keys, self.account_id, profile);
                }
            },
            |txn| {
                let keys = keys.get_or_init(|| self.keys());
                let stored: AccountRecord = decode(&stored_record_bytes(&txn.open_table(ACCOUNTS)?, self.account_id)?)?;
                let mut profile = open_profile(keys, self.account_id, &stored.profile)?;
                match edit(&mut profile, keys, txn) {
                    Ok(entries) => {
                        *edited.borrow_mut() = Some(profile);
                        Ok(entries)
                    }
                    Err(e) => {
                        *refused.borrow_mut() = Some(e);
                        // Dropped unwritten; the caller gets `edit`'s own error.
                        Err(StorageError::Bug("refused".into()))
                    }
                }
            },
        );
        if let Some(e) = refused.into_inner() {
            return Err(e);
        }
        written?;
        if let Some(profile) = edited.into_inner() {
            *self.profile.write().unwrap_or_else(PoisonError::into_inner) = profile;
        }
        Ok(())
    }

    pub(super) fn stored_record(&self) -> Result<AccountRecord, StorageError> {
        let txn = self.vault.db.begin_read()?;
        decode(&stored_record_bytes(&txn.open_table(ACCOUNTS)?, self.account_id)?)
    }

    /// Rewrites the account record, and the manifest that pins it, in one transaction,
    /// with the writes of `also` (which returns the new entries of the photos it changed).
    fn update_record_with(
        &self,
        change: impl FnOnce(&mut AccountRecord),
        also: impl FnOnce(&redb::WriteTransaction) -> Result<Vec<Entry>, StorageError>,
    ) -> Result<(), StorageError> {
        self.writable()?;
        let txn = self.vault.begin_write()?;
        let photos = also(&txn)?;
        let state = {
            let mut accounts = txn.open_table(ACCOUNTS)?;
            let previous = stored_record_bytes(&accounts, self.account_id)?;
            let mut record: AccountRecord = decode(&previous)?;
            change(&mut record);
            let new = encode(&record);
            accounts.insert(self.account_id, new.as_slice())?;
            let changes: Vec<Change<'_>> = std::iter::once(Change::Account { previous: &previous, new: &new })
                .chain(photos.into_iter().map(Change::Put))
                .collect();
            self.manifest_key().apply(&txn, &changes)?
        };
        txn.commit()?;
        // Only a committed state is what this computer remembers (a failed commit, a full
        // disk, leaves the vault as it was).
        self.wrote(state);
        Ok(())
    }
}

/// The account record of `account_id` as stored.
fn stored_record_bytes(
    accounts: &impl ReadableTable<u64, &'static [u8]>,
    account_id: u64,
) -> Result<Vec<u8>, StorageError> {
    let stored = accounts.get(account_id)?.ok_or_else(|| StorageError::tampered("the account record is missing"))?;
    Ok(stored.value().to_vec())
}

impl Drop for Session {
    /// Remembers the state this session's writes reached, so that a copy of the vault from
    /// before them is noticed at the next login on this computer. After a rollback or a
    /// fork was found, what was seen before stays remembered, so the warning stays too.
    fn drop(&mut self) {
        if let (Some(dir), None) = (&self.vault.state_dir, self.rollback()) {
            let latest = *self.latest.get_mut().unwrap_or_else(PoisonError::into_inner);
            seen::record(dir, &self.vault.path, &self.vault.id, self.account_id, &latest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_change_keeps_a_stored_cost_raised_above_the_default_and_begins_a_generation() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(&dir.path().join("v.redb")).unwrap();
        vault.register("alice", "alice@example.com", "first password here", Previews::Sharp).unwrap();
        let session = vault.open_session("alice", "first password here").unwrap();
        // The account's cost raised (as a later version could): 96 MiB, 4 passes, 1 lane.
        let strong = PasswordKey::new("first password here", KdfParams { m_kib: 96 * 1024, t: 4, p: 1 });
        let current = session.keys().current().clone();
        session.update_record_with(|r| strong.wrap(r, session.account_id, &current), |_| Ok(Vec::new())).unwrap();
        drop(session);
        let session = vault.open_session("alice", "first password here").unwrap();
        assert_eq!(session.keys().generation(), 1);
        session.change_password("second password here").unwrap();
        let record = session.stored_record().unwrap();
        assert_eq!(record.kdf, KdfParams { m_kib: 96 * 1024, t: 4, p: 2 });
        assert_eq!((record.generation, session.keys().generation()), (2, 2));
        assert!(matches!(vault.open_session("alice", "first password here"), Err(LoginError::WrongCredentials)));
        let again = vault.open_session("alice", "second password here").unwrap();
        assert_eq!(again.keys().of(1), session.keys().of(1), "the first generation's key is kept");
        assert_ne!(again.keys().current(), again.keys().of(1).unwrap());
    }
}
