//! Why a file is refused, and the checks every decoder path shares: the size limit and
//! the panic guard.

/// Largest width or height accepted (wide panoramas fit; a forged 60000-pixel header does not).
pub(super) const MAX_SIDE: u32 = 30_000;

/// Why a file was refused. Each message is one plain sentence that says what the file is
/// and what to do; what the decoder said, which means something only to a developer, is
/// kept apart in [`ImageError::detail`] (shown by `import --verbose`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The bytes are not in any image format we know.
    #[error("not an image file (JPEG, HEIC, PNG, WebP, GIF, BMP, TIFF or AVIF expected)")]
    NotAnImage,
    /// The header claims dimensions beyond the limits.
    #[error("image is {width}x{height} pixels, larger than the {MAX_SIDE}-pixel limit")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The picture has no pixels (a width or height of zero).
    #[error("the image has no pixels (its width or height is zero); it is damaged")]
    Empty,
    /// Decoding would need more memory than any photo should.
    #[error("decoding this image would need more than 512 MiB of memory; it is not a photo this gallery can hold")]
    NeedsTooMuchMemory,
    /// The data ends before the picture is complete.
    #[error(
        "this {format} file is truncated: its data ends before the picture is complete; copy it again from the original source"
    )]
    Truncated {
        /// The format's name, e.g. `JPEG`.
        format: &'static str,
    },
    /// The decoder found data it cannot read.
    #[error("not a valid {format} image: the data is damaged; re-export it from the original source")]
    Damaged {
        /// The format's name, e.g. `PNG`.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The file is sound as far as can be told, but is in a format this build does not
    /// decode (AVIF), or uses a feature of its format that the decoder does not read (a TIFF
    /// compression, a sample layout…). Such a file is stored with the plain "No preview"
    /// tile, not refused: this error does not leave `imaging`.
    #[error(
        "this {format} file uses a feature of its format that the gallery cannot decode yet; convert it to JPEG or PNG and import that"
    )]
    UnsupportedFeature {
        /// The format's name.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The decoder itself failed (it panicked) on this file: caught, so that one file
    /// never ends an import.
    #[error("the image decoder failed on this {format} file; convert it to JPEG or PNG and import that")]
    DecoderFailed {
        /// The format's name.
        format: &'static str,
        /// Where and why the decoder stopped.
        detail: String,
    },
}

impl ImageError {
    /// What the decoder said, for a log or `--verbose`: not meant for the user.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ImageError::Damaged { detail, .. }
            | ImageError::DecoderFailed { detail, .. }
            | ImageError::UnsupportedFeature { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// Runs a decoder on one file's bytes with a panic caught: a panic inside a decoder or a
/// parser becomes [`ImageError::DecoderFailed`] for that file, and the import goes on.
pub(super) fn catching_panics<T>(
    bytes: &[u8],
    decode: impl FnOnce() -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    crate::platform::panic_guard::catch_panic(decode).unwrap_or_else(|panic| {
        let format = super::kind::Kind::of(bytes).map_or("image", super::kind::Kind::name);
        // "the image decoder failed on this image file" reads well enough for no format.
        Err(ImageError::DecoderFailed { format, detail: panic.to_string() })
    })
}

/// Refuses a picture beyond [`MAX_SIDE`] or without pixels.
pub(super) fn check_size(width: u32, height: u32) -> Result<(), ImageError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Empty);
    }
    Ok(())
}
