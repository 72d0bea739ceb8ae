//! The vault's layout as docs/FORMAT.md gives it, for tests that read or forge rows as an
//! outsider would (written from that page, not imported from the crate; the crate's public
//! crypto functions stand in for a crypto library).

use std::path::Path;

use serde::{Deserialize, Serialize};
use spg_core::crypto::{KdfParams, SecretKey, open, password_key};

/// `AccountRecord` as FORMAT.md lays it out.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) version: u8,
    pub(crate) username: String,
    pub(crate) generation: u32,
    pub(crate) changed_at: i64,
    pub(crate) kdf: (u32, u32, u32),
    pub(crate) salt: [u8; 16],
    pub(crate) key_by_password: Vec<u8>,
    pub(crate) key_by_recovery: Vec<u8>,
    pub(crate) recovery_public: [u8; 32],
    pub(crate) older_keys: Vec<u8>,
    pub(crate) profile: Vec<u8>,
}

/// `AK(account, g)` of FORMAT.md.
pub(crate) fn key_aad(account: u64, generation: u32) -> Vec<u8> {
    [b"secure-photo-gallery v3 account key".as_slice(), &account.to_be_bytes(), &generation.to_be_bytes()].concat()
}

/// What anyone who once knew the login password gets from a copy of the record made then
/// (or from the clear part of a backup's snapshot): the key of that generation (FORMAT.md:
/// Argon2id, then `key_by_password`), if `password` is the one.
pub(crate) fn generation_key(
    (account, generation): (u64, u32),
    kdf: (u32, u32, u32),
    salt: &[u8; 16],
    key_by_password: &[u8],
    password: &str,
) -> Option<SecretKey> {
    let (m_kib, t, p) = kdf;
    let kp = password_key(password, salt, KdfParams { m_kib, t, p });
    SecretKey::from_slice(&open(&kp, &key_aad(account, generation), key_by_password).ok()?)
}

/// [`generation_key`] of account 1's record `record`.
pub(crate) fn record_key(record: &[u8], password: &str) -> SecretKey {
    let r: AccountRecord = postcard::from_bytes(record).unwrap();
    generation_key((1, r.generation), r.kdf, &r.salt, &r.key_by_password, password).expect("the password of the record")
}

#[allow(unused_imports)] // for the tests that take the layout whole
pub(crate) use redb::{ReadableDatabase, ReadableTable, TableDefinition};

pub(crate) const HEADER: TableDefinition<&str, &[u8]> = TableDefinition::new("header");
pub(crate) const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
pub(crate) const MANIFESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("manifests");
pub(crate) const MANIFEST_BUCKETS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("manifest_buckets");
pub(crate) const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");
pub(crate) const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
pub(crate) const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
pub(crate) const PRIVATE_THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("private_thumbnails");
pub(crate) const CONTENT_HASHES: TableDefinition<(u64, &[u8; 32]), u64> = TableDefinition::new("content_hashes");
pub(crate) const LIST_INDEX: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("list_index");

/// `Profile` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize)]
pub(crate) struct Profile {
    pub(crate) email: String,
    pub(crate) smtp: Option<Smtp>,
    pub(crate) previews: u8,
    pub(crate) backup: Option<Backup>,
    pub(crate) outbox: Vec<[u8; 32]>,
}

/// The profile's `smtp`: url, from, ca_pem.
#[derive(Serialize, Deserialize)]
pub(crate) struct Smtp(pub(crate) String, pub(crate) Option<String>, pub(crate) Option<Vec<u8>>);

/// The profile's `backup`: endpoint, region, bucket, prefix, access key, secret key, last
/// backup, snapshot fingerprint.
#[derive(Serialize, Deserialize)]
pub(crate) struct Backup(String, String, String, String, String, String, i64, [u8; 32]);

/// `ManifestHead` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize)]
pub(crate) struct ManifestHead {
    pub(crate) version: u8,
    pub(crate) generation: u32,
    pub(crate) counter: u64,
    pub(crate) account_digest: [u8; 32],
    pub(crate) photo_count: u64,
    pub(crate) buckets: Vec<(u64, u64)>,
    pub(crate) recent_heads: Vec<[u8; 32]>,
}

/// A bucket's `Entry`: id, generation, record digest, previews digest.
pub(crate) type Entry = (u64, u32, [u8; 16], [u8; 16]);

/// `PhotoRecord`: the header and the sealed metadata.
#[derive(Serialize, Deserialize)]
pub(crate) struct PhotoRecord {
    pub(crate) header: Vec<u8>,
    pub(crate) meta: Vec<u8>,
}

/// `PhotoHeader` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct PhotoHeader {
    pub(crate) version: u8,
    pub(crate) generation: u32,
    pub(crate) nonce_prefix: [u8; 7],
    pub(crate) chunk_count: u32,
    pub(crate) key_by_password: Vec<u8>,
    pub(crate) key_by_recovery: Vec<u8>,
    pub(crate) ciphertext_mac: [u8; 32],
    pub(crate) content_hash: [u8; 32],
}

pub(crate) fn be64(x: u64) -> [u8; 8] {
    x.to_be_bytes()
}

/// Runs `f` in a read transaction of the vault file (as an outsider opens it with redb).
pub(crate) fn read<T>(vault: &Path, f: impl FnOnce(&redb::ReadTransaction) -> T) -> T {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_read().unwrap();
    f(&txn)
}

/// Runs `f` in a write transaction of the vault file and commits it.
pub(crate) fn edit(vault: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

pub(crate) fn vault_id(vault: &Path) -> Vec<u8> {
    read(vault, |t| t.open_table(HEADER).unwrap().get("vault_id").unwrap().unwrap().value().to_vec())
}

/// Account 1's record as stored.
pub(crate) fn account_record(vault: &Path) -> Vec<u8> {
    read(vault, |t| t.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value().to_vec())
}

/// Account 1's sealed manifest head as stored.
pub(crate) fn manifest_head(vault: &Path) -> Vec<u8> {
    read(vault, |t| t.open_table(MANIFESTS).unwrap().get(1).unwrap().unwrap().value().to_vec())
}

/// The AAD of account 1's manifest head.
pub(crate) fn head_aad(vault_id: &[u8]) -> Vec<u8> {
    [b"secure-photo-gallery v3 manifest".as_slice(), vault_id, &be64(1)].concat()
}

/// The AAD of account 1's manifest bucket starting at `first`, written at `version`.
pub(crate) fn bucket_aad(vault_id: &[u8], first: u64, version: u64) -> Vec<u8> {
    [b"secure-photo-gallery v3 manifest bucket".as_slice(), vault_id, &be64(1), &be64(first), &be64(version)].concat()
}

/// Account 1's photo `id`: its record.
pub(crate) fn photo_record(vault: &Path, id: u64) -> PhotoRecord {
    read(vault, |t| postcard::from_bytes(t.open_table(PHOTOS).unwrap().get((1, id)).unwrap().unwrap().value()).unwrap())
}

/// A photo's login preview row, if any.
pub(crate) fn thumbnail_row(vault: &Path, id: u64) -> Option<Vec<u8>> {
    read(vault, |t| t.open_table(THUMBNAILS).unwrap().get(id).unwrap().map(|g| g.value().to_vec()))
}

/// `PhotoMeta` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize)]
pub(crate) struct PhotoMeta {
    pub(crate) name: String,
    pub(crate) mime: String,
    pub(crate) bytes: u64,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) orientation: u8,
    pub(crate) taken_at: Option<String>,
    pub(crate) camera: Option<String>,
    pub(crate) has_gps: bool,
    pub(crate) imported_at: i64,
}

/// A backup's `SnapshotHead` as FORMAT.md lays it out.
#[derive(Deserialize)]
pub(crate) struct SnapshotHead {
    pub(crate) version: u8,
    pub(crate) account: u64,
    pub(crate) generation: u32,
    pub(crate) changed_at: i64,
    pub(crate) written_at: i64,
    pub(crate) kdf: (u32, u32, u32),
    pub(crate) salt: [u8; 16],
    pub(crate) key_by_password: Vec<u8>,
    pub(crate) key_by_recovery: Vec<u8>,
    pub(crate) body: Vec<u8>,
}

impl SnapshotHead {
    /// The generation's key, if `password` unwraps it.
    pub(crate) fn key(&self, password: &str) -> Option<SecretKey> {
        generation_key((self.account, self.generation), self.kdf, &self.salt, &self.key_by_password, password)
    }
}
