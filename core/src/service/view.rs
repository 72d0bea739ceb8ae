//! A photo opened for the viewer: decrypted, decoded upright at a size a screen can take,
//! its animation's frames, and where and how it was taken.

use crate::imaging::{ImageError, PhotoDetails, animation_frames, decode_for_display, photo_details};
use crate::service::{Account, Unlock};
use crate::vault::{PhotoError, PhotoId, PhotoMeta};

/// Largest side of a photo decoded for the viewer (a texture of at most 4096², 64 MiB).
pub const VIEWER_MAX_SIDE: u32 = 4096;

/// The largest side of an animation's frames in the viewer (all are kept in memory).
const ANIMATION_MAX_SIDE: u32 = 1024;

/// A photo decrypted and decoded for the viewer.
pub struct OpenedPhoto {
    /// Its stored metadata.
    pub meta: PhotoMeta,
    /// The picture, upright, at most [`VIEWER_MAX_SIDE`] pixels a side.
    pub picture: image::RgbaImage,
    /// An animation's frames and how long each shows (`None`: a still picture).
    pub frames: Option<Vec<(image::RgbaImage, std::time::Duration)>>,
    /// Where and how it was taken, from its EXIF.
    pub details: PhotoDetails,
}

/// Why a photo could not be shown in the viewer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPhotoError {
    /// It could not be read or decrypted.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// Its bytes do not decode as a picture.
    #[error(transparent)]
    Decode(#[from] ImageError),
}

/// Photo `id`'s thumbnail decoded for a grid tile, its longest side at most `side`: the
/// sharp one when `unlock` opens the photo, else what the account's previews show.
pub fn thumbnail_for_display(
    account: &Account,
    id: PhotoId,
    unlock: Option<&Unlock>,
    side: u32,
) -> Result<image::RgbaImage, OpenPhotoError> {
    let jpeg = match unlock {
        Some(unlock) => super::unlocked_thumbnail(account, id, unlock)?,
        None => account.thumbnail(id)?,
    };
    Ok(decode_for_display(&jpeg, side)?)
}

/// Decrypts photo `id` and decodes it for the viewer.
pub fn open_for_viewing(account: &Account, id: PhotoId, unlock: &Unlock) -> Result<OpenedPhoto, OpenPhotoError> {
    let (meta, bytes) = account.decrypt(id, unlock)?;
    Ok(OpenedPhoto {
        picture: decode_for_display(&bytes, VIEWER_MAX_SIDE)?,
        frames: animation_frames(&bytes, ANIMATION_MAX_SIDE),
        details: photo_details(&bytes),
        meta,
    })
}
