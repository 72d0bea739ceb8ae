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

const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
const CONTENT_HASHES: TableDefinition<(u64, &[u8; 32]), u64> = TableDefinition::new("content_hashes");

/// Every stored row of one photo of account 1, as a file writer can copy them.
#[derive(Default)]
struct PhotoRows {
    record: Vec<u8>,
    chunks: Vec<(u32, Vec<u8>)>,
    thumbnail: Vec<u8>,
    hashes: Vec<[u8; 32]>,
}

fn take_rows(vault: &std::path::Path, id: u64, remove: bool) -> PhotoRows {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    let mut rows = PhotoRows::default();
    {
        let mut photos = txn.open_table(PHOTOS).unwrap();
        rows.record = photos.get((1, id)).unwrap().unwrap().value().to_vec();
        let mut chunks = txn.open_table(CHUNKS).unwrap();
        for entry in chunks.range((id, 0)..=(id, u32::MAX)).unwrap() {
            let (k, v) = entry.unwrap();
            rows.chunks.push((k.value().1, v.value().to_vec()));
        }
        let mut thumbs = txn.open_table(THUMBNAILS).unwrap();
        rows.thumbnail = thumbs.get(id).unwrap().unwrap().value().to_vec();
        let mut hashes = txn.open_table(CONTENT_HASHES).unwrap();
        for entry in hashes.iter().unwrap() {
            let (k, v) = entry.unwrap();
            if v.value() == id {
                rows.hashes.push(*k.value().1);
            }
        }
        if remove {
            photos.remove((1, id)).unwrap();
            chunks.retain_in((id, 0)..=(id, u32::MAX), |_, _| false).unwrap();
            thumbs.remove(id).unwrap();
            for h in &rows.hashes {
                hashes.remove((1, h)).unwrap();
            }
        }
    }
    txn.commit().unwrap();
    rows
}

fn put_rows(vault: &std::path::Path, id: u64, rows: &PhotoRows) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        txn.open_table(PHOTOS).unwrap().insert((1, id), rows.record.as_slice()).unwrap();
        let mut chunks = txn.open_table(CHUNKS).unwrap();
        for (segment, bytes) in &rows.chunks {
            chunks.insert((id, *segment), bytes.as_slice()).unwrap();
        }
        txn.open_table(THUMBNAILS).unwrap().insert(id, rows.thumbnail.as_slice()).unwrap();
        let mut hashes = txn.open_table(CONTENT_HASHES).unwrap();
        for h in &rows.hashes {
            hashes.insert((1, h), id).unwrap();
        }
    }
    txn.commit().unwrap();
}

fn account_record(vault: &std::path::Path) -> Vec<u8> {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_read().unwrap();
    txn.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value().to_vec()
}

fn put_account_record(vault: &std::path::Path, bytes: &[u8]) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(ACCOUNTS).unwrap().insert(1, bytes).unwrap();
    txn.commit().unwrap();
}

/// A vault of alice with three photos; their ids.
fn three_photos(env: &Env) -> Vec<String> {
    env.register("alice");
    let paths: Vec<_> = (0..3).map(|i| write(&env.path("in"), &format!("p{i}.jpg"), &jpeg(64, 48, 10 + i))).collect();
    let (out, imported) = env.import("alice", &paths.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0));
    imported.into_iter().map(|(id, _)| id).collect()
}

fn id_number(id: &str) -> u64 {
    id.parse::<secure_photo_gallery::vault::PhotoId>().unwrap().as_u64()
}

/// `verify`, which reads every record, fails and names `id` with `what`.
fn named_by_verify(env: &Env, id: &str, what: &str) {
    let verify = env.run(&["verify", "--user", "alice"], &[]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    assert!(stdout(&verify).lines().any(|l| l.contains(id) && l.contains(what)), "{}", stdout(&verify));
}

#[test]
fn a_photo_whose_records_were_removed_is_named() {
    let env = Env::new();
    let ids = three_photos(&env);
    env.ok(&["list", "--user", "alice"], &[]); // the first list writes the index
    take_rows(&env.vault, id_number(&ids[1]), true);
    named_by_verify(&env, &ids[1], "removed");
    // `list` takes it from its index, and opening it says that it is gone.
    assert!(stdout(&env.run(&["list", "--user", "alice"], &[])).contains(&ids[1]));
    let out = env.path("gone.jpg");
    let export = env.run(&["export", "--user", "alice", "--id", &ids[1], "--out", out.to_str().unwrap()], &[]);
    assert_ne!(export.status.code(), Some(0));
    assert!(stderr(&export).contains(&ids[1]), "{}", stderr(&export));
}

#[test]
fn a_deleted_photo_put_back_is_named() {
    let env = Env::new();
    let ids = three_photos(&env);
    let rows = take_rows(&env.vault, id_number(&ids[0]), false);
    env.ok(&["delete", "--user", "alice", "--id", &ids[0]], &[]);
    put_rows(&env.vault, id_number(&ids[0]), &rows);
    named_by_verify(&env, &ids[0], "put back");
    // The manifest says which photos the account holds: `list` does not show it.
    assert!(!stdout(&env.run(&["list", "--user", "alice"], &[])).contains(&ids[0]));
}

#[test]
fn an_older_password_wrap_or_profile_put_back_is_refused() {
    let env = Env::new();
    three_photos(&env);
    let before = account_record(&env.vault);
    env.ok(&["mail", "--user", "alice", "--outbox"], &[]); // the profile is sealed anew
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", "a new and much longer password")]);
    let after = account_record(&env.vault);
    // The whole old record: the old password would open the account again.
    put_account_record(&env.vault, &before);
    let old = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(old.status.code(), Some(1));
    assert!(stderr(&old).contains("changed"), "{}", stderr(&old));
    // The new record back: the new password works.
    let new_password = [("SPG_PASSWORD", "a new and much longer password")];
    put_account_record(&env.vault, &after);
    env.ok(&["list", "--user", "alice"], &new_password);
    // Only the older profile, inside the current record.
    let mut mixed: AccountRecord = postcard::from_bytes(&after).unwrap();
    mixed.profile = postcard::from_bytes::<AccountRecord>(&before).unwrap().profile;
    assert_ne!(postcard::to_allocvec(&mixed).unwrap(), after);
    put_account_record(&env.vault, &postcard::to_allocvec(&mixed).unwrap());
    let old_profile = env.run(&["list", "--user", "alice"], &new_password);
    assert_eq!(old_profile.status.code(), Some(1));
    assert!(stderr(&old_profile).contains("changed"), "{}", stderr(&old_profile));
}

#[test]
fn a_vault_replaced_by_an_older_copy_of_itself_is_warned_of() {
    let env = Env::new();
    three_photos(&env);
    let copy = env.path("old-copy.redb");
    std::fs::copy(&env.vault, &copy).unwrap();
    let more = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 40));
    assert_eq!(env.import("alice", &[&more]).0.status.code(), Some(0));
    std::fs::copy(&copy, &env.vault).unwrap();
    let list = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(list.status.code(), Some(0), "the photos that are there still open");
    assert!(stderr(&list).contains("older than the copy last opened"), "{}", stderr(&list));
}

/// Bytes a thief sees stored for each photo of account 1: record, chunks, thumbnail.
fn stored_sizes(vault: &std::path::Path) -> Vec<(usize, usize, usize)> {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_read().unwrap();
    let (photos, chunks, thumbs) =
        (txn.open_table(PHOTOS).unwrap(), txn.open_table(CHUNKS).unwrap(), txn.open_table(THUMBNAILS).unwrap());
    let mut out = Vec::new();
    for entry in photos.iter().unwrap() {
        let (key, record) = entry.unwrap();
        let id = key.value().1;
        let data: usize = chunks.range((id, 0)..=(id, u32::MAX)).unwrap().map(|c| c.unwrap().1.value().len()).sum();
        out.push((record.value().len(), data, thumbs.get(id).unwrap().unwrap().value().len()));
    }
    out
}

#[test]
fn two_photos_that_differ_in_size_by_one_byte_are_stored_at_the_same_size() {
    let env = Env::new();
    env.register("alice");
    // 99,999 and 100,000 bytes: one Padmé bucket (100,352).
    let mut a = jpeg(120, 90, 50);
    a.resize(99_999, 0);
    let mut b = a.clone();
    b.push(0);
    let (pa, pb) = (write(&env.path("in"), "a.jpg", &a), write(&env.path("in"), "b.jpg", &b));
    assert_eq!(env.import("alice", &[&pa, &pb]).1.len(), 2);
    let sizes = stored_sizes(&env.vault);
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0], sizes[1], "a thief can tell the photos apart by their stored sizes");
    // And each still exports to its exact bytes.
    let out = env.path("out");
    env.export_all("alice", &out, &env.emails());
    assert_eq!(std::fs::read(out.join("a.jpg")).unwrap(), a);
    assert_eq!(std::fs::read(out.join("b.jpg")).unwrap(), b);
}

#[test]
fn absurd_stored_argon2_costs_are_refused_with_a_clear_message() {
    let env = Env::new();
    env.register("alice");
    let stored = account_record(&env.vault);
    for kdf in [(4_000_000_000, 3, 2), (65_536, 1_000_000, 2), (65_536, 3, 0), (1024, 1, 1)] {
        let mut record: AccountRecord = postcard::from_bytes(&stored).unwrap();
        record.kdf = kdf;
        put_account_record(&env.vault, &postcard::to_allocvec(&record).unwrap());
        let out = env.run(&["list", "--user", "alice"], &[]);
        assert_eq!(out.status.code(), Some(1), "{kdf:?}");
        assert!(stderr(&out).contains("outside what Secure Photo Gallery accepts"), "{kdf:?}: {}", stderr(&out));
    }
}

const MANIFESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("manifests");
const HEADER: TableDefinition<&str, &[u8]> = TableDefinition::new("header");

/// `ManifestHead` as FORMAT.md lays it out.
#[derive(Serialize, Deserialize)]
struct ManifestHead {
    version: u8,
    counter: u64,
    account_digest: [u8; 32],
    photo_count: u64,
    bucket_versions: Vec<u64>,
    recent_heads: Vec<[u8; 32]>,
}

/// What anyone who once knew the login password gets from any copy of the file: the
/// account's master key (FORMAT.md: Argon2id, then `master_by_password`).
fn master_key(vault: &std::path::Path, password: &str) -> secure_photo_gallery::crypto::SecretKey {
    use secure_photo_gallery::crypto::{KdfParams, SecretKey, open, password_key};
    let record: AccountRecord = postcard::from_bytes(&account_record(vault)).unwrap();
    let (m_kib, t, p) = record.kdf;
    let key = password_key(password, &record.salt, KdfParams { m_kib, t, p });
    let aad = [b"secure-photo-gallery v1 master".as_slice(), &1u64.to_be_bytes()].concat();
    SecretKey::from_slice(&open(&key, &aad, &record.master_by_password).unwrap()).unwrap()
}

#[test]
fn a_former_login_holder_who_can_write_the_file_cannot_repoint_the_recovery_key() {
    use secure_photo_gallery::crypto::{Subkey, derive_subkey, keyed_hash, open, seal};
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 90));
    assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));
    // The login leaks once; the owner changes the password (the master key stays).
    let master = master_key(&env.vault, common::PASSWORD);
    let new_password = [("SPG_PASSWORD", "a brand new password nobody knows")];
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", new_password[0].1)]);
    // With write access only, the attacker points the recovery key at their own and
    // re-seals the manifest head around the changed record, with the master key.
    let attacker = RecoveryKey::generate();
    {
        let db = redb::Database::create(&env.vault).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let vault_id = txn.open_table(HEADER).unwrap().get("vault_id").unwrap().unwrap().value().to_vec();
            let key = derive_subkey(&master, Subkey::Manifest);
            let aad = [b"secure-photo-gallery v2 manifest".as_slice(), &vault_id, &1u64.to_be_bytes()].concat();
            let mut accounts = txn.open_table(ACCOUNTS).unwrap();
            let mut record: AccountRecord = postcard::from_bytes(accounts.get(1).unwrap().unwrap().value()).unwrap();
            record.recovery_public = attacker.public_key().0;
            let bytes = postcard::to_allocvec(&record).unwrap();
            accounts.insert(1, bytes.as_slice()).unwrap();
            let mut heads = txn.open_table(MANIFESTS).unwrap();
            let sealed = heads.get(1).unwrap().unwrap().value().to_vec();
            let mut head: ManifestHead = postcard::from_bytes(&open(&key, &aad, &sealed).unwrap()).unwrap();
            head.account_digest =
                keyed_hash(&key, &[b"secure-photo-gallery v2 account record".as_slice(), &bytes].concat());
            heads.insert(1, seal(&key, &aad, &postcard::to_allocvec(&head).unwrap()).as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    // The owner's next import, on the computer that knew the account, stops at the login.
    let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 91));
    let args = ["import", "--user", "alice", later.to_str().unwrap()];
    let out = env.run(&args, &new_password);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("recovery key is not the one this computer knew"), "{}", stderr(&out));
    for (id, sealed) in keys_by_recovery(&env.vault) {
        assert!(attacker.open_photo_key(id, &sealed).is_err(), "photo {id} is sealed to the attacker");
    }
}

#[test]
fn a_vault_forked_elsewhere_and_put_back_is_warned_of_and_fails_verify() {
    let env = Env::new();
    three_photos(&env);
    // Another computer (its own vault folder and configuration folder) gets a copy.
    let elsewhere = Env::new();
    std::fs::create_dir_all(elsewhere.vault.parent().unwrap()).unwrap();
    std::fs::copy(&env.vault, &elsewhere.vault).unwrap();
    // This computer goes on: one more photo; the other one works on its copy just as much.
    let here = write(&env.path("in"), "here.jpg", &jpeg(64, 48, 92));
    assert_eq!(env.import("alice", &[&here]).0.status.code(), Some(0));
    let there = write(&env.path("in"), "there.jpg", &jpeg(64, 48, 93));
    assert_eq!(elsewhere.import("alice", &[&there]).0.status.code(), Some(0));
    // The sync service hands that copy back: same counter, another history.
    std::fs::copy(&elsewhere.vault, &env.vault).unwrap();
    let list = env.run(&["list", "--user", "alice"], &[]);
    assert!(stderr(&list).contains("not the copy last opened on this computer"), "{}", stderr(&list));
    let verify = env.run(&["verify", "--user", "alice"], &[]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    // A write does not make the warning go away.
    let more = write(&env.path("in"), "more.jpg", &jpeg(64, 48, 94));
    assert_eq!(env.import("alice", &[&more]).0.status.code(), Some(0));
    let again = env.run(&["list", "--user", "alice"], &[]);
    assert!(stderr(&again).contains("not the copy last opened on this computer"), "{}", stderr(&again));
    // The owner who restored this copy on purpose accepts it; the warning is gone.
    env.ok(&["verify", "--user", "alice", "--accept-this-copy"], &[]);
    let accepted = env.run(&["list", "--user", "alice"], &[]);
    assert!(!stderr(&accepted).contains("warning"), "{}", stderr(&accepted));
}

#[test]
fn a_put_back_duplicate_index_entry_does_not_block_importing_the_photo_again() {
    let env = Env::new();
    env.register("alice");
    let photo = write(&env.path("in"), "p.jpg", &jpeg(64, 48, 95));
    let (_, imported) = env.import("alice", &[&photo]);
    let id = imported[0].0.clone();
    let rows = take_rows(&env.vault, id_number(&id), false);
    env.ok(&["delete", "--user", "alice", "--id", &id], &[]);
    // Only the duplicate-index entry is put back.
    {
        let db = redb::Database::create(&env.vault).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(CONTENT_HASHES).unwrap().insert((1, &rows.hashes[0]), id_number(&id)).unwrap();
        txn.commit().unwrap();
    }
    let (out, again) = env.import("alice", &[&photo]);
    assert_eq!(again.len(), 1, "the photo was taken for a duplicate: {}", stdout(&out));
    assert_eq!(env.list_json("alice").len(), 1);
    env.ok(&["verify", "--user", "alice"], &[]);
}
