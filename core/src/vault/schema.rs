//! The storage schema: every redb table, typed, in one place. `docs/FORMAT.md` describes
//! what the values hold.

use redb::TableDefinition;

/// Vault-wide facts: `format_version` (u32 little-endian bytes) and `vault_id` (16 random
/// bytes, bound into every manifest).
pub(crate) const HEADER: TableDefinition<&str, &[u8]> = TableDefinition::new("header");
/// Account id → postcard-encoded `AccountRecord`.
pub(crate) const ACCOUNTS: TableDefinition<u64, &[u8]> = TableDefinition::new("accounts");
/// Lower-cased user name → account id.
pub(crate) const USERNAMES: TableDefinition<&str, u64> = TableDefinition::new("usernames");
/// (account id, photo id) → postcard-encoded `PhotoRecord`.
pub(crate) const PHOTOS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("photos");
/// (photo id, segment index) → one or more consecutive STREAM chunks, each ciphertext ‖ tag.
pub(crate) const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
/// Photo id → the sealed JPEG the login shows: the thumbnail or a blurred placeholder.
pub(crate) const THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("thumbnails");
/// Photo id → the thumbnail sealed under a key from the photo key (blurred or hidden previews).
pub(crate) const PRIVATE_THUMBNAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("private_thumbnails");
/// (account id, keyed content hash) → photo id: finds duplicates without revealing them.
pub(crate) const CONTENT_HASHES: TableDefinition<(u64, &[u8; 32]), u64> = TableDefinition::new("content_hashes");

/// (account id, photo id) → when it was deleted (Unix seconds): photos deleted here, so
/// that a backup's `--prune` removes them from the bucket and a pull does not bring them
/// back.
pub(crate) const DELETED_PHOTOS: TableDefinition<(u64, u64), i64> = TableDefinition::new("deleted_photos");

/// (account id, segment number) → a sealed segment of the list index: up to 4,096 photos'
/// ids and metadata again, so that a list reads a few values instead of every record. A
/// cache: the manifest and the records stay the authority (see `photos/index.rs`).
pub(crate) const LIST_INDEX: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("list_index");
/// Account id → the sealed front of the list: its newest photos, for the first screen
/// while the whole list is read. A cache, like the index (see `photos/front.rs`).
pub(crate) const LIST_FRONT: TableDefinition<u64, &[u8]> = TableDefinition::new("list_front");
/// (account id, album id) → the album's generation (4 bytes, big-endian) and its sealed
/// `AlbumRecord`; pinned by the account's profile (see `albums.rs`).
pub(crate) const ALBUMS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("albums");
/// Account id → the sealed `ManifestHead`.
pub(crate) const MANIFESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("manifests");
/// (account id, first photo id of the bucket) → the sealed, sorted entries of that bucket.
pub(crate) const MANIFEST_BUCKETS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("manifest_buckets");

/// `table` in `txn`, or `None` where the vault has none yet: a table nothing was ever
/// written to may be absent from the file (docs/FORMAT.md, Tables).
pub(crate) fn table_if_any<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, super::error::StorageError> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The format this program writes and reads. A newer vault is refused with a clear
/// message; so is one from the development builds before the first release (formats 1
/// and 2), which nothing needs to migrate.
pub(crate) const FORMAT_VERSION: u32 = 3;
pub(crate) const FORMAT_VERSION_KEY: &str = "format_version";
pub(crate) const VAULT_ID_KEY: &str = "vault_id";
