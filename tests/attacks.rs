//! Attacks by the parties of docs/SECURITY.md's threat model, run against the real binary
//! and a vault file edited the way an outsider would edit it: with redb and the layout of
//! docs/FORMAT.md alone (the record types here are written from that page, not imported
//! from the crate; the crate's public crypto functions stand in for a crypto library).
//!
//! The numbered attacks are those of an outside review of format 2 (issue 27): each worked
//! then, and each must fail now.

mod common;

use std::path::Path;

use common::layout::*;
use common::{Env, PASSWORD, jpeg, stderr, stdout, write};
use serde::{Deserialize, Serialize};
use spg_core::crypto::{RecoveryKey, SecretKey, Subkey, derive_subkey, keyed_hash, open, seal};

/// Account 1's manifest bucket rows as they are stored (an outsider's copy).
fn bucket_rows(vault: &Path) -> Vec<((u64, u64), Vec<u8>)> {
    let db = redb::Database::open(vault).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(MANIFEST_BUCKETS).unwrap();
    table.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect()
}

fn account_digest(manifest_key: &SecretKey, record: &[u8]) -> [u8; 32] {
    keyed_hash(manifest_key, &[b"secure-photo-gallery v3 account record".as_slice(), record].concat())
}

/// Someone with the key `k` of generation `record`'s and write access makes the vault's
/// account 1 theirs: the record `record` (changed as they like), and a manifest sealed
/// around it for the vault id `new_vault_id`, holding the photos `entries` (taken from a
/// copy made while they knew the password, sealed for `old_vault_id`).
fn reseal_account(vault: &Path, k: &SecretKey, record: &AccountRecord, old: (&[u8], &[u8]), new_vault_id: &[u8]) {
    let (old_vault_id, old_head) = old;
    let mk = derive_subkey(k, Subkey::Manifest);
    let mut head: ManifestHead = postcard::from_bytes(&open(&mk, &head_aad(old_vault_id), old_head).unwrap()).unwrap();
    let bytes = postcard::to_allocvec(record).unwrap();
    head.account_digest = account_digest(&mk, &bytes);
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        txn.open_table(HEADER).unwrap().insert("vault_id", new_vault_id).unwrap();
        txn.open_table(ACCOUNTS).unwrap().insert(1, bytes.as_slice()).unwrap();
        let mut buckets = txn.open_table(MANIFEST_BUCKETS).unwrap();
        let mut entries: Vec<Entry> = Vec::new();
        for &(first, version) in &head.buckets {
            let sealed = buckets.get((1, first)).unwrap().unwrap().value().to_vec();
            // A bucket of the old copy (the attacker saved its rows).
            if let Ok(plain) = open(&mk, &bucket_aad(old_vault_id, first, version), &sealed) {
                entries.extend(postcard::from_bytes::<Vec<Entry>>(&plain).unwrap());
            }
        }
        buckets.retain(|_, _| false).unwrap();
        head.buckets = vec![(0, head.counter)];
        head.photo_count = entries.len() as u64;
        let sealed = seal(&mk, &bucket_aad(new_vault_id, 0, head.counter), &postcard::to_allocvec(&entries).unwrap());
        buckets.insert((1, 0), sealed.as_slice()).unwrap();
        let sealed = seal(&mk, &head_aad(new_vault_id), &postcard::to_allocvec(&head).unwrap());
        txn.open_table(MANIFESTS).unwrap().insert(1, sealed.as_slice()).unwrap();
        txn.open_table(LIST_INDEX).unwrap().retain(|_, _| false).unwrap();
    }
    txn.commit().unwrap();
}

/// Puts account 1's manifest rows of an older copy back (`head` and `buckets`).
fn put_manifest(vault: &Path, head: &[u8], buckets: &[((u64, u64), Vec<u8>)]) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        txn.open_table(MANIFESTS).unwrap().insert(1, head).unwrap();
        let mut table = txn.open_table(MANIFEST_BUCKETS).unwrap();
        table.retain(|_, _| false).unwrap();
        for (key, value) in buckets {
            table.insert(*key, value.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

fn put_account_record(vault: &Path, bytes: &[u8]) {
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(ACCOUNTS).unwrap().insert(1, bytes).unwrap();
    txn.commit().unwrap();
}

/// The `key_by_recovery` field of a photo header (FORMAT.md: the bytes after
/// `key_by_password`).
fn recovery_sealed_key(header: &[u8]) -> Vec<u8> {
    #[derive(Deserialize)]
    struct Header {
        _version: u8,
        _generation: u32,
        _nonce_prefix: [u8; 7],
        _chunk_count: u32,
        _key_by_password: Vec<u8>,
        key_by_recovery: Vec<u8>,
    }
    postcard::from_bytes::<Header>(header).unwrap().key_by_recovery
}

/// The account's recovery-sealed photo keys, read from the file as an outsider would.
fn keys_by_recovery(vault: &Path) -> Vec<(u64, Vec<u8>)> {
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

/// Alice, one photo, and what someone who knows her password keeps: a copy of the file
/// and the password. Then she changes the password, as the person this app is for does
/// when someone else learned it.
struct Leaked {
    env: Env,
    copy: std::path::PathBuf,
    new_password: &'static str,
}

fn leaked_then_changed() -> Leaked {
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 1));
    assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));
    let copy = env.path("copy-made-while-the-password-was-known.redb");
    std::fs::copy(&env.vault, &copy).unwrap();
    let new_password = "a brand new password nobody knows";
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", new_password)]);
    Leaked { env, copy, new_password }
}

/// The owner's next import on the computer that knew the account: it must store nothing,
/// and no photo key may open with the attacker's recovery key.
fn nothing_reaches(attacker: &RecoveryKey, leak: &Leaked, said: &str) {
    let env = &leak.env;
    let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 2));
    let args = ["import", "--user", "alice", later.to_str().unwrap()];
    let out = env.run(&args, &[("SPG_PASSWORD", leak.new_password)]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("imported"), "{}", stdout(&out));
    assert!(stderr(&out).contains(said), "{}", stderr(&out));
    for (id, sealed) in keys_by_recovery(&env.vault) {
        assert!(attacker.open_photo_key(id, &sealed).is_err(), "photo {id} is sealed to the attacker");
    }
    for command in [&["list", "--user", "alice"][..], &["verify", "--user", "alice"]] {
        let out = env.run(command, &[("SPG_PASSWORD", leak.new_password)]);
        assert_eq!(out.status.code(), Some(1), "{command:?} saw nothing: {}", stdout(&out));
    }
}

#[test]
fn attack_1_a_new_vault_id_and_a_planted_recovery_key_with_an_old_password_reach_nothing() {
    let leak = leaked_then_changed();
    let attacker = RecoveryKey::generate();
    let old_record = {
        let db = redb::Database::open(&leak.copy).unwrap();
        let txn = db.begin_read().unwrap();
        txn.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value().to_vec()
    };
    let k1 = record_key(&old_record, PASSWORD);
    let old = (vault_id(&leak.copy), manifest_head(&leak.copy));
    let new_id: [u8; 16] = spg_core::crypto::random_array();
    // (a) The current record, the recovery key replaced, the manifest sealed again with the
    // key the old password gives, under a new vault id: the new generation's key opens no
    // such manifest.
    let saved = std::fs::read(&leak.env.vault).unwrap();
    let mut current: AccountRecord = postcard::from_bytes(&account_record(&leak.env.vault)).unwrap();
    assert_eq!(current.generation, 2, "the password change began generation 2");
    current.recovery_public = attacker.public_key().0;
    reseal_account(&leak.env.vault, &k1, &current, (&old.0, &old.1), &new_id);
    nothing_reaches(&attacker, &leak, "changed");
    // (b) The old copy's record (generation 1, which the old password opens) put back with
    // the attacker's recovery key, and its manifest sealed around it for a new vault id:
    // the owner's password does not open it, and this computer knows why.
    std::fs::write(&leak.env.vault, &saved).unwrap();
    let mut old_one: AccountRecord = postcard::from_bytes(&old_record).unwrap();
    old_one.recovery_public = attacker.public_key().0;
    reseal_account(&leak.env.vault, &k1, &old_one, (&old.0, &old.1), &new_id);
    nothing_reaches(&attacker, &leak, "older than the one this computer last opened");
}

#[test]
fn attack_2_a_profile_sealed_with_the_old_password_does_not_redirect_the_emails() {
    let leak = leaked_then_changed();
    let old_record = {
        let db = redb::Database::open(&leak.copy).unwrap();
        let txn = db.begin_read().unwrap();
        txn.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value().to_vec()
    };
    let k1 = record_key(&old_record, PASSWORD);
    // The attacker's address and server, sealed as the profile is, with the key they have.
    let profile = Profile {
        email: "attacker@example.com".into(),
        smtp: Some(Smtp("smtp://127.0.0.1:2525".into(), None, None)),
        previews: 0,
        backup: None,
        outbox: Vec::new(),
    };
    let aad = [b"secure-photo-gallery v1 profile".as_slice(), &be64(1)].concat();
    let sealed = spg_core::crypto::seal_padded(
        &derive_subkey(&k1, Subkey::Profile),
        &aad,
        &postcard::to_allocvec(&profile).unwrap(),
    );
    let mut current: AccountRecord = postcard::from_bytes(&account_record(&leak.env.vault)).unwrap();
    current.profile = sealed;
    put_account_record(&leak.env.vault, &postcard::to_allocvec(&current).unwrap());
    let emails = leak.env.emails().len();
    nothing_reaches(&RecoveryKey::generate(), &leak, "changed");
    assert_eq!(leak.env.emails().len(), emails, "no password email was written for anyone");
}

#[test]
fn attack_3_rows_put_back_after_a_settings_change_make_the_account_read_only() {
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 3));
    let (_, imported) = env.import("alice", &[&first]);
    let id = imported[0].0.clone();
    // A file writer with no key saves two rows' worth of state…
    let record = account_record(&env.vault);
    let head = manifest_head(&env.vault);
    let buckets = bucket_rows(&env.vault);
    // …the owner changes a setting (the address their emails go to)…
    env.ok(&["mail", "--user", "alice", "--email", "alice.new@example.com"], &[]);
    // …and the old rows go back: consistent, and older than what this computer saw.
    put_account_record(&env.vault, &record);
    put_manifest(&env.vault, &head, &buckets);
    let emails = env.emails().len();
    let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 4));
    let (out, imported) = env.import("alice", &[&later]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(imported.is_empty());
    assert!(stderr(&out).contains("older than the copy last opened"), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(env.emails().len(), emails, "no password email was written");
    // No delete, no settings change, no outbox; the photos still open and export.
    for command in [
        &["delete", "--user", "alice", "--id", &id][..],
        &["mail", "--user", "alice", "--outbox"],
        &["passwd", "--user", "alice"],
    ] {
        let out = env.run(command, &[("SPG_NEW_PASSWORD", "another good passphrase")]);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {}", stdout(&out));
        assert!(stderr(&out).contains("read-only"), "{command:?}: {}", stderr(&out));
    }
    let out_file = env.path("first-out.jpg");
    env.ok(
        &["export", "--user", "alice", "--id", &id, "--out", out_file.to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", &env.password_of(&id))],
    );
    assert_eq!(std::fs::read(&out_file).unwrap(), std::fs::read(&first).unwrap());
    assert_eq!(env.run(&["verify", "--user", "alice"], &[]).status.code(), Some(1));
    // The owner who put this copy back on purpose accepts it; then writing goes on.
    env.ok(&["verify", "--user", "alice", "--accept-this-copy"], &[]);
    assert_eq!(env.import("alice", &[&later]).1.len(), 1);
}

#[test]
fn attack_6_a_hostile_email_file_is_refused_plainly() {
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 5));
    let (_, imported) = env.import("alice", &[&first]);
    let mut deep = "From: a@b.c\nContent-Type: message/rfc822\n\n".repeat(140_000);
    deep.push_str(&format!("From: a@b.c\nSubject: x\n\nPhoto {} (x.jpg): ABCDE-FGHJK-MNPQR-STVWX\n", imported[0].0));
    let file = write(&env.path("in"), "deep.eml", deep.as_bytes());
    let out_dir = env.path("out");
    let out = env.run(
        &[
            "export",
            "--user",
            "alice",
            "--all",
            "--out",
            out_dir.to_str().unwrap(),
            "--passwords-file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "not a crash: {}", stderr(&out));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
}

#[test]
#[cfg(target_os = "linux")]
fn attack_7_the_program_dumps_no_core() {
    // The binary waits on a FIFO (its passwords file): its limits can be read meanwhile.
    let env = Env::new();
    env.register("alice");
    let fifo = env.path("passwords.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out_dir = env.path("out");
    let mut child = env.command_for_pipe(&[
        "export",
        "--user",
        "alice",
        "--all",
        "--out",
        out_dir.to_str().unwrap(),
        "--passwords-file",
        fifo.to_str().unwrap(),
    ]);
    // The limit is set first thing in `main`; the process then waits on the FIFO for as
    // long as the test likes (the limits read right after the start may be the parent's).
    let limits = std::path::PathBuf::from(format!("/proc/{}/limits", child.id()));
    let core = || {
        let text = std::fs::read_to_string(&limits).unwrap_or_default();
        let line = text.lines().find(|l| l.starts_with("Max core file size")).unwrap_or_default().to_string();
        line.split_whitespace().skip(4).take(2).map(str::to_string).collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while core() != ["0", "0"] && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let seen = core();
    // Let it go on: open the FIFO's other end and close it.
    drop(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap());
    let _ = child.wait();
    assert_eq!(seen, ["0", "0"], "no core file, soft and hard limit");
}

#[test]
fn attack_8_a_password_a_fast_computer_guesses_in_weeks_is_refused() {
    let env = Env::new();
    // zxcvbn's score 3: about 10^8 to 10^10 guesses.
    let out = env
        .run(&["register", "--user", "alice", "--email", "alice@example.com"], &[("SPG_PASSWORD", "Monkey4Banana!")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("too easy to guess"), "{}", stderr(&out));
}

#[test]
fn a_file_writer_who_replaces_the_recovery_key_gets_no_photo_key() {
    let attacker = RecoveryKey::generate();
    for (label, public) in [("the attacker's own key", attacker.public_key().0), ("the zero point", [0u8; 32])] {
        let env = Env::new();
        env.register("alice");
        let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 1));
        assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));
        let mut record: AccountRecord = postcard::from_bytes(&account_record(&env.vault)).unwrap();
        record.recovery_public = public;
        put_account_record(&env.vault, &postcard::to_allocvec(&record).unwrap());

        // The next login (any command) reports damage, and nothing is imported.
        let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 2));
        let (out, imported) = env.import("alice", &[&later]);
        assert_eq!(out.status.code(), Some(1), "{label}: {}{}", stdout(&out), stderr(&out));
        assert!(imported.is_empty(), "{label}: a photo was imported after the tampering");
        assert!(stderr(&out).contains("damaged") || stderr(&out).contains("changed"), "{label}: {}", stderr(&out));
        let verify = env.run(&["verify", "--user", "alice"], &[]);
        assert_eq!(verify.status.code(), Some(1), "{label}: verify noticed nothing");
        for (id, sealed) in keys_by_recovery(&env.vault) {
            assert!(attacker.open_photo_key(id, &sealed).is_err(), "{label}: photo {id} is sealed to the attacker");
        }
    }
}

/// Every stored row of one photo of account 1, as a file writer can copy them.
#[derive(Default)]
struct PhotoRows {
    record: Vec<u8>,
    chunks: Vec<(u32, Vec<u8>)>,
    thumbnail: Vec<u8>,
    hashes: Vec<[u8; 32]>,
}

fn take_rows(vault: &Path, id: u64, remove: bool) -> PhotoRows {
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

fn put_rows(vault: &Path, id: u64, rows: &PhotoRows) {
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

/// A vault of alice with three photos; their ids.
fn three_photos(env: &Env) -> Vec<String> {
    env.register("alice");
    let paths: Vec<_> = (0..3).map(|i| write(&env.path("in"), &format!("p{i}.jpg"), &jpeg(64, 48, 10 + i))).collect();
    let (out, imported) = env.import("alice", &paths.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0));
    imported.into_iter().map(|(id, _)| id).collect()
}

fn id_number(id: &str) -> u64 {
    id.parse::<spg_core::vault::PhotoId>().unwrap().as_u64()
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
fn one_photos_rows_put_in_place_of_anothers_are_named_and_never_opened() {
    let env = Env::new();
    let ids = three_photos(&env);
    // The record and data of p0 copied over p1's: both were sealed by the program, so
    // only the manifest's digests tell that p1's rows are not p1's.
    let rows = take_rows(&env.vault, id_number(&ids[0]), false);
    put_rows(&env.vault, id_number(&ids[1]), &PhotoRows { hashes: Vec::new(), ..rows });
    named_by_verify(&env, &ids[1], "record was changed or replaced");
    let out = env.path("p1.jpg");
    let export = env.run(
        &["export", "--user", "alice", "--id", &ids[1], "--out", out.to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", &env.password_of(&ids[1]))],
    );
    assert_eq!(export.status.code(), Some(1), "{}", stdout(&export));
    assert!(!out.exists());
}

#[test]
fn an_older_key_wrap_or_profile_put_back_is_refused() {
    let env = Env::new();
    three_photos(&env);
    let before = account_record(&env.vault);
    env.ok(&["mail", "--user", "alice", "--outbox"], &[]); // the profile is sealed anew
    let after_mail = account_record(&env.vault);
    // The whole older record of the same generation: refused.
    put_account_record(&env.vault, &before);
    let old = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(old.status.code(), Some(1));
    assert!(stderr(&old).contains("changed"), "{}", stderr(&old));
    put_account_record(&env.vault, &after_mail);
    env.ok(&["list", "--user", "alice"], &[]);
    // Only the older profile, inside the current record.
    let mut mixed: AccountRecord = postcard::from_bytes(&after_mail).unwrap();
    mixed.profile = postcard::from_bytes::<AccountRecord>(&before).unwrap().profile;
    assert_ne!(postcard::to_allocvec(&mixed).unwrap(), after_mail);
    put_account_record(&env.vault, &postcard::to_allocvec(&mixed).unwrap());
    let old_profile = env.run(&["list", "--user", "alice"], &[]);
    assert_eq!(old_profile.status.code(), Some(1));
    assert!(stderr(&old_profile).contains("changed"), "{}", stderr(&old_profile));
    // After a password change, the record from before it: the new password does not open
    // it, and this computer says why.
    put_account_record(&env.vault, &after_mail);
    let new_password = [("SPG_PASSWORD", "a new and much longer password")];
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", new_password[0].1)]);
    put_account_record(&env.vault, &after_mail);
    let older = env.run(&["list", "--user", "alice"], &new_password);
    assert_eq!(older.status.code(), Some(1));
    assert!(stderr(&older).contains("older than the one this computer last opened"), "{}", stderr(&older));
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

#[test]
fn another_vault_put_at_the_path_of_a_known_one_is_warned_of() {
    let env = Env::new();
    three_photos(&env);
    // Another vault with an account of the same name, made elsewhere.
    let other = Env::new();
    other.register_fresh("alice");
    std::fs::copy(&other.vault, &env.vault).unwrap();
    let list = env.run(&["list", "--user", "alice"], &[]);
    assert!(stderr(&list).contains("not the vault this computer last opened at this place"), "{}", stderr(&list));
    let later = write(&env.path("in"), "later.jpg", &jpeg(64, 48, 41));
    let (out, imported) = env.import("alice", &[&later]);
    assert_eq!(out.status.code(), Some(1));
    assert!(imported.is_empty(), "read-only until accepted");
    env.ok(&["verify", "--user", "alice", "--accept-this-copy"], &[]);
    assert_eq!(env.import("alice", &[&later]).1.len(), 1);
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
    let db = redb::Database::open(&env.vault).unwrap();
    let txn = db.begin_read().unwrap();
    let (photos, chunks, thumbs) =
        (txn.open_table(PHOTOS).unwrap(), txn.open_table(CHUNKS).unwrap(), txn.open_table(THUMBNAILS).unwrap());
    let mut sizes = Vec::new();
    for entry in photos.iter().unwrap() {
        let (key, record) = entry.unwrap();
        let id = key.value().1;
        let data: usize = chunks.range((id, 0)..=(id, u32::MAX)).unwrap().map(|c| c.unwrap().1.value().len()).sum();
        sizes.push((record.value().len(), data, thumbs.get(id).unwrap().unwrap().value().len()));
    }
    drop((photos, chunks, thumbs, txn, db));
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0], sizes[1], "a thief can tell the photos apart by their stored sizes");
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
    // Nothing is written while the warning stands.
    let more = write(&env.path("in"), "more.jpg", &jpeg(64, 48, 94));
    assert_eq!(env.import("alice", &[&more]).0.status.code(), Some(1));
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

#[test]
fn a_photo_record_sealed_again_with_an_old_password_is_not_taken() {
    use spg_core::crypto::{open_padded, seal_padded};
    let leak = leaked_then_changed();
    let env = &leak.env;
    let old_record = {
        let db = redb::Database::open(&leak.copy).unwrap();
        let txn = db.begin_read().unwrap();
        txn.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value().to_vec()
    };
    let k1 = record_key(&old_record, PASSWORD);
    #[derive(Serialize, Deserialize)]
    struct Record {
        header: Vec<u8>,
        meta: Vec<u8>,
    }
    // The photo was imported in generation 1: its metadata is sealed under a key they have.
    // They give it another name, seal it again, and drop the list index that holds the true
    // one.
    let db = redb::Database::create(&env.vault).unwrap();
    let txn = db.begin_write().unwrap();
    let id = {
        let mut photos = txn.open_table(PHOTOS).unwrap();
        let (key, value) = {
            let (k, v) = photos.iter().unwrap().next().unwrap().unwrap();
            (k.value(), v.value().to_vec())
        };
        let mut record: Record = postcard::from_bytes(&value).unwrap();
        let aad = [b"secure-photo-gallery v1 metadata".as_slice(), &be64(1), &be64(key.1), &record.header].concat();
        let meta_key = derive_subkey(&k1, Subkey::Metadata);
        let mut meta: PhotoMeta = postcard::from_bytes(&open_padded(&meta_key, &aad, &record.meta).unwrap()).unwrap();
        meta.name = "attacker.jpg".into();
        record.meta = seal_padded(&meta_key, &aad, &postcard::to_allocvec(&meta).unwrap());
        photos.insert(key, postcard::to_allocvec(&record).unwrap().as_slice()).unwrap();
        txn.open_table(LIST_INDEX).unwrap().retain(|_, _| false).unwrap();
        key.1
    };
    txn.commit().unwrap();
    drop(db);
    let now = [("SPG_PASSWORD", leak.new_password)];
    let list = env.run(&["list", "--user", "alice"], &now);
    assert!(!stdout(&list).contains("attacker.jpg"), "{}", stdout(&list));
    let verify = env.run(&["verify", "--user", "alice"], &now);
    assert_eq!(verify.status.code(), Some(1));
    // FORMAT.md: 12 Crockford symbols, most significant first.
    let id: String =
        (0..12).rev().map(|i| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"[((id >> (5 * i)) & 31) as usize] as char).collect();
    assert!(
        stdout(&verify).lines().any(|l| l.contains(&id) && l.contains("record was changed")),
        "{}",
        stdout(&verify)
    );
}

// An outside review of format 3 found the attacks below; each worked then and must fail
// now. Each starts from `leaked`: alice with one photo, a copy of her account record taken
// by someone who knew her password, then a password change.

const NEW: &str = "a brand new password nobody knows";

/// Alice with `contract.jpg`, the key of generation 1 as the old password gives it, then
/// the password change. Returns the env, that key and the photo's id.
fn leaked() -> (Env, SecretKey, String) {
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "contract.jpg", &jpeg(64, 48, 1));
    let (_, imported) = env.import("alice", &[&first]);
    let k1 = record_key(&account_record(&env.vault), PASSWORD);
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", NEW)]);
    (env, k1, imported[0].0.clone())
}

#[test]
fn a_record_forged_with_an_old_key_does_not_keep_a_chosen_file_out_as_a_duplicate() {
    let (env, k1, _) = leaked();
    // The file the attacker wants kept out of the vault (they know or guess its bytes): a
    // content-hash row and a record that is only a header carrying its hash, under the old
    // generation's key, listed nowhere.
    let target = jpeg(90, 60, 42);
    let hash = keyed_hash(&derive_subkey(&k1, Subkey::ContentHash), blake3::hash(&target).as_bytes());
    let fake_id = 0x0123_4567_89ab_u64;
    let header = PhotoHeader {
        version: 3,
        generation: 1,
        nonce_prefix: [0; 7],
        chunk_count: 1,
        key_by_password: vec![0; 72],
        key_by_recovery: vec![0; 104],
        ciphertext_mac: [0; 32],
        content_hash: hash,
    };
    let record = PhotoRecord { header: postcard::to_allocvec(&header).unwrap(), meta: vec![0; 60] };
    edit(&env.vault, |txn| {
        txn.open_table(CONTENT_HASHES).unwrap().insert((1, &hash), fake_id).unwrap();
        let bytes = postcard::to_allocvec(&record).unwrap();
        txn.open_table(PHOTOS).unwrap().insert((1, fake_id), bytes.as_slice()).unwrap();
    });
    let now = [("SPG_PASSWORD", NEW)];
    let file = write(&env.path("in2"), "evidence.jpg", &target);
    let out = env.run(&["import", "--user", "alice", file.to_str().unwrap()], &now);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains("duplicate"), "{}", stdout(&out));
    assert!(env.ok(&["list", "--user", "alice"], &now).contains("evidence.jpg"));
}

#[test]
fn chunks_forged_with_a_photo_key_once_known_are_not_exported() {
    use spg_core::crypto::{PhotoPassword, StreamEncryptor, derive_photo_wrap_key, padme};
    let (env, k1, id) = leaked();
    let number = id_number(&id);
    let original = std::fs::read(env.path("in").join("contract.jpg")).unwrap();
    // They had both factors of this photo then (the login and the email): its key.
    let pw = PhotoPassword::parse(&env.password_of(&id)).unwrap();
    let header: PhotoHeader = postcard::from_bytes(&photo_record(&env.vault, number).header).unwrap();
    let aad = [b"secure-photo-gallery v1 photo-key".as_slice(), &be64(number)].concat();
    let kf = open(&derive_photo_wrap_key(&k1, number, &pw), &aad, &header.key_by_password).unwrap();
    let kf = SecretKey::from_slice(&kf).unwrap();
    // Another picture as long as the original (a JPEG decoder ignores what follows its end),
    // padded as the stream pads, encrypted under the photo's key and nonce prefix.
    let mut forged = jpeg(64, 48, 666);
    assert!(forged.len() <= original.len());
    forged.resize(padme(original.len() as u64) as usize, 0);
    let mut segment = Vec::new();
    StreamEncryptor::new(&kf, header.nonce_prefix).encrypt_chunk(&forged, true, &mut segment);
    edit(&env.vault, |txn| {
        txn.open_table(CHUNKS).unwrap().insert((number, 0), segment.as_slice()).unwrap();
    });
    let now = [("SPG_PASSWORD", NEW), ("SPG_PHOTO_PASSWORD", &env.password_of(&id))];
    let out = env.path("exported.jpg");
    let export = env.run(&["export", "--user", "alice", "--id", &id, "--out", out.to_str().unwrap()], &now);
    assert_eq!(export.status.code(), Some(1), "{}", stdout(&export));
    assert!(stderr(&export).contains("damaged"), "{}", stderr(&export));
    assert!(!out.exists(), "nothing was left at the destination");
    let verify = env.run(&["verify", "--user", "alice"], &now);
    assert_eq!(verify.status.code(), Some(1));
    assert!(stdout(&verify).contains("its data was changed"), "{}", stdout(&verify));
}

/// Gives every photo of the list index the name `name`, its segments sealed again under
/// generation key `key`: what someone who holds that key can do with a copy of the file.
fn rename_in_list_index(env: &Env, key: &SecretKey, name: &str) {
    use spg_core::crypto::{open_padded, seal_padded};
    let vid = vault_id(&env.vault);
    edit(&env.vault, |txn| {
        let mut index = txn.open_table(LIST_INDEX).unwrap();
        let rows: Vec<((u64, u32), Vec<u8>)> =
            index.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect();
        let key = derive_subkey(key, Subkey::Metadata);
        for ((account, n), value) in rows {
            let aad =
                [b"secure-photo-gallery v2 list index".as_slice(), &vid, &be64(account), &n.to_be_bytes()].concat();
            let mut entries: Vec<(u64, PhotoMeta)> =
                postcard::from_bytes(&open_padded(&key, &aad, &value).unwrap()).unwrap();
            for (_, meta) in &mut entries {
                meta.name = name.into();
            }
            let sealed = seal_padded(&key, &aad, &postcard::to_allocvec(&entries).unwrap());
            index.insert((account, n), sealed.as_slice()).unwrap();
        }
    });
}

/// Alice's vault with one photo, "contract.jpg": someone who knew her password renames it
/// "holiday.jpg" in the list index (the list's cache), then she changes her password to
/// `NEW`. Also returns what logs in with it.
fn index_renamed_before_a_password_change() -> (Env, [(&'static str, &'static str); 1]) {
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "contract.jpg", &jpeg(64, 48, 1));
    env.import("alice", &[&first]);
    env.ok(&["list", "--user", "alice"], &[]);
    let k1 = record_key(&account_record(&env.vault), PASSWORD);
    rename_in_list_index(&env, &k1, "holiday.jpg");
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", NEW)]);
    (env, [("SPG_PASSWORD", NEW)])
}

/// The names in the front of alice's list (as the app shows them at login), if it has one.
fn front_names(env: &Env, password: &str) -> Option<Vec<String>> {
    let account = spg_core::vault::Vault::open(&env.vault).unwrap().login("alice", password).unwrap();
    account.list_front().unwrap().map(|front| front.iter().map(|p| p.name.to_string()).collect())
}

#[test]
fn a_front_taken_from_a_rewritten_index_goes_when_the_list_corrects_the_index() {
    let (env, now) = index_renamed_before_a_password_change();
    env.ok(&["list", "--user", "alice"], &now);
    assert_eq!(front_names(&env, NEW), Some(vec!["holiday.jpg".to_string()]), "taken from the index");
    // As a file writer, they now remove the segments, so that the next list reads the photo
    // from its record and writes the index right, and verify finds nothing in it to correct.
    edit(&env.vault, |txn| txn.open_table(LIST_INDEX).unwrap().retain(|_, _| false).unwrap());
    let list = env.ok(&["list", "--user", "alice"], &now);
    assert!(list.contains("contract.jpg"), "{list}");
    assert_eq!(front_names(&env, NEW), Some(vec!["contract.jpg".to_string()]), "written again with the index");
    assert_eq!(env.run(&["verify", "--user", "alice"], &now).status.code(), Some(0));
}

#[test]
fn a_list_index_rewritten_while_the_password_was_known_is_corrected_by_verify() {
    // What was written before the change stays as it was written (SECURITY.md says so),
    // and verify, which compares the cache with the records, puts the list right.
    let (env, now) = index_renamed_before_a_password_change();
    let verify = env.run(&["verify", "--user", "alice"], &now);
    assert_eq!(verify.status.code(), Some(1));
    assert!(stdout(&verify).contains("its entry in the list index was changed"), "{}", stdout(&verify));
    let list = env.ok(&["list", "--user", "alice"], &now);
    assert!(list.contains("contract.jpg") && !list.contains("holiday.jpg"), "{list}");
    assert_eq!(env.run(&["verify", "--user", "alice"], &now).status.code(), Some(0));
}

#[test]
fn the_front_of_a_list_taken_from_a_rewritten_index_goes_with_the_index_at_verify() {
    // The list after the change, and the front it writes, take the name from the index
    // until verify puts the index right.
    let (env, now) = index_renamed_before_a_password_change();
    env.ok(&["list", "--user", "alice"], &now);
    assert_eq!(front_names(&env, NEW), Some(vec!["holiday.jpg".to_string()]), "taken from the index");
    assert_eq!(env.run(&["verify", "--user", "alice"], &now).status.code(), Some(1));
    assert_eq!(front_names(&env, NEW), None, "removed with the index's segments");
    env.ok(&["list", "--user", "alice"], &now);
    assert_eq!(front_names(&env, NEW), Some(vec!["contract.jpg".to_string()]));
}

#[test]
fn a_preview_written_after_the_change_does_not_open_with_the_old_password() {
    use spg_core::crypto::{PhotoPassword, open_padded};
    use spg_core::service::Unlock;
    use spg_core::vault::{PhotoId, Previews, Vault};
    let env = Env::new();
    env.ok(&["register", "--user", "alice", "--email", "alice@example.com", "--previews", "hidden"], &[]);
    let file = write(&env.path("in"), "letter.jpg", &jpeg(640, 480, 9));
    let (_, imported) = env.import("alice", &[&file]);
    let id: PhotoId = imported[0].0.parse().unwrap();
    let k1 = record_key(&account_record(&env.vault), PASSWORD);
    assert!(thumbnail_row(&env.vault, id.as_u64()).is_none(), "hidden previews: no login preview");
    // The owner changes the password, later picks sharp previews, and opens the photo.
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", NEW)]);
    {
        let vault = Vault::open(&env.vault).unwrap();
        let session = vault.login("alice", NEW).unwrap();
        spg_core::service::set_previews(&session, Previews::Sharp).unwrap();
        let pw = PhotoPassword::parse(&env.password_of(&imported[0].0)).unwrap();
        spg_core::service::unlocked_thumbnail(&session, id, &Unlock::Password(pw.clone())).unwrap();
    }
    let row = thumbnail_row(&env.vault, id.as_u64()).expect("a login preview was written");
    let aad = [b"secure-photo-gallery v1 thumbnail".as_slice(), &be64(1), &be64(id.as_u64())].concat();
    assert!(open_padded(&derive_subkey(&k1, Subkey::Thumbnail), &aad, &row).is_err(), "sealed under generation 2");
}

#[test]
fn a_sharp_preview_put_back_after_previews_were_hidden_is_not_shown() {
    use spg_core::vault::{PhotoId, Previews, Vault};
    let env = Env::new();
    env.register("alice");
    let file = write(&env.path("in"), "passport.jpg", &jpeg(640, 480, 10));
    let (_, imported) = env.import("alice", &[&file]);
    let id: PhotoId = imported[0].0.parse().unwrap();
    let sharp = thumbnail_row(&env.vault, id.as_u64()).unwrap();
    {
        let vault = Vault::open(&env.vault).unwrap();
        let session = vault.login("alice", PASSWORD).unwrap();
        spg_core::service::set_previews(&session, Previews::Hidden).unwrap();
    }
    assert!(thumbnail_row(&env.vault, id.as_u64()).is_none());
    // A file writer puts the sharp row back (from a copy made before the change).
    edit(&env.vault, |txn| {
        txn.open_table(THUMBNAILS).unwrap().insert(id.as_u64(), sharp.as_slice()).unwrap();
    });
    let vault = Vault::open(&env.vault).unwrap();
    let session = vault.login("alice", PASSWORD).unwrap();
    assert!(session.thumbnail(id).is_err(), "the login alone shows nothing of it");
    assert!(!session.verify().unwrap().problems.is_empty(), "verify names the row");
}

#[test]
fn a_password_change_is_remembered_at_once_even_if_the_app_is_killed_before_it_locks() {
    use spg_core::vault::Vault;
    let env = Env::new();
    env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 1));
    assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));
    let copy = env.path("copy.redb"); // taken while the password was known
    std::fs::copy(&env.vault, &copy).unwrap();
    let state = env.config.path().join("secure-photo-gallery");
    let vault = Vault::open(&env.vault).unwrap().remember_counters_in(Some(state.clone()));
    let session = vault.login("alice", PASSWORD).unwrap();
    session.set_password(NEW).unwrap();
    // Killed: the session never ends.
    std::mem::forget(session);
    std::mem::forget(vault);
    let seen = std::fs::read_to_string(state.join("seen-counters")).unwrap();
    assert!(seen.lines().any(|l| l.split_whitespace().nth(5) == Some("2")), "generation 2 remembered: {seen}");
    // The copy put back (a new file, as a sync service writes it).
    let back = env.path("back.redb");
    std::fs::copy(&copy, &back).unwrap();
    std::fs::rename(&back, &env.vault).unwrap();
    let out = env.run(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]);
    assert!(stderr(&out).contains("older than the one this computer last opened"), "{}", stderr(&out));
    let out = env.run(&["mail", "--user", "alice", "--email", "x@example.com"], &[]);
    assert_eq!(out.status.code(), Some(1), "the old password wrote: {}", stdout(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
}

#[test]
fn the_same_password_again_is_refused_as_a_change() {
    let env = Env::new();
    env.register("alice");
    let out = env.run(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", PASSWORD)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the one you have now"), "{}", stderr(&out));
}
