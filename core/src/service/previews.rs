//! Previews of locked photos: an account's choice (sharp, blurred, hidden) and the
//! conversions it asks for. The vault stores and opens the rows; making a thumbnail or a
//! placeholder is imaging's; this decides when each is needed.

use crate::crypto::SecretBytes;
use crate::service::{Account, Unlock};
use crate::vault::{PhotoError, PhotoId, PhotoUnlock, Previews, RegisterError, Session};

/// The photo's sharp thumbnail, opened with its key (its password, or the recovery key)
/// whatever the account's previews. A photo whose stored previews are not in the form of
/// the account's current choice is converted to it; when no sharp thumbnail is stored any
/// more (the previews changed from sharp since, or its row is gone), it is made again
/// from the original, never from what the login shows.
pub fn unlocked_thumbnail(account: &Account, id: PhotoId, unlock: &Unlock) -> Result<SecretBytes, PhotoError> {
    sharp_thumbnail(account.session(), id, &unlock.as_photo_unlock())
}

/// [`unlocked_thumbnail`] of a session.
pub(crate) fn sharp_thumbnail(
    session: &Session,
    id: PhotoId,
    unlock: &PhotoUnlock<'_>,
) -> Result<SecretBytes, PhotoError> {
    let stored = session.stored_previews(id, unlock)?;
    let (thumbnail, placeholder) = match stored.thumbnail {
        Some(thumbnail) if stored.current => return Ok(thumbnail),
        // Only blurred previews store a placeholder: none is made for the others.
        Some(thumbnail) if session.previews() != Previews::Blurred => (thumbnail, Vec::new()),
        Some(thumbnail) => {
            let placeholder =
                crate::imaging::placeholder_jpeg(&thumbnail).map_err(|_| PhotoError::PreviewUnavailable(id))?;
            (thumbnail, placeholder)
        }
        None => {
            let (_, original) = session.decrypt(id, unlock)?;
            let analysis = crate::imaging::analyze(&original).map_err(|_| PhotoError::PreviewUnavailable(id))?;
            (SecretBytes::from(analysis.thumbnail_jpeg), analysis.placeholder_jpeg)
        }
    };
    session.store_previews(id, unlock, &thumbnail, &placeholder)?;
    Ok(thumbnail)
}

/// Sets how the account's locked photos look after login, in one transaction with taking
/// every sharp preview out of the login's reach (blurred: a placeholder made from it;
/// hidden: every login preview goes). The placeholders are made first, outside the
/// transaction, so imports and deletes are not held up by the decoding. Each photo's sharp
/// thumbnail comes back, sealed under its key, the next time it is unlocked. Returns how
/// many sharp previews were taken away.
pub fn set_previews(account: &Account, previews: Previews) -> Result<usize, RegisterError> {
    let session = account.session();
    let sharp = if previews == Previews::Sharp { Vec::new() } else { session.sharp_previews()? };
    let placeholders: Vec<(PhotoId, Option<Vec<u8>>)> = match previews {
        Previews::Blurred => {
            sharp.iter().map(|(id, jpeg)| (*id, crate::imaging::placeholder_jpeg(jpeg).ok())).collect()
        }
        _ => Vec::new(),
    };
    session.set_previews(previews, &placeholders)?;
    Ok(sharp.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::tests_support::one_photo;

    fn side(jpeg: &[u8]) -> u32 {
        let picture = image::load_from_memory(jpeg).unwrap();
        picture.width().max(picture.height())
    }

    const PLACEHOLDER: u32 = crate::imaging::PLACEHOLDER_MAX_SIDE;

    #[test]
    fn going_blurred_hides_every_sharp_preview_at_once_and_unlocking_brings_the_thumbnail_back() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Sharp);
        let account = Account::new(session);
        let session = account.session();
        assert_eq!(set_previews(&account, Previews::Blurred).unwrap(), 1);
        assert!(side(&session.thumbnail(id).unwrap()) <= PLACEHOLDER, "blurred at once, before any unlock");
        // No sharp thumbnail is stored now: it is made again from the original.
        let unlock = PhotoUnlock::Password(&password);
        assert!(session.stored_previews(id, &unlock).unwrap().thumbnail.is_none());
        assert_eq!(&sharp_thumbnail(session, id, &unlock).unwrap()[..], &sharp[..]);
        let stored = session.stored_previews(id, &unlock).unwrap();
        assert!(stored.current && stored.thumbnail.is_some_and(|t| t[..] == sharp[..]));
        assert!(side(&session.thumbnail(id).unwrap()) <= PLACEHOLDER);

        assert_eq!(set_previews(&account, Previews::Hidden).unwrap(), 0, "no sharp preview left to take");
        assert!(matches!(session.thumbnail(id), Err(PhotoError::PreviewHidden(_))), "not even the blur, at once");
        sharp_thumbnail(session, id, &unlock).unwrap();
        assert!(matches!(session.thumbnail(id), Err(PhotoError::PreviewHidden(_))));

        set_previews(&account, Previews::Sharp).unwrap();
        assert_eq!(&sharp_thumbnail(session, id, &unlock).unwrap()[..], &sharp[..]);
        assert_eq!(&session.thumbnail(id).unwrap()[..], &sharp[..], "sharp again, for the login");
        assert!(session.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn a_lost_private_thumbnail_is_made_again_from_the_original_not_from_the_placeholder() {
        let (_dir, session, id, password, sharp) = one_photo(Previews::Blurred);
        crate::vault::tests_support::remove_private_thumbnail(&session, id);
        let account = Account::new(session);
        assert_eq!(&unlocked_thumbnail(&account, id, &Unlock::Password(password)).unwrap()[..], &sharp[..]);
        assert!(side(&account.thumbnail(id).unwrap()) <= PLACEHOLDER);
    }
}
