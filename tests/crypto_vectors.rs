//! Known-answer tests: the vectors in `tests/vectors/crypto.json` were computed by an
//! independent implementation (`tests/vectors/generate.py`, Python `cryptography`) from
//! the byte layouts in docs/FORMAT.md.

use serde_json::Value;
use sha2::{Digest, Sha256};
use spg_core::crypto::{
    CHUNK_SIZE, KdfParams, PhotoPassword, RecoveryKey, SecretKey, StreamDecryptor, StreamEncryptor, Subkey,
    derive_photo_wrap_key, derive_private_thumbnail_key, derive_subkey, keyed_hash, open, open_padded, padme,
    password_key,
};

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/crypto.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn key(v: &Value) -> SecretKey {
    SecretKey::from_slice(&hex(v)).unwrap()
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31) % 251) as u8).collect()
}

#[test]
fn stream_chunks_match_the_independent_implementation() {
    let v = vectors();
    assert_eq!(v["chunk_size"].as_u64().unwrap() as usize, CHUNK_SIZE);
    for case in v["stream"].as_array().unwrap() {
        let k = key(&case["key"]);
        let prefix: [u8; 7] = hex(&case["prefix"]).try_into().unwrap();
        let n = case["plaintext_len"].as_u64().unwrap() as usize;
        let chunks = StreamEncryptor::encrypt_all(&k, prefix, &pattern(n));
        let digests: Vec<String> =
            chunks.iter().map(|c| Sha256::digest(c).iter().map(|b| format!("{b:02x}")).collect()).collect();
        let expected: Vec<String> =
            case["chunk_sha256"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
        assert_eq!(digests, expected, "encrypting {n} bytes");
        if let Some(given) = case.get("chunks") {
            let given: Vec<Vec<u8>> = given.as_array().unwrap().iter().map(hex).collect();
            assert_eq!(StreamDecryptor::decrypt_all(&k, prefix, &given).unwrap(), pattern(n));
        }
    }
}

#[test]
fn derived_keys_match() {
    let v = vectors();
    let account_key = key(&v["account_key"]);
    let purposes = [
        ("metadata", Subkey::Metadata),
        ("thumbnail", Subkey::Thumbnail),
        ("content-hash", Subkey::ContentHash),
        ("verify", Subkey::Verify),
        ("profile", Subkey::Profile),
        ("manifest", Subkey::Manifest),
        ("backup", Subkey::Backup),
        ("backup names", Subkey::BackupNames),
        ("older keys", Subkey::OlderKeys),
        ("address code", Subkey::AddressCode),
    ];
    // Every purpose of FORMAT.md's table, and no other.
    assert_eq!(v["subkeys"].as_object().unwrap().len(), purposes.len());
    assert_eq!(Subkey::ALL.len(), purposes.len());
    for (name, purpose) in purposes {
        assert_eq!(derive_subkey(&account_key, purpose), key(&v["subkeys"][name]), "{name}");
    }
    let kh = &v["keyed_hash"];
    assert_eq!(keyed_hash(&key(&kh["key"]), &hex(&kh["data"])).to_vec(), hex(&kh["blake3_keyed"]));
    for case in v["photo_wrap"].as_array().unwrap() {
        let pw = PhotoPassword::parse(case["password"].as_str().unwrap()).unwrap();
        let id = case["photo_id"].as_u64().unwrap();
        assert_eq!(derive_photo_wrap_key(&account_key, id, &pw), key(&case["key"]), "photo {id:#x}");
    }
    let kt = &v["private_thumbnail_key"];
    assert_eq!(derive_private_thumbnail_key(&key(&kt["photo_key"])), key(&kt["key"]));
}

#[test]
fn padme_matches() {
    for case in vectors()["padme"].as_array().unwrap() {
        let (l, padded) = (case[0].as_u64().unwrap(), case[1].as_u64().unwrap());
        assert_eq!(padme(l), padded, "Padmé({l})");
    }
}

#[test]
fn argon2id_matches() {
    for case in vectors()["argon2id"].as_array().unwrap() {
        let params = KdfParams {
            m_kib: case["m_kib"].as_u64().unwrap() as u32,
            t: case["t"].as_u64().unwrap() as u32,
            p: case["p"].as_u64().unwrap() as u32,
        };
        assert!(params.is_acceptable());
        let salt: [u8; 16] = hex(&case["salt"]).try_into().unwrap();
        assert_eq!(password_key(case["password"].as_str().unwrap(), &salt, params), key(&case["key"]));
    }
}

#[test]
fn sealed_values_from_python_open() {
    let v = vectors();
    for case in v["seal"].as_array().unwrap() {
        let plain = open(&key(&case["key"]), &hex(&case["aad"]), &hex(&case["sealed"])).unwrap();
        assert_eq!(plain, hex(&case["plaintext"]));
        assert!(open(&key(&case["key"]), b"other aad", &hex(&case["sealed"])).is_err());
    }
    for case in v["seal_padded"].as_array().unwrap() {
        let (k, aad, sealed) = (key(&case["key"]), hex(&case["aad"]), hex(&case["sealed"]));
        assert_eq!(open_padded(&k, &aad, &sealed).unwrap(), hex(&case["plaintext"]));
        assert!(open_padded(&k, b"other aad", &sealed).is_err());
    }
    for case in v["recovery"].as_array().unwrap() {
        let rk = RecoveryKey::from_entropy(hex(&case["entropy"]).try_into().unwrap());
        assert_eq!(rk.public_key().0.to_vec(), hex(&case["public_key"]));
        // The 24 BIP39 words of the entropy, as Python's `mnemonic` made them; typed in
        // capitals with odd white space they are the same key.
        let words = case["words"].as_str().unwrap();
        assert_eq!(rk.to_words().as_str(), words);
        let typed = words.to_uppercase().replace(' ', " \t\n ");
        assert_eq!(RecoveryKey::parse(&typed).expect("the words parse").public_key().0, rk.public_key().0);
        let id = case["photo_id"].as_u64().unwrap();
        assert_eq!(rk.open_photo_key(id, &hex(&case["sealed"])).unwrap(), key(&case["photo_key"]));
        assert!(rk.open_photo_key(id + 1, &hex(&case["sealed"])).is_err());
    }
    // A generation's key sealed to the recovery key (label `v3 recovery account-key`, AAD
    // be64(account) ‖ be32(generation)): it opens for that account and generation only.
    for case in v["recovery_account"].as_array().unwrap() {
        let rk = RecoveryKey::from_entropy(hex(&case["entropy"]).try_into().unwrap());
        let account = case["account"].as_u64().unwrap();
        let generation = u32::try_from(case["generation"].as_u64().unwrap()).unwrap();
        let sealed = hex(&case["sealed"]);
        assert_eq!(rk.open_account_key(account, generation, &sealed).unwrap(), key(&case["account_key"]));
        assert!(rk.open_account_key(account, generation + 1, &sealed).is_err());
        assert!(rk.open_account_key(account ^ 1, generation, &sealed).is_err());
        // Not interchangeable with a photo key's seal (another label and AAD).
        assert!(rk.open_photo_key(account, &sealed).is_err());
    }
}
