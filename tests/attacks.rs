//! Attacks by the parties of docs/SECURITY.md's threat model, run against the real binary
//! and a vault file edited the way an outsider would edit it: with redb and the layout of
//! docs/FORMAT.md alone (the record types here are written from that page, not imported
//! from the crate).

mod common;

use common::{Env, jpeg, stderr, stdout, write};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use secure_photo_gallery::crypto::RecoveryKey;
use serde::{Deserialize, Serialize};

const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");

/// `AccountRecord` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize)]
struct AccountRecord {
    version: u8,
    username: String,
    kdf: (u32, u32, u32),
    salt: [u8; 16],
    master_by_password: Vec<u8>,
    master_by_recovery: Vec<u8>,
    recovery_public: [u8; 32],
    profile: Vec<u8>,
}

/// `PhotoRecord` and the fields of its header up to the recovery-sealed key.
#[derive(Deserialize)]
struct PhotoRecord {
    header: Vec<u8>,
    _meta: Vec<u8>,
}

/// The account's recovery-sealed photo keys, read from the file as an outsider would.
fn keys_by_recovery(vault: &std::path::Path) -> Vec<(u64, Vec<u8>)> {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_read().unwrap();
    let photos = txn.open_table(PHOTOS).unwrap();
    let mut out = Vec::new();
    for entry in photos.iter().unwrap() {
        let (key, value) = entry.unwrap();
        let record: PhotoRecord = postcard::from_bytes(value.value()).unwrap();
        out.push((key.value().1, recovery_sealed_key(&record.header)));
    }
    out
}

/// The `key_by_recovery` field of a photo header (FORMAT.md: the bytes after
/// `key_by_password`).
fn recovery_sealed_key(header: &[u8]) -> Vec<u8> {
    #[derive(Deserialize)]
    struct Header {
        _version: u8,
        _nonce_prefix: [u8; 7],
        _chunk_count: u32,
        _key_by_password: Vec<u8>,
        key_by_recovery: Vec<u8>,
    }
    postcard::from_bytes::<Header>(header).unwrap().key_by_recovery
}

/// Replaces the stored recovery public key of account 1, as a file writer could.
fn replace_recovery_public(vault: &std::path::Path, public: [u8; 32]) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut accounts = txn.open_table(ACCOUNTS).unwrap();
        let mut record: AccountRecord = postcard::from_bytes(accounts.get(1).unwrap().unwrap().value()).unwrap();
        record.recovery_public = public;
        accounts.insert(1, postcard::to_allocvec(&record).unwrap().as_slice()).unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn a_file_writer_who_replaces_the_recovery_key_gets_no_photo_key() {
    let attacker = RecoveryKey::generate();
    for (label, public) in [("the attacker's own key", attacker.public_key().0), ("the zero point", [0u8; 32])] {
        let env = Env::new();
        env.register("alice");
        let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 1));
        assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));

        replace_recovery_public(&env.vault, public);

        // The next login (any command) reports damage, and nothing is imported.
        let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 2));
        let (out, imported) = env.import("alice", &[&later]);
        assert_eq!(out.status.code(), Some(1), "{label}: {}{}", stdout(&out), stderr(&out));
        assert!(imported.is_empty(), "{label}: a photo was imported after the tampering");
        assert!(stderr(&out).contains("damaged") || stderr(&out).contains("changed"), "{label}: {}", stderr(&out));
        let verify = env.run(&["verify", "--user", "alice"], &[]);
        assert_eq!(verify.status.code(), Some(1), "{label}: verify noticed nothing");

        // And no photo key in the file opens with the attacker's key.
        for (id, sealed) in keys_by_recovery(&env.vault) {
            assert!(attacker.open_photo_key(id, &sealed).is_err(), "{label}: photo {id} is sealed to the attacker");
        }
    }
}
