//! Full decode of one file under memory and size limits, EXIF orientation applied,
//! and the thumbnail encoded as JPEG.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, RgbImage};

use super::ExifSummary;

/// Longest side of a thumbnail in pixels: sharp for a 256-point tile on a 2x display.
pub const THUMBNAIL_MAX_SIDE: u32 = 512;
const THUMBNAIL_QUALITY: u8 = 85;
/// Largest width or height accepted (wide panoramas fit; a forged 60000-pixel header does not).
const MAX_SIDE: u32 = 30_000;
/// Largest decoder allocation: well under 1 GiB even for a hostile file.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Everything the vault keeps about a photo besides its bytes.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Width as displayed (after EXIF orientation).
    pub width: u32,
    /// Height as displayed (after EXIF orientation).
    pub height: u32,
    /// MIME type of the original file, e.g. `image/jpeg`.
    pub mime: &'static str,
    /// EXIF orientation (1-8; 1 when absent).
    pub orientation: u8,
    /// Date taken, camera and GPS presence.
    pub exif: ExifSummary,
    /// The thumbnail, a JPEG whose longest side is at most [`THUMBNAIL_MAX_SIDE`].
    pub thumbnail_jpeg: Vec<u8>,
}

/// Why a file was refused. Each message says what the file is and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The bytes are not in any image format we know.
    #[error("not an image file (JPEG, PNG, WebP, GIF, BMP or TIFF expected)")]
    NotAnImage,
    /// The format is known but not one the gallery stores.
    #[error("{0} images are not supported; convert it to JPEG or PNG first")]
    Unsupported(String),
    /// The header claims dimensions beyond the limits.
    #[error("image is {width}x{height} pixels, larger than the {MAX_SIDE}-pixel limit")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// Decoding failed part way: truncated, corrupt, or it would need too much memory.
    #[error("damaged or unreadable image ({0}); re-export it from the original source")]
    Corrupt(String),
}

fn mime_of(format: ImageFormat) -> Result<&'static str, ImageError> {
    Ok(match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        ImageFormat::WebP => "image/webp",
        ImageFormat::Gif => "image/gif",
        ImageFormat::Bmp => "image/bmp",
        ImageFormat::Tiff => "image/tiff",
        other => return Err(ImageError::Unsupported(format!("{other:?}"))),
    })
}

/// Decodes `bytes` completely and builds the thumbnail and metadata.
pub fn analyze(bytes: &[u8]) -> Result<Analysis, ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    let mime = mime_of(format)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let corrupt = |e: image::ImageError| ImageError::Corrupt(e.to_string());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (w, h) = decoder.dimensions();
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(ImageError::TooLarge { width: w, height: h });
    }
    if w == 0 || h == 0 {
        return Err(ImageError::Corrupt("zero-sized image".into()));
    }
    let exif = decoder.exif_metadata().ok().flatten().map(ExifSummary::from_raw).unwrap_or_default();
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => ImageError::TooLarge { width: w, height: h },
        e => corrupt(e),
    })?;
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageError::Corrupt("the JPEG data ends early: the file is truncated".into()));
    }
    let mut thumb = flatten(image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE));
    drop(image);
    thumb.apply_orientation(orientation);
    let quarter_turn = matches!(orientation.to_exif(), 5..=8);
    let (width, height) = if quarter_turn { (h, w) } else { (w, h) };
    let mut thumbnail_jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut thumbnail_jpeg, THUMBNAIL_QUALITY)
        .encode_image(&thumb)
        .expect("encoding an in-memory RGB image into a Vec cannot fail");
    Ok(Analysis { width, height, mime, orientation: orientation.to_exif(), exif, thumbnail_jpeg })
}

/// Whether a JPEG's compressed data ends with its end-of-image marker. The decoder
/// fills a truncated file with grey instead of failing (as libjpeg only warns), so a
/// cut-off download would otherwise be stored as if it were whole.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    // Walk the marker segments from SOI to the first SOS; after it, FF D9 can only be
    // the EOI marker, since a literal FF in entropy-coded data is stuffed as FF 00.
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            return bytes[i + 2 + len.min(bytes.len() - i - 2)..].windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        i += 2 + len;
    }
    false
}

/// JPEG has no alpha: composite transparent pixels onto white, as viewers show them.
fn flatten(image: DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.into_rgb8());
    }
    let rgba = image.into_rgba8();
    let out = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    });
    DynamicImage::ImageRgb8(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 128, (x % 256) as u8]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    #[test]
    fn a_png_gets_dimensions_and_a_bounded_jpeg_thumbnail() {
        let a = analyze(&png(1200, 300)).unwrap();
        assert_eq!((a.width, a.height, a.mime, a.orientation), (1200, 300, "image/png", 1));
        let thumb = image::load_from_memory(&a.thumbnail_jpeg).unwrap();
        assert_eq!(image::guess_format(&a.thumbnail_jpeg).unwrap(), ImageFormat::Jpeg);
        assert_eq!((thumb.width(), thumb.height()), (512, 128));
    }

    #[test]
    fn non_images_and_truncated_files_are_refused_with_a_reason() {
        assert!(matches!(analyze(b"hello, I am text"), Err(ImageError::NotAnImage)));
        assert!(matches!(analyze(&[]), Err(ImageError::NotAnImage)));
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        let err = analyze(&cut).unwrap_err();
        assert!(matches!(err, ImageError::Corrupt(_)), "{err}");
        assert!(err.to_string().contains("damaged"));
    }

    #[test]
    fn a_png_that_declares_huge_dimensions_is_refused_quickly() {
        // A valid 1x1 PNG whose IHDR is rewritten to claim 40000x40000 (CRC fixed up).
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&40000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&40000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = analyze(&bytes).unwrap_err();
        assert!(matches!(err, ImageError::TooLarge { width: 40000, height: 40000 } | ImageError::Corrupt(_)), "{err}");
    }

    #[test]
    fn a_truncated_jpeg_is_refused_and_a_whole_one_with_trailing_bytes_is_not() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        assert!(analyze(&jpeg).is_ok());
        let mut trailing = jpeg.clone();
        trailing.extend_from_slice(b"trailing bytes some cameras add");
        assert!(analyze(&trailing).is_ok());
        let cut = &jpeg[..jpeg.len() - 40];
        let err = analyze(cut).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
