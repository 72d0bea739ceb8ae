//! Full decode of one file under memory and size limits, EXIF orientation applied,
//! and the thumbnail encoded as JPEG.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, RgbImage};

use super::ExifSummary;

/// Longest side of a thumbnail in pixels: sharp for a 256-point tile on a 2x display.
pub const THUMBNAIL_MAX_SIDE: u32 = 512;
/// A JPEG is decoded at the smallest DCT scale whose longest side reaches this (15/16 of
/// the maximum), and that picture is the thumbnail when it is not larger than the maximum:
/// a 12 MP photo (4000 or 4032 pixels wide) then decodes at 1/8 straight to a 500-pixel
/// thumbnail, which saves the resize and most of the inverse DCT (a third of the import's
/// CPU time), and looks the same in a 512-pixel tile.
const THUMBNAIL_DECODE_SIDE: u32 = THUMBNAIL_MAX_SIDE / 16 * 15;
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
    let decoded = match format {
        ImageFormat::Jpeg => {
            decode_jpeg_scaled(bytes, THUMBNAIL_DECODE_SIDE)?.map_or_else(|| decode_full(bytes, format), Ok)?
        }
        _ => decode_full(bytes, format)?,
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(truncated());
    }
    let Decoded { image, width: w, height: h, orientation, exif } = decoded;
    let mut thumb = if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        flatten(image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE))
    } else {
        flatten(image)
    };
    thumb.apply_orientation(orientation);
    let quarter_turn = matches!(orientation.to_exif(), 5..=8);
    let (width, height) = if quarter_turn { (h, w) } else { (w, h) };
    let thumb = thumb.into_rgb8();
    let mut thumbnail_jpeg = Vec::new();
    // `jpeg-encoder` (AVX2 chosen at run time) takes 2.2 ms for a 500x375 thumbnail here,
    // the `image` crate's encoder 7.3 ms: a tenth of an import's CPU time.
    jpeg_encoder::Encoder::new(&mut thumbnail_jpeg, THUMBNAIL_QUALITY)
        .encode(thumb.as_raw(), thumb.width() as u16, thumb.height() as u16, jpeg_encoder::ColorType::Rgb)
        .expect("a thumbnail of at most 512 pixels encodes into a Vec");
    Ok(Analysis { width, height, mime, orientation: orientation.to_exif(), exif, thumbnail_jpeg })
}

/// Decodes a photo for the screen: upright (EXIF orientation applied), its longest side
/// at most `max_side` pixels (a JPEG is decoded at a reduced DCT scale when it can be).
pub fn decode_for_display(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    mime_of(format)?;
    let decoded = match format {
        ImageFormat::Jpeg => decode_jpeg_scaled(bytes, max_side)?.map_or_else(|| decode_full(bytes, format), Ok)?,
        _ => decode_full(bytes, format)?,
    };
    let mut image = decoded.image;
    if image.width().max(image.height()) > max_side {
        image = image.resize(max_side, max_side, image::imageops::FilterType::Triangle);
    }
    image.apply_orientation(decoded.orientation);
    Ok(image.into_rgba8())
}

/// A decoded picture (possibly at a reduced scale) and what its header says.
struct Decoded {
    image: DynamicImage,
    /// Stored width, before orientation and scaling.
    width: u32,
    /// Stored height.
    height: u32,
    orientation: Orientation,
    exif: ExifSummary,
}

fn truncated() -> ImageError {
    ImageError::Corrupt("the JPEG data ends early: the file is truncated".into())
}

fn check_size(width: u32, height: u32) -> Result<(), ImageError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt("zero-sized image".into()));
    }
    Ok(())
}

/// Any format, at full size, through the `image` crate's decoders.
fn decode_full(bytes: &[u8], format: ImageFormat) -> Result<Decoded, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let corrupt = |e: image::ImageError| ImageError::Corrupt(e.to_string());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    // Not every decoder applies `max_alloc` to the picture it returns (the GIF decoder does
    // not: fuzzing found a 576-byte GIF of 28527x28527 that asked for 3.2 GB).
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(ImageError::TooLarge { width, height });
    }
    let exif = decoder.exif_metadata().ok().flatten().map(ExifSummary::from_raw).unwrap_or_default();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => ImageError::TooLarge { width, height },
        e => corrupt(e),
    })?;
    Ok(Decoded { image, width, height, orientation, exif })
}

/// A JPEG decoded at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still gives a
/// thumbnail-sized picture. Every coefficient is still entropy-decoded, so a damaged
/// file fails as it would at full size, but the inverse DCT and colour conversion run
/// on up to 64 times fewer pixels. `None` for the rare pixel formats (CMYK, 16-bit)
/// left to the full decoder.
fn decode_jpeg_scaled(bytes: &[u8], target: u32) -> Result<Option<Decoded>, ImageError> {
    let corrupt = |e: jpeg_decoder::Error| match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => truncated(),
        e => ImageError::Corrupt(e.to_string()),
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_ALLOC as usize);
    decoder.read_info().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| ImageError::Corrupt("no JPEG frame header".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    let longest = width.max(height);
    let request = |side: u32| (side * target).div_ceil(longest).max(1).min(side) as u16;
    let (sw, sh) = if longest > target {
        decoder.scale(request(width), request(height)).map_err(corrupt)?
    } else {
        (info.width, info.height)
    };
    let raw_exif = decoder.exif_data().map(<[u8]>::to_vec);
    let pixels = decoder.decode().map_err(corrupt)?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8),
        jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageLuma8),
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return Ok(None),
    }
    .ok_or_else(|| ImageError::Corrupt("JPEG decoder returned a short picture".into()))?;
    let orientation = raw_exif.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let exif = raw_exif.map(ExifSummary::from_raw).unwrap_or_default();
    Ok(Some(Decoded { image, width, height, orientation, exif }))
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
            // Searched from the end, where a whole file has it: no scan of the photo's megabytes.
            return bytes[i + 2 + len.min(bytes.len() - i - 2)..].windows(2).rev().any(|w| w == [0xFF, 0xD9]);
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
    use image::codecs::jpeg::JpegEncoder;
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
    fn a_jpeg_thumbnail_comes_from_the_smallest_dct_scale_near_512_pixels() {
        let jpeg = |w: u32, h: u32| {
            let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x / 4) as u8, (y / 4) as u8, 90]));
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
            out
        };
        // (source, thumbnail): 1/8 and 1/2 land within 15/16 of 512 and are kept as they
        // are; a scale that overshoots is resized down; a small photo is never enlarged.
        for ((w, h), expected) in [
            ((4000, 2000), (500, 250)),
            ((1000, 600), (500, 300)),
            ((1100, 600), (512, 279)),
            ((900, 600), (512, 341)),
            ((300, 200), (300, 200)),
        ] {
            let a = analyze(&jpeg(w, h)).unwrap();
            assert_eq!((a.width, a.height), (w, h));
            let thumb = image::load_from_memory(&a.thumbnail_jpeg).unwrap();
            assert_eq!((thumb.width(), thumb.height()), expected, "{w}x{h}");
        }
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

    #[test]
    fn a_tiny_gif_that_declares_a_huge_canvas_is_refused_before_decoding() {
        // The case fuzzing found (tests/fuzz/corpus/image_import/gif-28527-squared).
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x6f; 570]);
        assert!(matches!(analyze(&gif), Err(ImageError::TooLarge { width: 28527, height: 28527 })));
    }

    #[test]
    fn a_jpeg_whose_header_claims_60000_pixels_is_refused_before_decoding() {
        let img = image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 7].copy_from_slice(&60000u16.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&60000u16.to_be_bytes());
        // Refused from the header, before any pixel buffer is allocated.
        let err = analyze(&jpeg).unwrap_err();
        assert!(matches!(err, ImageError::TooLarge { width: 60000, height: 60000 }), "{err}");
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
