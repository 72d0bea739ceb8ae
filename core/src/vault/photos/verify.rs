//! Checking every stored byte of an account with the login alone.

use super::index::meta_digest;
use super::*;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How often [`Session::verify_reporting`] says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl Session {
    /// Checks every stored byte of the account's photos using only the login: each
    /// record authenticates, each chunk is present and matches the stored MAC, and each
    /// thumbnail opens; the set of photos against the manifest; and the list index against
    /// the records (a segment that says otherwise is removed, to be written again from the
    /// records by the next list); and every album's row against the profile's pins.
    pub(crate) fn verify(&self) -> Result<VerifyReport, StorageError> {
        // Never stopped: always a report.
        Ok(self.verify_reporting(|_, _| ControlFlow::Continue(()))?.unwrap_or_default())
    }

    /// [`Session::verify`], telling `progress` how many records are checked of about how
    /// many (the photos the manifest lists) at first, every fifth of a second, and at the end; it
    /// reads every byte, which takes minutes at a million photos. `None` if `progress`
    /// stopped it (the app's session is locked).
    pub(crate) fn verify_reporting(
        &self,
        mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Option<VerifyReport>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let listed = self.manifest_entries(&txn)?;
            let mut said: Option<Instant> = None;
            let photos = txn.open_table(PHOTOS)?;
            let chunks = txn.open_table(CHUNKS)?;
            let thumbs = txn.open_table(THUMBNAILS)?;
            let private_thumbs = txn.open_table(PRIVATE_THUMBNAILS)?;
            let keys = self.keys();
            let mut problems = Vec::new();
            // Each photo the manifest lists is looked up as opening it looks it up (a
            // damaged page of the table can hide a row from a lookup and not from a walk
            // through the table, or the other way round); the walk finds the records the
            // manifest does not list.
            let mut stored = BTreeSet::new();
            for row in photos.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                stored.insert(row?.0.value().1);
            }
            let mut found = BTreeSet::new();
            // A digest of each record's metadata, to hold the list index against (ascending
            // by id, as the manifest lists them: 24 bytes a photo).
            let mut metas: Vec<(u64, [u8; 16])> = Vec::with_capacity(listed.len());
            for (done, entry) in listed.iter().enumerate() {
                // The records before this one are checked (at first, none).
                if said.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                    said = Some(Instant::now());
                    if progress(done, listed.len()).is_break() {
                        return Ok(None);
                    }
                }
                let id = entry.id;
                // A photo whose record is not found is named below.
                let Some(value) = photos.get((self.account_id, id))? else { continue };
                found.insert(id);
                let problem = |name: Option<&str>, what: &str| VerifyProblem {
                    id: PhotoId(id),
                    name: name.map(str::to_string),
                    problem: what.to_string(),
                };
                if record_digest(id, value.value()) != entry.record {
                    problems.push(problem(None, "its record was changed or replaced"));
                    continue;
                }
                let (header, meta) = match self.open_record(id, value.value()) {
                    Ok(r) if r.0.generation == entry.generation => r,
                    _ => {
                        problems.push(problem(None, "its record is damaged"));
                        continue;
                    }
                };
                metas.push((id, meta_digest(&(&meta).into())));
                let verify_key = keys.subkey(header.generation, Subkey::Verify).expect("the record opened");
                let mut mac = ChunkMac::new(&verify_key, id);
                let mut missing = false;
                let segments = segment_sizes(header.chunk_count).count() as u32;
                for index in 0..segments {
                    match chunks.get((id, index))? {
                        Some(c) => mac.segment(index, c.value()),
                        None => missing = true,
                    }
                }
                let extra = chunks.range((id, segments)..=(id, u32::MAX))?.next().is_some();
                if missing {
                    problems.push(problem(Some(&meta.name), "part of its data is missing"));
                } else if extra || mac.0.finalize() != header.ciphertext_mac {
                    problems.push(problem(Some(&meta.name), "its data was changed"));
                }
                // The preview rows must be the pinned ones; the login's must open. A photo
                // with hidden previews has only the private thumbnail, which needs the
                // photo's key: that it is the pinned one is all the login can check.
                let thumb = thumbs.get(id)?;
                let private = private_thumbs.get(id)?;
                let pinned =
                    previews_digest(id, thumb.as_ref().map(|t| t.value()), private.as_ref().map(|p| p.value()))
                        == entry.previews;
                // Sealed under the generation current when it was written: any of the keys.
                let opens = match &thumb {
                    Some(t) => keys.all().any(|(_, key)| {
                        let key = derive_subkey(key, Subkey::Thumbnail);
                        [thumb_aad(self.account_id, id), placeholder_aad(self.account_id, id)]
                            .iter()
                            .any(|aad| open_padded(&key, aad, t.value()).map(zeroize::Zeroizing::new).is_ok())
                    }),
                    None => private.is_some(),
                };
                if !(pinned && opens) {
                    problems.push(problem(Some(&meta.name), "its thumbnail was changed or is damaged"));
                }
            }
            let (mut named, wrong, front_wrong) = self.cache_disagreements(&txn, &listed, &metas)?;
            // The set of photos against the manifest, which must still pin this account.
            let _ = progress(listed.len(), listed.len());
            let listed: BTreeSet<u64> = listed.iter().map(|e| e.id).collect();
            let removed =
                listed.difference(&found).map(|&id| (PhotoId(id), "its records were removed from the vault file"));
            let put_back =
                stored.difference(&listed).map(|&id| (PhotoId(id), "it was deleted, and its records were put back"));
            named.extend(removed.chain(put_back));
            for (id, what) in named {
                let name = photos.get((self.account_id, id.0))?.and_then(|r| self.open_record(id.0, r.value()).ok());
                problems.push(VerifyProblem { id, name: name.map(|(_, m)| m.name), problem: what.to_string() });
            }
            let unexpected = stored.difference(&listed).count();
            drop((photos, chunks, thumbs, private_thumbs, txn));
            // Only a cache: a check that cannot drop it (a full disk) still reports.
            let _ = self.drop_caches(&wrong, front_wrong);
            let albums = self.albums()?.problems;
            Ok(Some(VerifyReport { checked: listed.len() + unexpected, problems, albums }))
        })
    }

    /// The list index and the front of the list against the records (caches, and the
    /// records their truth): the photos to name, with what is wrong; the index's wrong
    /// segments; whether the front is wrong. A photo the index check names is not named
    /// again for the front (taken from the index).
    #[allow(clippy::type_complexity)]
    fn cache_disagreements(
        &self,
        txn: &redb::ReadTransaction,
        listed: &[Entry],
        metas: &[(u64, [u8; 16])],
    ) -> Result<(Vec<(PhotoId, &'static str)>, Vec<u32>, bool), StorageError> {
        let (changed, wrong) = self.index_disagreements(txn, metas)?;
        let index_entry = "its entry in the list index was changed (the list shows it from its record now)";
        let mut named: Vec<(PhotoId, &str)> = changed.iter().map(|&id| (id, index_entry)).collect();
        let front_wrong = self.front_disagreements(txn, listed, metas)?;
        let front_entry = "its entry in the front of the list was changed (the list shows it from its record now)";
        named.extend(front_wrong.iter().filter(|id| !changed.contains(id)).map(|&id| (id, front_entry)));
        Ok((named, wrong, !front_wrong.is_empty()))
    }
}
