//! Image understanding: decode a file fully (so broken files are refused before they
//! are stored), read its EXIF (orientation, date taken, camera, GPS), and make the
//! JPEG thumbnail the gallery shows; and remove metadata from a file for export
//! without touching its pixels. Knows nothing about keys or storage.

mod analyze;
mod avif;
mod decoder_process;
mod details;
mod error;
mod exif;
mod heif;
mod jpeg;
mod kind;
mod lenient;
mod planar_tiff;
mod strip;
mod tiff_extra;
mod tile;

#[cfg(test)]
pub(crate) use analyze::PLACEHOLDER_MAX_SIDE;
pub(crate) use analyze::{Analysis, analyze, placeholder_jpeg};
pub use analyze::{THUMBNAIL_MAX_SIDE, decode_for_display};
pub use decoder_process::{serve_if_asked as serve_decoder_process_if_asked, use_program as use_decoder_program};
pub use details::{PhotoDetails, animation_frames, photo_details};
pub use error::ImageError;
pub(crate) use exif::ExifSummary;
pub use kind::PHOTO_EXTENSIONS;
pub(crate) use strip::strip_metadata;
pub use strip::{STRIPPABLE_FORMATS, StripError};
