//! The front of the list: the newest photos of an account, in the list's order, as the
//! last list found them, sealed in one small value. The app shows them while it reads the
//! whole list: at a million photos the list takes about a second after a reboot, the
//! front a few milliseconds.
//!
//! Like the list index it is a cache, never the authority. It names the state of the
//! account's photos it was taken from (a digest of the manifest head's photo count and
//! buckets, each bucket with the counter it was last written at): a write that adds or
//! removes a photo changes that state, and a front of another state is not shown. A
//! photo's metadata never changes after its import, so the newest photos of one state are
//! always the same. It is written by the list (the whole list replaces it on the screen a
//! moment later) and kept by a delete (without the photos deleted), sealed under the
//! current generation's key; it is removed by a password change (a former password
//! holder's front is never carried over), and by `verify` when an entry of it, or of the
//! list index it may have been taken from, is not its photo's record.

use std::collections::HashSet;

use super::super::records::ManifestHead;
use super::super::schema::{LIST_FRONT, table_if_any};
use super::*;

/// Photos in the front: more than a large window's first screen of the smallest tiles.
pub(crate) const FRONT_PHOTOS: usize = if cfg!(test) { 4 } else { 1024 };

/// The associated data of `account`'s front in vault `vault_id`.
fn front_aad(vault_id: &[u8; 16], account: u64) -> Vec<u8> {
    [b"secure-photo-gallery v3 list front".as_slice(), vault_id, &account.to_be_bytes()].concat()
}

/// The state of the account's photos that `head` pins: which photos it holds, each
/// bucket of their entries named by the counter it was last written at.
pub(super) fn photos_state(head: &ManifestHead) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"secure-photo-gallery v3 photos state");
    hasher.update(&head.photo_count.to_be_bytes());
    for (first, counter) in &head.buckets {
        hasher.update(&first.to_be_bytes());
        hasher.update(&counter.to_be_bytes());
    }
    *hasher.finalize().as_bytes()
}

impl Session {
    /// The newest photos of the account, newest first, if the front was taken from the
    /// photos the account holds now; `None` if there is no such front (the photos changed
    /// since, or the front does not open). The whole list ([`Session::list`]) follows.
    pub(crate) fn list_front(&self) -> Result<Option<Catalog>, StorageError> {
        guard(|| self.current_front(&self.vault.db.begin_read()?))
    }

    /// The front in `txn`, if it was taken from the photos the manifest's head there pins.
    fn current_front(&self, txn: &redb::ReadTransaction) -> Result<Option<Catalog>, StorageError> {
        let (_, head, _) = self.pinned_record(txn)?;
        Ok(self.read_front(txn)?.filter(|(state, _)| *state == photos_state(&head)).map(|(_, photos)| photos))
    }

    /// The stored front: the state it was taken from and its photos; `None` if there is
    /// none or it does not open.
    pub(super) fn read_front(&self, txn: &redb::ReadTransaction) -> Result<Option<([u8; 32], Catalog)>, StorageError> {
        let Some(table) = table_if_any(txn, LIST_FRONT)? else { return Ok(None) };
        Ok(table.get(self.account_id)?.and_then(|value| self.open_front(value.value())))
    }

    /// A front as stored, opened: the state it was taken from and its photos; `None` if it
    /// does not open.
    fn open_front(&self, sealed: &[u8]) -> Option<([u8; 32], Catalog)> {
        let key = self.keys().current_subkey(Subkey::Metadata);
        let plain = Zeroizing::new(open_padded(&key, &front_aad(&self.vault.id, self.account_id), sealed).ok()?);
        let (state, entries) = decode::<([u8; 32], Vec<(u64, MetaRef<'_>)>)>(&plain).ok()?;
        let mut photos = Catalog::default();
        for (id, meta) in entries.into_iter().take(FRONT_PHOTOS) {
            photos.push_ref(PhotoId(id), meta);
        }
        Some((state, photos))
    }

    /// Within `txn`, which deletes the photos `gone` and has written the manifest for it:
    /// a front of the photos before (`before`, their state) is written again without them,
    /// in the state after. The first photos of a list less some of them are the first of
    /// the list without them, so the next login need not wait for the whole list.
    pub(super) fn front_without(
        &self,
        txn: &redb::WriteTransaction,
        before: [u8; 32],
        gone: &HashSet<u64>,
    ) -> Result<(), StorageError> {
        let stored = txn.open_table(LIST_FRONT)?.get(self.account_id)?.map(|v| v.value().to_vec());
        let Some((state, mut front)) = stored.and_then(|sealed| self.open_front(&sealed)) else { return Ok(()) };
        if state != before {
            return Ok(());
        }
        front.retain(|id| !gone.contains(&id.0));
        self.put_front(txn, photos_state(&self.manifest_key().current_head(txn)?), &front)
    }

    /// Writes the front of `photos` (the first photos of the list in `state`, in its order)
    /// within `txn`; removes it if there are none.
    pub(super) fn put_front(
        &self,
        txn: &redb::WriteTransaction,
        state: [u8; 32],
        photos: &Catalog,
    ) -> Result<(), StorageError> {
        if photos.is_empty() {
            return self.remove_front(txn);
        }
        let key = self.keys().current_subkey(Subkey::Metadata);
        let front: Vec<(u64, MetaRef<'_>)> = photos.iter().take(FRONT_PHOTOS).map(|p| (p.id.0, p.meta())).collect();
        let sealed = seal_encoded(&key, &front_aad(&self.vault.id, self.account_id), &(state, front));
        txn.open_table(LIST_FRONT)?.insert(self.account_id, sealed.as_slice())?;
        Ok(())
    }

    /// The photos of the front, if it is of the photos the account holds now (another is
    /// never shown), that the manifest does not list (`listed`), or whose metadata is not
    /// their record's: `metas` holds the id and `meta_digest` of each listed photo whose
    /// record opened, ascending by id (as `verify` reads them; a record that did not open
    /// is named as such).
    pub(super) fn front_disagreements(
        &self,
        txn: &redb::ReadTransaction,
        listed: &[Entry],
        metas: &[(u64, [u8; 16])],
    ) -> Result<Vec<PhotoId>, StorageError> {
        let Some(front) = self.current_front(txn)? else { return Ok(Vec::new()) };
        let agrees = |id: PhotoId, digest| {
            listed.binary_search_by_key(&id.0, |e| e.id).is_ok()
                && metas.binary_search_by_key(&id.0, |(id, _)| *id).map_or(true, |at| metas[at].1 == digest)
        };
        Ok(front.iter().filter(|p| !agrees(p.id, super::index::meta_digest(&p.meta()))).map(|p| p.id).collect())
    }

    /// Removes the account's front, within `txn`.
    pub(crate) fn remove_front(&self, txn: &redb::WriteTransaction) -> Result<(), StorageError> {
        txn.open_table(LIST_FRONT)?.remove(self.account_id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::tests::{jpeg, photos};
    use super::super::tests::store;
    use super::*;
    use crate::vault::records::Previews;
    use redb::ReadableDatabase;

    fn ids(catalog: &Catalog) -> Vec<PhotoId> {
        catalog.iter().map(|p| p.id).collect()
    }

    /// The account's front as stored.
    fn row(session: &Session) -> Option<Vec<u8>> {
        let txn = session.vault.db.begin_read().unwrap();
        let table = table_if_any(&txn, LIST_FRONT).unwrap()?;
        table.get(session.account_id).unwrap().map(|v| v.value().to_vec())
    }

    /// Puts `value` in place of the account's front, as someone who edits the file would.
    fn put_row(session: &Session, account: u64, value: &[u8]) {
        let txn = session.vault.db.begin_write().unwrap();
        txn.open_table(LIST_FRONT).unwrap().insert(account, value).unwrap();
        txn.commit().unwrap();
    }

    #[test]
    fn the_front_is_the_newest_photos_of_the_last_list_until_the_photos_change() {
        let (_dir, session, _) = photos(6);
        let (listed, _) = session.list().unwrap();
        let front = session.list_front().unwrap().expect("written by the list");
        assert_eq!(ids(&front), ids(&listed)[..FRONT_PHOTOS]);
        assert_eq!(front.get(0).to_info(), listed.get(0).to_info(), "with their metadata");
        // An import changes the photos: no front until the next list.
        let bytes = jpeg(77);
        store(&session, "new.jpg", &bytes, &bytes);
        assert!(session.list_front().unwrap().is_none());
        let (listed, _) = session.list().unwrap();
        assert_eq!(ids(&session.list_front().unwrap().unwrap()), ids(&listed)[..FRONT_PHOTOS]);
        // A list with nothing changed writes nothing.
        let written = row(&session);
        session.list().unwrap();
        assert_eq!(row(&session), written);
    }

    #[test]
    fn a_delete_keeps_the_front_without_its_photos_and_a_front_put_back_is_not_shown() {
        let (_dir, session, _) = photos(6);
        let (listed, _) = session.list().unwrap();
        let before = row(&session).unwrap();
        let newest = listed.id(0);
        session.delete_many(&[newest]).unwrap();
        let front = session.list_front().unwrap().expect("kept by the delete");
        assert_eq!(ids(&front), ids(&listed)[1..FRONT_PHOTOS]);
        let (listed, _) = session.list().unwrap();
        assert_eq!(ids(&session.list_front().unwrap().unwrap()), ids(&listed)[..FRONT_PHOTOS], "filled by the list");
        // The older front, which shows the deleted photo, put back in the file.
        put_row(&session, session.account_id, &before);
        assert!(session.list_front().unwrap().is_none(), "taken from other photos");
        // The next list writes it again; deleting every photo of it removes it.
        session.list().unwrap();
        session.delete_many(&ids(&listed)[..FRONT_PHOTOS]).unwrap();
        assert!(row(&session).is_none());
    }

    #[test]
    fn a_front_moved_to_another_account_or_changed_does_not_open() {
        let (_dir, session, _) = photos(5);
        let front = row(&session).unwrap();
        // Bob, who has no photos, has no front; alice's moved to his row does not open.
        session.vault.register("bob", "bob@example.com", "bob's own long password", Previews::Sharp).unwrap();
        let bob = session.vault.open_session("bob", "bob's own long password").unwrap();
        bob.list().unwrap();
        assert!(row(&bob).is_none(), "an account without photos needs no front");
        put_row(&session, bob.account_id, &front);
        assert!(bob.list_front().unwrap().is_none());
        let mut changed = front.clone();
        *changed.last_mut().unwrap() ^= 1;
        put_row(&session, session.account_id, &changed);
        assert!(session.list_front().unwrap().is_none());
        session.list().unwrap();
        assert_eq!(row(&session).unwrap().len(), front.len(), "written again by the list");
        assert!(session.list_front().unwrap().is_some());
    }

    #[test]
    fn a_password_change_removes_the_front_and_the_next_list_writes_it_under_the_new_key() {
        let (_dir, session, _) = photos(5);
        assert!(row(&session).is_some());
        session.change_password("a new password that is long enough").unwrap();
        let session = session.vault.open_session("alice", "a new password that is long enough").unwrap();
        assert!(row(&session).is_none());
        let (listed, _) = session.list().unwrap();
        assert_eq!(ids(&session.list_front().unwrap().unwrap()), ids(&listed)[..FRONT_PHOTOS]);
    }

    #[test]
    fn verify_names_a_front_whose_photos_are_not_their_records_and_removes_it() {
        let (_dir, session, _) = photos(5);
        let (listed, _) = session.list().unwrap();
        // Someone with the key writes a front of the photos as they are, with another name.
        let txn = session.vault.db.begin_read().unwrap();
        let (_, head, _) = session.pinned_record(&txn).unwrap();
        drop(txn);
        let forged: Catalog = listed
            .iter()
            .map(|p| {
                let mut info = p.to_info();
                info.meta.name = "holiday.jpg".into();
                info
            })
            .collect();
        let txn = session.vault.begin_write().unwrap();
        session.put_front(&txn, photos_state(&head), &forged).unwrap();
        txn.commit().unwrap();
        assert_eq!(session.list_front().unwrap().unwrap().get(0).name, "holiday.jpg");
        let report = session.verify().unwrap();
        let named: Vec<PhotoId> = report.problems.iter().map(|p| p.id).collect();
        assert_eq!(named, ids(&listed)[..FRONT_PHOTOS]);
        assert!(report.problems.iter().all(|p| p.problem.contains("front of the list")), "{:?}", report.problems);
        assert!(session.list_front().unwrap().is_none(), "removed");
        session.list().unwrap();
        assert_eq!(ids(&session.list_front().unwrap().unwrap()), ids(&listed)[..FRONT_PHOTOS]);
        assert!(session.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn verify_names_a_damaged_record_of_a_front_photo_once_and_keeps_the_front() {
        let (_dir, session, _) = photos(5);
        let (listed, _) = session.list().unwrap();
        let damaged = listed.id(0);
        let txn = session.vault.db.begin_write().unwrap();
        txn.open_table(PHOTOS).unwrap().insert((session.account_id, damaged.0), [0u8; 40].as_slice()).unwrap();
        txn.commit().unwrap();
        let report = session.verify().unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].id == damaged && !report.problems[0].problem.contains("front"));
        assert!(row(&session).is_some(), "the front is right");
    }
}
