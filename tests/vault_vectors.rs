//! A whole vault written by an independent implementation: `tests/vectors/vault.json` holds
//! every row of a small vault that `tests/vectors/generate.py` (Python) computed from
//! docs/FORMAT.md alone. This test puts the rows into a fresh redb file, with the table
//! types FORMAT.md gives, and opens it with the crate's public API: if the page and the
//! program disagree anywhere, a login, a listing, a check or a decryption fails here.
//! Then the program writes to the Python-made vault (a delete) and the rows it leaves are
//! read back by the rules of the same page.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use secure_photo_gallery::crypto::{PhotoPassword, RecoveryKey, SecretKey, Subkey, derive_subkey, open};
use secure_photo_gallery::vault::{PhotoId, PhotoUnlock, Vault};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

const HEADER: TableDefinition<&str, &[u8]> = TableDefinition::new("header");
const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
const USERNAMES: TableDefinition<&str, u64> = TableDefinition::new("usernames");
const MANIFESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("manifests");
const MANIFEST_BUCKETS: TableDefinition<(u64, u8), &[u8]> = TableDefinition::new("manifest_buckets");
const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");
const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
const PRIVATE_THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("private_thumbnails");
const CONTENT_HASHES: TableDefinition<(u64, &[u8; 32]), u64> = TableDefinition::new("content_hashes");
const LIST_INDEX: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("list_index");

/// FORMAT.md: `CHUNK = 65,456` bytes of plaintext; 16 chunks to a full segment.
const CHUNK: usize = 65_456;
const SEGMENT_CHUNKS: usize = 16;

/// `AccountRecord` of FORMAT.md, for the postcard crate.
#[derive(Deserialize)]
struct AccountRecord {
    version: u8,
    username: String,
    kdf: (u32, u32, u32),
    _salt: [u8; 16],
    _master_by_password: Vec<u8>,
    master_by_recovery: Vec<u8>,
    recovery_public: [u8; 32],
    _profile: Vec<u8>,
}

/// `PhotoHeader` of FORMAT.md.
#[derive(Deserialize)]
struct PhotoHeader {
    version: u8,
    nonce_prefix: [u8; 7],
    chunk_count: u32,
    key_by_password: Vec<u8>,
    key_by_recovery: Vec<u8>,
    _ciphertext_mac: [u8; 32],
    content_hash: [u8; 32],
}

/// `ManifestHead` of FORMAT.md.
#[derive(Deserialize)]
struct ManifestHead {
    version: u8,
    counter: u64,
    _account_digest: [u8; 32],
    photo_count: u64,
    bucket_versions: Vec<u64>,
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/vault.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("a number")
}

fn be64(x: u64) -> [u8; 8] {
    x.to_be_bytes()
}

/// The table types in the JSON must be the ones this test declares (both from FORMAT.md).
fn check_types(v: &Value) {
    let expected = [
        ("header", "&str", "&[u8]"),
        ("accounts", "u64", "&[u8]"),
        ("usernames", "&str", "u64"),
        ("manifests", "u64", "&[u8]"),
        ("manifest_buckets", "(u64, u8)", "&[u8]"),
        ("photos", "(u64, u64)", "&[u8]"),
        ("chunks", "(u64, u32)", "&[u8]"),
        ("thumbnails", "u64", "&[u8]"),
        ("private_thumbnails", "u64", "&[u8]"),
        ("content_hashes", "(u64, &[u8; 32])", "u64"),
        ("list_index", "(u64, u32)", "&[u8]"),
    ];
    for (name, table) in v["tables"].as_object().unwrap() {
        let (_, k, val) = expected.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("unknown table {name}"));
        assert_eq!(table["key_type"], *k, "{name}");
        assert_eq!(table["value_type"], *val, "{name}");
    }
}

/// Every photo of the JSON, with its account id.
fn all_photos(v: &Value) -> Vec<(u64, &Value)> {
    let mut out = Vec::new();
    for account in v["accounts"].as_array().unwrap() {
        for photo in account["photos"].as_array().unwrap() {
            out.push((u(&account["id"]), photo));
        }
    }
    out
}

/// The file bytes the generator used for a photo: given in hex, or `(i * mul + add) % mod`
/// for `i < n`.
fn original(photo: &Value) -> Vec<u8> {
    if photo["file"].is_string() {
        return hex(&photo["file"]);
    }
    let p = &photo["pattern"];
    let (n, mul, add, m) = (u(&p["n"]) as usize, u(&p["mul"]) as usize, u(&p["add"]) as usize, u(&p["mod"]) as usize);
    (0..n).map(|i| ((i * mul + add) % m) as u8).collect()
}

/// The segments of a photo whose chunk rows the JSON gives by digest only (to keep it
/// small), re-made by FORMAT.md's rules from the photo key and nonce prefix; the caller
/// checks them against the generator's SHA-256.
fn remake_segments(photo: &Value) -> Vec<Vec<u8>> {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &hex(&photo["photo_key"])).unwrap());
    let prefix = hex(&photo["nonce_prefix"]);
    let mut padded = original(photo);
    padded.resize(u(&photo["padded_bytes"]) as usize, 0);
    let pieces: Vec<&[u8]> = if padded.is_empty() { vec![&[][..]] } else { padded.chunks(CHUNK).collect() };
    let sealed: Vec<Vec<u8>> = pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut nonce = prefix.clone();
            nonce.extend_from_slice(&(i as u32).to_be_bytes());
            nonce.push(u8::from(i + 1 == pieces.len()));
            let mut buf = piece.to_vec();
            key.seal_in_place_append_tag(Nonce::try_assume_unique_for_key(&nonce).unwrap(), Aad::empty(), &mut buf)
                .unwrap();
            buf
        })
        .collect();
    let full = sealed.len() / SEGMENT_CHUNKS * SEGMENT_CHUNKS;
    let mut segments: Vec<Vec<u8>> = sealed[..full].chunks(SEGMENT_CHUNKS).map(|g| g.concat()).collect();
    segments.extend(sealed[full..].iter().cloned());
    segments
}

/// A fresh redb file, created owner-only as FORMAT.md asks, holding every row of the JSON.
fn write_vault(path: &Path, v: &Value) {
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path).unwrap();
    }
    // Chunk rows given by digest: re-made, and checked against the generator's digest.
    let mut remade: HashMap<(u64, u32), Vec<u8>> = HashMap::new();
    for (_, photo) in all_photos(v) {
        if photo["chunks_inline"] == false {
            for (s, seg) in remake_segments(photo).into_iter().enumerate() {
                remade.insert((u(&photo["id"]), s as u32), seg);
            }
        }
    }
    let rows = |name: &str| -> Vec<Value> {
        v["tables"].get(name).map(|t| t["rows"].as_array().unwrap().clone()).unwrap_or_default()
    };
    let pair = |k: &Value| (u(&k[0]), u(&k[1]));
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    for r in rows("header") {
        txn.open_table(HEADER).unwrap().insert(r["key"].as_str().unwrap(), hex(&r["value"]).as_slice()).unwrap();
    }
    for r in rows("usernames") {
        txn.open_table(USERNAMES).unwrap().insert(r["key"].as_str().unwrap(), u(&r["value"])).unwrap();
    }
    for (def, name) in [
        (ACCOUNTS, "accounts"),
        (MANIFESTS, "manifests"),
        (THUMBNAILS, "thumbnails"),
        (PRIVATE_THUMBNAILS, "private_thumbnails"),
    ] {
        for r in rows(name) {
            txn.open_table(def).unwrap().insert(u(&r["key"]), hex(&r["value"]).as_slice()).unwrap();
        }
    }
    for r in rows("manifest_buckets") {
        let (a, b) = pair(&r["key"]);
        let b = u8::try_from(b).unwrap();
        txn.open_table(MANIFEST_BUCKETS).unwrap().insert((a, b), hex(&r["value"]).as_slice()).unwrap();
    }
    for r in rows("photos") {
        txn.open_table(PHOTOS).unwrap().insert(pair(&r["key"]), hex(&r["value"]).as_slice()).unwrap();
    }
    for r in rows("list_index") {
        let (account, segment) = pair(&r["key"]);
        let key = (account, u32::try_from(segment).unwrap());
        txn.open_table(LIST_INDEX).unwrap().insert(key, hex(&r["value"]).as_slice()).unwrap();
    }
    for r in rows("chunks") {
        let (id, s) = pair(&r["key"]);
        let key = (id, u32::try_from(s).unwrap());
        let value = match r.get("value") {
            Some(value) => hex(value),
            None => {
                let seg = remade.remove(&key).unwrap_or_else(|| panic!("no segment {key:?} re-made"));
                assert_eq!(seg.len() as u64, u(&r["value_len"]), "segment {key:?}");
                assert_eq!(sha256_hex(&seg), r["value_sha256"].as_str().unwrap(), "segment {key:?}");
                seg
            }
        };
        txn.open_table(CHUNKS).unwrap().insert(key, value.as_slice()).unwrap();
    }
    assert!(remade.is_empty(), "segments re-made without a row: {:?}", remade.keys());
    for r in rows("content_hashes") {
        let account = u(&r["key"][0]);
        let hash: [u8; 32] = hex(&r["key"][1]).try_into().unwrap();
        txn.open_table(CONTENT_HASHES).unwrap().insert((account, &hash), u(&r["value"])).unwrap();
    }
    txn.commit().unwrap();
}

/// Flips one bit of byte `at` of segment `segment` of photo `id`, as a file writer could.
fn flip_chunk_byte(path: &Path, id: u64, segment: u32, at: usize) {
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(CHUNKS).unwrap();
        let mut value = t.get((id, segment)).unwrap().unwrap().value().to_vec();
        value[at] ^= 0x01;
        t.insert((id, segment), value.as_slice()).unwrap();
    }
    txn.commit().unwrap();
}

fn crockford(text: &str) -> u64 {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    text.bytes().fold(0, |n, c| (n << 5) | ALPHABET.iter().position(|&a| a == c).unwrap() as u64)
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The login password as the test types it: bob's in decomposed form (NFD), which the
/// program must normalise to the NFC the generator used.
fn typed_password(account: &Value) -> String {
    let pw = account["login_password"].as_str().unwrap();
    pw.replace('\u{fc}', "u\u{308}").replace('\u{ef}', "i\u{308}")
}

fn photo_id(photo: &Value) -> PhotoId {
    photo["id_text"].as_str().unwrap().parse().unwrap()
}

fn photo_password(photo: &Value) -> PhotoPassword {
    PhotoPassword::parse(photo["password"].as_str().unwrap()).unwrap()
}

/// Runs the command-line program on the vault as `account`, its configuration folder
/// `config`.
fn run_cli(path: &Path, config: &Path, account: &Value, args: &[&str]) -> std::process::Output {
    let user = account["username"].as_str().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_secure-photo-gallery"));
    cmd.arg("--vault").arg(path).args(args).args(["--user", user]);
    for var in ["SPG_VAULT", "SPG_NEW_PASSWORD", "SPG_PHOTO_PASSWORD", "SPG_RECOVERY_KEY", "SPG_SMTP_URL"] {
        cmd.env_remove(var);
    }
    cmd.env("SPG_PASSWORD", typed_password(account)).env("XDG_CONFIG_HOME", config).output().unwrap()
}

/// [`run_cli`], asserting that the program succeeded; returns its standard output.
fn cli(path: &Path, config: &Path, account: &Value, args: &[&str]) -> String {
    let user = account["username"].as_str().unwrap();
    let out = run_cli(path, config, account, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?} --user {user}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The `seen-counters` file the program keeps in its configuration folder
/// (FORMAT.md: lines `VAULT-ID-HEX ACCOUNT-ID COUNTER`).
fn seen_counters(config: &Path) -> String {
    let seen: Vec<_> = walk(config).into_iter().filter(|p| p.file_name().unwrap() == "seen-counters").collect();
    assert_eq!(seen.len(), 1, "no single seen-counters file under the configuration folder: {:?}", walk(config));
    std::fs::read_to_string(&seen[0]).unwrap()
}

fn assert_seen(config: &Path, vault_id: &str, account: u64, counter: u64) {
    let text = seen_counters(config);
    // `VAULT-ID ACCOUNT COUNTER HEAD RECOVERY` (FORMAT.md): the first three are checked here.
    let line = format!("{vault_id} {account} {counter} ");
    assert!(
        text.lines().any(|l| l.to_ascii_lowercase().starts_with(&line.to_ascii_lowercase())),
        "seen-counters lacks {line:?}:\n{text}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The Python rows decode by the crate's public crypto functions too (the recovery half,
/// which the login API does not reach): `master_by_recovery` gives `M`, `key_by_recovery`
/// gives each `KF`, and the records parse as FORMAT.md lays them out.
fn check_records_and_recovery(v: &Value) {
    let row = |table: &str, key: &Value| -> Vec<u8> {
        let r = v["tables"][table]["rows"].as_array().unwrap().iter().find(|r| r["key"] == *key).unwrap();
        hex(&r["value"])
    };
    for account in v["accounts"].as_array().unwrap() {
        let id = u(&account["id"]);
        let record: AccountRecord = postcard::from_bytes(&row("accounts", &account["id"])).unwrap();
        assert_eq!(record.version, 2);
        assert_eq!(record.username, account["username"].as_str().unwrap());
        let kdf = &account["kdf"];
        assert_eq!(record.kdf, (u(&kdf["m_kib"]) as u32, u(&kdf["t"]) as u32, u(&kdf["p"]) as u32));
        let rk = RecoveryKey::from_entropy(hex(&account["recovery_entropy"]).try_into().unwrap());
        assert_eq!(rk.public_key().0, record.recovery_public);
        let a = [b"secure-photo-gallery v1 master".as_slice(), &be64(id)].concat();
        let master = open(&rk.master_wrap_key(), &a, &record.master_by_recovery).unwrap();
        assert_eq!(master, hex(&account["master_key"]), "{id}: master_by_recovery");
        for photo in account["photos"].as_array().unwrap() {
            let pid = u(&photo["id"]);
            let header: PhotoHeader = postcard::from_bytes(&hex(&photo["header_postcard"])).unwrap();
            assert_eq!(header.version, 2);
            assert_eq!(header.nonce_prefix.to_vec(), hex(&photo["nonce_prefix"]));
            assert_eq!(u64::from(header.chunk_count), u(&photo["chunk_count"]));
            assert_eq!((header.key_by_password.len(), header.key_by_recovery.len()), (72, 104));
            assert_eq!(header.content_hash.to_vec(), hex(&photo["content_hash"]));
            let kf = rk.open_photo_key(pid, &header.key_by_recovery).unwrap();
            assert!(kf == SecretKey::from_slice(&hex(&photo["photo_key"])).unwrap(), "{pid}: key_by_recovery");
        }
    }
}

/// Each photo's preview rows after it was unlocked: sharp accounts a `thumbnails` row only,
/// blurred accounts both; the rows open by FORMAT.md's keys to the expected thumbnails. The
/// manifest head is read too: its counter is still the one the generator wrote, i.e. the
/// program does not count converting a photo's preview rows as a write to the account
/// (observed; FORMAT.md's list of writes, "a photo stored or deleted, the password or the
/// profile changed", leaves the conversion out).
fn check_preview_rows(path: &Path, v: &Value) {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let thumbnails = txn.open_table(THUMBNAILS).unwrap();
    let private = txn.open_table(PRIVATE_THUMBNAILS).unwrap();
    for account in v["accounts"].as_array().unwrap() {
        let aid = u(&account["id"]);
        let master = SecretKey::from_slice(&hex(&account["master_key"])).unwrap();
        for photo in account["photos"].as_array().unwrap() {
            let pid = u(&photo["id"]);
            let text = photo["id_text"].as_str().unwrap();
            let sealed = thumbnails.get(pid).unwrap().expect("a thumbnails row").value().to_vec();
            // The login's preview: the thumbnail (sharp), or a placeholder under its own label.
            let label: &[u8] = if account["previews"] == 0 {
                b"secure-photo-gallery v1 thumbnail"
            } else {
                b"secure-photo-gallery v2 placeholder"
            };
            let aad = [label, &be64(aid), &be64(pid)].concat();
            let padded = open(&derive_subkey(&master, Subkey::Thumbnail), &aad, &sealed).unwrap();
            assert_eq!(unpad(&padded), hex(&photo["login_thumbnail_after_unlock"]), "{text}: thumbnails row");
            let has_private = private.get(pid).unwrap().is_some();
            assert_eq!(has_private, account["previews"] != 0, "{text}: a private_thumbnails row or none");
        }
        let km = derive_subkey(&master, Subkey::Manifest);
        let ha = [b"secure-photo-gallery v2 manifest".as_slice(), &hex(&v["vault_id"]), &be64(aid)].concat();
        let sealed = txn.open_table(MANIFESTS).unwrap().get(aid).unwrap().unwrap().value().to_vec();
        let head: ManifestHead = postcard::from_bytes(&open(&km, &ha, &sealed).unwrap()).unwrap();
        assert_eq!(head.counter, u(&account["manifest"]["counter"]), "account {aid}: counter after unlocking");
    }
}

/// FORMAT.md's `Pad` undone: `be32(len) ‖ P ‖ zeros`, `Padmé(4 + len)` bytes in all.
fn unpad(padded: &[u8]) -> Vec<u8> {
    let len = u32::from_be_bytes(padded[..4].try_into().unwrap()) as usize;
    assert!(padded[4 + len..].iter().all(|&b| b == 0));
    assert_eq!(padded.len() as u64, padme(4 + len as u64));
    padded[4..4 + len].to_vec()
}

/// FORMAT.md's Padmé.
fn padme(l: u64) -> u64 {
    if l < 2 {
        return l;
    }
    let e = 63 - u64::from(l.leading_zeros());
    let s = 64 - u64::from(e.leading_zeros());
    let mask = (1u64 << (e - s)) - 1;
    (l + mask) & !mask
}

#[test]
#[allow(clippy::too_many_lines, reason = "the vault read record by record, as FORMAT.md tells it")]
fn a_vault_written_from_format_md_opens_and_decrypts() {
    let v = vectors();
    check_types(&v);
    check_records_and_recovery(&v);
    let vault_id = v["vault_id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // What the command-line program keeps outside the vault (the seen counters) goes to
    // this test's folder, not the home folder.
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let path = dir.path().join("vault.redb");
    write_vault(&path, &v);

    {
        let vault = Vault::open(&path).unwrap();
        for account in v["accounts"].as_array().unwrap() {
            let user = account["username"].as_str().unwrap();
            let typed = typed_password(account);
            assert!(vault.login(user, "not the password").is_err(), "{user}: a wrong login password was accepted");
            let session = vault.login(user, &typed).unwrap_or_else(|e| panic!("{user}: login refused: {e:#}"));

            assert!(session.verify().unwrap().problems.is_empty(), "{user}: verify found problems");
            assert!(session.manifest_problems().is_empty(), "{user}: manifest problems");

            let (infos, unreadable) = session.list().unwrap();
            assert!(unreadable.is_empty(), "{user}: photos whose metadata did not open: {unreadable:?}");
            let photos = account["photos"].as_array().unwrap();
            assert_eq!(infos.len(), photos.len(), "{user}: photo count");

            for photo in photos {
                let text = photo["id_text"].as_str().unwrap();
                let id = photo_id(photo);
                assert_eq!(id.to_string(), text);
                assert_eq!(text.to_lowercase().parse::<PhotoId>().unwrap(), id);
                // The program found the photo stored under the number by its 8 symbols; the
                // JSON's two forms agree too (symbol k is bits 35 - 5k ... 39 - 5k).
                assert_eq!(crockford(text), u(&photo["id"]), "{text}: the 8 symbols and the number");
                let info = infos.iter().find(|i| i.id == id).unwrap_or_else(|| panic!("{text} not listed"));
                let m = &photo["meta"];
                let meta = &info.to_meta();
                assert_eq!(meta.name, m["name"].as_str().unwrap(), "{text}");
                assert_eq!(meta.mime, m["mime"].as_str().unwrap(), "{text}");
                assert_eq!(meta.bytes, u(&photo["bytes"]), "{text}");
                assert_eq!(u64::from(meta.width), u(&m["width"]), "{text}");
                assert_eq!(u64::from(meta.height), u(&m["height"]), "{text}");
                assert_eq!(u64::from(meta.orientation), u(&m["orientation"]), "{text}");
                assert_eq!(meta.taken_at, opt_str(&m["taken_at"]), "{text}");
                assert_eq!(meta.camera, opt_str(&m["camera"]), "{text}");
                assert_eq!(meta.has_gps, m["has_gps"].as_bool().unwrap(), "{text}");
                assert_eq!(meta.imported_at, m["imported_at"].as_i64().unwrap(), "{text}");

                // The login alone shows the `thumbnails` row (a sharp thumbnail or a placeholder).
                let login_thumb = session.thumbnail(id).unwrap();
                assert_eq!(&login_thumb[..], hex(&photo["login_thumbnail"]).as_slice(), "{text}: login thumbnail");

                // The photo password opens the photo, in display form and typed carelessly.
                let pw = photo_password(photo);
                let careless = photo["password_canonical"].as_str().unwrap().to_lowercase();
                let careless = PhotoPassword::parse(&careless).unwrap();
                let (meta2, bytes) = session.decrypt(id, &PhotoUnlock::Password(&careless)).unwrap();
                assert_eq!(meta2.name, meta.name);
                assert_eq!(bytes.len() as u64, u(&photo["bytes"]), "{text}");
                assert_eq!(sha256_hex(&bytes), photo["sha256"].as_str().unwrap(), "{text}");
                assert_eq!(&bytes[..], original(photo).as_slice(), "{text}");

                let unlocked =
                    secure_photo_gallery::service::unlocked_thumbnail(&session, id, &PhotoUnlock::Password(&pw))
                        .unwrap();
                assert_eq!(&unlocked[..], hex(&photo["unlocked_thumbnail"]).as_slice(), "{text}: unlocked thumbnail");

                // A wrong (well-formed) photo password opens nothing.
                let mut wrong = photo["password_canonical"].as_str().unwrap().to_string();
                let last = if wrong.ends_with('0') { "1" } else { "0" };
                wrong.replace_range(19..20, last);
                let wrong = PhotoPassword::parse(&wrong).unwrap();
                assert!(
                    session.decrypt(id, &PhotoUnlock::Password(&wrong)).is_err(),
                    "{text}: wrong password opened it"
                );
                assert!(
                    secure_photo_gallery::service::unlocked_thumbnail(&session, id, &PhotoUnlock::Password(&wrong))
                        .is_err(),
                    "{text}: wrong password opened the private thumbnail"
                );
            }
            // Unlocking left the account consistent, and a photo stored in another preview
            // form than the account's (D) now has the account's form.
            assert!(session.verify().unwrap().problems.is_empty(), "{user}: verify after unlocking");
            assert!(session.manifest_problems().is_empty(), "{user}: manifest after unlocking");
            for photo in photos {
                let text = photo["id_text"].as_str().unwrap();
                let shown = session.thumbnail(photo_id(photo)).unwrap();
                let expected = hex(&photo["login_thumbnail_after_unlock"]);
                assert_eq!(&shown[..], expected.as_slice(), "{text}: login thumbnail after unlocking");
            }
        }
        assert!(vault.login("nobody", "correct horse battery staple").is_err());
        // `usernames` holds the lower-cased name: a name typed in capitals finds it.
        assert!(vault.login("ALICE", "correct horse battery staple").is_ok(), "login as ALICE");
    }

    // The converted photo's rows: FORMAT.md's "Previews" table for the account's mode.
    check_preview_rows(&path, &v);

    // The manifest counter: the command-line program remembers the highest it has seen
    // for each (vault_id, account) in its configuration folder. The library API does not
    // show it, so run the binary once per account and read the file it leaves.
    for account in v["accounts"].as_array().unwrap() {
        let stdout = cli(&path, &config, account, &["list", "--json"]);
        let listed: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), account["photos"].as_array().unwrap().len(), "{stdout}");
        for photo in account["photos"].as_array().unwrap() {
            assert!(stdout.contains(photo["id_text"].as_str().unwrap()), "{stdout}");
        }
    }
    for account in v["accounts"].as_array().unwrap() {
        assert_seen(&config, vault_id, u(&account["id"]), u(&account["manifest"]["counter"]));
    }

    // Importing photo B's file again (B is a real 4 x 4 BMP) finds it by its content hash:
    // no new photo.
    let alice = &v["accounts"][0];
    let b = &alice["photos"][1];
    let again = dir.path().join("again.bmp");
    std::fs::write(&again, original(b)).unwrap();
    let out = cli(&path, &config, alice, &["import", again.to_str().unwrap()]);
    assert!(out.contains("duplicate"), "importing B's file again: {out}");
    let listed: Value = serde_json::from_str(&cli(&path, &config, alice, &["list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3, "B imported a second time: {listed}");

    // The lists above took alice's photos from the generator's list index, which opened
    // and was complete: the program left it as it was. Bob had none: his first list wrote
    // one segment.
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(LIST_INDEX).unwrap();
        let stored: Vec<((u64, u32), Vec<u8>)> =
            table.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect();
        let written: Vec<_> = v["tables"]["list_index"]["rows"].as_array().unwrap().iter().collect();
        assert_eq!(written.len(), 1);
        assert_eq!(stored[0], ((1, 0), hex(&written[0]["value"])), "alice's list index");
        assert_eq!(stored.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [(1, 0), (2, 0)]);
    }

    // The program writes to the Python-made vault: it deletes photo B (alone in its
    // bucket). Every row of B goes, and the manifest moves on by FORMAT.md's rules: the
    // counter goes up by one, and B's bucket keeps a row holding [] at the new counter.
    let b_id = u(&b["id"]);
    cli(&path, &config, alice, &["delete", "--id", b["id_text"].as_str().unwrap()]);
    let counter = u(&alice["manifest"]["counter"]) + 1;
    assert_seen(&config, vault_id, 1, counter);
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        assert!(txn.open_table(PHOTOS).unwrap().get((1, b_id)).unwrap().is_none(), "B's photos row");
        assert!(txn.open_table(CHUNKS).unwrap().get((b_id, 0)).unwrap().is_none(), "B's chunks row");
        assert!(txn.open_table(THUMBNAILS).unwrap().get(b_id).unwrap().is_none(), "B's thumbnails row");
        let hash: [u8; 32] = hex(&b["content_hash"]).try_into().unwrap();
        assert!(txn.open_table(CONTENT_HASHES).unwrap().get((1, &hash)).unwrap().is_none(), "B's content hash row");
        let km = derive_subkey(&SecretKey::from_slice(&hex(&alice["master_key"])).unwrap(), Subkey::Manifest);
        let vid = hex(&v["vault_id"]);
        let ha = [b"secure-photo-gallery v2 manifest".as_slice(), &vid, &be64(1)].concat();
        let sealed = txn.open_table(MANIFESTS).unwrap().get(1).unwrap().unwrap().value().to_vec();
        let head: ManifestHead = postcard::from_bytes(&open(&km, &ha, &sealed).unwrap()).unwrap();
        assert_eq!((head.version, head.counter, head.photo_count), (2, counter, 2));
        assert_eq!(head.bucket_versions.len(), 256);
        let bucket = (b_id % 256) as u8;
        assert_eq!(head.bucket_versions[bucket as usize], counter);
        let ba =
            [b"secure-photo-gallery v2 manifest bucket".as_slice(), &vid, &be64(1), &[bucket], &be64(counter)].concat();
        let sealed = txn.open_table(MANIFEST_BUCKETS).unwrap().get((1, bucket)).unwrap().unwrap().value().to_vec();
        let ids: Vec<u64> = postcard::from_bytes(&open(&km, &ba, &sealed).unwrap()).unwrap();
        assert!(ids.is_empty(), "B's bucket after the delete: {ids:?}");
    }

    // One flipped byte in one stored chunk: verify (login alone) reports it, and the
    // photo no longer decrypts; then one in the middle of D's 16-chunk segment.
    let a = &alice["photos"][0];
    let d = &alice["photos"][2];
    flip_chunk_byte(&path, u(&a["id"]), 1, 100);
    {
        let vault = Vault::open(&path).unwrap();
        let session = vault.login("alice", &typed_password(alice)).unwrap();
        assert!(session.manifest_problems().is_empty());
        let (infos, _) = session.list().unwrap();
        assert_eq!(infos.len(), 2, "A and D after B's delete");
        let problems = session.verify().unwrap().problems;
        assert_eq!(problems.len(), 1, "verify after a flipped chunk byte in A: {problems:?}");
        assert!(session.decrypt(photo_id(a), &PhotoUnlock::Password(&photo_password(a))).is_err(), "A decrypted");
        let (_, bytes) = session.decrypt(photo_id(d), &PhotoUnlock::Password(&photo_password(d))).unwrap();
        assert_eq!(sha256_hex(&bytes), d["sha256"].as_str().unwrap(), "D is untouched");
    }
    flip_chunk_byte(&path, u(&d["id"]), 0, 3 * (CHUNK + 16) + 5);
    let vault = Vault::open(&path).unwrap();
    let session = vault.login("alice", &typed_password(alice)).unwrap();
    let problems = session.verify().unwrap().problems;
    assert_eq!(problems.len(), 2, "verify after flipped bytes in A and D: {problems:?}");
    assert!(session.decrypt(photo_id(d), &PhotoUnlock::Password(&photo_password(d))).is_err(), "D decrypted");
}

/// `tests/vectors/backup.json`: a backup of alice's photos A and B written from FORMAT.md's
/// "Backups" by the same generator. The program finds each object by the name it derives,
/// opens the snapshot with the login password and with the recovery words, checks every
/// object, restores the account into a new vault, and the photos open with their emailed
/// passwords, byte for byte.
#[test]
fn a_backup_written_from_format_md_restores_into_a_new_vault() {
    use secure_photo_gallery::vault::{BackupCredentials, SNAPSHOT, open_backup};
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/backup.json")).unwrap();
    let b: Value = serde_json::from_str(&text).unwrap();
    let v = vectors();
    let objects: HashMap<String, Vec<u8>> = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_string(), hex(&o["object"])))
        .collect();
    let snapshot = &objects[SNAPSHOT];
    let password = b["login_password"].as_str().unwrap();
    assert!(open_backup(snapshot, "alice", BackupCredentials::Password("wrong password")).is_err());
    assert!(open_backup(snapshot, "bob", BackupCredentials::Password(password)).is_err());
    let words = RecoveryKey::from_entropy(hex(&b["recovery_entropy"]).try_into().unwrap());
    assert!(open_backup(snapshot, "alice", BackupCredentials::Recovery(words)).is_ok(), "the recovery words open it");
    let backup = open_backup(snapshot, "ALICE", BackupCredentials::Password(password)).unwrap();
    assert_eq!(backup.written_at(), 1_733_000_000);

    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(&dir.path().join("restored.redb")).unwrap();
    vault.restore_begin(&backup).unwrap();
    assert_eq!(backup.email(), "alice@example.com");
    for (id, names) in backup.photos() {
        let data =
            objects.get(&names.data).unwrap_or_else(|| panic!("no object {} (the keyed name of {id})", names.data));
        let previews = objects.get(&names.previews).unwrap_or_else(|| panic!("no object {}", names.previews));
        let photo = backup.open_photo(id, data, Some(previews)).unwrap();
        vault.restore_photos(&backup, &[photo]).unwrap();
    }
    vault.restore_finish(&backup).unwrap();

    let session = vault.login("alice", password).unwrap();
    assert!(session.verify().unwrap().problems.is_empty(), "the restored account checks whole (previews included)");
    let (listed, damaged) = session.list().unwrap();
    assert!(damaged.is_empty());
    assert_eq!(listed.len(), 2);
    let alice = &v["accounts"][0];
    for photo in alice["photos"].as_array().unwrap().iter().filter(|p| listed.iter().any(|l| l.id == photo_id(p))) {
        let (meta, bytes) = session.decrypt(photo_id(photo), &PhotoUnlock::Password(&photo_password(photo))).unwrap();
        assert_eq!(&bytes[..], &original(photo)[..], "{}", meta.name);
    }
}
