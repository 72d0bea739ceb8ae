//! What the tables store, as postcard-encoded structs. Field order is the byte order:
//! `docs/FORMAT.md` lists each field. Every record starts with its own version number.

use serde::{Deserialize, Serialize};

use crate::crypto::KdfParams;

use super::error::StorageError;

pub(crate) const ACCOUNT_RECORD_VERSION: u8 = 3;
pub(crate) const PHOTO_RECORD_VERSION: u8 = 3;
pub(crate) const MANIFEST_VERSION: u8 = 3;

/// One account: how to unwrap the key of its current generation, the keys of the earlier
/// ones sealed under it, and its sealed profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub version: u8,
    /// The name as typed at registration (the index holds the lower-cased form).
    pub username: String,
    /// The current generation: 1 at registration, one more at every password change or
    /// recovery.
    pub generation: u32,
    /// When the current generation began (Unix seconds): registration, or the last
    /// password change or recovery.
    pub changed_at: i64,
    pub kdf: KdfParams,
    pub salt: [u8; 16],
    /// The current generation's key sealed under the Argon2id key of the login password.
    pub key_by_password: Vec<u8>,
    /// The current generation's key sealed to the recovery public key.
    pub key_by_recovery: Vec<u8>,
    /// X25519 public key that photo and account keys are sealed to for the break-glass
    /// path. Stored in clear, authenticated by the manifest's `account_digest` (checked at
    /// every login).
    pub recovery_public: [u8; 32],
    /// The keys of generations 1 to `generation - 1`, oldest first, sealed under the
    /// current one (empty bytes in generation 1).
    pub older_keys: Vec<u8>,
    /// `Profile`, sealed under the current generation's profile subkey.
    pub profile: Vec<u8>,
}

/// Account data only the logged-in user may read.
#[derive(Clone, Serialize, Deserialize, Default)]
pub(crate) struct Profile {
    /// Where photo passwords are mailed.
    pub email: String,
    /// Mail delivery settings; `None` means the local outbox.
    pub smtp: Option<SmtpSettings>,
    /// How locked photos look after login.
    pub previews: Previews,
    /// Where backups go (`backup` with no flags uses these).
    pub backup: Option<BackupSettings>,
    /// The digests of the emails the program left in the account's outbox folder and has
    /// not sent yet: only these are ever sent from it.
    pub outbox: Vec<[u8; 32]>,
    /// The account's albums, each by its id and the digest of its row as stored: what the
    /// manifest, through this profile, pins of them. Ascending by id. A profile written
    /// before albums ends before this field (see `account::open_profile`).
    pub albums: Vec<super::albums::AlbumPin>,
}

/// Stored backup settings (sealed with the profile): an S3-compatible bucket and folder.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BackupSettings {
    /// The bucket, folder, server and keys (its six fields stored first, in its order).
    pub place: crate::remote::Location,
    /// When the last backup there finished (Unix seconds; 0 for never).
    pub last_at: i64,
    /// The fingerprint (BLAKE3) of the snapshot this account last wrote there: a snapshot
    /// of an earlier generation is trusted only if it is that one.
    pub snapshot: [u8; 32],
}

impl std::fmt::Debug for BackupSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.place)
    }
}

/// How an account's locked photos look after login (the login alone opens these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Previews {
    /// The thumbnail (512 px): a scanned letter is readable in it.
    #[default]
    Sharp,
    /// A tiny blurred placeholder; the thumbnail needs the photo's password.
    Blurred,
    /// Nothing; the thumbnail needs the photo's password.
    Hidden,
}

/// Stored SMTP settings (sealed with the profile).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SmtpSettings {
    /// The lettre-style URL, credentials included.
    pub url: crate::crypto::Secret,
    /// The From address; the account email when `None`.
    pub from: Option<String>,
    /// Extra trusted root certificates (PEM) for a server with a certificate of its own.
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("email", &self.email)
            .field("smtp", &self.smtp.as_ref().map(|_| "<set>"))
            .field("previews", &self.previews)
            .field("backup", &self.backup)
            .field("outbox", &self.outbox.len())
            .finish()
    }
}

/// The clear part of a photo record. Authenticated (as associated data of the sealed
/// metadata), so `verify` detects any change to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PhotoHeader {
    pub version: u8,
    /// The account generation the photo was imported in: its keys seal the metadata, the
    /// thumbnail, the password wrap and the MACs below.
    pub generation: u32,
    pub nonce_prefix: [u8; 7],
    /// Chunks of the padded plaintext (the original's exact size is in the sealed metadata).
    pub chunk_count: u32,
    /// Photo key sealed under HKDF(account key ‖ photo password).
    pub key_by_password: Vec<u8>,
    /// Photo key sealed to the recovery public key.
    pub key_by_recovery: Vec<u8>,
    /// Keyed BLAKE3 over every stored chunk, under the generation's verify subkey.
    pub ciphertext_mac: [u8; 32],
    /// The keyed content hash, so delete can remove the duplicate index entry.
    pub content_hash: [u8; 32],
}

/// The sealed head of an account's manifest: what pins the account's state, so that a
/// photo removed, brought back or replaced, or an account record replaced, is noticed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ManifestHead {
    pub version: u8,
    /// The account generation whose key seals it (the account record's).
    pub generation: u32,
    /// Raised by one with every transaction that writes to the account.
    pub counter: u64,
    /// Keyed BLAKE3 of the account record's stored bytes.
    pub account_digest: [u8; 32],
    /// How many photos the account holds.
    pub photo_count: u64,
    /// The buckets of photo ids: each covers the ids from its first one up to the next
    /// bucket's, and was last written at this counter. The first starts at 0.
    pub buckets: Vec<(u64, u64)>,
    /// Fingerprints of the heads before this one, newest first: a computer that saw one of
    /// them tells a continuation from a fork.
    pub recent_heads: Vec<[u8; 32]>,
}

/// One photo as the manifest pins it (a bucket holds its photos' entries, ascending by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The photo's id.
    pub(crate) id: u64,
    /// The generation it was imported in (its record's): its backup objects' keys.
    pub(crate) generation: u32,
    /// `manifest::record_digest` of its record.
    pub(crate) record: [u8; 16],
    /// `manifest::previews_digest` of its preview rows.
    pub(crate) previews: [u8; 16],
}

/// A photo record as stored: the encoded header and the sealed metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PhotoRecord {
    pub header: Vec<u8>,
    pub meta: Vec<u8>,
}

/// What is known about a photo; readable after login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoMeta {
    /// Original file name (no folders).
    pub name: String,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: String,
    /// Size of the original file in bytes.
    pub bytes: u64,
    /// Width as displayed (EXIF orientation applied).
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// EXIF orientation 1-8.
    pub orientation: u8,
    /// Date taken, ISO 8601, when the file says.
    pub taken_at: Option<String>,
    /// Camera make and model.
    pub camera: Option<String>,
    /// Whether the original carries a GPS position.
    pub has_gps: bool,
    /// Import time, seconds since the Unix epoch (UTC).
    pub imported_at: i64,
}

/// [`PhotoMeta`] borrowed: the same fields in the same order, so the same bytes. The list
/// index is decoded into it (and the text copied once into a [`super::Catalog`]) instead
/// of into four strings a photo, and encoded from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MetaRef<'a> {
    pub(crate) name: &'a str,
    pub(crate) mime: &'a str,
    pub(crate) bytes: u64,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) orientation: u8,
    #[serde(borrow)]
    pub(crate) taken_at: Option<&'a str>,
    #[serde(borrow)]
    pub(crate) camera: Option<&'a str>,
    pub(crate) has_gps: bool,
    pub(crate) imported_at: i64,
}

impl<'a> From<&'a PhotoMeta> for MetaRef<'a> {
    fn from(m: &'a PhotoMeta) -> MetaRef<'a> {
        MetaRef {
            name: &m.name,
            mime: &m.mime,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            orientation: m.orientation,
            taken_at: m.taken_at.as_deref(),
            camera: m.camera.as_deref(),
            has_gps: m.has_gps,
            imported_at: m.imported_at,
        }
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("records serialize into a Vec")
}

/// [`seal_padded`](crate::crypto::seal_padded) of `value`'s encoding, encoded
/// straight into the sealed buffer: a photo's megabytes are copied once, and no plain copy
/// is left behind to wipe.
pub(crate) fn seal_encoded<T: Serialize>(key: &crate::crypto::SecretKey, aad: &[u8], value: &T) -> Vec<u8> {
    let len =
        postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default()).expect("records serialize");
    crate::crypto::seal_padded_with(key, aad, len, |out| {
        postcard::to_io(value, out).expect("records serialize into a Vec");
    })
}

pub(crate) fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, StorageError> {
    postcard::from_bytes(bytes).map_err(|_| StorageError::damaged_record())
}

/// Decodes a record that has grown a list at its end since it was first written (the
/// profile's albums, a snapshot's album rows): one written before ends without it, and is
/// read as holding an empty list (whose encoding is the one byte 0).
pub(crate) fn decode_growing<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StorageError> {
    // The copy may hold secrets (the profile's SMTP password): wiped when dropped.
    decode(bytes).or_else(|_| decode(&zeroize::Zeroizing::new([bytes, &[0]].concat())))
}

/// Decodes `bytes` as every kind of stored record, for the fuzz target `records`:
/// damaged bytes must give an error, never a panic or a runaway allocation.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn decode_every_record(bytes: &[u8]) {
    let _ = decode::<AccountRecord>(bytes);
    let _ = decode::<Profile>(bytes);
    let _ = decode::<PhotoRecord>(bytes);
    let _ = decode::<PhotoHeader>(bytes);
    let _ = decode::<PhotoMeta>(bytes);
    let _ = decode::<Vec<(u64, PhotoMeta)>>(bytes);
    let _ = decode::<Vec<(u64, MetaRef<'_>)>>(bytes);
    let _ = decode::<ManifestHead>(bytes);
    let _ = decode::<Vec<Entry>>(bytes);
    let _ = decode::<Vec<[u8; 32]>>(bytes);
    super::backup::decode_objects(bytes);
}

/// One stored record of each kind, as seeds for that fuzz target.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn sample_records() -> Vec<Vec<u8>> {
    let meta = PhotoMeta {
        name: "IMG_0001.jpg".into(),
        mime: "image/jpeg".into(),
        bytes: 3_500_000,
        width: 4000,
        height: 3000,
        orientation: 6,
        taken_at: Some("2024-06-01T12:00:00+02:00".into()),
        camera: Some("Example Camera".into()),
        has_gps: true,
        imported_at: 1_700_000_000,
    };
    let profile = Profile {
        email: "alice@example.com".into(),
        smtp: Some(SmtpSettings { url: "smtps://user@mail.example.com".into(), from: None, ca_pem: None }),
        previews: Previews::Blurred,
        backup: Some(BackupSettings {
            place: crate::remote::Location {
                endpoint: "https://s3.example.com".into(),
                region: "us-east-1".into(),
                bucket: "photos".into(),
                prefix: "alice".into(),
                access_key: "AKIA".into(),
                secret_key: "secret".into(),
            },
            last_at: 1_733_000_000,
            snapshot: [15; 32],
        }),
        outbox: vec![[21; 32]],
        albums: vec![super::albums::AlbumPin { id: 1, digest: [22; 16] }],
    };
    let header = PhotoHeader {
        version: PHOTO_RECORD_VERSION,
        generation: 2,
        nonce_prefix: [1; 7],
        chunk_count: 55,
        key_by_password: vec![2; 60],
        key_by_recovery: vec![3; 92],
        ciphertext_mac: [4; 32],
        content_hash: [5; 32],
    };
    let record = PhotoRecord { header: encode(&header), meta: vec![6; 120] };
    let account = AccountRecord {
        version: ACCOUNT_RECORD_VERSION,
        username: "Alice".into(),
        generation: 2,
        changed_at: 1_733_000_000,
        kdf: crate::crypto::KdfParams::default(),
        salt: [7; 16],
        key_by_password: vec![8; 72],
        key_by_recovery: vec![9; 104],
        recovery_public: [10; 32],
        older_keys: vec![16; 72],
        profile: vec![11; 80],
    };
    let head = ManifestHead {
        version: MANIFEST_VERSION,
        generation: 2,
        counter: 12,
        account_digest: [12; 32],
        photo_count: 2,
        buckets: vec![(0, 11), (0xA5_0000, 9)],
        recent_heads: vec![[13; 32], [14; 32]],
    };
    let bucket = vec![
        Entry { id: 0x1203, generation: 1, record: [17; 16], previews: [18; 16] },
        Entry { id: 0xA5_0003, generation: 2, record: [19; 16], previews: [20; 16] },
    ];
    vec![
        encode(&meta),
        encode(&profile),
        encode(&header),
        encode(&record),
        encode(&account),
        encode(&head),
        encode(&bucket),
    ]
}
