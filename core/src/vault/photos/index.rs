//! The list index: every photo's metadata of an account again, sealed in a few large
//! values ("segments" of up to 4,096 photos), so that a list reads about one value per
//! 4,096 photos instead of every record, scattered through the file among the photos'
//! data. At a million photos that is the difference between reading most of a 10 GB file
//! after a reboot and reading 250 values.
//!
//! The index is a cache, never the authority: the manifest says which photos the account
//! holds, and each photo's record what it is. A list takes from the index only the photos
//! the manifest lists; a photo the index lacks (imported since, or its segment damaged)
//! is read from its record, a photo the index has and the manifest does not (deleted
//! since) is left out; then the segments that changed are written again. An entry's
//! metadata is the record's, which never changes after the import, so an older segment
//! put back in the file says nothing that is not true. Removing the index costs one slow
//! list, which writes it again.

use std::collections::HashSet;
use std::ops::Range;

use super::super::manifest::fingerprint;
use super::super::schema::{LIST_INDEX, MANIFESTS, table_if_any};
use super::*;

/// Photos in a full segment (8 in the unit tests, so that a few photos make several).
pub(crate) const SEGMENT_PHOTOS: usize = if cfg!(test) { 8 } else { 4096 };

/// A segment with fewer photos than this is merged with others when the index is written
/// again, so that many small imports do not leave many small segments.
const SMALL_SEGMENT: usize = SEGMENT_PHOTOS / 4;

/// What the index's entry of a photo is compared with its record by: 16 bytes of the hash
/// of its metadata's encoding.
pub(super) fn meta_digest(meta: &MetaRef<'_>) -> [u8; 16] {
    blake3::hash(&encode(meta)).as_bytes()[..16].try_into().expect("16 bytes")
}

/// The associated data of segment `segment` of `account` in vault `vault_id`.
fn segment_aad(vault_id: &[u8; 16], account: u64, segment: u32) -> Vec<u8> {
    [b"secure-photo-gallery v2 list index".as_slice(), vault_id, &account.to_be_bytes(), &segment.to_be_bytes()]
        .concat()
}

/// The index of an account as read.
#[derive(Default)]
pub(super) struct Index {
    /// Each segment that opened: its number, and where its photos are in `photos`.
    segments: Vec<(u32, Range<usize>)>,
    /// Segments that did not open or repeated an ID: written again.
    broken: Vec<u32>,
    /// Every entry of the segments that opened, segment after segment.
    photos: Catalog,
    /// Places in `photos`, by ID.
    by_id: Vec<u32>,
}

impl Index {
    /// Each entry's segment number, id and metadata, segment after segment.
    pub(super) fn entries(&self) -> impl Iterator<Item = (u32, PhotoId, MetaRef<'_>)> + '_ {
        self.segments.iter().flat_map(move |(number, range)| {
            range.clone().map(move |i| {
                let photo = self.photos.get(i);
                (*number, photo.id, photo.meta())
            })
        })
    }

    /// Whether the account has no index yet.
    pub(super) fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.broken.is_empty()
    }

    /// Every segment number, read or broken: the state a rewrite expects to find.
    pub(super) fn numbers(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.segments.iter().map(|(n, _)| *n).chain(self.broken.iter().copied()).collect();
        all.sort_unstable();
        all
    }

    /// Orders `by_id`. A segment that repeats an ID, its own or one of an earlier segment
    /// kept (an older copy of a segment put back in the file), is taken out as broken: its
    /// photos are then read from their records, as are those of a damaged segment.
    fn sort(&mut self) {
        self.order_by_id();
        let photos = &self.photos;
        if !self.by_id.windows(2).any(|w| photos.id(w[0] as usize) == photos.id(w[1] as usize)) {
            return;
        }
        // Rare: segment after segment, each against the IDs of those kept before it.
        let mut kept = HashSet::new();
        let mut keep = Vec::with_capacity(photos.len());
        let mut start = 0;
        for (number, range) in std::mem::take(&mut self.segments) {
            let mut ids = HashSet::with_capacity(range.len());
            let fits = range.clone().all(|i| !kept.contains(&photos.id(i)) && ids.insert(photos.id(i)));
            keep.extend(std::iter::repeat_n(fits, range.len()));
            if fits {
                kept.extend(ids);
                self.segments.push((number, start..start + range.len()));
                start += range.len();
            } else {
                self.broken.push(number);
            }
        }
        let mut keep = keep.into_iter();
        self.photos.retain(|_| keep.next() == Some(true));
        self.order_by_id();
    }

    /// Sets `by_id`: the places of `photos` by ID, and by place among equal IDs.
    fn order_by_id(&mut self) {
        let photos = &self.photos;
        self.by_id = (0..photos.len() as u32).collect();
        self.by_id.sort_unstable_by_key(|&i| (photos.id(i as usize), i));
    }
}

/// How the index is to change after a list: segments to remove, photos to write into new
/// segments.
pub(super) struct Rewrite {
    remove: Vec<u32>,
    add: Vec<u64>,
}

impl Rewrite {
    /// The first index of an account: the photos `ids`.
    pub(super) fn all(ids: Vec<u64>) -> Rewrite {
        Rewrite { remove: Vec::new(), add: ids }
    }
}

impl Session {
    /// Reads the account's index.
    pub(super) fn read_index(&self, txn: &redb::ReadTransaction) -> Result<Index, StorageError> {
        let Some(table) = table_if_any(txn, LIST_INDEX)? else { return Ok(Index::default()) };
        let key = self.keys().current_subkey(Subkey::Metadata);
        let mut index = Index::default();
        for row in table.range((self.account_id, 0)..=(self.account_id, u32::MAX))? {
            let (number, value) = row?;
            let number = number.value().1;
            let opened = open_padded(&key, &segment_aad(&self.vault.id, self.account_id, number), value.value());
            let Ok(plain) = opened.map(Zeroizing::new) else {
                index.broken.push(number);
                continue;
            };
            // Borrowed from the opened segment: the text is copied once, into the catalog.
            let Ok(entries) = decode::<Vec<(u64, MetaRef<'_>)>>(&plain) else {
                index.broken.push(number);
                continue;
            };
            let start = index.photos.len();
            for (id, meta) in entries {
                index.photos.push_ref(PhotoId(id), meta);
            }
            index.segments.push((number, start..index.photos.len()));
        }
        index.sort();
        Ok(index)
    }

    /// The photos the manifest lists, from the index where it has them and from their
    /// records where it does not; and how the index is to change (`None` if it is up to
    /// date). Also returns the records that could not be read and the listed photos whose
    /// records are gone.
    ///
    /// At a million photos this is most of a list's time and memory: the index's entries
    /// become the list where they lie (no map of a million entries, no second copy), and
    /// both ID lists are walked once in order.
    #[allow(clippy::type_complexity)]
    pub(super) fn list_with_index(
        &self,
        txn: &redb::ReadTransaction,
        listed: &[Entry],
        index: Index,
    ) -> Result<(Catalog, Vec<PhotoId>, Vec<ManifestProblem>, Option<Rewrite>), StorageError> {
        let Index { segments, broken, mut photos, by_id } = index;
        // Which entries the manifest lists (the others were deleted since the index was
        // written), and the listed photos the index lacks.
        let mut keep = vec![false; photos.len()];
        let mut unindexed = Vec::new();
        let mut indexed = by_id.iter().map(|&i| i as usize).peekable();
        for entry in listed {
            let id = entry.id;
            while indexed.next_if(|&i| photos.id(i).0 < id).is_some() {}
            match indexed.next_if(|&i| photos.id(i).0 == id) {
                Some(i) => keep[i] = true,
                None => unindexed.push(entry),
            }
        }
        drop(by_id);
        let mut added = Vec::new();
        let (deleted, any_broken) = (keep.iter().any(|k| !k), !broken.is_empty());
        let mut remove = broken;
        for (number, range) in &segments {
            if range.len() < SMALL_SEGMENT || keep[range.clone()].iter().any(|k| !k) {
                remove.push(*number);
                added.extend(range.clone().filter(|&i| keep[i]).map(|i| photos.id(i).0));
            }
        }
        let mut kept = keep.into_iter();
        photos.retain(|_| kept.next() == Some(true));
        let (mut damaged, mut problems) = (Vec::new(), Vec::new());
        let mut read = Vec::new();
        if !unindexed.is_empty() {
            let table = txn.open_table(PHOTOS)?;
            for entry in unindexed {
                let id = entry.id;
                match table.get((self.account_id, id))? {
                    None => problems.push(ManifestProblem::Missing(PhotoId(id))),
                    Some(value) => match self.open_pinned_record(entry, value.value()) {
                        Ok((_, meta)) => {
                            photos.push(PhotoId(id), &meta);
                            read.push(id);
                        }
                        Err(_) => damaged.push(PhotoId(id)),
                    },
                }
            }
        }
        let changed = !read.is_empty() || deleted || any_broken;
        added.extend(read);
        let rewrite = changed.then_some(Rewrite { remove, add: added });
        Ok((photos, damaged, problems, rewrite))
    }

    /// Writes what a list found behind, in one transaction: the index again as `rewrite`
    /// says, and the front of the list in state `front` (see `front.rs`), both from
    /// `photos`. The list read the index's segments `numbers` and the manifest head
    /// `head` (its fingerprint): if either changed since (another list or an import wrote
    /// the index, `verify` removed segments, a password change sealed everything again),
    /// nothing is written, and the next list writes it.
    pub(super) fn write_caches(
        &self,
        (numbers, head): (&[u32], [u8; 32]),
        rewrite: Option<Rewrite>,
        front: Option<[u8; 32]>,
        photos: &Catalog,
    ) -> Result<(), StorageError> {
        // Caches: not written while the account is read-only.
        if (rewrite.is_none() && front.is_none()) || self.writable().is_err() {
            return Ok(());
        }
        let txn = self.vault.begin_write()?;
        {
            let mut table = txn.open_table(LIST_INDEX)?;
            let mut found = Vec::new();
            for row in table.range((self.account_id, 0)..=(self.account_id, u32::MAX))? {
                found.push(row?.0.value().1);
            }
            let stored_head = txn.open_table(MANIFESTS)?.get(self.account_id)?.map(|h| fingerprint(h.value()));
            if found != numbers || stored_head != Some(head) {
                return Ok(());
            }
            if let Some(rewrite) = rewrite {
                for number in rewrite.remove {
                    table.remove((self.account_id, number))?;
                }
                let add: HashSet<u64> = rewrite.add.into_iter().collect();
                let entries = photos.iter().filter(|p| add.contains(&p.id.0)).map(|p| (p.id.0, p.meta()));
                self.add_segments(&mut table, found.last().copied(), entries)?;
            }
        }
        if let Some(state) = front {
            self.put_front(&txn, state, photos)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Adds photos just written (by an import) to the index, in new segments after the
    /// last, so that the next list finds them there instead of reading their records: at
    /// a million photos, the first list after a command-line import of many took 10 s
    /// instead of 1.5. The next list merges the small segments this leaves.
    pub(crate) fn index_written(&self, photos: &[PhotoInfo]) -> Result<(), StorageError> {
        if photos.is_empty() || self.writable().is_err() {
            return Ok(());
        }
        guard(|| {
            let txn = self.vault.begin_write()?;
            {
                let mut table = txn.open_table(LIST_INDEX)?;
                let last = table.range((self.account_id, 0)..=(self.account_id, u32::MAX))?.next_back();
                let last = last.transpose()?.map(|(number, _)| number.value().1);
                self.add_segments(&mut table, last, photos.iter().map(|p| (p.id.0, (&p.meta).into())))?;
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// Seals `entries` into segments numbered after `last` (from 0 if there is none), one
    /// segment's entries at a time (a million photos' at once would be 100 MB).
    fn add_segments<'a>(
        &self,
        table: &mut redb::Table<(u64, u32), &[u8]>,
        last: Option<u32>,
        mut entries: impl Iterator<Item = (u64, MetaRef<'a>)>,
    ) -> Result<(), StorageError> {
        let key = self.keys().current_subkey(Subkey::Metadata);
        // A file that numbers a segment u32::MAX leaves no room after it: nothing is added.
        let Some(first) = last.map_or(Some(0), |last| last.checked_add(1)) else { return Ok(()) };
        let mut chunk = Vec::with_capacity(SEGMENT_PHOTOS);
        for next in first..=u32::MAX {
            chunk.clear();
            chunk.extend(entries.by_ref().take(SEGMENT_PHOTOS));
            if chunk.is_empty() {
                break;
            }
            let sealed = seal_encoded(&key, &segment_aad(&self.vault.id, self.account_id, next), &chunk);
            table.insert((self.account_id, next), sealed.as_slice())?;
        }
        Ok(())
    }

    /// Removes the segments `numbers` and, with any of them or if `front`, the front of
    /// the list (which may have been taken from them): a check found them wrong. The next
    /// list reads those photos from their records and writes both again. Caches: nothing
    /// while read-only.
    pub(super) fn drop_caches(&self, numbers: &[u32], front: bool) -> Result<(), StorageError> {
        if (numbers.is_empty() && !front) || self.writable().is_err() {
            return Ok(());
        }
        let txn = self.vault.begin_write()?;
        self.remove_front(&txn)?;
        {
            let mut table = txn.open_table(LIST_INDEX)?;
            for &number in numbers {
                table.remove((self.account_id, number))?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// The entries of the index whose metadata is not their record's: written by someone
    /// who held the key of the time. `metas` holds each listed photo's id and
    /// [`meta_digest`] of its record's metadata, ascending by id. Returns those photos and
    /// the segments that hold them.
    pub(super) fn index_disagreements(
        &self,
        txn: &redb::ReadTransaction,
        metas: &[(u64, [u8; 16])],
    ) -> Result<(Vec<PhotoId>, Vec<u32>), StorageError> {
        let index = self.read_index(txn)?;
        let (mut photos, mut segments) = (Vec::new(), Vec::new());
        for (number, id, meta) in index.entries() {
            let at = metas.binary_search_by_key(&id.0, |(id, _)| *id);
            if at.is_ok_and(|at| metas[at].1 != meta_digest(&meta)) {
                photos.push(id);
                if !segments.contains(&number) {
                    segments.push(number);
                }
            }
        }
        Ok((photos, segments))
    }

    /// A password change: every segment that opens is sealed again under `next`'s key
    /// (the new generation's), within `txn`; one that does not open is removed (the next
    /// list reads its photos' records). About a tenth of a second at a million photos.
    pub(crate) fn rekey_index(&self, txn: &redb::WriteTransaction, next: &AccountKeys) -> Result<(), StorageError> {
        let (from, to) = (self.keys().current_subkey(Subkey::Metadata), next.current_subkey(Subkey::Metadata));
        let mut table = txn.open_table(LIST_INDEX)?;
        let mut numbers = Vec::new();
        for row in table.range((self.account_id, 0)..=(self.account_id, u32::MAX))? {
            numbers.push(row?.0.value().1);
        }
        for number in numbers {
            let aad = segment_aad(&self.vault.id, self.account_id, number);
            let opened = table.get((self.account_id, number))?.map(|v| open_padded(&from, &aad, v.value()));
            match opened {
                Some(Ok(plain)) => {
                    let plain = Zeroizing::new(plain);
                    table.insert((self.account_id, number), seal_padded(&to, &aad, &plain).as_slice())?;
                }
                _ => {
                    table.remove((self.account_id, number))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{one_photo, store};
    use super::*;
    use crate::vault::records::Previews;
    use redb::ReadableDatabase;

    /// A small distinct JPEG.
    pub(in super::super) fn jpeg(n: u8) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([n, x as u8, y as u8]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&picture).unwrap();
        bytes
    }

    /// A vault with `count` photos, listed once (so that it has an index).
    pub(in super::super) fn photos(count: u8) -> (tempfile::TempDir, Session, Vec<PhotoId>) {
        let (dir, session, first, _, _) = one_photo(Previews::Sharp);
        let mut ids = vec![first];
        for n in 1..count {
            let bytes = jpeg(n);
            ids.push(store(&session, &format!("{n}.jpg"), &bytes, &bytes).id);
        }
        session.list().unwrap();
        (dir, session, ids)
    }

    /// The account's index rows as stored.
    fn rows(session: &Session) -> Vec<(u32, Vec<u8>)> {
        let txn = session.vault.db.begin_read().unwrap();
        let table = txn.open_table(LIST_INDEX).unwrap();
        let rows = table.range((session.account_id, 0)..=(session.account_id, u32::MAX)).unwrap();
        rows.map(|r| r.unwrap()).map(|(k, v)| (k.value().1, v.value().to_vec())).collect()
    }

    /// Replaces the account's index rows with `rows`, as someone who edits the file would.
    fn put_rows(session: &Session, rows: &[(u32, Vec<u8>)]) {
        let txn = session.vault.db.begin_write().unwrap();
        {
            let mut table = txn.open_table(LIST_INDEX).unwrap();
            table.retain_in((session.account_id, 0)..=(session.account_id, u32::MAX), |_, _| false).unwrap();
            for (number, value) in rows {
                table.insert((session.account_id, *number), value.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }

    /// Lists, checks the list against every record, and that the index is then complete:
    /// a second list writes nothing.
    fn lists_as_the_records_say(session: &Session) -> Vec<PhotoInfo> {
        let infos = |catalog: &Catalog| catalog.iter().map(|p| p.to_info()).collect::<Vec<_>>();
        let (listed, damaged) = session.list().unwrap();
        let listed = infos(&listed);
        assert!(damaged.is_empty());
        let (by_records, _) = session.list_from_records().unwrap();
        assert_eq!(listed, infos(&by_records), "the list is what the records say");
        let written = rows(session);
        assert_eq!(infos(&session.list().unwrap().0), listed);
        assert_eq!(rows(session), written, "an index brought up to date is not written again");
        let txn = session.vault.db.begin_read().unwrap();
        let index = session.read_index(&txn).unwrap();
        let mut indexed: Vec<u64> = index.photos.iter().map(|p| p.id.0).collect();
        let mut ids: Vec<u64> = listed.iter().map(|p| p.id.0).collect();
        indexed.sort_unstable();
        ids.sort_unstable();
        assert_eq!(indexed, ids, "the index holds the listed photos, each once");
        assert!(index.broken.is_empty());
        assert!(index.segments.iter().all(|(_, s)| s.len() <= SEGMENT_PHOTOS));
        listed
    }

    #[test]
    fn the_list_comes_from_the_index_kept_up_to_date_through_imports_and_deletes() {
        let (_dir, session, mut ids) = photos(1);
        assert_eq!(rows(&session).len(), 1, "the first list writes the index");
        for n in 1..20 {
            let bytes = jpeg(n);
            ids.push(store(&session, &format!("{n}.jpg"), &bytes, &bytes).id);
        }
        assert_eq!(lists_as_the_records_say(&session).len(), 20);
        // 20 photos in segments of 8: the first segment (1 photo) was small, and merged.
        assert_eq!(rows(&session).iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2, 3]);
        session.delete_many(&[ids[0], ids[7], ids[19]]).unwrap();
        let listed = lists_as_the_records_say(&session);
        assert_eq!(listed.len(), 17);
        assert!(!listed.iter().any(|p| [ids[0], ids[7], ids[19]].contains(&p.id)));
        let bytes = jpeg(99);
        store(&session, "late.jpg", &bytes, &bytes);
        assert_eq!(lists_as_the_records_say(&session).len(), 18);
    }

    #[test]
    fn photos_an_import_adds_to_the_index_are_listed_from_it_without_a_rewrite() {
        let (_dir, session, _) = photos(3);
        let before = rows(&session);
        let mut written = Vec::new();
        for n in 10..20 {
            let bytes = jpeg(n);
            let prepared = store(&session, &format!("{n}.jpg"), &bytes, &bytes);
            written.push(PhotoInfo { id: prepared.id, meta: prepared.meta });
        }
        session.index_written(&written).unwrap();
        // Ten photos in segments of 8, after the last: one full, one of 2 (not small).
        let after = rows(&session);
        let numbers: Vec<u32> = after.iter().map(|(n, _)| *n).collect();
        let last = before.last().unwrap().0;
        assert_eq!(numbers, [before.iter().map(|(n, _)| *n).collect(), vec![last + 1, last + 2]].concat());
        assert_eq!(lists_as_the_records_say(&session).len(), 13);
        assert_eq!(rows(&session), after, "the list found every photo in the index: nothing to write");
        // A segment numbered u32::MAX leaves no room after it: nothing is added, nothing fails.
        put_rows(&session, &[(u32::MAX, after[0].1.clone())]);
        session.index_written(&written[..1]).unwrap();
        assert_eq!(rows(&session).len(), 1);
    }

    #[test]
    fn an_older_damaged_or_removed_index_changes_nothing_a_list_says() {
        let (_dir, session, ids) = photos(12);
        let older = rows(&session);
        session.delete_many(&ids[3..6]).unwrap();
        for n in 50..53 {
            let bytes = jpeg(n);
            store(&session, &format!("{n}.jpg"), &bytes, &bytes);
        }
        let expected = lists_as_the_records_say(&session);
        assert_eq!(expected.len(), 12);
        // An older index put back: its deleted photos stay out, the newer ones come in.
        put_rows(&session, &older);
        assert_eq!(lists_as_the_records_say(&session), expected);
        // A damaged segment: its photos are read from their records.
        let mut damaged = rows(&session);
        let last = damaged[0].1.len() - 1;
        damaged[0].1[last] ^= 1;
        put_rows(&session, &damaged);
        assert_eq!(lists_as_the_records_say(&session), expected);
        // A segment of another account, or moved to another number, does not open.
        let mut moved = rows(&session);
        moved[0].0 = 77;
        put_rows(&session, &moved);
        assert_eq!(lists_as_the_records_say(&session), expected);
        // No index at all: the list reads every record and writes it again.
        put_rows(&session, &[]);
        assert_eq!(lists_as_the_records_say(&session), expected);
    }

    #[test]
    fn an_older_segment_put_back_beside_the_newer_one_that_repeats_it_changes_nothing() {
        let (_dir, session, ids) = photos(20);
        let before = rows(&session);
        session.delete_many(&[ids[0]]).unwrap();
        let expected = lists_as_the_records_say(&session);
        let after = rows(&session);
        // The segment that held the deleted photo was written again under a new number;
        // its older copy, put back, repeats the IDs of the new one.
        let older: Vec<_> = before.iter().filter(|(n, _)| !after.iter().any(|(m, _)| m == n)).cloned().collect();
        assert_eq!(older.len(), 1, "one segment was rewritten");
        put_rows(&session, &[after.clone(), older].concat());
        let txn = session.vault.db.begin_read().unwrap();
        let index = session.read_index(&txn).unwrap();
        assert_eq!(index.broken.len(), 1, "one of the two is set aside");
        drop(txn);
        assert_eq!(lists_as_the_records_say(&session), expected);
    }

    #[test]
    fn a_segment_is_checked_only_against_the_segments_kept_before_it() {
        let (_dir, session, _) = photos(8);
        let first = rows(&session);
        assert_eq!(first.len(), 1);
        // Segments of the 8 entries, sealed as the program seals: 0 holds entries 0-3, 1
        // holds 2-5 (repeats 0: ignored), 2 holds 5-7 (repeats only 1, which was ignored).
        let key = session.keys().current_subkey(Subkey::Metadata);
        let aad = |n: u32| segment_aad(&session.vault.id, session.account_id, n);
        let entries: Vec<(u64, PhotoMeta)> = decode(&open_padded(&key, &aad(0), &first[0].1).unwrap()).unwrap();
        let segment = |n: u32, from: usize, to: usize| (n, seal_encoded(&key, &aad(n), &&entries[from..to]));
        put_rows(&session, &[segment(0, 0, 4), segment(1, 2, 6), segment(2, 5, 8)]);
        let txn = session.vault.db.begin_read().unwrap();
        let index = session.read_index(&txn).unwrap();
        assert_eq!(index.broken, [1]);
        assert_eq!(index.segments.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(index.segments.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(), [0..4, 4..7]);
        let kept: Vec<u64> = index.photos.iter().map(|p| p.id.0).collect();
        assert_eq!(kept, [0, 1, 2, 3, 5, 6, 7].map(|i| entries[i].0), "the ignored segment's entries are gone");
        drop(txn);
        // Entry 4, only in the ignored segment, is read from its record.
        assert_eq!(lists_as_the_records_say(&session).len(), 8);
    }

    #[test]
    fn a_record_removed_behind_the_index_is_found_by_the_check_of_every_record() {
        let (_dir, session, ids) = photos(3);
        let txn = session.vault.db.begin_write().unwrap();
        txn.open_table(PHOTOS).unwrap().remove((session.account_id, ids[1].0)).unwrap();
        txn.commit().unwrap();
        // The list takes the photo from the index; opening it would fail.
        assert_eq!(session.list().unwrap().0.len(), 3);
        assert!(session.manifest_problems().is_empty());
        let (checked, _) = session.list_from_records().unwrap();
        assert_eq!(checked.len(), 2);
        assert_eq!(session.manifest_problems(), [ManifestProblem::Missing(ids[1])]);
    }
}
