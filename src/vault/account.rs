//! Accounts: register, log in (with the password or the recovery key), change the
//! password, and the [`Session`] that holds an account's keys while it is open.

use redb::{ReadableDatabase, ReadableTable};
use zeroize::Zeroizing;

use crate::crypto::{
    KdfParams, RecoveryKey, RecoveryPublicKey, SecretKey, Subkey, derive_subkey, open, password_key, seal,
};

use super::Vault;
use super::error::{LoginError, RegisterError, StorageError, guard};
use super::records::{ACCOUNT_RECORD_VERSION, AccountRecord, Profile, decode, encode};
use super::schema::{ACCOUNTS, USERNAMES};

/// Shortest login password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

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
    pub fn register(&self, username: &str, email: &str, password: &str) -> Result<RecoveryKey, RegisterError> {
        guard(|| {
            validate_username(username)?;
            validate_email(email)?;
            if password.chars().count() < MIN_PASSWORD_LEN {
                return Err(RegisterError::WeakPassword(MIN_PASSWORD_LEN));
            }
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
                let account_id = accounts.last().map_err(StorageError::from)?.map_or(1, |(k, _)| k.value() + 1);
                let profile = Profile { email: email.to_string(), smtp: None };
                let record = AccountRecord {
                    version: ACCOUNT_RECORD_VERSION,
                    username: username.to_string(),
                    kdf,
                    salt,
                    master_by_password: seal(&password_key, &master_aad(account_id), master.expose()),
                    master_by_recovery: seal(&recovery.master_wrap_key(), &master_aad(account_id), master.expose()),
                    recovery_public: recovery.public_key().0,
                    profile: seal_profile(&master, account_id, &profile),
                };
                accounts.insert(account_id, encode(&record).as_slice()).map_err(StorageError::from)?;
                names.insert(key.as_str(), account_id).map_err(StorageError::from)?;
            }
            txn.commit().map_err(StorageError::from)?;
            Ok(recovery)
        })
    }

    fn find_account(&self, username: &str) -> Result<Option<(u64, AccountRecord)>, StorageError> {
        let txn = self.db.begin_read()?;
        let names = txn.open_table(USERNAMES)?;
        let Some(id) = names.get(username.to_lowercase().as_str())?.map(|g| g.value()) else {
            return Ok(None);
        };
        let accounts = txn.open_table(ACCOUNTS)?;
        let Some(bytes) = accounts.get(id)? else { return Ok(None) };
        Ok(Some((id, decode(bytes.value())?)))
    }

    /// Logs in with the login password. An unknown user costs the same Argon2 work and
    /// gives the same error as a wrong password.
    pub fn login(&self, username: &str, password: &str) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record)) = self.find_account(username)? else {
                let _ = password_key(password, &[0; 16], KdfParams::default());
                return Err(LoginError::WrongCredentials);
            };
            if !record.kdf.is_acceptable() {
                return Err(LoginError::Damaged);
            }
            let key = password_key(password, &record.salt, record.kdf);
            let master = unwrap_master(&key, id, &record.master_by_password)?;
            self.session(id, record, master, None)
        })
    }

    /// Opens an account with its recovery key instead of the password (break glass).
    pub fn login_with_recovery(&self, username: &str, recovery: RecoveryKey) -> Result<Session, LoginError> {
        guard(|| {
            let Some((id, record)) = self.find_account(username)? else {
                return Err(LoginError::WrongCredentials);
            };
            let master = unwrap_master(&recovery.master_wrap_key(), id, &record.master_by_recovery)?;
            self.session(id, record, master, Some(recovery))
        })
    }

    fn session(
        &self,
        account_id: u64,
        record: AccountRecord,
        master: SecretKey,
        recovery: Option<RecoveryKey>,
    ) -> Result<Session, LoginError> {
        let profile_key = derive_subkey(&master, Subkey::Profile);
        let plain = Zeroizing::new(
            open(&profile_key, &profile_aad(account_id), &record.profile).map_err(|_| LoginError::Damaged)?,
        );
        let profile: Profile = decode(&plain).map_err(|_| LoginError::Damaged)?;
        Ok(Session {
            vault: self.clone(),
            account_id,
            username: record.username,
            master,
            recovery_public: RecoveryPublicKey(record.recovery_public),
            recovery,
            profile: std::sync::RwLock::new(profile),
        })
    }
}

fn unwrap_master(key: &SecretKey, account_id: u64, sealed: &[u8]) -> Result<SecretKey, LoginError> {
    let plain = Zeroizing::new(open(key, &master_aad(account_id), sealed).map_err(|_| LoginError::WrongCredentials)?);
    SecretKey::from_slice(&plain).ok_or(LoginError::Damaged)
}

fn seal_profile(master: &SecretKey, account_id: u64, profile: &Profile) -> Vec<u8> {
    let plain = Zeroizing::new(encode(profile));
    seal(&derive_subkey(master, Subkey::Profile), &profile_aad(account_id), &plain)
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

    /// The vault this session belongs to.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Whether this session was opened with the recovery key.
    pub fn is_recovery(&self) -> bool {
        self.recovery.is_some()
    }

    /// Sets a new login password. Only the master key is re-wrapped: instant, and no
    /// photo is touched.
    pub fn change_password(&self, new_password: &str) -> Result<(), RegisterError> {
        guard(|| {
            if new_password.chars().count() < MIN_PASSWORD_LEN {
                return Err(RegisterError::WeakPassword(MIN_PASSWORD_LEN));
            }
            let salt: [u8; 16] = crate::crypto::random_array();
            let kdf = KdfParams::default();
            let key = password_key(new_password, &salt, kdf);
            self.update_record(|record| {
                record.kdf = kdf;
                record.salt = salt;
                record.master_by_password = seal(&key, &master_aad(self.account_id), self.master.expose());
            })?;
            Ok(())
        })
    }

    /// Replaces the profile (email, mail settings) and stores it sealed.
    pub fn set_profile(&self, profile: Profile) -> Result<(), RegisterError> {
        guard(|| {
            validate_email(&profile.email)?;
            let sealed = seal_profile(&self.master, self.account_id, &profile);
            self.update_record(|record| record.profile = sealed)?;
            *self.profile.write().unwrap_or_else(std::sync::PoisonError::into_inner) = profile;
            Ok(())
        })
    }

    fn update_record(&self, change: impl FnOnce(&mut AccountRecord)) -> Result<(), StorageError> {
        let txn = self.vault.begin_write()?;
        {
            let mut accounts = txn.open_table(ACCOUNTS)?;
            let mut record: AccountRecord = {
                let guard =
                    accounts.get(self.account_id)?.ok_or_else(|| StorageError("account record missing".into()))?;
                decode(guard.value())?
            };
            change(&mut record);
            accounts.insert(self.account_id, encode(&record).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }
}
