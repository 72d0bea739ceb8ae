//! What kind of image a file is, from its first bytes: one of the formats the `image` crate
//! recognises, or one of the HEIF family (HEIC, what iPhones save; AVIF), which it does not
//! tell apart.

use image::ImageFormat;

/// The file name extensions of the photos the import takes, for file dialogs: the import
/// itself goes by what the bytes are, whatever the name says.
pub const PHOTO_EXTENSIONS: &[&str] =
    &["jpg", "jpeg", "jpe", "png", "heic", "heif", "hif", "avif", "webp", "gif", "bmp", "tif", "tiff"];

/// The kind of an image file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A format the `image` crate recognises (it may or may not be built to decode it).
    Image(ImageFormat),
    /// HEIF with HEVC-coded pictures (`.heic`, `.heif`): what iPhones save.
    Heic,
    /// HEIF with AV1-coded pictures (`.avif`).
    Avif,
}

impl Kind {
    /// The kind of `bytes`, or `None` when they are no image format we know.
    pub(crate) fn of(bytes: &[u8]) -> Option<Kind> {
        // BigTIFF (64-bit offsets, for files over 4 GB and from some scanners), which the
        // `tiff` crate reads but `image` does not recognise.
        if bytes.starts_with(b"II\x2B\0") || bytes.starts_with(b"MM\0\x2B") {
            return Some(Kind::Image(ImageFormat::Tiff));
        }
        heif_kind(bytes).or_else(|| image::guess_format(bytes).ok().map(Kind::Image))
    }

    /// The name people know the format by: `JPEG`, `HEIC`…
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Image(format) => format_name(format),
            Kind::Heic => "HEIC",
            Kind::Avif => "AVIF",
        }
    }

    /// The MIME type stored with the photo.
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Kind::Image(format) => format.to_mime_type(),
            Kind::Heic => "image/heic",
            Kind::Avif => "image/avif",
        }
    }
}

/// The name people know a format by: `JPEG`, `PNG`, `TIFF`…
fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        other => other.extensions_str().first().copied().unwrap_or("this"),
    }
}

/// HEIF files open with an `ftyp` box whose brands say what codes the pictures
/// (ISO/IEC 23008-12 and the AVIF specification): `avif`/`avis` for AV1; `heic`, `heix`,
/// `heim`, `heis` (and `hevc`… for sequences) for HEVC; a file with only the structural
/// brands `mif1`/`msf1` is taken for HEIC, the common case.
fn heif_kind(bytes: &[u8]) -> Option<Kind> {
    if bytes.get(4..8)? != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes(bytes[0..4].try_into().ok()?) as usize;
    let end = size.min(bytes.len());
    if end < 16 {
        return None;
    }
    let body = &bytes[8..end];
    // The major brand, then (after the minor version) the compatible brands.
    let brands = body.chunks_exact(4).enumerate().filter(|(i, _)| *i != 1).map(|(_, b)| b);
    let (mut avif, mut heic, mut heif) = (false, false, false);
    for brand in brands {
        match brand {
            b"avif" | b"avis" => avif = true,
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => heic = true,
            b"mif1" | b"msf1" => heif = true,
            _ => {}
        }
    }
    match &body[0..4] {
        b"avif" | b"avis" => Some(Kind::Avif),
        _ if heic => Some(Kind::Heic),
        _ if avif => Some(Kind::Avif),
        _ if heif => Some(Kind::Heic),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&((16 + 4 * compatible.len()) as u32).to_be_bytes());
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&0u32.to_be_bytes());
        for brand in compatible {
            b.extend_from_slice(*brand);
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn heif_files_are_told_apart_by_their_brands() {
        assert_eq!(Kind::of(&ftyp(b"heic", &[b"mif1", b"heic"])), Some(Kind::Heic));
        assert_eq!(Kind::of(&ftyp(b"mif1", &[b"mif1", b"heic"])), Some(Kind::Heic));
        assert_eq!(Kind::of(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf"])), Some(Kind::Avif));
        assert_eq!(Kind::of(&ftyp(b"mif1", &[b"mif1", b"avif"])), Some(Kind::Avif));
        assert_eq!(Kind::of(&ftyp(b"mif1", &[b"mif1"])), Some(Kind::Heic));
        // A video is not a photo.
        assert_eq!(Kind::of(&ftyp(b"isom", &[b"isom", b"mp42"])), None);
        assert_eq!(Kind::of(b"\0\0\0\x10ftyp"), None, "cut short");
        assert_eq!(Kind::of(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Image(ImageFormat::Jpeg)));
        assert_eq!(Kind::Heic.mime(), "image/heic");
    }
}
