//! Image understanding: decode a file fully (so broken files are refused before they
//! are stored), read its EXIF (orientation, date taken, camera, GPS), and make the
//! JPEG thumbnail the gallery shows; and remove metadata from a file for export
//! without touching its pixels. Knows nothing about keys or storage.

mod analyze;
mod details;
mod exif;
mod jpeg;
mod planar_tiff;
mod strip;

pub use analyze::{
    Analysis, ImageError, PLACEHOLDER_MAX_SIDE, THUMBNAIL_MAX_SIDE, analyze, decode_for_display, placeholder_jpeg,
};
pub use details::{PhotoDetails, animation_frames, photo_details};
pub use exif::ExifSummary;
pub use strip::{StripError, strip_metadata};
