//! A whole vault written by an independent implementation: `tests/vectors/vault.json` holds
//! every row of a small vault (format 3) that `tests/vectors/generate.py` (Python) computed
//! from docs/FORMAT.md alone: two accounts, one of which changed its password (generation
//! 2, with photos of both generations), a hand-made manifest layout, previews in the sharp,
//! blurred and hidden forms (one login preview of a generation-1 photo written again in
//! generation 2, so sealed under generation 2's key), a list index, and a password email
//! waiting in the outbox, its digest in the account's profile.
//! This test puts the rows into a fresh redb file, with the table types FORMAT.md gives,
//! and opens it with the crate's public API and the command-line program: if the page and
//! the program disagree anywhere, a login, a listing, a check or a decryption fails here.
//! Then the program writes to the Python-made vault (previews brought up to date, a delete,
//! a password change) and the rows it leaves are read back by the rules of the same page.
//! `tests/vectors/backup.json`, a backup of one account, is restored into a new vault.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use spg_core::crypto::{
    KdfParams, PhotoPassword, RecoveryKey, SecretKey, Subkey, derive_private_thumbnail_key, derive_subkey, keyed_hash,
    open, open_padded, password_key,
};
use spg_core::service::Unlock;
use spg_core::vault::{PhotoError, PhotoId, Previews, Vault};

const HEADER: TableDefinition<&str, &[u8]> = TableDefinition::new("header");
const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
const USERNAMES: TableDefinition<&str, u64> = TableDefinition::new("usernames");
const MANIFESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("manifests");
const MANIFEST_BUCKETS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("manifest_buckets");
const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");
const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
const PRIVATE_THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("private_thumbnails");
const CONTENT_HASHES: TableDefinition<(u64, &[u8; 32]), u64> = TableDefinition::new("content_hashes");
const DELETED_PHOTOS: TableDefinition<(u64, u64), i64> = TableDefinition::new("deleted_photos");
const LIST_INDEX: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("list_index");
const LIST_FRONT: TableDefinition<u64, &[u8]> = TableDefinition::new("list_front");

/// FORMAT.md: `CHUNK = 65,456` bytes of plaintext; 16 chunks to a full segment.
const CHUNK: usize = 65_456;
const SEGMENT_CHUNKS: usize = 16;

// ---------------------------------------------------------------------------------------
// FORMAT.md's records, for the postcard crate (fields in the order the page gives).
// ---------------------------------------------------------------------------------------

#[derive(Deserialize, Debug, PartialEq, Eq, Clone, Copy)]
struct Kdf {
    m_kib: u32,
    t: u32,
    p: u32,
}

/// `AccountRecord`.
#[derive(Deserialize, Debug)]
struct AccountRecord {
    version: u8,
    username: String,
    generation: u32,
    changed_at: i64,
    kdf: Kdf,
    salt: [u8; 16],
    key_by_password: Vec<u8>,
    key_by_recovery: Vec<u8>,
    recovery_public: [u8; 32],
    older_keys: Vec<u8>,
    profile: Vec<u8>,
}

/// `Profile`.
#[derive(Deserialize, Debug, PartialEq)]
struct ProfileRec {
    email: String,
    smtp: Option<(String, Option<String>, Option<Vec<u8>>)>,
    previews: u8,
    backup: Option<BackupRec>,
    outbox: Vec<[u8; 32]>,
    /// (album id, digest of its row).
    albums: Vec<(u64, [u8; 16])>,
}

/// A profile: one written before albums ends after `outbox`, and reads as if one byte 0
/// (an empty list) followed.
fn decode_profile(bytes: &[u8]) -> ProfileRec {
    match postcard::take_from_bytes::<ProfileRec>(bytes) {
        Ok((profile, [])) => profile,
        _ => decode(&[bytes, &[0]].concat()),
    }
}

#[derive(Deserialize, Debug, PartialEq)]
struct BackupRec {
    endpoint: String,
    region: String,
    bucket: String,
    prefix: String,
    access_key: String,
    secret_key: String,
    last_at: i64,
    snapshot: [u8; 32],
}

/// `PhotoRecord`: `header bytes, meta bytes`.
#[derive(Deserialize)]
struct PhotoRecord {
    header: Vec<u8>,
    _meta: Vec<u8>,
}

/// `PhotoHeader`.
#[derive(Deserialize)]
struct PhotoHeader {
    version: u8,
    generation: u32,
    nonce_prefix: [u8; 7],
    chunk_count: u32,
    key_by_password: Vec<u8>,
    key_by_recovery: Vec<u8>,
    ciphertext_mac: [u8; 32],
    content_hash: [u8; 32],
}

/// `PhotoMeta`.
#[derive(Deserialize, Debug, PartialEq)]
struct MetaRec {
    name: String,
    mime: String,
    bytes: u64,
    width: u32,
    height: u32,
    orientation: u8,
    taken_at: Option<String>,
    camera: Option<String>,
    has_gps: bool,
    imported_at: i64,
}

/// `ManifestHead`.
#[derive(Deserialize, Debug)]
struct ManifestHead {
    version: u8,
    generation: u32,
    counter: u64,
    account_digest: [u8; 32],
    photo_count: u64,
    buckets: Vec<(u64, u64)>,
    recent_heads: Vec<[u8; 32]>,
}

/// `Entry`.
#[derive(Deserialize, Debug, PartialEq, Eq, Clone)]
struct Entry {
    id: u64,
    generation: u32,
    record: [u8; 16],
    previews: [u8; 16],
}

/// A backup's `SnapshotHead`.
#[derive(Deserialize, Debug)]
struct SnapshotHead {
    version: u8,
    account: u64,
    generation: u32,
    changed_at: i64,
    written_at: i64,
    kdf: Kdf,
    salt: [u8; 16],
    key_by_password: Vec<u8>,
    key_by_recovery: Vec<u8>,
    body: Vec<u8>,
}

/// A backup's `SnapshotBody`.
#[derive(Deserialize, Debug)]
struct SnapshotBody {
    record: Vec<u8>,
    photos: Vec<Entry>,
    written_at: i64,
    /// (album id, its row as stored).
    albums: Vec<(u64, Vec<u8>)>,
}

/// A backup's `DataObject`.
#[derive(Deserialize)]
struct DataObject {
    record: Vec<u8>,
    segments: Vec<Vec<u8>>,
}

/// A backup's `PreviewObject`.
#[derive(Deserialize)]
struct PreviewObject {
    thumbnail: Option<Vec<u8>>,
    private_thumbnail: Option<Vec<u8>>,
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    let (value, rest) = postcard::take_from_bytes(bytes).expect("a postcard record as FORMAT.md lays it out");
    assert!(rest.is_empty(), "{} bytes after the record", rest.len());
    value
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/vault.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn backup_vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/backup.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    unhex(v.as_str().expect("hex string"))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    to_hex(&Sha256::digest(b))
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("a number")
}

fn be64(x: u64) -> [u8; 8] {
    x.to_be_bytes()
}

fn be32(x: u32) -> [u8; 4] {
    x.to_be_bytes()
}

/// FORMAT.md's `H`: BLAKE3, unkeyed.
fn h(m: &[u8]) -> [u8; 32] {
    *blake3::hash(m).as_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn secret(v: &Value) -> SecretKey {
    SecretKey::from_slice(&hex(v)).unwrap()
}

/// `K_g` of an account of the JSON (`keys` holds K_1 … K_n).
fn key_of(account: &Value, generation: u64) -> SecretKey {
    secret(&account["keys"][usize::try_from(generation - 1).unwrap()])
}

/// The table types in the JSON must be the ones this test declares (both from FORMAT.md).
fn check_types(v: &Value) {
    let expected = [
        ("header", "&str", "&[u8]"),
        ("accounts", "u64", "&[u8]"),
        ("usernames", "&str", "u64"),
        ("manifests", "u64", "&[u8]"),
        ("manifest_buckets", "(u64, u64)", "&[u8]"),
        ("photos", "(u64, u64)", "&[u8]"),
        ("chunks", "(u64, u32)", "&[u8]"),
        ("thumbnails", "u64", "&[u8]"),
        ("private_thumbnails", "u64", "&[u8]"),
        ("content_hashes", "(u64, &[u8; 32])", "u64"),
        ("deleted_photos", "(u64, u64)", "i64"),
        ("list_index", "(u64, u32)", "&[u8]"),
        ("list_front", "u64", "&[u8]"),
        ("albums", "(u64, u64)", "&[u8]"),
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

/// The photo of `account` whose file name starts with `prefix`.
fn photo<'a>(account: &'a Value, prefix: &str) -> &'a Value {
    account["photos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["meta"]["name"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no photo {prefix}"))
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

/// A fresh redb file, created owner-only as FORMAT.md asks, holding every row of the JSON;
/// and the outbox files beside it.
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
    let albums = TableDefinition::<(u64, u64), &[u8]>::new("albums");
    for (def, name) in [(MANIFEST_BUCKETS, "manifest_buckets"), (PHOTOS, "photos"), (albums, "albums")] {
        for r in rows(name) {
            txn.open_table(def).unwrap().insert(pair(&r["key"]), hex(&r["value"]).as_slice()).unwrap();
        }
    }
    for r in rows("deleted_photos") {
        txn.open_table(DELETED_PHOTOS).unwrap().insert(pair(&r["key"]), r["value"].as_i64().unwrap()).unwrap();
    }
    for r in rows("list_front") {
        txn.open_table(LIST_FRONT).unwrap().insert(u(&r["key"]), hex(&r["value"]).as_slice()).unwrap();
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
    // The outbox: `outbox/USER/` beside the vault, owner-only.
    for file in v["outbox"].as_array().unwrap() {
        let target = path.parent().unwrap().join(file["path"].as_str().unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for dir in [target.parent().unwrap(), target.parent().unwrap().parent().unwrap()] {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
            }
        }
        std::fs::write(&target, hex(&file["content"])).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
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

/// FORMAT.md's ID text: 12 Crockford symbols, most significant 5 bits first.
fn crockford(text: &str) -> u64 {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    assert_eq!(text.len(), 12, "{text}");
    text.bytes().fold(0, |n, c| (n << 5) | ALPHABET.iter().position(|&a| a == c).unwrap() as u64)
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The login password as the test types it: bob's in decomposed form (NFD), which the
/// program must normalise to the NFC the generator used.
fn typed(password: &str) -> String {
    password.replace('\u{fc}', "u\u{308}").replace('\u{ef}', "i\u{308}")
}

fn typed_password(account: &Value) -> String {
    typed(account["login_password"].as_str().unwrap())
}

fn photo_id(photo: &Value) -> PhotoId {
    photo["id_text"].as_str().unwrap().parse().unwrap()
}

fn photo_password(photo: &Value) -> PhotoPassword {
    PhotoPassword::parse(photo["password"].as_str().unwrap()).unwrap()
}

/// The recovery words of an account, typed carelessly: capitals, odd white space.
fn recovery_words(account: &Value) -> String {
    account["recovery_words"].as_str().unwrap().to_uppercase().replace(' ', "  \n ")
}

fn recovery_key(account: &Value) -> RecoveryKey {
    let rk = RecoveryKey::parse(&recovery_words(account)).expect("the BIP39 words made by Python parse");
    assert_eq!(
        rk.public_key().0,
        RecoveryKey::from_entropy(hex(&account["recovery_entropy"]).try_into().unwrap()).public_key().0
    );
    rk
}

/// Runs the command-line program on the vault as `account` (login password `password`),
/// its configuration folder `config`.
fn run_cli(
    path: &Path,
    config: &Path,
    user: &str,
    password: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_secure-photo-gallery"));
    cmd.arg("--vault").arg(path).args(args).args(["--user", user]);
    for var in [
        "SPG_VAULT",
        "SPG_NEW_PASSWORD",
        "SPG_PHOTO_PASSWORD",
        "SPG_RECOVERY_KEY",
        "SPG_SMTP_URL",
        "SPG_SMTP_CA_FILE",
        "SPG_SMTP_PASSWORD",
        "SPG_S3_SECRET_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("SPG_PASSWORD", password).env("XDG_CONFIG_HOME", config);
    for (k, val) in envs {
        cmd.env(k, val);
    }
    cmd.output().unwrap()
}

/// [`run_cli`], asserting that the program succeeded; returns its standard output and error.
fn cli(path: &Path, config: &Path, user: &str, password: &str, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = run_cli(path, config, user, password, args, envs);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{args:?} --user {user}: {text}");
    text
}

/// `list --json`: its standard output.
fn list_json(path: &Path, config: &Path, user: &str, password: &str) -> String {
    let out = run_cli(path, config, user, password, &["list", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "list --user {user}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The `seen-counters` file the program keeps in its configuration folder.
fn seen_counters(config: &Path) -> String {
    let seen: Vec<_> = walk(config).into_iter().filter(|p| p.file_name().unwrap() == "seen-counters").collect();
    assert_eq!(seen.len(), 1, "no single seen-counters file under the configuration folder: {:?}", walk(config));
    std::fs::read_to_string(&seen[0]).unwrap()
}

/// The account line `VAULT-ID ACCOUNT-ID COUNTER HEAD RECOVERY GENERATION KEY M,T,P SALT
/// WRAP` (FORMAT.md, "Outside the vault") of `account` in vault `vault_id`: there is exactly
/// one, and it has the ten fields.
fn seen_line(config: &Path, vault_id: &str, account: u64) -> String {
    let text = seen_counters(config);
    let prefix = format!("{vault_id} {account} ");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert_eq!(lines.len(), 1, "one line for account {account} of {vault_id}:\n{text}");
    let fields: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(fields.len(), 10, "{}", lines[0]);
    let lower_hex =
        |f: &str, len: usize| f.len() == len && f.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    for (i, f) in fields.iter().enumerate() {
        match i {
            0 | 8 => assert!(lower_hex(f, 32), "{f}"),
            1 | 2 | 5 => assert!(f.parse::<u64>().is_ok(), "{f}"),
            7 => assert!(f.split(',').all(|n| n.parse::<u32>().is_ok()) && f.split(',').count() == 3, "{f}"),
            9 => assert!(lower_hex(f, 144), "{f}"),
            _ => assert!(lower_hex(f, 64), "{f}"),
        }
    }
    lines[0].to_string()
}

/// The line the program should hold for an account, from the vault file (FORMAT.md): the
/// head opened with the account's current key, which the recovery words give,
/// `KEY = MAC(K_n, "secure-photo-gallery v3 seen generation")`, and the record's password wrap.
fn expected_seen_line(path: &Path, vault_id: &str, account: u64) -> String {
    let v = vectors();
    let acc = v["accounts"].as_array().unwrap().iter().find(|a| u(&a["id"]) == account).unwrap();
    let (key, record) = current_key(path, acc);
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let m = read_manifest(&txn, &unhex(vault_id), account, &key);
    format!(
        "{vault_id} {account} {} {} {} {} {} {},{},{} {} {}",
        m.head.counter,
        to_hex(&h(&m.stored)),
        to_hex(&h(&record.recovery_public)),
        record.generation,
        to_hex(&keyed_hash(&key, b"secure-photo-gallery v3 seen generation")),
        record.kdf.m_kib,
        record.kdf.t,
        record.kdf.p,
        to_hex(&record.salt),
        to_hex(&record.key_by_password)
    )
}

/// The account's current key `K_n`, from its record as stored: `key_by_recovery` opened with
/// the recovery words (label `v3 recovery account-key`, AAD be64(account) ‖ be32(n)).
fn current_key(path: &Path, account: &Value) -> (SecretKey, AccountRecord) {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let id = u(&account["id"]);
    let record: AccountRecord = decode(txn.open_table(ACCOUNTS).unwrap().get(id).unwrap().unwrap().value());
    let rk = RecoveryKey::from_entropy(hex(&account["recovery_entropy"]).try_into().unwrap());
    let key = rk.open_account_key(id, record.generation, &record.key_by_recovery).expect("key_by_recovery opens");
    (key, record)
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

/// FORMAT.md's `row(v)` for the `previews` digest.
fn row_digest(v: Option<&[u8]>) -> Vec<u8> {
    match v {
        None => vec![0],
        Some(v) => cat(&[&[1], &be64(v.len() as u64), v]),
    }
}

fn record_digest(id: u64, record: &[u8]) -> [u8; 16] {
    h(&cat(&[b"secure-photo-gallery v3 record", &be64(id), record]))[..16].try_into().unwrap()
}

fn previews_digest(id: u64, thumbnail: Option<&[u8]>, private: Option<&[u8]>) -> [u8; 16] {
    let m = cat(&[b"secure-photo-gallery v3 previews", &be64(id), &row_digest(thumbnail), &row_digest(private)]);
    h(&m)[..16].try_into().unwrap()
}

/// An account's manifest as stored, read by FORMAT.md's rules with the current key `key`:
/// the head (its version, generation, bucket list and account digest checked) and the
/// entries of every bucket it lists (each opened with its version, ascending, in range).
struct Manifest {
    stored: Vec<u8>,
    head: ManifestHead,
    buckets: Vec<(u64, u64, Vec<Entry>)>,
}

impl Manifest {
    fn entries(&self) -> BTreeMap<u64, Entry> {
        self.buckets.iter().flat_map(|(_, _, e)| e.iter().map(|e| (e.id, e.clone()))).collect()
    }
}

fn read_manifest(txn: &redb::ReadTransaction, vault_id: &[u8], account: u64, key: &SecretKey) -> Manifest {
    let km = derive_subkey(key, Subkey::Manifest);
    let stored = txn.open_table(MANIFESTS).unwrap().get(account).unwrap().expect("a manifests row").value().to_vec();
    let ha = cat(&[b"secure-photo-gallery v3 manifest", vault_id, &be64(account)]);
    let head: ManifestHead = decode(&open(&km, &ha, &stored).expect("the head opens under subkey_n(manifest)"));
    assert_eq!(head.version, 3);
    let record = txn.open_table(ACCOUNTS).unwrap().get(account).unwrap().unwrap().value().to_vec();
    let parsed: AccountRecord = decode(&record);
    assert_eq!(head.generation, parsed.generation, "the head's generation is the record's");
    let digest = keyed_hash(&km, &cat(&[b"secure-photo-gallery v3 account record", &record]));
    assert_eq!(head.account_digest, digest, "account_digest");
    assert!(head.recent_heads.len() <= 32);
    assert_eq!(head.buckets.first().map(|b| b.0), Some(0), "the first bucket starts at 0");
    assert!(head.buckets.windows(2).all(|w| w[0].0 < w[1].0), "buckets sorted by first id");
    let table = txn.open_table(MANIFEST_BUCKETS).unwrap();
    let mut buckets = Vec::new();
    for (i, &(first, version)) in head.buckets.iter().enumerate() {
        assert!((1..=head.counter).contains(&version), "bucket {first} version {version}");
        let end = head.buckets.get(i + 1).map_or(u64::MAX, |b| b.0);
        let sealed = table.get((account, first)).unwrap().expect("a bucket row").value().to_vec();
        let ba =
            cat(&[b"secure-photo-gallery v3 manifest bucket", vault_id, &be64(account), &be64(first), &be64(version)]);
        let entries: Vec<Entry> = decode(&open(&km, &ba, &sealed).expect("the bucket opens with BA(first, version)"));
        assert!(entries.windows(2).all(|w| w[0].id < w[1].id), "entries ascend");
        assert!(entries.iter().all(|e| e.id >= first && e.id < end), "entries in the bucket's range");
        buckets.push((first, version, entries));
    }
    let manifest = Manifest { stored, head, buckets };
    assert_eq!(manifest.entries().len() as u64, manifest.head.photo_count, "photo_count");
    manifest
}

/// Each entry's digests against the rows as stored (FORMAT.md, "What the entries pin"), and
/// the entries against the account's `photos` rows.
fn check_entries(txn: &redb::ReadTransaction, account: u64, entries: &BTreeMap<u64, Entry>) {
    let photos = txn.open_table(PHOTOS).unwrap();
    let thumbnails = txn.open_table(THUMBNAILS).unwrap();
    let private = txn.open_table(PRIVATE_THUMBNAILS).unwrap();
    let rows: Vec<u64> =
        photos.range((account, 0)..=(account, u64::MAX)).unwrap().map(|r| r.unwrap().0.value().1).collect();
    assert_eq!(rows, entries.keys().copied().collect::<Vec<_>>(), "account {account}: photos rows and entries");
    for (id, entry) in entries {
        let record = photos.get((account, *id)).unwrap().unwrap().value().to_vec();
        assert_eq!(entry.record, record_digest(*id, &record), "{id}: record digest");
        let r: PhotoRecord = decode(&record);
        let header: PhotoHeader = decode(&r.header);
        assert_eq!(header.generation, entry.generation, "{id}: the header names the entry's generation");
        let t = thumbnails.get(*id).unwrap().map(|g| g.value().to_vec());
        let p = private.get(*id).unwrap().map(|g| g.value().to_vec());
        assert_eq!(entry.previews, previews_digest(*id, t.as_deref(), p.as_deref()), "{id}: previews digest");
    }
}

/// The Python rows decode by FORMAT.md's layouts, and by the crate's public crypto
/// functions: `key_by_recovery` gives `K_n`, `older_keys` the earlier keys, the profile
/// opens, and `key_by_recovery` of each photo gives its `KF`.
fn check_records_and_recovery(v: &Value) {
    let row = |table: &str, key: &Value| -> Vec<u8> {
        let r = v["tables"][table]["rows"].as_array().unwrap().iter().find(|r| r["key"] == *key).unwrap();
        hex(&r["value"])
    };
    for account in v["accounts"].as_array().unwrap() {
        let id = u(&account["id"]);
        let bytes = row("accounts", &account["id"]);
        assert_eq!(bytes, hex(&account["record"]));
        let record: AccountRecord = decode(&bytes);
        assert_eq!(record.version, 3);
        assert_eq!(record.username, account["username"].as_str().unwrap());
        let n = record.generation;
        assert_eq!(u64::from(n), u(&account["generation"]));
        assert_eq!(record.changed_at, account["changed_at"].as_i64().unwrap());
        let kdf = &account["kdf"];
        let expected = Kdf { m_kib: u(&kdf["m_kib"]) as u32, t: u(&kdf["t"]) as u32, p: u(&kdf["p"]) as u32 };
        assert_eq!(record.kdf, expected);
        assert!(KdfParams { m_kib: expected.m_kib, t: expected.t, p: expected.p }.is_acceptable());
        assert_eq!(record.salt.to_vec(), hex(&account["salt"]));
        let rk = recovery_key(account);
        assert_eq!(rk.public_key().0, record.recovery_public);
        let kn = rk.open_account_key(id, n, &record.key_by_recovery).unwrap();
        assert_eq!(kn, key_of(account, u64::from(n)), "{id}: key_by_recovery gives K_n");
        assert!(rk.open_account_key(id, n + 1, &record.key_by_recovery).is_err());
        // key_by_password: Seal(KP, AK(account, n), K_n), KP the Argon2id of the NFC password.
        let kp = password_key(
            &typed_password(account),
            &record.salt,
            KdfParams { m_kib: expected.m_kib, t: expected.t, p: expected.p },
        );
        let ak = cat(&[b"secure-photo-gallery v3 account key", &be64(id), &be32(n)]);
        assert_eq!(open(&kp, &ak, &record.key_by_password).unwrap(), kn.expose().to_vec(), "{id}: key_by_password");
        // older_keys: empty in generation 1, else K_1 … K_{n-1} sealed under subkey_n(older keys).
        if n == 1 {
            assert!(record.older_keys.is_empty());
        } else {
            let aad = cat(&[b"secure-photo-gallery v3 older keys", &be64(id), &be32(n)]);
            let older: Vec<[u8; 32]> =
                decode(&open(&derive_subkey(&kn, Subkey::OlderKeys), &aad, &record.older_keys).unwrap());
            assert_eq!(older.len() as u32, n - 1);
            for (g, k) in older.iter().enumerate() {
                assert_eq!(k.to_vec(), hex(&account["keys"][g]), "{id}: older key {}", g + 1);
            }
        }
        let aad = cat(&[b"secure-photo-gallery v1 profile", &be64(id)]);
        let profile = open_padded(&derive_subkey(&kn, Subkey::Profile), &aad, &record.profile).unwrap();
        assert_eq!(profile, hex(&account["profile_postcard"]));
        let profile = decode_profile(&profile);
        // `outbox`, the profile's last field: H of each email the program saved and has not sent.
        let listed: Vec<String> = profile.outbox.iter().map(|d| to_hex(d)).collect();
        let expected: Vec<String> =
            account["profile"]["outbox"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().into()).collect();
        assert_eq!(listed, expected, "{id}: the profile's outbox list");
        for photo in account["photos"].as_array().unwrap() {
            let pid = u(&photo["id"]);
            let header: PhotoHeader = decode(&hex(&photo["header_postcard"]));
            assert_eq!(header.version, 3);
            assert_eq!(u64::from(header.generation), u(&photo["generation"]));
            assert_eq!(header.nonce_prefix.to_vec(), hex(&photo["nonce_prefix"]));
            assert_eq!(u64::from(header.chunk_count), u(&photo["chunk_count"]));
            assert_eq!((header.key_by_password.len(), header.key_by_recovery.len()), (72, 104));
            assert_eq!(header.ciphertext_mac.to_vec(), hex(&photo["ciphertext_mac"]));
            assert_eq!(header.content_hash.to_vec(), hex(&photo["content_hash"]));
            let kf = rk.open_photo_key(pid, &header.key_by_recovery).unwrap();
            assert!(kf == secret(&photo["photo_key"]), "{pid}: key_by_recovery");
            // The `thumbnails` row, sealed under subkey_g(thumbnail) of the generation current
            // when it was written (`preview_generation`), not necessarily the photo's own.
            if let Some(shown) = photo["login_thumbnail"].as_str() {
                let row = row("thumbnails", &photo["id"]);
                let label: &[u8] = if u(&photo["stored_form"]) == 0 {
                    b"secure-photo-gallery v1 thumbnail"
                } else {
                    b"secure-photo-gallery v2 placeholder"
                };
                let aad = cat(&[label, &be64(id), &be64(pid)]);
                let written_in = u(&photo["preview_generation"]);
                assert!(written_in >= u(&photo["generation"]) && written_in <= u64::from(n));
                let tk = derive_subkey(&key_of(account, written_in), Subkey::Thumbnail);
                assert_eq!(open_padded(&tk, &aad, &row).unwrap(), unhex(shown), "{pid}: thumbnails row");
                for g in (1..=u64::from(n)).filter(|&g| g != written_in) {
                    let other = derive_subkey(&key_of(account, g), Subkey::Thumbnail);
                    assert!(open_padded(&other, &aad, &row).is_err(), "{pid}: thumbnails row under K_{g}");
                }
            }
            // content_hash = MAC(subkey_g(content-hash), H(file)), under the photo's generation.
            let kg = key_of(account, u(&photo["generation"]));
            let ch = keyed_hash(&derive_subkey(&kg, Subkey::ContentHash), &h(&original(photo)));
            assert_eq!(ch.to_vec(), hex(&photo["content_hash"]), "{pid}: content hash");
        }
    }
}

/// The preview rows of every photo after it was unlocked (brought into its account's form,
/// FORMAT.md's "Previews"): each `thumbnails` row sealed under the generation current when
/// it was written (the generator's `preview_generation`; the account's current one for a
/// row the program wrote now); and the manifest the program left: one more transaction for
/// each photo it converted, pinning the new rows.
fn check_preview_rows(path: &Path, v: &Value, converted: &[(u64, u64)]) {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let vault_id = hex(&v["vault_id"]);
    let thumbnails = txn.open_table(THUMBNAILS).unwrap();
    let private = txn.open_table(PRIVATE_THUMBNAILS).unwrap();
    for account in v["accounts"].as_array().unwrap() {
        let aid = u(&account["id"]);
        let mode = u(&account["previews"]);
        for photo in account["photos"].as_array().unwrap() {
            let pid = u(&photo["id"]);
            let text = photo["id_text"].as_str().unwrap();
            let written_in = if converted.contains(&(aid, pid)) {
                u(&account["generation"])
            } else {
                u(&photo["preview_generation"])
            };
            let thumbnail = hex(&photo["thumbnail"]);
            let row = thumbnails.get(pid).unwrap().map(|g| g.value().to_vec());
            let private_row = private.get(pid).unwrap().map(|g| g.value().to_vec());
            let tk = derive_subkey(&key_of(account, written_in), Subkey::Thumbnail);
            match mode {
                0 => {
                    let aad = cat(&[b"secure-photo-gallery v1 thumbnail", &be64(aid), &be64(pid)]);
                    let opened = open_padded(&tk, &aad, &row.expect("a thumbnails row")).unwrap();
                    assert_eq!(opened, thumbnail, "{text}: the thumbnail, under the key of its time");
                    assert!(private_row.is_none(), "{text}: no private row in sharp mode");
                }
                1 => {
                    let aad = cat(&[b"secure-photo-gallery v2 placeholder", &be64(aid), &be64(pid)]);
                    let opened = open_padded(&tk, &aad, &row.expect("a thumbnails row")).unwrap();
                    if photo["login_thumbnail"].is_string() {
                        assert_eq!(opened, hex(&photo["login_thumbnail"]), "{text}: the placeholder as stored");
                    } else {
                        assert_eq!(&opened[..2], &[0xff, 0xd8], "{text}: a placeholder made by the program, a JPEG");
                    }
                    let kt = derive_private_thumbnail_key(&secret(&photo["photo_key"]));
                    let aad = cat(&[b"secure-photo-gallery v2 private thumbnail", &be64(aid), &be64(pid)]);
                    let opened = open_padded(&kt, &aad, &private_row.expect("a private row")).unwrap();
                    assert_eq!(opened, thumbnail, "{text}: the private thumbnail");
                }
                _ => unreachable!("no account of the vectors hides its previews"),
            }
        }
        let key = key_of(account, u(&account["generation"]));
        let m = read_manifest(&txn, &vault_id, aid, &key);
        let writes = converted.iter().filter(|(a, _)| *a == aid).count() as u64;
        assert_eq!(m.head.counter, u(&account["manifest"]["counter"]) + writes, "account {aid}: counter");
        if writes > 0 {
            assert_eq!(m.head.recent_heads.len(), account["manifest"]["recent_heads"].as_array().unwrap().len() + 1);
            assert_eq!(to_hex(&m.head.recent_heads[writes as usize - 1]), account["manifest"]["fingerprint"]);
        }
        check_entries(&txn, aid, &m.entries());
        for (a, pid) in converted.iter().filter(|(a, _)| *a == aid) {
            let bucket = m.buckets.iter().find(|(_, _, e)| e.iter().any(|e| e.id == *pid)).unwrap();
            assert!(bucket.1 > u(&account["manifest"]["counter"]), "{a}/{pid}: its bucket was written again");
        }
    }
}

/// Opens a data object and a preview object of a backup by FORMAT.md ("Backups"): the data
/// object with `KB_g` of the photo's generation key `kg`, the preview object with `KB_c` of
/// `kc`, the key of the generation current when it was sent: the rows as the vault stores
/// them.
fn open_photo_objects(
    kg: &SecretKey,
    kc: &SecretKey,
    account: u64,
    id: u64,
    data: &[u8],
    previews: &[u8],
) -> (DataObject, PreviewObject) {
    let kb = derive_subkey(kg, Subkey::Backup);
    let aad = cat(&[b"secure-photo-gallery v2 backup photo", &be64(account), &be64(id)]);
    let data: DataObject = decode(&open_padded(&kb, &aad, data).expect("the data object opens"));
    let aad = cat(&[b"secure-photo-gallery v3 backup previews", &be64(account), &be64(id)]);
    let kb_c = derive_subkey(kc, Subkey::Backup);
    let previews: PreviewObject = decode(&open_padded(&kb_c, &aad, previews).expect("the preview object opens"));
    (data, previews)
}

/// The object names of a photo (FORMAT.md): `photos/` ‖ hex(MAC(KN_g, be64(id))[..16]) and
/// `previews/` ‖ hex(MAC(KN_g, "previews" ‖ be64(id) ‖ P)[..16]).
fn object_names(kg: &SecretKey, id: u64, previews: &[u8; 16]) -> (String, String) {
    let kn = derive_subkey(kg, Subkey::BackupNames);
    let data = keyed_hash(&kn, &be64(id));
    let prev = keyed_hash(&kn, &cat(&[b"previews", &be64(id), previews]));
    (format!("photos/{}", to_hex(&data[..16])), format!("previews/{}", to_hex(&prev[..16])))
}

/// What the program makes of the Python vault as a backup source: its object names, its
/// objects and its snapshot, read back by FORMAT.md; and the Python backup's snapshot read by
/// the program.
fn check_backup_writer(account: &spg_core::service::Account, v: &Value, alice: &Value) {
    let b = backup_vectors();
    let objects: HashMap<String, Vec<u8>> = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_string(), hex(&o["object"])))
        .collect();
    let (photos, snapshot) = spg_core::fuzzing::hooks::backup_objects(account);
    assert_eq!(photos.len(), alice["photos"].as_array().unwrap().len());
    for sent in &photos {
        let id = sent.id.as_u64();
        let p = alice["photos"].as_array().unwrap().iter().find(|p| u(&p["id"]) == id).unwrap();
        let kg = key_of(alice, u(&p["generation"]));
        // Sent now, in alice's current generation: the preview object under KB_n.
        let kn = key_of(alice, u(&alice["generation"]));
        let (d, pv) = open_photo_objects(&kg, &kn, 1, id, &sent.data, &sent.previews);
        assert_eq!(
            d.record,
            hex(
                &v["tables"]["photos"]["rows"].as_array().unwrap().iter().find(|r| u(&r["key"][1]) == id).unwrap()["value"]
            )
        );
        assert_eq!(d.segments.len() as u64, u(&p["segments"]));
        let pdigest = previews_digest(id, pv.thumbnail.as_deref(), pv.private_thumbnail.as_deref());
        let (dn, pn) = object_names(&kg, id, &pdigest);
        assert_eq!(
            (sent.data_name.as_str(), sent.previews_name.as_str()),
            (dn.as_str(), pn.as_str()),
            "{id}: object names"
        );
        // The photos in backup.json (A, B and E) have the names Python gave them.
        if b["photos"].as_array().unwrap().iter().any(|x| u(x) == id) {
            assert!(objects.contains_key(&sent.data_name), "{id}: the data object's name");
            assert!(objects.contains_key(&sent.previews_name), "{id}: the preview object's name");
        }
    }
    // The program's snapshot of every photo, read by FORMAT.md.
    let head: SnapshotHead = decode(&snapshot);
    let record: AccountRecord = decode(&hex(&alice["record"]));
    assert_eq!((head.version, head.account, head.generation), (2, 1, 2));
    assert_eq!((head.changed_at, head.kdf, head.salt), (record.changed_at, record.kdf, record.salt));
    assert_eq!((&head.key_by_password, &head.key_by_recovery), (&record.key_by_password, &record.key_by_recovery));
    let kb = derive_subkey(&key_of(alice, 2), Subkey::Backup);
    let aad = cat(&[b"secure-photo-gallery v3 backup account", &be64(1)]);
    let body: SnapshotBody = decode(&open_padded(&kb, &aad, &head.body).expect("the snapshot body opens under KB_n"));
    assert_eq!(body.written_at, head.written_at);
    assert_eq!(body.photos.len(), photos.len());
    assert!(body.photos.windows(2).all(|w| w[0].id < w[1].id), "snapshot entries ascend");
    let _: AccountRecord = decode(&body.record);
    // The album rows, as the vault stores them.
    let rows = v["tables"]["albums"]["rows"].as_array().unwrap();
    assert_eq!(body.albums.len(), rows.len());
    for ((id, row), stored) in body.albums.iter().zip(rows) {
        assert_eq!((*id, to_hex(row)), (u(&stored["key"][1]), stored["value"].as_str().unwrap().to_string()));
    }
    // The Python snapshot, read by the program as this account's (current generation).
    let listed = spg_core::fuzzing::hooks::read_snapshot(account, &objects["account"], None)
        .expect("the Python snapshot is taken");
    let mut ids: Vec<u64> = listed.iter().map(|p| p.as_u64()).collect();
    ids.sort_unstable();
    assert_eq!(ids, b["photos"].as_array().unwrap().iter().map(u).collect::<Vec<_>>());
}

#[test]
#[allow(clippy::too_many_lines, reason = "the vault read record by record, as FORMAT.md tells it")]
fn a_vault_written_from_format_md_opens_and_decrypts() {
    let v = vectors();
    assert_eq!(u(&v["format_version"]), 3);
    check_types(&v);
    check_records_and_recovery(&v);
    let vault_id = v["vault_id"].as_str().unwrap();
    let vid = hex(&v["vault_id"]);
    let dir = tempfile::tempdir().unwrap();
    // What the command-line program keeps outside the vault (the seen counters) goes to
    // this test's folder, not the home folder.
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let path = dir.path().join("vault.redb");
    write_vault(&path, &v);
    let accounts = v["accounts"].as_array().unwrap();
    let alice = &accounts[0];
    let bob = &accounts[1];
    let user = |a: &Value| a["username"].as_str().unwrap().to_string();

    // The command-line program logs in first: each account's line in seen-counters is the
    // one the generator computed (counter, head fingerprint, H(XR), generation,
    // H(key_by_recovery)).
    for account in accounts {
        let stdout = list_json(&path, &config, &user(account), &typed_password(account));
        let listed: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        assert_eq!(listed.as_array().unwrap().len(), account["photos"].as_array().unwrap().len(), "{stdout}");
        for photo in account["photos"].as_array().unwrap() {
            assert!(stdout.contains(photo["id_text"].as_str().unwrap()), "{stdout}");
        }
        let line = seen_line(&config, vault_id, u(&account["id"]));
        assert_eq!(line, account["seen_line"].as_str().unwrap(), "seen-counters line of {}", user(account));
    }

    // Those lists kept alice's front of the list as the generator wrote it: it opened, and
    // named the state of her photos now (FORMAT.md, "The front of the list"). Bob had none:
    // his list wrote one.
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(LIST_FRONT).unwrap();
        let written = &v["tables"]["list_front"]["rows"][0];
        assert_eq!(u(&written["key"]), u(&alice["id"]));
        let kept = to_hex(table.get(u(&alice["id"])).unwrap().unwrap().value());
        assert_eq!(kept, written["value"].as_str().unwrap(), "alice's front");
        assert!(table.get(u(&bob["id"])).unwrap().is_some(), "bob's front");
    }

    // Every `path` line is `path VAULT-ID PATH`. (FORMAT.md says the program writes one when
    // it creates a vault; it also wrote one for this vault, made by Python, at the first login.)
    for line in seen_counters(&config).lines().filter(|l| l.starts_with("path ")) {
        let (id, rest) = line["path ".len()..].split_once(' ').expect("path VAULT-ID PATH");
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{line}");
        assert!(Path::new(rest).is_absolute(), "{line}");
        if id == vault_id {
            assert_eq!(Path::new(rest), path, "{line}");
        }
    }

    // The library: every account logs in with its password and with its recovery words,
    // lists, verifies, and opens every photo with its password and with the recovery key.
    let mut converted = Vec::new();
    {
        let vault = Vault::open(&path).unwrap();
        for account in accounts {
            let name = user(account);
            let aid = u(&account["id"]);
            let typed = typed_password(account);
            assert!(vault.login(&name, "not the password").is_err(), "{name}: a wrong login password was accepted");
            let session = vault.login(&name, &typed).unwrap_or_else(|e| panic!("{name}: login refused: {e:#}"));
            assert!(session.rollback().is_none());
            assert_eq!(session.username(), name);

            // The profile as the generator sealed it.
            let profile = decode_profile(&spg_core::fuzzing::hooks::profile_postcard(&session));
            let p = &account["profile"];
            assert_eq!(profile.email, p["email"].as_str().unwrap());
            assert_eq!(u64::from(profile.previews), u(&p["previews"]), "{name}: previews");
            let settings = session.settings();
            let expected_previews = [Previews::Sharp, Previews::Blurred, Previews::Hidden][u(&p["previews"]) as usize];
            assert!(settings.previews == expected_previews && settings.email == profile.email, "{name}: as shown");
            match (&profile.smtp, p["smtp"].is_null()) {
                (None, true) => {}
                (Some((url, from, ca_pem)), false) => {
                    assert_eq!(url, p["smtp"]["url"].as_str().unwrap());
                    assert_eq!(*from, opt_str(&p["smtp"]["from"]));
                    assert_eq!(ca_pem.as_deref(), p["smtp"]["ca_pem"].as_str().map(str::as_bytes));
                }
                _ => panic!("{name}: smtp settings"),
            }
            match (&profile.backup, p["backup"].is_null()) {
                (None, true) => {}
                (Some(b), false) => {
                    let e = &p["backup"];
                    assert_eq!(
                        (b.endpoint.as_str(), b.region.as_str(), b.bucket.as_str(), b.prefix.as_str()),
                        (
                            e["endpoint"].as_str().unwrap(),
                            e["region"].as_str().unwrap(),
                            e["bucket"].as_str().unwrap(),
                            e["prefix"].as_str().unwrap()
                        )
                    );
                    assert_eq!(
                        (b.access_key.as_str(), b.secret_key.as_str()),
                        (e["access_key"].as_str().unwrap(), e["secret_key"].as_str().unwrap())
                    );
                    assert_eq!(b.last_at, e["last_at"].as_i64().unwrap());
                    assert_eq!(b.snapshot.to_vec(), hex(&e["snapshot"]));
                }
                _ => panic!("{name}: backup settings"),
            }
            let outbox: Vec<String> = profile.outbox.iter().map(|d| to_hex(d)).collect();
            let expected: Vec<String> =
                p["outbox"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
            assert_eq!(outbox, expected, "{name}: the digests of the emails queued in the outbox");
            // Albums (FORMAT.md, "Albums"): the profile pins each row; the program lists them
            // as the generator wrote them, and counts only the photos the account has.
            let written = account["albums"].as_array().unwrap();
            let pins: Vec<(u64, String)> = profile.albums.iter().map(|(id, d)| (*id, to_hex(d))).collect();
            let expected: Vec<(u64, String)> =
                written.iter().map(|a| (u(&a["id"]), a["digest"].as_str().unwrap().to_string())).collect();
            assert_eq!(pins, expected, "{name}: the profile's album pins");
            let albums = session.albums().unwrap();
            assert!(albums.problems.is_empty(), "{name}: {:?}", albums.problems);
            assert_eq!(albums.albums.len(), written.len());
            for (album, a) in albums.albums.iter().zip(written) {
                assert_eq!((album.id, album.name.as_str()), (u(&a["id"]), a["name"].as_str().unwrap()));
                assert_eq!(album.created_at, a["created_at"].as_i64().unwrap());
                assert_eq!(album.cover.map(PhotoId::as_u64), a["cover"].as_u64());
                let mut ids: Vec<u64> = a["photos"].as_array().unwrap().iter().map(u).collect();
                ids.sort_unstable();
                assert_eq!(album.photos.iter().map(|p| p.as_u64()).collect::<Vec<_>>(), ids, "{}", album.name);
            }
            let held: Vec<PhotoId> = account["photos"].as_array().unwrap().iter().map(photo_id).collect();
            let shown: Vec<(String, usize)> = spg_core::service::album_summaries(&albums, |id| held.contains(&id))
                .into_iter()
                .map(|s| (s.name, s.count))
                .collect();
            let expected: Vec<(String, usize)> = written
                .iter()
                .map(|a| {
                    let held = a["photos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|id| account["photos"].as_array().unwrap().iter().any(|p| u(&p["id"]) == u(id)));
                    (a["name"].as_str().unwrap().to_string(), held.count())
                })
                .collect();
            let mut expected = expected;
            expected.sort_by_key(|(n, _)| n.to_lowercase());
            assert_eq!(shown, expected, "{name}: the albums as shown");
            // The outbox folder: `outbox/USER/` beside the vault, USER lower-cased.
            assert_eq!(session.outbox_dir(), path.parent().unwrap().join("outbox").join(name.to_lowercase()));

            let report = session.verify().unwrap();
            assert!(report.problems.is_empty(), "{name}: verify found problems: {:?}", report.problems);
            assert_eq!(report.checked, account["photos"].as_array().unwrap().len(), "{name}: photos checked");
            assert!(session.manifest_problems().is_empty(), "{name}: manifest problems");
            assert!(
                session.check_records(&std::sync::atomic::AtomicBool::new(false)).unwrap().unwrap().is_empty(),
                "{name}: records that do not open"
            );

            // The front of the list (FORMAT.md): alice's, which the generator took from her
            // head as it is, is shown as written; bob's, from the command line's list
            // above. Each is the list's first photos, in order.
            let front = session.list_front().unwrap();
            let (infos, unreadable) = session.list().unwrap();
            assert!(unreadable.is_empty(), "{name}: photos whose metadata did not open: {unreadable:?}");
            let photos = account["photos"].as_array().unwrap();
            assert_eq!(infos.len(), photos.len(), "{name}: photo count");
            let front: Option<Vec<_>> = front.map(|f| f.iter().map(|p| p.to_info()).collect());
            let listed: Vec<_> = infos.iter().map(|p| p.to_info()).collect();
            assert_eq!(front, Some(listed), "{name}: the front of the list");

            for photo in photos {
                let text = photo["id_text"].as_str().unwrap();
                let id = photo_id(photo);
                assert_eq!(id.to_string(), text);
                assert_eq!(text.to_lowercase().parse::<PhotoId>().unwrap(), id);
                assert_eq!(id.as_u64(), u(&photo["id"]));
                assert_eq!(crockford(text), u(&photo["id"]), "{text}: the 12 symbols and the number");
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
                assert!(session.meta(id).unwrap() == *meta, "{text}: meta from the record");

                // The login alone shows the `thumbnails` row (a sharp thumbnail or a
                // placeholder); a photo stored hidden shows nothing.
                match photo["login_thumbnail"].as_str() {
                    Some(expected) => {
                        let shown = session.thumbnail(id).unwrap_or_else(|e| panic!("{text}: {e}"));
                        assert_eq!(&shown[..], unhex(expected).as_slice(), "{text}: login thumbnail");
                    }
                    None => assert!(
                        matches!(session.thumbnail(id), Err(PhotoError::PreviewHidden(_))),
                        "{text}: a hidden preview"
                    ),
                }

                // The photo password opens the photo, in display form and typed carelessly.
                let pw = photo_password(photo);
                let careless = photo["password_canonical"].as_str().unwrap().to_lowercase();
                let careless = PhotoPassword::parse(&careless).unwrap();
                assert!(session.check_password(id, &pw).is_ok(), "{text}: check_password");
                let (meta2, bytes) = session.decrypt(id, &Unlock::Password(careless.clone())).unwrap();
                assert_eq!(meta2.name, meta.name);
                assert_eq!(bytes.len() as u64, u(&photo["bytes"]), "{text}");
                assert_eq!(sha256_hex(&bytes), photo["sha256"].as_str().unwrap(), "{text}");
                assert_eq!(&bytes[..], original(photo).as_slice(), "{text}");

                let unlocked =
                    spg_core::service::unlocked_thumbnail(&session, id, &Unlock::Password(pw.clone())).unwrap();
                assert_eq!(&unlocked[..], hex(&photo["thumbnail"]).as_slice(), "{text}: unlocked thumbnail");
                if u(&photo["stored_form"]) != u(&account["previews"]) {
                    converted.push((aid, u(&photo["id"])));
                }

                // A wrong (well-formed) photo password opens nothing.
                let mut wrong = photo["password_canonical"].as_str().unwrap().to_string();
                let last = if wrong.ends_with('0') { "1" } else { "0" };
                wrong.replace_range(19..20, last);
                let wrong = PhotoPassword::parse(&wrong).unwrap();
                assert!(
                    session.decrypt(id, &Unlock::Password(wrong.clone())).is_err(),
                    "{text}: wrong password opened it"
                );
                assert!(
                    spg_core::service::unlocked_thumbnail(&session, id, &Unlock::Password(wrong.clone())).is_err(),
                    "{text}: wrong password opened the private thumbnail"
                );
            }
            // Unlocking left the account consistent; every photo now has the account's form.
            assert!(session.verify().unwrap().problems.is_empty(), "{name}: verify after unlocking");
            assert!(session.manifest_problems().is_empty(), "{name}: manifest after unlocking");
            for photo in photos {
                let text = photo["id_text"].as_str().unwrap();
                let shown = session.thumbnail(photo_id(photo)).unwrap_or_else(|e| panic!("{text}: {e}"));
                if u(&account["previews"]) == 0 {
                    assert_eq!(
                        &shown[..],
                        hex(&photo["thumbnail"]).as_slice(),
                        "{text}: login thumbnail after unlocking"
                    );
                } else if let Some(stored) = photo["login_thumbnail"].as_str() {
                    assert_eq!(&shown[..], unhex(stored).as_slice(), "{text}: the placeholder as stored");
                } else {
                    assert_eq!(&shown[..2], &[0xff, 0xd8], "{text}: a placeholder JPEG made by the program");
                }
            }
            if aid == 1 {
                check_backup_writer(&session, &v, account);
            }
            drop(session);

            // The recovery words: the same account, every photo opens with the recovery key.
            let session = vault.login_with_recovery(&name.to_uppercase(), recovery_key(account)).unwrap();
            assert!(session.is_recovery());
            for photo in photos {
                let (_, bytes) = session.decrypt(photo_id(photo), &Unlock::Recovery).unwrap();
                assert_eq!(&bytes[..], original(photo).as_slice(), "{}: with the recovery key", photo["id_text"]);
            }
            assert!(session.verify().unwrap().problems.is_empty());
        }
        assert!(vault.login("nobody", "correct horse battery staple").is_err());
        // `usernames` holds the lower-cased name: a name typed in capitals finds it.
        assert!(vault.login("ALICE", &typed_password(alice)).is_ok(), "login as ALICE");
        // The password of alice's first generation opens nothing now.
        assert!(vault.login("alice", "first password of alice, since changed").is_err());
    }
    assert_eq!(converted.len(), 2, "D (blurred in a sharp account) and F (hidden in a blurred one)");

    // The converted photos' rows, and the manifest the program wrote for them.
    check_preview_rows(&path, &v, &converted);

    // The command-line program sees each account moved on from the head it remembered (the
    // new head lists it in recent_heads): no rollback or fork, and its line follows.
    for account in accounts {
        let out = cli(&path, &config, &user(account), &typed_password(account), &["verify"], &[]);
        let n = account["photos"].as_array().unwrap().len();
        assert!(out.contains(&format!("verified {n} photos: all intact")), "{out}");
        let line = seen_line(&config, vault_id, u(&account["id"]));
        assert_eq!(line, expected_seen_line(&path, vault_id, u(&account["id"])));
    }

    // Importing B's file again (a real BMP of generation 1) and E's (generation 2) finds each
    // by its content hash under its own generation's key: no new photo.
    let alice_pw = typed_password(alice);
    for p in ["b", "E"] {
        let file = dir.path().join(format!("again-{p}.bmp"));
        std::fs::write(&file, original(photo(alice, p))).unwrap();
        let out = cli(&path, &config, "alice", &alice_pw, &["import", file.to_str().unwrap()], &[]);
        assert!(out.contains("duplicate"), "importing {p}'s file again: {out}");
    }
    let listed = list_json(&path, &config, "alice", &alice_pw);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4, "a photo imported a second time: {listed}");

    // The lists above took alice's photos from the generator's list index (two segments, 0
    // and 5, sealed under K_2), which opened and was complete: the program left it as it
    // was. Bob had none: his first list wrote his, which opens by FORMAT.md.
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(LIST_INDEX).unwrap();
        let stored: Vec<((u64, u32), Vec<u8>)> =
            table.iter().unwrap().map(|r| r.unwrap()).map(|(k, v)| (k.value(), v.value().to_vec())).collect();
        let written: Vec<((u64, u32), Vec<u8>)> = v["tables"]["list_index"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| ((u(&r["key"][0]), u(&r["key"][1]) as u32), hex(&r["value"])))
            .collect();
        let alice_rows: Vec<_> = stored.iter().filter(|(k, _)| k.0 == 1).cloned().collect();
        assert_eq!(alice_rows, written, "alice's list index");
        let bob_rows: Vec<_> = stored.iter().filter(|(k, _)| k.0 == 2).collect();
        assert!(!bob_rows.is_empty(), "bob's list index, written at his first list");
        let kn = key_of(bob, 1);
        let mut ids = Vec::new();
        for ((a, segment), value) in bob_rows {
            let aad = cat(&[b"secure-photo-gallery v2 list index", &vid, &be64(*a), &be32(*segment)]);
            let plain = open_padded(&derive_subkey(&kn, Subkey::Metadata), &aad, value).expect("bob's segment opens");
            let entries: Vec<(u64, MetaRec)> = decode(&plain);
            for (id, meta) in entries {
                let p = bob["photos"].as_array().unwrap().iter().find(|p| u(&p["id"]) == id).unwrap();
                let expected: MetaRec = decode(&hex(&p["meta_postcard"]));
                assert_eq!(meta, expected, "{id}: the index holds the metadata as the record seals it");
                ids.push(id);
            }
        }
        ids.sort_unstable();
        let mut expected: Vec<u64> = bob["photos"].as_array().unwrap().iter().map(|p| u(&p["id"])).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected);
    }

    // The fronts of both lists as the program's lists left them (alice's written again
    // once unlocking changed her entries, bob's at his first list): each opens by FORMAT.md,
    // names the state of its account's head now, and holds the list's first photos, in
    // the order `list` prints them, with their records' metadata.
    for account in [alice, bob] {
        let order: Value =
            serde_json::from_str(&list_json(&path, &config, &user(account), &typed_password(account))).unwrap();
        let order: Vec<u64> = order.as_array().unwrap().iter().map(|p| crockford(p["id"].as_str().unwrap())).collect();
        let (key, _) = current_key(&path, account);
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let aid = u(&account["id"]);
        let manifest = read_manifest(&txn, &vid, aid, &key);
        let mut state = cat(&[b"secure-photo-gallery v3 photos state", &be64(manifest.head.photo_count)]);
        for (first, counter) in &manifest.head.buckets {
            state.extend(cat(&[&be64(*first), &be64(*counter)]));
        }
        let sealed = txn.open_table(LIST_FRONT).unwrap().get(aid).unwrap().expect("a front").value().to_vec();
        let aad = cat(&[b"secure-photo-gallery v3 list front", &vid, &be64(aid)]);
        let plain = open_padded(&derive_subkey(&key, Subkey::Metadata), &aad, &sealed).expect("the front opens");
        let (taken_from, entries): ([u8; 32], Vec<(u64, MetaRec)>) = decode(&plain);
        assert_eq!(taken_from, h(&state), "{}: the state the front was taken from", user(account));
        assert_eq!(
            entries.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            order,
            "{}: in the list's order",
            user(account)
        );
        for (id, meta) in entries {
            let p = account["photos"].as_array().unwrap().iter().find(|p| u(&p["id"]) == id).unwrap();
            assert_eq!(meta, decode::<MetaRec>(&hex(&p["meta_postcard"])), "{id}: the record's metadata");
        }
    }

    // Bob's previews become hidden (a profile write): every `thumbnails` row of his goes, in
    // the transaction that stores the profile (previews 2, the rest as before) and updates
    // the entries; his photos keep their private rows.
    {
        let vault = Vault::open(&path).unwrap();
        let session = vault.login("bob", &typed_password(bob)).unwrap();
        spg_core::service::set_previews(&session, Previews::Hidden).unwrap();
        for p in bob["photos"].as_array().unwrap() {
            assert!(matches!(session.thumbnail(photo_id(p)), Err(PhotoError::PreviewHidden(_))), "{}", p["id_text"]);
        }
    }
    {
        let k1 = key_of(bob, 1);
        let (_, record) = current_key(&path, bob);
        let aad = cat(&[b"secure-photo-gallery v1 profile", &be64(2)]);
        let profile =
            decode_profile(&open_padded(&derive_subkey(&k1, Subkey::Profile), &aad, &record.profile).unwrap());
        let mut expected = decode_profile(&hex(&bob["profile_postcard"]));
        expected.previews = 2;
        assert_eq!(profile, expected, "bob's profile with hidden previews");
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let m = read_manifest(&txn, &vid, 2, &k1);
        assert_eq!(m.head.counter, u(&bob["manifest"]["counter"]) + 2, "the conversion of F, then the profile");
        for p in bob["photos"].as_array().unwrap() {
            let id = u(&p["id"]);
            assert!(txn.open_table(THUMBNAILS).unwrap().get(id).unwrap().is_none(), "{}: thumbnails row", p["id_text"]);
            assert!(
                txn.open_table(PRIVATE_THUMBNAILS).unwrap().get(id).unwrap().is_some(),
                "{}: private row",
                p["id_text"]
            );
        }
        check_entries(&txn, 2, &m.entries());
    }
    assert_eq!(
        run_cli(&path, &config, "bob", &typed_password(bob), &["list"], &[]).status.code(),
        Some(0),
        "bob's line follows the program's own writes"
    );
    assert_eq!(seen_line(&config, vault_id, 2), expected_seen_line(&path, vault_id, 2));

    // The outbox: E's password email as the program saves it (the message M, nothing
    // added), H(M) in alice's profile's `outbox` list; and a file beside it that the
    // program did not write (another message, whose H the list lacks). The program counts
    // both as waiting, takes only the listed one as its own, and reads E's password from it.
    let outbox = v["outbox"].as_array().unwrap();
    let outbox_path = |f: &Value| path.parent().unwrap().join(f["path"].as_str().unwrap());
    let listed_digests: Vec<String> =
        alice["profile"]["outbox"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
    for f in outbox {
        let m = hex(&f["message"]);
        let content = std::fs::read(outbox_path(f)).unwrap();
        assert_eq!(content, m, "an outbox file is the message's bytes, nothing added");
        assert_eq!(to_hex(&h(&m)), f["digest"].as_str().unwrap(), "H(M)");
        assert_eq!(to_hex(blake3::hash(&content).as_bytes()), f["digest"].as_str().unwrap());
        assert_eq!(
            listed_digests.iter().any(|d| d == f["digest"].as_str().unwrap()),
            f["listed_in_profile"].as_bool().unwrap(),
            "{}",
            f["path"]
        );
    }
    let e = photo(alice, "E");
    {
        let vault = Vault::open(&path).unwrap();
        let session = vault.login("alice", &alice_pw).unwrap();
        assert_eq!(spg_core::service::queued_emails(&session), 2);
        let queue = spg_core::service::outbox(&session);
        assert_eq!(queue.queued().len(), 2);
        // The profile's list (what `send_outbox` sends) names E's email, saved by the
        // program, and not the other file, though both wait in the folder.
        let ours = decode::<ProfileRec>(&spg_core::fuzzing::hooks::profile_postcard(&session)).outbox;
        let on_disk = queue.digests();
        assert_eq!(on_disk.len(), 2);
        for f in outbox {
            let d: [u8; 32] = hex(&f["digest"]).try_into().unwrap();
            assert!(on_disk.contains(&d), "{}: in the folder", f["path"]);
            assert_eq!(ours.contains(&d), f["listed_in_profile"].as_bool().unwrap(), "{}: in the list", f["path"]);
        }
        assert_eq!(ours.len(), 1);
        let found = spg_core::service::passwords_in_file(&outbox_path(&outbox[0])).unwrap();
        assert_eq!(found.len(), 1, "one password in E's email");
        assert_eq!(found[0].0, photo_id(e));
        assert_eq!(found[0].1.as_str(), e["password_canonical"].as_str().unwrap());
    }
    let out_e = dir.path().join("E-out.bmp");
    let eml = outbox_path(&outbox[0]);
    cli(
        &path,
        &config,
        "alice",
        &alice_pw,
        &[
            "export",
            "--id",
            e["id_text"].as_str().unwrap(),
            "--passwords-file",
            eml.to_str().unwrap(),
            "--out",
            out_e.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(std::fs::read(&out_e).unwrap(), original(e), "E exported with the password from its email");

    // The program writes to the Python-made vault: it deletes photo B (alone in a bucket that
    // is not the first). Every row of B goes, a deleted_photos row records it, and the
    // manifest moves on by FORMAT.md's rules: the counter up by one, recent_heads led by the
    // previous head, B's bucket removed (its range joins the bucket before it).
    let b = photo(alice, "b");
    let b_id = u(&b["id"]);
    let before = {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        read_manifest(&txn, &vid, 1, &key_of(alice, 2))
    };
    cli(&path, &config, "alice", &alice_pw, &["delete", "--id", b["id_text"].as_str().unwrap()], &[]);
    let after_delete = {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        assert!(txn.open_table(PHOTOS).unwrap().get((1, b_id)).unwrap().is_none(), "B's photos row");
        assert!(txn.open_table(CHUNKS).unwrap().get((b_id, 0)).unwrap().is_none(), "B's chunks row");
        assert!(txn.open_table(THUMBNAILS).unwrap().get(b_id).unwrap().is_none(), "B's thumbnails row");
        let hash: [u8; 32] = hex(&b["content_hash"]).try_into().unwrap();
        assert!(txn.open_table(CONTENT_HASHES).unwrap().get((1, &hash)).unwrap().is_none(), "B's content hash row");
        let deleted = txn.open_table(DELETED_PHOTOS).unwrap();
        let when = deleted.get((1, b_id)).unwrap().expect("a deleted_photos row for B").value();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert!((now as i64 - 600..=now as i64).contains(&when), "B deleted at {when} (Unix seconds), now {now}");
        assert_eq!(deleted.len().unwrap(), 2, "the generator's deleted_photos row stays");
        let m = read_manifest(&txn, &vid, 1, &key_of(alice, 2));
        assert_eq!(m.head.counter, before.head.counter + 1);
        assert_eq!(m.head.photo_count, 3);
        assert_eq!(m.head.recent_heads[0], h(&before.stored), "recent_heads starts with the previous head");
        assert_eq!(&m.head.recent_heads[1..], &before.head.recent_heads[..]);
        let firsts: Vec<u64> = m.head.buckets.iter().map(|b| b.0).collect();
        let before_firsts: Vec<u64> = before.head.buckets.iter().map(|b| b.0).filter(|&f| f != b_id).collect();
        assert_eq!(firsts, before_firsts, "B's emptied bucket leaves the head");
        assert!(txn.open_table(MANIFEST_BUCKETS).unwrap().get((1, b_id)).unwrap().is_none(), "B's bucket row");
        let mut expected = before.entries();
        expected.remove(&b_id);
        assert_eq!(m.entries(), expected);
        check_entries(&txn, 1, &m.entries());
        m
    };
    assert_eq!(seen_line(&config, vault_id, 1), expected_seen_line(&path, vault_id, 1));

    // A password change by the program (generation 3): the record, the profile (its outbox
    // list with it), the manifest (every bucket at the new counter) and the list index are
    // sealed again under K_3, which the recovery words open from key_by_recovery; the
    // outbox files are not touched; the older
    // keys hold K_1 and K_2; no photo row is touched; the stored Argon2 cost (t = 4, above
    // the default) is kept.
    let new_pw = "a brand new password for alice, generation three";
    let rows_before: Vec<(u64, Vec<u8>)> = {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(PHOTOS).unwrap();
        t.range((1, 0)..=(1, u64::MAX))
            .unwrap()
            .map(|r| r.unwrap())
            .map(|(k, v)| (k.value().1, v.value().to_vec()))
            .collect()
    };
    let eml_before: Vec<Vec<u8>> = outbox.iter().map(|f| std::fs::read(outbox_path(f)).unwrap()).collect();
    cli(&path, &config, "alice", &alice_pw, &["passwd"], &[("SPG_NEW_PASSWORD", new_pw)]);
    {
        let (k3, record) = current_key(&path, alice);
        assert_eq!(record.generation, 3);
        assert_eq!(record.kdf, Kdf { m_kib: 65536, t: 4, p: 2 }, "the stored cost above the default is kept");
        assert_ne!(record.salt.to_vec(), hex(&alice["salt"]), "a new salt");
        let kp = password_key(new_pw, &record.salt, KdfParams { m_kib: 65536, t: 4, p: 2 });
        let ak = cat(&[b"secure-photo-gallery v3 account key", &be64(1), &be32(3)]);
        assert_eq!(open(&kp, &ak, &record.key_by_password).unwrap(), k3.expose().to_vec(), "key_by_password");
        let aad = cat(&[b"secure-photo-gallery v3 older keys", &be64(1), &be32(3)]);
        let older: Vec<[u8; 32]> =
            decode(&open(&derive_subkey(&k3, Subkey::OlderKeys), &aad, &record.older_keys).unwrap());
        assert_eq!(
            older.iter().map(|k| to_hex(k)).collect::<Vec<_>>(),
            alice["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect::<Vec<_>>()
        );
        let aad = cat(&[b"secure-photo-gallery v1 profile", &be64(1)]);
        let profile = open_padded(&derive_subkey(&k3, Subkey::Profile), &aad, &record.profile).unwrap();
        assert_eq!(profile, hex(&alice["profile_postcard"]), "the profile, sealed again");
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let m = read_manifest(&txn, &vid, 1, &k3);
        assert_eq!(m.head.generation, 3);
        assert_eq!(m.head.counter, after_delete.head.counter + 1);
        assert_eq!(m.head.recent_heads[0], h(&after_delete.stored));
        assert!(m.head.buckets.iter().all(|b| b.1 == m.head.counter), "every bucket at the transaction's counter");
        assert_eq!(m.entries(), after_delete.entries());
        check_entries(&txn, 1, &m.entries());
        let t = txn.open_table(PHOTOS).unwrap();
        let rows_after: Vec<(u64, Vec<u8>)> = t
            .range((1, 0)..=(1, u64::MAX))
            .unwrap()
            .map(|r| r.unwrap())
            .map(|(k, v)| (k.value().1, v.value().to_vec()))
            .collect();
        assert_eq!(rows_after, rows_before, "no photo is touched");
        let index = txn.open_table(LIST_INDEX).unwrap();
        let mut segments = 0;
        for r in index.range((1, 0)..=(1, u32::MAX)).unwrap() {
            let (k, value) = r.unwrap();
            let (a, segment) = k.value();
            let aad = cat(&[b"secure-photo-gallery v2 list index", &vid, &be64(a), &be32(segment)]);
            let plain = open_padded(&derive_subkey(&k3, Subkey::Metadata), &aad, value.value())
                .expect("alice's list index, sealed again under K_3");
            let _: Vec<(u64, MetaRec)> = decode(&plain);
            segments += 1;
        }
        assert!(segments > 0, "alice's list index");
        // The outbox files are the messages as they were (nothing in them depends on the
        // key); the profile sealed under K_3 (checked above) still lists E's email.
        for (f, before) in outbox.iter().zip(&eml_before) {
            let content = std::fs::read(outbox_path(f)).unwrap();
            assert_eq!(&content, before, "{}: left as it was", f["path"]);
            assert_eq!(content, hex(&f["message"]));
        }
    }
    assert_eq!(seen_line(&config, vault_id, 1), expected_seen_line(&path, vault_id, 1));
    assert!(seen_line(&config, vault_id, 1).contains(" 3 "), "generation 3 remembered");
    // The old password opens nothing; the new one opens E (generation 2, its key from the
    // older keys) with its emailed password, and A with the recovery words.
    assert_ne!(run_cli(&path, &config, "alice", &alice_pw, &["list"], &[]).status.code(), Some(0));
    let out_e2 = dir.path().join("E-out-2.bmp");
    cli(
        &path,
        &config,
        "alice",
        new_pw,
        &["export", "--id", e["id_text"].as_str().unwrap(), "--out", out_e2.to_str().unwrap()],
        &[("SPG_PHOTO_PASSWORD", e["password"].as_str().unwrap())],
    );
    assert_eq!(std::fs::read(&out_e2).unwrap(), original(e));
    let a = photo(alice, "IMG");
    let out_a = dir.path().join("A-out.jpg");
    cli(
        &path,
        &config,
        "alice",
        new_pw,
        &["export", "--id", a["id_text"].as_str().unwrap(), "--use-recovery-key", "--out", out_a.to_str().unwrap()],
        &[("SPG_RECOVERY_KEY", &recovery_words(alice))],
    );
    assert_eq!(std::fs::read(&out_a).unwrap(), original(a));
    let out = cli(&path, &config, "alice", new_pw, &["verify"], &[]);
    assert!(out.contains("verified 3 photos: all intact"), "{out}");

    // One flipped byte in one stored chunk: verify (login alone) reports it, and the
    // photo no longer decrypts; then one in the middle of D's 16-chunk segment.
    let d = photo(alice, "D");
    flip_chunk_byte(&path, u(&a["id"]), 1, 100);
    {
        let vault = Vault::open(&path).unwrap();
        let session = vault.login("alice", new_pw).unwrap();
        assert!(session.manifest_problems().is_empty());
        let (infos, _) = session.list().unwrap();
        assert_eq!(infos.len(), 3, "A, D and E after B's delete");
        let problems = session.verify().unwrap().problems;
        assert_eq!(problems.len(), 1, "verify after a flipped chunk byte in A: {problems:?}");
        assert!(session.decrypt(photo_id(a), &Unlock::Password(photo_password(a))).is_err(), "A decrypted");
        let (_, bytes) = session.decrypt(photo_id(d), &Unlock::Password(photo_password(d))).unwrap();
        assert_eq!(sha256_hex(&bytes), d["sha256"].as_str().unwrap(), "D is untouched");
    }
    flip_chunk_byte(&path, u(&d["id"]), 0, 3 * (CHUNK + 16) + 5);
    {
        let vault = Vault::open(&path).unwrap();
        let session = vault.login("alice", new_pw).unwrap();
        let problems = session.verify().unwrap().problems;
        assert_eq!(problems.len(), 2, "verify after flipped bytes in A and D: {problems:?}");
        assert!(session.decrypt(photo_id(d), &Unlock::Password(photo_password(d))).is_err(), "D decrypted");
    }

    // A vault the program creates gets a `path VAULT-ID PATH` line (FORMAT.md, "Outside the
    // vault"), and its first account a line of generation 1 at counter 1.
    let new_vault = dir.path().join("new").join("vault.redb");
    let out = cli(
        &new_vault,
        &config,
        "carol",
        "a long enough passphrase for carol",
        &["register", "--email", "carol@example.com"],
        &[],
    );
    assert!(out.contains("Recovery key"), "{out}");
    let new_id = {
        let db = redb::Database::open(&new_vault).unwrap();
        let txn = db.begin_read().unwrap();
        let header = txn.open_table(HEADER).unwrap();
        assert_eq!(header.get("format_version").unwrap().unwrap().value(), &3u32.to_le_bytes());
        to_hex(header.get("vault_id").unwrap().unwrap().value())
    };
    let text = seen_counters(&config);
    let canonical = std::fs::canonicalize(&new_vault).unwrap();
    assert!(
        text.lines().any(|l| l == format!("path {new_id} {}", new_vault.display())
            || l == format!("path {new_id} {}", canonical.display())),
        "a path line for the new vault:\n{text}"
    );
    let line = seen_line(&config, &new_id, 1);
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!((fields[2], fields[5]), ("1", "1"), "{line}");
}

/// `tests/vectors/backup.json`: a backup of alice's photos A, B (generation 1) and E
/// (generation 2) written from FORMAT.md's "Backups" by the same generator. The program
/// finds each object by the name it derives, opens the snapshot with the login password and
/// with the recovery words, checks every object, restores the account into a new vault
/// (an interrupted restore taken over), and the photos open with their emailed passwords
/// and with the recovery key, byte for byte; the rows it wrote read back by FORMAT.md.
#[test]
#[allow(clippy::too_many_lines, reason = "the restore followed row by row")]
fn a_backup_written_from_format_md_restores_into_a_new_vault() {
    use spg_core::fuzzing::hooks::{SNAPSHOT, open_backup, snapshot_fingerprint};
    use spg_core::vault::RestoreError;
    let b = backup_vectors();
    let v = vectors();
    let alice = &v["accounts"][0];
    let objects: HashMap<String, Vec<u8>> = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_string(), hex(&o["object"])))
        .collect();
    // Each photo object opens, by FORMAT.md, under the key the generator names and no other
    // of alice's: a data object under KB_g of its photo's generation, a preview object
    // under KB of the generation current when it was sent (A's in generation 1, B's, whose
    // rows were written again in generation 2, and E's in generation 2).
    let mut sent_in = BTreeMap::new();
    for o in b["objects"].as_array().unwrap().iter().filter(|o| o["kind"].is_string()) {
        let id = u(&o["id"]);
        let label: &[u8] = match o["kind"].as_str().unwrap() {
            "data" => b"secure-photo-gallery v2 backup photo",
            _ => b"secure-photo-gallery v3 backup previews",
        };
        let aad = cat(&[label, &be64(1), &be64(id)]);
        let object = hex(&o["object"]);
        for g in 1..=u(&alice["generation"]) {
            let kb = derive_subkey(&key_of(alice, g), Subkey::Backup);
            assert_eq!(open_padded(&kb, &aad, &object).is_ok(), g == u(&o["generation"]), "{} under KB_{g}", o["name"]);
        }
        if o["kind"] == "previews" {
            sent_in.insert(id, u(&o["generation"]));
        }
    }
    assert_eq!(sent_in.values().copied().collect::<Vec<_>>(), [1, 2, 2], "A's, B's and E's preview objects");
    let snapshot = &objects[SNAPSHOT];
    assert_eq!(to_hex(&snapshot_fingerprint(snapshot)), b["snapshot_fingerprint"]);
    let password = b["login_password"].as_str().unwrap();
    match open_backup(snapshot, "alice", Ok("wrong password")) {
        Err(RestoreError::WrongCredentials { made_at, set_at }) => {
            assert_eq!((made_at, set_at), (b["written_at"].as_i64().unwrap(), b["changed_at"].as_i64().unwrap()));
        }
        other => panic!("a wrong password: {other:?}"),
    }
    assert!(open_backup(snapshot, "alice", Ok("first password of alice, since changed")).is_err());
    assert!(open_backup(snapshot, "bob", Ok(password)).is_err());
    assert!(open_backup(snapshot, "alice", Err(recovery_key(alice))).is_ok(), "the recovery words open it");
    let backup = open_backup(snapshot, "ALICE", Ok(password)).unwrap();
    assert_eq!(backup.written_at(), b["written_at"].as_i64().unwrap());
    assert_eq!(backup.username(), "Alice");
    assert_eq!(backup.email(), "alice@example.com");
    let listed = backup.photos();
    assert_eq!(
        listed.iter().map(|(id, _, _)| id.as_u64()).collect::<Vec<_>>(),
        b["photos"].as_array().unwrap().iter().map(u).collect::<Vec<_>>()
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("restored.redb");
    // An interrupted restore: it keeps the account id with the marker row.
    {
        let vault = Vault::open(&path).unwrap();
        backup.restore_into(&vault, &objects, true).unwrap();
    }
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let marker = txn.open_table(MANIFESTS).unwrap().get(1).unwrap().expect("the marker").value().to_vec();
        assert_eq!(marker, b"restore under way");
        assert!(txn.open_table(ACCOUNTS).map(|t| t.get(1).unwrap().is_none()).unwrap_or(true), "no account yet");
    }
    // The next restore of the same id takes it over; each object is found by the name the
    // program derives.
    for (id, data, previews) in &listed {
        assert!(objects.contains_key(data), "no object {data} (the keyed name of {id})");
        assert!(objects.contains_key(previews), "no object {previews}");
    }
    let vault = Vault::open(&path).unwrap();
    backup.restore_into(&vault, &objects, false).unwrap();

    let in_backup: Vec<&Value> = alice["photos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| b["photos"].as_array().unwrap().iter().any(|x| u(x) == u(&p["id"])))
        .collect();
    assert_eq!(in_backup.len(), 3);
    {
        let session = vault.login("alice", password).unwrap();
        let report = session.verify().unwrap();
        assert!(
            report.problems.is_empty(),
            "the restored account checks whole (previews included): {:?}",
            report.problems
        );
        let (listed, damaged) = session.list().unwrap();
        assert!(damaged.is_empty());
        assert_eq!(listed.len(), 3);
        // The albums came with it, their rows byte for byte (checked below).
        let albums = session.albums().unwrap();
        assert!(albums.problems.is_empty() && report.albums.is_empty(), "{:?}", albums.problems);
        let names: Vec<&str> = albums.albums.iter().map(|a| a.name.as_str()).collect();
        let written: Vec<&str> =
            alice["albums"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, written);
        for photo in &in_backup {
            let (meta, bytes) = session.decrypt(photo_id(photo), &Unlock::Password(photo_password(photo))).unwrap();
            assert_eq!(&bytes[..], &original(photo)[..], "{}", meta.name);
            let shown = session.thumbnail(photo_id(photo)).unwrap();
            assert_eq!(&shown[..], hex(&photo["login_thumbnail"]).as_slice(), "{}: thumbnail", meta.name);
        }
    }
    {
        let session = vault.login_with_recovery("alice", recovery_key(alice)).unwrap();
        for photo in &in_backup {
            let (_, bytes) = session.decrypt(photo_id(photo), &Unlock::Recovery).unwrap();
            assert_eq!(&bytes[..], &original(photo)[..], "{}: with the recovery key", photo["id_text"]);
        }
    }
    drop(vault);

    // The rows the restore wrote, by FORMAT.md: the record and the photos' rows unchanged,
    // and a new manifest (counter 1, the entries in one bucket from 0 at version 1, no
    // recent heads) sealed under K_2 with the new vault's id.
    let db = redb::Database::open(&path).unwrap();
    let txn = db.begin_read().unwrap();
    let new_vid = txn.open_table(HEADER).unwrap().get("vault_id").unwrap().unwrap().value().to_vec();
    assert_ne!(new_vid, hex(&v["vault_id"]));
    assert_eq!(txn.open_table(ACCOUNTS).unwrap().get(1).unwrap().unwrap().value(), hex(&alice["record"]).as_slice());
    assert_eq!(txn.open_table(USERNAMES).unwrap().get("alice").unwrap().unwrap().value(), 1);
    let albums = txn.open_table(TableDefinition::<(u64, u64), &[u8]>::new("albums")).unwrap();
    for row in v["tables"]["albums"]["rows"].as_array().unwrap() {
        let key = (u(&row["key"][0]), u(&row["key"][1]));
        assert_eq!(albums.get(key).unwrap().unwrap().value(), hex(&row["value"]).as_slice(), "album row {key:?}");
    }
    let m = read_manifest(&txn, &new_vid, 1, &key_of(alice, 2));
    assert_eq!((m.head.generation, m.head.counter, m.head.photo_count), (2, 1, 3));
    assert_eq!(m.head.buckets, [(0, 1)]);
    assert!(m.head.recent_heads.is_empty());
    let rows = |table: &str| v["tables"][table]["rows"].as_array().unwrap().clone();
    for photo in &in_backup {
        let id = u(&photo["id"]);
        let entry = &m.entries()[&id];
        assert_eq!(u64::from(entry.generation), u(&photo["generation"]));
        assert_eq!(to_hex(&entry.record), photo["record_digest"].as_str().unwrap());
        assert_eq!(to_hex(&entry.previews), photo["previews_digest"].as_str().unwrap());
        let record = rows("photos").into_iter().find(|r| u(&r["key"][1]) == id).unwrap();
        assert_eq!(
            txn.open_table(PHOTOS).unwrap().get((1, id)).unwrap().unwrap().value(),
            hex(&record["value"]).as_slice()
        );
        let hash: [u8; 32] = hex(&photo["content_hash"]).try_into().unwrap();
        assert_eq!(txn.open_table(CONTENT_HASHES).unwrap().get((1, &hash)).unwrap().unwrap().value(), id);
    }
    check_entries(&txn, 1, &m.entries());
}
