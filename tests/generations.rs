//! A generation made by someone who knew an older password, on the computer that saw the
//! owner's later generation (SECURITY.md: "on a computer that saw the owner's generation,
//! a fork"). An outside review found the memory outside the vault took such a generation as
//! the owner's own continuation when its head listed the owner's head among its recent ones
//! (a list whoever seals a head writes, of fingerprints anyone can compute), or, further
//! back, when its record carried the owner's public key wrap. The memory now keeps a print
//! of the generation's key, which the attacker's generation cannot hold.
//!
//! Everything here is built from docs/FORMAT.md and the crate's public crypto functions,
//! as an outsider would.

mod common;

use std::path::Path;

use common::layout::*;
use common::{Env, PASSWORD, jpeg, stderr, stdout, write};
use spg_core::crypto::{
    KdfParams, RecoveryPublicKey, SecretKey, Subkey, derive_subkey, keyed_hash, open, password_key, seal, seal_padded,
};

/// FORMAT.md's 16-byte digests of a photo's rows (unkeyed: anyone who reads the file
/// computes them).
fn digest(label: &[u8], id: u64, parts: &[&[u8]]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(label);
    h.update(&be64(id));
    for p in parts {
        h.update(p);
    }
    h.finalize().as_bytes()[..16].try_into().unwrap()
}

fn row(v: Option<&[u8]>) -> Vec<u8> {
    match v {
        None => vec![0],
        Some(v) => [[1u8].as_slice(), &(v.len() as u64).to_be_bytes(), v].concat(),
    }
}

/// The manifest entries of account 1 as the file's rows give them (no key needed).
fn entries_from_rows(vault: &Path) -> Vec<Entry> {
    read(vault, |t| {
        let photos = t.open_table(PHOTOS).unwrap();
        let thumbs = t.open_table(THUMBNAILS).unwrap();
        let private = t.open_table(PRIVATE_THUMBNAILS).unwrap();
        let mut out = Vec::new();
        for r in photos.range((1, 0)..=(1, u64::MAX)).unwrap() {
            let (k, v) = r.unwrap();
            let id = k.value().1;
            let record: PhotoRecord = postcard::from_bytes(v.value()).unwrap();
            let header: PhotoHeader = postcard::from_bytes(&record.header).unwrap();
            let th = thumbs.get(id).unwrap().map(|g| g.value().to_vec());
            let pr = private.get(id).unwrap().map(|g| g.value().to_vec());
            out.push((
                id,
                header.generation,
                digest(b"secure-photo-gallery v3 record", id, &[v.value()]),
                digest(b"secure-photo-gallery v3 previews", id, &[&row(th.as_deref()), &row(pr.as_deref())]),
            ));
        }
        out
    })
}

/// What the attacker writes in place of the owner's account: a generation of their own.
struct Forgery<'a> {
    /// The key of generation 1, from the old password.
    k1: &'a SecretKey,
    /// The password their generation's key is wrapped under.
    wrap_password: &'a str,
    /// The profile they give it.
    email: &'a str,
    /// Whether the head lists the owner's head among its recent ones.
    list_owner_head: bool,
    /// The counter their head carries.
    counter: u64,
    /// Whether their record carries the owner's `key_by_recovery` bytes (public) instead of
    /// their key sealed to the recovery key.
    copy_owner_wrap: bool,
}

impl<'a> Forgery<'a> {
    /// A generation of the attacker's at `counter`: the owner's address, wrapped under the
    /// old password, no recent heads, their own recovery wrap.
    fn of(k1: &'a SecretKey, counter: u64) -> Forgery<'a> {
        Forgery {
            k1,
            wrap_password: PASSWORD,
            email: "alice@example.com",
            list_owner_head: false,
            counter,
            copy_owner_wrap: false,
        }
    }
}

/// Writes the forged generation into `vault`; returns its key.
fn forge_generation(vault: &Path, f: &Forgery<'_>) -> SecretKey {
    let vid = vault_id(vault);
    let owner: AccountRecord = postcard::from_bytes(&account_record(vault)).unwrap();
    let owner_head = blake3::hash(&manifest_head(vault)).as_bytes().to_owned();
    let k = SecretKey::random();
    let generation = owner.generation; // the same number as the owner's
    let salt: [u8; 16] = spg_core::crypto::random_array();
    let kdf = KdfParams { m_kib: owner.kdf.0, t: owner.kdf.1, p: owner.kdf.2 };
    let kp = password_key(f.wrap_password, &salt, kdf);
    let older: Vec<[u8; 32]> = vec![*f.k1.expose()];
    let older_aad = [b"secure-photo-gallery v3 older keys".as_slice(), &be64(1), &generation.to_be_bytes()].concat();
    let profile = Profile { email: f.email.into(), smtp: None, previews: 0, backup: None, outbox: Vec::new() };
    let record = AccountRecord {
        version: 3,
        username: owner.username.clone(),
        generation,
        changed_at: owner.changed_at,
        kdf: owner.kdf,
        salt,
        key_by_password: seal(&kp, &key_aad(1, generation), k.expose()),
        key_by_recovery: if f.copy_owner_wrap {
            owner.key_by_recovery.clone()
        } else {
            RecoveryPublicKey(owner.recovery_public).seal_account_key(1, generation, &k).unwrap()
        },
        recovery_public: owner.recovery_public,
        older_keys: seal(&derive_subkey(&k, Subkey::OlderKeys), &older_aad, &postcard::to_allocvec(&older).unwrap()),
        profile: seal_padded(
            &derive_subkey(&k, Subkey::Profile),
            &[b"secure-photo-gallery v1 profile".as_slice(), &be64(1)].concat(),
            &postcard::to_allocvec(&profile).unwrap(),
        ),
    };
    let bytes = postcard::to_allocvec(&record).unwrap();
    let mk = derive_subkey(&k, Subkey::Manifest);
    let entries = entries_from_rows(vault);
    let head = ManifestHead {
        version: 3,
        generation,
        counter: f.counter,
        account_digest: keyed_hash(&mk, &[b"secure-photo-gallery v3 account record".as_slice(), &bytes].concat()),
        photo_count: entries.len() as u64,
        buckets: vec![(0, f.counter)],
        recent_heads: if f.list_owner_head { vec![owner_head; 32] } else { Vec::new() },
    };
    let db = redb::Database::create(vault).unwrap();
    let txn = db.begin_write().unwrap();
    {
        txn.open_table(ACCOUNTS).unwrap().insert(1, bytes.as_slice()).unwrap();
        let mut buckets = txn.open_table(MANIFEST_BUCKETS).unwrap();
        buckets.retain(|k, _| k.0 != 1).unwrap();
        let sealed = seal(&mk, &bucket_aad(&vid, 0, f.counter), &postcard::to_allocvec(&entries).unwrap());
        buckets.insert((1, 0), sealed.as_slice()).unwrap();
        let sealed = seal(&mk, &head_aad(&vid), &postcard::to_allocvec(&head).unwrap());
        txn.open_table(MANIFESTS).unwrap().insert(1, sealed.as_slice()).unwrap();
        txn.open_table(LIST_INDEX).unwrap().retain(|k, _| k.0 != 1).unwrap();
    }
    txn.commit().unwrap();
    k
}

/// Alice imports a photo, someone learns her password and copies the file; she changes the
/// password on this computer (which remembers her generation 2). Returns the environment,
/// the key of generation 1 and the counter of the attacker's copy.
fn leaked_then_changed() -> (Env, String, SecretKey, u64) {
    let env = Env::new();
    let words = env.register("alice");
    let first = write(&env.path("in"), "first.jpg", &jpeg(64, 48, 1));
    assert_eq!(env.import("alice", &[&first]).0.status.code(), Some(0));
    let copy = env.path("copy.redb");
    std::fs::copy(&env.vault, &copy).unwrap();
    env.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", NEW)]);
    env.ok(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]);
    let seen = std::fs::read_to_string(env.config.path().join("secure-photo-gallery/seen-counters")).unwrap();
    assert!(seen.lines().any(|l| l.split_whitespace().nth(5) == Some("2")), "this computer saw generation 2: {seen}");
    let k1 = record_key(&account_record(&copy), PASSWORD);
    let old_head: ManifestHead = postcard::from_bytes(
        &open(&derive_subkey(&k1, Subkey::Manifest), &head_aad(&vault_id(&copy)), &manifest_head(&copy)).unwrap(),
    )
    .unwrap();
    (env, words, k1, old_head.counter)
}

const NEW: &str = "a brand new password nobody knows";

/// The forged generation, opened with the password it is wrapped under, is a fork on this
/// computer: a warning, and nothing is written.
fn is_a_fork_and_read_only(env: &Env, password: &str) {
    let envs = [("SPG_PASSWORD", password)];
    let out = env.run(&["list", "--user", "alice"], &envs);
    assert!(stderr(&out).contains("not the copy last opened on this computer"), "{}", stderr(&out));
    let later = write(&env.path("in"), "later-secret.jpg", &jpeg(80, 60, 77));
    let out = env.run(&["import", "--user", "alice", later.to_str().unwrap()], &envs);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(env.run(&["verify", "--user", "alice"], &envs).status.code(), Some(1));
}

#[test]
fn a_forged_generation_without_the_owners_head_listed_is_a_fork() {
    let (env, _, k1, counter) = leaked_then_changed();
    let forgery = Forgery::of(&k1, counter + 32);
    forge_generation(&env.vault, &forgery);
    is_a_fork_and_read_only(&env, PASSWORD);
}

#[test]
fn a_forged_generation_listing_the_owners_head_is_a_fork_all_the_same() {
    let (env, _, k1, counter) = leaked_then_changed();
    // The attacker's generation: its key wrapped under the OLD password (which the owner
    // also still knows), the owner's address kept, mail to the outbox beside the vault, and
    // the owner's head listed 32 times (the counter need only be within 32 above the one
    // this computer saw).
    let forgery = Forgery { list_owner_head: true, ..Forgery::of(&k1, counter + 32) };
    forge_generation(&env.vault, &forgery);
    // The owner's new password does not open it; the old one does, and this computer says
    // that it is not the account it knew, and writes nothing to it.
    assert_eq!(env.run(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]).status.code(), Some(1));
    is_a_fork_and_read_only(&env, PASSWORD);
}

#[test]
fn the_recovery_words_do_not_take_a_forged_generation_and_its_email() {
    let (env, words, k1, counter) = leaked_then_changed();
    let forgery = Forgery {
        wrap_password: "the attackers own passphrase here",
        email: "attacker@example.com",
        list_owner_head: true,
        ..Forgery::of(&k1, counter + 32)
    };
    forge_generation(&env.vault, &forgery);
    // The owner's password fails; they recover with the words: the fork is said, and no new
    // password is set on the attacker's generation.
    assert_eq!(env.run(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]).status.code(), Some(1));
    let third = "the third password of alice here";
    let out = env.run(&["recover", "--user", "alice"], &[("SPG_RECOVERY_KEY", &words), ("SPG_NEW_PASSWORD", third)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("not the copy last opened on this computer"), "{}", stderr(&out));
    let later = write(&env.path("in"), "later.jpg", &jpeg(80, 60, 78));
    let out = env.run(&["import", "--user", "alice", later.to_str().unwrap()], &[("SPG_PASSWORD", third)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !env.emails().iter().any(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains("attacker@")),
        "no email went to the attacker's address"
    );
}

#[test]
fn a_forged_generation_far_ahead_carrying_the_owners_public_key_wrap_is_a_fork() {
    // No recent heads at all, a counter far ahead, and the record carries the owner's
    // `key_by_recovery` (clear in the file); the key the password opens is the attacker's.
    let (env, _, k1, counter) = leaked_then_changed();
    let forgery = Forgery { copy_owner_wrap: true, ..Forgery::of(&k1, counter + 1000) };
    forge_generation(&env.vault, &forgery);
    is_a_fork_and_read_only(&env, PASSWORD);
}

#[test]
fn a_generation_opened_with_the_password_this_computer_saw_replaced_is_not_taken() {
    // Computer A changes the password; computers B and C share the file through a sync
    // service and last saw generation 1.
    let a = Env::new();
    a.register("alice");
    let first = write(&a.path("in"), "first.jpg", &jpeg(64, 48, 1));
    assert_eq!(a.import("alice", &[&first]).0.status.code(), Some(0));
    let (b, c) = (Env::new(), Env::new());
    for other in [&b, &c] {
        std::fs::create_dir_all(other.vault.parent().unwrap()).unwrap();
        std::fs::copy(&a.vault, &other.vault).unwrap();
        other.ok(&["list", "--user", "alice"], &[]);
    }
    let k1 = record_key(&account_record(&a.vault), PASSWORD);
    a.ok(&["passwd", "--user", "alice"], &[("SPG_NEW_PASSWORD", NEW)]);
    // B gets the owner's generation 2: the new password opens it, without a word.
    std::fs::copy(&a.vault, &b.vault).unwrap();
    let out = b.run(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // C gets a generation 2 of the attacker's: every key they knew inside, wrapped under the
    // old password, far enough ahead that no recent head is checked.
    std::fs::copy(&a.vault, &c.vault).unwrap();
    let forgery = Forgery::of(&k1, 1000);
    forge_generation(&c.vault, &forgery);
    assert_eq!(c.run(&["list", "--user", "alice"], &[("SPG_PASSWORD", NEW)]).status.code(), Some(1));
    // The owner tries the old password: it opens, and C says what it means and writes nothing.
    let out = c.run(&["list", "--user", "alice"], &[]);
    assert!(stderr(&out).contains("yet it opened with the password it had then"), "{}", stderr(&out));
    let later = write(&c.path("in"), "later-secret.jpg", &jpeg(80, 60, 77));
    let out = c.run(&["import", "--user", "alice", later.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
}
