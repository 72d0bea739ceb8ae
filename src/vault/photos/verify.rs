//! Checking every stored byte of an account with the login alone.

use super::*;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How often [`Session::verify_reporting`] says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl Session {
    /// Checks every stored byte of the account's photos using only the login: each
    /// record authenticates, each chunk is present and matches the stored MAC, and each
    /// thumbnail opens; and the set of photos against the manifest.
    pub fn verify(&self) -> Result<VerifyReport, StorageError> {
        // Never stopped: always a report.
        Ok(self.verify_reporting(|_, _| ControlFlow::Continue(()))?.unwrap_or_default())
    }

    /// [`Session::verify`], telling `progress` how many records are checked of about how
    /// many (the photos the manifest lists) at first, every fifth of a second, and at the end; it
    /// reads every byte, which takes minutes at a million photos. `None` if `progress`
    /// stopped it (the app's session is locked).
    pub fn verify_reporting(
        &self,
        mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Option<VerifyReport>, StorageError> {
        guard(|| {
            let txn = self.vault.db.begin_read()?;
            let listed = self.manifest_ids(&txn)?;
            let mut said: Option<Instant> = None;
            let photos = txn.open_table(PHOTOS)?;
            let chunks = txn.open_table(CHUNKS)?;
            let thumbs = txn.open_table(THUMBNAILS)?;
            let private_thumbs = txn.open_table(PRIVATE_THUMBNAILS)?;
            let verify_key = derive_subkey(&self.master, Subkey::Verify);
            let thumb_key = derive_subkey(&self.master, Subkey::Thumbnail);
            let mut problems = Vec::new();
            let mut stored = BTreeSet::new();
            for entry in photos.range((self.account_id, 0)..=(self.account_id, u64::MAX))? {
                // The records before this one are checked (at first, none).
                if said.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                    said = Some(Instant::now());
                    if progress(stored.len(), listed.len()).is_break() {
                        return Ok(None);
                    }
                }
                let (key, value) = entry?;
                let id = key.value().1;
                stored.insert(id);
                let problem = |name: Option<&str>, what: &str| VerifyProblem {
                    id: PhotoId(id),
                    name: name.map(str::to_string),
                    problem: what.to_string(),
                };
                let (header, meta) = match self.open_record(id, value.value()) {
                    Ok(r) => r,
                    Err(_) => {
                        problems.push(problem(None, "its record is damaged"));
                        continue;
                    }
                };
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
                // A photo with hidden previews has only the private thumbnail, which needs
                // the photo's key: its presence is all the login can check.
                let thumb_ok = match thumbs.get(id)? {
                    Some(t) => [thumb_aad(self.account_id, id), placeholder_aad(self.account_id, id)]
                        .iter()
                        .any(|aad| open_padded(&thumb_key, aad, t.value()).is_ok()),
                    None => private_thumbs.get(id)?.is_some(),
                };
                if !thumb_ok {
                    problems.push(problem(Some(&meta.name), "its thumbnail is damaged"));
                }
            }
            // The set of photos against the manifest, which must still pin this account.
            let _ = progress(stored.len(), listed.len());
            let differences = compare(&listed, &stored);
            let missing = differences.iter().filter(|p| matches!(p, ManifestProblem::Missing(_))).count();
            for p in differences {
                let (id, what) = match p {
                    ManifestProblem::Missing(id) => (id, "its records were removed from the vault file"),
                    ManifestProblem::Unexpected(id) => (id, "it was deleted, and its records were put back"),
                };
                let name = photos.get((self.account_id, id.0))?.and_then(|r| self.open_record(id.0, r.value()).ok());
                problems.push(VerifyProblem { id, name: name.map(|(_, m)| m.name), problem: what.to_string() });
            }
            Ok(Some(VerifyReport { checked: stored.len() + missing, problems }))
        })
    }
}
